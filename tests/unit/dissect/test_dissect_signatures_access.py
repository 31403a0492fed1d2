"""Signatures of remote access, tunnels and proxies (``signatures_access``): PPTP, L2TP, the
PROXY protocol, Zabbix, X11, Cisco Skinny (SCCP), TeamViewer, IRC, RTMP.

Synthetic messages are built field by field from the specs the classes cite; each negative
breaks one checked fact. Real captures: the flows nDPI labels with each service, the other
projects' captures named after it, a negative corpus (flows nDPI labels with another
protocol) and the registry with and without these classes (nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st
from wl_dissect_builders import OTHER_FIRST_PAYLOADS

from wirelens.dissect import registry
from wirelens.dissect.base import BY_CONTENT, Dissector
from wirelens.dissect.signatures import SIGNATURE_DISSECTORS
from wirelens.dissect.signatures_access import (
    ACCESS_SIGNATURES,
    IrcDissector,
    L2tpDissector,
    PptpDissector,
    ProxyProtocolDissector,
    RtmpDissector,
    SccpDissector,
    TeamViewerDissector,
    X11Dissector,
    ZabbixDissector,
)
from wirelens.dissect.signatures_base import MAX_SCAN

TCP, UDP = 6, 17

# --- builders (facts from the specs cited in the classes) ----------------------------------


def pptp(kind: int, body: bytes, length: int | None = None, ptype: int = 1,
         cookie: int = 0x1A2B3C4D, reserved: int = 0) -> bytes:
    """RFC 2637 §2: Length, PPTP Message Type, Magic Cookie, Control Message Type,
    Reserved0, then the message's fields."""
    size = 12 + len(body) if length is None else length
    return struct.pack(">HHIHH", size, ptype, cookie, kind, reserved) + body


def name64(text: bytes) -> bytes:
    return text + bytes(64 - len(text))


def sccrq(version: int = 0x0100, reserved: int = 0, framing: int = 3, bearer: int = 3) -> bytes:
    """§2.1 Start-Control-Connection-Request."""
    return pptp(1, struct.pack(">HHIIHH", version, reserved, framing, bearer, 1, 0x0100)
                + name64(b"local") + name64(b"cananian"))


def sccrp(version: int = 0x0100) -> bytes:
    """§2.2 Start-Control-Connection-Reply (result 1: OK)."""
    return pptp(2, struct.pack(">HBBIIHH", version, 1, 0, 2, 3, 0, 0x0A28)
                + name64(b"server") + name64(b"Microsoft"))


ECHO_REQUEST = pptp(5, struct.pack(">I", 7))
ECHO_REPLY = pptp(6, struct.pack(">IBBH", 7, 1, 0, 0))
CALL_CLEAR = pptp(12, struct.pack(">HH", 1, 0))


def avp(attr: int, value: bytes, mandatory: bool = True, flags: int = 0) -> bytes:
    """RFC 2661 §4.1: M, H, reserved, Length (10 bits), Vendor ID, Attribute Type, value."""
    return struct.pack(">HHH", (0x8000 if mandatory else 0) | flags | (6 + len(value)), 0,
                       attr) + value


def l2tp2(kind: int, avps: bytes = b"", tunnel: int = 0, session: int = 0, ns: int = 0,
          nr: int = 0, flags: int = 0xC8, length_delta: int = 0) -> bytes:
    """RFC 2661 §3.1 control header (T, L, S) + Message Type AVP + AVPs."""
    body = avp(0, struct.pack(">H", kind)) + avps
    return struct.pack(">BBHHHHH", flags, 2, 12 + len(body) + length_delta, tunnel, session,
                       ns, nr) + body


def l2tp3(kind: int, avps: bytes = b"", ccid: int = 0, ns: int = 0, nr: int = 0) -> bytes:
    """RFC 3931 §4.1.2.1 control header over UDP (Control Connection ID, Ns, Nr)."""
    body = avp(0, struct.pack(">H", kind)) + avps
    return struct.pack(">BBHIHH", 0xC8, 3, 12 + len(body), ccid, ns, nr) + body


SCCRQ_AVPS = (avp(2, b"\x01\x00") + avp(3, struct.pack(">I", 3)) + avp(7, b"lac.example")
              + avp(9, struct.pack(">H", 41)) + avp(8, b"xl2tpd", mandatory=False))
L2TP_SCCRQ = l2tp2(1, SCCRQ_AVPS)

PROXY_V2_SIG = b"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"


def proxy_v2(cmd: int = 0x21, fam: int = 0x11, addrs: bytes | None = None,
             tlvs: bytes = b"", extra: int = 0) -> bytes:
    """HAProxy proxy-protocol.txt §2.2: signature, version/command, family/transport,
    length, address block, TLVs."""
    if addrs is None:
        addrs = {0x11: bytes((192, 0, 2, 1, 198, 51, 100, 2)) + struct.pack(">HH", 5678, 443),
                 0x21: bytes(15) + b"\x01" + bytes(15) + b"\x02" + struct.pack(">HH", 1, 2),
                 0x00: b""}[fam]
    body = addrs + tlvs
    return PROXY_V2_SIG + bytes((cmd, fam)) + struct.pack(">H", len(body) + extra) + body


