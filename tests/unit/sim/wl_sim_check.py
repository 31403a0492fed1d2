"""Independent, deliberately naive checkers for the simulator's output (no wirelens imports).

A tiny pcap reader, a word-by-word RFC 1071 checksum, Ethernet/IPv4/TCP/UDP/ICMP frame
validation, a DNS message parser and a TLS ClientHello SNI extractor.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Pkt:
    """One decoded frame."""

    index: int
    ts_us: int
    src: str
    dst: str
    proto: int
    sport: int
    dport: int
    flags: int
    seq: int
    ack: int
    ip_id: int
    ttl: int
    payload: bytes
    icmp_type: int = -1
    icmp_code: int = -1


def read_pcap(path: Path) -> list[tuple[int, bytes]]:
    """(ts in microseconds, frame) of every record of a little-endian microsecond pcap."""
    data = path.read_bytes()
    magic, major, minor, _, _, _snap, link = struct.unpack_from("<IHHiIII", data, 0)
    assert magic == 0xA1B2C3D4 and (major, minor) == (2, 4) and link == 1
    out = []
    off = 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        assert incl == orig, "frames are never truncated"
        assert usec < 1_000_000
        off += 16
        out.append((sec * 1_000_000 + usec, data[off:off + incl]))
        off += incl
    assert off == len(data)
    return out


def naive_checksum(data: bytes) -> int:
    """One's-complement sum of 16-bit words with end-around carry (RFC 1071 §4.1)."""
    if len(data) % 2:
        data += b"\x00"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        while s > 0xFFFF:
            s = (s & 0xFFFF) + (s >> 16)
    return s


