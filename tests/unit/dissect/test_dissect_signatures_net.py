"""Network-infrastructure signatures (``signatures_net``): built messages, fuzzing, captures.

Every positive is built field by field from the spec its class cites (RFC 2865, RFC 3954,
RFC 7011, TS 29.060 / 29.274, RFC 2608 / 2165, RFC 5880, RFC 2281, RFC 1350 / 2347,
RFC 3435, RFC 6886 / 6887, collectd's binary protocol); every negative breaks exactly one
checked fact. Each positive is identified by the whole registry as its class, on the
well-known ports and on random high ports (identification is by content).

Fuzz invariant (hypothesis, 250 ms deadline per input): for any bytes ``matches`` returns a
bool and never raises, and refuses random payloads (except NAT-PMP's 2-byte external
address request ``00 00``, a fixed value it takes by design); ``feed`` returns no events.

Real captures (skipped without /work/shared/data): exact (hits, total) per service on the
flows nDPI labels with it and on other projects' captures named after it; a negative corpus
(flows nDPI labels with another protocol: no hit), and nothing the registry identified
without these classes changes identity with them.
"""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st
from test_dissect_signatures_captures import (
    DATA,
    Sample,
    _samples,
)
from wl_dissect_builders import OTHER_FIRST_PAYLOADS, mutate
from wl_strategies import uniform_bytes

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures import SIGNATURE_DISSECTORS
from wirelens.dissect.signatures_net import (
    NET_SIGNATURES,
    BfdDissector,
    CollectdDissector,
    GtpControlDissector,
    HsrpDissector,
    MgcpDissector,
    NatPmpDissector,
    NetflowDissector,
    RadiusDissector,
    SlpDissector,
    TftpDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the specs cited in the dissectors) -------------------------------


def attr(kind: int, value: bytes) -> bytes:
    """RFC 2865 §5: type, length (type + length + value), value."""
    return bytes([kind, 2 + len(value)]) + value


def radius(code: int = 1, attrs: bytes | None = None) -> bytes:
    """RFC 2865 §3: code, identifier, length, 16-byte authenticator, attributes."""
    if attrs is None:
        attrs = (attr(1, b"alice") + attr(2, bytes(range(16))) + attr(4, bytes([10, 0, 0, 1]))
                 + attr(5, struct.pack(">I", 7)) + attr(80, bytes(16)))
    return struct.pack(">BBH", code, 42, 20 + len(attrs)) + bytes(range(100, 116)) + attrs


NF5_RECORD = (bytes([10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0, 0])
              + struct.pack(">HHIIII", 1, 2, 3, 180, 100, 200)
              + struct.pack(">HHBBBBHHBBH", 443, 51000, 0, 0x18, 6, 0, 0, 0, 24, 24, 0))
"""One v5 flow record: addresses, ifindexes, counters, times, ports, pad1, flags, protocol,
ToS, AS numbers, masks, pad2."""


def netflow5(count: int = 2) -> bytes:
    """v5: version, count, sysUptime, secs, nsecs, sequence, engine type/id, sampling."""
    head = struct.pack(">HHIIIIBBH", 5, count, 1000, 1_700_000_000, 0, 77, 0, 0, 0)
    return head + NF5_RECORD * count


def nf_set(set_id: int, body: bytes) -> bytes:
    """A FlowSet (RFC 3954 §5.2) / Set (RFC 7011 §3.3.2): id, length, body."""
    return struct.pack(">HH", set_id, 4 + len(body)) + body


TEMPLATE = struct.pack(">HHHHHH", 256, 2, 8, 4, 12, 4)  # id 256, 2 fields: src/dst IPv4
DATA_RECORDS = bytes([10, 0, 0, 1, 10, 0, 0, 2]) * 2


def netflow9(sets: bytes | None = None, count: int = 3) -> bytes:
    """RFC 3954 §5.1 header, then a template FlowSet and a data FlowSet."""
    if sets is None:
        sets = nf_set(0, TEMPLATE) + nf_set(256, DATA_RECORDS)
    return struct.pack(">HHIIII", 9, count, 1000, 1_700_000_000, 5, 0) + sets


def ipfix(sets: bytes | None = None, delta: int = 0) -> bytes:
    """RFC 7011 §3.1 header (length = whole message), a template Set and a data Set."""
    if sets is None:
        sets = nf_set(2, TEMPLATE) + nf_set(256, DATA_RECORDS)
    return struct.pack(">HHIII", 10, 16 + len(sets) + delta, 1_700_000_000, 9, 1) + sets


def cd_part(kind: int, value: bytes) -> bytes:
    """collectd part: type, length (header included), value."""
    return struct.pack(">HH", kind, 4 + len(value)) + value


CD_PARTS = (cd_part(0x0008, struct.pack(">Q", 1 << 40))
            + cd_part(0x0009, struct.pack(">Q", 10 << 30))
            + cd_part(0x0002, b"cpu\x00") + cd_part(0x0003, b"0\x00") + cd_part(0x0004, b"cpu\x00")
            + cd_part(0x0005, b"idle\x00")
            + cd_part(0x0006, struct.pack(">HB", 1, 2) + struct.pack(">q", 123456)))  # fmt: skip


def collectd(host: bytes = b"devlap.example", parts: bytes = CD_PARTS) -> bytes:
    """A host part first, then the other parts."""
    return cd_part(0x0000, host + b"\x00") + parts


def collectd_signed() -> bytes:
    """Signature part: 32-byte HMAC, user name; the signed parts follow."""
    return cd_part(0x0200, bytes(range(32)) + b"user") + collectd()


def collectd_encrypted(user: bytes = b"user") -> bytes:
    """Encryption part covering the datagram: user length, user, IV, SHA-1, ciphertext."""
    body = struct.pack(">H", len(user)) + user + bytes(range(16)) + bytes(range(20)) + bytes(64)
    return cd_part(0x0210, body)