PROXY_TLVS = b"\x01\x00\x02h2" + b"\x04\x00\x00"  # ALPN, NOOP
CLIENT_HELLO_START = b"\x16\x03\x01\x00\xfd\x01\x00\x00\xf9\x03\x03"


def zbx(data: bytes, flags: int = 1, reserved: int | None = None,
        size_delta: int = 0) -> bytes:
    """Zabbix "Header": ZBXD, flags, data length, reserved (4 or 8 bytes each, LE)."""
    if flags & 2:
        packed = zlib.compress(data)
        res = len(data) if reserved is None else reserved
    else:
        packed, res = data, 0 if reserved is None else reserved
    fmt = "<QQ" if flags & 4 else "<II"
    return b"ZBXD" + bytes((flags,)) + struct.pack(fmt, len(packed) + size_delta, res) + packed


ZBX_REQUEST = b'{"request":"active checks","host":"web-01","version":"6.4"}'


def x11_setup(order: bytes = b"l", name: bytes = b"MIT-MAGIC-COOKIE-1", data: bytes = bytes(
        range(16)), major: int = 11, minor: int = 0, unused: int = 0) -> bytes:
    """X11 "Connection Setup": byte order, unused, major, minor, name and data lengths,
    unused, name (padded to 4), data (padded to 4)."""
    o = "<" if order == b"l" else ">"
    head = order + bytes((unused,)) + struct.pack(o + "HHHHH", major, minor, len(name),
                                                  len(data), 0)
    return head + name + bytes(-len(name) % 4) + data + bytes(-len(data) % 4)


def x11_success(order: str = "<", units: int = 10) -> bytes:
    """The Success reply's first 8 bytes, then ``units`` * 4 bytes of additional data."""
    return b"\x01\x00" + struct.pack(order + "HHH", 11, 0, units) + bytes(4 * units)


def sccp(kind: int, body: bytes = b"", version: int = 0, size_delta: int = 0) -> bytes:
    """Skinny message: data length (from the message id), header version, message id,
    body (LE u32 fields)."""
    return struct.pack("<III", 4 + len(body) + size_delta, version, kind) + body


SCCP_REGISTER = sccp(1, b"SEP001122334455\x00" + struct.pack("<IIIII", 0, 1, 0x0A00000A, 7, 5))
SCCP_REGISTER_ACK = sccp(0x81, struct.pack("<I", 30) + b"M/D/YA\x00\x00" + struct.pack("<I", 60))
SCCP_IP_PORT = sccp(2, struct.pack("<I", 20000))
SCCP_KEEPALIVE = sccp(0)
SCCP_CAPS_REQ = sccp(0x9B)


def tv1(cmd: int, data: bytes) -> bytes:
    """TeamViewer 0x17 0x24 header: magic, command, a LE length of what follows byte 5."""
    return b"\x17\x24" + bytes((cmd,)) + struct.pack("<I", len(data) + 2) + data


def tv2(cmd: int, data: bytes, second: int | None = None) -> bytes:
    """TeamViewer 0x11 0x30 header (24 bytes): magic, command, 0, length, 12 bytes, length."""
    size = len(data) if second is None else second
    return (b"\x11\x30" + bytes((cmd, 0)) + struct.pack("<I", len(data)) + bytes(12)
            + struct.pack("<I", size) + data)


def rtmp(c0: int = 3, field: bytes = bytes(4), size: int = 1537) -> bytes:
    """RTMP §5.2.2-§5.2.3: C0 (version), C1 (time, zero / version field, random bytes)."""
    body = struct.pack(">I", 12345) + field + (bytes(range(256)) * 13)[:1528]
    out = bytes((c0,)) + body
    while len(out) < size:  # S2 echoes S1 / C1
        out += body
    return out[:size]


IRC_CLIENT = b"CAP LS 302\r\nNICK alice\r\nUSER alice 0 * :Alice Liddell\r\n"
IRC_SERVER = b":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"

Case = tuple[type[Dissector], int, bytes]

