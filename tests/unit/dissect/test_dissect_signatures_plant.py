"""Signatures of industrial, instrument and railway field buses over IP (``signatures_plant``):
TRDP, Ether-S-Bus, CAN-ETH, HiSLIP, Lustre LNet, CN/IP, Ether-S-I/O, FLUTE, EGD, CPHA.

Synthetic messages are built field by field from the specifications the classes cite; each
negative breaks one checked fact. Real captures: the flows nDPI labels with each service, a
negative corpus (flows nDPI labels with another protocol) and the registry with and without
these classes (nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections import Counter

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st
from test_dissect_signatures_captures import ndpi_samples

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_plant import (
    PLANT_SIGNATURES,
    CanUdpDissector,
    CnpIpDissector,
    CphaDissector,
    EgdDissector,
    EtherSBusDissector,
    EtherSioDissector,
    FluteDissector,
    HislipDissector,
    LustreDissector,
    TrdpDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the specifications cited in the classes) --------------------------


def trdp_pd(kind: bytes = b"Pd", data: bytes = b"Hello World", version: int = 0x0100,
            reserved: int = 0, pad: bool = True, fcs: int | None = None,
            size: int | None = None) -> bytes:
    """IEC 61375-2-3 §A.6.2 PD header: sequence counter, version, type, comId, topography
    counters, dataset length, reserved, reply comId / address, header FCS; then the data."""
    head = struct.pack(">IH2sIIIIIII", 7, version, kind, 1000, 0, 0,
                       len(data) if size is None else size, reserved, 0, 0)
    crc = zlib.crc32(head) if fcs is None else fcs
    body = data + bytes(-len(data) % 4 if pad else 0)
    return head + struct.pack("<I", crc) + body


def trdp_md(kind: bytes = b"Mr", data: bytes = b"How are you?", version: int = 0x0100,
            pad: bool = True, fcs: int | None = None, size: int | None = None) -> bytes:
    """§A.7.2 MD header: ..., reply status, session id (UUID), reply timeout, source and
    destination URIs (32 bytes each), header FCS (116 bytes); then the data."""
    head = (struct.pack(">IH2sIIIIi", 3, version, kind, 1001, 0, 0,
                        len(data) if size is None else size, 0)
            + bytes(range(16)) + struct.pack(">I", 2_000_000) + b"dev1@car1".ljust(32, b"\0")
            + b"dev2@car2".ljust(32, b"\0"))
    crc = zlib.crc32(head) if fcs is None else fcs
    return head + struct.pack("<I", crc) + data + bytes(-len(data) % 4 if pad else 0)


def crc_xmodem(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def sbus(attr: int = 0, telegram: bytes = b"\x0a\x20", version: int = 1, kind: int = 0,
         size: int | None = None, crc: int | None = None) -> bytes:
    """Ether-S-Bus: length, version, protocol type, sequence, attribute, telegram, CRC."""
    body = struct.pack(">BBHB", version, kind, 1, attr) + telegram
    n = 4 + len(body) + 2
    frame = struct.pack(">I", n if size is None else size) + body
    return frame + struct.pack(">H", crc_xmodem(frame) if crc is None else crc)


def can_frame(ident: int = 0x123, data: bytes = b"\x01\x02\x03", ext: int = 0,
              rtr: int = 0) -> bytes:
    """CAN-ETH frame: identifier (LE), length, 8 data bytes, extended flag, RTR flag."""
    return struct.pack("<IB", ident, len(data)) + data.ljust(8, b"\0") + bytes((ext, rtr))


def can_eth(frames: list[bytes] | None = None, version: int = 1, count: int | None = None,
            magic: bytes = b"ISO11898", options: bytes = b"") -> bytes:
    frames = [can_frame(), can_frame(0x18FEF100, b"\xff" * 8, 1)] if frames is None else frames
    return (magic + bytes((version, len(frames) if count is None else count))
            + b"".join(frames) + options)


def hislip(kind: int = 0, control: int = 0, param: int = 0x01005253, body: bytes = b"hislip0",
           size: int | None = None, prologue: bytes = b"HS") -> bytes:
    """IVI-6.1 §6.1 header: prologue, type, control code, parameter, 64-bit length."""
    return prologue + struct.pack(">BBIQ", kind, control, param,
                                  len(body) if size is None else size) + body


def nid(addr: int = 0xC0A85883, net: int = 0, lnd: int = 2) -> bytes:
    """LNet NID: address (low 32 bits), network number, LND type (high 16 bits), LE."""
    return struct.pack("<IHH", addr, net, lnd)


def lnet_acceptor(version: int = 1, target: bytes | None = None) -> bytes:
    return struct.pack("<II", 0xACCE7100, version) + (nid() if target is None else target)


def lnet_hello(version: int = 3, ips: int = 0, ctype: int = 2, src: bytes | None = None,
               dst: bytes | None = None, nips: int | None = None) -> bytes:
    """socklnd hello: magic, version, NIDs, pids, incarnations, connection type, addresses."""
    return (struct.pack("<II", 0x45726963, version) + (nid(0xC0A85884) if src is None else src)
            + (nid() if dst is None else dst) + struct.pack("<IIQQII", 12345, 0, 0x17F0820A,
                                                            0, ctype, ips if nips is None else nips)
            + b"\xc0\xa8\x58\x84" * ips)


def lnet_msg(kind: int = 1, length: int = 32, dst: bytes | None = None,
             src: bytes | None = None, ksm: int = 0xC1) -> bytes:
    """socklnd V3 message (type, checksum, cookies) + LNet header (72 bytes) + payload."""
    hdr = ((nid(0xC0A85877) if dst is None else dst) + (nid(0xC0A85876) if src is None else src)
           + struct.pack("<IIII", 12345, 12345, kind, length) + bytes(40))
    return struct.pack("<IIQQ", ksm, 0, 0, 0) + hdr + b"\xaa" * min(length, 64)


def cnip(kind: int = 1, body: bytes = b"\x01\x09\x01\xaa\x01\xa9\x01\x03\x81\x0d\x00\xca",
         version: int = 1, ext: int = 0, flags: int = 0, vendor: int = 0,
         size: int | None = None) -> bytes:
    """EIA-852 header: length, version, type, ext. header size, flags, vendor, session,
    sequence, timestamp."""
    rest = struct.pack(">BBBBHIII", version, kind, ext, flags, vendor, 0x6B8B4567, 1, 0)
    rest += bytes(4 * ext) + body
    return struct.pack(">H", len(rest) + 2 if size is None else size) + rest


ESIO_TRANSFER = (b"\x00\x00\x00\x18\x00\x00\x00\x0d\x01\x00\x00\x00\x00\x5c\x00\x00\x00\x01"
                 b"\x00\x11\x00\x00\x0b\x30" + bytes(12) + b"\xff")
ESIO_STATUS = b"\x00\x00\x00\x01\x00\x0c\x00\x00\x00\x0d\x00\x01"


def esio(kind: int = 1, body: bytes = ESIO_TRANSFER, version: int = 0,
         size: int | None = None, magic: bytes = b"ESIO") -> bytes:
    """Ether-S-I/O header: magic, telegram type, version, length, transaction id."""
    n = 12 + len(body)
    return magic + struct.pack(">HHHH", kind, version, n if size is None else size, 30230) + body


def egd(data: bytes = bytes(27), kind: int = 13, version: int = 1, producer: int = 0x4D08A8C0,
        nsec: int = 740_000_000, status: int = 0, reserved: int = 0) -> bytes:
    """EGD header (little-endian): type, version, request id, producer, exchange, seconds,
    nanoseconds, status, configuration signature, reserved; then the data."""
    return struct.pack("<BBHIIIIIII", kind, version, 61652, producer, 123, 947817150, nsec,
                       status, 0, reserved) + data


def cpha(opcode: int = 1, version: int = 3121, ids: int = 2, report: int = 1, mode: int = 0,
         states: bytes = b"\x00\x02", magic: int = 0x1A90) -> bytes:
    """CPHAP header (20 bytes) and, for FWHA_MY_STATE, the state report."""
    head = struct.pack(">HHHHHHHHHH", magic, version, 10117, opcode, 22, 31038, 1, 65534,
                       57418, 256)
    if opcode != 1:
        return head + bytes(12)
    return head + struct.pack(">HHHH", ids, report, mode, 2058) + states + bytes(20)


FDT = b'<?xml version="1.0" encoding="UTF-8"?>\n<FDT-Instance Expires="3600"></FDT-Instance>'


def flute(flags: int = 0x10, exts: bytes | None = None, toi: int = 0, first: int = 0x10,
          body: bytes = FDT, hdr_len: int | None = None, cci: int = 0) -> bytes:
    """LCT header (RFC 5651 §5.1): V/C/PSI, S/O/H/Res/A/B, HDR_LEN, codepoint, CCI, TSI,
    TOI (H=1: 16 bits each), header extensions; the FEC payload ID; the FDT Instance."""
    if exts is None:
        exts = (b"\xc0\x10\x00\x02"  # EXT_FDT: FLUTE version 1, FDT instance 2
                + b"\x40\x04" + (566).to_bytes(6, "big") + b"\x00\x00\x05\x9c\x00\x00\x00\x40")
    c = (first >> 2) & 3
    s, o, h = flags >> 7, (flags >> 5) & 3, (flags >> 4) & 1
    ids = bytes(4 * s + 2 * h) + toi.to_bytes(4 * o + 2 * h, "big")
    head = bytes(4 * (c + 1)) + ids + exts
    size = (4 + len(head)) // 4 if hdr_len is None else hdr_len
    return bytes((first, flags, size, 0)) + head + bytes(4) + body


# (class, transport, payload): each is identified as its class by the registry
POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (TrdpDissector, UDP, trdp_pd()),
    (TrdpDissector, UDP, trdp_pd(pad=False)),
    (TrdpDissector, UDP, trdp_pd(b"Pr", b"")),
    (TrdpDissector, UDP, trdp_pd(b"Pp", bytes(8))),
    (TrdpDissector, UDP, trdp_pd(b"Pe", b"", version=0x0102)),
    (TrdpDissector, UDP, trdp_md()),
    (TrdpDissector, UDP, trdp_md(b"Mn", b"")),
    (TrdpDissector, UDP, trdp_md(b"Mp", pad=False)),
    (TrdpDissector, UDP, trdp_md(b"Mq")),
    (TrdpDissector, UDP, trdp_md(b"Mc", b"")),
    (TrdpDissector, UDP, trdp_md(b"Me", b"")),
    (TrdpDissector, TCP, trdp_md()),
    (TrdpDissector, TCP, trdp_md(b"Mp", b"x" * 400)[:200]),
    (EtherSBusDissector, UDP, sbus()),
    (EtherSBusDissector, UDP, sbus(1, b"D2M48020\x00", version=0)),
    (EtherSBusDissector, UDP, sbus(2, b"\x00\x00", version=0)),
    (CanUdpDissector, UDP, can_eth()),
    (CanUdpDissector, UDP, can_eth([can_frame()] * 16)),
    (CanUdpDissector, UDP, can_eth([can_frame(0x7FF, b"", 0, 1)], options=b"\x00" * 4)),
    (HislipDissector, TCP, hislip()),
    (HislipDissector, TCP, hislip(0, param=0x02004B53, body=b"inst0")),
    (HislipDissector, TCP, hislip(1, 0, 0x01000001, b"")),
    (HislipDissector, TCP, hislip(17, 0, 1, b"")),
    (HislipDissector, TCP, hislip(18, 0, 0x474B, b"")),
    (HislipDissector, TCP, hislip(7, 0, 0xFFFFFF00, b"*IDN?\n")),
    (HislipDissector, TCP, hislip(6, 0, 2, b"x" * 1000, size=100000)),
    (HislipDissector, TCP, hislip(21, 1, 0, b"") + hislip(7, 0, 3, b"MEAS?\n")),
    (LustreDissector, TCP, lnet_acceptor()),
    (LustreDissector, TCP, lnet_hello()),
    (LustreDissector, TCP, lnet_hello(2, ips=2, ctype=0, dst=bytes(8))),
    (LustreDissector, TCP, lnet_hello(ctype=3, src=nid(0x0A000001, 1, 5))),
    (LustreDissector, TCP, lnet_msg()),
    (LustreDissector, TCP, lnet_msg(0, 0)),
    (LustreDissector, TCP, lnet_msg(4, 1 << 20)),
    (CnpIpDissector, UDP, cnip()),
    (CnpIpDissector, UDP, cnip(ext=1)),
    (CnpIpDissector, UDP, cnip(0x60, b"")),
    (CnpIpDissector, UDP, cnip(0x07, b"\x00\x00\x00\x01", flags=0x20)),
    (CnpIpDissector, UDP, cnip(0x71, bytes(40))),
    (EtherSioDissector, UDP, esio()),
    (EtherSioDissector, UDP, esio(2, ESIO_STATUS)),
    (FluteDissector, UDP, flute()),
    (FluteDissector, UDP, flute(0xA0, b"\xc0\x20\x00\x07", first=0x14)),
    (FluteDissector, UDP, flute(0xA3, b"\xc0\x10\x00\x01", body=b"<FDT-Instance Expires='1'/>")),
    (EgdDissector, UDP, egd()),
    (EgdDissector, UDP, egd(bytes(1400), status=7, nsec=999_999_999)),
    (EgdDissector, UDP, egd(b"", status=1)),
    (CphaDissector, UDP, cpha()),
    (CphaDissector, UDP, cpha(ids=1, report=3, mode=4, states=b"\x04")),
    (CphaDissector, UDP, cpha(ids=3, report=2, states=b"")),
    (CphaDissector, UDP, cpha(3, version=1)),
    (CphaDissector, UDP, cpha(10, version=2922)),
]  # fmt: skip

_MD = trdp_md()
_PD = trdp_pd()

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (TrdpDissector, UDP, trdp_pd(version=0x0200), "version 2"),
    (TrdpDissector, UDP, trdp_pd(b"Px"), "PD type Px"),
    (TrdpDissector, UDP, trdp_md(b"Mx"), "MD type Mx"),
    (TrdpDissector, UDP, trdp_pd(fcs=0x12345678), "PD header FCS"),
    (TrdpDissector, UDP, trdp_md(fcs=0), "MD header FCS"),
    (TrdpDissector, UDP, _PD[:9] + b"\x01" + _PD[10:], "PD header changed after the FCS"),
    (TrdpDissector, UDP, trdp_pd(reserved=1), "PD reserved word"),
    (TrdpDissector, UDP, trdp_pd(size=40), "PD dataset length"),
    (TrdpDissector, UDP, trdp_md(size=99), "MD dataset length"),
    (TrdpDissector, UDP, trdp_pd(b"Pd", bytes(1436)), "PD dataset over 1432"),
    (TrdpDissector, UDP, trdp_pd() + bytes(4), "PD datagram longer"),
    (TrdpDissector, TCP, trdp_pd(), "PD over TCP"),
    (TrdpDissector, TCP, _MD[:115], "MD header cut over TCP"),
    (EtherSBusDissector, UDP, sbus(size=14), "length"),
    (EtherSBusDissector, UDP, sbus(version=2), "version 2"),
    (EtherSBusDissector, UDP, sbus(kind=1), "protocol type 1"),
    (EtherSBusDissector, UDP, sbus(3), "attribute 3"),
    (EtherSBusDissector, UDP, sbus(crc=0x1234), "CRC"),
    (EtherSBusDissector, UDP, sbus(0, b""), "no telegram byte"),
    (EtherSBusDissector, UDP, sbus(1, bytes(600)), "over 512 bytes"),
    (CanUdpDissector, UDP, can_eth(magic=b"ISO11899"), "magic"),
    (CanUdpDissector, UDP, can_eth(version=2), "version 2"),
    (CanUdpDissector, UDP, can_eth(count=0), "frame count 0"),
    (CanUdpDissector, UDP, can_eth([can_frame()] * 17), "frame count 17"),
    (CanUdpDissector, UDP, can_eth(count=3), "frames beyond the datagram"),
    (HislipDissector, TCP, hislip(prologue=b"HT"), "prologue"),
    (HislipDissector, TCP, hislip(39, body=b""), "type 39"),
    (HislipDissector, TCP, hislip(200, body=b""), "vendor type 200"),
    (HislipDissector, TCP, hislip(control=1), "Initialize control code"),
    (HislipDissector, TCP, hislip(param=0x03005253), "Initialize version 3"),
    (HislipDissector, TCP, hislip(body=b"hislip\x00"), "Initialize sub-address not text"),
    (HislipDissector, TCP, hislip(body=b"a" * 257), "Initialize sub-address over 256"),
    (HislipDissector, TCP, hislip(size=9), "Initialize cut"),
    (HislipDissector, TCP, hislip(1, body=b"", size=1 << 32), "length over 2^32"),
    (HislipDissector, TCP, hislip(1, body=b"", size=4), "non-data message cut"),
    (HislipDissector, TCP, hislip(1, body=b"") + b"HS", "second header cut"),
    (LustreDissector, TCP, lnet_acceptor(2), "acceptor version 2"),
    (LustreDissector, TCP, lnet_acceptor(target=nid(lnd=0)), "acceptor LND type 0"),
    (LustreDissector, TCP, lnet_acceptor(target=nid(lnd=17)), "acceptor LND type 17"),
    (LustreDissector, TCP, lnet_acceptor(target=nid(0)), "acceptor address 0"),
    (LustreDissector, TCP, lnet_acceptor() + bytes(4), "acceptor length"),
    (LustreDissector, TCP, lnet_hello(1), "hello version 1"),
    (LustreDissector, TCP, lnet_hello(4), "hello version 4"),
    (LustreDissector, TCP, lnet_hello(ctype=4), "hello connection type 4"),
    (LustreDissector, TCP, lnet_hello(ips=17), "hello 17 addresses"),
    (LustreDissector, TCP, lnet_hello(ips=1, nips=2), "hello address count"),
    (LustreDissector, TCP, lnet_hello(src=nid(lnd=0x102)), "hello source NID"),
    (LustreDissector, TCP, lnet_hello(dst=nid(lnd=99)), "hello destination NID"),
    (LustreDissector, TCP, lnet_msg(5), "LNet type 5"),
    (LustreDissector, TCP, lnet_msg(1, (1 << 20) + 1), "payload over 1 MiB"),
    (LustreDissector, TCP, lnet_msg(dst=nid(lnd=0)), "message destination NID"),
    (LustreDissector, TCP, lnet_msg(src=nid(0)), "message source address 0"),
    (LustreDissector, TCP, lnet_msg(ksm=0xC0), "NOOP"),
    (CnpIpDissector, UDP, cnip(size=31), "length"),
    (CnpIpDissector, UDP, cnip(version=2), "version 2"),
    (CnpIpDissector, UDP, cnip(0x02), "packet type 2"),
    (CnpIpDissector, UDP, cnip(vendor=1), "vendor code"),
    (CnpIpDissector, UDP, cnip(flags=0x40), "reserved flag bit"),
    (CnpIpDissector, UDP, cnip(flags=0x01), "data packet protocol code 1"),
    (CnpIpDissector, UDP, cnip(1, b""), "empty data packet"),
    (CnpIpDissector, UDP, cnip(0x60, b"")[:4] + b"\x05" + cnip(0x60, b"")[5:],
     "extended header beyond the packet"),
    (CnpIpDissector, UDP, cnip(0x60, bytes(1500)), "over 1500 bytes"),
    (EtherSioDissector, UDP, esio(magic=b"ESIP"), "magic"),
    (EtherSioDissector, UDP, esio(3), "telegram type 3"),
    (EtherSioDissector, UDP, esio(version=1), "version 1"),
    (EtherSioDissector, UDP, esio(size=48), "length"),
    (EtherSioDissector, UDP, esio(2, ESIO_STATUS[:7]), "shorter than 20"),
    (FluteDissector, UDP, flute(first=0x20), "LCT version 2"),
    (FluteDissector, UDP, flute(0x14), "reserved bit"),
    (FluteDissector, UDP, flute(0x00, b"\xc0\x10\x00\x02"), "no TSI and no TOI"),
    (FluteDissector, UDP, flute(0x80, b"\xc0\x10\x00\x02"), "no TOI"),
    (FluteDissector, UDP, flute(toi=1), "TOI 1"),
    (FluteDissector, UDP, flute(exts=b"\x40\x04" + bytes(14)), "no EXT_FDT"),
    (FluteDissector, UDP, flute(exts=b"\xc0\x30\x00\x02"), "FLUTE version 3"),
    (FluteDissector, UDP, flute(exts=b"\xc0\x10\x00\x02\xc1\x01\x00\x00"), "EXT_CENC"),
    (FluteDissector, UDP, flute(exts=b"\xc0\x10\x00\x02\x40\x00\x00\x00"), "HEL 0"),
    (FluteDissector, UDP, flute(exts=b"\xc0\x10\x00\x02\x40\x02\x00\x00"), "HEL overruns"),
    (FluteDissector, UDP, flute(hdr_len=2), "header length below the fixed fields"),
    (FluteDissector, UDP, flute(hdr_len=200), "header length beyond the datagram"),
    (FluteDissector, UDP, flute(body=b"{\"fdt\": 1}"), "not XML"),
    (EgdDissector, UDP, egd(kind=14), "PDU type 14"),
    (EgdDissector, UDP, egd(version=2), "version 2"),
    (EgdDissector, UDP, egd(producer=0), "producer id 0"),
    (EgdDissector, UDP, egd(nsec=1_000_000_000), "nanoseconds"),
    (EgdDissector, UDP, egd(status=5), "status 5"),
    (EgdDissector, UDP, egd(reserved=1), "reserved"),
    (EgdDissector, UDP, egd(bytes(1401)), "data over 1400"),
    (CphaDissector, UDP, cpha(magic=0x1A91), "magic"),
    (CphaDissector, UDP, cpha(version=0), "version 0"),
    (CphaDissector, UDP, cpha(0), "opcode 0"),
    (CphaDissector, UDP, cpha(11), "opcode 11"),
    (CphaDissector, UDP, cpha(ids=0, states=b""), "no ids"),
    (CphaDissector, UDP, cpha(ids=17, states=bytes(17)), "17 ids"),
    (CphaDissector, UDP, cpha(report=4), "report code 4"),
    (CphaDissector, UDP, cpha(mode=5), "HA mode 5"),
    (CphaDissector, UDP, cpha(states=b"\x00\x05"), "machine state 5"),
    (CphaDissector, UDP, cpha()[:29], "states cut"),
]  # fmt: skip


def _accepted_prefixes(cls: type[Dissector], proto: int,
                       payload: bytes) -> tuple[bool, set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted),
    as the class docstrings say."""
    n = len(payload)
    if cls is TrdpDissector:
        if proto == TCP:
            return False, set(range(116, n))
        head = 40 if payload[6] == 0x50 else 116
        return True, {head + struct.unpack_from(">I", payload, 20)[0]}
    if cls is CanUdpDissector:
        return False, set(range(10 + 15 * payload[9], n))
    if cls is HislipDissector and payload[2] in (6, 7):
        return int.from_bytes(payload[8:16], "big") <= n - 16, set(range(16, n))
    if cls is HislipDissector and n > 32 and payload[18] == 7:  # a DataEnd second message
        return True, set(range(32, n)) | {16}
    if cls is LustreDissector and payload[0] == 0xC1:
        return False, set(range(96, n))
    if cls is EgdDissector:
        return False, set(range(32, n))
    if cls is CphaDissector:
        if payload[7] != 1:
            return False, set(range(20, n))
        report, ids = payload[23], payload[21]
        return False, set(range(28 + (ids if report & 1 else 0), n))
    if cls is FluteDissector:
        return False, set(range(payload[2] * 4 + 9, n))
    return True, set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    cls, proto, payload = case
    sf.check_identified_on_any_ports(cls, proto, payload, PLANT_SIGNATURES, both_sides_match=True)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Every prefix gives a bool; prefixes cutting the fixed part are refused; exact-length
    tests refuse appended junk."""
    cls, proto, payload = case
    # (TRDP: a datagram followed by a single zero byte is still accepted)
    sf.check_truncations(cls, proto, payload, *_accepted_prefixes(cls, proto, payload),
                         one_zero=cls is not TrdpDissector)


@sf.positives(POSITIVES)
def test_feed_is_identification_only(case: tuple[type[Dissector], int, bytes]) -> None:
    sf.check_feed_identification_only(*case)


def test_screens_hold_on_positives() -> None:
    """Each positive passes one of its class's screens (checked here byte by byte; the
    shared screens test checks them on the corpus)."""
    for cls, proto, payload in POSITIVES:
        assert sf.screens_admit(cls, payload, proto), (cls.name, payload[:16].hex())


def test_module_facts() -> None:
    names = [c.name for c in PLANT_SIGNATURES]
    assert names == ["trdp", "ether_s_bus", "can_udp", "hislip", "lustre", "cnp_ip",
                     "ethersio", "flute", "egd", "cpha"]
    assert all(c in registry.DISSECTORS for c in PLANT_SIGNATURES)
    for cls in PLANT_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.__doc__ and "matches" in cls.__doc__
        assert cls.ports or cls is FluteDissector
        assert cls.first_bytes or cls is TrdpDissector
    screened = Counter(p for c in PLANT_SIGNATURES for p in c.screens)
    assert screened[TCP] <= 3 and screened[UDP] <= 4


@pytest.mark.parametrize("cls", PLANT_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


@sf.FUZZ
@given(st.sampled_from(PLANT_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(PLANT_SIGNATURES, proto, payload, edits)


def test_matches_is_cheap_on_random_payloads() -> None:
    """Random 100-byte payloads (first byte admitted by the class) cost a few µs each."""
    rng = random.Random(7)
    for cls in PLANT_SIGNATURES:
        firsts = sorted(cls.first_bytes or range(256))
        payloads = [bytes([rng.choice(firsts)]) + rng.randbytes(99) for _ in range(2000)]
        for proto in sorted(cls.transports):
            assert sf.matches_cost(cls, payloads, proto) < 20e-6, cls.name


# --- real captures --------------------------------------------------------------------------

DATA, CFGS, needs_data = sf.DATA, sf.CFGS, sf.needs_data

NDPI_LABELS = {
    "trdp": {"TRDP"}, "ether_s_bus": {"Ether-S-Bus"}, "can_udp": {"Controller_Area_Network"},
    "hislip": {"HiSLIP"}, "lustre": {"Lustre"}, "cnp_ip": {"CNP-IP"},
    "ethersio": {"EtherSIO"}, "flute": {"FLUTE"}, "egd": {"EthernetGlobalData"},
    "cpha": {"CPHA"},
}  # fmt: skip
"""nDPI's master-protocol labels per service."""


