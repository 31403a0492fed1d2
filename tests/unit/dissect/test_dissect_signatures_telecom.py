"""Telephony, messaging and data-service content signatures (``signatures_telecom``):
messages built from their specs, one-fact negatives, fuzzing, and the real captures.

Every positive is built field by field from the specification the class cites and must be
identified by the whole registry as that class, on its well-known port and on random high
ports (identification is by content). Every negative breaks exactly one checked fact.
Real captures: the flows nDPI labels with the service (and the other projects' captures
named after it) give the hits measured below, each miss explained; over every flow of the
shared captures, no flow of another nDPI label is taken, and adding our classes changes the
identity of no flow the registry identified before, except the IAX flow RTP used to take.

Fuzz invariant: ``matches`` returns a bool for any bytes (never raises, 250 ms deadline),
``feed`` returns no event; uniformly random payloads are refused.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.rdp import RdpDissector
from wirelens.dissect.signatures import SIGNATURE_DISSECTORS
from wirelens.dissect.signatures_ics import S7commDissector
from wirelens.dissect.signatures_telecom import (
    TELECOM_SIGNATURES,
    CqlDissector,
    DiameterDissector,
    H323Dissector,
    Iax2Dissector,
    KafkaDissector,
    OpenFlowDissector,
    PtpDissector,
    SmppDissector,
    SomeIpDissector,
    WsDiscoveryDissector,
)
from wirelens.dissect.signatures_udp import RtpDissector

TCP, UDP = 6, 17

# --- builders (facts from the specs cited in the classes) ---------------------------------------


def iax(kind: int, sub: int, ies: bytes = b"", scall: int = 0x0004, dcall: int = 0,
        oseq: int = 0, iseq: int = 0) -> bytes:
    """RFC 5456 §8.1.1: F bit + source call, R bit + destination call, timestamp, OSeqno,
    ISeqno, frame type, subclass; then IEs."""
    return struct.pack(">HHIBBBB", 0x8000 | scall, dcall, 3, oseq, iseq, kind, sub) + ies


def ie(kind: int, data: bytes) -> bytes:
    return bytes((kind, len(data))) + data


IAX_NEW = iax(6, 0x01, ie(0x0B, b"\x00\x02") + ie(0x01, b"100") + ie(0x02, b"5551234")
              + ie(0x0A, b"en") + ie(0x09, b"\x00\x00\x00\x04"))
IAX_ACK = iax(6, 0x04, dcall=0x0017, oseq=1, iseq=1)
IAX_POKE = iax(6, 0x1E)
IAX_REGREQ = iax(6, 0x0D, ie(0x06, b"alice") + ie(0x13, b"\x00\x3c"))
IAX_PING = iax(6, 0x02, dcall=0x22, oseq=3, iseq=2)


def tpkt(data: bytes) -> bytes:
    """RFC 1006 §6: version 3, reserved 0, total length."""
    return struct.pack(">BBH", 3, 0, 4 + len(data)) + data


def q931(kind: int, ies: bytes, call_ref: int = 0x1234) -> bytes:
    """Q.931 §4: discriminator 0x08, call reference length 2 + value, message type, IEs."""
    return bytes((0x08, 0x02)) + struct.pack(">H", call_ref) + bytes((kind,)) + ies


def uuie(pdu: bytes) -> bytes:
    """H.225.0: User-user IE 0x7E, 2-octet length, discriminator 5, the PER-coded PDU."""
    return b"\x7e" + struct.pack(">H", len(pdu) + 1) + b"\x05" + pdu


H225_PDU = b"\x20\xa8\x06\x00\x08\x91\x4a\x00\x05\x01\x40\x02\x00\x61\x00\x62" + bytes(20)
H323_SETUP = tpkt(q931(0x05, b"\x04\x03\x80\x90\xa5" + b"\x6c\x06\x01\x81" + b"1001"
                       + b"\x70\x05\x81" + b"2002" + uuie(H225_PDU)))
H323_PROCEEDING = tpkt(q931(0x02, uuie(b"\x21\x80\x06\x00\x08\x91\x4a\x00\x05"), 0x9234))
H323_ALERTING = tpkt(q931(0x01, b"\x1e\x02\x81\x88" + uuie(b"\x03\x00\x06\x00\x08\x91\x4a")))
H323_CONNECT = tpkt(q931(0x07, uuie(b"\x02\x80\x06\x00\x08\x91\x4a\x00\x05" + bytes(8))))
H323_RELEASE = tpkt(q931(0x5A, b"\x08\x02\x80\x90" + uuie(b"\x25\x80\x06\x00\x08\x91\x4a")))
H323_FACILITY = tpkt(q931(0x62, b"\xa1" + uuie(b"\x26\x80\x06\x00\x08\x91\x4a\x00\x05")))


def avp(code: int, data: bytes, flags: int = 0x40, vendor: int | None = None) -> bytes:
    """RFC 6733 §4.1: code, flags, length (3 bytes), optional Vendor-ID, data, padding."""
    head = 12 if vendor is not None else 8
    out = struct.pack(">IB", code, flags | (0x80 if vendor is not None else 0))
    out += (head + len(data)).to_bytes(3, "big")
    if vendor is not None:
        out += struct.pack(">I", vendor)
    return out + data + bytes(-len(data) % 4)


def diameter(command: int, avps: bytes, flags: int = 0x80, app: int = 0) -> bytes:
    """RFC 6733 §3: version 1, length (3), flags, command code (3), app id, hop, end."""
    size = 20 + len(avps)
    return (b"\x01" + size.to_bytes(3, "big") + bytes((flags,)) + command.to_bytes(3, "big")
            + struct.pack(">III", app, 0x2ea49302, 0x6f00003) + avps)


CER_AVPS = (avp(264, b"client.example.com") + avp(296, b"example.com")
            + avp(257, b"\x00\x01\x0a\x00\x00\x01") + avp(266, b"\x00\x00\x00\x00")
            + avp(269, b"wirelens") + avp(260, avp(266, struct.pack(">I", 10415))
                                          + avp(258, struct.pack(">I", 16777251))))
DIAMETER_CER = diameter(257, CER_AVPS)
DIAMETER_CEA = diameter(257, avp(268, struct.pack(">I", 2001)) + CER_AVPS, flags=0)
DIAMETER_DWR = diameter(280, avp(264, b"peer.example") + avp(296, b"example"))
DIAMETER_ULR = diameter(316, avp(263, b"mme;1;2") + avp(1407, b"\x00\xf1\x10", 0xC0, 10415),
                        flags=0xC0, app=16777251)
DIAMETER_TWO = DIAMETER_DWR + diameter(280, avp(268, struct.pack(">I", 2001)), flags=0)


def smpp(command: int, body: bytes = b"", status: int = 0, seq: int = 1) -> bytes:
    """SMPP v3.4 §3.2: command_length, command_id, command_status, sequence_number."""
    return struct.pack(">IIII", 16 + len(body), command, status, seq) + body


def bind_body(system_id: bytes = b"smppclient1", password: bytes = b"secret",
              system_type: bytes = b"VMS", version: int = 0x34, ton: int = 1,
              npi: int = 1, address_range: bytes = b"") -> bytes:
    return (system_id + b"\x00" + password + b"\x00" + system_type + b"\x00"
            + bytes((version, ton, npi)) + address_range + b"\x00")


SMPP_BIND_TRX = smpp(0x09, bind_body())
SMPP_BIND_TX = smpp(0x02, bind_body(system_type=b"", version=0x50, ton=0, npi=0))
SMPP_BIND_RX = smpp(0x01, bind_body(address_range=b"^1234"), seq=7)
SMPP_BIND_RESP = smpp(0x80000009, b"SMSC\x00" + b"\x02\x10\x00\x01\x34")
SMPP_BIND_FAILED = smpp(0x80000002, status=0x0E)
SMPP_ENQUIRE = smpp(0x15, seq=2)
SMPP_ENQUIRE_RESP = smpp(0x80000015, seq=2)
SMPP_OUTBIND = smpp(0x0B, b"SMSC\x00pw\x00")


def kafka(key: int, version: int, client: bytes | None, body: bytes = b"",
          correlation: int = 1) -> bytes:
    """Request header: size, api_key, api_version, correlation_id, client_id (nullable)."""
    cid = b"\xff\xff" if client is None else struct.pack(">H", len(client)) + client
    rest = struct.pack(">hhi", key, version, correlation) + cid + body
    return struct.pack(">I", len(rest)) + rest


KAFKA_API_VERSIONS = kafka(18, 3, b"adminclient-1", b"\x12apache-kafka-java\x063.6.0\x00")
KAFKA_API_VERSIONS_V0 = kafka(18, 0, b"rdkafka")
KAFKA_METADATA = kafka(3, 9, b"producer-1", b"\x02\x00\x00\x00\x00\x00\x00\x00\x00" + bytes(8))
KAFKA_NULL_CLIENT = kafka(3, 1, None, b"\x00\x00\x00\x00")


def cql(version: int, opcode: int, body: bytes = b"", flags: int = 0, stream: int = 0) -> bytes:
    """Native protocol §2: version, flags, stream id, opcode, body length, body."""
    return struct.pack(">BBhBI", version, flags, stream, opcode, len(body)) + body


def cstr(text: bytes) -> bytes:
    return struct.pack(">H", len(text)) + text


def cmap(items: list[tuple[bytes, bytes]]) -> bytes:
    return struct.pack(">H", len(items)) + b"".join(cstr(k) + cstr(v) for k, v in items)


def cmultimap(items: list[tuple[bytes, list[bytes]]]) -> bytes:
    return struct.pack(">H", len(items)) + b"".join(
        cstr(k) + struct.pack(">H", len(v)) + b"".join(cstr(x) for x in v) for k, v in items)


CQL_OPTIONS = cql(4, 0x05)
CQL_STARTUP = cql(4, 0x01, cmap([(b"CQL_VERSION", b"3.0.0"), (b"DRIVER_NAME", b"gocql")]),
                  stream=1)
CQL_STARTUP_V5 = cql(5, 0x01, cmap([(b"CQL_VERSION", b"3.0.0")]))
CQL_SUPPORTED = cql(0x84, 0x06, cmultimap([(b"COMPRESSION", [b"snappy", b"lz4"]),
                                           (b"CQL_VERSION", [b"3.3.1"])]))
CQL_READY = cql(0x84, 0x02, stream=1)
CQL_AUTHENTICATE = cql(0x83, 0x03, cstr(b"org.apache.cassandra.auth.PasswordAuthenticator"))
CQL_ERROR = cql(0x84, 0x00, struct.pack(">I", 0x000A) + cstr(b"Invalid or unsupported protocol"))


def of(version: int, kind: int, body: bytes = b"", xid: int = 1) -> bytes:
    """ofp_header: version, type, length, xid."""
    return struct.pack(">BBHI", version, kind, 8 + len(body), xid) + body


OF_HELLO_10 = of(1, 0)
OF_HELLO_13 = of(4, 0, struct.pack(">HHI", 1, 8, 0x12))  # bitmap: 1.0 and 1.3
OF_HELLO_15 = of(6, 0, struct.pack(">HHI", 1, 8, 0x40), xid=0xFFFFFFFF)
OF_FEATURES = of(4, 5, xid=2)
OF_HELLO_FEATURES = OF_HELLO_10 + of(1, 5, xid=2)

PTP_CONTROL = {0x0: 0, 0x1: 1, 0x8: 2, 0x9: 3, 0xD: 4}


def ptp(kind: int, body: bytes, transport: int = 0, domain: int = 0, flags: int = 0x0200,
        seq: int = 1) -> bytes:
    """IEEE 1588-2008 §13.3: type nibbles, version 2, length, domain, reserved, flags,
    correction, reserved (4), sourcePortIdentity, sequenceId, control, log interval."""
    head = struct.pack(">BBHBBHqI", (transport << 4) | kind, 2, 34 + len(body), domain, 0,
                       flags, 0, 0)
    head += bytes.fromhex("00b0aefffe01f9200001") + struct.pack(
        ">HBb", seq, PTP_CONTROL.get(kind, 5), 0)
    return head + body


PTP_SYNC = ptp(0x0, bytes(10))
PTP_DELAY_REQ = ptp(0x1, bytes(10))
PTP_FOLLOW_UP = ptp(0x8, bytes.fromhex("00005a6790890ecca2a5"))
PTP_DELAY_RESP = ptp(0x9, bytes(10) + bytes.fromhex("7cfe90fffef950b40001"))
PTP_PDELAY_REQ = ptp(0x2, bytes(20), transport=1)
PTP_PDELAY_RESP = ptp(0x3, bytes(20), transport=1)
PTP_PDELAY_FOLLOW = ptp(0xA, bytes(20), transport=1)
PTP_ANNOUNCE = ptp(0xB, bytes(10) + b"\x00\x25\x00\x80\xf8\xfe\xff\xff\x80" + bytes(8)
                   + b"\x00\x00\xa0")
PTP_SIGNALING = ptp(0xC, b"\xff" * 10 + b"\x00\x04\x00\x06" + bytes(6))
PTP_MANAGEMENT = ptp(0xD, b"\xff" * 10 + b"\x01\x01\x00\x00" + b"\x00\x01\x00\x02\x20\x00")
PTP_IPV6_PADDED = PTP_SYNC + b"\x00\x00"


def someip(service: int, method: int, payload: bytes, kind: int = 0x00, code: int = 0,
           iface: int = 1, session: int = 1) -> bytes:
    """SOME/IP header: message id, length (from the request id on), request id, protocol
    version 1, interface version, message type, return code."""
    return struct.pack(">HHIHHBBBB", service, method, 8 + len(payload), 0x0000, session, 1,
                       iface, kind, code) + payload


SD_ENTRY = bytes.fromhex("01000010 1234 0001 01 000003 00000000".replace(" ", ""))
SD_OPTION = bytes.fromhex("0009 04 00 c0a80001 00 11 7725".replace(" ", ""))
SOMEIP_SD = someip(0xFFFF, 0x8100, b"\xc0\x00\x00\x00" + struct.pack(">I", len(SD_ENTRY))
                   + SD_ENTRY + struct.pack(">I", len(SD_OPTION)) + SD_OPTION, kind=0x02)
SOMEIP_REQUEST = someip(0x1234, 0x0008, b"\xab" * 5)
SOMEIP_RESPONSE = someip(0x1234, 0x0008, b"\xab" * 5, kind=0x80)
SOMEIP_ERROR = someip(0x1234, 0x0008, b"", kind=0x81, code=0x02)
SOMEIP_NOTIFY = someip(0x0001, 0x8002, b"\x00\x00\x00\x08", kind=0x02)
SOMEIP_TP = someip(0x0101, 0x0009, b"\x00\x00\x00\x01" + bytes(range(64)), kind=0x20)
SOMEIP_TWO = SOMEIP_REQUEST + someip(0x1234, 0x0009, b"", kind=0x01, session=2)

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSD05 = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
WSD09 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"


def wsd(action: str, ns: str = WSD05, decl: bool = True, bom: bool = False,
        prefix: str = "soap", body: str = "") -> bytes:
    """SOAP 1.2 envelope with a WS-Addressing Action header (SOAP-over-UDP 1.1)."""
    p = f"{prefix}:" if prefix else ""
    text = (('<?xml version="1.0" encoding="utf-8"?>' if decl else "")
            + f'<{p}Envelope xmlns{":" + prefix if prefix else ""}="{SOAP12}" '
            + 'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            + f'xmlns:wsd="{ns}"><{p}Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:'
            + f"discovery</wsa:To><wsa:Action>{ns}/{action}</wsa:Action><wsa:MessageID>"
            + "urn:uuid:0b4f6b52-5e14-4c5a-a12e-0d9a7b3c5e11</wsa:MessageID>"
            + f"</{p}Header><{p}Body>{body}</{p}Body></{p}Envelope>")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


WSD_PROBE = wsd("Probe", body="<wsd:Probe><wsd:Types>wsdp:Device</wsd:Types></wsd:Probe>")
WSD_RESOLVE = wsd("Resolve", WSD09, decl=False)
WSD_HELLO = wsd("Hello", bom=True)
WSD_BYE = wsd("Bye", WSD09, prefix="s")
WSD_PROBE_MATCHES = wsd("ProbeMatches", prefix="")
WSD_RESOLVE_MATCHES = wsd("ResolveMatches", WSD09, body="x" * 3000)
WSD_MUST_UNDERSTAND = wsd("Probe").replace(b"<wsa:Action>", b'<wsa:Action soap:mustUnderstand="1">')

# (class, transport, payload, boundaries: prefix lengths that are whole messages too)
POSITIVES: list[tuple[type[Dissector], int, bytes, tuple[int, ...]]] = [
    (Iax2Dissector, UDP, IAX_NEW, (16, 21, 30, 34)),
    (Iax2Dissector, UDP, IAX_ACK, ()),
    (Iax2Dissector, UDP, IAX_POKE, ()),
    (Iax2Dissector, UDP, IAX_REGREQ, (19,)),
    (Iax2Dissector, UDP, IAX_PING, ()),
    (H323Dissector, TCP, H323_SETUP, ()),
    (H323Dissector, TCP, H323_PROCEEDING, ()),
    (H323Dissector, TCP, H323_ALERTING, ()),
    (H323Dissector, TCP, H323_CONNECT, ()),
    (H323Dissector, TCP, H323_RELEASE, ()),
    (H323Dissector, TCP, H323_FACILITY, ()),
    (H323Dissector, TCP, H323_SETUP + H323_FACILITY, (len(H323_SETUP),)),
    (DiameterDissector, TCP, DIAMETER_CER, ()),
    (DiameterDissector, TCP, DIAMETER_CEA, ()),
    (DiameterDissector, TCP, DIAMETER_DWR, ()),
    (DiameterDissector, TCP, DIAMETER_ULR, ()),
    (DiameterDissector, TCP, DIAMETER_TWO, (len(DIAMETER_DWR),)),
    (SmppDissector, TCP, SMPP_BIND_TRX, ()),
    (SmppDissector, TCP, SMPP_BIND_TX, ()),
    (SmppDissector, TCP, SMPP_BIND_RX, ()),
    (SmppDissector, TCP, SMPP_BIND_RESP, ()),
    (SmppDissector, TCP, SMPP_BIND_FAILED, ()),
    (SmppDissector, TCP, SMPP_ENQUIRE, ()),
    (SmppDissector, TCP, SMPP_ENQUIRE_RESP, ()),
    (SmppDissector, TCP, SMPP_OUTBIND, ()),
    (KafkaDissector, TCP, KAFKA_API_VERSIONS, ()),
    (KafkaDissector, TCP, KAFKA_API_VERSIONS_V0, ()),
    (KafkaDissector, TCP, KAFKA_METADATA, ()),
    (KafkaDissector, TCP, KAFKA_NULL_CLIENT, ()),
    (CqlDissector, TCP, CQL_OPTIONS, ()),
    (CqlDissector, TCP, CQL_STARTUP, ()),
    (CqlDissector, TCP, CQL_STARTUP_V5, ()),
    (CqlDissector, TCP, CQL_SUPPORTED, ()),
    (CqlDissector, TCP, CQL_READY, ()),
    (CqlDissector, TCP, CQL_AUTHENTICATE, ()),
    (CqlDissector, TCP, CQL_ERROR, ()),
    (OpenFlowDissector, TCP, OF_HELLO_10, ()),
    (OpenFlowDissector, TCP, OF_HELLO_13, ()),
    (OpenFlowDissector, TCP, OF_HELLO_15, ()),
    (OpenFlowDissector, TCP, OF_FEATURES, ()),
    (OpenFlowDissector, TCP, OF_HELLO_FEATURES, (8,)),
    (PtpDissector, UDP, PTP_SYNC, ()),
    (PtpDissector, UDP, PTP_DELAY_REQ, ()),
    (PtpDissector, UDP, PTP_FOLLOW_UP, ()),
    (PtpDissector, UDP, PTP_DELAY_RESP, ()),
    (PtpDissector, UDP, PTP_PDELAY_REQ, ()),
    (PtpDissector, UDP, PTP_PDELAY_RESP, ()),
    (PtpDissector, UDP, PTP_PDELAY_FOLLOW, ()),
    (PtpDissector, UDP, PTP_ANNOUNCE, ()),
    (PtpDissector, UDP, PTP_SIGNALING, ()),
    (PtpDissector, UDP, PTP_MANAGEMENT, ()),
    (PtpDissector, UDP, PTP_IPV6_PADDED, (len(PTP_SYNC),)),
    (SomeIpDissector, UDP, SOMEIP_SD, ()),
    (SomeIpDissector, UDP, SOMEIP_REQUEST, ()),
    (SomeIpDissector, UDP, SOMEIP_RESPONSE, ()),
    (SomeIpDissector, UDP, SOMEIP_ERROR, ()),
    (SomeIpDissector, UDP, SOMEIP_NOTIFY, ()),
    (SomeIpDissector, UDP, SOMEIP_TP, ()),
    (SomeIpDissector, TCP, SOMEIP_REQUEST, ()),
    (SomeIpDissector, TCP, SOMEIP_TWO, (len(SOMEIP_REQUEST),)),
    (WsDiscoveryDissector, UDP, WSD_PROBE, ()),
    (WsDiscoveryDissector, UDP, WSD_RESOLVE, ()),
    (WsDiscoveryDissector, UDP, WSD_HELLO, ()),
    (WsDiscoveryDissector, UDP, WSD_BYE, ()),
    (WsDiscoveryDissector, UDP, WSD_PROBE_MATCHES, ()),
    (WsDiscoveryDissector, UDP, WSD_RESOLVE_MATCHES, ()),
    (WsDiscoveryDissector, UDP, WSD_MUST_UNDERSTAND, ()),
]  # fmt: skip

WELL_KNOWN = {cls: min(cls.ports) for cls in TELECOM_SIGNATURES}


def _replace(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (Iax2Dissector, UDP, _replace(IAX_NEW, 0, b"\x00"), "mini frame (F bit clear)"),
    (Iax2Dissector, UDP, _replace(IAX_NEW, 0, b"\x80\x00"), "source call number 0"),
    (Iax2Dissector, UDP, iax(6, 0x1F), "IAX subclass 0x1F"),
    (Iax2Dissector, UDP, iax(6, 0x23), "IAX subclass 0x23"),
    (Iax2Dissector, UDP, iax(6, 0x00), "IAX subclass 0"),
    (Iax2Dissector, UDP, iax(2, 0x04, bytes(160)), "voice frame"),
    (Iax2Dissector, UDP, iax(11, 0x01), "frame type 11"),
    (Iax2Dissector, UDP, iax(4, 0x01, dcall=0x22), "control frame (HANGUP)"),
    (Iax2Dissector, UDP, iax(6, 0x04), "ACK to call number 0"),
    (Iax2Dissector, UDP, iax(6, 0x01, dcall=0x22), "NEW without IEs"),
    (Iax2Dissector, UDP, IAX_NEW + b"\x01", "IE cut"),
    (Iax2Dissector, UDP, IAX_NEW[:-1], "last IE shorter than its length"),
    (Iax2Dissector, UDP, iax(6, 0x01, ie(0x00, b"ab")), "IE type 0"),
    (H323Dissector, TCP, _replace(H323_SETUP, 0, b"\x02"), "TPKT version 2"),
    (H323Dissector, TCP, _replace(H323_SETUP, 1, b"\x01"), "TPKT reserved"),
    (H323Dissector, TCP, H323_SETUP + b"\x00", "TPKT length"),
    (H323Dissector, TCP, _replace(H323_SETUP, 4, b"\x09"), "discriminator 9"),
    (H323Dissector, TCP, _replace(H323_SETUP, 5, b"\x01"), "call reference length 1"),
    (H323Dissector, TCP, _replace(H323_SETUP, 8, b"\x06"), "message type 6"),
    (H323Dissector, TCP, tpkt(q931(0x05, b"\x04\x03\x80\x90\xa5")), "no User-user IE"),
    (H323Dissector, TCP, tpkt(q931(0x05, b"\x7e\x00\x03\x04\x01\x02")), "UU discriminator 4"),
    (H323Dissector, TCP, tpkt(q931(0x05, uuie(H225_PDU) + b"\x04\x09\x80")), "IE beyond the end"),
    (H323Dissector, TCP, tpkt(b"\x02\xf0\x80" + q931(0x05, uuie(H225_PDU))), "behind a COTP DT"),
    (H323Dissector, TCP, H323_SETUP + b"\x03\x00", "a second TPKT cut"),
    (DiameterDissector, TCP, _replace(DIAMETER_CER, 0, b"\x02"), "version 2"),
    (DiameterDissector, TCP, DIAMETER_CER + bytes(4), "length != segment"),
    (DiameterDissector, TCP, diameter(257, CER_AVPS, flags=0x81), "reserved flag"),
    (DiameterDissector, TCP, diameter(257, CER_AVPS, flags=0xA0), "request with E bit"),
    (DiameterDissector, TCP, diameter(999, CER_AVPS), "command 999"),
    (DiameterDissector, TCP, diameter(257, avp(264, b"host", flags=0x41)), "AVP reserved flag"),
    (DiameterDissector, TCP, diameter(257, avp(264, b"host")[:-4]), "AVP beyond the message"),
    (DiameterDissector, TCP, diameter(257, b"\x00\x00\x01\x08\x40\x00\x00\x04" + bytes(4)), "AVP length 4"),
    (DiameterDissector, TCP, diameter(257, b"\x00\x00\x01\x08\x80\x00\x00\x08" + bytes(4)), "vendor AVP of 8"),
    (DiameterDissector, TCP, DIAMETER_DWR + b"\x01\x00", "a second message cut"),
    (SmppDissector, TCP, SMPP_BIND_TRX + b"\x00", "command_length"),
    (SmppDissector, TCP, smpp(0x09, bind_body(), status=1), "request with a status"),
    (SmppDissector, TCP, smpp(0x09, bind_body(), seq=0), "sequence 0"),
    (SmppDissector, TCP, smpp(0x09, bind_body(), seq=0x80000000), "sequence 2^31"),
    (SmppDissector, TCP, smpp(0x09, bind_body(version=0x35)), "interface version 0x35"),
    (SmppDissector, TCP, smpp(0x09, bind_body(ton=7)), "addr_ton 7"),
    (SmppDissector, TCP, smpp(0x09, bind_body(npi=19)), "addr_npi 19"),
    (SmppDissector, TCP, smpp(0x09, bind_body(system_id=b"s" * 16)), "system_id of 17"),
    (SmppDissector, TCP, smpp(0x09, bind_body(password=b"\x01pw")), "control byte"),
    (SmppDissector, TCP, smpp(0x09, bind_body() + b"\x00"), "bytes after address_range"),
    (SmppDissector, TCP, smpp(0x04, b"\x00" * 30), "submit_sm first"),
    (SmppDissector, TCP, smpp(0x15, b"\x00"), "enquire_link with a body"),
    (SmppDissector, TCP, smpp(0x80000009, b"SMSC\x00\x02\x10\x00\x02\x34"), "TLV beyond the PDU"),
    (SmppDissector, TCP, smpp(0x80000009), "bind_resp OK without system_id"),
    (KafkaDissector, TCP, KAFKA_METADATA + b"\x00", "size"),
    (KafkaDissector, TCP, kafka(75, 0, b"c"), "api_key 75"),
    (KafkaDissector, TCP, kafka(0, 0, b"", bytes(30)), "Produce v0, empty client_id (ZooKeeper)"),
    (KafkaDissector, TCP, kafka(18, 5, b"c"), "ApiVersions v5"),
    (KafkaDissector, TCP, kafka(-1, 0, b"c"), "api_key -1"),
    (KafkaDissector, TCP, kafka(18, 3, b"bad\x01id"), "client_id control byte"),
    (KafkaDissector, TCP, kafka(18, 3, b"c")[:-1] + b"\x00\x05", "client_id beyond"),
    (CqlDissector, TCP, cql(2, 0x05), "version 2"),
    (CqlDissector, TCP, cql(6, 0x05), "version 6"),
    (CqlDissector, TCP, cql(3, 0x05, flags=0x04), "v3 custom payload flag"),
    (CqlDissector, TCP, cql(4, 0x05, flags=0x10), "v4 beta flag"),
    (CqlDissector, TCP, CQL_OPTIONS + b"\x00", "body length"),
    (CqlDissector, TCP, cql(4, 0x07, b"\x00" * 8), "QUERY first"),
    (CqlDissector, TCP, cql(4, 0x01, cmap([(b"COMPRESSION", b"lz4")])), "STARTUP without CQL_VERSION"),
    (CqlDissector, TCP, cql(4, 0x01, cmap([(b"CQL_VERSION", b"3.0.0")]) + b"\x00"), "STARTUP map not ending"),
    (CqlDissector, TCP, cql(4, 0x05, b"\x00"), "OPTIONS with a body"),
    (CqlDissector, TCP, cql(0x84, 0x02, b"\x00"), "READY with a body"),
    (CqlDissector, TCP, cql(0x84, 0x00, struct.pack(">I", 0x0001) + cstr(b"x")), "error code 1"),
    (CqlDissector, TCP, cql(0x84, 0x06, cmultimap([(b"A", [b"b"])]) + b"\x00"), "multimap not ending"),
    (CqlDissector, TCP, cql(0x84, 0x05), "OPTIONS as a response"),
    (OpenFlowDissector, TCP, of(7, 0), "version 7"),
    (OpenFlowDissector, TCP, of(0, 0), "version 0"),
    (OpenFlowDissector, TCP, of(4, 10), "PACKET_IN first"),
    (OpenFlowDissector, TCP, of(4, 2, b"ping"), "ECHO_REQUEST first"),
    (OpenFlowDissector, TCP, OF_HELLO_10 + b"\x00", "length"),
    (OpenFlowDissector, TCP, of(1, 0, b"\x00\x01\x00\x08\x00\x00\x00\x02"), "1.0 HELLO with a body"),
    (OpenFlowDissector, TCP, of(4, 0, struct.pack(">HHI", 1, 8, 0x02)), "bitmap without 1.3"),
    (OpenFlowDissector, TCP, of(4, 0, struct.pack(">HHI", 1, 16, 0x10)), "element beyond"),
    (OpenFlowDissector, TCP, of(4, 5, b"\x00"), "FEATURES_REQUEST with a body"),
    (OpenFlowDissector, TCP, OF_HELLO_10 + of(4, 5), "second message of another version"),
    (OpenFlowDissector, TCP, OF_HELLO_10 + of(1, 40), "second message type 40"),
    (OpenFlowDissector, TCP, OF_HELLO_10 + b"\x01\x05", "second message cut"),
    (PtpDissector, UDP, _replace(PTP_SYNC, 1, b"\x01"), "version 1"),
    (PtpDissector, UDP, _replace(PTP_SYNC, 1, b"\x22"), "minor version 2"),
    (PtpDissector, UDP, ptp(0x4, bytes(10)), "message type 4"),
    (PtpDissector, UDP, ptp(0x0, bytes(10), transport=2), "transportSpecific 2"),
    (PtpDissector, UDP, PTP_SYNC + b"\x00", "length + 1"),
    (PtpDissector, UDP, PTP_SYNC + b"\x00\x00\x00", "length + 3"),
    (PtpDissector, UDP, _replace(PTP_SYNC, 5, b"\x01"), "reserved octet 5"),
    (PtpDissector, UDP, _replace(PTP_SYNC, 32, b"\x01"), "Sync control 1"),
    (PtpDissector, UDP, _replace(PTP_ANNOUNCE, 32, b"\x00"), "Announce control 0"),
    (PtpDissector, UDP, ptp(0xB, bytes(20)), "Announce of 54"),
    (PtpDissector, UDP, ptp(0x0, bytes(14)), "Sync of 48"),
    (PtpDissector, UDP, ptp(0xC, b"\xff" * 10 + b"\x00\x04\x00\x07" + bytes(6)), "TLV beyond"),
    (PtpDissector, UDP, ptp(0xD, b"\xff" * 10 + b"\x01\x01\x05\x00"), "action field 5"),
    (SomeIpDissector, UDP, _replace(SOMEIP_REQUEST, 12, b"\x02"), "protocol version 2"),
    (SomeIpDissector, UDP, SOMEIP_REQUEST + b"\x00", "length"),
    (SomeIpDissector, UDP, someip(0x1234, 1, b"", kind=0x03), "message type 3"),
    (SomeIpDissector, UDP, someip(0x1234, 1, b"", kind=0x80, code=0x5F), "return code 0x5F"),
    (SomeIpDissector, UDP, someip(0x1234, 1, b"", kind=0x00, code=0x01), "request with an error code"),
    (SomeIpDissector, UDP, _replace(SOMEIP_SD, 14, b"\x00"), "SD not a notification"),
    (SomeIpDissector, UDP, _replace(SOMEIP_SD, 13, b"\x02"), "SD interface version 2"),
    (SomeIpDissector, UDP, _replace(SOMEIP_SD, 20, b"\x00\x00\x00\x11"), "SD entries length 17"),
    (SomeIpDissector, UDP, _replace(SOMEIP_SD, 17, b"\x01"), "SD reserved"),
    (SomeIpDissector, UDP, someip(0xFFFF, 0x8100, b"\xc0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", kind=2), "SD options beyond"),
    (SomeIpDissector, TCP, SOMEIP_REQUEST + b"\x12\x34", "second message cut"),
    (WsDiscoveryDissector, UDP, WSD_PROBE.replace(SOAP12.encode(), b"http://schemas.xmlsoap.org/soap/envelope/"), "SOAP 1.1"),
    (WsDiscoveryDissector, UDP, wsd("Probe", "http://example.com/discovery"), "other namespace"),
    (WsDiscoveryDissector, UDP, wsd("Invalid"), "unknown action"),
    (WsDiscoveryDissector, UDP, wsd("ProbeX"), "action with a suffix"),
    (WsDiscoveryDissector, UDP, WSD_PROBE.replace(b"soap:Envelope", b"soap:Envelopes"), "not an Envelope"),
    (WsDiscoveryDissector, UDP, b"<?xml version='1.0'" + WSD_RESOLVE, "declaration not closed"),
    (WsDiscoveryDissector, UDP, b"x" + WSD_RESOLVE, "text before the document"),
    (WsDiscoveryDissector, UDP, wsd("Probe").replace(b"<wsa:To>", b"<wsa:Pad>" + b"_" * 1100 + b"</wsa:Pad><wsa:To>"), "Action beyond the scan"),
]  # fmt: skip

EXACT: dict[tuple[type[Dissector], int], bool] = {
    (H323Dissector, TCP): True, (DiameterDissector, TCP): True, (SmppDissector, TCP): True,
    (KafkaDissector, TCP): True, (CqlDissector, TCP): True, (OpenFlowDissector, TCP): True,
    (PtpDissector, UDP): True, (SomeIpDissector, UDP): True, (SomeIpDissector, TCP): True,
    # IAX2: an IAX frame cut at an IE boundary is a shorter valid frame (the boundaries are
    # listed); WS-Discovery: only a bounded prefix is read, the document may be longer
    (Iax2Dissector, UDP): True, (WsDiscoveryDissector, UDP): False,
}  # fmt: skip
"""(class, transport) whose test ties a length field to the payload's length: prefixes
(except at message boundaries) and appended junk are refused."""


# --- synthetic positives and negatives ----------------------------------------------------------


@sf.positives(POSITIVES)
def test_positive_identified_by_the_registry(
    case: tuple[type[Dissector], int, bytes, tuple[int, ...]],
) -> None:
    """Identified as the class by the whole registry, on the well-known port and on high
    ports, from either side; no other class of this module matches it."""
    cls, proto, payload, _ = case
    port = WELL_KNOWN[cls]
    sf.check_identified_on_any_ports(cls, proto, payload, TELECOM_SIGNATURES, port_cases=(
        (True, 49152, port), (False, port, 49152), (True, 40001, 51234), (False, 61000, 33333)))


def test_every_class_and_transport_has_positives() -> None:
    got = {(c, p) for c, p, _, _ in POSITIVES}
    assert got == {(c, p) for c in TELECOM_SIGNATURES for p in c.transports}


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(
    case: tuple[type[Dissector], int, bytes, tuple[int, ...]],
) -> None:
    """Every prefix gives a bool; exact-length tests refuse prefixes (but whole messages at
    the boundaries of a multi-message payload) and appended junk."""
    cls, proto, payload, boundaries = case
    exact = EXACT[(cls, proto)]
    sf.check_truncations(cls, proto, payload, exact, boundaries if exact else None, equal=True)


@sf.positives(POSITIVES)
def test_feed_whole_bytewise_and_with_junk(
    case: tuple[type[Dissector], int, bytes, tuple[int, ...]],
) -> None:
    """Identification only: no events whatever the split, done after the first bytes."""
    cls, proto, payload, _ = case
    sf.check_feed_identification_only(cls, proto, payload)


def test_telecom_facts() -> None:
    """Names, transports, ports; registered in the signatures before RTP."""
    names = [c.name for c in TELECOM_SIGNATURES]
    assert names == ["diameter", "smpp", "cql", "kafka", "someip", "ptp", "h323", "openflow",
                     "iax2", "ws_discovery"]
    order = list(SIGNATURE_DISSECTORS)
    assert all(order.index(c) < order.index(RtpDissector) for c in TELECOM_SIGNATURES)
    for cls in TELECOM_SIGNATURES:
        assert cls.transports and cls.transports <= {TCP, UDP}
        assert registry.by_name(cls.name) is cls
        assert all(proto in cls.transports for proto in cls.screens)
    assert WELL_KNOWN == {
        DiameterDissector: 3868, SmppDissector: 2775, CqlDissector: 9042, KafkaDissector: 9092,
        SomeIpDissector: 30490, PtpDissector: 319, H323Dissector: 1720, OpenFlowDissector: 6633,
        Iax2Dissector: 4569, WsDiscoveryDissector: 3702}
    assert PtpDissector.ports == {319, 320} and OpenFlowDissector.ports == {6633, 6653}


def test_iax2_wins_over_rtp() -> None:
    """An IAX full frame whose source call number is below 0x4000 starts with 0x80-0xBF,
    which reads as RTP version 2: IAX2 comes first."""
    assert RtpDissector.matches(IAX_NEW, UDP, True)
    assert registry.identify(IAX_NEW, UDP, True, 40000, 50000) is Iax2Dissector


def test_h323_kept_apart_from_rdp_and_s7comm() -> None:
    """Q.931 has no COTP header: RDP and S7comm refuse H.225.0 messages, H.323 refuses COTP
    connection requests and data."""
    cotp_cr = tpkt(b"\x0e\xe0\x00\x00\x00\x01\x00\xc1\x02\x01\x00\xc2\x02\x01\x02\xc0\x01\x0a")
    rdp_cr = tpkt(b"\x27\xe0\x00\x00\x00\x00\x00" + b"Cookie: mstshash=administrator\r\n")
    for payload in (H323_SETUP, H323_CONNECT, H323_FACILITY):
        assert not RdpDissector.matches(payload, TCP, True)
        assert not S7commDissector.matches(payload, TCP, True)
        for port in (102, 1720, 3389):
            assert registry.identify(payload, TCP, True, 50000, port) is H323Dissector
    for payload in (cotp_cr, rdp_cr):
        assert not H323Dissector.matches(payload, TCP, True)


# --- strictness and fuzz ------------------------------------------------------------------------


def test_other_protocols_first_payloads_refused() -> None:
    sf.check_other_first_payloads(TELECOM_SIGNATURES)


RANDOM_SIZES = (4, 8, 12, 13, 16, 20, 24, 28, 32, 44, 48, 54, 64, 100, 148, 200, 512, 1200)


def test_random_payloads_refused() -> None:
    """Uniformly random payloads, and random payloads whose first byte each class admits:
    none is taken."""
    assert sf.random_payload_hits(TELECOM_SIGNATURES, RANDOM_SIZES) == {}


def test_matches_is_cheap() -> None:
    """Random 100-byte payloads: a few microseconds per call for every class."""
    rng = random.Random(7)
    payloads = [rng.randbytes(100) for _ in range(2000)]
    for cls in TELECOM_SIGNATURES:
        per_call = sf.matches_cost(cls, payloads, min(cls.transports))
        assert per_call < 50e-6, (cls.name, per_call)


@sf.FUZZ
@given(st.binary(max_size=400), st.sampled_from(TELECOM_SIGNATURES), st.booleans())
def test_fuzz_matches_never_raises(data: bytes, cls: type[Dissector], side: bool) -> None:
    for proto in (TCP, UDP):
        sf.fuzz_invariant(cls, proto, data, first_side=side, done=True)


@sf.FUZZ
@given(st.integers(0, 2**64), st.integers(1, 600))
def test_fuzz_uniform_random_bytes_refused(seed: int, size: int) -> None:
    data = random.Random(seed).randbytes(size)
    for cls in TELECOM_SIGNATURES:
        for proto in cls.transports:
            for side in (True, False):
                sf.check_refuses_random(cls, data, proto, side, others=False)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes overwritten, inserted, deleted or cut reach the deep checks
    of every class without an exception."""
    _, proto, payload, _ = POSITIVES[index]
    sf.fuzz_mutated(TELECOM_SIGNATURES, proto, payload, edits)