# (class, transport, payload): each is identified as its class by the registry
POSITIVES: list[Case] = [
    (PptpDissector, TCP, sccrq()),
    (PptpDissector, TCP, sccrp()),
    (PptpDissector, TCP, sccrq(framing=0, bearer=0)),
    (PptpDissector, TCP, ECHO_REQUEST),
    (PptpDissector, TCP, ECHO_REPLY),
    (PptpDissector, TCP, ECHO_REQUEST + CALL_CLEAR),
    (L2tpDissector, UDP, L2TP_SCCRQ),
    (L2tpDissector, UDP, l2tp2(2, SCCRQ_AVPS, tunnel=41, nr=1)),
    (L2tpDissector, UDP, l2tp2(6, tunnel=41, ns=3, nr=2)),
    (L2tpDissector, UDP, l2tp2(14, avp(1, b"\x00\x01") + avp(14, b"\x00\x05"), tunnel=7, session=5, ns=4)),
    (L2tpDissector, UDP, l2tp3(1, avp(2, b"\x01\x00") + avp(7, b"lcce"))),
    (L2tpDissector, UDP, l2tp3(20, ccid=0x11223344, ns=2, nr=3)),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n" + CLIENT_HELLO_START),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 11.111.11.111 222.222.222.22 52176 443\r\n"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP6 2001:db8::1 2001:db8::2 0 65535\r\nGET / HTTP/1.1\r\n\r\n"),
    (ProxyProtocolDissector, TCP, b"PROXY UNKNOWN\r\n"),
    (ProxyProtocolDissector, TCP, b"PROXY UNKNOWN ffff:f...f:ffff 1 2\r\n"),
    (ProxyProtocolDissector, TCP, proxy_v2()),
    (ProxyProtocolDissector, TCP, proxy_v2(tlvs=PROXY_TLVS) + CLIENT_HELLO_START),
    (ProxyProtocolDissector, TCP, proxy_v2(fam=0x21)),
    (ProxyProtocolDissector, TCP, proxy_v2(0x20, 0x00)),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST)),
    (ZabbixDissector, TCP, zbx(b"agent.ping")),
    (ZabbixDissector, TCP, zbx(b"1")),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST * 3, flags=3)),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=5)),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=7)),
    (X11Dissector, TCP, x11_setup()),
    (X11Dissector, TCP, x11_setup(b"B")),
    (X11Dissector, TCP, x11_setup(name=b"", data=b"")),
    (X11Dissector, TCP, x11_setup(b"B", b"XDM-AUTHORIZATION-1", bytes(24))),
    (X11Dissector, TCP, x11_success()),
    (X11Dissector, TCP, x11_success(">", 200)),
    (SccpDissector, TCP, SCCP_REGISTER),
    (SccpDissector, TCP, sccp(1, SCCP_REGISTER[12:] + bytes(20), version=0x12)),
    (SccpDissector, TCP, SCCP_REGISTER + SCCP_IP_PORT),
    (SccpDissector, TCP, SCCP_REGISTER_ACK + SCCP_CAPS_REQ),
    (SccpDissector, TCP, SCCP_IP_PORT),
    (SccpDissector, TCP, SCCP_KEEPALIVE),
    (SccpDissector, TCP, sccp(0x100, version=0x16)),
    (TeamViewerDissector, TCP, tv1(0x0A, bytes(32))),
    (TeamViewerDissector, TCP, tv1(0x0A, b"")),
    (TeamViewerDissector, TCP, tv2(0x36, bytes(range(24)))),
    (IrcDissector, TCP, IRC_CLIENT),
    (IrcDissector, TCP, b"CAP LS\r\nPASS test\r\nNICK tim\r\nUSER tim tim 127.0.0.1 :Tim\r\n"),
    (IrcDissector, TCP, b"NICK bot[42]\nUSER x 8 * :x\n"),
    (IrcDissector, TCP, b"NICK alice\r\n"),
    (IrcDissector, TCP, b"USER brotest * * :brotest\r\n"),
    (IrcDissector, TCP, IRC_SERVER),
    (IrcDissector, TCP, b":irc.example.net NOTICE AUTH :*** Found your hostname\r\n"),
    (IrcDissector, TCP, b":irc.example.net 001 alice :Welcome to the network alice\r\n"
                        b":irc.example.net 002 alice :Your host is irc.example.net\r\n"),
    (IrcDissector, TCP, b":irc.joulunet.org 670  :STARTTLS successful\r\n"),
    (IrcDissector, TCP, b"NICK loadbot\r\nUSER loadbot 0 * :load bot\r\n"
                        + b"PRIVMSG victim :\x01DCC SEND f.bin 3221226014 20000 1\x01\r\n" * 20),
    (RtmpDissector, TCP, rtmp()),
    (RtmpDissector, TCP, rtmp(6)),
    (RtmpDissector, TCP, rtmp(field=b"\x80\x00\x07\x02")),
    (RtmpDissector, TCP, rtmp(field=b"\x04\x05\x00\x01", size=3073)),
    (RtmpDissector, TCP, rtmp(size=1460)),
    (RtmpDissector, TCP, rtmp(size=1448)),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (PptpDissector, TCP, pptp(1, sccrq()[12:], ptype=2), "PPTP message type 2"),
    (PptpDissector, TCP, pptp(1, sccrq()[12:], cookie=0x1A2B3C4E), "magic cookie"),
    (PptpDissector, TCP, pptp(1, sccrq()[12:], reserved=1), "reserved0"),
    (PptpDissector, TCP, pptp(16, sccrq()[12:]), "control message type 16"),
    (PptpDissector, TCP, pptp(0, ECHO_REQUEST[12:]), "control message type 0"),
    (PptpDissector, TCP, pptp(5, b"\x00" * 8), "echo request of 20 bytes"),
    (PptpDissector, TCP, sccrq(version=0x0200), "protocol version 2.0"),
    (PptpDissector, TCP, sccrp(version=0x0101), "reply protocol version"),
    (PptpDissector, TCP, sccrq(reserved=1), "reserved1"),
    (PptpDissector, TCP, sccrq(framing=4), "framing bit 4"),
    (PptpDissector, TCP, sccrq(bearer=0x100), "bearer bit 8"),
    (PptpDissector, TCP, sccrq()[:28] + b"lo\x01al" + sccrq()[33:], "unprintable host name"),
    (PptpDissector, TCP, sccrp()[:92] + b"\xffMicrosoft" + sccrp()[102:], "unprintable vendor"),
    (PptpDissector, TCP, sccrq() + b"\x00", "a byte after the message"),
    (PptpDissector, TCP, ECHO_REQUEST + CALL_CLEAR[:-1], "second message cut"),
    (PptpDissector, TCP, ECHO_REQUEST * 9, "nine messages"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, flags=0x48), "T bit clear (data)"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, flags=0x88), "L bit clear"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, flags=0xC0), "S bit clear"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, flags=0xCA), "O bit set"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, flags=0xE8), "reserved flag bit"),
    (L2tpDissector, UDP, L2TP_SCCRQ[:1] + b"\x01" + L2TP_SCCRQ[2:], "version 1 (L2F)"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, length_delta=1), "length != datagram"),
    (L2tpDissector, UDP, L2TP_SCCRQ + b"\x00", "a byte after the AVPs"),
    (L2tpDissector, UDP, l2tp2(5, tunnel=1), "message type 5 (reserved)"),
    (L2tpDissector, UDP, l2tp2(20, tunnel=1), "ACK in L2TPv2"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, tunnel=41), "SCCRQ with a tunnel id"),
    (L2tpDissector, UDP, l2tp2(1, SCCRQ_AVPS, ns=1), "SCCRQ with Ns 1"),
    (L2tpDissector, UDP, l2tp2(6), "HELLO without a tunnel"),
    (L2tpDissector, UDP, l2tp3(6), "v3 HELLO without a control connection"),
    (L2tpDissector, UDP, L2TP_SCCRQ[:12] + b"\x00" + L2TP_SCCRQ[13:], "message type AVP without M"),
    (L2tpDissector, UDP, L2TP_SCCRQ[:12] + b"\xc0" + L2TP_SCCRQ[13:], "message type AVP hidden"),
    (L2tpDissector, UDP, L2TP_SCCRQ[:17] + b"\x02" + L2TP_SCCRQ[18:], "first AVP attribute 2"),
    (L2tpDissector, UDP, l2tp2(1, avp(2, b"\x01\x00", flags=0x0400)), "AVP reserved bit"),
    (L2tpDissector, UDP, l2tp2(1, b"\x80\x04\x00\x00"), "AVP length 4"),
    (L2tpDissector, UDP, l2tp2(1, avp(2, b"\x01\x00")[:-1]), "AVP beyond the datagram"),
    (L2tpDissector, UDP, struct.pack(">BBHHHHH", 0xC8, 2, 12, 1, 0, 1, 1), "ZLB"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n", "LF only"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP5 192.0.2.1 198.51.100.2 56324 443\r\n", "family TCP5"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 2001:db8::1 198.51.100.2 56324 443\r\n", "IPv6 in TCP4"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n", "IPv4 in TCP6"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 192.0.2.256 198.51.100.2 56324 443\r\n", "octet 256"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n", "port 65536"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 192.0.2.1 198.51.100.2 0443 443\r\n", "leading zero"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 192.0.2.1  198.51.100.2 56324 443\r\n", "two spaces"),
    (ProxyProtocolDissector, TCP, b"PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n", "one port"),
    (ProxyProtocolDissector, TCP, b"PROXY UNKNOWNX\r\n", "UNKNOWNX"),
    (ProxyProtocolDissector, TCP, b"PROXY UNKNOWN \x01\x02\r\n", "UNKNOWN with control bytes"),
    (ProxyProtocolDissector, TCP, b"PROXY UNKNOWN " + b"x" * 100 + b"\r\n", "line over 107 bytes"),
    (ProxyProtocolDissector, TCP, b"proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n", "lower case"),
    (ProxyProtocolDissector, TCP, proxy_v2(0x11), "v2 version 1"),
    (ProxyProtocolDissector, TCP, proxy_v2(0x22), "v2 command 2"),
    (ProxyProtocolDissector, TCP, proxy_v2(fam=0x13, addrs=bytes(12)), "transport 3"),
    (ProxyProtocolDissector, TCP, proxy_v2(fam=0x41, addrs=bytes(12)), "family 4"),
    (ProxyProtocolDissector, TCP, proxy_v2(fam=0x21, addrs=bytes(12)), "TCP6 with a 12-byte block"),
    (ProxyProtocolDissector, TCP, proxy_v2(0x21, 0x00), "PROXY command with UNSPEC"),
    (ProxyProtocolDissector, TCP, proxy_v2(extra=4), "header beyond the segment"),
    (ProxyProtocolDissector, TCP, proxy_v2(tlvs=b"\x01\x00\x05h2"), "TLV beyond the header"),
    (ProxyProtocolDissector, TCP, b"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0b" + proxy_v2()[12:], "signature"),
    (ZabbixDissector, TCP, b"ZBXE" + zbx(ZBX_REQUEST)[4:], "magic ZBXE"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=0), "flags 0"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=9), "flags 9"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=2), "compressed without protocol bit"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, size_delta=1), "data length + 1"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, size_delta=-1), "data length - 1"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, reserved=5), "reserved without compression"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=3, reserved=0), "compressed, no length"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=3)[:13] + b"\x79" + zbx(ZBX_REQUEST, flags=3)[14:], "not zlib"),
    (ZabbixDissector, TCP, zbx(b""), "empty data"),
    (ZabbixDissector, TCP, zbx(ZBX_REQUEST, flags=5)[:9] + b"\x01" + zbx(ZBX_REQUEST, flags=5)[10:], "large length over 4 GiB"),
    (X11Dissector, TCP, x11_setup(b"b"), "byte order b"),
    (X11Dissector, TCP, x11_setup(unused=1), "unused byte 1"),
    (X11Dissector, TCP, x11_setup(major=10), "major 10"),
    (X11Dissector, TCP, x11_setup(minor=1), "minor 1"),
    (X11Dissector, TCP, x11_setup(b"B")[:1] + x11_setup(b"l")[1:], "lengths in the other order"),
    (X11Dissector, TCP, x11_setup() + bytes(4), "padding beyond the data"),
    (X11Dissector, TCP, x11_setup()[:-4], "data cut"),
    (X11Dissector, TCP, x11_setup(name=b"MIT MAGIC"), "space in the name"),
    (X11Dissector, TCP, x11_setup(name=b"N" * 68), "name of 68 bytes"),
    (X11Dissector, TCP, x11_setup()[:10] + b"\x01\x00" + x11_setup()[12:], "unused bytes"),
    (X11Dissector, TCP, x11_success()[:-4], "success reply cut"),
    (X11Dissector, TCP, x11_success(units=7), "success reply of 7 units"),
    (X11Dissector, TCP, b"\x01\x00" + struct.pack("<HHH", 12, 0, 10) + bytes(40), "success major 12"),
    (SccpDissector, TCP, sccp(1, SCCP_REGISTER[12:], version=0x13), "header version 0x13"),
    (SccpDissector, TCP, sccp(1, SCCP_REGISTER[12:], size_delta=1), "length + 1"),
    (SccpDissector, TCP, SCCP_REGISTER[:-1], "register cut"),
    (SccpDissector, TCP, sccp(3, SCCP_REGISTER[12:]), "first message KeypadButton"),
    (SccpDissector, TCP, sccp(1, SCCP_REGISTER[12:32]), "register of 24 bytes"),
    (SccpDissector, TCP, sccp(1, b"SEP0011\x01" + SCCP_REGISTER[20:]), "device name unprintable"),
    (SccpDissector, TCP, sccp(1, b"SEP001122334455X" + SCCP_REGISTER[28:]), "device name not terminated"),
    (SccpDissector, TCP, sccp(1, bytes(16) + SCCP_REGISTER[28:]), "empty device name"),
    (SccpDissector, TCP, sccp(2, struct.pack("<I", 0)), "port 0"),
    (SccpDissector, TCP, sccp(2, struct.pack("<I", 70000)), "port 70000"),
    (SccpDissector, TCP, sccp(0x81, bytes(16)), "keepalive interval 0"),
    (SccpDissector, TCP, sccp(0, b"\x00"), "keepalive with a body"),
    (SccpDissector, TCP, SCCP_REGISTER + sccp(0x300), "second message id 0x300"),
    (SccpDissector, TCP, SCCP_REGISTER + sccp(2, version=0x13), "second header version"),
    (SccpDissector, TCP, SCCP_REGISTER + SCCP_IP_PORT[:-1], "second message cut"),
    (TeamViewerDissector, TCP, b"\x17\x25" + tv1(0x0A, bytes(32))[2:], "magic 0x1725"),
    (TeamViewerDissector, TCP, tv1(0x0A, bytes(32)) + b"\x00", "length - 1"),
    (TeamViewerDissector, TCP, tv1(0x0A, bytes(32))[:-1], "length + 1"),
    (TeamViewerDissector, TCP, tv2(0x36, bytes(24), second=23), "second length"),
    (TeamViewerDissector, TCP, tv2(0x36, bytes(24))[:3] + b"\x01" + tv2(0x36, bytes(24))[4:], "byte 3"),
    (TeamViewerDissector, TCP, tv2(0x36, bytes(24)) + b"\x00", "v2 length"),
    (IrcDissector, TCP, b"NICK alice", "no line end"),
    (IrcDissector, TCP, b"NICK alice\r\nUSER alice 0 * :Alice", "last line cut"),
    (IrcDissector, TCP, b"NICK alice\r\nUSER alice 0 * :Alice\n", "mixed line ends"),
    (IrcDissector, TCP, b"nick alice\r\n", "lower-case command"),
    (IrcDissector, TCP, b"NICK 9alice\r\n", "nick starting with a digit"),
    (IrcDissector, TCP, b"NICK alice bob\r\n", "two nicks"),
    (IrcDissector, TCP, b"NICK\r\n", "NICK without a nick"),
    (IrcDissector, TCP, b"PASS secret\r\n", "PASS alone"),
    (IrcDissector, TCP, b"USER alice 0 *\r\n", "USER with 3 parameters"),
    (IrcDissector, TCP, b"USER brotest * * * * * \r\n", "USER with 6 parameters"),
    (IrcDissector, TCP, b"USER alice@host 0 * :A\r\n", "@ in the user name"),
    (IrcDissector, TCP, b"CAP REQ :sasl\r\n", "CAP REQ first"),
    (IrcDissector, TCP, b"CAP LS x\r\n", "CAP LS version not a number"),
    (IrcDissector, TCP, b"PRIVMSG bob :hi\r\n", "PRIVMSG first"),
    (IrcDissector, TCP, b"NICK alice\r\nUSER alice 0 * :A\x00\r\n", "NUL in the trailing"),
    (IrcDissector, TCP, b"NICK alice\r\nus3r x\r\n", "a second line that is not a message"),
    (IrcDissector, TCP, b"NICK alice\r\nUSER al\x01ce 0 * :A\r\n", "control byte in a middle"),
    (IrcDissector, TCP, b":irc.example.net NOTICE * no text\r\n", "NOTICE without a trailing"),
    (IrcDissector, TCP, b":nick!user@host PRIVMSG alice :hi\r\n", "a user prefix"),
    (IrcDissector, TCP, b":irc.example.net 01 alice :Welcome\r\n", "2-digit numeric"),
    (IrcDissector, TCP, b":irc.example.net 001 alice Welcome\r\n", "numeric without a text"),
    (IrcDissector, TCP, b": NOTICE * :x\r\n", "empty prefix"),
    (IrcDissector, TCP, b"353 \n", "a numeric without prefix"),
    (IrcDissector, TCP, b"STARTTLS\r\n", "STARTTLS first"),
    (RtmpDissector, TCP, rtmp(4), "version 4"),
    (RtmpDissector, TCP, b"\x03", "C0 alone"),
    (RtmpDissector, TCP, rtmp(size=1538), "C0 + C1 + 1 byte"),
    (RtmpDissector, TCP, rtmp(field=b"\x80\x00\x07\x02", size=1460), "digest prefix"),
    (RtmpDissector, TCP, rtmp(size=1000), "prefix under 1024 bytes"),
    (RtmpDissector, TCP, b"\x03\x00\x06\x01" + rtmp()[4:], "a TPKT header"),
]  # fmt: skip


