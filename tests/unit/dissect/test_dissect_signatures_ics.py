"""Industrial control and IoT content signatures (``signatures_ics``): messages built from
their specs, one-fact negatives, fuzzing, and the real captures.

Every positive is built field by field from the specification the class cites and must be
identified by the whole registry as that class, on its well-known ports and on random high
ports (identification is by content). Every negative breaks exactly one checked fact.
Real captures: the flows nDPI labels with the service (and the other projects' captures
named after it) give the hits measured below, each miss explained; over every flow of the
shared captures, the flows our classes take from another nDPI label are the explained ones,
and adding our classes changes the identity of no flow the registry identified before,
except the two FINS flows RTP used to take.

Fuzz invariant: ``matches`` returns a bool for any bytes (never raises, 250 ms deadline),
``feed`` returns no event; uniformly random payloads are refused.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st
from wl_strategies import uniform_bytes

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.rdp import RdpDissector
from wirelens.dissect.signatures import SIGNATURE_DISSECTORS
from wirelens.dissect.signatures_ics import (
    ICS_SIGNATURES,
    BacnetDissector,
    CoapDissector,
    EnipDissector,
    FinsDissector,
    Iec104Dissector,
    KnxnetIpDissector,
    OpcUaDissector,
    S7commDissector,
    TplinkShpDissector,
    TuyaLpDissector,
)
from wirelens.dissect.signatures_udp import RtpDissector

TCP, UDP = 6, 17

# --- builders (facts from the specs cited in the classes) ---------------------------------------


def apdu(control: bytes, asdu: bytes = b"") -> bytes:
    """IEC 104 §5: start 0x68, length of what follows, 4 control octets, the ASDU."""
    return bytes((0x68, 4 + len(asdu))) + control + asdu


def i_control(send: int = 3, recv: int = 5) -> bytes:
    """I format: send and receive sequence numbers shifted left by one (bit 0 zero)."""
    return struct.pack("<HH", send << 1, recv << 1)


def asdu(kind: int, objects: bytes, count: int, sq: bool = False, cot: int = 6) -> bytes:
    """101 §7.2: type, VSQ (SQ bit + number), COT + originator, common address (2)."""
    return bytes((kind, count | (0x80 if sq else 0), cot, 0)) + struct.pack("<H", 1) + objects


INTERROGATION = apdu(i_control(), asdu(100, b"\x00\x00\x00\x14", 1))  # C_IC_NA_1, QOI 20
FLOATS_SQ = apdu(i_control(), asdu(13, b"\x01\x00\x00" + b"\x00\x00\x80\x3f\x00" * 3, 3, True, 3))
FLOATS_TIMED = apdu(i_control(), asdu(36, (b"\x0a\x00\x00" + bytes(5) + bytes(7)) * 2, 2, cot=3))
STARTDT_ACT = apdu(b"\x07\x00\x00\x00")
STARTDT_CON = apdu(b"\x0b\x00\x00\x00")
S_FRAME = apdu(b"\x01\x00" + struct.pack("<H", 0x42B9 & ~1))


def tpkt(tpdu: bytes) -> bytes:
    """RFC 1006 §6: version 3, reserved 0, total length."""
    return struct.pack(">BBH", 3, 0, 4 + len(tpdu)) + tpdu


def cotp_connect(code: int, params: bytes, dst: int = 0, src: int = 1) -> bytes:
    """ISO 8073 §13.3: LI, code, dst-ref, src-ref, class 0, parameters."""
    body = bytes((code,)) + struct.pack(">HH", dst, src) + b"\x00" + params
    return tpkt(bytes((len(body),)) + body)


def tsaps(calling: bytes, called: bytes, size: int = 0x0A) -> bytes:
    return b"\xc1" + bytes((len(calling),)) + calling + b"\xc2" + bytes((len(called),)) + called + (
        b"\xc0\x01" + bytes((size,)))


S7_CR = cotp_connect(0xE0, tsaps(b"\x01\x00", b"\x01\x02"))
S7_CC = cotp_connect(0xD0, tsaps(b"\x01\x00", b"\x01\x02"), dst=1, src=7)
S7_PLUS_CR = cotp_connect(0xE0, tsaps(b"\x06\x00", b"SIMATIC-ROOT-HMI"))


def s7(rosctr: int, params: bytes, data: bytes = b"", error: bytes = b"\x00\x00") -> bytes:
    """TPKT + COTP DT (LI 2, 0xF0, EOT) + S7comm header (0x32, ROSCTR, reserved, PDU
    reference, parameter and data lengths, error class/code for ack and ack-data)."""
    head = struct.pack(">BBHHHH", 0x32, rosctr, 0, 0x0400, len(params), len(data))
    return tpkt(b"\x02\xf0\x80" + head + (error if rosctr in (2, 3) else b"") + params + data)


S7_SETUP = s7(1, b"\xf0\x00\x00\x01\x00\x01\x01\xe0")
S7_SETUP_ACK = s7(3, b"\xf0\x00\x00\x01\x00\x01\x00\xf0")
S7_USERDATA = s7(7, b"\x00\x01\x12\x04\x11\x44\x01\x00", b"\xff\x09\x00\x04\x01\x32\x00\x04")
S7_READ = s7(1, b"\x04\x01\x12\x0a\x10\x02\x00\x01\x00\x01\x84\x00\x00\x00")


def s7_plus(body: bytes, version: int = 2) -> bytes:
    """TPKT + COTP DT + S7comm-plus: 0x72, version, data length, data, trailer."""
    frame = bytes((0x72, version)) + struct.pack(">H", len(body)) + body
    return tpkt(b"\x02\xf0\x80" + frame + bytes((0x72, version, 0, 0)))


S7_PLUS_DATA = s7_plus(b"\x31\x00\x00\x05\x42\x00\x00\x00\x02" + bytes(8))


def ua_string(text: bytes | None) -> bytes:
    """OPC UA String: Int32 length (-1 for null) then UTF-8 bytes."""
    return b"\xff\xff\xff\xff" if text is None else struct.pack("<i", len(text)) + text


def ua(kind: bytes, body: bytes) -> bytes:
    """§7.1.2.2 header: type + chunk type (4 bytes), MessageSize (LE), then the body."""
    return kind + struct.pack("<I", 8 + len(body)) + body


def ua_hello(url: bytes = b"opc.tcp://plc1.example.com:4840/ua", version: int = 0,
             buffer: int = 65536) -> bytes:
    return ua(b"HELF", struct.pack("<IIIII", version, buffer, buffer, 0, 0) + ua_string(url))


UA_ACK = ua(b"ACKF", struct.pack("<IIIII", 0, 65536, 65536, 0x01000000, 5000))
UA_ERR = ua(b"ERRF", struct.pack("<I", 0x80820000) + ua_string(b"Bad_TcpEndpointUrlInvalid"))
UA_RHE = ua(b"RHEF", ua_string(b"urn:plc1:server") + ua_string(b"opc.tcp://plc1:4840"))
UA_OPN = ua(b"OPNF", struct.pack("<I", 0)
            + ua_string(b"http://opcfoundation.org/UA/SecurityPolicy#None")
            + ua_string(None) + ua_string(None) + struct.pack("<II", 1, 1) + bytes(40))
UA_MSG = ua(b"MSGF", struct.pack("<IIII", 1, 1, 2, 2) + bytes(30))
UA_CLO = ua(b"CLOF", struct.pack("<IIII", 1, 1, 9, 9) + bytes(10))
UA_CHUNKS = ua(b"MSGC", struct.pack("<IIII", 1, 1, 3, 3) + bytes(20)) + ua(
    b"MSGF", struct.pack("<IIII", 1, 1, 4, 3) + bytes(8))


def tuya(command: int = 0x0A, payload: bytes = b"\x01" * 32, seq: int = 1) -> bytes:
    """55AA frame: prefix, sequence, command, length of the rest, payload, CRC32, suffix."""
    rest = payload + b"\x12\x34\x56\x78" + b"\x00\x00\xaa\x55"
    return b"\x00\x00\x55\xaa" + struct.pack(">III", seq, command, len(rest)) + rest


def tuya35(command: int = 0x0D, payload: bytes = b"\x02" * 40, seq: int = 7) -> bytes:
    """6699 frame: prefix, version/reserved, sequence, command, length (nonce + payload +
    tag), nonce, payload, tag, suffix."""
    body = bytes(range(12)) + payload + bytes(range(16))
    return (b"\x00\x00\x66\x99\x00\x00" + struct.pack(">III", seq, command, len(body)) + body
            + b"\x00\x00\x99\x66")


TUYA_DISCOVERY = tuya(0x13, bytes(range(156)), seq=0)
TUYA_RESPONSE = tuya(0x08, b"\x00\x00\x00\x00" + bytes(range(64)))  # return code, payload


def fins(icf: int = 0x80, command: int = 0x0101, body: bytes = b"\x82\x00\x64\x00\x00\x0a",
         gct: int = 2, dna: int = 0, da2: int = 0, sid: int = 0x11) -> bytes:
    """W227 §3: ICF, RSV, GCT, DNA, DA1, DA2, SNA, SA1, SA2, SID, MRC/SRC, parameters."""
    return bytes((icf, 0, gct, dna, 0x0A, da2, 0, 0x01, 0, sid)) + struct.pack(">H", command) + body


FINS_READ = fins()
FINS_READ_RESPONSE = fins(0xC0, 0x0101, b"\x00\x00" + bytes(20))
FINS_STATUS = fins(command=0x0601, body=b"")
FINS_CLOCK_NO_REPLY = fins(0x81, 0x0701, b"", gct=7)


def fins_tcp(command: int, data: bytes, error: int = 0) -> bytes:
    """W421 §7: "FINS", length of the rest, command, error code, data."""
    return b"FINS" + struct.pack(">III", 8 + len(data), command, error) + data


FINS_TCP_HELLO = fins_tcp(0, b"\x00\x00\x00\x00")
FINS_TCP_WELCOME = fins_tcp(1, b"\x00\x00\x00\xfb\x00\x00\x00\xc8")
FINS_TCP_FRAME = fins_tcp(2, fins(command=0x0501, body=b"\x00"))


def tplink(text: bytes) -> bytes:
    """Autokey XOR: key 171, then each cipher byte is the next key."""
    out, key = bytearray(), 171
    for b in text:
        key = b ^ key
        out.append(key)
    return bytes(out)


TPLINK_QUERY = b'{"system":{"get_sysinfo":{}}}'
TPLINK_REPLY = (b'{"system":{"get_sysinfo":{"sw_ver":"1.5.4 Build 180815 Rel.121440",'
                b'"alias":"Kitchen \\u00e9","relay_state":1,"rssi":-52}}}')


def enip(command: int, body: bytes = b"", session: int = 0, status: int = 0,
         options: int = 0) -> bytes:
    """CIP Vol 2 §2-3.1: command, length, session handle, status, sender context,
    options (little-endian)."""
    return struct.pack("<HHII8sI", command, len(body), session, status, b"ctx-0001", options) + body


def cpf(*items: tuple[int, bytes]) -> bytes:
    """§2-6: item count, then (type, length, data) items."""
    return struct.pack("<H", len(items)) + b"".join(
        struct.pack("<HH", kind, len(data)) + data for kind, data in items)


CIP_REQUEST = b"\x52\x02\x20\x06\x24\x01\x0a\xf0\x06\x00\x01\x02\x20\x01\x24\x01\x01\x00\x01\x00"
ENIP_LIST_IDENTITY = enip(0x63)
ENIP_LIST_IDENTITY_REPLY = enip(0x63, cpf((0x000C, b"\x01\x00" + bytes(16) + b"PLC\x00" * 5)))
ENIP_REGISTER = enip(0x65, b"\x01\x00\x00\x00")
ENIP_REGISTER_REPLY = enip(0x65, b"\x01\x00\x00\x00", session=0x12345678)
ENIP_RR = enip(0x6F, b"\x00\x00\x00\x00\x0a\x00" + cpf((0, b""), (0x00B2, CIP_REQUEST)), 0x1234)
ENIP_UNIT = enip(0x70, b"\x00\x00\x00\x00\x00\x00" + cpf(
    (0x00A1, b"\x01\x02\x03\x04"), (0x00B1, b"\x05\x00" + CIP_REQUEST)), 0x1234)
ENIP_UNREGISTER = enip(0x66, session=0x1234)
ENIP_ERROR = enip(0x6F, session=0x1234, status=0x64)
CIP_IO = cpf((0x8002, b"\x11\x22\x33\x44\x01\x00\x00\x00"), (0x00B1, b"\x01\x00" + bytes(10)))


def knx(service: int, body: bytes) -> bytes:
    """03.08.02 §2.3: header length 6, version 0x10, service type, total length."""
    return b"\x06\x10" + struct.pack(">HH", service, 6 + len(body)) + body


HPAI = b"\x08\x01\xc0\xa8\x01\x0a\x0e\x57"  # UDP, 192.168.1.10:3671
CEMI = b"\x29\x00\xbc\xe0\x11\x01\x08\x01\x01\x00\x81"  # L_Data.ind, group write "on"
DIB = b"\x36\x01\x02\x00\x11\x01\x00\x00" + bytes(46)
KNX_SEARCH = knx(0x0201, HPAI)
KNX_SEARCH_RESPONSE = knx(0x0202, HPAI + DIB + b"\x0a\x02\x02\x01\x03\x01\x04\x01\x05\x01")
KNX_DESCRIPTION = knx(0x0203, HPAI)
KNX_CONNECT = knx(0x0205, HPAI + HPAI + b"\x04\x04\x02\x00")
KNX_CONNECT_RESPONSE = knx(0x0206, b"\x15\x00" + HPAI + b"\x04\x04\x11\x01")
KNX_STATE = knx(0x0207, b"\x15\x00" + HPAI)
KNX_STATE_RESPONSE = knx(0x0208, b"\x15\x00")
KNX_TUNNEL = knx(0x0420, b"\x04\x15\x00\x00" + CEMI)
KNX_TUNNEL_ACK = knx(0x0421, b"\x04\x15\x00\x00")
KNX_ROUTING = knx(0x0530, CEMI)
KNX_MORE = [
    knx(0x0204, DIB + b"\x0a\x02\x02\x01\x03\x01\x04\x01\x05\x01"),  # DESCRIPTION_RESPONSE
    knx(0x0209, b"\x15\x00" + HPAI), knx(0x020A, b"\x15\x00"),  # DISCONNECT request/response
    knx(0x020B, HPAI + b"\x02\x01"),  # SEARCH_REQUEST_EXTENDED with a search parameter
    knx(0x020C, HPAI + DIB),  # SEARCH_RESPONSE_EXTENDED
    knx(0x0310, b"\x04\x15\x00\x00\xfc\x00\x0b\x01\x34\x10\x01"),  # M_PropRead.req
    knx(0x0311, b"\x04\x15\x00\x00"),  # DEVICE_CONFIGURATION_ACK
    knx(0x0531, b"\x04\x00\x00\x05"), knx(0x0532, b"\x06\x00\x00\x64\x00\x00"),  # lost, busy
    knx(0x0533, CEMI),  # ROUTING_SYSTEM_BROADCAST
]


def bvlc(function: int, body: bytes) -> bytes:
    """Annex J.2: type 0x81, function, total length."""
    return struct.pack(">BBH", 0x81, function, 4 + len(body)) + body


WHO_IS = bvlc(0x0B, b"\x01\x20\xff\xff\x00\xff\x10\x08")  # NPDU to all networks, Who-Is
I_AM = bvlc(0x0A, b"\x01\x00\x10\x00\xc4\x02\x00\x00\x01\x22\x05\xc4\x91\x00\x21\x0f")
READ_PROPERTY = bvlc(0x0A, b"\x01\x04\x00\x05\x01\x0c\x0c\x02\x00\x00\x01\x19\x4d")
WHO_IS_ROUTER = bvlc(0x0B, b"\x01\x80\x00")  # network layer message 0
FORWARDED = bvlc(0x04, b"\xc0\xa8\x01\x0a\xba\xc0" + b"\x01\x08\x00\x05\x01\x07\x10\x08")
BVLC_RESULT = bvlc(0x00, b"\x00\x00")
READ_BDT = bvlc(0x02, b"")
READ_BDT_ACK = bvlc(0x03, b"\xc0\xa8\x01\x0a\xba\xc0\xff\xff\xff\xff" * 2)
REGISTER_FD = bvlc(0x05, b"\x00\x3c")
BVLC_MORE = [
    bvlc(0x01, b"\xc0\xa8\x01\x0a\xba\xc0\xff\xff\xff\x00"),  # Write-BDT, one entry
    bvlc(0x06, b""),  # Read-FDT
    bvlc(0x07, b"\xc0\xa8\x02\x14\xba\xc0\x00\x3c\x00\x2a"),  # Read-FDT-Ack, one entry
    bvlc(0x08, b"\xc0\xa8\x02\x14\xba\xc0"),  # Delete-FDT-Entry
    bvlc(0x09, b"\x01\x00\x10\x08"),  # Distribute-Broadcast-To-Network: Who-Is
]


def coap_options(options: list[tuple[int, bytes]]) -> bytes:
    """RFC 7252 §3.1: options sorted by number, each (delta, length) nibbles with 13/14
    extensions."""
    out, last = b"", 0
    for number, value in sorted(options, key=lambda o: o[0]):
        head, ext = [], b""
        for field in (number - last, len(value)):
            if field < 13:
                head.append(field)
            elif field < 269:
                head.append(13)
                ext += bytes((field - 13,))
            else:
                head.append(14)
                ext += struct.pack(">H", field - 269)
        out += bytes((head[0] << 4 | head[1],)) + ext + value
        last = number
    return out


def coap(kind: int, code: int, options: list[tuple[int, bytes]], payload: bytes = b"",
         token: bytes = b"\x7a\x31", mid: int = 0x1234) -> bytes:
    """§3: version 1, type, token length, code, message id, token, options, marker,
    payload."""
    head = bytes((0x40 | kind << 4 | len(token), code)) + struct.pack(">H", mid) + token
    return head + coap_options(options) + (b"\xff" + payload if payload else b"")


COAP_DISCOVER = coap(0, 0x01, [(11, b".well-known"), (11, b"core")])
COAP_POST = coap(0, 0x02, [(3, b"sensor.example"), (11, b"temp"), (12, b"\x32")], b'{"t":21}')
COAP_CONTENT = coap(2, 0x45, [(12, b"\x28")], b"</sensors/temp>;rt=\"temperature\"")
COAP_NOTIFY = coap(1, 0x45, [(6, b"\x05"), (12, b"")], b"21.5")
COAP_FETCH_OBSERVE = coap(0, 0x05, [(6, b""), (11, b"q"), (12, b"\x3c")], b"\xa1\x01\x02",
                          token=bytes(range(8)))
COAP_CREATED = coap(2, 0x41, [(8, b"r"), (8, b"17")])
COAP_NOT_FOUND = coap(2, 0x84, [(12, b"")], b"no such resource")
COAP_BLOCK = coap(0, 0x03, [(11, b"fw"), (27, b"\x0e"), (60, b"\x04\x00")], bytes(64))


# (class, transport, payload, message boundaries inside the payload)
POSITIVES: list[tuple[type[Dissector], int, bytes, tuple[int, ...]]] = [
    (Iec104Dissector, TCP, STARTDT_ACT, ()),
    (Iec104Dissector, TCP, STARTDT_CON, ()),
    (Iec104Dissector, TCP, apdu(b"\x43\x00\x00\x00"), ()),  # TESTFR act
    (Iec104Dissector, TCP, S_FRAME, ()),
    (Iec104Dissector, TCP, INTERROGATION, ()),
    (Iec104Dissector, TCP, FLOATS_SQ, ()),
    (Iec104Dissector, TCP, FLOATS_TIMED, ()),
    (Iec104Dissector, TCP, S_FRAME + FLOATS_TIMED + STARTDT_CON, (6, 6 + len(FLOATS_TIMED))),
    (S7commDissector, TCP, S7_CR, ()),
    (S7commDissector, TCP, S7_CC, ()),
    (S7commDissector, TCP, S7_PLUS_CR, ()),
    (S7commDissector, TCP, S7_SETUP, ()),
    (S7commDissector, TCP, S7_SETUP_ACK, ()),
    (S7commDissector, TCP, S7_USERDATA, ()),
    (S7commDissector, TCP, S7_READ, ()),
    (S7commDissector, TCP, S7_PLUS_DATA, ()),
    (OpcUaDissector, TCP, ua_hello(), ()),
    (OpcUaDissector, TCP, UA_ACK, ()),
    (OpcUaDissector, TCP, UA_ERR, ()),
    (OpcUaDissector, TCP, UA_RHE, ()),
    (OpcUaDissector, TCP, UA_OPN, ()),
    (OpcUaDissector, TCP, UA_MSG, ()),
    (OpcUaDissector, TCP, UA_CLO, ()),
    (OpcUaDissector, TCP, UA_CHUNKS, (UA_CHUNKS.index(b"MSGF"),)),
    (OpcUaDissector, TCP, ua_hello() + UA_OPN, (len(ua_hello()),)),
    (BacnetDissector, UDP, WHO_IS, ()),
    (BacnetDissector, UDP, I_AM, ()),
    (BacnetDissector, UDP, READ_PROPERTY, ()),
    (BacnetDissector, UDP, WHO_IS_ROUTER, ()),
    (BacnetDissector, UDP, FORWARDED, ()),
    (BacnetDissector, UDP, BVLC_RESULT, ()),
    (BacnetDissector, UDP, READ_BDT, ()),
    (BacnetDissector, UDP, READ_BDT_ACK, ()),
    (BacnetDissector, UDP, REGISTER_FD, ()),
    *((BacnetDissector, UDP, payload, ()) for payload in BVLC_MORE),
    (EnipDissector, TCP, ENIP_LIST_IDENTITY, ()),
    (EnipDissector, UDP, ENIP_LIST_IDENTITY, ()),
    (EnipDissector, UDP, ENIP_LIST_IDENTITY_REPLY, ()),
    (EnipDissector, TCP, enip(0x04), ()),
    (EnipDissector, TCP, enip(0x04, cpf((0x0100, b"\x01\x00\x20\x01Communications\x00\x00"))), ()),
    (EnipDissector, TCP, ENIP_REGISTER, ()),
    (EnipDissector, TCP, ENIP_REGISTER_REPLY, ()),
    (EnipDissector, TCP, ENIP_RR, ()),
    (EnipDissector, TCP, ENIP_UNIT, ()),
    (EnipDissector, TCP, ENIP_UNREGISTER, ()),
    (EnipDissector, TCP, enip(0x64), ()),  # ListInterfaces
    (EnipDissector, TCP, enip(0x64, b"\x00\x00"), ()),  # its reply: no interface
    (EnipDissector, TCP, ENIP_ERROR, ()),
    (EnipDissector, UDP, CIP_IO, ()),
    (CoapDissector, UDP, COAP_DISCOVER, ()),
    (CoapDissector, UDP, COAP_POST, ()),
    (CoapDissector, UDP, COAP_CONTENT, ()),
    (CoapDissector, UDP, COAP_NOTIFY, ()),
    (CoapDissector, UDP, COAP_FETCH_OBSERVE, ()),
    (CoapDissector, UDP, COAP_CREATED, ()),
    (CoapDissector, UDP, COAP_NOT_FOUND, ()),
    (CoapDissector, UDP, COAP_BLOCK, ()),
    (KnxnetIpDissector, UDP, KNX_SEARCH, ()),
    (KnxnetIpDissector, UDP, KNX_SEARCH_RESPONSE, ()),
    (KnxnetIpDissector, UDP, KNX_DESCRIPTION, ()),
    (KnxnetIpDissector, UDP, KNX_CONNECT, ()),
    (KnxnetIpDissector, UDP, KNX_CONNECT_RESPONSE, ()),
    (KnxnetIpDissector, UDP, KNX_STATE, ()),
    (KnxnetIpDissector, UDP, KNX_STATE_RESPONSE, ()),
    (KnxnetIpDissector, UDP, KNX_TUNNEL, ()),
    (KnxnetIpDissector, UDP, KNX_TUNNEL_ACK, ()),
    (KnxnetIpDissector, UDP, KNX_ROUTING, ()),
    *((KnxnetIpDissector, UDP, payload, ()) for payload in KNX_MORE),
    (FinsDissector, UDP, FINS_READ, ()),
    (FinsDissector, UDP, FINS_READ_RESPONSE, ()),
    (FinsDissector, UDP, FINS_STATUS, ()),
    (FinsDissector, UDP, FINS_CLOCK_NO_REPLY, ()),
    (FinsDissector, TCP, FINS_TCP_HELLO, ()),
    (FinsDissector, TCP, FINS_TCP_WELCOME, ()),
    (FinsDissector, TCP, FINS_TCP_FRAME, ()),
    (FinsDissector, TCP, FINS_TCP_WELCOME + FINS_TCP_FRAME, (len(FINS_TCP_WELCOME),)),
    (TuyaLpDissector, UDP, TUYA_DISCOVERY, ()),
    (TuyaLpDissector, TCP, TUYA_RESPONSE, ()),
    (TuyaLpDissector, TCP, tuya35(), ()),
    (TuyaLpDissector, UDP, tuya35(0x25), ()),
    (TuyaLpDissector, TCP, tuya(0x09, b"") + tuya(0x0A), (24,)),
    (TplinkShpDissector, UDP, tplink(TPLINK_QUERY), ()),
    (TplinkShpDissector, UDP, tplink(TPLINK_REPLY), ()),
    (TplinkShpDissector, TCP, struct.pack(">I", len(TPLINK_QUERY)) + tplink(TPLINK_QUERY), ()),
    (TplinkShpDissector, TCP, struct.pack(">I", len(TPLINK_REPLY)) + tplink(TPLINK_REPLY), ()),
]  # fmt: skip

WELL_KNOWN = {
    Iec104Dissector: 2404, S7commDissector: 102, OpcUaDissector: 4840, BacnetDissector: 47808,
    EnipDissector: 44818, CoapDissector: 5683, KnxnetIpDissector: 3671, FinsDissector: 9600,
    TuyaLpDissector: 6668, TplinkShpDissector: 9999,
}  # fmt: skip


def _replace(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (Iec104Dissector, TCP, apdu(b"\x0f\x00\x00\x00"), "two U functions"),
    (Iec104Dissector, TCP, apdu(b"\x07\x00\x01\x00"), "U octet 3 not zero"),
    (Iec104Dissector, TCP, apdu(b"\x01\x01\x00\x00"), "S octet 2 not zero"),
    (Iec104Dissector, TCP, apdu(b"\x01\x00\x01\x00"), "S receive number bit 0"),
    (Iec104Dissector, TCP, apdu(b"\x07\x00\x00\x00", b"\x00"), "U with a body"),
    (Iec104Dissector, TCP, apdu(i_control(), asdu(100, b"\x00\x00\x00\x14\x00", 1)), "ASDU one byte long"),
    (Iec104Dissector, TCP, apdu(i_control(), asdu(22, b"\x00\x00\x00\x14", 1)), "type 22 undefined"),
    (Iec104Dissector, TCP, apdu(i_control(), asdu(100, b"\x00\x00\x00\x14", 1, cot=0)), "cause 0"),
    (Iec104Dissector, TCP, apdu(i_control(), asdu(100, b"\x00\x00\x00\x14", 0)), "no object"),
    (Iec104Dissector, TCP, apdu(b"\x06\x00\x0b\x00", asdu(100, b"\x00\x00\x00\x14", 1)), "I receive number bit 0"),
    (Iec104Dissector, TCP, b"\x69" + STARTDT_ACT[1:], "start byte"),
    (Iec104Dissector, TCP, b"\x68\x05" + STARTDT_ACT[2:], "length field"),
    (Iec104Dissector, TCP, STARTDT_ACT + b"\x68", "a second APDU cut"),
    (S7commDissector, TCP, cotp_connect(0xE0, tsaps(b"\x00\x01", b"\x00\x02")), "MMS TSAPs"),
    (S7commDissector, TCP, cotp_connect(0xE0, tsaps(b"\x01\x00", b"\x04\x02")), "connection type 4"),
    (S7commDissector, TCP, cotp_connect(0xE0, tsaps(b"\x01\x00", b"\x01\x02", size=0x0E)), "TPDU size 2^14"),
    (S7commDissector, TCP, cotp_connect(0xE0, tsaps(b"\x01\x00", b"\x01\x02") + b"\xc3\x02\x00\x00"), "checksum parameter"),
    (S7commDissector, TCP, cotp_connect(0xE0, b"\xc2\x02\x01\x02"), "no calling TSAP"),
    (S7commDissector, TCP, cotp_connect(0xE0, tsaps(b"\x01\x00", b"\x01\x02"), dst=5), "CR destination reference"),
    (S7commDissector, TCP, cotp_connect(0xE0, b"Cookie: mstshash=eltons\r\n"), "RDP cookie"),
    (S7commDissector, TCP, cotp_connect(0xE0, b"\x01\x00\x08\x00\x03\x00\x00\x00"), "RDP negotiation request"),
    (S7commDissector, TCP, _replace(S7_CR, 10, b"\x40"), "class 4"),
    (S7commDissector, TCP, _replace(S7_CR, 2, b"\x00\x17"), "TPKT length"),
    (S7commDissector, TCP, _replace(S7_CR, 4, b"\x10"), "COTP length indicator"),
    (S7commDissector, TCP, _replace(S7_CR, 0, b"\x02"), "TPKT version 2"),
    (S7commDissector, TCP, _replace(S7_SETUP, 8, b"\x04"), "ROSCTR 4"),
    (S7commDissector, TCP, _replace(S7_SETUP, 9, b"\x00\x01"), "reserved not zero"),
    (S7commDissector, TCP, _replace(S7_SETUP, 7 + 8, b"\x00\x01"), "data length"),
    (S7commDissector, TCP, _replace(S7_SETUP, 17, b"\x99"), "function 0x99"),
    (S7commDissector, TCP, _replace(S7_SETUP, 6, b"\x00"), "DT without EOT"),
    (S7commDissector, TCP, _replace(S7_USERDATA, 17, b"\x01"), "userdata parameter head"),
    (S7commDissector, TCP, _replace(S7_PLUS_DATA, len(S7_PLUS_DATA) - 3, b"\x03"), "S7comm-plus trailer version"),
    (S7commDissector, TCP, _replace(S7_PLUS_DATA, 8, b"\x07"), "S7comm-plus version 7"),
    (S7commDissector, TCP, bytes.fromhex("0300000702f000"), "DT without an S7 PDU"),
    (S7commDissector, TCP, _replace(S7_SETUP, 7, b"\x33"), "protocol id 0x33"),
    (OpcUaDissector, TCP, ua_hello(version=1), "protocol version 1"),
    (OpcUaDissector, TCP, ua_hello(buffer=4096), "buffer below 8192"),
    (OpcUaDissector, TCP, ua_hello(url=b"http://plc1/"), "not an opc.tcp URL"),
    (OpcUaDissector, TCP, ua_hello()[:-1], "URL shorter than its length"),
    (OpcUaDissector, TCP, b"HELC" + ua_hello()[4:], "HEL in several chunks"),
    (OpcUaDissector, TCP, UA_ACK + b"\x00" * 4, "trailing bytes not a message"),
    (OpcUaDissector, TCP, ua(b"ACKF", UA_ACK[8:] + b"\x00\x00\x00\x00"), "ACK of 32 bytes"),
    (OpcUaDissector, TCP, ua(b"ERRF", struct.pack("<I", 0x00000000) + ua_string(b"ok")), "good status in ERR"),
    (OpcUaDissector, TCP, ua(b"OPNF", struct.pack("<I", 0) + ua_string(b"http://example.com/policy") + bytes(40)), "not a security policy URI"),
    (OpcUaDissector, TCP, ua(b"FOOF", bytes(30)), "unknown type"),
    (OpcUaDissector, TCP, ua(b"MSGF", bytes(12)), "MSG too short"),
    (OpcUaDissector, TCP, _replace(UA_MSG, 4, b"\xff"), "size beyond the segment"),
    (BacnetDissector, UDP, _replace(WHO_IS, 0, b"\x82"), "BVLC type 0x82"),
    (BacnetDissector, UDP, bvlc(0x0C, b"\x01\x02\x03\x04"), "Secure-BVLL"),
    (BacnetDissector, UDP, WHO_IS + b"\x00", "length != datagram"),
    (BacnetDissector, UDP, _replace(WHO_IS, 4, b"\x02"), "NPDU version 2"),
    (BacnetDissector, UDP, _replace(WHO_IS, 5, b"\x60"), "NPDU reserved bit 6"),
    (BacnetDissector, UDP, bvlc(0x0A, b"\x01\x08\x00\x05\x00\x10\x08"), "SLEN 0"),
    (BacnetDissector, UDP, bvlc(0x0A, b"\x01\x00\x80\x00"), "APDU type 8"),
    (BacnetDissector, UDP, bvlc(0x0A, b"\x01\x00\x11\x08"), "unconfirmed reserved bits"),
    (BacnetDissector, UDP, bvlc(0x0B, b"\x01\x80\x20"), "network message 0x20 reserved"),
    (BacnetDissector, UDP, bvlc(0x0A, b"\x01\x20\xff\xff\x00"), "no hop count, no APDU"),
    (BacnetDissector, UDP, bvlc(0x00, b"\x00\x11"), "result code 0x0011"),
    (BacnetDissector, UDP, bvlc(0x02, b"\x00"), "Read-BDT with a body"),
    (BacnetDissector, UDP, bvlc(0x03, bytes(9)), "BDT entry of 9 bytes"),
    (EnipDissector, TCP, enip(0x63, options=1), "options not zero"),
    (EnipDissector, TCP, enip(0x63, status=0x10), "status 0x10"),
    (EnipDissector, TCP, enip(0x67), "command 0x67"),
    (EnipDissector, TCP, ENIP_LIST_IDENTITY + b"\x00", "length != payload"),
    (EnipDissector, TCP, enip(0x65, b"\x02\x00\x00\x00"), "protocol version 2"),
    (EnipDissector, TCP, enip(0x65, b"\x01\x00\x01\x00"), "RegisterSession options"),
    (EnipDissector, TCP, enip(0x65), "RegisterSession without a body"),
    (EnipDissector, TCP, enip(0x63, struct.pack("<H", 17) + b"\x0c\x00\x00\x00" * 17), "17 items"),
    (EnipDissector, TCP, enip(0x6F, b"\x00\x00\x00\x00\x0a\x00" + cpf((0x00B2, CIP_REQUEST)), 0x1234), "one item"),
    (EnipDissector, TCP, enip(0x6F, b"\x01\x00\x00\x00\x0a\x00" + cpf((0, b""), (0x00B2, CIP_REQUEST)), 0x1234), "interface handle 1"),
    (EnipDissector, TCP, enip(0x6F, b"\x00\x00\x00\x00\x0a\x00" + cpf((0, b""), (0x1234, CIP_REQUEST)), 0x1234), "unknown item type"),
    (EnipDissector, TCP, enip(0x6F, b"\x00\x00\x00\x00\x0a\x00" + cpf((0, b""), (0x00B2, CIP_REQUEST)) + b"\x00", 0x1234), "items do not fill"),
    (EnipDissector, TCP, enip(0x6F, ENIP_RR[24:]), "SendRRData without a session"),
    (EnipDissector, TCP, enip(0x66), "UnRegisterSession without a session"),
    (EnipDissector, UDP, CIP_IO + b"\x00", "I/O data length"),
    (EnipDissector, TCP, CIP_IO, "I/O datagram over TCP"),
    (CoapDissector, UDP, _replace(COAP_DISCOVER, 0, b"\x82"), "version 2"),
    (CoapDissector, UDP, _replace(COAP_DISCOVER, 0, b"\x49"), "token length 9"),
    (CoapDissector, UDP, _replace(COAP_DISCOVER, 1, b"\x09"), "code 0.09"),
    (CoapDissector, UDP, _replace(COAP_CONTENT, 1, b"\x60"), "code 3.00"),
    (CoapDissector, UDP, _replace(COAP_CONTENT, 0, b"\x72"), "RST with content"),
    (CoapDissector, UDP, _replace(COAP_DISCOVER, 0, b"\x62"), "ACK carrying a request"),
    (CoapDissector, UDP, coap(0, 0x01, [(2, b"x")]), "option 2 unregistered"),
    (CoapDissector, UDP, COAP_DISCOVER + b"\xff", "marker without a payload"),
    (CoapDissector, UDP, coap(0, 0x01, [(11, b"a")]) + b"\xf1a", "delta nibble 15"),
    (CoapDissector, UDP, coap(0, 0x01, [(11, b"a")]) + b"\x1f", "length nibble 15"),
    (CoapDissector, UDP, coap(0, 0x02, [(11, b"a"), (12, b"\x32")]) + b"\x01\x32", "Content-Format twice"),
    (CoapDissector, UDP, coap(2, 0x45, [(11, b"a")]), "Uri-Path in a response"),
    (CoapDissector, UDP, coap(0, 0x02, [(8, b"a")]), "Location-Path in a request"),
    (CoapDissector, UDP, coap(0, 0x02, [(4, b"\x01"), (11, b"a")]), "ETag in a POST"),
    (CoapDissector, UDP, coap(2, 0x84, [(6, b"\x01")]), "Observe in a 4.04"),
    (CoapDissector, UDP, coap(2, 0x84, [(4, b"\x01")]), "ETag in a 4.04"),
    (CoapDissector, UDP, coap(0, 0x01, [(11, b"a\x01b")]), "control byte in Uri-Path"),
    (CoapDissector, UDP, coap(0, 0x01, [(11, b"\xc3\x28")]), "Uri-Path not UTF-8"),
    (CoapDissector, UDP, coap(0, 0x01, [(9, b"\x20")]), "OSCORE reserved flag"),
    (CoapDissector, UDP, coap(0, 0x01, [(12, b"\x01\x02\x03")]), "Content-Format of 3 bytes"),
    (CoapDissector, UDP, coap(0, 0x01, [(3, b"")]), "empty Uri-Host"),
    (CoapDissector, UDP, coap(0, 0x01, [(11, b"abc")])[:-1], "option beyond the datagram"),
    (CoapDissector, UDP, coap(1, 0x45, [], b"", token=b"LOW"), "no option (SETFLOW-like)"),
    (CoapDissector, UDP, coap(2, 0x45, [], b"hello"), "payload without any option"),
    (CoapDissector, UDP, b"\x40\x00\x12\x34", "empty message (ping)"),
    (CoapDissector, UDP, b"\x60\x00\x12\x34", "empty ACK"),
    (KnxnetIpDissector, UDP, _replace(KNX_SEARCH, 1, b"\x11"), "protocol version 1.1"),
    (KnxnetIpDissector, UDP, _replace(KNX_SEARCH, 0, b"\x08"), "header length 8"),
    (KnxnetIpDissector, UDP, KNX_SEARCH + b"\x00", "total length"),
    (KnxnetIpDissector, UDP, knx(0x0600, HPAI), "service 0x0600"),
    (KnxnetIpDissector, UDP, knx(0x0201, b"\x07" + HPAI[1:]), "HPAI length 7"),
    (KnxnetIpDissector, UDP, knx(0x0201, b"\x08\x03" + HPAI[2:]), "HPAI protocol 3"),
    (KnxnetIpDissector, UDP, knx(0x0205, HPAI + HPAI + b"\x04\x05\x02\x00"), "connection type 5"),
    (KnxnetIpDissector, UDP, knx(0x0205, HPAI + HPAI + b"\x05\x04\x02\x00"), "CRI length"),
    (KnxnetIpDissector, UDP, knx(0x0420, b"\x04\x15\x00\x00\x00" + CEMI[1:]), "cEMI code 0"),
    (KnxnetIpDissector, UDP, knx(0x0420, b"\x04\x15\x00\x01" + CEMI), "reserved byte"),
    (KnxnetIpDissector, UDP, knx(0x0421, b"\x04\x15\x00\x00\x00"), "ack of 11 bytes"),
    (KnxnetIpDissector, UDP, knx(0x0204, b"\x35\x01" + DIB[2:]), "DIB length"),
    (KnxnetIpDissector, UDP, knx(0x0530, b"\x29\x20" + CEMI[2:]), "additional info beyond the frame"),
    (KnxnetIpDissector, UDP, knx(0x0532, b"\x06\x00\x00\x64\x00"), "busy of 11 bytes"),
    (FinsDissector, UDP, fins(icf=0x82), "ICF reserved bit"),
    (FinsDissector, UDP, _replace(FINS_READ, 1, b"\x01"), "RSV 1"),
    (FinsDissector, UDP, fins(gct=3), "GCT 3"),
    (FinsDissector, UDP, fins(command=0x0109), "command 01 09"),
    (FinsDissector, UDP, fins(dna=0x80), "network 128"),
    (FinsDissector, UDP, fins(da2=0x05), "unit address 5"),
    (FinsDissector, UDP, fins(0xC0, 0x0101, b"\x50\x00"), "end code 0x50"),
    (FinsDissector, UDP, fins(0xC0, 0x0101, b""), "response without end code"),
    (FinsDissector, UDP, FINS_READ[:11], "no SRC"),
    (FinsDissector, TCP, fins_tcp(4, b"\x00\x00\x00\x00"), "FINS/TCP command 4"),
    (FinsDissector, TCP, fins_tcp(0, b"\x00\x00\x00\x00", error=5), "FINS/TCP error 5"),
    (FinsDissector, TCP, fins_tcp(0, b"\x00\x00\x00\x00\x00"), "node address of 5 bytes"),
    (FinsDissector, TCP, fins_tcp(2, fins(command=0x0109)), "embedded frame's command"),
    (FinsDissector, TCP, FINS_TCP_HELLO + b"FIN", "a second frame cut"),
    (FinsDissector, TCP, _replace(FINS_TCP_HELLO, 0, b"FINT"), "magic"),
    (TuyaLpDissector, UDP, TUYA_DISCOVERY[:-1] + b"\x56", "suffix"),
    (TuyaLpDissector, UDP, _replace(TUYA_DISCOVERY, 12, b"\x00\x00\x00\xab"), "length - 1"),
    (TuyaLpDissector, UDP, tuya(0x41), "command 0x41"),
    (TuyaLpDissector, UDP, _replace(TUYA_DISCOVERY, 2, b"\x55\xab"), "prefix"),
    (TuyaLpDissector, TCP, tuya35()[:-4] + b"\x00\x00\xaa\x55", "6699 with the 55AA suffix"),
    (TuyaLpDissector, TCP, _replace(tuya35(), 14, b"\x00\x00\x00\x10"), "6699 length below nonce + tag"),
    (TuyaLpDissector, TCP, tuya(0x0A) + b"\x00\x00\x55", "a second frame cut"),
    (TplinkShpDissector, UDP, tplink(b"[1,2,3,4,5]"), "a JSON array"),
    (TplinkShpDissector, UDP, tplink(b'{"system":{"get_sysinfo":{}}]'), "last character not a brace"),
    (TplinkShpDissector, UDP, tplink(b'{"system":\x01{"get_sysinfo":{}}}'), "control byte"),
    (TplinkShpDissector, UDP, TPLINK_QUERY, "not enciphered"),
    (TplinkShpDissector, TCP, struct.pack(">I", len(TPLINK_QUERY) + 1) + tplink(TPLINK_QUERY), "TCP length"),
    (TplinkShpDissector, TCP, tplink(TPLINK_QUERY), "TCP without the length"),
    (TplinkShpDissector, UDP, struct.pack(">I", len(TPLINK_QUERY)) + tplink(TPLINK_QUERY), "UDP with a length"),
]  # fmt: skip

EXACT: dict[tuple[type[Dissector], int], bool] = {
    (Iec104Dissector, TCP): True, (S7commDissector, TCP): True, (OpcUaDissector, TCP): True,
    (BacnetDissector, UDP): True, (EnipDissector, TCP): True, (EnipDissector, UDP): True,
    (KnxnetIpDissector, UDP): True, (FinsDissector, TCP): True, (TuyaLpDissector, TCP): True,
    (TuyaLpDissector, UDP): True, (TplinkShpDissector, TCP): True,
    # CoAP: a message cut between two options is a shorter valid message; FINS over UDP: a
    # command cut inside its parameters still has a valid header; TP-Link over UDP: a
    # JSON text cut after an inner '}' still ends with '}'
    (CoapDissector, UDP): False, (FinsDissector, UDP): False, (TplinkShpDissector, UDP): False,
}  # fmt: skip
"""(class, transport) whose test ties a length field to the payload's length: prefixes
(except at message boundaries) and appended junk are refused."""


# --- synthetic positives and negatives ----------------------------------------------------------


@sf.positives(POSITIVES)
def test_positive_identified_by_the_registry(
    case: tuple[type[Dissector], int, bytes, tuple[int, ...]],
) -> None:
    """Identified as the class by the whole registry, on the well-known port and on high
    ports, from either side."""
    cls, proto, payload, _ = case
    port = WELL_KNOWN[cls]
    sf.check_identified_on_any_ports(cls, proto, payload, ICS_SIGNATURES, port_cases=(
        (True, 49152, port), (False, port, 49152), (True, 40001, 51234), (False, 61000, 33333)))


def test_every_class_and_transport_has_positives() -> None:
    got = {(c, p) for c, p, _, _ in POSITIVES}
    assert got == {(c, p) for c in ICS_SIGNATURES for p in c.transports}


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
    # OPC UA and CoAP name the flow (test_opcua_endpoint_..., test_coap_uri_host_...)
    name = sf.ANY if cls.name_source else None
    sf.check_feed_identification_only(cls, proto, payload, name=name, name_when_cut=name,
                                      same_name=False)


def test_ics_facts() -> None:
    """Names, transports, ports; registered in the signatures (before RTP); name sources."""
    names = [c.name for c in ICS_SIGNATURES]
    assert names == ["opcua", "tuya_lp", "fins", "tplink_shp", "enip", "s7comm", "knxnet_ip",
                     "bacnet", "iec104", "coap"]
    order = list(SIGNATURE_DISSECTORS)
    assert all(c in order for c in ICS_SIGNATURES)
    assert all(order.index(c) < order.index(RtpDissector) for c in ICS_SIGNATURES)
    for cls in ICS_SIGNATURES:
        assert cls.transports and cls.transports <= {TCP, UDP}
        assert WELL_KNOWN[cls] in cls.ports
        assert registry.by_name(cls.name) is cls
    assert 5684 not in CoapDissector.ports  # CoAP over DTLS
    sources = {c.name: c.name_source for c in ICS_SIGNATURES if c.name_source}
    assert sources == {"opcua": "opcua_endpoint", "coap": "coap_host"}


@pytest.mark.parametrize("url,name", [
    (b"opc.tcp://plc1.example.com:4840/ua", "plc1.example.com"),
    (b"opc.tcp://10.0.0.7:4840", "10.0.0.7"),
    (b"opc.tcp://[fe80::1]:4840/", "fe80::1"),
    (b"opc.tcp://scada", "scada"),
    (b"opc.tcp://:4840", None),
    (b"opc.tcp://bad host:4840", None),
])  # fmt: skip
def test_opcua_endpoint_names_the_flow(url: bytes, name: str | None) -> None:
    d = OpcUaDissector(TCP)
    assert d.feed(ua_hello(url), True, 0) == [] and d.done
    assert d.server_name == name
    d = OpcUaDissector(TCP)
    d.feed(UA_ACK, False, 0)  # no Hello: no name
    assert d.server_name is None and d.done


def test_coap_uri_host_names_the_flow() -> None:
    d = CoapDissector(UDP)
    assert d.feed(COAP_POST, True, 0) == [] and d.done
    assert d.server_name == "sensor.example"
    for payload in (COAP_DISCOVER, COAP_CONTENT, b"\x40\x01\x00"):  # no Uri-Host; invalid
        d = CoapDissector(UDP)
        d.feed(payload, True, 0)
        assert d.server_name is None and d.done


def test_s7comm_and_rdp_kept_apart() -> None:
    """RDP connection requests (empty, cookie, negotiation request) stay RDP's on any port,
    S7 connection requests S7's, even on RDP's port: no payload is accepted by both."""
    rdp_requests = [
        cotp_connect(0xE0, b""),
        cotp_connect(0xE0, b"Cookie: mstshash=administrator\r\n"),
        cotp_connect(0xE0, b"Cookie: mstshash=a\r\n\x01\x00\x08\x00\x0b\x00\x00\x00"),
        cotp_connect(0xE0, b"\x01\x00\x08\x00\x03\x00\x00\x00"),
    ]
    for payload in rdp_requests:
        assert RdpDissector.matches(payload, TCP, True)
        assert not S7commDissector.matches(payload, TCP, True)
        for port in (102, 3389):
            assert registry.identify(payload, TCP, True, 50000, port) is RdpDissector
    for payload in (S7_CR, S7_PLUS_CR):
        assert not RdpDissector.matches(payload, TCP, True)
        assert registry.identify(payload, TCP, True, 50000, 3389) is S7commDissector


def test_fins_wins_over_rtp() -> None:
    """FINS's ICF 0x80 reads as RTP version 2: both match, FINS comes first."""
    assert RtpDissector.matches(FINS_READ, UDP, True)
    assert registry.identify(FINS_READ, UDP, True, 40000, 50000) is FinsDissector


