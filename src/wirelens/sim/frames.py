"""Frame building for the simulator: Ethernet II, IPv4, TCP, UDP and ICMP with correct checksums.

Everything is built with :mod:`struct` from per-flow header templates; no per-packet objects are
kept beyond the ``(ts_ns, frame)`` tuples of the scenario instance being generated.

Timestamps are the times the frames are *seen at the capture point*, which sits on the client
LAN next to the gateway: a client's packet is seen when it is sent, a server's reply one round
trip later.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag

ETHERTYPE_IPV4 = 0x0800


class IpProto(IntEnum):
    """IANA protocol numbers used by the simulator (RFC 790 / IANA registry)."""

    ICMP = 1
    TCP = 6
    UDP = 17


class TcpFlags(IntFlag):
    """TCP control bits (RFC 9293 §3.1)."""

    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10


FIN, SYN, RST, PSH, ACK = (int(f) for f in (TcpFlags.FIN, TcpFlags.SYN, TcpFlags.RST,
                                            TcpFlags.PSH, TcpFlags.ACK))

_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_TCP = struct.Struct("!HHIIBBHHH")
_UDP = struct.Struct("!HHHH")
_ICMP_HDR = struct.Struct("!BBHI")
_PSEUDO = struct.Struct("!4s4sBBH")


def inet_checksum(data: bytes, initial: int = 0) -> int:
    """RFC 1071 Internet checksum of ``data`` (the value to store in the header).

    The one's-complement sum of 16-bit big-endian words equals the integer value of the data
    modulo 0xFFFF (because 0x10000 = 1 mod 0xFFFF), with a non-zero sum of 0 written 0xFFFF.
    ``initial`` is an integer added before folding (a pseudo-header's integer value).
    """
    if len(data) & 1:
        data = data + b"\x00"
    total = int.from_bytes(data, "big") + initial
    s = total % 0xFFFF
    if s == 0 and total:
        s = 0xFFFF
    return 0xFFFF - s


def _pseudo(src: bytes, dst: bytes, proto: int, length: int) -> int:
    """Integer value of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768)."""
    return int.from_bytes(_PSEUDO.pack(src, dst, 0, proto, length), "big")


@dataclass(slots=True)
class Host:
    """One simulated IPv4 host as seen from the capture point."""

    ip: str
    """Dotted-quad address."""
    mac: bytes
    """Its own MAC (for off-LAN hosts the frames carry the gateway MAC instead)."""
    ttl: int
    """TTL of its packets when they reach the capture point (initial TTL minus hops)."""
    local: bool
    """True when the host is on the captured LAN (frames use its own MAC)."""
    ip_id: int = 0
    """Next IPv4 identification value (incremented per packet sent, RFC 6864 style)."""
    raw: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        self.raw = bytes(int(x) for x in self.ip.split("."))

    def next_id(self) -> int:
        """Return and advance this host's IP identification counter."""
        v = self.ip_id
        self.ip_id = (v + 1) & 0xFFFF
        return v


def mac_for(ip: str, prefix: bytes = b"\x02\x00") -> bytes:
    """A locally administered MAC derived from an IPv4 address (02:00:a.b.c.d)."""
    return prefix + bytes(int(x) for x in ip.split("."))


def eth_header(src: Host, dst: Host, gateway_mac: bytes) -> bytes:
    """Ethernet II header (IEEE 802.3 §3.2.6 type field) for ``src`` -> ``dst`` on the LAN."""
    smac = src.mac if src.local else gateway_mac
    dmac = dst.mac if dst.local else gateway_mac
    return dmac + smac + struct.pack("!H", ETHERTYPE_IPV4)


def ipv4_header(src: bytes, dst: bytes, proto: int, payload_len: int, ip_id: int, ttl: int,
                df: bool = True) -> bytes:
    """IPv4 header without options, checksum filled in (RFC 791 §3.1)."""
    total = 20 + payload_len
    flags = 0x4000 if df else 0
    hdr = _IPV4.pack(0x45, 0, total, ip_id, flags, ttl, proto, 0, src, dst)
    csum = inet_checksum(hdr)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:]


