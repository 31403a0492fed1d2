"""Signatures of enterprise and application services (``signatures_apps``): BGP, DCE/RPC,
ONC RPC (nfs / sunrpc), TDS, AMQP, Memcached, Git, RTSP, XMPP, SOCKS.

Synthetic messages are built field by field from the specs the classes cite; each negative
breaks one checked fact. Real captures: the flows nDPI labels with each service, the other
projects' captures named after it, a negative corpus (flows nDPI labels with another
protocol) and the registry with and without these classes (nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from pathlib import Path

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st

from wirelens.dissect import registry
from wirelens.dissect.base import BY_CONTENT, Dissector
from wirelens.dissect.signatures_apps import (
    APP_SIGNATURES,
    AmqpDissector,
    BgpDissector,
    DceRpcDissector,
    GitDissector,
    MemcachedDissector,
    NfsDissector,
    RtspDissector,
    SocksDissector,
    SunRpcDissector,
    TdsDissector,
    XmppDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the specs cited in the classes) ----------------------------------


def bgp(kind: int, body: bytes) -> bytes:
    """RFC 4271 §4.1 header: marker, length, type."""
    return b"\xff" * 16 + struct.pack(">HB", 19 + len(body), kind) + body


def bgp_open(version: int = 4, hold: int = 180, ident: bytes = b"\x0a\x00\x00\x01",
             params: bytes = b"\x02\x06\x01\x04\x00\x01\x00\x01") -> bytes:
    """§4.2: version, my AS, hold time, BGP identifier, optional parameters."""
    return bgp(1, struct.pack(">BHH", version, 65001, hold) + ident + bytes([len(params)])
               + params)


BGP_KEEPALIVE = bgp(4, b"")
BGP_UPDATE = bgp(2, b"\x00\x00" + b"\x00\x07" + b"\x40\x01\x01\x00" + b"\x40\x02\x00"
                 + b"\x18\x0a\x01\x02")


def dce_co(ptype: int, body: bytes, drep: bytes = b"\x10\x00\x00\x00", minor: int = 0,
           auth: int = 0, flags: int = 0x03) -> bytes:
    """DCE 1.1 §12.6.3.1 common header (integers in the drep's order) + body."""
    order = "<" if drep[0] == 0x10 else ">"
    return (bytes([5, minor, ptype, flags]) + drep
            + struct.pack(order + "HHI", 16 + len(body), auth, 2) + body)


DCE_BIND_BODY = (struct.pack("<HHI", 4280, 4280, 0) + b"\x01\x00\x00\x00"
                 + struct.pack("<HBB", 0, 1, 0) + bytes(range(16)) + struct.pack("<I", 3)
                 + bytes(range(16, 32)) + struct.pack("<I", 2))
DCE_REQUEST_BODY = struct.pack("<IHH", 24, 0, 5) + bytes(24)


def dce_cl(ptype: int = 0, body: bytes = bytes(24), little: bool = True,
           flags2: int = 0, auth_proto: int = 0) -> bytes:
    """DCE 1.1 §12.5.2.1 connectionless header (80 bytes) + body."""
    o = "<" if little else ">"
    head = bytes([4, ptype, 0x20, flags2]) + (b"\x10\x00\x00" if little else b"\x00\x00\x00")
    activity = bytes.fromhex(  # a version 1 UUID, DCE variant, integers in the drep order
        "0100a0de976cd111827100a02442df7d" if little else "dea000016c9711d1827100a02442df7d")
    head += b"\x00" + bytes(16) + bytes(range(16)) + activity
    head += struct.pack(o + "IIIHHHHH", 0x5A5A, 1, 0, 3, 0xFFFF, 0xFFFF, len(body), 0)
    return head + bytes([auth_proto, 0]) + body


def auth_sys(name: bytes = b"client", gids: int = 2) -> bytes:
    """RFC 5531 §14 authsys_parms: stamp, machinename (padded), uid, gid, gids."""
    pad = bytes(-len(name) % 4)
    return (struct.pack(">II", 0x12345678, len(name)) + name + pad
            + struct.pack(">III", 1000, 1000, gids) + struct.pack(">I", 1000) * gids)


def rpc_call(prog: int = 100003, vers: int = 3, proc: int = 0, cred: tuple[int, bytes] = (0, b""),
             verf: tuple[int, bytes] = (0, b""), args: bytes = b"", tcp: bool = False,
             msg_type: int = 0, rpcvers: int = 2) -> bytes:
    """RFC 5531 §9 call body; over TCP behind a §11 record mark (last fragment)."""
    body = struct.pack(">IIIIII", 0x3843766A, msg_type, rpcvers, prog, vers, proc)
    for flavor, data in (cred, verf):
        body += struct.pack(">II", flavor, len(data)) + data + bytes(-len(data) % 4)
    body += args
    return struct.pack(">I", 0x80000000 | len(body)) + body if tcp else body


def tds(kind: int, data: bytes, status: int = 0x01, window: int = 0, extra: int = 0) -> bytes:
    """MS-TDS §2.2.3.1 header: type, status, length (BE, header included), SPID, packet id,
    window."""
    return struct.pack(">BBHHBB", kind, status, 8 + len(data) + extra, 0, 1, window) + data


def prelogin(options: list[tuple[int, bytes]] | None = None) -> bytes:
    """MS-TDS §2.2.6.5 option table + data."""
    options = options if options is not None else [
        (0, b"\x10\x00\x07\xd0\x00\x00"), (1, b"\x00"), (2, b"\x00"), (3, b"\x00" * 4),
        (4, b"\x00")]
    table_size = 5 * len(options) + 1
    table, data = b"", b""
    for token, value in options:
        table += struct.pack(">BHH", token, table_size + len(data), len(value))
        data += value
    return table + b"\xff" + data


def ucs2(text: str) -> bytes:
    return text.encode("utf-16-le")


TDS_ALL_HEADERS = struct.pack("<IIH", 22, 18, 2) + bytes(8) + struct.pack("<I", 1)
TDS_LOGIN7 = struct.pack("<II", 94, 0x74000004) + bytes(86)
TDS_DONE = b"\xfd" + struct.pack("<HHQ", 0x10, 0xC1, 1)


def amqp_frame(kind: int, channel: int, payload: bytes, end: int = 0xCE) -> bytes:
    """AMQP 0-9-1 §4.2.3 frame: type, channel, size, payload, frame-end."""
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + bytes([end])


AMQP_START = amqp_frame(1, 0, struct.pack(">HHBB", 10, 10, 0, 9) + b"\x00\x00\x00\x00"
                        + b"\x00\x00\x00\x05PLAIN" + b"\x00\x00\x00\x05en_US")
AMQP_HEARTBEAT = amqp_frame(8, 0, b"")
AMQP_SASL_INIT = struct.pack(">IBBH", 21, 2, 1, 0) + b"\x00\x53\x41\xc0\x0a\x01\xa3\x05PLAIN"


def mc_bin(opcode: int = 0x00, key: bytes = b"foo", extras: bytes = b"", value: bytes = b"",
           magic: int = 0x80, status: int = 0, datatype: int = 0) -> bytes:
    """Memcached binary protocol §3: 24-byte header + extras + key + value."""
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", magic, opcode, len(key), len(extras), datatype, status,
                       len(body), 0xDEADBEEF, 0) + body