# --- strictness and fuzz ------------------------------------------------------------------------


def test_other_protocols_first_payloads_refused() -> None:
    sf.check_other_first_payloads(ICS_SIGNATURES)


RANDOM_SIZES = (4, 6, 8, 12, 13, 16, 20, 24, 28, 32, 48, 64, 100, 148, 200, 512, 1200)


def test_random_payloads_refused() -> None:
    """Uniformly random payloads, and random payloads whose first byte each class admits:
    none is taken. (CoAP is the loosest: its header and one option let about 1 in 10,000
    payloads with a CoAP first byte through, a short message of one valid option such as
    ``NON 0.07`` + token + If-None-Match; none of these 6,800.)"""
    assert sf.random_payload_hits(ICS_SIGNATURES, RANDOM_SIZES) == {}


@sf.FUZZ
@given(st.binary(max_size=400), st.sampled_from(ICS_SIGNATURES), st.booleans())
def test_fuzz_matches_never_raises(data: bytes, cls: type[Dissector], side: bool) -> None:
    for proto in (TCP, UDP):
        sf.fuzz_invariant(cls, proto, data, first_side=side, done=True)


@sf.FUZZ
@given(uniform_bytes(600))
def test_fuzz_uniform_random_bytes_refused(data: bytes) -> None:
    for cls in ICS_SIGNATURES:
        for proto in cls.transports:
            for side in (True, False):
                sf.check_refuses_random(cls, data, proto, side, others=False)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes overwritten, inserted, deleted or cut reach the deep checks
    of every class without an exception."""
    _, proto, payload, _ = POSITIVES[index]
    sf.fuzz_mutated(ICS_SIGNATURES, proto, payload, edits)


# --- real captures ------------------------------------------------------------------------------

DATA, CFGS, needs_data = sf.DATA, sf.CFGS, sf.needs_data

NDPI_LABELS = {
    "iec104": {"IEC60870"}, "s7comm": {"S7Comm", "S7CommPlus"}, "opcua": {"OPC-UA"},
    "bacnet": {"BACnet"}, "enip": {"CIP", "EthernetIP"}, "coap": {"COAP"},
    "knxnet_ip": {"KNX"}, "fins": {"FINS"}, "tuya_lp": {"TuyaLP"}, "tplink_shp": {"TPLINK_SHP"},
}  # fmt: skip
# (hits, total) of the flows nDPI labels with the service, first payload of either side.
# - coap 3/8: the 5 misses (coap_mqtt.pcap, to [2001:620:8:35d9::10]:5683) use the pre-RFC
#   draft encoding (draft-ietf-core-coap up to -12: an option count where RFC 7252 has the
#   token length, options without a token: 43 01 mid 72 16 33 = 3 options, Uri-Port 5683),
#   not RFC 7252's.
# - enip 1/1: cip_io.pcap's flow is CIP class 1 I/O over UDP 2222 (no encapsulation).
# - bacnet, knxnet_ip: no flow of the nDPI captures is labelled BACnet or KNX.
NDPI_EXPECTED = {
    "iec104": (8, 8), "s7comm": (2, 2), "opcua": (1, 1), "bacnet": (0, 0), "enip": (1, 1),
    "coap": (3, 8), "knxnet_ip": (0, 0), "fins": (3, 3), "tuya_lp": (13, 13),
    "tplink_shp": (8, 8),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(ICS_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


# Other projects' captures of the services (on the service's port): (paths, ports, hits,
# total). The nfstream captures are nDPI's own (same flows); q-in-q.pcap carries one
# BACnet/IP Who-Is among other traffic; mmsX.pcap is MMS on TCP 102 (ISO TSAPs 00 01/00 02)
# whose first segment is a lone 4-byte TPKT header: neither is S7.
NF = DATA / "nfstream" / "tests" / "pcaps"
OTHER: dict[str, tuple[list[Path], set[int], int, int]] = {
    "iec104": ([NF / "IEC104.pcap", NF / "iec60780-5-104.pcap"], {2404}, 8, 8),
    "s7comm": ([NF / "s7comm.pcap", DATA / "zeek/testing/btest/Traces/mmsX.pcap"], {102}, 1, 2),
    "bacnet": ([DATA / "zeek/testing/btest/Traces/q-in-q.pcap"], {47808}, 1, 1),
}  # fmt: skip


@needs_data
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_projects_captures(name: str) -> None:
    sf.check_other_captures(ICS_SIGNATURES, name, OTHER[name])


# Hits on flows nDPI labels with another protocol, each explained: (class, nDPI label).
EXPLAINED = {
    ("coap", "Dropbox"): 4,  # coap_mqtt.pcap to port 17500: real RFC 7252 CoAP (a CON PUT
    # with Uri-Port 17500, Uri-Path "r"/"Bus17Cmd", Content-Format 50 JSON, answered by ACK
    # 2.04 with a Location-Path); nDPI names it after Dropbox's LAN sync port
}
# Hits on flows without an nDPI label (the other projects' captures), per (class, capture).
UNLABELLED = {
    ("iec104", "IEC104.pcap"): 2, ("iec104", "iec60780-5-104.pcap"): 6,  # nfstream's copies
    ("s7comm", "s7comm.pcap"): 1, ("bacnet", "q-in-q.pcap"): 1,
}  # fmt: skip


@needs_data
def test_negative_corpus() -> None:
    """Over every flow of the shared captures: the flows our classes take from another
    label are exactly the explained ones; the unlabelled flows taken are the known ones."""
    other, unlabelled = sf.corpus_hits(ICS_SIGNATURES, NDPI_LABELS, unlabelled=(None, "Unknown"),
                                       by_capture=True)
    assert other == EXPLAINED
    assert dict(unlabelled) == UNLABELLED


@needs_data
def test_registry_with_ics_signatures_steals_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry with and without our classes: every flow identified before keeps its
    dissector, except the two FINS flows RTP took (OMRON's ICF 0x80 reads as RTP version 2;
    fins.pcap, nDPI: FINS); the flows newly identified are the positives above and the
    explained CoAP flows."""
    changed, new = sf.registry_changes(monkeypatch, ICS_SIGNATURES, per_side=False)
    assert dict(changed) == {("rtp", "fins"): 2}
    assert dict(new) == {"iec104": 16, "tuya_lp": 13, "tplink_shp": 8, "coap": 7,
                         "s7comm": 3, "enip": 1, "fins": 1, "opcua": 1, "bacnet": 1}