GTP1_IES = (b"\x02" + bytes.fromhex("1132547698badcf0") + b"\x0e\x05" + b"\x0f\x01"
            + b"\x10" + struct.pack(">I", 0x1111) + b"\x11" + struct.pack(">I", 0x2222)
            + b"\x14\x05" + b"\x85\x00\x04\x0a\x00\x00\x01")  # fmt: skip


def gtp1c(flags: int = 0x32, kind: int = 16, ext: bytes = b"", nxt: int = 0,
          ies: bytes = GTP1_IES) -> bytes:
    """TS 29.060 §6: flags, type, length (after the first 8 bytes), TEID, sequence, N-PDU,
    next extension type, extension headers, IEs."""
    rest = struct.pack(">HBB", 0x130B, 0, nxt) + ext + ies
    return struct.pack(">BBHI", flags, kind, len(rest), 0) + rest


def gtp2_ie(kind: int, value: bytes, instance: int = 0) -> bytes:
    """TS 29.274 §8.2.1: type, length, spare/instance, value."""
    return struct.pack(">BHB", kind, len(value), instance) + value


GTP2_IES = (gtp2_ie(1, bytes.fromhex("1132547698badcf0")) + gtp2_ie(76, bytes.fromhex("3412"))
            + gtp2_ie(82, b"\x06") + gtp2_ie(71, b"\x08internet"))  # fmt: skip


def gtp2c(flags: int = 0x48, kind: int = 32, ies: bytes = GTP2_IES, spare: int = 0) -> bytes:
    """TS 29.274 §5.1: flags, type, length (after the first 4 bytes), [TEID], sequence (3),
    spare; then IEs."""
    teid = struct.pack(">I", 0x01020304) if flags & 0x08 else b""
    rest = teid + b"\x00\x00\x2a" + bytes([spare]) + ies
    return struct.pack(">BBH", flags, kind, len(rest)) + rest


def slp2(function: int = 1, flags: int = 0x2000, lang: bytes = b"en", ext: int = 0,
         body: bytes | None = None) -> bytes:
    """RFC 2608 §8: version, function, 3-byte length, flags, next-extension offset (3), XID,
    language tag; body of a SrvRqst (§8.1): PRList, service type, scopes, predicate, SPI."""
    if body is None:
        body = b"\x00\x00" + b"\x00\x0fservice:printer" + b"\x00\x07DEFAULT" + b"\x00\x00" * 2
    size = 14 + len(lang) + len(body)
    head = bytes([2, function]) + size.to_bytes(3, "big") + struct.pack(">H", flags)
    return head + ext.to_bytes(3, "big") + struct.pack(">HH", 0x1234, len(lang)) + lang + body


def slp1(function: int = 9, flags: int = 0x00, encoding: int = 3, lang: bytes = b"en") -> bytes:
    """RFC 2165 §7: version, function, length, flags, dialect, language, encoding, XID."""
    body = b"\x00\x00" + b"\xff\xff" + b"\x00\x07default"
    return struct.pack(">BBHBB", 1, function, 12 + len(body), flags, 0) + lang + struct.pack(
        ">HH", encoding, 0x94FD) + body


def bfd(state: int = 3, flags: int = 0, diag: int = 0, detect: int = 3, mine: int = 1,
        yours: int = 2, tx: int = 1_000_000, auth: bytes = b"") -> bytes:
    """RFC 5880 §4.1: version/diag, state/flags, detect mult, length, discriminators, the
    three intervals, [authentication section] (A bit 0x04 set by the caller)."""
    return struct.pack(">BBBBIIIII", 0x20 | diag, state << 6 | flags, detect, 24 + len(auth),
                       mine, yours, tx, 1_000_000, 0) + auth


def hsrp0(op: int = 0, state: int = 16, hello: int = 3, hold: int = 10, reserved: int = 0) -> bytes:
    """RFC 2281 §5: version, op code, state, hellotime, holdtime, priority, group, reserved,
    authentication data, virtual IP."""
    return bytes([0, op, state, hello, hold, 100, 1, reserved]) + b"cisco\x00\x00\x00" + bytes(
        [192, 168, 0, 1])


def hsrp2(state: int = 6, ipver: int = 4, hello: int = 3000, hold: int = 10000,
          tail: bytes = b"\x03\x08cisco\x00\x00\x00") -> bytes:
    """HSRPv2 Group State TLV (type 1, length 40) and a Text Authentication TLV."""
    vip = bytes([10, 52, 220, 126]) + bytes(12)
    if ipver == 6:
        vip = bytes.fromhex("fe80" + "00" * 13 + "01")
    value = (bytes([2, 0, state, ipver]) + struct.pack(">H", 920) + bytes.fromhex("700f6aeff5bf")
             + struct.pack(">III", 90, hello, hold) + vip)  # fmt: skip
    return bytes([1, len(value)]) + value + tail


def tftp(op: int = 1, *fields: bytes) -> bytes:
    """RFC 1350 §5 / RFC 2347: opcode, then NUL-terminated strings."""
    return struct.pack(">H", op) + b"".join(f + b"\x00" for f in fields)


def natpmp_map(op: int = 2, internal: int = 8080, reserved: int = 0) -> bytes:
    """RFC 6886 §3.3 mapping request."""
    return struct.pack(">BBHHHI", 0, op, reserved, internal, 8080, 7200)