def mc_udp(inner: bytes, seq: int = 0, total: int = 1) -> bytes:
    """protocol.txt "UDP protocol": request id, sequence number, datagrams, reserved."""
    return struct.pack(">HHHH", 0x1234, seq, total, 0) + inner


def pkt(line: bytes) -> bytes:
    """gitprotocol-common pkt-line: 4 hex digits of the length, itself included."""
    return b"%04x" % (len(line) + 4) + line


GIT_REQUEST = pkt(b"git-upload-pack /project.git\x00host=git.example.org\x00")
GIT_REF = pkt(b"95dcfa3633004da0049d3d0fa03f80589cbcaf31 HEAD\x00multi_ack side-band-64k\n")


def xmpp_header(ns: bytes = b"jabber:client", to: bytes = b"im.example.com",
                decl: bool = True) -> bytes:
    """RFC 6120 §4.7 initial stream header (client to server)."""
    return ((b"<?xml version='1.0'?>" if decl else b"")
            + b"<stream:stream from='juliet@im.example.com' to='" + to
            + b"' version='1.0' xml:lang='en' xmlns='" + ns
            + b"' xmlns:stream='http://etherx.jabber.org/streams'>")


def socks4(cmd: int = 1, port: int = 80, ip: bytes = b"\x5d\xb8\xd8\x77", user: bytes = b"alice",
           host: bytes | None = None) -> bytes:
    """SOCKS 4 request (4A: address 0.0.0.x then the host name)."""
    out = bytes([4, cmd]) + struct.pack(">H", port) + ip + user + b"\x00"
    return out + host + b"\x00" if host is not None else out


def socks5_request(cmd: int = 1, atyp: int = 3, host: bytes = b"example.com",
                   port: int = 443) -> bytes:
    """RFC 1928 §4 request."""
    addr = bytes([len(host)]) + host if atyp == 3 else host
    return bytes([5, cmd, 0, atyp]) + addr + struct.pack(">H", port)


RTSP_OPTIONS = b"OPTIONS rtsp://cam.example.net:554/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n"

