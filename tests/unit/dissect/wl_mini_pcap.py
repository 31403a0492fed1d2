"""A tiny struct-based pcap/pcapng reader and flow splitter for the dissector tests only.

It pulls TCP/UDP payloads out of Ethernet (with VLAN tags), Linux cooked (v1/v2), raw IP
and BSD loopback frames over IPv4/IPv6, and puts TCP payloads in sequence order per
direction (retransmissions dropped, out-of-order segments held). The real capture and
decode stages are built elsewhere; this is deliberately small.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def read_frames(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(linktype, ts_ns, frame) of every record of a pcap or pcapng file."""
    data = path.read_bytes()
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from _pcapng(data)
        return
    table = {
        b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
        b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1),
    }  # fmt: skip
    if magic not in table:
        return
    end, mult = table[magic]
    linktype = struct.unpack_from(end + "I", data, 20)[0] & 0xFFFF
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from(end + "IIII", data, pos)
        pos += 16
        if caplen > 262144 or pos + caplen > len(data):
            return
        yield linktype, sec * 1_000_000_000 + frac * mult, data[pos : pos + caplen]
        pos += caplen


def _pcapng(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    pos, end, links = 0, "<", []
    while pos + 12 <= len(data):
        btype = struct.unpack_from(end + "I", data, pos)[0]
        if btype == 0x0A0D0D0A:
            end = "<" if data[pos + 8 : pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack_from(end + "I", data, pos + 4)[0]
        if blen < 12 or pos + blen > len(data):
            return
        body = data[pos + 8 : pos + blen - 4]
        if btype == 1:
            links.append(struct.unpack_from(end + "H", body, 0)[0])
        elif btype == 6 and len(body) >= 20:
            iface, hi, lo, caplen = struct.unpack_from(end + "IIII", body, 0)
            if iface < len(links):
                yield links[iface], ((hi << 32) | lo) * 1000, body[20 : 20 + caplen]
        pos += blen


def _l3(linktype: int, frame: bytes) -> tuple[int, bytes] | None:
    """(ethertype-ish version, IP packet) from a link-layer frame."""
    if linktype == 1:
        off, etype = 14, struct.unpack_from(">H", frame, 12)[0] if len(frame) >= 14 else 0
        while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
            etype = struct.unpack_from(">H", frame, off + 2)[0]
            off += 4
        if etype == 0x8864:  # PPPoE session (RFC 2516): 6-byte header + PPP protocol
            off, etype = off + 8, 0
    elif linktype == 113 and len(frame) >= 16:
        off, etype = 16, struct.unpack_from(">H", frame, 14)[0]
    elif linktype == 276 and len(frame) >= 20:
        off, etype = 20, struct.unpack_from(">H", frame, 0)[0]
    elif linktype in (101, 12, 14):
        off, etype = 0, 0
    elif linktype in (0, 108):
        off, etype = 4, 0
    else:
        return None
    packet = frame[off:]
    if not packet:
        return None
    version = packet[0] >> 4
    if etype not in (0, 0x0800, 0x86DD):
        return None
    return version, packet


@dataclass
class Flow:
    """Payload chunks of one bidirectional flow, in arrival order."""

    proto: int
    orig: tuple[str, int]
    resp: tuple[str, int]
    chunks: list[tuple[bool, bytes, int]] = field(default_factory=list)
    next_seq: dict[bool, int] = field(default_factory=dict)
    held: dict[bool, dict[int, bytes]] = field(default_factory=lambda: {True: {}, False: {}})


def _tcp_in_order(flow: Flow, side: bool, seq: int, flags: int, payload: bytes, ts: int) -> None:
    if flags & 0x02:  # SYN
        flow.next_seq[side] = (seq + 1) & 0xFFFFFFFF
    if not payload:
        return
    nxt = flow.next_seq.setdefault(side, seq)
    delta = (seq - nxt) & 0xFFFFFFFF
    if delta >= 1 << 31:  # older than expected: keep only new bytes
        back = (nxt - seq) & 0xFFFFFFFF
        if back >= len(payload):
            return
        payload, seq = payload[back:], nxt
    elif delta:
        if len(flow.held[side]) < 64:
            flow.held[side][seq] = payload
        return
    flow.chunks.append((side, payload, ts))
    nxt = (seq + len(payload)) & 0xFFFFFFFF
    while nxt in flow.held[side]:
        data = flow.held[side].pop(nxt)
        flow.chunks.append((side, data, ts))
        nxt = (nxt + len(data)) & 0xFFFFFFFF
    flow.next_seq[side] = nxt


def flows(path: Path) -> list[Flow]:
    """The TCP/UDP flows of a capture, first packet's sender as originator."""
    table: dict[tuple, Flow] = {}
    for linktype, ts, frame in read_frames(path):
        l3 = _l3(linktype, frame)
        if l3 is None:
            continue
        version, pkt = l3
        if version == 4 and len(pkt) >= 20:
            ihl = (pkt[0] & 0xF) * 4
            total = struct.unpack_from(">H", pkt, 2)[0]
            if struct.unpack_from(">H", pkt, 6)[0] & 0x1FFF or ihl < 20:
                continue  # non-first fragments
            proto, src, dst = pkt[9], pkt[12:16], pkt[16:20]
            l4 = pkt[ihl : max(total, ihl)] if total else pkt[ihl:]
        elif version == 6 and len(pkt) >= 40:
            proto, src, dst = pkt[6], pkt[8:24], pkt[24:40]
            plen = struct.unpack_from(">H", pkt, 4)[0]
            l4 = pkt[40 : 40 + plen]
        else:
            continue
        if proto == 6 and len(l4) >= 20:
            sport, dport, seq = struct.unpack_from(">HHI", l4, 0)
            doff, flags = (l4[12] >> 4) * 4, l4[13]
            payload = l4[doff:]
        elif proto == 17 and len(l4) >= 8:
            sport, dport = struct.unpack_from(">HH", l4, 0)
            payload, seq, flags = l4[8:], 0, 0
        else:
            continue
        a = (str(ipaddress.ip_address(src)), sport)
        b = (str(ipaddress.ip_address(dst)), dport)
        key = (proto, *sorted((a, b)))
        flow = table.get(key)
        if flow is None:
            flow = table[key] = Flow(proto, a, b)
        side = a == flow.orig
        if proto == 6:
            _tcp_in_order(flow, side, seq, flags, payload, ts)
        elif payload:
            flow.chunks.append((side, payload, ts))
    return list(table.values())