def pcp(opcode: int = 1, response: bool = False, options: bytes = b"", result: int = 0) -> bytes:
    """RFC 6887 §7.1 / §7.2 header, the MAP (§11.1) or PEER (§12.1) payload, options."""
    if response:
        head = struct.pack(">BBBBII", 2, 0x80 | opcode, 0, result, 7200, 12345) + bytes(12)
    else:
        client = bytes(10) + b"\xff\xff" + bytes([192, 168, 1, 5])  # IPv4-mapped
        head = struct.pack(">BBHI", 2, opcode, 0, 7200) + client
    nonce = bytes(range(12))
    payload = {
        0: b"",
        1: nonce + b"\x06\x00\x00\x00" + struct.pack(">HH", 8080, 8080) + bytes(16),
        2: nonce + b"\x06\x00\x00\x00" + struct.pack(">HH", 8080, 8080) + bytes(16)
        + struct.pack(">HH", 443, 0) + bytes(16),
    }.get(opcode, b"")
    return head + payload + options


PCP_OPTION = b"\x01\x00\x00\x10" + bytes(16)  # THIRD_PARTY (RFC 6887 §13.1), 16-byte address

MGCP_RQNT = (b"RQNT 1201 aaln/1@rgw-2567.whatever.net MGCP 1.0\r\n"
             b"N: ca@ca1.whatever.net:5678\r\nX: 0123456789AC\r\nR: l/hd(N)\r\n")
MGCP_RSIP = b"RSIP 262662134 *@vg224 MGCP 0.1\nRM: graceful\nRD: 0\n"
MGCP_CRCX = (b"crcx 1204 aaln/1@rgw-2567.whatever.net MGCP 1.0 NCS 1.0\r"
             b"C: A3C47F21456789F0\rL: p:10, a:PCMU\rM: recvonly\r")



def _after_line(command: bytes) -> frozenset[int]:
    """Prefixes of an MGCP command holding its whole first line (and its end)."""
    eol = min(i for i in (command.find(b"\r"), command.find(b"\n")) if i >= 0)
    return frozenset(range(eol + 1, len(command)))


Case = tuple[type[Dissector], int, bytes, frozenset[int]]
"""(class, transport, payload, prefix lengths that are whole messages themselves)."""