# (class, transport, payload): each is identified as its class by the registry
POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (BgpDissector, TCP, bgp_open()),
    (BgpDissector, TCP, bgp_open() + BGP_KEEPALIVE),
    (BgpDissector, TCP, bgp_open(hold=0, params=b"")),
    (BgpDissector, TCP, BGP_KEEPALIVE),
    (BgpDissector, TCP, BGP_UPDATE),
    (BgpDissector, TCP, bgp(3, b"\x06\x02")),  # NOTIFICATION cease / shutdown
    (BgpDissector, TCP, bgp(5, b"\x00\x01\x00\x01")),  # ROUTE-REFRESH
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY)),
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY, drep=b"\x00\x00\x00\x00")),
    (DceRpcDissector, TCP, dce_co(0, DCE_REQUEST_BODY, minor=1)),
    (DceRpcDissector, TCP, dce_co(14, DCE_BIND_BODY) + dce_co(0, DCE_REQUEST_BODY)),
    (DceRpcDissector, UDP, dce_cl()),
    (DceRpcDissector, UDP, dce_cl(2, bytes(40), little=False)),
    (NfsDissector, UDP, rpc_call()),
    (NfsDissector, UDP, rpc_call(100005, 3, 1, (1, auth_sys()), args=b"\x00\x00\x00\x04/exp")),
    (NfsDissector, TCP, rpc_call(100003, 4, 1, (1, auth_sys(gids=0)), tcp=True)),
    (NfsDissector, TCP, rpc_call(100021, 4, 0, (6, struct.pack(">IIII", 1, 0, 1, 1) + b"\x00\x00\x00\x04abcd"), tcp=True)),
    (SunRpcDissector, UDP, rpc_call(100000, 2, 3, args=struct.pack(">IIII", 100003, 3, 6, 0))),
    (SunRpcDissector, TCP, rpc_call(100000, 4, 0, tcp=True)),
    (SunRpcDissector, UDP, rpc_call(100024, 1, 1, (1, auth_sys(b"x" * 5)))),
    (TdsDissector, TCP, tds(0x12, prelogin())),
    (TdsDissector, TCP, tds(0x04, prelogin())),  # the server's PRELOGIN answer
    (TdsDissector, TCP, tds(0x10, TDS_LOGIN7)),
    (TdsDissector, TCP, tds(0x01, TDS_ALL_HEADERS + ucs2("select @@version"))),
    (TdsDissector, TCP, tds(0x01, ucs2("COMMIT TRANSACTION"))),
    (TdsDissector, TCP, tds(0x03, struct.pack("<H", 13) + ucs2("sp_executesql") + bytes(8), status=0x09)),
    (TdsDissector, TCP, tds(0x03, struct.pack("<HH", 0xFFFF, 10) + bytes(6))),
    (TdsDissector, TCP, tds(0x04, TDS_DONE)),
    (AmqpDissector, TCP, b"AMQP\x00\x00\x09\x01"),
    (AmqpDissector, TCP, b"AMQP\x03\x01\x00\x00"),
    (AmqpDissector, TCP, b"AMQP\x03\x01\x00\x00" + AMQP_SASL_INIT),
    (AmqpDissector, TCP, AMQP_START),
    (AmqpDissector, TCP, AMQP_HEARTBEAT),
    (AmqpDissector, TCP, AMQP_START + AMQP_HEARTBEAT[:5]),
    (MemcachedDissector, TCP, mc_bin()),
    (MemcachedDissector, TCP, mc_bin(0x09, b"a") + mc_bin(0x09, b"b") + mc_bin(0x0A, b"")),
    (MemcachedDissector, TCP, mc_bin(0x01, b"k", struct.pack(">II", 0, 300), b"value")),
    (MemcachedDissector, TCP, mc_bin(0x00, b"", struct.pack(">I", 0), b"v", magic=0x81)),
    (MemcachedDissector, TCP, b"get user:42 user:43\r\n"),
    (MemcachedDissector, TCP, b"set k 0 900 5\r\nhello\r\n"),
    (MemcachedDissector, TCP, b"set k 0 900 5 noreply\r\n"),
    (MemcachedDissector, TCP, b"stats\r\n"),
    (MemcachedDissector, TCP, b"version\r\n"),
    (MemcachedDissector, UDP, mc_udp(b"stats\r\n")),
    (MemcachedDissector, UDP, mc_udp(mc_bin(0x0B, b""))),
    (GitDissector, TCP, GIT_REQUEST),
    (GitDissector, TCP, pkt(b"git-receive-pack /r.git\x00host=h:9418\x00\x00version=2\x00")),
    (GitDissector, TCP, GIT_REF),
    (GitDissector, TCP, pkt(b"version 2\n") + pkt(b"agent=git/2.40\n")),
    (RtspDissector, TCP, RTSP_OPTIONS),
    (RtspDissector, TCP, b"DESCRIBE rtsps://[2001:db8::1]/a RTSP/2.0\r\nCSeq: 2\r\n\r\n"),
    (RtspDissector, TCP, b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"),
    (RtspDissector, TCP, b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: DESCRIBE, SETUP\r\n\r\n"),
    (XmppDissector, TCP, xmpp_header()),
    (XmppDissector, TCP, xmpp_header(b"jabber:server", decl=False)),
    (XmppDissector, TCP, b"<?xml version='1.0'?>\n" + xmpp_header(decl=False)),
    (SocksDissector, TCP, b"\x05\x01\x00"),
    (SocksDissector, TCP, b"\x05\x02\x00\x02"),
    (SocksDissector, TCP, socks5_request()),
    (SocksDissector, TCP, socks5_request(atyp=1, host=b"\x0a\x00\x00\x01")),
    (SocksDissector, TCP, socks5_request(atyp=4, host=bytes(15) + b"\x01")),
    (SocksDissector, TCP, socks4()),
    (SocksDissector, TCP, socks4(2, user=b"")),
    (SocksDissector, TCP, socks4(ip=b"\x00\x00\x00\x01", host=b"www.example.com")),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (BgpDissector, TCP, b"\xfe" + bgp_open()[1:], "marker not all ones"),
    (BgpDissector, TCP, bgp_open(version=3), "version 3"),
    (BgpDissector, TCP, bgp_open(hold=2), "hold time 2"),
    (BgpDissector, TCP, bgp_open(ident=bytes(4)), "zero identifier"),
    (BgpDissector, TCP, bgp_open()[:-1], "parameters shorter than announced"),
    (BgpDissector, TCP, bgp(4, b"\x00"), "KEEPALIVE of 20 bytes"),
    (BgpDissector, TCP, bgp(6, b""), "type 6"),
    (BgpDissector, TCP, bgp(3, b"\x09\x00"), "error code 9"),
    (BgpDissector, TCP, BGP_KEEPALIVE + b"\x00" * 19, "second message without marker"),
    (BgpDissector, TCP, b"\xff" * 16 + b"\x00\x12\x04", "length 18"),
    (DceRpcDissector, TCP, b"\x04" + dce_co(11, DCE_BIND_BODY)[1:], "rpc_vers 4 over TCP"),
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY, minor=2), "minor version 2"),
    (DceRpcDissector, TCP, dce_co(1, DCE_BIND_BODY), "PTYPE 1 (connectionless ping)"),
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY, drep=b"\x20\x00\x00\x00"), "integer representation 2"),
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY, drep=b"\x10\x00\x01\x00"), "reserved drep byte"),
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY) + b"\x00", "frag_length != segment"),
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY, auth=60), "auth_length beyond the PDU"),
    (DceRpcDissector, TCP, dce_co(11, DCE_BIND_BODY[:8] + b"\x00" + DCE_BIND_BODY[9:]), "no presentation context"),
    (DceRpcDissector, UDP, dce_cl() + b"\x00", "fragment length != datagram"),
    (DceRpcDissector, UDP, dce_cl(11), "PTYPE 11 connectionless"),
    (DceRpcDissector, UDP, dce_cl(flags2=0x04), "reserved flags2 bit"),
    (DceRpcDissector, UDP, dce_cl(auth_proto=1), "authenticated"),
    (DceRpcDissector, UDP, dce_cl()[:40] + bytes(16) + dce_cl()[56:], "zero activity id"),
    (DceRpcDissector, UDP, dce_cl()[:48] + b"\x40" + dce_cl()[49:], "activity id of another variant"),
    (DceRpcDissector, UDP, dce_cl()[:2] + b"\x21" + dce_cl()[3:], "reserved flags1 bit"),
    (DceRpcDissector, UDP, dce_cl()[:76] + b"\x01" + dce_cl()[77:], "fragment number without the flag"),
    (NfsDissector, UDP, rpc_call(msg_type=1), "REPLY, not CALL"),
    (NfsDissector, UDP, rpc_call(rpcvers=3), "rpcvers 3"),
    (NfsDissector, UDP, rpc_call(cred=(4, b"")), "credential flavor 4"),
    (NfsDissector, UDP, rpc_call(cred=(0, b"abcd")), "AUTH_NONE with a body"),
    (NfsDissector, UDP, rpc_call(cred=(1, auth_sys() + b"\x00\x00\x00\x00")), "AUTH_SYS longer than its fields"),
    (NfsDissector, UDP, rpc_call(cred=(1, auth_sys(gids=17))), "17 gids"),
    (NfsDissector, UDP, rpc_call(cred=(2, bytes(404))), "credential over 400 bytes"),
    (NfsDissector, UDP, rpc_call(vers=0), "version 0"),
    (NfsDissector, UDP, rpc_call(prog=100000), "the portmapper is sunrpc"),
    (NfsDissector, TCP, rpc_call(tcp=True) + b"\x00", "record length != segment"),
    (NfsDissector, TCP, b"\x00" + rpc_call(tcp=True)[1:], "not the last fragment"),
    (SunRpcDissector, UDP, rpc_call(prog=99999), "program below 100000"),
    (SunRpcDissector, UDP, rpc_call(prog=0x40000000), "transient program range"),
    (SunRpcDissector, UDP, rpc_call(prog=100000, vers=32), "version 32"),
    (SunRpcDissector, UDP, rpc_call(prog=100003), "NFS is nfs"),
    (TdsDissector, TCP, tds(0x12, prelogin()) + b"\x00", "length != segment"),
    (TdsDissector, TCP, tds(0x12, prelogin(), window=1), "window 1"),
    (TdsDissector, TCP, tds(0x12, prelogin(), status=0x20), "undefined status bit"),
    (TdsDissector, TCP, tds(0x05, prelogin()), "type 5"),
    (TdsDissector, TCP, tds(0x12, prelogin([(1, b"\x00"), (0, bytes(6))])), "VERSION not first"),
    (TdsDissector, TCP, tds(0x12, prelogin([(0, bytes(6)), (9, b"\x00")])), "unknown option 9"),
    (TdsDissector, TCP, tds(0x12, prelogin()[:-1]), "option beyond the packet"),
    (TdsDissector, TCP, tds(0x10, struct.pack("<II", 94, 0x12345678) + bytes(86)), "unknown TDS version"),
    (TdsDissector, TCP, tds(0x10, struct.pack("<II", 95, 0x74000004) + bytes(86)), "LOGIN7 length"),
    (TdsDissector, TCP, tds(0x01, struct.pack("<IIH", 22, 18, 9) + bytes(12) + ucs2("x")), "ALL_HEADERS type 9"),
    (TdsDissector, TCP, tds(0x01, b"select 1"), "SQL text not UCS-2"),
    (TdsDissector, TCP, tds(0x04, b"\x42" + bytes(12)), "unknown token"),
    (TdsDissector, TCP, tds(0x04, b"\xfd" + struct.pack("<HHQ", 0x80, 0, 0)), "undefined DONE status"),
    (TdsDissector, TCP, tds(0x03, struct.pack("<HH", 0xFFFF, 16) + bytes(6)), "procedure id 16"),
    (AmqpDissector, TCP, b"AMQP\x00\x00\x09\x02", "version 0-9-2"),
    (AmqpDissector, TCP, b"AMQP\x01\x01\x00\x00", "1.0 with protocol id 1"),
    (AmqpDissector, TCP, b"AMQX\x00\x00\x09\x01", "not AMQP"),
    (AmqpDissector, TCP, b"AMQP\x00\x00\x09\x01\x00", "a byte after the header"),
    (AmqpDissector, TCP, AMQP_START[:-1] + b"\xcd", "frame end 0xcd"),
    (AmqpDissector, TCP, amqp_frame(1, 0, struct.pack(">HH", 11, 10)), "class 11"),
    (AmqpDissector, TCP, amqp_frame(1, 0, struct.pack(">HH", 10, 9)), "method 9"),
    (AmqpDissector, TCP, amqp_frame(3, 1, b"body"), "a body frame first"),
    (AmqpDissector, TCP, amqp_frame(8, 1, b""), "heartbeat on channel 1"),
    (AmqpDissector, TCP, AMQP_START[:-3], "first frame cut"),
    (MemcachedDissector, TCP, mc_bin(0x00, b"foo", b"\x00\x00\x00\x00"), "get with extras"),
    (MemcachedDissector, TCP, mc_bin(0x00, b""), "get without a key"),
    (MemcachedDissector, TCP, mc_bin(0x0A, b"k"), "noop with a key"),
    (MemcachedDissector, TCP, mc_bin(0x40), "opcode 0x40"),
    (MemcachedDissector, TCP, mc_bin(datatype=1), "data type 1"),
    (MemcachedDissector, TCP, mc_bin() + b"\x00", "body length != payload"),
    (MemcachedDissector, TCP, mc_bin(magic=0x81, status=0x10), "status 0x10"),
    (MemcachedDissector, TCP, b"GET user:42\r\n", "upper-case command"),
    (MemcachedDissector, TCP, b"get user:42", "no CRLF"),
    (MemcachedDissector, TCP, b"get user:42\r\nx", "bytes after the line"),
    (MemcachedDissector, TCP, b"get  user:42\r\n", "two spaces"),
    (MemcachedDissector, TCP, b"get " + b"k" * 251 + b"\r\n", "key of 251 bytes"),
    (MemcachedDissector, TCP, b"set k 0 900 5\r\nhello!\r\n", "data block longer than announced"),
    (MemcachedDissector, TCP, b"set k 0 900\r\n", "storage command without size"),
    (MemcachedDissector, TCP, b"stats everything\r\n", "unknown stats argument"),
    (MemcachedDissector, TCP, b"quit\r\n", "quit: not claimed"),
    (MemcachedDissector, UDP, mc_udp(b"stats\r\n", seq=1), "sequence 1"),
    (MemcachedDissector, UDP, mc_udp(b"stats\r\n", total=2), "two datagrams"),
    (MemcachedDissector, UDP, b"stats\r\n", "no frame header"),
    (GitDissector, TCP, GIT_REQUEST + b"\x00", "pkt-line length != segment"),
    (GitDissector, TCP, b"0045" + GIT_REQUEST[4:].upper(), "upper-case service"),
    (GitDissector, TCP, pkt(b"git-upload-pack /p.git"), "path not NUL-terminated"),
    (GitDissector, TCP, pkt(b"git-upload-pack \x00host=h\x00"), "empty path"),
    (GitDissector, TCP, pkt(b"git-upload-pack /p.git\x00host=\x01\x00"), "unprintable parameter"),
    (GitDissector, TCP, b"004A" + GIT_REQUEST[4:], "upper-case hex length"),
    (GitDissector, TCP, pkt(b"95dcfa3633004da0049d3d0fa03f80589cbcaf3 HEAD\x00x\n"), "39-digit id"),
    (GitDissector, TCP, pkt(b"95dcfa3633004da0049d3d0fa03f80589cbcaf31 refz\x00x\n"), "not a ref"),
    (GitDissector, TCP, pkt(b"version 3\n"), "version 3"),
    (RtspDissector, TCP, b"GET rtsp://cam/ RTSP/1.0\r\n\r\n", "HTTP method"),
    (RtspDissector, TCP, b"OPTIONS rtsp://cam/ HTTP/1.1\r\n\r\n", "HTTP version"),
    (RtspDissector, TCP, b"OPTIONS /stream RTSP/1.0\r\nCSeq: 1\r\n\r\n", "relative URI"),
    (RtspDissector, TCP, b"OPTIONS rtsp://cam/ RTSP/1.1\r\n\r\n", "RTSP/1.1"),
    (RtspDissector, TCP, b"OPTIONS rtsp://cam/ RTSP/1.0\n\n", "LF only"),
    (RtspDissector, TCP, b"options rtsp://cam/ RTSP/1.0\r\n\r\n", "lower-case method"),
    (RtspDissector, TCP, b"RTSP/1.0 2000 OK\r\n\r\n", "four-digit status"),
    (RtspDissector, TCP, b"RTSP/1.0 099 OK\r\n\r\n", "status 099"),
    (RtspDissector, TCP, b"HTTP/1.0 200 OK\r\n\r\n", "HTTP status line"),
    (XmppDissector, TCP, xmpp_header(b"jabber:iq"), "content namespace"),
    (XmppDissector, TCP, xmpp_header().replace(b"etherx", b"ethers"), "streams namespace"),
    (XmppDissector, TCP, xmpp_header().replace(b"<stream:stream ", b"<stream:streams "), "other tag"),
    (XmppDissector, TCP, xmpp_header()[:-1], "tag not closed"),
    (XmppDissector, TCP, b"<?xml version='1.0'?>", "declaration alone"),
    (XmppDissector, TCP, b"<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>", "a stanza"),
    (SocksDissector, TCP, b"\x05\x02\x00", "NMETHODS 2, one method"),
    (SocksDissector, TCP, b"\x05\x01\x04", "unassigned method 4"),
    (SocksDissector, TCP, b"\x05\x02\x00\x00", "method twice"),
    (SocksDissector, TCP, b"\x05\x01\x80", "private method"),
    (SocksDissector, TCP, b"\x05\x00", "no method"),
    (SocksDissector, TCP, socks5_request(cmd=4), "command 4"),
    (SocksDissector, TCP, socks5_request(atyp=2, host=b"\x0a\x00\x00\x01"), "address type 2"),
    (SocksDissector, TCP, socks5_request(port=0), "port 0"),
    (SocksDissector, TCP, socks5_request()[:4] + b"\x0c" + socks5_request()[5:], "name length"),
    (SocksDissector, TCP, socks5_request(host=b"exa mple.com"), "space in the host"),
    (SocksDissector, TCP, socks4(cmd=3), "SOCKS 4 command 3"),
    (SocksDissector, TCP, socks4(ip=bytes(4)), "address 0.0.0.0"),
    (SocksDissector, TCP, socks4(ip=b"\x00\x00\x02\xff"), "address in 0.0.0.0/8"),
    (SocksDissector, TCP, socks4(user=b"\x01\x02"), "unprintable user id"),
    (SocksDissector, TCP, socks4() + b"x", "bytes after the user id"),
    (SocksDissector, TCP, socks4(ip=b"\x00\x00\x00\x01"), "4A without a host name"),
    (SocksDissector, TCP, socks4(ip=b"\x00\x00\x00\x01", host=b""), "4A with an empty host"),
]  # fmt: skip

