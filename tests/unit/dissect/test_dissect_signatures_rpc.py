"""Signatures of RPC, text and finance protocols (``signatures_rpc``): Z39.50, Apache Thrift,
Nano, FIX, Checkmk agent, JSON-RPC 2.0, SOAP, NNTP.

Synthetic messages are built field by field from the specifications the classes cite; each
negative breaks one checked fact. Real captures: the flows nDPI labels with each service
(and nfstream's copies of the same captures), a negative corpus (flows nDPI labels with
another protocol, and unlabelled flows) and the registry with and without these classes
(nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections import Counter

import pytest
import wl_signature_family as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dissect_signatures_captures import _samples, ndpi_samples
from wl_strategies import uniform_bytes

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_p2p import StratumDissector
from wirelens.dissect.signatures_rpc import (
    RPC_SIGNATURES,
    CheckMkDissector,
    FixDissector,
    JsonRpcDissector,
    NanoDissector,
    NntpDissector,
    SoapDissector,
    ThriftDissector,
    Z3950Dissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the specifications cited in the classes) -------------------------


def ber_len(size: int) -> bytes:
    """X.690 §8.1.3 definite length, short or long form."""
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: bytes, content: bytes) -> bytes:
    return tag + ber_len(len(content)) + content


Z_IMPL = tlv(b"\x9f\x6e", b"81") + tlv(b"\x9f\x6f", b"TestClient") + tlv(b"\x9f\x70", b"1.0")


def z_init(tag: int = 0xB4, ref: bytes | None = None, version: bytes = b"\x00\xe0",
           options: bytes = b"\x00\xc1\xa2", pref: bytes = b"\x00\x80\x00\x00",
           exc: bytes = b"\x01\x00\x00\x00", result: bytes | None = None,
           tail: bytes = Z_IMPL, delta: int = 0, skip: str = "") -> bytes:
    """Z39.50 InitializeRequest ([20]) / InitializeResponse ([21], with ``result``)."""
    parts = [tlv(b"\x82", ref) if ref is not None else b""]
    parts += [b"" if skip == "version" else tlv(b"\x83", version),
              b"" if skip == "options" else tlv(b"\x84", options),
              tlv(b"\x85", pref), b"" if skip == "exc" else tlv(b"\x86", exc)]
    if result is not None:
        parts.append(tlv(b"\x8c", result))
    body = b"".join(parts) + tail
    return bytes([tag]) + ber_len(len(body) + delta) + body


def z_response(**kw: object) -> bytes:
    kw.setdefault("result", b"\x01")
    return z_init(0xB5, **kw)  # type: ignore[arg-type]


def thrift_binary(kind: int = 1, name: bytes = b"getUser", seq: int = 7,
                  fields: bytes = b"\x08\x00\x01\x00\x00\x00\x2a\x00", version: bytes = b"\x80\x01",
                  pad: int = 0, size: int | None = None) -> bytes:
    """Binary protocol, strict message header, then the argument struct."""
    return (version + bytes([pad, kind]) + struct.pack(">I", len(name) if size is None else size)
            + name + struct.pack(">i", seq) + fields)


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def thrift_compact(kind: int = 4, name: bytes = b"emitBatch", seq: int = 2123954,
                   fields: bytes = b"\x1c\x18\x04test\x00\x00", version: int = 1,
                   proto_id: int = 0x82, size: int | None = None) -> bytes:
    """Compact protocol message header, then the argument struct."""
    return (bytes([proto_id, kind << 5 | version]) + varint(seq)
            + varint(len(name) if size is None else size) + name + fields)


def framed(message: bytes, delta: int = 0) -> bytes:
    return struct.pack(">I", len(message) + delta) + message


def nano(kind: int = 0x0A, flags: int = 0x05, body: bytes | None = None, net: bytes = b"C",
         versions: tuple[int, int, int] = (20, 20, 18), magic: bytes = b"R") -> bytes:
    """Nano message header (magic, network, version max / using / min, type, extensions)."""
    if body is None:
        body = bytes(range(32))
    return magic + net + bytes(versions) + bytes([kind]) + struct.pack("<H", flags) + body


KEEPALIVE = b"".join(bytes(10) + b"\xff\xff" + bytes((10, 0, 0, i)) + struct.pack("<H", 7075)
                     for i in range(8))


def fix(fields: list[tuple[int, str]], begin: bytes = b"FIX.4.4", length_delta: int = 0,
        check_delta: int = 0, trailer: bool = True) -> bytes:
    """A tag=value message: BeginString, BodyLength, the fields, CheckSum."""
    body = b"".join(b"%d=%s\x01" % (tag, value.encode()) for tag, value in fields)
    head = b"8=" + begin + b"\x019=" + str(len(body) + length_delta).encode() + b"\x01"
    msg = head + body
    if not trailer:
        return msg
    return msg + b"10=%03d\x01" % ((sum(msg) + check_delta) % 256)


LOGON = [(35, "A"), (34, "1"), (49, "BUYSIDE"), (52, "20240102-10:00:00.000"),
         (56, "SELLSIDE"), (98, "0"), (108, "30")]
TEST_REQUEST = [(35, "1"), (112, "probe")]


def fix_compressed(data: bytes = b"35=0\x0134=9\x01", header: bytes | None = None) -> bytes:
    """The observed ``FIXCOMP`` variant: BodyLength bytes of zlib data."""
    body = zlib.compress(data) if header is None else header + zlib.compress(data)[2:]
    return b"8=FIXCOMP\x019=" + str(len(body)).encode() + b"\x01" + body


def fix_binary(msg_type: bytes = b"G", data: bytes = b"\x00\x88\x00\x00\x00V\x0c@",
               digits: int = 4) -> bytes:
    """The observed ``O`` variant: the MsgType field, then binary bytes."""
    body = b"35=" + msg_type + b"\x01" + data
    return b"8=O\x019=" + str(len(body)).zfill(digits).encode() + b"\x01" + body


CHECKMK = b"<<<check_mk>>>\nVersion: 2.2.0p12\nAgentOS: linux\nHostname: web1\n<<<df>>>\n"


def jsonrpc(**members: object) -> bytes:
    obj: dict[str, object] = {"jsonrpc": "2.0"}
    obj.update(members)
    return json.dumps({k: v for k, v in obj.items() if v is not None}).encode()


def soap(prefix: bytes = b"soap", ns: bytes = b"http://schemas.xmlsoap.org/soap/envelope/",
         decl: bytes = b'<?xml version="1.0" encoding="utf-8"?>\n', local: bytes = b"Envelope",
         bind: bytes | None = None, quote: bytes = b'"') -> bytes:
    qname = prefix + b":" + local if prefix else local
    attr = b"xmlns:" + (prefix if bind is None else bind) if prefix else b"xmlns"
    env = prefix + b":" if prefix else b""
    return (decl + b"<" + qname + b" " + attr + b"=" + quote + ns + quote + b">"
            + b"<" + env + b"Body><GetQuote><Symbol>X</Symbol></GetQuote></" + env + b"Body>"
            + b"</" + qname + b">")


SOAP12 = b"http://www.w3.org/2003/05/soap-envelope"

POSITIVES: list[tuple[type[Dissector], int, bool, bytes]] = [
    (Z3950Dissector, TCP, True, z_init()),
    (Z3950Dissector, TCP, True, z_init(ref=b"r1", tail=b"")),
    (Z3950Dissector, TCP, True, z_init(tail=tlv(b"\xab", b"\x28" + bytes(140)))),
    (Z3950Dissector, TCP, False, z_response()),
    (Z3950Dissector, TCP, False, z_response(result=b"\x00", tail=b"")),
    (ThriftDissector, TCP, True, thrift_binary()),
    (ThriftDissector, TCP, False, thrift_binary(2, fields=b"\x0b\x00\x00\x00\x00\x00\x02ok\x00")),
    (ThriftDissector, TCP, False, thrift_binary(3, name=b"Calculator:divide", fields=b"\x00")),
    (ThriftDissector, TCP, True, thrift_binary(4, name=b"log_event")),
    (ThriftDissector, TCP, True, framed(thrift_binary())),
    (ThriftDissector, TCP, True, framed(thrift_compact(1, b"ping", 1, b"\x00"))),
    (ThriftDissector, TCP, True, thrift_compact(1, b"get_item", 0, b"\x15\x02\x00")),
    (ThriftDissector, UDP, True, thrift_compact()),
    (ThriftDissector, UDP, True, thrift_binary(4, name=b"emitZipkinBatch", fields=b"\x0f\x00\x01\x0c\x00\x00\x00\x00\x00")),
    (NanoDissector, TCP, True, nano()),
    (NanoDissector, TCP, False, nano(flags=0x07, body=bytes(192))),
    (NanoDissector, TCP, True, nano(flags=0x01, versions=(19, 19, 18))),
    (NanoDissector, TCP, False, nano(flags=0x02, body=bytes(96), net=b"B")),
    (NanoDissector, TCP, True, nano(0x02, 0, KEEPALIVE, net=b"X")),
    (NanoDissector, TCP, True, nano(0x0C, 0, b"", net=b"A")),
    (FixDissector, TCP, True, fix(LOGON)),
    (FixDissector, TCP, False, fix(LOGON, b"FIXT.1.1")),
    (FixDissector, TCP, True, fix(TEST_REQUEST, b"FIX.4.1")),
    (FixDissector, TCP, True, fix(TEST_REQUEST, b"FIX.5.0SP2") + fix([(35, "0")], b"FIX.5.0SP2")),
    (FixDissector, TCP, True, fix([(35, "AE"), (571, "T1")] + [(58, "x" * 40)] * 30, b"FIX.4.2")[:300]),
    (FixDissector, TCP, False, fix_compressed()),
    (FixDissector, TCP, True, fix_binary()),
    (CheckMkDissector, TCP, False, CHECKMK),
    (CheckMkDissector, TCP, False, b"<<<check_mk>>>\r\nVersion: 2.1.0\r\nAgentOS: windows\r\n"),
    (CheckMkDissector, TCP, False, b"<<<check_mk>>>\n"),
    (JsonRpcDissector, TCP, True, jsonrpc(method="subtract", params=[42, 23], id=1)),
    (JsonRpcDissector, TCP, True, jsonrpc(method="update", params={"a": 1}) + b"\n"),
    (JsonRpcDissector, TCP, True, jsonrpc(method="eth_blockNumber", id="a1") + b"\r\n"),
    (JsonRpcDissector, TCP, False, jsonrpc(result=19, id=1)),
    (JsonRpcDissector, TCP, False, jsonrpc(error={"code": -32601, "message": "Method not found"}, id="1")),
    (SoapDissector, TCP, True, soap()),
    (SoapDissector, TCP, True, soap(b"env", SOAP12, b"")),
    (SoapDissector, TCP, False, soap(b"", SOAP12, b"\xef\xbb\xbf<?xml version='1.0'?>\r\n", quote=b"'")),
    (NntpDissector, TCP, False, b"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"),
    (NntpDissector, TCP, False, b"201 NNTP Service Ready, posting prohibited\r\n"),
    (NntpDissector, TCP, True, b"MODE READER\r\n"),
    (NntpDissector, TCP, True, b"mode reader\r\n"),
    (NntpDissector, TCP, True, b"CAPABILITIES\r\n"),
    (NntpDissector, TCP, True, b"MODE STREAM\r\n"),
    (NntpDissector, TCP, True, b"AUTHINFO USER alice\r\n"),
    (NntpDissector, TCP, True, b"AUTHINFO SASL PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (Z3950Dissector, TCP, b"\xb6" + z_init()[1:], "tag [22]"),
    (Z3950Dissector, TCP, z_init(delta=1), "length one too large"),
    (Z3950Dissector, TCP, z_init(delta=-1), "length one too small"),
    (Z3950Dissector, TCP, z_init() + b"\x00", "a byte after the APDU"),
    (Z3950Dissector, TCP, z_init(skip="version"), "no protocolVersion"),
    (Z3950Dissector, TCP, z_init(skip="options"), "no options"),
    (Z3950Dissector, TCP, z_init(skip="exc"), "no exceptionalRecordSize"),
    (Z3950Dissector, TCP, z_init(version=b"\x08\xe0"), "version: 8 unused bits"),
    (Z3950Dissector, TCP, z_init(options=b"\x09\xc1"), "options: 9 unused bits"),
    (Z3950Dissector, TCP, z_init(version=b""), "empty version"),
    (Z3950Dissector, TCP, z_init(pref=bytes(9)), "preferredMessageSize of 9 bytes"),
    (Z3950Dissector, TCP, z_init(ref=b"x" * 65), "referenceId of 65 bytes"),
    (Z3950Dissector, TCP, z_init(tail=tlv(b"\x30", b"\x01")), "a SEQUENCE after the sizes"),
    (Z3950Dissector, TCP, z_response(result=b"\x01\x01"), "result of 2 bytes"),
    (Z3950Dissector, TCP, z_init(0xB5), "response without result"),
    (Z3950Dissector, TCP, b"\xb4\x80" + z_init()[2:] + b"\x00\x00", "indefinite length"),
    (ThriftDissector, TCP, thrift_binary(version=b"\x80\x02"), "version 2"),
    (ThriftDissector, TCP, thrift_binary(pad=1), "byte 2 not zero"),
    (ThriftDissector, TCP, thrift_binary(0), "type 0"),
    (ThriftDissector, TCP, thrift_binary(5), "type 5"),
    (ThriftDissector, TCP, thrift_binary(name=b""), "empty name"),
    (ThriftDissector, TCP, thrift_binary(name=b"x" * 129), "name of 129 bytes"),
    (ThriftDissector, TCP, thrift_binary(name=b"9lives"), "name starts with a digit"),
    (ThriftDissector, TCP, thrift_binary(name=b"get user"), "space in the name"),
    (ThriftDissector, TCP, thrift_binary(size=8), "name length past the name"),
    (ThriftDissector, TCP, thrift_binary(fields=b"\x05\x00\x01"), "field type 5"),
    (ThriftDissector, TCP, thrift_binary(fields=b"\x01\x00\x01"), "field type 1"),
    (ThriftDissector, TCP, thrift_binary(fields=b""), "no field byte"),
    (ThriftDissector, TCP, framed(thrift_binary(), -1), "frame shorter than the segment"),
    (ThriftDissector, TCP, b"\x01\x00\x00\x00" + thrift_binary(), "frame size over 16 MiB"),
    (ThriftDissector, UDP, framed(thrift_binary()), "framed over UDP"),
    (ThriftDissector, UDP, thrift_compact(version=2), "compact version 2"),
    (ThriftDissector, UDP, thrift_compact(0), "compact type 0"),
    (ThriftDissector, UDP, thrift_compact(5), "compact type 5"),
    (ThriftDissector, UDP, thrift_compact(proto_id=0x83), "protocol id 0x83"),
    (ThriftDissector, UDP, thrift_compact(name=b""), "compact empty name"),
    (ThriftDissector, UDP, thrift_compact(size=200, name=b"a" * 200), "compact name of 200"),
    (ThriftDissector, UDP, thrift_compact(fields=b"\x1e"), "compact field type 14"),
    (ThriftDissector, UDP, thrift_compact(fields=b""), "compact: no field header"),
    (ThriftDissector, UDP, b"\x82\x81\xff\xff\xff\xff\xff\x01\x04ping\x00", "sequence varint of 6 bytes"),
    (NanoDissector, TCP, nano(magic=b"S"), "magic S"),
    (NanoDissector, TCP, nano(net=b"D"), "network D"),
    (NanoDissector, TCP, nano(versions=(20, 18, 19)), "min above using"),
    (NanoDissector, TCP, nano(versions=(19, 20, 18)), "using above max"),
    (NanoDissector, TCP, nano(versions=(64, 64, 18)), "max 64"),
    (NanoDissector, TCP, nano(versions=(20, 20, 0)), "min 0"),
    (NanoDissector, TCP, nano(0x03), "publish"),
    (NanoDissector, TCP, nano(flags=0x0D), "handshake flag bit 3"),
    (NanoDissector, TCP, nano(flags=0x04, body=b""), "v2 alone"),
    (NanoDissector, TCP, nano(body=bytes(33)), "cookie of 33 bytes"),
    (NanoDissector, TCP, nano(body=bytes(31)), "cookie of 31 bytes"),
    (NanoDissector, TCP, nano(flags=0x07, body=bytes(128)), "v1 response size with v2 flag"),
    (NanoDissector, TCP, nano(0x02, 1, KEEPALIVE), "keepalive with an extension"),
    (NanoDissector, TCP, nano(0x02, 0, KEEPALIVE[:-18]), "keepalive with 7 peers"),
    (NanoDissector, TCP, nano(0x0C, 0, b"\x00"), "telemetry request with a body"),
    (FixDissector, TCP, fix(LOGON, b"FIX.4.5"), "FIX.4.5"),
    (FixDissector, TCP, fix(LOGON, b"FIX.3.9"), "FIX.3.9"),
    (FixDissector, TCP, fix(LOGON, b"FIXT.1.2"), "FIXT.1.2"),
    (FixDissector, TCP, fix(LOGON, length_delta=1), "body length +1"),
    (FixDissector, TCP, fix(LOGON, length_delta=-1), "body length -1"),
    (FixDissector, TCP, fix(LOGON, check_delta=1), "checksum +1"),
    (FixDissector, TCP, fix([(34, "1"), (35, "A"), (108, "30")]), "MsgType not third"),
    (FixDissector, TCP, fix([(35, "ABCDE"), (108, "30")]), "MsgType of 5 characters"),
    (FixDissector, TCP, fix([(35, "A!"), (108, "30")]), "MsgType with a '!'"),
    (FixDissector, TCP, fix(LOGON).replace(b"\x019=", b"\x019:", 1), "no BodyLength"),
    (FixDissector, TCP, fix(LOGON).replace(b"\x019=", b"\x019=0000000", 1), "BodyLength of 9+ digits"),
    (FixDissector, TCP, fix(LOGON)[:-1] + b"|", "trailer without SOH"),
    (FixDissector, TCP, fix(LOGON).replace(b"10=", b"11=")[:-4] + b"%03d\x01" % 0, "tag 11 for 10"),
    (FixDissector, TCP, fix(LOGON) + b"x", "a byte after the message"),
    (FixDissector, TCP, fix(LOGON, trailer=False) + b"10=1\x01", "checksum of 1 digit"),
    (FixDissector, TCP, fix(LOGON).replace(b"\x01", b"|"), "| for SOH"),
    (FixDissector, TCP, fix_compressed(header=b"\x78\x9d"), "FIXCOMP: zlib check bits"),
    (FixDissector, TCP, fix_compressed(header=b"\x79\x9c"), "FIXCOMP: method 9"),
    (FixDissector, TCP, fix_compressed() + b"\x00", "FIXCOMP: a byte after the body"),
    (FixDissector, TCP, fix_binary(b"G!"), "O: bad MsgType"),
    (FixDissector, TCP, fix_binary().replace(b"35=", b"36="), "O: no MsgType"),
    (FixDissector, TCP, fix_binary() + b"\x00", "O: a byte after the body"),
    (FixDissector, TCP, b"8=P" + fix_binary()[3:], "BeginString P"),
    (CheckMkDissector, TCP, b"<<<check_mk>>" + CHECKMK[14:], "two closing brackets"),
    (CheckMkDissector, TCP, b"<<<check_mk>>>Version: 2\n", "no line end"),
    (CheckMkDissector, TCP, CHECKMK.replace(b"check_mk", b"Check_MK"), "case"),
    (CheckMkDissector, TCP, b"<<<df>>>\n/dev/sda1 ext4\n", "another section first"),
    (CheckMkDissector, TCP, b" " + CHECKMK, "leading space"),
    (JsonRpcDissector, TCP, jsonrpc(jsonrpc="1.0", method="echo", id=1), "version 1.0"),
    (JsonRpcDissector, TCP, jsonrpc(jsonrpc=None, method="echo", params=[1], id=1), "no jsonrpc"),
    (JsonRpcDissector, TCP, jsonrpc(jsonrpc=2.0, method="echo", id=1, x="2.0"), "jsonrpc a number"),
    (JsonRpcDissector, TCP, jsonrpc(method=7, id=1), "method a number"),
    (JsonRpcDissector, TCP, jsonrpc(method="", id=1), "empty method"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", params="x", id=1), "params a string"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", id=True), "id a boolean"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", id=[1]), "id an array"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", result=1, id=1), "method and result"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", id=1, extra=1), "extra member"),
    (JsonRpcDissector, TCP, jsonrpc(result=1), "response without id"),
    (JsonRpcDissector, TCP, jsonrpc(result=1, error={"code": 1, "message": "m"}, id=1), "result and error"),
    (JsonRpcDissector, TCP, jsonrpc(error={"message": "m"}, id=1), "error without code"),
    (JsonRpcDissector, TCP, jsonrpc(error={"code": "1", "message": "m"}, id=1), "error code a string"),
    (JsonRpcDissector, TCP, jsonrpc(error={"code": 1}, id=1), "error without message"),
    (JsonRpcDissector, TCP, jsonrpc(error="boom", id=1), "error a string"),
    (JsonRpcDissector, TCP, jsonrpc(id=1), "neither method nor result"),
    (JsonRpcDissector, TCP, jsonrpc(result=1, params=[], id=1), "response with params"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", id=1)[:-1] + b"x", "bad JSON"),
    (JsonRpcDissector, TCP, b"[" + jsonrpc(method="echo", id=1) + b"]", "a batch"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", id=1) + b"x", "junk after the object"),
    (JsonRpcDissector, TCP, b" " + jsonrpc(method="echo", id=1), "leading space"),
    (JsonRpcDissector, TCP, jsonrpc(id=1, method="mining.subscribe", params=["miner/1.0"]) + b"\n", "a Stratum subscribe"),
    (JsonRpcDissector, TCP, jsonrpc(method="echo", id=1, params=["x" * 5000]), "over 4096 bytes"),
    (SoapDissector, TCP, soap(ns=b"http://schemas.xmlsoap.org/soap/envelope"), "namespace without its slash"),
    (SoapDissector, TCP, soap(ns=b"http://example.com/envelope/"), "other namespace"),
    (SoapDissector, TCP, soap(bind=b"env"), "prefix bound is another"),
    (SoapDissector, TCP, soap(local=b"Envelop"), "element Envelop"),
    (SoapDissector, TCP, soap(local=b"Body"), "element Body first"),
    (SoapDissector, TCP, soap(decl=b'<?xml version="1.0"'), "declaration not closed"),
    (SoapDissector, TCP, soap(decl=b"<!-- c -->"), "comment before the element"),
    (SoapDissector, TCP, b"<soap:Envelope><soap:Body xmlns:soap=\"" + SOAP12 + b"\"/></soap:Envelope>", "namespace declared later"),
    (SoapDissector, TCP, b"POST / HTTP/1.1\r\n\r\n" + soap(), "HTTP request"),
    (SoapDissector, TCP, soap().replace(b" xmlns:", b" xxmlns:"), "attribute xxmlns"),
    (SoapDissector, TCP, soap().replace(b"<soap:Envelope xmlns", b"<soap:Envelope"), "no xmlns"),
    (NntpDissector, TCP, b"200 Type set to I\r\n", "FTP reply 200"),
    (NntpDissector, TCP, b"220 news.example.com NNTP ready\r\n", "greeting code 220"),
    (NntpDissector, TCP, b"400 NNTP service temporarily unavailable\r\n", "greeting code 400"),
    (NntpDissector, TCP, b"200 NNTP ready\n", "LF only"),
    (NntpDissector, TCP, b"200 NNTP ready", "no line end"),
    (NntpDissector, TCP, b"200 NNTP\x07 ready\r\n", "control byte"),
    (NntpDissector, TCP, b"200 NNTP ready\r\nextra\r\n", "two lines"),
    (NntpDissector, TCP, b"200 " + b"NNTP " * 110 + b"\r\n", "line over 512 bytes"),
    (NntpDissector, TCP, b"HELP\r\n", "HELP"),
    (NntpDissector, TCP, b"LIST\r\n", "LIST"),
    (NntpDissector, TCP, b"MODE READERS\r\n", "MODE READERS"),
    (NntpDissector, TCP, b"AUTHINFO USER \r\n", "AUTHINFO USER without argument"),
    (NntpDissector, TCP, b"AUTHINFO USER  x\r\n", "AUTHINFO USER with two spaces"),
    (NntpDissector, TCP, b"AUTHINFO PASS secret\r\n", "AUTHINFO PASS first"),
    (NntpDissector, TCP, b"CAPABILITY\r\n", "CAPABILITY"),
]  # fmt: skip


def _thrift_header_end(payload: bytes) -> int:
    """Length of a Thrift positive up to and including its first field byte."""
    pos = 4 if payload[0] == 0 else 0
    if payload[pos] == 0x80:
        return pos + 8 + struct.unpack(">I", payload[pos + 4 : pos + 8])[0] + 4 + 1
    pos += 2
    for _ in range(2):  # the sequence id, then the name length
        start = pos
        while payload[pos] & 0x80:
            pos += 1
        pos += 1
    size = payload[start]
    return pos + size + 1


def _fix_allowed(payload: bytes) -> set[int]:
    """FIX prefixes still accepted: cut inside the first message's body (after MsgType),
    the first message whole when a second follows, or cut after the second's ``8=``."""
    n = len(payload)
    soh = payload.index(b"\x01")
    body = payload.index(b"\x01", soh + 1) + 1
    end = body + int(payload[soh + 3 : body - 1])
    if payload.startswith(b"8=FIXCOMP"):
        return set(range(body + 2, n))
    type_end = payload.index(b"\x01", body) + 1
    if payload.startswith(b"8=O"):
        return set(range(type_end, n))
    allowed = set(range(type_end, min(end, n)))
    if end + 7 < n:
        allowed |= {end + 7} | set(range(end + 9, n))
    return allowed


