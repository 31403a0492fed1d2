"""Naive, readable reference for the decode kernel, plus a tiny pcap/pcapng reader.

Written independently of ``wirelens.decode._kernel``: one packet at a time, ``struct`` based,
exceptions for control flow. It is slow on purpose; tests compare it column by column with the
kernel on real captures.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path
from typing import NoReturn

import numpy as np

from wirelens.core.batch import PacketBatch, RawBatch

OK, NOT_IP, ARP, MALFORMED, FRAGMENT, UNKNOWN_LINK = range(6)
GRE, ERSPAN, VXLAN, GENEVE, GTPU, IPIP, TEREDO, PPPOE, CAPWAP, AYIYA, MPLS_UDP, L2TP, PBB = range(1, 14)
V4MAP = 0x0000_FFFF_0000_0000
RAW_LINKS = {101, 228, 229, 12, 14}
MAX_DEPTH = 4

COLUMNS = [
    "status",
    "weird",
    "ip_ver",
    "src_hi",
    "src_lo",
    "dst_hi",
    "dst_lo",
    "sport",
    "dport",
    "proto",
    "tcp_flags",
    "tcp_seq",
    "tcp_ack",
    "tcp_win",
    "icmp_type",
    "icmp_code",
    "ttl",
    "ip_len",
    "l3_off",
    "payload_off",
    "payload_len",
    "vlan",
    "vlan_inner",
    "mpls_label",
    "tunnel",
    "tunnel_id",
    "outer_src_hi",
    "outer_src_lo",
    "outer_dst_hi",
    "outer_dst_lo",
    "src_mac",
    "dst_mac",
    "frag_id",
    "frag_off",
    "frag_more",
]


class _Stop(Exception):
    """Decoding of this packet ends with ``status`` (and maybe a weird code)."""

    def __init__(self, status: int, weird: int = 0) -> None:
        super().__init__(status, weird)
        self.status = status
        self.weird = weird


class _Packet:
    """Mutable decoding state of one record."""

    def __init__(self, buf: bytes, base: int) -> None:
        self.buf = buf
        self.base = base
        self.end = len(buf)
        self.row = {c: 0 for c in COLUMNS}
        self.row["l3_off"] = -1
        self.mac_done = False
        self.depth = 0

    # -- helpers ---------------------------------------------------------------------------
    def left(self, pos: int) -> int:
        return self.end - pos

    def need(self, pos: int, n: int, weird: int) -> None:
        if self.end - pos < n:
            self.fail(weird)

    def fail(self, weird: int) -> NoReturn:
        raise _Stop(MALFORMED, weird)

    def note(self, weird: int) -> None:
        if self.row["weird"] == 0:
            self.row["weird"] = weird

    def u8(self, p: int) -> int:
        return self.buf[p]

    def u16(self, p: int) -> int:
        return int(struct.unpack_from("!H", self.buf, p)[0])

    def u32(self, p: int) -> int:
        return int(struct.unpack_from("!I", self.buf, p)[0])

    def mac(self, p: int) -> int:
        return int.from_bytes(self.buf[p : p + 6], "big")

    def tunnel(self, kind: int, ident: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(41)
        if self.row["tunnel"] == 0:
            self.row["tunnel"] = kind
            self.row["tunnel_id"] = ident
            for side in ("src", "dst"):
                for half in ("hi", "lo"):
                    self.row[f"outer_{side}_{half}"] = self.row[f"{side}_{half}"]

    def done(self, poff: int, pend: int) -> None:
        self.row["payload_off"] = self.base + poff
        self.row["payload_len"] = max(0, pend - poff)
        raise _Stop(OK, 0)


# -- link layers ----------------------------------------------------------------------------
def _wrapper(pk: _Packet, lt: int) -> tuple[int, int]:
    """PPI (192) or PKTAP (258, 149): the header's length and the link type it wraps."""
    if lt == 192:
        if pk.left(0) < 8 or pk.u8(0) != 0:
            pk.fail(1)
        length, inner = struct.unpack_from("<HI", pk.buf, 2)
        if length < 8 or length > pk.left(0):
            pk.fail(1)
        return int(length), int(inner)
    pk.need(0, 12, 1)
    length, record, inner = struct.unpack_from("<III", pk.buf, 0)
    if record != 1 or length < 12 or length > pk.left(0):
        pk.fail(1)
    return int(length), int(inner)