POSITIVES: list[Case] = [
    (RadiusDissector, UDP, radius(), frozenset()),
    (RadiusDissector, UDP, radius(2, attr(6, struct.pack(">I", 2)) + attr(18, b"Hello")), frozenset()),
    (RadiusDissector, UDP, radius(3, b""), frozenset()),
    (RadiusDissector, UDP, radius(4, attr(40, struct.pack(">I", 1)) + attr(44, b"00000001")), frozenset()),
    (RadiusDissector, UDP, radius(43, attr(1, b"bob") + attr(8, bytes([10, 1, 2, 3]))), frozenset()),
    (NetflowDissector, UDP, netflow5(), frozenset()),
    (NetflowDissector, UDP, netflow5(30), frozenset()),
    (NetflowDissector, UDP, netflow9(), frozenset({36})),
    (NetflowDissector, UDP, netflow9(nf_set(1, bytes(12)) + nf_set(300, bytes(8)), 1), frozenset({36})),
    (NetflowDissector, UDP, ipfix(), frozenset()),
    (NetflowDissector, UDP, ipfix(nf_set(3, bytes(10)) + nf_set(256, DATA_RECORDS)), frozenset()),
    (CollectdDissector, UDP, collectd(), frozenset({19, 31, 43, 51, 57, 65, 74})),
    (CollectdDissector, UDP, collectd_signed(), frozenset({59, 71, 83, 91, 97, 105, 114})),
    (CollectdDissector, UDP, collectd_encrypted(), frozenset()),
    (GtpControlDissector, UDP, gtp1c(), frozenset()),
    (GtpControlDissector, UDP, gtp1c(0x33, 20, ies=b"\x14\x05"), frozenset()),
    (GtpControlDissector, UDP, gtp1c(0x36, 18, b"\x01\xab\xcd\x00", 0xC0), frozenset()),
    (GtpControlDissector, UDP, gtp2c(), frozenset()),
    (GtpControlDissector, UDP, gtp2c(0x40, 1, gtp2_ie(3, b"\x07")), frozenset()),
    (GtpControlDissector, UDP, gtp2c(0x4C, 33, gtp2_ie(2, b"\x10\x00"), spare=0x50), frozenset()),
    (GtpControlDissector, UDP, gtp2c(0x58, 33, gtp2_ie(2, b"\x10\x00")) + gtp2c(0x48, 95), frozenset()),
    (SlpDissector, UDP, slp2(), frozenset()),
    (SlpDissector, UDP, slp2(9, 0x0000, b"en-US"), frozenset()),
    (SlpDissector, UDP, slp2(3, 0x4000, ext=30, body=bytes(40)), frozenset()),
    (SlpDissector, TCP, slp2(2, 0x8000), frozenset()),
    (SlpDissector, UDP, slp1(), frozenset()),
    (SlpDissector, UDP, slp1(1, 0x20, 106, b"de"), frozenset()),
    (BfdDissector, UDP, bfd(), frozenset()),
    (BfdDissector, UDP, bfd(state=1, yours=0, diag=1), frozenset()),
    (BfdDissector, UDP, bfd(flags=0x20 | 0x08), frozenset()),
    (BfdDissector, UDP, bfd(flags=0x04, auth=b"\x01\x09\x01secret"), frozenset()),
    (BfdDissector, UDP, bfd(flags=0x04, auth=b"\x05\x1c\x02\x00" + struct.pack(">I", 5) + bytes(20)), frozenset()),
    (HsrpDissector, UDP, hsrp0(), frozenset()),
    (HsrpDissector, UDP, hsrp0(1, 4), frozenset()),
    (HsrpDissector, UDP, hsrp0(2, 8, 1, 3), frozenset()),
    (HsrpDissector, UDP, hsrp2(), frozenset({42})),
    (HsrpDissector, UDP, hsrp2(5, 6, tail=b"\x02\x04\x00\x01\x00\x00"), frozenset({42})),
    (TftpDissector, UDP, tftp(1, b"rfc1350.txt", b"octet"), frozenset()),
    (TftpDissector, UDP, tftp(2, b"zz.bin", b"NetASCII"), frozenset()),
    (TftpDissector, UDP, tftp(2, b"empty100KB", b"octet", b"blksize", b"1468", b"tsize", b"100000"),
     frozenset({19, 32})),
    (TftpDissector, UDP, tftp(1, b"pxelinux.0", b"mail"), frozenset()),
    (TftpDissector, UDP, tftp(6, b"blksize", b"1468", b"TSIZE", b"100000"), frozenset({15})),
    (TftpDissector, UDP, tftp(6, b"windowsize", b"16"), frozenset()),
    (MgcpDissector, UDP, MGCP_RQNT, _after_line(MGCP_RQNT)),
    (MgcpDissector, UDP, MGCP_RSIP, _after_line(MGCP_RSIP)),
    (MgcpDissector, UDP, MGCP_CRCX, _after_line(MGCP_CRCX)),
    (NatPmpDissector, UDP, b"\x00\x00", frozenset()),
    (NatPmpDissector, UDP, natpmp_map(1), frozenset()),
    (NatPmpDissector, UDP, natpmp_map(2), frozenset()),
    (NatPmpDissector, UDP, b"\x00\x80\x00\x00" + struct.pack(">I", 2849501) + bytes([10, 201, 213, 174]), frozenset()),
    (NatPmpDissector, UDP, b"\x00\x82\x00\x00" + struct.pack(">IHHI", 99, 8080, 8080, 7200), frozenset()),
    (NatPmpDissector, UDP, pcp(1), frozenset()),
    (NatPmpDissector, UDP, pcp(1, options=PCP_OPTION), frozenset({60})),
    (NatPmpDissector, UDP, pcp(2), frozenset()),
    (NatPmpDissector, UDP, pcp(0), frozenset()),
    (NatPmpDissector, UDP, pcp(1, response=True), frozenset()),
    (NatPmpDissector, UDP, pcp(2, response=True, result=8), frozenset()),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (RadiusDissector, UDP, b"\x06" + radius()[1:], "code 6"),
    (RadiusDissector, UDP, radius() + b"\x00", "length field != datagram length"),
    (RadiusDissector, UDP, radius(1, attr(1, b"alice") + b"\x00\x03x"), "attribute type 0"),
    (RadiusDissector, UDP, radius(1, attr(1, b"alice") + b"\x01\x01"), "attribute length 1"),
    (RadiusDissector, UDP, radius(1, attr(1, b"alice") + b"\x01\x09abc"), "attribute past the end"),
    (RadiusDissector, UDP, radius(1, attr(4, bytes(5))), "NAS-IP-Address of 5 bytes"),
    (RadiusDissector, UDP, radius(1, attr(80, bytes(8))), "Message-Authenticator of 8 bytes"),
    (RadiusDissector, UDP, radius(1, attr(1, b"x") * 1400), "length above 4096"),
    (NetflowDissector, UDP, netflow5()[:-1], "v5 size != 24 + 48 * count"),
    (NetflowDissector, UDP, netflow5(31), "v5 count 31"),
    (NetflowDissector, UDP, b"\x00\x06" + netflow5()[2:], "version 6"),
    (NetflowDissector, UDP, netflow9(count=0), "v9 count 0"),
    (NetflowDissector, UDP, netflow9(nf_set(0, TEMPLATE) + nf_set(255, DATA_RECORDS)), "reserved FlowSet id 255"),
    (NetflowDissector, UDP, netflow9(nf_set(0, struct.pack(">HH", 255, 1) + bytes(4))), "template id 255"),
    (NetflowDissector, UDP, netflow9(nf_set(0, struct.pack(">HH", 256, 0))), "template without fields"),
    (NetflowDissector, UDP, netflow9(nf_set(0, TEMPLATE) + b"\x01\x00\x00\x03"), "FlowSet length 3"),
    (NetflowDissector, UDP, netflow9(b""), "v9 header alone"),
    (NetflowDissector, UDP, ipfix(delta=1), "IPFIX length != datagram length"),
    (NetflowDissector, UDP, ipfix(nf_set(0, TEMPLATE)), "IPFIX set id 0 (v9's template id)"),
    (NetflowDissector, UDP, ipfix(nf_set(2, TEMPLATE) + nf_set(256, DATA_RECORDS)[:-1]) , "IPFIX set past the message"),
    (CollectdDissector, UDP, collectd(b"dev lap"), "host name with a space"),
    (CollectdDissector, UDP, collectd(parts=CD_PARTS + cd_part(0x0007, bytes(4))), "interval of 4 bytes"),
    (CollectdDissector, UDP, collectd(parts=CD_PARTS + cd_part(0x0002, b"cpu")), "plugin without NUL"),
    (CollectdDissector, UDP, collectd(parts=CD_PARTS + cd_part(0x0030, b"x\x00")), "unknown part type"),
    (CollectdDissector, UDP, collectd(parts=cd_part(0x0006, struct.pack(">HB", 1, 4) + bytes(8))), "data-source type 4"),
    (CollectdDissector, UDP, collectd(parts=cd_part(0x0006, struct.pack(">HB", 2, 1) + bytes(8))), "values size != 6 + 9 * count"),
    (CollectdDissector, UDP, collectd() + b"\x00", "parts do not end the datagram"),
    (CollectdDissector, UDP, cd_part(0x0002, b"cpu\x00") + CD_PARTS, "first part not host/signature/encryption"),
    (CollectdDissector, UDP, collectd_encrypted(b""), "encryption without a user name"),
    (CollectdDissector, UDP, collectd_encrypted() + b"\x00", "encryption part != datagram"),
    (CollectdDissector, UDP, cd_part(0x0200, bytes(range(32)) + b"user"), "signature signing nothing"),
    (GtpControlDissector, UDP, gtp1c(kind=255), "GTP-U T-PDU"),
    (GtpControlDissector, UDP, gtp1c(kind=1, ies=b"\x0e\x05"), "v1 echo (shared with GTP-U)"),
    (GtpControlDissector, UDP, gtp1c(flags=0x30), "v1 without S"),
    (GtpControlDissector, UDP, gtp1c(flags=0x22), "protocol type 0 (GTP')"),
    (GtpControlDissector, UDP, gtp1c() + b"\x00", "v1 length != datagram - 8"),
    (GtpControlDissector, UDP, gtp1c(nxt=0xC0), "next extension type without E"),
    (GtpControlDissector, UDP, gtp1c(0x36, 18, b"\x01\xab\xcd\xc0", 0xC0), "extension chain past the message"),
    (GtpControlDissector, UDP, gtp2c(kind=50), "v2 type 50"),
    (GtpControlDissector, UDP, gtp2c(flags=0x49), "v2 spare bit"),
    (GtpControlDissector, UDP, gtp2c(spare=1), "v2 spare byte"),
    (GtpControlDissector, UDP, gtp2c(0x48, 1, gtp2_ie(3, b"\x07")), "v2 echo with a TEID"),
    (GtpControlDissector, UDP, gtp2c(0x40), "v2 Create Session Request without TEID"),
    (GtpControlDissector, UDP, gtp2c(ies=GTP2_IES + b"\x00\x00\x00\x00"), "v2 IE type 0"),
    (GtpControlDissector, UDP, gtp2c(ies=GTP2_IES + b"\x03\x00\x05\x00\x07"), "v2 IE past the message"),
    (GtpControlDissector, UDP, gtp2c(0x58, 33, gtp2_ie(2, b"\x10\x00")), "piggyback flag, nothing follows"),
    (GtpControlDissector, UDP, gtp2c() + b"\x00", "v2 length != datagram - 4"),
    (SlpDissector, UDP, slp2(12), "v2 function 12"),
    (SlpDissector, UDP, slp2(flags=0x2001), "v2 reserved flag bit"),
    (SlpDissector, UDP, slp2() + b"\x00", "v2 length != datagram"),
    (SlpDissector, UDP, slp2(lang=b""), "v2 empty language tag"),
    (SlpDissector, UDP, slp2(lang=b"e n"), "v2 language tag with a space"),
    (SlpDissector, UDP, slp2(ext=5), "v2 extension offset inside the header"),
    (SlpDissector, UDP, slp1(11), "v1 function 11"),
    (SlpDissector, UDP, slp1(flags=0x01), "v1 reserved flag bit"),
    (SlpDissector, UDP, slp1(encoding=5), "v1 unknown encoding"),
    (SlpDissector, UDP, slp1(lang=b"EN"), "v1 upper-case language"),
    (SlpDissector, UDP, b"\x03" + slp2()[1:], "version 3"),
    (BfdDissector, UDP, b"\x40" + bfd()[1:], "version 2"),
    (BfdDissector, UDP, bfd(diag=9), "reserved diagnostic 9"),
    (BfdDissector, UDP, bfd(flags=0x01), "multipoint bit"),
    (BfdDissector, UDP, bfd(detect=0), "detect multiplier 0"),
    (BfdDissector, UDP, bfd(mine=0), "My Discriminator 0"),
    (BfdDissector, UDP, bfd(yours=0), "Your Discriminator 0 in state Up"),
    (BfdDissector, UDP, bfd(tx=0), "Desired Min TX 0"),
    (BfdDissector, UDP, bfd() + b"\x00", "length field != datagram length"),
    (BfdDissector, UDP, bfd(auth=b"\x01\x09\x01secret"), "auth section without the A bit"),
    (BfdDissector, UDP, bfd(flags=0x04, auth=b"\x06\x09\x01secret"), "auth type 6"),
    (BfdDissector, UDP, bfd(flags=0x04, auth=b"\x02\x1c" + bytes(26)), "keyed MD5 of 28 bytes"),
    (HsrpDissector, UDP, b"\x01" + hsrp0()[1:], "version 1 in the 20-byte form"),
    (HsrpDissector, UDP, hsrp0(op=3), "op code 3"),
    (HsrpDissector, UDP, hsrp0(state=2), "state Listen (does not send)"),
    (HsrpDissector, UDP, hsrp0(state=32), "state 32"),
    (HsrpDissector, UDP, hsrp0(hello=0), "hellotime 0"),
    (HsrpDissector, UDP, hsrp0(hello=10, hold=3), "holdtime below hellotime"),
    (HsrpDissector, UDP, hsrp0(reserved=1), "reserved byte"),
    (HsrpDissector, UDP, hsrp0() + b"\x00", "21 bytes"),
    (HsrpDissector, UDP, hsrp2(state=3), "v2 state Listen"),
    (HsrpDissector, UDP, hsrp2(ipver=5), "v2 IP version 5"),
    (HsrpDissector, UDP, hsrp2(hold=2000), "v2 hold time below hello time"),
    (HsrpDissector, UDP, hsrp2(tail=b"\x03\x07cisco\x00\x00"), "v2 text authentication of 7 bytes"),
    (HsrpDissector, UDP, hsrp2(tail=b"\x09\x02\x00\x00"), "v2 TLV type 9"),
    (HsrpDissector, UDP, hsrp2()[:30] + b"\x01" + hsrp2()[31:], "v2 IPv4 address padding not zero"),
    (HsrpDissector, UDP, b"\x02\x04\x00\x00\x00\x01", "v2 Interface State TLV alone"),
    (TftpDissector, UDP, tftp(1, b"", b"octet"), "empty file name"),
    (TftpDissector, UDP, tftp(1, b"rfc1350.txt", b"binary"), "unknown mode"),
    (TftpDissector, UDP, tftp(1, b"rfc\x01.txt", b"octet"), "control byte in the name"),
    (TftpDissector, UDP, tftp(1, b"rfc1350.txt", b"octet")[:-1], "no final NUL"),
    (TftpDissector, UDP, tftp(1, b"rfc1350.txt", b"octet", b"blksize"), "option without value"),
    (TftpDissector, UDP, tftp(1, b"a" * 520, b"octet"), "request above 512 bytes"),
    (TftpDissector, UDP, tftp(3, b"rfc1350.txt", b"octet"), "opcode 3 (DATA)"),
    (TftpDissector, UDP, tftp(6, b"colour", b"blue"), "OACK unknown option"),
    (TftpDissector, UDP, tftp(6, b"blksize", b"big"), "OACK non-numeric blksize"),
    (TftpDissector, UDP, tftp(6, b"blksize", b""), "OACK empty value"),
    (MgcpDissector, UDP, MGCP_RQNT.replace(b"RQNT", b"RQNX"), "unknown verb"),
    (MgcpDissector, UDP, MGCP_RQNT.replace(b"1201", b"1234567890"), "10-digit transaction id"),
    (MgcpDissector, UDP, MGCP_RQNT.replace(b"1201", b"12a1"), "non-digit transaction id"),
    (MgcpDissector, UDP, MGCP_RQNT.replace(b"aaln/1@", b"aaln/1."), "endpoint without @"),
    (MgcpDissector, UDP, MGCP_RQNT.replace(b"MGCP 1.0", b"MGCP 10"), "version not d.d"),
    (MgcpDissector, UDP, MGCP_RQNT.replace(b"MGCP 1.0", b"SIP/2.0"), "not MGCP"),
    (MgcpDissector, UDP, MGCP_RQNT.replace(b"\r\n", b" "), "no end of line"),
    (MgcpDissector, UDP, b"200 262662134 OK\nI: 1\n" + bytes(10), "a response"),
    (NatPmpDissector, UDP, b"\x00\x01", "opcode 1 in 2 bytes"),
    (NatPmpDissector, UDP, b"\x00\x00\x00", "3-byte request"),
    (NatPmpDissector, UDP, natpmp_map(3), "opcode 3"),
    (NatPmpDissector, UDP, natpmp_map(internal=0), "internal port 0"),
    (NatPmpDissector, UDP, natpmp_map(reserved=1), "reserved field"),
    (NatPmpDissector, UDP, natpmp_map() + b"\x00", "13-byte mapping request"),
    (NatPmpDissector, UDP, b"\x00\x80\x00\x06" + bytes(8), "result code 6"),
    (NatPmpDissector, UDP, b"\x01\x00", "version 1"),
    (NatPmpDissector, UDP, pcp(1)[:-4], "PCP MAP payload cut"),
    (NatPmpDissector, UDP, pcp(3), "PCP opcode 3"),
    (NatPmpDissector, UDP, pcp(1, options=b"\x00\x00\x00\x00"), "PCP option code 0"),
    (NatPmpDissector, UDP, pcp(1, options=b"\x01\x00\x00\x14" + bytes(16)), "PCP option past the end"),
    (NatPmpDissector, UDP, pcp(1, response=True, result=14), "PCP result 14"),
    (NatPmpDissector, UDP, pcp(1, response=True)[:12] + b"\x01" + pcp(1, response=True)[13:], "PCP response reserved bytes"),
    (NatPmpDissector, UDP, pcp(0) + b"\x00\x00", "PCP size not a multiple of 4"),
]  # fmt: skip