def _ip(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def check_frame(index: int, ts_us: int, frame: bytes) -> Pkt:
    """Validate one Ethernet/IPv4 frame and return its decoded fields (AssertionError if bad)."""
    assert len(frame) >= 14 + 20, f"frame {index} too short"
    assert frame[12:14] == b"\x08\x00", f"frame {index}: not IPv4"
    ip = frame[14:]
    assert ip[0] == 0x45, f"frame {index}: version/IHL {ip[0]:#x}"
    total = struct.unpack_from("!H", ip, 2)[0]
    assert total == len(ip), f"frame {index}: IP total length {total} != {len(ip)}"
    assert naive_checksum(ip[:20]) == 0xFFFF, f"frame {index}: bad IPv4 header checksum"
    assert struct.unpack_from("!H", ip, 6)[0] & 0x3FFF == 0, "no fragments are simulated"
    ip_id = struct.unpack_from("!H", ip, 4)[0]
    ttl, proto = ip[8], ip[9]
    src, dst = ip[12:16], ip[16:20]
    l4 = ip[20:]
    pseudo = src + dst + bytes([0, proto]) + struct.pack("!H", len(l4))
    if proto == 6:
        assert len(l4) >= 20
        sport, dport, seq, ack, off_b, flags = struct.unpack_from("!HHIIBB", l4, 0)
        hl = (off_b >> 4) * 4
        assert 20 <= hl <= len(l4), f"frame {index}: TCP header length {hl}"
        assert naive_checksum(pseudo + l4) == 0xFFFF, f"frame {index}: bad TCP checksum"
        return Pkt(index, ts_us, _ip(src), _ip(dst), proto, sport, dport, flags, seq, ack,
                   ip_id, ttl, l4[hl:])
    if proto == 17:
        sport, dport, ulen, csum = struct.unpack_from("!HHHH", l4, 0)
        assert ulen == len(l4), f"frame {index}: UDP length {ulen} != {len(l4)}"
        assert csum != 0, "UDP checksums are always computed here"
        assert naive_checksum(pseudo + l4) == 0xFFFF, f"frame {index}: bad UDP checksum"
        return Pkt(index, ts_us, _ip(src), _ip(dst), proto, sport, dport, 0, 0, 0, ip_id, ttl,
                   l4[8:])
    assert proto == 1, f"frame {index}: unexpected protocol {proto}"
    assert naive_checksum(l4) == 0xFFFF, f"frame {index}: bad ICMP checksum"
    return Pkt(index, ts_us, _ip(src), _ip(dst), proto, 0, 0, 0, 0, 0, ip_id, ttl, l4[8:],
               l4[0], l4[1])


def read_packets(path: Path) -> list[Pkt]:
    """Every frame of the pcap, validated."""
    return [check_frame(i, ts, f) for i, (ts, f) in enumerate(read_pcap(path))]


# --- DNS ----------------------------------------------------------------------------------


def _name(msg: bytes, off: int) -> tuple[str, int]:
    """Read a possibly compressed name; returns (name, offset after it in the original place)."""
    labels: list[str] = []
    end = -1
    hops = 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            ptr = struct.unpack_from("!H", msg, off)[0] & 0x3FFF
            assert ptr < off, "compression pointers must point backwards"
            if end < 0:
                end = off + 2
            off = ptr
            hops += 1
            assert hops < 64
            continue
        assert n & 0xC0 == 0, "bad label type"
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii"))
        off += n
    return ".".join(labels), (off if end < 0 else end)


@dataclass(frozen=True, slots=True)
class Dns:
    """A parsed DNS message."""

    txid: int
    is_response: bool
    qname: str
    qtype: int
    answers: list[tuple[str, int, object]]


def parse_dns(msg: bytes) -> Dns:
    """Parse a whole DNS message (RFC 1035 §4.1); every byte must be accounted for."""
    txid, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", msg, 0)
    assert qd == 1
    qname, off = _name(msg, 12)
    qtype, qclass = struct.unpack_from("!HH", msg, off)
    assert qclass == 1
    off += 4
    answers: list[tuple[str, int, object]] = []
    for i in range(an + ns + ar):
        name, off = _name(msg, off)
        rtype, _rclass, _ttl, rdlen = struct.unpack_from("!HHIH", msg, off)
        off += 10
        rdata = msg[off:off + rdlen]
        assert len(rdata) == rdlen
        value: object = rdata
        if rtype == 5:
            value, after = _name(msg, off)
            assert after == off + rdlen
        elif rtype == 1:
            assert rdlen == 4
            value = _ip(rdata)
        elif rtype == 28:
            assert rdlen == 16
        elif rtype == 16:
            strings, p = [], 0
            while p < rdlen:
                strings.append(rdata[p + 1:p + 1 + rdata[p]])
                p += 1 + rdata[p]
            assert p == rdlen
            value = strings
        off += rdlen
        if i < an:
            answers.append((name, rtype, value))
    assert off == len(msg), "trailing bytes after the DNS message"
    return Dns(txid, bool(flags & 0x8000), qname, qtype, answers)


# --- TLS ----------------------------------------------------------------------------------


def client_hello(stream: bytes) -> tuple[list[int], list[tuple[int, bytes]], int]:
    """(cipher suites, extensions as (type, body) in order, record length) of the ClientHello
    at the start of a client's TLS stream; every length checked."""
    assert stream[0] == 22, "first record must be a handshake"
    rec_len = struct.unpack_from("!H", stream, 3)[0]
    hs = stream[5:5 + rec_len]
    assert hs[0] == 1, "first handshake message must be ClientHello"
    assert int.from_bytes(hs[1:4], "big") == len(hs) - 4
    off = 4 + 2 + 32
    off += 1 + hs[off]  # session id
    n = struct.unpack_from("!H", hs, off)[0]
    ciphers = [struct.unpack_from("!H", hs, off + 2 + k)[0] for k in range(0, n, 2)]
    off += 2 + n
    off += 1 + hs[off]  # compression
    ext_end = off + 2 + struct.unpack_from("!H", hs, off)[0]
    assert ext_end == len(hs)
    off += 2
    exts = []
    while off < ext_end:
        etype, elen = struct.unpack_from("!HH", hs, off)
        exts.append((etype, hs[off + 4:off + 4 + elen]))
        off += 4 + elen
    assert off == ext_end
    return ciphers, exts, 5 + rec_len


def client_hello_sni(stream: bytes) -> str | None:
    """The server_name of the ClientHello at the start of a client's TLS stream."""
    for etype, body in client_hello(stream)[1]:
        if etype == 0:
            assert struct.unpack_from("!H", body, 0)[0] == len(body) - 2
            assert body[2] == 0
            n = struct.unpack_from("!H", body, 3)[0]
            return body[5:5 + n].decode("ascii")
    return None