def _link(pk: _Packet, lt: int) -> None:
    if lt in (192, 258, 149):
        length, inner = _wrapper(pk, lt)
        pk.buf, pk.base, pk.end = pk.buf[length:], pk.base + length, pk.end - length
        if inner in (192, 258, 149):  # (one wrapper only)
            raise _Stop(UNKNOWN_LINK, 2)
        _link(pk, inner)
    if lt == 1:
        _ethernet(pk, 0)
    elif lt in RAW_LINKS:
        _ip(pk, 0)
    elif lt == 113:
        pk.need(0, 16, 1)
        if pk.u16(4) == 6:
            pk.row["src_mac"] = pk.mac(6)
            pk.mac_done = True
        _ethertype(pk, pk.u16(14), 16)
    elif lt == 276:
        pk.need(0, 20, 1)
        if pk.u8(11) == 6:
            pk.row["src_mac"] = pk.mac(12)
            pk.mac_done = True
        _ethertype(pk, pk.u16(0), 20)
    elif lt in (0, 108):
        pk.need(0, 4, 1)
        (family,) = struct.unpack_from("!I", pk.buf, 0)
        if lt == 0:
            (little,) = struct.unpack_from("<I", pk.buf, 0)
            if little < 0x10000:
                family = little
        if family not in (2, 24, 28, 30):
            raise _Stop(NOT_IP)
        _ip(pk, 4)
    elif lt in (9, 50):
        if pk.left(0) >= 1 and pk.u8(0) in (0x0F, 0x8F):
            pk.need(0, 4, 1)
            _ethertype(pk, pk.u16(2), 4)
        _ppp(pk, 0)
    elif lt == 104:
        pk.need(0, 4, 1)
        _ethertype(pk, pk.u16(2), 4)
    elif lt == 127:
        if pk.left(0) < 8 or pk.u8(0) != 0:
            pk.fail(1)
        (rlen,) = struct.unpack_from("<H", pk.buf, 2)
        if rlen < 8 or rlen > pk.left(0):
            pk.fail(1)
        _wifi(pk, rlen)
    elif lt == 105:
        _wifi(pk, 0)
    elif lt == 239:
        _nflog(pk)
    elif lt in (281, 284, 285):  # Ethernet with a switch tag before the ethertype
        tag = 8 if lt == 285 else 4
        pk.need(0, 14 + tag, 1)
        pk.row["dst_mac"], pk.row["src_mac"] = pk.mac(0), pk.mac(6)
        pk.mac_done = True
        _ethertype(pk, pk.u16(12 + tag), 14 + tag)
    elif lt == 129:  # Linux ARCnet: source, destination, offset, protocol id [flag, seq]
        pk.need(0, 5, 1)
        pid = pk.u8(4)
        if pid in (240, 241):  # RFC 1051
            _ethertype(pk, 0x0800 if pid == 240 else 0x0806, 5)
        if pid not in (212, 213, 196):
            raise _Stop(NOT_IP)
        pk.need(0, 8, 1)
        flag = pk.u8(5)
        if flag == 0xFF or (flag != 0 and flag % 2 == 0):  # (an exception, a later piece)
            raise _Stop(NOT_IP)
        _ethertype(pk, {212: 0x0800, 213: 0x0806, 196: 0x86DD}[pid], 8)
    elif lt == 282:  # a Broadcom tag, then Ethernet
        pk.need(0, 4, 1)
        _ethernet(pk, 4)
    elif lt in (10, 100):  # FDDI (frame control, destination, source), ATM: LLC/SNAP
        skip = 13 if lt == 10 else 0
        pk.need(0, skip + 8, 1)
        if pk.buf[skip : skip + 3] != b"\xaa\xaa\x03":
            raise _Stop(NOT_IP)  # (another LLC)
        _ethertype(pk, pk.u16(skip + 6), skip + 8)
    elif lt == 226:  # Solaris ipnet
        pk.need(0, 24, 1)
        if pk.u8(1) not in (2, 26):
            raise _Stop(NOT_IP)
        _ip(pk, 24)
    raise _Stop(UNKNOWN_LINK, 2)