WELL_KNOWN = {cls: min(cls.ports) for cls in NET_SIGNATURES}
HIGH_PORTS = ((40001, 51234), (33333, 61000), (49152, 55555))


def _id(case: tuple) -> str:  # type: ignore[type-arg]
    return f"{case[0].name}-{'tcp' if case[1] == TCP else 'udp'}-{len(case[2])}"


@sf.positives(POSITIVES, _id)
def test_positive_identified_by_the_registry(case: Case) -> None:
    """Well-known port or random high ports, either direction: the registry says ``cls``."""
    cls, proto, payload, _ = case
    port = WELL_KNOWN[cls]
    sf.check_identified_on_any_ports(cls, proto, payload, NET_SIGNATURES, port_cases=[
        (side, sport, dport) for sport, dport in ((50000, port), (port, 50000), *HIGH_PORTS)
        for side in (True, False)])


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES, _id)
def test_truncations_and_trailing_junk(case: Case) -> None:
    """Every prefix is refused except those that are whole messages themselves (a set walk
    cut at a set boundary, a request whose options were cut); appended junk is refused,
    except after an MGCP command line (what follows the line is not checked)."""
    cls, proto, payload, boundaries = case
    sf.check_truncations(cls, proto, payload, cls is not MgcpDissector, boundaries, equal=True)
    if cls is MgcpDissector:
        assert cls.matches(payload + b"\x00junk", proto, True)