# --- real captures ------------------------------------------------------------------------------

DATA, CFGS, needs_data = sf.DATA, sf.CFGS, sf.needs_data

NDPI_LABELS = {
    "iax2": {"IAX"}, "h323": {"H323"}, "diameter": {"Diameter"}, "smpp": {"SMPP"},
    "kafka": {"Kafka"}, "cql": {"Cassandra"}, "openflow": {"OpenFlow"}, "ptp": {"PTPv2"},
    "someip": {"SOMEIP"}, "ws_discovery": {"WSD"},
}  # fmt: skip


# (hits, total) of the flows nDPI labels with the service, first payload of either side.
# - ptp 3/3: ptpv2.pcap is PTP over UDP/IPv6, each datagram 2 octets longer than its
#   messageLength (IEEE 1588 Annex E's checksum-correction octets), accepted as such.
# - h323, smpp, kafka, cql: no flow of the nDPI captures carries these labels (nDPI's
#   Cassandra capture is in nfstream's copy below).
NDPI_EXPECTED = {
    "iax2": (1, 1), "h323": (0, 0), "diameter": (1, 1), "smpp": (0, 0), "kafka": (0, 0),
    "cql": (0, 0), "openflow": (1, 1), "ptp": (3, 3), "someip": (3, 3), "ws_discovery": (2, 2),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(TELECOM_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


# Other projects' captures of the services (on the service's port): (paths, ports, hits,
# total). The nfstream captures are nDPI's own; tcpdump's ptp.pcap holds a Delay_Req, a
# Delay_Resp and a Sync (IPv4, exact lengths); someip2.pcap a REQUEST_NO_RETURN; upnp.pcap
# is nfstream's copy of nDPI's (two WS-Discovery Probes). OpenFlow 1.0, tcpdump's of10_*:
# the two captures that hold a session's start (HELLO both ways) are taken; the 3 misses
# start mid-session (of10_7050q: a VENDOR 0x04 message; of10_7050sx_bsn-oobr: VENDOR;
# of10_inv_OFPST_FLOW: a STATS_REPLY 0x11), which the handshake test does not accept.
NF = DATA / "nfstream" / "tests" / "pcaps"
TD = DATA / "tcpdump" / "tests"
OTHER: dict[str, tuple[list[Path], set[int], int, int]] = {
    "cql": ([NF / "cassandra.pcap"], {9042}, 2, 2),
    "diameter": ([NF / "diameter.pcap"], {3868}, 1, 1),
    "ptp": ([TD / "ptp.pcap"], {319, 320}, 3, 3),
    "someip": ([TD / "someip2.pcap"], {30490}, 1, 1),
    "ws_discovery": ([NF / "upnp.pcap"], {3702}, 2, 2),
    "openflow": (sorted(TD.glob("of10_*.pcap*")), {6633, 6653}, 2, 5),
}  # fmt: skip


@needs_data
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_projects_captures(name: str) -> None:
    sf.check_other_captures(TELECOM_SIGNATURES, name, OTHER[name])


# Hits on flows nDPI labels with another protocol, each explained: (class, nDPI label).
EXPLAINED: dict[tuple[str, str], int] = {}
# Hits on flows without an nDPI label (the other projects' captures), per (class, capture).
UNLABELLED = {
    ("cql", "cassandra.pcap"): 2, ("diameter", "diameter.pcap"): 1,  # nfstream's copies
    ("ptp", "ptp.pcap"): 3, ("someip", "someip2.pcap"): 1, ("ws_discovery", "upnp.pcap"): 2,
    ("openflow", "of10_7050sx_bsn.pcap"): 1, ("openflow", "of10_pf5240.pcap"): 1,
}  # fmt: skip


@needs_data
def test_negative_corpus() -> None:
    """Over every flow of the shared captures: the flows our classes take from another
    label are exactly the explained ones; the unlabelled flows taken are the known ones."""
    other, unlabelled = sf.corpus_hits(TELECOM_SIGNATURES, NDPI_LABELS,
                                       unlabelled=(None, "Unknown"), by_capture=True)
    assert other == EXPLAINED
    assert dict(unlabelled) == UNLABELLED


@needs_data
def test_registry_with_telecom_signatures_steals_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The registry with and without our classes: every flow identified before keeps its
    dissector, except the IAX flow RTP took (a full frame's F bit reads as RTP version 2;
    iax.pcap, nDPI: IAX); the flows newly identified are the positives above."""
    changed, new = sf.registry_changes(monkeypatch, TELECOM_SIGNATURES, per_side=False)
    assert dict(changed) == CHANGED
    assert dict(new) == NEW


CHANGED = {("rtp", "iax2"): 1}
"""iax.pcap (nDPI: IAX): RTP took it from the NEW frame's 0x80 first byte."""
NEW = {"someip": 4, "ptp": 6, "ws_discovery": 4, "diameter": 2, "openflow": 3, "cql": 2}
"""The positives of the nDPI captures and of the other projects' captures above."""