def _allowed(cls: type[Dissector], payload: bytes) -> tuple[bool, set[int]]:
    """(whether the test ties lengths to the payload's: junk appended is refused, the
    prefix lengths still accepted: message boundaries, or handshake prefixes)."""
    n = len(payload)
    if cls is PptpDissector:
        return True, {struct.unpack(">H", payload[:2])[0]} - {n}
    if cls is SccpDissector:
        first = 8 + struct.unpack("<I", payload[:4])[0]
        return True, {first} - {n}
    if cls is ProxyProtocolDissector:
        end = payload.find(b"\r\n") + 2 if payload[:1] == b"P" else 16 + struct.unpack(
            ">H", payload[14:16])[0]
        return False, set(range(end, n))
    if cls is IrcDissector:
        return False, {i + 1 for i in range(n) if payload[i] == 0x0A} | set(
            range(MAX_SCAN + 1, n))  # lines past MAX_SCAN are not read
    if cls is RtmpDissector:
        zero = payload[5:9] == bytes(4)
        return n in (1537, 3073), set(range(1024, min(n, 1537))) if zero else {1537} - {n}
    return True, set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: Case) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    cls, proto, payload = case
    port = min(cls.ports, default=443)  # PROXY protocol: no port of its own
    sf.check_identified_on_any_ports(
        cls, proto, payload, ACCESS_SIGNATURES, among=SIGNATURE_DISSECTORS,
        port_cases=[(True, 51000, port), (True, 51000, 40123), (True, 40123, 51001)])


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(case: Case) -> None:
    """Every prefix gives a bool; only message boundaries (or handshake prefixes) are still
    accepted; exact-length tests refuse appended junk."""
    cls, proto, payload = case
    sf.check_truncations(cls, proto, payload, *_allowed(cls, payload))