@sf.positives(POSITIVES, _id)
def test_feed_whole_bytewise_and_with_junk(case: Case) -> None:
    """Identification only: no events whatever the split, done after the first bytes; only
    MGCP names the flow, from a whole first command (one datagram is one message)."""
    cls, proto, payload, _ = case
    mgcp = cls is MgcpDissector
    sf.check_feed_identification_only(cls, proto, payload, name=sf.SOME if mgcp else None,
                                      same_name=not mgcp)


@pytest.mark.parametrize(("line", "name"), [
    (b"RQNT 1201 aaln/1@GateWay44.myplace.com MGCP 1.0\r\n", "gateway44.myplace.com"),
    (b"NTFY 12 ds/ds1-1/1@[192.0.2.1] MGCP 1.0 NCS 1.0\n", "192.0.2.1"),
    (b"CRCX 3 a@gw.example:2427 MGCP 1.0\r\nC: 1\r\n", "gw.example"),
    (b"AUEP 7 *@ MGCP 1.0\r\n", None),
])
def test_mgcp_names_the_gateway(line: bytes, name: str | None) -> None:
    """The endpoint name's domain (RFC 3435 §2.1.1), lower case, no port or brackets."""
    d = MgcpDissector(UDP)
    assert d.feed(line, False, 1) == [] and d.done
    assert d.server_name == name


