"""Signatures of storage, healthcare and field-device protocols (``signatures_field``):
IEEE C37.118, HART-IP, Beckhoff ADS, DICOM, iSCSI, DLMS/COSEM, DDSI-RTPS, ANSI C12.22, Ceph
messenger, HL7 over MLLP.

Synthetic messages are built field by field from the specifications the classes cite; each
negative breaks one checked fact. Real captures: the flows nDPI labels with each service, a
negative corpus (flows nDPI labels with another protocol) and the registry with and without
these classes (nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import struct
from collections import Counter

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_field import (
    FIELD_SIGNATURES,
    AdsDissector,
    C1222Dissector,
    C37118Dissector,
    CephDissector,
    DicomDissector,
    DlmsDissector,
    HartIpDissector,
    Hl7Dissector,
    IscsiDissector,
    RtpsDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the specifications cited in the classes) --------------------------


def crc_ccitt(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def crc_x25(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def c37(kind: int = 4, version: int = 1, body: bytes = b"\x00\x05", idcode: int = 60,
        size: int | None = None, crc_delta: int = 0, sync: int = 0xAA) -> bytes:
    """SYNC, FRAMESIZE, IDCODE, SOC, FRACSEC, body, CHK."""
    total = 16 + len(body) if size is None else size
    head = bytes((sync, kind << 4 | version)) + struct.pack(">HHII", total, idcode,
                                                           1_700_000_000, 0x00_0F_42_40)
    frame = head + body
    return frame + struct.pack(">H", (crc_ccitt(frame) + crc_delta) & 0xFFFF)


C37_CFG2 = c37(3, 1, struct.pack(">IH", 1_000_000, 1) + b"Station A".ljust(16) + bytes(10))
C37_DATA = c37(0, 2, b"\x00\x00" + bytes(16))


def hart(version: int = 1, kind: int = 0, mid: int = 0, status: int = 0, seq: int = 2,
         body: bytes = b"\x01\x00\x00\x75\x30", count: int | None = None) -> bytes:
    size = 8 + len(body) if count is None else count
    return bytes((version, kind, mid, status)) + struct.pack(">HH", seq, size) + body


HART_PASS = hart(kind=0, mid=3, body=b"\x82\xa6\x06\xbc\x61\x4e\x00\x00\x5c")


def ads(cmd: int = 2, flags: int = 4, data: bytes = b"\x20\xf0\x00\x00\x00\x00\x00\x00\x04\x00"
        b"\x00\x00", err: int = 0, size: int | None = None, dlen: int | None = None,
        reserved: bytes = b"\x00\x00") -> bytes:
    ams = (bytes((5, 13, 117, 96, 1, 1)) + struct.pack("<H", 851) + bytes((192, 168, 1, 99, 1, 1))
           + struct.pack("<HHHIII", 32800, cmd, flags,
                         len(data) if dlen is None else dlen, err, 7))
    body = ams + data
    return reserved + struct.pack("<I", len(body) if size is None else size) + body


APP_CONTEXT = b"1.2.840.10008.3.1.1.1"


def dicom(pdu: int = 1, called: bytes = b"STORESCP".ljust(16), calling: bytes = b"FINDSCU"
          .ljust(16), version: bytes = b"\x00\x01", reserved: bytes = bytes(32),
          context: bytes = APP_CONTEXT, item: int = 0x10, extra: int = 0,
          length: int | None = None) -> bytes:
    items = bytes((item, 0)) + struct.pack(">H", len(context)) + context
    items += b"\x20\x00\x00\x08\x01\x00\xff\x00\x30\x00\x00\x00"  # a presentation context
    body = version + b"\x00\x00" + called + calling + reserved + items
    size = len(body) + extra if length is None else length
    return bytes((pdu, 0)) + struct.pack(">I", size) + body


def dicom_rj(result: int = 1, source: int = 1, reason: int = 7) -> bytes:
    return b"\x03\x00\x00\x00\x00\x04\x00" + bytes((result, source, reason))


LOGIN_TEXT = (b"InitiatorName=iqn.1993-08.org.debian:01:4a5b6c\x00InitiatorAlias=host\x00"
              b"SessionType=Normal\x00TargetName=iqn.2003-01.org.linux-iscsi.t:sn.1\x00"
              b"AuthMethod=None\x00")


def iscsi(opcode: int = 0x43, flags: int = 0x81, vmax: int = 0, vmin: int = 0, ahs: int = 0,
          text: bytes = LOGIN_TEXT, dsl: int | None = None, tail: bytes = bytes(16),
          pad: bool = True) -> bytes:
    """Login Request (or Response with opcode 0x23) BHS, then the padded data segment."""
    size = len(text) if dsl is None else dsl
    bhs = (bytes((opcode, flags, vmax, vmin, ahs)) + size.to_bytes(3, "big")
           + b"\x00\x02\x3d\x00\x00\x00" + b"\x00\x00" + struct.pack(">IHH", 0x10000000, 1, 0)
           + struct.pack(">II", 1, 0) + tail)
    return bhs + text + (bytes(-len(text) % 4) if pad else b"")


LOGIN_RSP = iscsi(0x23, 0x81, 0, 0, text=b"TargetPortalGroupTag=1\x00AuthMethod=None\x00",
                  tail=b"\x00\x00" + bytes(14))


def wrapper(apdu: bytes, version: bytes = b"\x00\x01", size: int | None = None) -> bytes:
    return version + b"\x00\x10\x00\x01" + struct.pack(
        ">H", len(apdu) if size is None else size) + apdu


AARQ_BODY = (b"\xa1\x09\x06\x07\x60\x85\x74\x05\x08\x01\x01"
             b"\xbe\x10\x04\x0e\x01\x00\x00\x00\x06\x5f\x1f\x04\x00\x00\x7e\x1f\x04\xb0")
AARQ = b"\x60" + bytes((len(AARQ_BODY),)) + AARQ_BODY
GET_REQUEST = b"\xc0\x01\xc1\x00\x03\x01\x00\x01\x08\x00\xff\x02\x00"


def hdlc(info: bytes = b"", control: int = 0x93, dst: bytes = b"\x03", src: bytes = b"\x21",
         fcs_delta: int = 0, fmt: int = 0xA0) -> bytes:
    """IEC 62056-46 frame: format + length, addresses, control, [HCS, info], FCS."""
    size = 2 + len(dst) + len(src) + 1 + (2 + len(info) if info else 0) + 2
    head = bytes((fmt | size >> 8, size & 0xFF)) + dst + src + bytes((control,))
    if info:
        head += struct.pack("<H", crc_x25(head)) + info
    return b"\x7e" + head + struct.pack("<H", (crc_x25(head) + fcs_delta) & 0xFFFF) + b"\x7e"


HDLC_I = hdlc(b"\xe6\xe6\x00" + AARQ, control=0x10)

RTPS_HEAD = b"RTPS\x02\x03\x01\x10" + bytes(range(1, 13))


def sub(ident: int, body: bytes, flags: int = 0x01) -> bytes:
    order = "<H" if flags & 1 else ">H"
    return bytes((ident, flags)) + struct.pack(order, len(body)) + body


RTPS_DATA = RTPS_HEAD + sub(0x09, bytes(8)) + sub(0x15, bytes(4) + b"\x00\x00\x01\xc2"
                                                  + b"\x00\x01\x00\xc2" + bytes(8) + b"data",
                                                  flags=0x05)
RTPS_HB = RTPS_HEAD + sub(0x0E, bytes(12), flags=0x00) + sub(0x07, bytes(28))
RTPS_PING = b"RTPS\x02\x01\x01\x01NDDSPING"


def c1222(elements: bytes | None = None, length: int | None = None) -> bytes:
    if elements is None:
        elements = (b"\xa2\x06\x06\x04\x2b\x06\x01\x04" + b"\xa6\x06\x06\x04\x2b\x06\x01\x05"
                    + b"\xa8\x03\x02\x01\x2c" + b"\xbe\x07\x28\x05\x81\x03\x80\x01\x20")
    size = len(elements) if length is None else length
    return b"\x60" + bytes((size,)) + elements


C1222_LONG = b"\x60\x81\x86" + b"\xa2\x06\x06\x04\x2b\x06\x01\x04" + b"\xbe\x7c\x28\x7a" + bytes(
    0x7A)

CEPH_V1 = b"ceph v027" + bytes(8) + b"\x00\x02\x1a\x85\x0a\x00\x03\x43" + bytes(120)
CEPH_V2 = b"ceph v2\n" + b"\x10\x00" + bytes(16)

HL7 = (b"\x0bMSH|^~\\&|SENDING_APP|SENDING_FAC|RECV_APP|RECV_FAC|20240101120000||ADT^A01|"
       b"MSG00001|P|2.5\rPID|1||123456^^^HOSP^MR||DOE^JOHN\r\x1c\r")
HL7_ACK = b"\x0bMSH|^~\\&|RECV_APP|RECV_FAC|SEND|FAC|20240101||ACK|1|P|2.3\rMSA|AA|1\r\x1c\r"

POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (C37118Dissector, TCP, c37()),
    (C37118Dissector, UDP, C37_CFG2),
    (C37118Dissector, UDP, C37_DATA),
    (C37118Dissector, TCP, c37(1, 3, b"PMU header text") + C37_DATA),
    (HartIpDissector, UDP, hart()),
    (HartIpDissector, TCP, hart(kind=1, status=0x20, seq=2)),
    (HartIpDissector, UDP, hart(mid=2, body=b"")),
    (HartIpDissector, TCP, hart(version=2, mid=1, body=b"")),
    (HartIpDissector, TCP, HART_PASS),
    (AdsDissector, TCP, ads()),
    (AdsDissector, TCP, ads(cmd=1, data=b"")),
    (AdsDissector, TCP, ads(cmd=2, flags=5, data=struct.pack("<II", 0, 2) + b"\x01\x00")),
    (DicomDissector, TCP, dicom()),
    (DicomDissector, TCP, dicom(2)),
    (DicomDissector, TCP, dicom(extra=4000)),
    (DicomDissector, TCP, dicom_rj()),
    (DicomDissector, TCP, dicom_rj(2, 3, 2)),
    (IscsiDissector, TCP, iscsi()),
    (IscsiDissector, TCP, iscsi(flags=0x87, vmax=0, vmin=0)),
    (IscsiDissector, TCP, LOGIN_RSP),
    (IscsiDissector, TCP, iscsi(0x23, 0x87, text=b"", tail=bytes(16))),
    (DlmsDissector, TCP, wrapper(AARQ)),
    (DlmsDissector, UDP, wrapper(GET_REQUEST)),
    (DlmsDissector, TCP, hdlc()),
    (DlmsDissector, TCP, HDLC_I),
    (DlmsDissector, UDP, hdlc(dst=b"\x00\x02\x00\x23", control=0x53)),
    (DlmsDissector, TCP, hdlc(b"\xe6\xe7\x00" + AARQ, dst=b"\x21", src=b"\x02\x23",
                              control=0x30)),
    (RtpsDissector, UDP, RTPS_DATA),
    (RtpsDissector, UDP, RTPS_HB),
    (RtpsDissector, UDP, RTPS_PING),
    (C1222Dissector, UDP, c1222()),
    (C1222Dissector, TCP, C1222_LONG),
    (CephDissector, TCP, CEPH_V1),
    (CephDissector, TCP, CEPH_V2),
    (CephDissector, TCP, b"ceph v027"),
    (Hl7Dissector, TCP, HL7),
    (Hl7Dissector, TCP, HL7_ACK),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (C37118Dissector, TCP, c37(sync=0xAB), "sync"),
    (C37118Dissector, TCP, c37(kind=6), "frame type 6"),
    (C37118Dissector, TCP, c37(version=0), "version 0"),
    (C37118Dissector, TCP, c37(version=4), "version 4"),
    (C37118Dissector, TCP, c37(crc_delta=1), "crc"),
    (C37118Dissector, UDP, c37(size=17), "framesize"),
    (C37118Dissector, TCP, c37() + b"\xaa\x41\x00", "partial second frame"),
    (C37118Dissector, UDP, c37() + c37(), "two frames in a datagram"),
    (HartIpDissector, UDP, hart(version=3), "version 3"),
    (HartIpDissector, UDP, hart(kind=4), "message type 4"),
    (HartIpDissector, UDP, hart(mid=4, body=b""), "message id 4"),
    (HartIpDissector, UDP, hart(status=1), "request status"),
    (HartIpDissector, UDP, hart(count=12), "byte count"),
    (HartIpDissector, UDP, hart(body=b"\x05\x00\x00\x75\x30"), "master type"),
    (HartIpDissector, UDP, hart(body=b"\x01\x00\x00\x75"), "initiate body"),
    (HartIpDissector, UDP, hart(mid=2, body=b"\x00"), "keep-alive body"),
    (HartIpDissector, UDP, hart(mid=3, body=b"\x82"), "pass-through body"),
    (AdsDissector, TCP, ads(reserved=b"\x00\x01"), "reserved"),
    (AdsDissector, TCP, ads(size=100), "AMS/TCP length"),
    (AdsDissector, TCP, ads(cmd=0), "command 0"),
    (AdsDissector, TCP, ads(cmd=10), "command 10"),
    (AdsDissector, TCP, ads(flags=6), "state flags"),
    (AdsDissector, TCP, ads(dlen=11), "data length"),
    (AdsDissector, TCP, ads(err=1), "request error code"),
    (DicomDissector, TCP, dicom(pdu=4), "PDU type"),
    (DicomDissector, TCP, dicom(version=b"\x00\x02"), "protocol version"),
    (DicomDissector, TCP, dicom(called=b"STORE\x00SCP".ljust(16)), "AE title"),
    (DicomDissector, TCP, dicom(called=b" " * 16), "empty called AE title"),
    (DicomDissector, TCP, dicom(reserved=b"\x01" + bytes(31)), "reserved"),
    (DicomDissector, TCP, dicom(context=b"1.2.840.10008.3.1.1.2"), "application context"),
    (DicomDissector, TCP, dicom(item=0x20), "first item"),
    (DicomDissector, TCP, dicom(length=50), "PDU length"),
    (DicomDissector, TCP, dicom_rj(3), "reject result"),
    (DicomDissector, TCP, dicom_rj(1, 2, 3), "reject reason"),
    (DicomDissector, TCP, dicom_rj(1, 4, 1), "reject source"),
    (IscsiDissector, TCP, iscsi(opcode=0x03), "immediate bit"),
    (IscsiDissector, TCP, iscsi(opcode=0x44), "opcode"),
    (IscsiDissector, TCP, iscsi(flags=0xB1), "reserved flag bits"),
    (IscsiDissector, TCP, iscsi(flags=0x89), "CSG 2"),
    (IscsiDissector, TCP, iscsi(flags=0x84), "NSG before CSG"),
    (IscsiDissector, TCP, iscsi(flags=0xC1), "transit and continue"),
    (IscsiDissector, TCP, iscsi(vmax=0, vmin=1), "version-max < version-min"),
    (IscsiDissector, TCP, iscsi(ahs=1), "TotalAHSLength"),
    (IscsiDissector, TCP, iscsi(dsl=len(LOGIN_TEXT) + 40), "DataSegmentLength"),
    (IscsiDissector, TCP, iscsi(tail=b"\x01" + bytes(15)), "reserved bytes"),
    (IscsiDissector, TCP, iscsi(text=b"Initiator Name\x00"), "no key=value"),
    (IscsiDissector, TCP, iscsi(text=b"=x\x00"), "empty key"),
    (DlmsDissector, TCP, wrapper(AARQ, version=b"\x00\x02"), "wrapper version"),
    (DlmsDissector, TCP, wrapper(AARQ, size=60), "wrapper length"),
    (DlmsDissector, TCP, wrapper(b"\x70" + AARQ[1:]), "APDU tag"),
    (DlmsDissector, TCP, wrapper(b"\x60\x30" + AARQ_BODY), "AARQ length"),
    (DlmsDissector, TCP, hdlc(fcs_delta=1), "FCS"),
    (DlmsDissector, TCP, hdlc(fmt=0xB0), "frame format"),
    (DlmsDissector, TCP, hdlc(dst=b"\x02\x02\x02"), "address of 3 bytes"),
    (DlmsDissector, TCP, hdlc(src=b"\x20"), "source address not ended"),
    (DlmsDissector, TCP, hdlc(src=b"\x02\x02\x23"), "source address of 3 bytes"),
    (DlmsDissector, TCP, HDLC_I[:8] + bytes(((HDLC_I[8] + 1) & 0xFF,)) + HDLC_I[9:], "HCS"),
    (DlmsDissector, TCP, hdlc()[:-1] + b"\x7f", "closing flag"),
    (RtpsDissector, UDP, b"RTPX" + RTPS_DATA[4:], "magic"),
    (RtpsDissector, UDP, RTPS_DATA[:4] + b"\x01" + RTPS_DATA[5:], "major version"),
    (RtpsDissector, UDP, RTPS_DATA[:5] + b"\x09" + RTPS_DATA[6:], "minor version"),
    (RtpsDissector, UDP, RTPS_HEAD + sub(0x02, bytes(8)), "submessage id"),
    (RtpsDissector, UDP, RTPS_HEAD + sub(0x15, bytes(8))[:-1], "submessage overruns"),
    (RtpsDissector, UDP, RTPS_HEAD, "no submessage"),
    (RtpsDissector, UDP, b"RTPS\x02\x01\x01\x02NDDSPING", "ping vendor"),
    (RtpsDissector, UDP, b"RTPS\x02\x01\x01\x01NDDSPONG", "ping text"),
    (C1222Dissector, UDP, b"\x61" + c1222()[1:], "APDU tag"),
    (C1222Dissector, UDP, c1222(length=29), "APDU length"),
    (C1222Dissector, UDP, c1222(b"\xa6\x03\x06\x01\x2b\xa2\x03\x06\x01\x2b\xbe\x02\x28\x00"),
     "element order"),
    (C1222Dissector, UDP, c1222(b"\xa2\x03\x06\x01\x2b\xa5\x02\x02\x00\xbe\x02\x28\x00"),
     "element tag 0xa5"),
    (C1222Dissector, UDP, c1222(b"\xa2\x03\x02\x01\x2b\xbe\x02\x28\x00"), "AP title inner"),
    (C1222Dissector, UDP, c1222(b"\xa2\x03\x06\x01\x2b\xbe\x02\x04\x00"), "user info inner"),
    (C1222Dissector, UDP, c1222(b"\xa2\x03\x06\x01\x2b\xa8\x02\x02\x00"), "no user info"),
    (C1222Dissector, UDP, c1222(b"\xa8\x03\x02\x01\x2b\xbe\x02\x28\x00"), "no AP title"),
    (C1222Dissector, UDP, c1222(b"\xa2\x03\x06\x01\x2b\xbe\x09\x28\x00"), "element length"),
    (CephDissector, TCP, b"ceph v028" + bytes(8), "v1 banner"),
    (CephDissector, TCP, b"ceph v2 " + bytes(8), "v2 banner"),
    (CephDissector, TCP, b"Ceph v027", "case"),
    (Hl7Dissector, TCP, HL7[1:], "no MLLP start"),
    (Hl7Dissector, TCP, HL7.replace(b"MSH|", b"MSX|", 1), "MSH"),
    (Hl7Dissector, TCP, HL7.replace(b"^~\\&", b"^~\\^", 1), "repeated encoding char"),
    (Hl7Dissector, TCP, HL7.replace(b"^~\\&", b"^~A&", 1), "letter as encoding char"),
    (Hl7Dissector, TCP, HL7.replace(b"^~\\&|", b"^~\\&^", 1), "separator after MSH-2"),
    (Hl7Dissector, TCP, HL7.replace(b"\r", b"\n"), "no CR"),
    (Hl7Dissector, TCP, b"\x0bMSH|^~\\&|A|B|C|D|E||ADT\rPID|1\r\x1c\r", "too few fields"),
    (Hl7Dissector, TCP, HL7.replace(b"SENDING", b"SEND\x01NG", 1), "control byte"),
]  # fmt: skip


def _accepted_prefixes(cls: type[Dissector], proto: int, payload: bytes) -> tuple[bool,
                                                                                 set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted)."""
    n = len(payload)
    if cls is C37118Dissector and proto == TCP:
        return True, {16 + len(b"PMU header text")} if n > 40 else set()
    if cls is DicomDissector and payload[0] in (1, 2):
        # a longer PDU length announces a PDU continued in later segments: junk is its rest
        exact = struct.unpack(">I", payload[2:6])[0] == n - 6
        return exact, set(range(74 + 4 + len(APP_CONTEXT), n))
    if cls is IscsiDissector:
        dsl = int.from_bytes(payload[5:8], "big")
        return True, {48 + dsl}
    if cls is RtpsDissector and n > 16:
        bounds, pos = set(), 20
        while pos < n:
            pos += 4 + struct.unpack("<H" if payload[pos + 1] & 1 else ">H",
                                     payload[pos + 2 : pos + 4])[0]
            bounds.add(pos)
        return True, bounds
    if cls is CephDissector:
        return False, set(range(8 if payload.startswith(b"ceph v2") else 9, n))
    if cls is Hl7Dissector:
        return False, set(range(payload.index(b"\r") + 1, n))
    return True, set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    sf.check_identified_on_any_ports(*case, FIELD_SIGNATURES)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Every prefix gives a bool; prefixes cutting the fixed part are refused; exact-length
    tests refuse appended junk."""
    cls, proto, payload = case
    sf.check_truncations(cls, proto, payload, *_accepted_prefixes(cls, proto, payload))


@sf.positives(POSITIVES)
def test_feed_is_identification_only(case: tuple[type[Dissector], int, bytes]) -> None:
    cls, proto, payload = case
    # the name comes from a whole first request (a 1-byte first segment names nothing)
    sf.check_feed_identification_only(cls, proto, payload, name=NAMES.get(payload),
                                      same_name=False)


NAMES = {
    dicom(): "STORESCP", dicom(extra=4000): "STORESCP",
    iscsi(): "iqn.2003-01.org.linux-iscsi.t:sn.1",
    iscsi(flags=0x87): "iqn.2003-01.org.linux-iscsi.t:sn.1",
}  # fmt: skip
"""``server_name`` after feeding a positive (the others set none)."""


def test_server_names() -> None:
    """Only the client's request names the server; a discovery login has no TargetName."""
    assert DicomDissector.name_source == "dicom_called_ae"
    assert IscsiDissector.name_source == "iscsi_target"
    d = DicomDissector(TCP)
    d.feed(dicom(), False, 1)
    assert d.server_name is None
    d = IscsiDissector(TCP)
    d.feed(iscsi(text=b"InitiatorName=iqn.x\x00SessionType=Discovery\x00"), True, 1)
    assert d.done and d.server_name is None
    d = IscsiDissector(TCP)
    d.feed(iscsi(text=b"InitiatorName=iqn.x\x00TargetName=\x01bad\x00"), True, 1)
    assert d.server_name is None