@sf.positives(POSITIVES)
def test_feed_whole_bytewise_and_with_junk(case: Case) -> None:
    """Identification only: no events whatever the split, no name."""
    cls, proto, payload = case
    # IRC watches the server for a STARTTLS go-ahead after identifying the flow; PROXY hands
    # on what follows its header, if anything does (test_proxy_protocol_hands_...)
    done = None if cls is ProxyProtocolDissector else cls is not IrcDissector
    sf.check_feed_identification_only(cls, proto, payload, done=done)


def test_irc_starttls_hands_over_to_tls() -> None:
    """IRCv3 tls: after the server's 670 reply the flow is TLS's; other lines do nothing."""
    d = IrcDissector(TCP)
    d.feed(b"CAP LS 302\r\nNICK bob\r\n", True, 0)
    d.feed(b":irc.example.net NOTICE * :*** Looking up your hostname\r\n", False, 0)
    d.feed(b"STARTTLS\r\n", True, 0)
    assert not d.done
    d.feed(b":irc.example.net 670 bob :STARTTLS successful, proceed with TLS handshake\r\n",
           False, 0)
    assert d.done and d.upgrade == "tls"


@sf.positives(POSITIVES)
def test_screens_and_first_bytes_admit_positives(case: Case) -> None:
    """Screens and first bytes never refuse what ``matches`` accepts: the positives, and
    every prefix and one-byte change of them that ``matches`` still accepts."""
    cls, proto, payload = case
    variants = [payload[:cut] for cut in range(len(payload) + 1)]
    variants += [payload[:i] + bytes((payload[i] ^ 0x01,)) + payload[i + 1 :]
                 for i in range(min(len(payload), 600))]
    first = cls.first_bytes_on(proto)
    for data in variants:
        if cls.matches(data, proto, True):
            assert sf.screens_admit(cls, data, proto), (cls.name, data.hex())
            assert first is None or data[0] in first