@sf.positives(POSITIVES, _id)
def test_screens_admit_positives_and_their_prefixes(case: Case) -> None:
    """A screen never refuses what ``matches`` accepts: the positives, and every prefix and
    one-byte change of them that ``matches`` still accepts."""
    cls, proto, payload, _ = case
    assert cls.screens.get(proto), cls.name
    variants = [payload[:cut] for cut in range(len(payload) + 1)]
    variants += [payload[:i] + bytes((payload[i] ^ 0x01,)) + payload[i + 1 :]
                 for i in range(len(payload))]
    for data in variants:
        if cls.matches(data, proto, True):
            assert sf.screens_admit(cls, data, proto), (cls.name, data.hex())


def test_module_facts() -> None:
    names = [c.name for c in NET_SIGNATURES]
    assert names == ["radius", "netflow", "collectd", "gtp_c", "slp", "bfd", "hsrp", "tftp",
                     "mgcp", "nat_pmp"]
    assert all(c in SIGNATURE_DISSECTORS and c in registry.DISSECTORS for c in NET_SIGNATURES)
    for cls in NET_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.ports and cls.first_bytes is not None
        assert cls.__doc__ and "matches" in cls.__doc__
        assert all(proto in cls.transports for proto in cls.screens)
    assert {c.name for c in NET_SIGNATURES if TCP in c.transports} == {"slp"}


@pytest.mark.parametrize("payload", OTHER_FIRST_PAYLOADS)
def test_other_protocols_refused(payload: bytes) -> None:
    sf.check_other_first_payloads(NET_SIGNATURES, [payload])


def test_random_payloads_never_match() -> None:
    """Uniform random payloads (what encrypted traffic looks like), 9,000 of them: none."""
    sizes = (2, 6, 12, 16, 20, 24, 28, 36, 44, 52, 60, 100, 148, 300, 512, 1200, 1400, 4000)
    assert sf.random_payload_hits(NET_SIGNATURES, sizes, per_size=500, biased=False) == {}