def _nflog(pk: _Packet) -> None:
    """NFLOG: family, version, resource id; then (length, type) TLVs in host order, padded
    to 4 bytes, the packet in type 9 (NFULA_PAYLOAD)."""
    pk.need(0, 4, 1)
    family, version = pk.buf[0], pk.buf[1]
    if version != 0 or family not in (2, 10):
        raise _Stop(NOT_IP)
    pos = 4
    while pk.left(pos) >= 4:
        room = pk.left(pos)
        chosen = None
        for fmt in ("<HH", ">HH"):
            length, kind = struct.unpack_from(fmt, pk.buf, pos)
            kind &= 0x3FFF
            if 4 <= length <= room:
                chosen = (length, kind)
                break
            if length >= 4 and kind == 9:  # the packet, cut by the snap length
                _ip(pk, pos + 4)
        if chosen is None:
            pk.fail(1)
        length, kind = chosen
        if kind == 9:
            pk.end = pos + length
            _ip(pk, pos + 4)
        pos += -(-length // 4) * 4
    if pos < pk.end:
        pk.fail(1)
    raise _Stop(NOT_IP)


def _wifi(pk: _Packet, pos: int, cisco_swap: bool = False) -> None:
    pk.need(pos, 2, 1)
    fc0, fc1 = pk.u8(pos), pk.u8(pos + 1)
    if cisco_swap and fc0 & 3 and not fc1 & 3:  # byte-swapped frame control (Cisco CAPWAP)
        fc0, fc1 = fc1, fc0
    if fc0 & 3 or (fc0 >> 2) & 3 != 2:
        raise _Stop(NOT_IP)
    subtype = fc0 >> 4
    to_ds, from_ds = bool(fc1 & 1), bool(fc1 & 2)
    hdr = 30 if (to_ds and from_ds) else 24
    if subtype & 8:
        hdr += 2 + (4 if fc1 & 0x80 else 0)
    pk.need(pos, hdr, 1)
    if not pk.mac_done:  # inside a tunnel the outermost MACs are kept
        addr = [pk.mac(pos + 4), pk.mac(pos + 10), pk.mac(pos + 16)]
        pk.row["dst_mac"] = addr[2] if to_ds else addr[0]
        if to_ds and from_ds:
            pk.row["src_mac"] = pk.mac(pos + 24)
        else:
            pk.row["src_mac"] = addr[2] if from_ds else addr[1]
        pk.mac_done = True
    if subtype & 4:
        raise _Stop(NOT_IP)
    if fc1 & 0x40:
        raise _Stop(NOT_IP, 71)
    qos = 30 if (to_ds and from_ds) else 24
    if subtype & 8 and pk.u8(pos + qos) & 0x80:  # an A-MSDU: its first subframe
        pos += 14
    pos += hdr
    if pk.left(pos) >= 8 and pk.buf[pos : pos + 3] == b"\xaa\xaa\x03":
        _ethertype(pk, pk.u16(pos + 6), pos + 8)
    raise _Stop(NOT_IP)


def _ethernet(pk: _Packet, pos: int) -> None:
    pk.need(pos, 14, 1)
    if not pk.mac_done:
        pk.row["dst_mac"] = pk.mac(pos)
        pk.row["src_mac"] = pk.mac(pos + 6)
        pk.mac_done = True
    _ethertype(pk, pk.u16(pos + 12), pos + 14)


def _ppp(pk: _Packet, pos: int) -> None:
    if pk.left(pos) >= 2 and pk.buf[pos : pos + 2] == b"\xff\x03":
        pos += 2
    pk.need(pos, 1, 1)
    if pk.u8(pos) & 1:
        proto, pos = pk.u8(pos), pos + 1
    else:
        pk.need(pos, 2, 1)
        proto, pos = pk.u16(pos), pos + 2
    if proto in (0x21, 0x57):
        _ip(pk, pos)
    if proto in (0x281, 0x283):
        _ethertype(pk, 0x8847, pos)
    raise _Stop(NOT_IP)


def _pw_control_word(pk: _Packet, pos: int) -> bool:
    """RFC 4448 §4.6 / RFC 4385 §3: 0 nibble, flags and fragment bits 0, length 0 or the
    payload's (under 64 bytes)."""
    if pk.left(pos) < 4 or pk.u8(pos) != 0:
        return False
    b = pk.u8(pos + 1)
    return b >> 6 == 0 and (b & 0x3F) in (0, pk.left(pos) - 4)


def _known_frame(pk: _Packet, pos: int, end: int | None = None) -> bool:
    """An Ethernet frame whose ethertype we read (IPv4/IPv6 with their version nibble): what a
    pseudowire (RFC 4448) or VXLAN on Linux's port carries."""
    if (pk.end if end is None else end) - pos < 15:
        return False
    et, version = pk.u16(pos + 12), pk.u8(pos + 14) >> 4
    return {0x0800: version == 4, 0x86DD: version == 6}.get(
        et, et in (0x0806, 0x8100, 0x88A8, 0x8847))


def _ethertype(pk: _Packet, et: int, pos: int) -> None:
    while True:
        if et in (0x0800, 0x86DD):
            _ip(pk, pos)
        if et in (0x8100, 0x88A8, 0x9100):
            pk.need(pos, 4, 1)
            vid = pk.u16(pos) & 0x0FFF
            if pk.row["vlan"] == 0:
                pk.row["vlan"] = vid
            elif pk.row["vlan_inner"] == 0:
                pk.row["vlan_inner"] = vid
            et, pos = pk.u16(pos + 2), pos + 4
            continue
        if et in (0x8847, 0x8848):
            while True:
                pk.need(pos, 4, 1)
                word = pk.u32(pos)
                if pk.row["mpls_label"] == 0:
                    pk.row["mpls_label"] = (word >> 12) + 1
                pos += 4
                if word & 0x100:
                    break
            pk.need(pos, 1, 1)
            nibble = pk.u8(pos) >> 4
            if nibble in (4, 6):
                _ip(pk, pos)
            if nibble == 0 and _pw_control_word(pk, pos) and _known_frame(pk, pos + 4):
                _ethernet(pk, pos + 4)  # a pseudowire's control word, then the frame
            if nibble != 1 and _known_frame(pk, pos):  # a frame, no control word
                _ethernet(pk, pos)
            raise _Stop(NOT_IP)
        if et == 0x8864:
            pk.need(pos, 8, 40)
            session, ppp_proto = pk.u16(pos + 2), pk.u16(pos + 6)
            pk.tunnel(PPPOE, session)
            if ppp_proto in (0x21, 0x57):
                _ip(pk, pos + 8)
            raise _Stop(NOT_IP)
        if et == 0x0806:
            _arp(pk, pos)
        if et == 0x6558:
            _ethernet(pk, pos)
        if et == 0x88E7:  # IEEE 802.1ah: the I-TAG, then the customer's frame
            pk.need(pos, 4, 40)
            pk.tunnel(PBB, pk.u32(pos) & 0xFFFFFF)
            _ethernet(pk, pos + 4)
        if et in (0x8926, 0x8909):  # Cisco VN-Tag (4 bytes), Cisco MetaData (6), an ethertype
            tag = 4 if et == 0x8926 else 6
            pk.need(pos, tag + 2, 1)
            et, pos = pk.u16(pos + tag), pos + tag + 2
            continue
        if et == 0x88E5:  # MACsec
            sectag = 14 if pk.left(pos) >= 1 and pk.u8(pos) & 0x20 else 6
            pk.need(pos, sectag + 2, 1)
            if pk.u8(pos) & 0x0C:  # encrypted or modified
                raise _Stop(NOT_IP)
            et, pos = pk.u16(pos + sectag), pos + sectag + 2
            continue
        if et == 0x894F:  # Network Service Header
            pk.need(pos, 8, 1)
            hlen, nxt = (pk.u8(pos + 1) & 0x3F) * 4, pk.u8(pos + 3)
            pk.need(pos, hlen, 1)
            if pk.u8(pos) >> 6 or hlen < 8:
                raise _Stop(NOT_IP)
            pos += hlen
            if nxt in (1, 2):
                _ip(pk, pos)
            if nxt == 3:
                _ethernet(pk, pos)
            if nxt in (4, 5):
                et = 0x894F if nxt == 4 else 0x8847
                continue
            raise _Stop(NOT_IP)
        if et == 0x8903:  # Cisco FabricPath
            pk.need(pos, 2, 1)
            _ethernet(pk, pos + 2)
        if et <= 1500 and pk.left(pos) >= 8 and pk.buf[pos : pos + 3] == b"\xaa\xaa\x03":
            et, pos = pk.u16(pos + 6), pos + 8
            continue
        raise _Stop(NOT_IP)


def _arp(pk: _Packet, pos: int) -> None:
    pk.need(pos, 8, 70)
    _htype, ptype, hln, pln = struct.unpack_from("!HHBB", pk.buf, pos)
    pk.need(pos, 8 + 2 * hln + 2 * pln, 70)
    sha = pos + 8
    spa = sha + hln
    tha = spa + pln
    tpa = tha + hln
    if hln == 6:
        pk.row["src_mac"] = pk.mac(sha)
        pk.row["dst_mac"] = pk.mac(tha)
    if ptype == 0x0800 and pln == 4:
        pk.row["src_hi"] = pk.row["dst_hi"] = 0
        pk.row["src_lo"] = V4MAP | pk.u32(spa)
        pk.row["dst_lo"] = V4MAP | pk.u32(tpa)
    raise _Stop(ARP)


# -- IP -------------------------------------------------------------------------------------
def _clip(pk: _Packet, ip_end: int) -> None:
    if ip_end < pk.end:
        pk.end = ip_end
    elif ip_end > pk.end:
        pk.note(13)


def _ip(pk: _Packet, pos: int) -> None:
    pk.need(pos, 1, 10)
    version = pk.u8(pos) >> 4
    row = pk.row
    if version == 4:
        pk.need(pos, 20, 10)
        ihl = (pk.u8(pos) & 0x0F) * 4
        if ihl < 20:
            pk.fail(12)
        pk.need(pos, ihl, 10)
        _vhl, _tos, total, ident, frag, ttl, proto = struct.unpack_from("!BBHHHBB", pk.buf, pos)
        if total == 0:  # segmentation offload: the captured length
            total = pk.end - pos
        if total < ihl:
            pk.fail(15)
        row.update(ip_ver=4, ip_len=total, ttl=ttl, src_hi=0, dst_hi=0, l3_off=pk.base + pos)
        row["src_lo"] = V4MAP | pk.u32(pos + 12)
        row["dst_lo"] = V4MAP | pk.u32(pos + 16)
        cut = pos + total > pk.end
        _clip(pk, pos + total)
        l3 = pos
        pos += ihl
        more, offset = bool(frag & 0x2000), (frag & 0x1FFF) * 8
        if more or offset:
            row.update(frag_id=ident, frag_off=offset, frag_more=int(more))
            if not (cut and offset == 0):  # a cut first fragment is decoded as a packet
                row["proto"] = proto
                _fragment(pk, pos)
        _transport(pk, proto, pos, l3 + total)
    elif version == 6:
        pk.need(pos, 40, 10)
        plen, nxt, hops = struct.unpack_from("!HBB", pk.buf, pos + 4)
        if plen == 0 and nxt in (0, 6, 17) and pk.end - pos >= 48:  # jumbogram, offload
            plen = pk.end - pos - 40
        src = pk.buf[pos + 8 : pos + 24]
        dst = pk.buf[pos + 24 : pos + 40]
        row.update(ip_ver=6, ip_len=40 + plen, ttl=hops, l3_off=pk.base + pos)
        row["src_hi"], row["src_lo"] = struct.unpack("!QQ", src)
        row["dst_hi"], row["dst_lo"] = struct.unpack("!QQ", dst)
        cut = pos + 40 + plen > pk.end
        _clip(pk, pos + 40 + plen)
        l3 = pos
        pos += 40
        while True:
            if nxt in (0, 43, 60, 135, 51):
                pk.need(pos, 2, 14)
                size = (pk.u8(pos + 1) + 2) * 4 if nxt == 51 else (pk.u8(pos + 1) + 1) * 8
                pk.need(pos, size, 14)
                nxt = pk.u8(pos)
                pos += size
            elif nxt == 44:
                pk.need(pos, 8, 14)
                inner, _res, fo, ident = struct.unpack_from("!BBHI", pk.buf, pos)
                pos += 8
                if fo & 0xFFF8 or fo & 1:
                    row.update(frag_id=ident, frag_off=fo & 0xFFF8, frag_more=fo & 1)
                    if not (cut and not fo & 0xFFF8):
                        row["proto"] = inner
                        _fragment(pk, pos)
                nxt = inner
            else:
                break
        _transport(pk, nxt, pos, l3 + 40 + plen)
    pk.fail(11)


def _fragment(pk: _Packet, pos: int) -> None:
    pk.row["payload_off"] = pk.base + pos
    pk.row["payload_len"] = max(0, pk.end - pos)
    raise _Stop(FRAGMENT)


def _transport(pk: _Packet, proto: int, pos: int, ip_end: int) -> None:
    row = pk.row
    seg = pk.end - pos
    if proto in (4, 41):
        pk.tunnel(IPIP, 0)
        if pk.left(pos) >= 1 and pk.u8(pos) >> 4 != (4 if proto == 4 else 6):
            pk.fail(11)  # the protocol number names the inner header's version
        _ip(pk, pos)
    if proto == 47:
        _gre(pk, pos)
    row["proto"] = proto
    if proto == 6:
        if seg < 20:
            pk.fail(30)
        sp, dp, seq, ack, off, flags, win = struct.unpack_from("!HHIIBBH", pk.buf, pos)
        row.update(sport=sp, dport=dp, tcp_seq=seq, tcp_ack=ack, tcp_flags=flags, tcp_win=win)
        hlen = (off >> 4) * 4
        if hlen < 20 or pos + hlen > ip_end:
            pk.fail(31)
        if hlen > seg:
            pk.note(30)
            pk.done(pk.end, pk.end)
        pk.done(pos + hlen, pk.end)
    if proto in (17, 136):
        if seg < 8:
            pk.fail(32)
        sp, dp, ulen = struct.unpack_from("!HHH", pk.buf, pos)
        bad = proto == 17 and (ulen < 8 or (pos + ulen > ip_end and not row.get("frag_more")))
        if bad and not (ulen == 0 and ip_end - pos > 65535):  # (0: a jumbogram's)
            pk.note(33)  # the IP datagram bounds the payload
        body = pos + 8
        body_end = min(pk.end, pos + ulen) if proto == 17 and not bad else pk.end
        _udp_tunnels(pk, sp, dp, body, body_end)
        row.update(sport=sp, dport=dp)
        pk.done(body, body_end)
    if proto in (1, 58):
        if seg < 4:
            pk.fail(34)
        row.update(icmp_type=pk.u8(pos), icmp_code=pk.u8(pos + 1))
        pk.done(pos + min(8, seg), pk.end)
    if proto == 132:
        if seg < 12:
            pk.fail(35)
        sp, dp = struct.unpack_from("!HH", pk.buf, pos)
        row.update(sport=sp, dport=dp)
        pk.done(pos + 12, pk.end)
    pk.done(pos, pk.end)


def _gre(pk: _Packet, pos: int) -> None:
    pk.need(pos, 4, 40)
    flags, ptype = pk.u16(pos), pk.u16(pos + 2)
    version = flags & 7
    key = 0
    if version == 0:
        size = 4
        if flags & 0x8000 or flags & 0x4000:
            size += 4
        if flags & 0x2000:
            pk.need(pos, size + 4, 40)
            key = pk.u32(pos + size)
            size += 4
        if flags & 0x1000:
            size += 4
        if flags & 0x4000:
            while True:
                pk.need(pos, size + 4, 40)
                family, sre_len = pk.u16(pos + size), pk.u8(pos + size + 3)
                size += 4 + sre_len
                if family == 0 and sre_len == 0:
                    break
    elif version == 1:
        size = 8
        if pk.left(pos) >= 8:
            key = pk.u16(pos + 6)
        size += 4 if flags & 0x1000 else 0
        size += 4 if flags & 0x0080 else 0
    else:
        raise _Stop(NOT_IP)
    pk.need(pos, size, 40)
    pos += size
    if ptype in (0x88BE, 0x22EB):
        if ptype == 0x22EB:
            hdr = 12
        else:
            hdr = 8 if flags & 0x1000 else 0
        pk.need(pos, hdr, 40)
        session = pk.u16(pos + 2) & 0x3FF if hdr else 0
        if hdr == 12 and pk.u8(pos + 11) & 1:  # ERSPAN III platform-specific subheader
            hdr = 20
            pk.need(pos, hdr, 40)
        pk.tunnel(ERSPAN, session)
        _ethernet(pk, pos + hdr)
    if ptype == 0x8909:  # Cisco MetaData: the ethertype first (cut short: no tunnel entered)
        pk.need(pos, 8, 40)
        ptype, pos = pk.u16(pos), pos + 8
    pk.tunnel(GRE, key)
    if ptype == 0x880B:
        _ppp(pk, pos)
    if ptype >> 8 == 0x82:  # Aruba: an 802.11 frame
        _wifi(pk, pos)
    if ptype == 0x883E:  # WCCP: v2's redirect header unless an IPv4 header starts at once
        _ip(pk, pos + 4 if pk.left(pos) >= 1 and pk.u8(pos) >> 4 != 4 else pos)

    _ethertype(pk, ptype, pos)


def _udp_tunnels(pk: _Packet, sp: int, dp: int, body: int, body_end: int) -> None:
    size = body_end - body
    b = pk.buf
    if (dp == 4789 and size >= 8 and b[body] & 0x08) or (
            dp == 8472 and size >= 8 and pk.u32(body) == 0x08000000 and b[body + 7] == 0
            and _known_frame(pk, body + 8, body_end)):
        pk.tunnel(VXLAN, pk.u32(body + 4) >> 8)
        pk.end = body_end
        _ethernet(pk, body + 8)
    if dp == 6081 and size >= 8 and b[body] >> 6 == 0:
        hdr = 8 + (b[body] & 0x3F) * 4
        if size < hdr:
            pk.fail(40)
        pk.tunnel(GENEVE, pk.u32(body + 4) >> 8)
        pk.end = body_end
        _ethertype(pk, pk.u16(body + 2), body + hdr)
    if (
        2152 in (sp, dp)
        and size >= 8
        and b[body] >> 5 == 1
        and b[body] & 0x10
        and b[body + 1] == 0xFF
    ):
        hdr = 8
        if b[body] & 0x07:
            if size < 12:
                pk.fail(40)
            hdr = 12
            ext = b[body + 11]
            while ext:
                if size < hdr + 1:
                    pk.fail(40)
                ext_len = b[body + hdr] * 4
                if ext_len == 0 or size < hdr + ext_len:
                    pk.fail(40)
                ext = b[body + hdr + ext_len - 1]
                hdr += ext_len
        if size > hdr and b[body + hdr] >> 4 in (4, 6):
            pk.tunnel(GTPU, pk.u32(body + 4))
            pk.end = body_end
            _ip(pk, body + hdr)
        return
    if 5247 in (sp, dp) and size >= 8 and b[body] == 0:  # CAPWAP data, RFC 5415 4.3
        hlen = (b[body + 1] >> 3) * 4
        if hlen < 8 or size < hlen:
            pk.fail(40)
        tbit = b[body + 2] & 1
        wbid = (((b[body + 1] & 7) << 8 | b[body + 2]) >> 1) & 0x1F
        pk.tunnel(CAPWAP, 0)
        pk.end = body_end
        if b[body + 3] & 0x80 or b[body + 3] & 0x08:  # fragment / keep-alive
            raise _Stop(NOT_IP)
        if not tbit:
            _ethernet(pk, body + hlen)
        if wbid == 1:
            _wifi(pk, body + hlen, cisco_swap=True)
        raise _Stop(NOT_IP)
    if 3544 in (sp, dp):
        t = body
        if body_end - t >= 4 and b[t : t + 2] == b"\x00\x01":
            t += 4 + b[t + 2] + b[t + 3] + 9
        if body_end - t >= 8 and b[t : t + 2] == b"\x00\x00":
            t += 8
        if body_end - t >= 40 and b[t] >> 4 == 6 and 40 + pk.u16(t + 4) <= body_end - t:
            pk.tunnel(TEREDO, 0)
            pk.end = body_end
            _ip(pk, t)
        return
    if 1701 in (sp, dp) and size >= 6 and pk.u16(body) & 0x800F == 2:  # L2TPv2 data
        flags = pk.u16(body)
        head = 6 + 2 * bool(flags & 0x4000) + 4 * bool(flags & 0x0800)
        if flags & 0x0200:
            head = head + 2 + pk.u16(body + head) if size >= head + 2 else size + 1
        if size <= head:
            pk.fail(40)
        pk.tunnel(L2TP, 0)
        pk.end = body_end
        _ppp(pk, body + head)
    if dp == 6635 and size >= 4:  # MPLS in UDP (RFC 7510)
        pk.tunnel(MPLS_UDP, 0)
        pk.end = body_end
        _ethertype(pk, 0x8847, body)
    if 5072 in (sp, dp) and size >= 8:  # AYIYA (SixXS)
        id_len = 2 ** (b[body] >> 4)
        sig_len = 4 * (b[body + 1] >> 4)
        opcode, next_header = b[body + 2] & 0x0F, b[body + 3]
        inner = body + 8 + id_len + sig_len
        room = body_end - inner
        if opcode != 1 or next_header not in (4, 41):
            return
        if next_header == 4:
            if room < 20 or b[inner] >> 4 != 4:
                return
            ihl = (b[inner] & 0x0F) * 4
            if not 20 <= ihl <= room or pk.u16(inner + 2) < ihl:
                return
        elif room < 40 or b[inner] >> 4 != 6:
            return
        pk.tunnel(AYIYA, 0)
        pk.end = body_end
        _ip(pk, inner)


def decode_record(buf: bytes, linktype: int, base: int = 0) -> dict[str, int]:
    """Decode one record (its captured bytes) into a dict of PacketBatch column values.

    ``base`` is the record's offset in the batch buffer (added to the offset columns).
    """
    pk = _Packet(buf, base)
    try:
        _link(pk, linktype)
    except _Stop as stop:
        row = pk.row
        row["status"] = stop.status
        if stop.weird and row["weird"] == 0:
            row["weird"] = stop.weird
        if stop.status not in (OK, FRAGMENT):
            row["payload_off"] = base
            row["payload_len"] = 0
        return row
    raise AssertionError("unreachable: every path ends with _Stop")


def decode_batch(raw: RawBatch) -> list[dict[str, int]]:
    """Every record of ``raw`` through :func:`decode_record`."""
    out = []
    data = raw.data.tobytes()
    for i in range(len(raw)):
        off, cap = int(raw.offset[i]), int(raw.caplen[i])
        out.append(decode_record(data[off : off + cap], int(raw.linktype[i]), off))
    return out


def column_mismatches(
    rows: list[dict[str, int]], pkts: PacketBatch
) -> list[tuple[int, str, int, int]]:
    """(row, column, naive value, kernel value) for every difference."""
    bad = []
    for i, row in enumerate(rows):
        for col in COLUMNS:
            got = int(getattr(pkts, col)[i])
            if got != row[col]:
                bad.append((i, col, row[col], got))
    return bad


# -- a tiny capture reader (pcap, pcapng, gzip) -------------------------------------------------
def read_capture(path: Path, limit: int | None = None) -> RawBatch:
    """Read a pcap or pcapng file (optionally gzip-compressed) into one RawBatch.

    Forgiving: stops quietly at the first damaged record; keeps what was read.
    """
    blob = Path(path).read_bytes()
    if blob[:2] == b"\x1f\x8b":
        try:
            blob = gzip.decompress(blob)
        except (OSError, EOFError):
            blob = b""
    records: list[tuple[int, int, int, int, int]] = []  # offset, caplen, wirelen, ts_ns, lt
    magic = blob[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        _read_pcapng(blob, records, limit)
    elif len(blob) >= 24:
        _read_pcap(blob, records, limit)
    data = np.frombuffer(blob, dtype=np.uint8) if blob else np.zeros(0, np.uint8)
    cols: list[tuple[int, ...]] = list(zip(*records)) if records else [()] * 5
    return RawBatch(
        data=data,
        offset=np.array(cols[0], dtype=np.int64),
        caplen=np.array(cols[1], dtype=np.uint32),
        wirelen=np.array(cols[2], dtype=np.uint32),
        ts_ns=np.array([t & 0x7FFF_FFFF_FFFF_FFFF for t in cols[3]], dtype=np.int64),
        linktype=np.array(cols[4], dtype=np.uint16),
        source=str(path),
    )


_Record = tuple[int, int, int, int, int]
"""offset, caplen, wirelen, ts_ns, linktype of one record"""


def _read_pcap(blob: bytes, records: list[_Record], limit: int | None) -> None:
    magics = {
        b"\xd4\xc3\xb2\xa1": ("<", 1000),
        b"\xa1\xb2\xc3\xd4": (">", 1000),
        b"\x4d\x3c\xb2\xa1": ("<", 1),
        b"\xa1\xb2\x3c\x4d": (">", 1),
    }
    if blob[:4] not in magics:
        return
    order, scale = magics[blob[:4]]
    linktype = struct.unpack_from(order + "I", blob, 20)[0] & 0xFFFF
    pos = 24
    while pos + 16 <= len(blob) and (limit is None or len(records) < limit):
        sec, frac, cap, wire = struct.unpack_from(order + "IIII", blob, pos)
        pos += 16
        if cap > 262144 or pos + cap > len(blob):
            return
        records.append((pos, cap, wire, sec * 1_000_000_000 + frac * scale, linktype))
        pos += cap


def _read_pcapng(blob: bytes, records: list[_Record], limit: int | None) -> None:
    order = "<"
    links: list[tuple[int, int]] = []  # (linktype, ns per tick)
    pos = 0
    while pos + 12 <= len(blob) and (limit is None or len(records) < limit):
        btype = struct.unpack_from(order + "I", blob, pos)[0]
        if btype == 0x0A0D0D0A:
            bom = blob[pos + 8 : pos + 12]
            order = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack_from(order + "I", blob, pos + 4)[0]
        if blen < 12 or pos + blen > len(blob):
            return
        body = pos + 8
        if btype == 1 and blen >= 20:
            lt = struct.unpack_from(order + "H", blob, body)[0]
            links.append((lt, _if_tsresol(blob, order, body + 8, pos + blen - 4)))
        elif btype == 6 and blen >= 32:
            iface, hi, lo, cap, wire = struct.unpack_from(order + "IIIII", blob, body)
            if iface < len(links) and body + 20 + cap <= pos + blen:
                lt, tick = links[iface]
                records.append((body + 20, cap, wire, ((hi << 32) | lo) * tick, lt))
        elif btype == 3 and blen >= 16:
            wire = struct.unpack_from(order + "I", blob, body)[0]
            cap = min(wire, blen - 16)
            if links:
                records.append((body + 4, cap, wire, 0, links[0][0]))
        pos += blen


def _if_tsresol(blob: bytes, order: str, pos: int, end: int) -> int:
    while pos + 4 <= end:
        code, length = struct.unpack_from(order + "HH", blob, pos)
        if code == 0:
            break
        if code == 9 and length >= 1:
            v = blob[pos + 4]
            if v & 0x80:
                return max(1, int(1e9 / (2 ** (v & 0x7F))))
            return max(1, 10 ** (9 - v)) if v <= 9 else 1
        pos += 4 + ((length + 3) & ~3)
    return 1000