def _accepted_prefixes(cls: type[Dissector], payload: bytes) -> tuple[bool, set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted)."""
    n = len(payload)
    if cls is ThriftDissector:
        return payload[0] == 0, set(range(_thrift_header_end(payload), n))
    if cls is FixDissector:  # only the first message is checked; a cut one is accepted
        soh = payload.index(b"\x01")
        body = payload.index(b"\x01", soh + 1) + 1
        whole = body + int(payload[soh + 3 : body - 1]) <= n
        return whole and payload.count(b"\x018=") == 0, _fix_allowed(payload)
    if cls is CheckMkDissector:
        return False, set(range(payload.index(b"\n") + 1, n))
    if cls is JsonRpcDissector:
        eol = payload.find(b"\n")
        return eol < 0, set() if eol < 0 else set(range(eol - (payload[eol - 1] == 13), n))
    if cls is SoapDissector:
        return False, set(range(payload.index(b">", payload.index(b"Envelope")) + 1, n))
    return True, set()


def _id(case: tuple) -> str:  # type: ignore[type-arg]
    return f"{case[0].name}-{'tcp' if case[1] == TCP else 'udp'}-{'orig' if case[2] else 'resp'}"


@sf.positives(POSITIVES, _id)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bool, bytes]) -> None:
    """Identification is by content: well-known ports (when the service has some) and random
    high ports alike."""
    cls, proto, side, payload = case
    sf.check_identified_on_any_ports(cls, proto, payload, RPC_SIGNATURES, side=side)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES, _id)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bool, bytes]) -> None:
    """Every prefix gives a bool; cut messages are refused except where the docstring
    accepts them; exact tests refuse appended junk."""
    cls, proto, side, payload = case
    sf.check_truncations(cls, proto, payload, *_accepted_prefixes(cls, payload), side=side)


def test_cut_messages_accepted_where_documented() -> None:
    """A FIX message cut inside its body, a framed Thrift message cut by the segment and
    the Checkmk header alone are accepted (their docstrings say so)."""
    long_msg = fix([(35, "W")] + [(58, "y" * 50)] * 40)
    assert FixDissector.matches(long_msg[:400], TCP, True)
    assert not FixDissector.matches(long_msg[: len(long_msg) - 3], TCP, True)  # in trailer
    frame = framed(thrift_binary(fields=b"\x0b\x00\x01" + struct.pack(">I", 900) + b"z" * 900))
    assert ThriftDissector.matches(frame[:200], TCP, True)
    assert CheckMkDissector.matches(b"<<<check_mk>>>\n", TCP, False)


@sf.positives(POSITIVES, _id)
def test_feed_is_identification_only(case: tuple[type[Dissector], int, bool, bytes]) -> None:
    cls, proto, side, payload = case
    sf.check_feed_identification_only(cls, proto, payload, side=side)


def test_module_facts() -> None:
    names = [c.name for c in RPC_SIGNATURES]
    assert names == ["z3950", "thrift", "nano", "fix", "checkmk", "json_rpc", "soap", "nntp"]
    assert all(c in registry.DISSECTORS for c in RPC_SIGNATURES)
    for cls in RPC_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.__doc__
        assert "matches" in cls.__doc__ and cls.first_bytes
    screened = {c.name: set(c.screens) for c in RPC_SIGNATURES if c.screens}
    assert screened == {"thrift": {TCP, UDP}, "nano": {TCP}, "fix": {TCP}}


def test_stratum_keeps_its_json_rpc_lines() -> None:
    """A mining session's subscribe in JSON-RPC 2.0 dress stays Stratum's, on any port."""
    line = jsonrpc(id=1, method="mining.subscribe", params=["cpuminer/2.5"]) + b"\n"
    assert StratumDissector.matches(line, TCP, True)
    assert not JsonRpcDissector.matches(line, TCP, True)
    for dport in (3333, 8080, 40000):
        assert registry.identify(line, TCP, True, 51000, dport) is StratumDissector


def test_soap_over_http_stays_http() -> None:
    """A SOAP request carried by HTTP is the HTTP dissector's flow."""
    body = soap()
    request = (b"POST /svc HTTP/1.1\r\nHost: a.example\r\nContent-Type: text/xml\r\n"
               b'SOAPAction: "urn:GetQuote"\r\nContent-Length: %d\r\n\r\n' % len(body)) + body
    found = registry.identify(request, TCP, True, 51000, 80)
    assert found is not None and found.name == "http"