@sf.FUZZ
@given(uniform_bytes(400), st.sampled_from([TCP, UDP]), st.booleans())
def test_fuzz_random_bytes_refused(payload: bytes, proto: int, from_orig: bool) -> None:
    """Invariant: random bytes are refused by every class (NAT-PMP's ``00 00`` request
    aside), ``matches`` returns a bool, ``feed`` returns no events."""
    for cls in NET_SIGNATURES:
        sf.fuzz_invariant(cls, proto, payload, first_side=from_orig)
        if not (cls is NatPmpDissector and payload == b"\x00\x00"):
            sf.check_refuses_random(cls, payload, proto, from_orig, others=False)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes overwritten, inserted, deleted or cut reach the deep checks:
    every class returns a bool."""
    _, proto, payload, _ = POSITIVES[index]
    data = mutate(payload, edits)
    for cls in NET_SIGNATURES:
        sf.fuzz_invariant(cls, proto, data)
        assert not cls.matches(data, proto, True) or sf.screens_admit(cls, data, proto), (
            cls.name, data.hex())


# --- real captures -----------------------------------------------------------------------------

CFGS = sf.CFGS
needs_data = sf.needs_data
PCAPS = CFGS / "default" / "pcap"
TD = DATA / "tcpdump" / "tests"
ZEEK = DATA / "zeek" / "testing" / "btest" / "Traces"

NDPI_LABEL = {
    "radius": "Radius", "slp": "Service_Location_Protocol", "hsrp": "HSRP", "tftp": "TFTP",
    "bfd": "BFD", "collectd": "collectd", "netflow": "NetFlow", "mgcp": "MGCP", "gtp_c": "GTP",
    "nat_pmp": "NAT-PMP",
}  # fmt: skip
BY_NAME = {cls.name: cls for cls in NET_SIGNATURES}


def _matched_by(s: Sample) -> set[str]:
    return sf.matched(NET_SIGNATURES, s)


def _on_its_transports(name: str, s: Sample) -> bool:
    return s.proto in BY_NAME[name].transports


# (hits, total) on the flows nDPI labels with the service. Misses, each explained:
# - radius 32/54: every miss is in fuzz-2020-02-16-11740.pcap (nDPI's fuzzing corpus): an
#   attribute length or type overwritten (0x25 0x00, 0xaa runs), the length field or code
#   byte mangled; the walk then does not end at the datagram's end.
# - hsrp 6/8: hsrp2_ipv6.pcapng's two flows start with a lone 6-byte Interface State TLV
#   (02 04 + two counters), refused as too weak.
# - tftp 5/9: two requests with an empty file name (a scanner's probes, nDPI itself names
#   them by port); two transfers seen from their DATA/ACK packets (4-byte headers, refused).
# - bfd 2/4: the two flows to UDP 3785 are BFD echo packets (RFC 5881 §4: opaque, only
#   their sender reads them); the pipeline names them by that port
#   (test_bfd_echo_named_by_its_port).
# - collectd 4/8: four datagrams of collectd.pcap carry mangled lengths (a host part of
#   length 0xffff, a plugin part of 0xffff, encryption parts of length 0xffff or a user
#   name length of 0xffff): nDPI names two of them by port.
# - gtp_c 1/2: gtp_prime.pcapng is GTP' (charging, protocol type 0 on UDP 3386), not GTP-C.
NDPI_EXPECTED = {
    "radius": (32, 54), "slp": (620, 620), "hsrp": (6, 8), "tftp": (5, 9), "bfd": (2, 4),
    "collectd": (4, 8), "netflow": (1, 1), "mgcp": (5, 5), "gtp_c": (1, 2), "nat_pmp": (4, 4),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    labels = {name: {NDPI_LABEL[name]} for name in NDPI_EXPECTED}
    assert sf.ndpi_hits(NET_SIGNATURES, labels, _on_its_transports) == NDPI_EXPECTED


@needs_data
def test_bfd_echo_named_by_its_port() -> None:
    """nDPI bfd.pcap: BFD echo packets each router sends itself on UDP 3785 (its neighbour
    loops them back; nDPI says BFD): no content test claims them, the port names them."""
    import wirelens

    conn = wirelens.analyze(DATA / "nDPI/tests/cfgs/default/pcap/bfd.pcap").table("conn")
    rows = [(r["orig_h"], r["resp_h"], r["resp_p"], r["service"], r["service_source"])
            for r in conn.to_pylist() if 3785 in (r["orig_p"], r["resp_p"])]
    assert sorted(rows) == [("155.1.13.1", "155.1.13.1", 3785, "bfd", "port"),
                            ("155.1.13.3", "155.1.13.3", 3785, "bfd", "port")]


# Other projects' captures named after a service, on its ports: (files, ports, hits, total).
OTHER: dict[str, tuple[list[Path], set[int], int, int]] = {
    # radius_attr_asan.pcap: a crash reproducer whose code byte is 0x3a (undefined)
    "radius": ([*sorted(TD.glob("RADIUS*.pcap")), *sorted(TD.glob("radius*.pcap")), *sorted((ZEEK / "radius").glob("*.pcap"))], {1812, 1813, 1645, 3799}, 14, 15),
    # HSRP_coup.pcap's third flow is a 16-byte datagram with op code 3 (not HSRP)
    "hsrp": ([TD / "HSRP_coup.pcap", TD / "HSRP_election.pcap"], {1985}, 5, 6),
    # (hoobr_bfd_print.pcap, a crash reproducer, has no flow the test reader can split)
    "bfd": (sorted(TD.glob("*bfd*.pcap")), {3784, 4784, 6784, 7784}, 6, 6),
    # the requests to port 69 (the server's DATA/ACK flows, from new ports, are not counted)
    "tftp": ([DATA / "nfstream/tests/pcaps/tftp.pcap", DATA / "suricata-verify/tests/tftp-tx-handling-wrq/input.pcap"], {69}, 3, 3),
    "gtp_c": ([ZEEK / "tunnels/gtp/gtp_create_pdp_ctx.pcap"], {2123}, 1, 1),
    "netflow": ([DATA / "nfstream/tests/pcaps/netflowv9.pcap"], {2057}, 1, 1),
}  # fmt: skip


@needs_data
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_projects_captures(name: str) -> None:
    sf.check_other_captures(NET_SIGNATURES, name, OTHER[name])


def test_gtp_u_never_claimed() -> None:
    """GTP-U (UDP 2152, TS 29.281) is a tunnel the decode stage opens: no G-PDU, End Marker,
    Error Indication, echo, Version Not Supported or Supported Extension Headers
    Notification is taken for GTP-C."""
    for kind in (1, 2, 3, 26, 31, 254, 255):
        for flags in (0x30, 0x32, 0x34, 0x36):
            packet = gtp1c(flags, kind, ies=bytes.fromhex("4500001c0000"))
            assert not GtpControlDissector.matches(packet, UDP, True)


@needs_data
def test_gtp_u_captures_never_claimed() -> None:
    paths = [*sorted((ZEEK / "tunnels/gtp").glob("*.pcap")), DATA / "nfstream/tests/pcaps/gtp-u.pcap"]
    claimed = [s.capture for p in paths if p.exists() for s in _samples(p)
               if 2152 in s.ports and "gtp_c" in _matched_by(s)]
    assert claimed == []


# Hits on flows nDPI labels with another protocol, (signature, nDPI label) -> count: none.
EXPLAINED: dict[tuple[str, str], int] = {}


@needs_data
def test_negative_corpus() -> None:
    """Every flow of every capture: a hit is either a flow labelled with the service, a flow
    without nDPI label (other projects' captures), or an explained exception."""
    labels = {name: {label} for name, label in NDPI_LABEL.items()}
    hits, unlabelled = sf.corpus_hits(NET_SIGNATURES, labels, unlabelled=(None, "Unknown"))
    assert hits == EXPLAINED
    # unlabelled hits: the other projects' captures listed in OTHER, netflowv9.pcap's
    # nfstream copy, and five flows of nDPI's RADIUS fuzzing capture whose ports were
    # mangled (nDPI: Unknown; their content is RADIUS)
    assert dict(unlabelled) == {"radius": 20, "hsrp": 5, "bfd": 6, "tftp": 4, "gtp_c": 1,
                                "netflow": 1}


@needs_data
def test_registry_steals_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry with and without these classes: every flow identified before keeps its
    dissector; the new identifications are all of these services."""
    changed, new = sf.registry_changes(monkeypatch, NET_SIGNATURES, per_side=False)
    assert dict(changed) == {}
    assert new == Counter({"slp": 620, "radius": 52, "hsrp": 11, "tftp": 9, "bfd": 8, "mgcp": 5,
                           "collectd": 4, "nat_pmp": 4, "gtp_c": 2, "netflow": 2})