HTTP_GET = b"GET / HTTP/1.1\r\nHost: backend.example\r\n\r\n"


@pytest.mark.parametrize(("segments", "handed", "successor"), [
    ([b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n" + CLIENT_HELLO_START],
     (True, CLIENT_HELLO_START), "tls"),
    ([(b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 80\r\n", True), (HTTP_GET, True)],
     (True, HTTP_GET), "http"),
    ([proxy_v2(tlvs=PROXY_TLVS) + HTTP_GET], (True, HTTP_GET), "http"),
    ([proxy_v2(tlvs=PROXY_TLVS)[:10], proxy_v2(tlvs=PROXY_TLVS)[10:20],  # the header in pieces
      proxy_v2(tlvs=PROXY_TLVS)[20:] + HTTP_GET], (True, HTTP_GET), "http"),
    ([b"PROX", b"Y UNKNOWN\r", b"\n" + CLIENT_HELLO_START], (True, CLIENT_HELLO_START), "tls"),
    ([(b"PROXY UNKNOWN\r\n", True), (b"SSH-2.0-OpenSSH_9.6\r\n", False)],
     (False, b"SSH-2.0-OpenSSH_9.6\r\n"), "ssh"),  # a server that speaks first
    ([b"PROXY TCP4 192.0.2.1 198.51.100.2 1 2\r\n\x00\x01random"], (True, b"\x00\x01random"),
     None),
])
def test_proxy_protocol_hands_the_proxied_bytes_over(segments, handed, successor) -> None:
    """After the header, the first bytes either side sends are the proxied protocol's: handed
    on to the dissector whose content test takes them (haproxy.pcap: the tls table logs the
    ClientHello after a v1 header, its SNI the flow's server_name)."""
    from wirelens.pipeline.dpi import DpiStage

    d = ProxyProtocolDissector(TCP)
    for seg in segments:
        data, side = seg if isinstance(seg, tuple) else (seg, True)
        assert not d.done
        assert d.feed(data, side, 0) == []
    assert d.done and (d.upgrade, d.upgrade_data) == (BY_CONTENT, (handed,))
    found = DpiStage._successor(d, TCP)
    assert (found.name if found else None) == successor


def test_module_facts() -> None:
    names = [c.name for c in ACCESS_SIGNATURES]
    assert names == ["pptp", "l2tp", "proxy_protocol", "zabbix", "x11", "sccp", "teamviewer",
                     "irc", "rtmp"]
    assert all(c in SIGNATURE_DISSECTORS and c in registry.DISSECTORS for c in ACCESS_SIGNATURES)
    for cls in ACCESS_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.first_bytes is not None
        assert bool(cls.ports) is (cls is not ProxyProtocolDissector)  # no port of its own
        assert cls.__doc__ and "matches" in cls.__doc__ and cls.name_source is None
        assert all(proto in cls.transports for proto in cls.screens)
    assert {c.name for c in ACCESS_SIGNATURES if UDP in c.transports} == {"l2tp"}
    assert "socks" not in names


@pytest.mark.parametrize("payload", OTHER_FIRST_PAYLOADS)
def test_other_protocols_refused(payload: bytes) -> None:
    sf.check_other_first_payloads(ACCESS_SIGNATURES, [payload])


def test_matches_is_cheap() -> None:
    """Random 100-byte payloads: a few microseconds per call at most (measured ~0.1-0.2)."""
    payloads = [os.urandom(100) for _ in range(2000)]
    for cls in ACCESS_SIGNATURES:
        assert sf.matches_cost(cls, payloads, TCP) < 20e-6, cls.name


@pytest.mark.parametrize("cls", ACCESS_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    sf.check_refuses_random(cls, payload, proto, from_orig, others=False)


@sf.FUZZ
@given(st.sampled_from(ACCESS_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(ACCESS_SIGNATURES, proto, payload, edits)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS = sf.DATA, sf.CFGS
TRACES = DATA / "zeek" / "testing" / "btest" / "Traces"
TD = DATA / "tcpdump" / "tests"
needs_data = sf.needs_data

NDPI_LABELS = {
    "pptp": {"PPTP"}, "l2tp": {"L2TP"}, "proxy_protocol": {"HAProxy"}, "zabbix": {"Zabbix"},
    "x11": {"X11"}, "sccp": {"CiscoSkinny"}, "teamviewer": {"TeamViewer"}, "irc": {"IRC"},
    "rtmp": {"RTMP"},
}  # fmt: skip
"""nDPI's master-protocol labels per service."""


# (hits, total) on the flows nDPI labels with the service. The nDPI captures hold one flow
# each of PPTP (pptp.pcap), HAProxy (haproxy.pcap: a v1 line before a TLS ClientHello),
# CiscoSkinny (sccp_hw_conf_register.pcapng: Register / RegisterAck) and TeamViewer
# (ossfuzz_seed_fake_traces_2.pcapng, the framing's only evidence); none of L2TP, IRC,
# RTMP, Zabbix or X11 (those are checked on synthetic messages, and IRC, PPTP and L2TP on
# the other projects' captures below).
NDPI_EXPECTED = {
    "pptp": (1, 1), "l2tp": (0, 0), "proxy_protocol": (1, 1), "zabbix": (0, 0), "x11": (0, 0),
    "sccp": (1, 1), "teamviewer": (1, 1), "irc": (0, 0), "rtmp": (0, 0),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(ACCESS_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


# Other projects' captures named after a service: (files, ports, hits, total).
OTHER: dict[str, tuple[list[Path], set[int], int, int]] = {
    # tcpdump's pptp.pcap (SCCRQ / SCCRP); zeek's gre-pptp.pcap holds only the GRE tunnel
    "pptp": ([TD / "pptp.pcap", TRACES / "tunnels/gre-pptp.pcap"], {1723}, 1, 1),
    # the miss: irc-353.pcap, a crash reproducer whose only payload is "353 \n" (a bare
    # numeric, no prefix); irc-whitespace.pcap's client line "USER brotest * * * * * " has
    # six parameters, but the server's NOTICE names the flow; irc-starttls.pcap's client
    # sends STARTTLS first, the server's 670 numeric names it
    "irc": ([*sorted(TRACES.glob("irc*.pcap*")), TRACES / "tls/irc-starttls.pcap"], {6666, 6667}, 6, 7),
    # l2tp-avp-overflow.pcap: a crash reproducer, flags 0xF0 (reserved bits set), 16 bytes
    "l2tp": ([TD / "l2tp-avp-overflow.pcap"], {1701}, 0, 3),
}  # fmt: skip


@needs_data
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_projects_captures(name: str) -> None:
    sf.check_other_captures(ACCESS_SIGNATURES, name, OTHER[name])


# Hits on flows nDPI labels with another protocol, (signature, nDPI label) -> count: none.
EXPLAINED: dict[tuple[str, str], int] = {}


@needs_data
def test_negative_corpus() -> None:
    """Every flow of every capture: a hit is either a flow labelled with the service, a flow
    without nDPI label (other projects' captures), or an explained exception."""
    hits, unlabelled = sf.corpus_hits(ACCESS_SIGNATURES, NDPI_LABELS,
                                      unlabelled=(None, "Unknown"))
    assert hits == EXPLAINED
    # unlabelled hits: the zeek IRC captures and tcpdump's pptp.pcap listed in OTHER
    assert dict(unlabelled) == UNLABELLED


UNLABELLED = {"irc": 6, "pptp": 1}


@needs_data
def test_registry_steals_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry with and without these classes: every first payload identified before
    keeps its dissector; the new identifications are all of these services."""
    changed, new = sf.registry_changes(monkeypatch, ACCESS_SIGNATURES)
    assert dict(changed) == {}
    assert dict(new) == NEW_SIDES


NEW_SIDES: dict[str, int] = {"irc": 9, "pptp": 4, "sccp": 2, "teamviewer": 2,
                             "proxy_protocol": 1}
"""First payloads (per side) the registry names only with these classes, per service."""