def test_module_facts() -> None:
    names = [c.name for c in FIELD_SIGNATURES]
    assert names == ["c37_118", "hart_ip", "ads", "dicom", "iscsi", "dlms", "rtps", "c12_22",
                     "ceph", "hl7"]
    assert all(c in registry.DISSECTORS for c in FIELD_SIGNATURES)
    for cls in FIELD_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.ports and cls.__doc__
        assert "matches" in cls.__doc__ and cls.first_bytes


def test_c37_crc_matches_a_real_command_frame() -> None:
    """The CRC of a command frame from ieee_c37118.pcap ("turn on transmission" to IDCODE 60)."""
    frame = bytes.fromhex("aa410012003c4899909a00342ed50001560b")
    assert crc_ccitt(frame[:-2]) == 0x560B
    assert C37118Dissector.matches(frame, UDP, True)


@pytest.mark.parametrize("cls", FIELD_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


@sf.FUZZ
@given(st.sampled_from(FIELD_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(FIELD_SIGNATURES, proto, payload, edits)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS, needs_data = sf.DATA, sf.CFGS, sf.needs_data

NDPI_LABELS = {
    "c37_118": {"IEEE-C37118"}, "hart_ip": {"HART-IP"}, "ads": {"BeckhoffADS"},
    "dicom": {"DICOM"}, "iscsi": {"iSCSI"}, "dlms": {"IEC62056"}, "rtps": {"RTPS"},
    "c12_22": {"ANSI_C1222"}, "ceph": {"Ceph"}, "hl7": {"HL7"},
}  # fmt: skip
"""nDPI's master-protocol labels per service."""


# (hits, total) on the flows nDPI labels with the service: no miss.
# - dlms 2/2: both flows of dlms.pcap are HDLC frames (IEC 62056-46: SNRM / UA), not the
#   62056-47 wrapper; the HDLC branch with its FCS check claims them.
# - dicom, iscsi 0/0: no capture of the shared data carries them (synthetic tests only).
NDPI_EXPECTED = {
    "c37_118": (2, 2), "hart_ip": (3, 3), "ads": (1, 1), "dicom": (0, 0), "iscsi": (0, 0),
    "dlms": (2, 2), "rtps": (1, 1), "c12_22": (2, 2), "ceph": (1, 1), "hl7": (1, 1),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(FIELD_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


EXPLAINED: dict[tuple[str, str], str] = {}
"""Hits on flows nDPI labels with another protocol: none."""


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow nDPI labels with another protocol, nor an unlabelled flow."""
    hits, unlabelled = sf.corpus_hits(FIELD_SIGNATURES, NDPI_LABELS)
    assert set(hits) <= set(EXPLAINED)
    assert hits == {}
    assert dict(unlabelled) == {}


NEW_SIDES: dict[str, int] = {
    "hart_ip": 5, "c37_118": 4, "c12_22": 3, "dlms": 3, "ads": 2, "ceph": 2, "hl7": 2,
    "rtps": 1,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes, per service: both
sides of every nDPI-labelled flow above that has two (one-sided UDP flows count once)."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, FIELD_SIGNATURES)
    assert changed == Counter()
    assert dict(new) == NEW_SIDES