def _exact(cls: type[Dissector], proto: int, payload: bytes) -> tuple[bool, set[int]]:
    """(whether the test ties lengths to the payload's, the prefix lengths still accepted:
    whole messages, or later messages cut by the segment's end)."""
    n = len(payload)
    if cls is BgpDissector:
        return True, set(range(struct.unpack(">H", payload[16:18])[0], n))
    if cls is DceRpcDissector:
        return True, {struct.unpack("<H", payload[8:10])[0]} if proto == TCP else set()
    if cls is MemcachedDissector and proto == TCP:
        if payload[0] not in (0x80, 0x81):
            return True, {payload.index(b"\r\n") + 2}
        ends, pos = set(), 0
        while pos < n:
            pos += 24 + struct.unpack(">I", payload[pos + 8 : pos + 12])[0]
            ends.add(pos)
        return True, ends
    if cls is AmqpDissector:
        if payload[:4] == b"AMQP":
            return n == 8, {8} | set(range(16, n))
        return payload[-1] == 0xCE, set(range(struct.unpack(">I", payload[3:7])[0] + 8, n))
    if cls in (NfsDissector, SunRpcDissector):
        return proto == TCP, set()
    if cls is GitDissector:
        return payload[4:8] == b"git-", {14}
    if cls is SocksDissector:  # a request's first 3 bytes may be a greeting
        return True, {3} if payload[:3] in (b"\x05\x01\x00", b"\x05\x01\x02") else set()
    return cls in (TdsDissector, MemcachedDissector), set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    sf.check_identified_on_any_ports(*case, APP_SIGNATURES)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Every prefix gives a bool; exact-length tests refuse prefixes cutting the message
    and appended junk."""
    cls, proto, payload = case
    exact, allowed = _exact(cls, proto, payload)
    if not exact:  # RPC over UDP: a call cut after its 40-byte header is still one
        rpc = cls in (NfsDissector, SunRpcDissector)
        allowed = allowed | set(range(40, len(payload))) if rpc else None
    sf.check_truncations(cls, proto, payload, exact, allowed)


@sf.positives([c for c in POSITIVES if c[0] is not DceRpcDissector])
def test_feed_whole_bytewise_and_with_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification only: no events whatever the split; the name (if any) is the same
    whole and byte by byte. (DCE/RPC writes rows: ``test_dissect_dcerpc.py`` feeds it.)"""
    cls, proto, payload = case
    if cls.name_source is None:
        sf.check_feed_identification_only(cls, proto, payload)
    else:
        sf.check_feed_identification_only(cls, proto, payload, done=None, name=sf.ANY,
                                          name_when_cut=sf.ANY)