def test_ws_discovery_keeps_soap_over_udp() -> None:
    """SOAP over UDP (WS-Discovery) is not this TCP-only class's."""
    assert UDP not in SoapDissector.transports


@pytest.mark.parametrize("cls", RPC_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


@pytest.mark.parametrize("cls", RPC_SIGNATURES, ids=sf.name_of)
@settings(max_examples=200, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(uniform_bytes(300), st.sampled_from([TCP, UDP]), st.booleans(), st.data())
def test_random_bytes_with_a_declared_first_byte_do_not_match(
        cls: type[Dissector], payload: bytes, proto: int, from_orig: bool,
        data: st.DataObject) -> None:
    """Random payloads that pass the first-byte prefilter are still refused."""
    first = cls.first_bytes_on(proto)
    if proto not in cls.transports or not payload or first is None:
        return
    lead = data.draw(st.sampled_from(sorted(first)))
    assert not cls.matches(bytes((lead,)) + payload[1:], proto, from_orig)


@sf.FUZZ
@given(st.sampled_from(RPC_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, _, payload = POSITIVES[index]
    sf.fuzz_mutated(RPC_SIGNATURES, proto, payload, edits)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS = sf.DATA, sf.CFGS
NFSTREAM = DATA / "nfstream" / "tests" / "pcaps"
needs_data = sf.needs_data

NDPI_LABELS = {
    "z3950": {"Z3950"}, "thrift": {"Thrift"}, "nano": {"Nano"}, "fix": {"FIX"},
    "checkmk": {"CHECKMK"}, "json_rpc": {"JSON-RPC"}, "soap": {"SOAP"}, "nntp": {"Usenet"},
}  # fmt: skip
"""nDPI's master-protocol labels per service."""

CAPTURES = {
    "z3950": "z3950.pcapng", "thrift": "thrift.pcap", "nano": "nano.pcapng", "fix": "fix.pcap",
    "checkmk": "check_mk_new.pcap", "json_rpc": "jsonrpc.pcap", "soap": "soap.pcap",
    "nntp": "nntp.pcap",
}  # fmt: skip
"""The capture named after each service (nDPI's, and nfstream's copies of some)."""


# (hits, total) on the flows nDPI labels with the service (all cfgs directories). Misses:
# - soap 0/2: soap.pcap's two SOAP flows are an HTTP POST with a SOAPAction header (HTTP's
#   flow; nDPI names its retransmission to port 4176 HTTP.SOAP) and a port-80 exchange of
#   "<?xml ...?><ZMessage ...>" documents, which are not SOAP envelopes at all.
# - nntp 3/3 includes the 2 flows of the synthetic ossfuzz_seed_fake_traces_2.pcapng (the
#   Leafnode greeting; their client sides, "HELP" and "AUTHINFO USER" without CRLF, are not
#   claimed).
# - fix, z3950, checkmk, nano, thrift, json_rpc: every flow (json_rpc counts only the bare
#   TCP flow; jsonrpc.pcap's Zabbix flow is HTTP.JSON-RPC, labelled HTTP).
NDPI_EXPECTED = {
    "z3950": (2, 2), "thrift": (2, 2), "nano": (1, 1), "fix": (12, 12), "checkmk": (1, 1),
    "json_rpc": (1, 1), "soap": (0, 2), "nntp": (3, 3),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(RPC_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


BOTH_SIDES = {"fix": 12, "z3950": 2, "nano": 1, "thrift": 1, "nntp": 1}
"""Flows of which both first payloads are claimed: FIX (the FIX.4.1 / ``O`` side and the
``FIXCOMP`` side), Z39.50 (initRequest and initResponse), Nano (both handshakes), Thrift's
TCP call and reply (its UDP flow is one-way), nntp.pcap (greeting and MODE READER)."""


@needs_data
def test_ndpi_positives_both_sides() -> None:
    got: Counter[str] = Counter()
    for s in ndpi_samples():
        for cls in RPC_SIGNATURES:
            if s.label in NDPI_LABELS[cls.name] and len(s.firsts) == 2 and all(
                    cls.matches(d, s.proto, side) for side, d in s.firsts):
                got[cls.name] += 1
    assert dict(got) == BOTH_SIDES


# nfstream's copies of the captures (no labels there): every flow of each is claimed.
NFSTREAM_EXPECTED = {"fix": (12, 12), "z3950": (2, 2), "checkmk": (1, 1)}


@needs_data
@pytest.mark.parametrize("name", sorted(NFSTREAM_EXPECTED))
def test_nfstream_captures(name: str) -> None:
    path = NFSTREAM / CAPTURES[name]
    if not path.exists():
        pytest.skip(f"{path} absent")
    got = [sf.matched(RPC_SIGNATURES, s) for s in _samples(path)]
    assert (sum(name in g for g in got), len(got)) == NFSTREAM_EXPECTED[name]
    assert not {n for g in got for n in g} - {name}


EXPLAINED: dict[tuple[str, str], str] = {}
"""Hits on flows nDPI labels with another protocol: none."""


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow nDPI labels with another protocol; unlabelled hits are the
    copies of the services' own captures."""
    hits, unlabelled = sf.corpus_hits(RPC_SIGNATURES, NDPI_LABELS, by_capture=True)
    assert set(hits) <= set(EXPLAINED)
    assert hits == {}
    # nfstream's unlabelled copies of fix.pcap, z3950.pcapng and check_mk_new.pcap
    assert dict(unlabelled) == {("fix", "fix.pcap"): 12, ("z3950", "z3950.pcapng"): 2,
                                ("checkmk", "check_mk_new.pcap"): 1}


NEW_SIDES: dict[str, int] = {
    "fix": 48, "z3950": 8, "nntp": 4, "thrift": 3, "checkmk": 2, "nano": 2, "json_rpc": 1,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes: both sides of the
12 FIX flows, twice (nDPI's and nfstream's copies), both sides of the 2 Z39.50 flows twice,
the Checkmk agent's output twice, nntp.pcap's two sides and the two synthetic greetings,
Thrift's TCP call and reply and its UDP batch, the Nano handshakes, the JSON-RPC request."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, RPC_SIGNATURES)
    assert changed == Counter()
    assert dict(new) == NEW_SIDES