# (hits, total) on the flows nDPI labels with the service: every flow is taken.
# - can_udp 8/8: can.pcap's 8 datagrams (the same 45-byte CAN-ETH payload on 8 address pairs).
# - trdp 3/3: a PD flow (UDP 17224), an MD flow over UDP and one over TCP (17225).
# - hislip 4/4: 2 synchronous-channel flows (Initialize / InitializeResponse) and 2
#   asynchronous ones (AsyncInitialize / AsyncInitializeResponse).
# - lustre 2/2: one flow from its acceptor request (and hellos), one from its middle
#   (socklnd V3 LNet PUT messages both ways).
NDPI_EXPECTED = {
    "trdp": (3, 3), "ether_s_bus": (1, 1), "can_udp": (8, 8), "hislip": (4, 4),
    "lustre": (2, 2), "cnp_ip": (1, 1), "ethersio": (1, 1), "flute": (1, 1), "egd": (1, 1),
    "cpha": (1, 1),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(PLANT_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


@needs_data
def test_every_side_of_the_positive_flows() -> None:
    """Both directions' first payloads are taken where the flow has two (a response is as
    strict as a request)."""
    sides: Counter[str] = Counter()
    for s in ndpi_samples():
        for name, labels in NDPI_LABELS.items():
            if s.label in labels:
                cls = next(c for c in PLANT_SIGNATURES if c.name == name)
                assert all(cls.matches(d, s.proto, side) for side, d in s.firsts), s
                sides[name] += len(s.firsts)
    assert dict(sides) == {"trdp": 5, "ether_s_bus": 2, "can_udp": 8, "hislip": 8,
                           "lustre": 4, "cnp_ip": 1, "ethersio": 1, "flute": 1, "egd": 1,
                           "cpha": 1}


EXPLAINED: dict[tuple[str, str], str] = {}
"""Hits on flows nDPI labels with another protocol, each explained (none)."""


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow nDPI labels with another protocol."""
    hits, unlabelled = sf.corpus_hits(PLANT_SIGNATURES, NDPI_LABELS, by_capture=True)
    assert set(hits) <= set(EXPLAINED)
    assert hits == {}
    # flows without an nDPI label: nfstream's copy of cpha.pcap (tests/pcaps/cpha.pcap,
    # whose results file names its one flow CPHA): a positive of the capture named after
    # the protocol
    assert dict(unlabelled) == {("cpha", "cpha.pcap"): 1}


NEW_SIDES: dict[str, int] = {
    "can_udp": 8, "trdp": 5, "hislip": 4, "lustre": 4, "ether_s_bus": 2, "cpha": 2,
    "cnp_ip": 1, "ethersio": 1, "flute": 1, "egd": 1,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes, per service: every
first payload of the positive flows (cpha: the labelled flow and its unlabelled copy)."""
CHANGED: Counter[tuple[str, str]] = Counter({("dns", "hislip"): 4})
"""First payloads another dissector named before these classes and one of them names now:
hislip.pcap's 16-byte HiSLIP headers without payload (2 InitializeResponse, 2
AsyncInitialize), which the DNS-over-TCP test took (the "HS" prologue read as a length
prefix); nDPI labels the 4 flows HiSLIP, and HiSLIP's port 4880 breaks the tie."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, PLANT_SIGNATURES)
    assert changed == CHANGED
    assert dict(new) == NEW_SIDES