@pytest.mark.parametrize(("cls", "payloads", "name"), [
    (RtspDissector, [RTSP_OPTIONS], "cam.example.net"),
    (RtspDissector, [b"DESCRIBE rtsp://user:pw@[2001:DB8::1]:8554/a RTSP/1.0\r\n\r\n"], "2001:db8::1"),
    (RtspDissector, [b"OPTIONS * RTSP/1.0\r\n\r\n"], None),
    (XmppDissector, [b"<?xml version='1.0' ?>", xmpp_header(decl=False)], "im.example.com"),
    (XmppDissector, [xmpp_header(to=b"Example.ORG").replace(b"'", b'"')], "example.org"),
    (GitDissector, [GIT_REQUEST], "git.example.org"),
    (GitDissector, [pkt(b"git-upload-pack /p.git\x00host=[::1]:9418\x00")], "::1"),
    (SocksDissector, [socks4(ip=b"\x00\x00\x00\x07", host=b"www.example.com")], "www.example.com"),
    (SocksDissector, [b"\x05\x01\x00", socks5_request(host=b"api.example.com")], "api.example.com"),
    (SocksDissector, [b"\x05\x01\x02", b"\x01\x03bob\x02pw", socks5_request()], "example.com"),
    (SocksDissector, [socks4()], None),
])  # fmt: skip
def test_server_name(cls: type[Dissector], payloads: list[bytes], name: str | None) -> None:
    """The client's first bytes name the flow (split anywhere); the server's are ignored."""
    joined = b"".join(payloads)
    for chunks in (payloads, [joined[i : i + 1] for i in range(len(joined))]):
        d = cls(TCP)
        d.feed(b"\x05\x00", False, 0)  # a server's bytes: no effect
        for chunk in chunks:
            d.feed(chunk, True, 0)
        assert d.server_name == name and d.name_source == f"{cls.name}_" + {
            "rtsp": "host", "xmpp": "to", "git": "host", "socks": "host"}[cls.name]
        if name is not None:  # XMPP and SOCKS go on: STARTTLS, the tunnelled protocol
            assert d.done is (cls not in (XmppDissector, SocksDissector))