def tcp_segment(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int,
                window: int, payload: bytes = b"", options: bytes = b"") -> bytes:
    """TCP header + payload with the checksum over the pseudo-header (RFC 9293 §3.1)."""
    if len(options) % 4:
        raise ValueError("TCP options must be padded to 32-bit words")
    off = (20 + len(options)) // 4
    hdr = _TCP.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4, flags, window, 0,
                    0) + options
    seg = hdr + payload
    csum = inet_checksum(seg, _pseudo(src, dst, IpProto.TCP, len(seg)))
    return seg[:16] + struct.pack("!H", csum) + seg[18:]


def udp_datagram(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    """UDP header + payload with the checksum (RFC 768; a computed 0 is sent as 0xFFFF)."""
    length = 8 + len(payload)
    dgram = _UDP.pack(sport, dport, length, 0) + payload
    csum = inet_checksum(dgram, _pseudo(src, dst, IpProto.UDP, length)) or 0xFFFF
    return dgram[:6] + struct.pack("!H", csum) + dgram[8:]


def icmp_message(icmp_type: int, code: int, rest: int, body: bytes) -> bytes:
    """ICMP message with checksum over the whole message (RFC 792)."""
    msg = _ICMP_HDR.pack(icmp_type, code, 0, rest) + body
    csum = inet_checksum(msg)
    return msg[:2] + struct.pack("!H", csum) + msg[4:]


class Net:
    """The addresses of one simulation and the frame builders that need them."""

    def __init__(self, gateway: Host) -> None:
        self.gateway = gateway
        self.hosts: dict[str, Host] = {gateway.ip: gateway}

    def add(self, host: Host) -> Host:
        """Register (or return the already registered) host with this address."""
        return self.hosts.setdefault(host.ip, host)

    def ip_frame(self, src: Host, dst: Host, proto: int, l4: bytes, *, df: bool = True,
                 ip_id: int | None = None, ttl: int | None = None) -> bytes:
        """Ethernet + IPv4 + the given transport bytes."""
        ident = src.next_id() if ip_id is None else ip_id
        return (eth_header(src, dst, self.gateway.mac)
                + ipv4_header(src.raw, dst.raw, proto, len(l4), ident,
                              src.ttl if ttl is None else ttl, df)
                + l4)

    def udp(self, src: Host, dst: Host, sport: int, dport: int, payload: bytes) -> bytes:
        """A complete UDP frame."""
        return self.ip_frame(src, dst, IpProto.UDP,
                             udp_datagram(src.raw, dst.raw, sport, dport, payload), df=False)

    def icmp_unreachable(self, src: Host, dst: Host, offending: bytes, code: int = 3) -> bytes:
        """ICMP destination unreachable (type 3; code 3 = port) quoting the offending IP
        datagram (RFC 792; RFC 1812 §4.3.2.3 allows quoting up to 576 bytes in total)."""
        quoted = offending[14:14 + 548]
        return self.ip_frame(src, dst, IpProto.ICMP, icmp_message(3, code, 0, quoted), df=False)


Packets = list[tuple[int, bytes]]
"""The frames of one scenario instance: ``(ts_ns, frame)``, sorted before they are written."""

MSS = 1460
# Windows-like client SYN options: MSS 1460, NOP, WS 8, NOP, NOP, SACK permitted (RFC 9293
# §3.2, RFC 7323 §2.2, RFC 2018 §2).
SYN_OPTS_CLIENT = bytes.fromhex("020405b4010303080101 0402".replace(" ", ""))
# Linux-like server SYN-ACK options: MSS 1460, NOP, NOP, SACK permitted, NOP, WS 7.
SYN_OPTS_SERVER = bytes.fromhex("020405b401010402 01030307".replace(" ", ""))


class TcpFlow:
    """One TCP connection between ``cli`` and ``srv`` with consistent seq/ack numbers.

    Methods append frames to ``out`` and return the capture time at which they end. The
    exchange is half-duplex (one side sends at a time), which keeps ACK numbers exact.
    """

    def __init__(self, net: Net, out: Packets, rng: random.Random, cli: Host, srv: Host,
                 sport: int, dport: int, rtt_ns: int, *, down_bps: float = 100e6,
                 up_bps: float = 40e6, client_rtt_ns: int | None = None) -> None:
        self.net, self.out, self.rng = net, out, rng
        self.cli, self.srv = cli, srv
        self.sport, self.dport = sport, dport
        self.rtt = rtt_ns
        """Capture point -> server -> capture point (the server's reaction delay)."""
        self.crtt = rng.randint(20_000, 200_000) if client_rtt_ns is None else client_rtt_ns
        """Capture point -> client -> capture point (small for a LAN client)."""
        self.c_nxt = rng.getrandbits(32)
        self.s_nxt = rng.getrandbits(32)
        self.c_win = rng.choice((1026, 1027, 2053, 512))
        self.s_win = rng.choice((501, 502, 509, 8192, 235))
        self.down_ns_per_byte = 8e9 / down_bps
        self.up_ns_per_byte = 8e9 / up_bps
        self.bytes_c2s = 0
        self.bytes_s2c = 0
        self._last_ts = {True: 0, False: 0}
        """Capture time of the last frame each side sent (keeps each side's frames in order)."""
        self._c2s_eth = eth_header(cli, srv, net.gateway.mac)
        self._s2c_eth = eth_header(srv, cli, net.gateway.mac)

    # -- raw emitters ---------------------------------------------------------------------
    def _emit(self, ts: int, from_client: bool, flags: int, payload: bytes = b"",
              options: bytes = b"", window: int | None = None) -> None:
        if from_client:
            a, b, eth, sp, dp = self.cli, self.srv, self._c2s_eth, self.sport, self.dport
            seq, ack = self.c_nxt, self.s_nxt
            win = self.c_win if window is None else window
            self.bytes_c2s += len(payload)
        else:
            a, b, eth, sp, dp = self.srv, self.cli, self._s2c_eth, self.dport, self.sport
            seq, ack = self.s_nxt, self.c_nxt
            win = self.s_win if window is None else window
            self.bytes_s2c += len(payload)
        if not flags & ACK:
            ack = 0
        self._last_ts[from_client] = max(self._last_ts[from_client], ts)
        seg = tcp_segment(a.raw, b.raw, sp, dp, seq, ack, flags, win, payload, options)
        frame = eth + ipv4_header(a.raw, b.raw, IpProto.TCP, len(seg), a.next_id(), a.ttl) + seg
        self.out.append((ts, frame))

    # -- connection life ------------------------------------------------------------------
    def handshake(self, t: int) -> int:
        """SYN, SYN-ACK, ACK (RFC 9293 §3.5); returns the time of the final ACK."""
        self._emit(t, True, SYN, options=SYN_OPTS_CLIENT, window=64240)
        self.c_nxt = (self.c_nxt + 1) & 0xFFFFFFFF
        t += self.rtt
        self._emit(t, False, SYN | ACK, options=SYN_OPTS_SERVER, window=65160)
        self.s_nxt = (self.s_nxt + 1) & 0xFFFFFFFF
        t += self.crtt
        self._emit(t, True, ACK)
        return t

    def send(self, t: int, from_client: bool, data: bytes, *, ack_last: bool = True,
             first_cwnd: int = 10, max_cwnd: int = 64) -> int:
        """Send ``data`` in MSS-sized segments from one side, starting at capture time ``t``.

        Segments go in rounds of ``cwnd`` (slow start, RFC 5681 §3.1); the receiver ACKs every
        second segment (RFC 9293 §3.8.6.3 / RFC 5681 §4.2) and the last one of a round. If
        ``ack_last`` is false the final segment is not acknowledged here (the reply that follows
        carries the ACK). Returns the capture time of the last data segment.
        """
        rng = self.rng
        n = len(data)
        if n == 0:
            return t
        # a side never sends new data before the pure ACKs it already sent
        t = max(t, self._last_ts[from_client] + 1_000)
        ns_per_byte = self.up_ns_per_byte if from_client else self.down_ns_per_byte
        # time between seeing a data segment and seeing the receiver's ACK for it
        ack_delay = self.rtt if from_client else self.crtt

        # never more in flight than the receiver's window (scale 7 server, 8 client; RFC 7323)
        rwnd = self.s_win << 7 if from_client else self.c_win << 8
        max_cwnd = max(2, min(max_cwnd, rwnd // MSS))
        pos = 0
        cwnd = min(first_cwnd, max_cwnd)
        t_round = t
        t_last = t
        nseg = 0
        pending: list[tuple[int, int]] = []  # (ack time, ack number) of receiver's ACKs
        while pos < n:
            ts = t_round
            for j in range(cwnd):
                if pos >= n:
                    break
                chunk = data[pos:pos + MSS]
                pos += len(chunk)
                last = pos >= n
                flags = ACK | (PSH if last else 0)
                self._emit(ts, from_client, flags, chunk)
                if from_client:
                    self.c_nxt = (self.c_nxt + len(chunk)) & 0xFFFFFFFF
                    nxt = self.c_nxt
                else:
                    self.s_nxt = (self.s_nxt + len(chunk)) & 0xFFFFFFFF
                    nxt = self.s_nxt
                nseg += 1
                t_last = ts
                end_of_round = j == cwnd - 1 or last
                if nseg % 2 == 0 or (end_of_round and not last) or (last and ack_last):
                    t_ack = ts + ack_delay + rng.randint(0, 40_000)
                    if pending and t_ack <= pending[-1][0]:
                        t_ack = pending[-1][0] + 1_000
                    pending.append((t_ack, nxt))
                ts += int((len(chunk) + 54) * ns_per_byte) + rng.randint(0, 5_000)
            rtt_here = self.rtt + self.crtt + rng.randint(0, self.rtt // 10 + 1)
            t_round = max(ts, t_round + rtt_here)
            cwnd = min(cwnd * 2, max_cwnd)
        # Emit the receiver's ACKs (its seq is unchanged while the other side sends).
        for ts_ack, nxt in pending:
            if from_client:
                saved, self.c_nxt = self.c_nxt, nxt
                self._emit(ts_ack, False, ACK)
                self.c_nxt = saved
            else:
                saved, self.s_nxt = self.s_nxt, nxt
                self._emit(ts_ack, True, ACK)
                self.s_nxt = saved
        return t_last

    def close(self, t: int, by_client: bool = True, rst: bool = False) -> int:
        """Close: FIN-ACK, FIN-ACK, ACK (RFC 9293 §3.6), or an abortive RST-ACK."""
        t = max(t, self._last_ts[by_client] + 1_000)
        if rst:
            self._emit(t, by_client, RST | ACK, window=0)
            return t
        self._emit(t, by_client, FIN | ACK)
        if by_client:
            self.c_nxt = (self.c_nxt + 1) & 0xFFFFFFFF
            t += self.rtt
        else:
            self.s_nxt = (self.s_nxt + 1) & 0xFFFFFFFF
            t += self.crtt + self.rng.randint(100_000, 3_000_000)
        t = max(t, self._last_ts[not by_client] + 1_000)
        self._emit(t, not by_client, FIN | ACK)
        if by_client:
            self.s_nxt = (self.s_nxt + 1) & 0xFFFFFFFF
            t += self.crtt
        else:
            self.c_nxt = (self.c_nxt + 1) & 0xFFFFFFFF
            t += self.rtt
        self._emit(t, by_client, ACK)
        return t