XMPP_CLIENT = (b"<?xml version='1.0'?><stream:stream to='jabber.example' version='1.0' "
               b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")


def test_xmpp_starttls_hands_over_to_tls() -> None:
    """RFC 6120 §5.4.2.3: after the server's <proceed/> the flow is TLS's."""
    d = XmppDissector(TCP)
    d.feed(XMPP_CLIENT, True, 0)
    d.feed(b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", False, 0)
    d.feed(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", True, 0)
    assert not d.done and d.server_name == "jabber.example"
    d.feed(b"<proceed xmlns='urn:ietf:params:xml:ns:", False, 0)  # split across segments
    assert not d.done
    d.feed(b"xmpp-tls'/>", False, 0)
    assert d.done and d.upgrade == "tls"


def test_xmpp_without_starttls_gives_up() -> None:
    from wirelens.dissect.signatures_base import STARTTLS_WATCH_BYTES

    d = XmppDissector(TCP)
    d.feed(XMPP_CLIENT, True, 0)
    for _ in range(STARTTLS_WATCH_BYTES // 1000 + 1):
        d.feed(b"<message>" + b"x" * 991, False, 0)
    assert d.done and d.upgrade is None


@pytest.mark.parametrize(("tunnelled", "successor"), [
    (b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", "http"),
    (b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", "tls"),
    (b"SSH-2.0-OpenSSH_9.6\r\n", "ssh"),
    (b"\x00\x01random", None),
])
def test_socks_hands_the_tunnel_over(tunnelled: bytes, successor: str | None) -> None:
    """The client's bytes after its request are handed on; the DPI stage gives them to the
    dissector whose content test takes them (none for unknown bytes)."""
    from wirelens.pipeline.dpi import DpiStage

    d = SocksDissector(TCP)
    d.feed(b"\x05\x01\x00", True, 0)
    d.feed(b"\x05\x00", False, 0)
    d.feed(socks5_request(), True, 0)
    d.feed(b"\x05\x00\x00\x01" + bytes(6), False, 0)  # the reply
    assert not d.done and d.server_name == "example.com"
    d.feed(tunnelled, True, 0)
    assert d.done and (d.upgrade, d.upgrade_data) == (BY_CONTENT, ((True, tunnelled),))
    found = DpiStage._successor(d, TCP)
    assert (found.name if found else None) == successor


def test_module_facts() -> None:
    names = [c.name for c in APP_SIGNATURES]
    assert names == ["bgp", "dcerpc", "nfs", "sunrpc", "tds", "amqp", "git", "memcached",
                     "rtsp", "xmpp", "socks"]
    assert all(c in registry.DISSECTORS for c in APP_SIGNATURES)
    for cls in APP_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.ports and cls.__doc__
        assert "matches" in cls.__doc__


@pytest.mark.parametrize("cls", APP_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


IDENTIFY_ONLY = tuple(c for c in APP_SIGNATURES if c is not DceRpcDissector)
"""The classes that only identify (DCE/RPC writes rows and may raise ``ParseError``: it is
fuzzed with the other dissectors)."""


@sf.FUZZ
@given(st.sampled_from(IDENTIFY_ONLY), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(IDENTIFY_ONLY, proto, payload, edits, steps=(0, 3))


# --- real captures --------------------------------------------------------------------------

DATA, CFGS = sf.DATA, sf.CFGS
TRACES = DATA / "zeek" / "testing" / "btest" / "Traces"
SV = DATA / "suricata-verify" / "tests"
TD = DATA / "tcpdump" / "tests"
needs_data = sf.needs_data

NDPI_LABELS = {
    "socks": {"SOCKS"}, "rtsp": {"RTSP"}, "xmpp": {"Jabber"}, "amqp": {"AMQP"},
    "nfs": {"NFS"}, "sunrpc": {"NFS"}, "dcerpc": {"DCERPC"}, "memcached": {"Memcached"},
    "git": {"Git"}, "bgp": {"BGP"}, "tds": {"MsSQL-TDS"},
}  # fmt: skip
"""nDPI's master-protocol labels per service (nDPI names portmapper calls NFS too)."""
MINE = {label for labels in NDPI_LABELS.values() for label in labels}


# (hits, total) on the flows nDPI labels with the service. Misses, each explained:
# - xmpp 3/13 (Jabber): 10 flows of jabber.pcap and cloudflare-warp.pcap are on 5223 (TLS
#   from the first byte) or start mid-stream (an <iq>, a <presence>, a closing tag); the
#   clients that send their XML declaration alone are recognised by the server's header.
# - tds 11/12: one flow's first segment is the first 1460 bytes of an 8000-byte packet
#   (status without EOM): a packet longer than the segment is not claimed.
# - nfs 5/8 + sunrpc 3/8 (NFS): nDPI names the portmapper GETPORT calls NFS; they are the
#   sunrpc hits (program 100000). Together 8/8.
# - bgp 0/0: the nDPI BGP captures are HDLC / Cisco framed, which the test reader skips.
NDPI_EXPECTED = {
    "socks": (15, 15), "rtsp": (8, 8), "xmpp": (3, 13), "amqp": (3, 3), "nfs": (5, 8),
    "sunrpc": (3, 8), "dcerpc": (5, 5), "memcached": (1, 1), "git": (1, 1), "bgp": (0, 0),
    "tds": (11, 12),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    out = (CFGS / "default" / "result" / "mssql_tds.pcap.out").read_text()
    assert len(re.findall(r"\[proto: \d+/MsSQL-TDS\]", out)) == 12
    assert sf.ndpi_hits(APP_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


# Other projects' captures named after a service: (files, ports, hits, total).
OTHER: dict[str, tuple[list[Path], set[int], int, int]] = {
    # 8 misses, all crash reproducers: bgp-infinite-loop.pcap (4 flows, an UPDATE of length
    # 19), bgp-aigp-oobr.pcap (attributes beyond the message), bgp-ub.pcap, bgp_mp_reach_nlri-
    # oobr.pcap and bgp-bgp_capabilities_print-oobr-2.pcap (bytes before or inside the marker)
    "bgp": (sorted(TD.glob("*bgp*.pcap*")), {179}, 23, 31),
    "socks": ([*sorted(TRACES.glob("socks*.pcap")), TRACES / "tunnels/socks.pcap"], {1080, 10080}, 4, 4),
    "nfs": ([TRACES / "nfs/nfs_write.pcap", *sorted((TRACES / "mount").glob("*.pcap")), TD / "nfs-write-verf-cookie.pcapng"], {2049, 20048}, 15, 15),
    "sunrpc": ([TRACES / "nfs/nfs_write.pcap"], {111}, 4, 4),
    # bind-ack-no-inband-null.pcap and ntlm-unterminated-av-sequence.pcap: DCE/RPC over TCP;
    # the 20-fids captures carry it inside SMB named pipes (SMB's flows, not claimed)
    "dcerpc": (sorted((TRACES / "dce-rpc").glob("*.pcap")), {135, 445, 49154, 49155, 1025, 1026, 1027, 1029}, 3, 5),
    "xmpp": ([TRACES / "tls/xmpp-starttls.pcap", TRACES / "tls/xmpp-dialback-starttls.pcap"], {5222, 5269}, 2, 2),
    "tds": ([DATA / "nfstream/tests/pcaps/mssql_tds.pcap"], {1433}, 11, 12),
}  # fmt: skip


@needs_data
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_projects_captures(name: str) -> None:
    sf.check_other_captures(APP_SIGNATURES, name, OTHER[name], also={"nfs", "sunrpc"})


# Hits on flows nDPI labels with another protocol (or leaves Unknown): (service, label).
EXPLAINED = {
    ("xmpp", "TruPhone"): "ossfuzz_seed_fake_traces_2.pcapng: an XMPP stream header on port "
    "1299, which nDPI names after TruPhone (an XMPP-based service)",
    ("dcerpc", "Unknown"): "kerberos.pcap: a Windows DCE/RPC bind_ack on a dynamic port "
    "(49155) after a bind nDPI misses; content says DCE/RPC",
}
EXPLAINED_COUNTS = {("xmpp", "TruPhone"): 2, ("dcerpc", "Unknown"): 2}


@needs_data
def test_negative_corpus() -> None:
    """Every hit on a flow labelled with another protocol is an explained one."""
    hits, _ = sf.corpus_hits(APP_SIGNATURES, NDPI_LABELS)
    assert set(hits) <= set(EXPLAINED)
    assert hits == EXPLAINED_COUNTS


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, APP_SIGNATURES)
    assert changed == Counter()
    assert dict(new) == NEW_SIDES


NEW_SIDES: dict[str, int] = {
    "amqp": 8, "bgp": 32, "dcerpc": 133, "git": 4, "memcached": 2, "nfs": 32, "rtsp": 15,
    "socks": 19, "sunrpc": 13, "tds": 28, "xmpp": 9,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes, per service (the
nDPI captures appear once per configuration that lists them; DCE/RPC: 55 suricata-verify
DCE/RPC flows over TCP, binds and bind_acks mostly)."""
