"""Content signatures of enterprise and application services: the Git protocol, RTSP, XMPP
and SOCKS here, and the binary, length-framed ones of :mod:`wirelens.dissect.signatures_framed`
(BGP, ONC RPC, MS SQL TDS, AMQP, Memcached); :data:`APP_SIGNATURES` orders them all, with
DCE/RPC (:mod:`wirelens.dissect.dcerpc`, a full dissector whose content test ranks here).

Identification only (see :mod:`wirelens.dissect.signatures_base`). ``matches`` sees the
first payload of one direction (a TCP segment or a UDP datagram); each class's docstring
lists the spec facts it checks and what must be whole in that payload. RTSP, XMPP, Git and
SOCKS may name the flow (:attr:`~wirelens.dissect.base.Dissector.server_name`) from the
client's first bytes: the request URI's host, the stream's ``to``, the ``host=`` parameter,
the host a SOCKS request asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import BY_CONTENT, IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen
from wirelens.dissect.dcerpc import DceRpcDissector
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    TCP_ONLY,
    SignatureDissector,
    StartTlsWatch,
    be16,
    host_name,
    is_printable,
)
from wirelens.dissect.signatures_framed import (
    AmqpDissector,
    BgpDissector,
    MemcachedDissector,
    NfsDissector,
    SunRpcDissector,
    TdsDissector,
)

__all__ = [
    "APP_SIGNATURES",
    "AmqpDissector",
    "BgpDissector",
    "DceRpcDissector",
    "GitDissector",
    "MemcachedDissector",
    "NfsDissector",
    "RtspDissector",
    "SocksDissector",
    "SunRpcDissector",
    "TdsDissector",
    "XmppDissector",
]


class _NamingSignature(SignatureDissector):
    """A signature that reads a server name from the client's first bytes: the originator's
    bytes are kept (at most :data:`MAX_SCAN`) until :meth:`_name` can decide."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._orig = b""

    @classmethod
    def _name(cls, data: bytes, proto: int) -> tuple[bool, str | None]:
        """(decided, name) from the originator's first bytes: decided is False while more
        bytes could still make a name."""
        return True, None

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Keep the client's bytes until the name is decided, then ``done``."""
        if self.done or not from_orig:
            return []
        if self.proto == IPPROTO_UDP:
            self._orig = data[:MAX_SCAN]  # one datagram is one message
        else:
            self._orig = (self._orig + data)[:MAX_SCAN]
        decided, name = self._name(self._orig, self.proto)
        if name is not None:
            self.server_name = name
        if decided or name is not None or len(self._orig) >= MAX_SCAN or (
                self.proto == IPPROTO_UDP):
            self.done = True
            self._orig = b""
        return []


# --- Git protocol (git's gitprotocol-pack and gitprotocol-common: pkt-line) ----------------

_GIT_SERVICES = (b"git-upload-pack ", b"git-receive-pack ", b"git-upload-archive ")
_HEX = frozenset(b"0123456789abcdef")
_GIT_REFS = (b"HEAD", b"refs/", b"capabilities^{}")
"""What the first line of a ref advertisement names (gitprotocol-pack "Reference
Discovery"): HEAD, a ref, or the capabilities placeholder of an empty repository."""


def _pkt_length(p: bytes) -> int:
    """The pkt-line length (4 lower-case hex digits) at the start of ``p``, or -1."""
    if len(p) < 4 or not all(b in _HEX for b in p[:4]):
        return -1
    return int(p[:4], 16)


def _git_request(p: bytes) -> tuple[bool, str | None]:
    """(is a git-proto-request, host) for ``p``: one pkt-line as long as ``p``, a service
    name, a printable path ending with NUL, then NUL-terminated printable parameters
    (``host=`` first when there; protocol v2 adds an empty one then ``version=2``)."""
    if _pkt_length(p) != len(p) or not p.startswith(_GIT_SERVICES, 4):
        return False, None
    nul = p.find(b"\x00", 4)
    start = p.index(b" ", 4) + 1
    if nul <= start or not is_printable(p[start:nul]) or not p.endswith(b"\x00"):
        return False, None
    params = p[nul + 1 : -1].split(b"\x00") if nul + 1 < len(p) else []
    if not all(is_printable(x) for x in params):
        return False, None
    host = None
    if params and params[0].startswith(b"host="):
        raw = params[0][5:]
        if raw.startswith(b"[") and b"]" in raw:
            raw = raw[1 : raw.index(b"]")]
        elif raw.count(b":") == 1:
            raw = raw.split(b":")[0]
        host = host_name(raw)
    return True, host


class GitDissector(_NamingSignature):
    """The Git protocol, ``git://`` (TCP 9418).

    ``matches`` (pkt-line framing: 4 lower-case hex digits giving the line's length,
    including themselves; the length is below 4096 here): from the client, the
    git-proto-request (:func:`_git_request`: one pkt-line exactly as long as the segment,
    ``git-upload-pack``, ``git-receive-pack`` or ``git-upload-archive``, a path, NUL-
    terminated printable parameters); from the server, a ref advertisement's first line
    (an object id of 40 or 64 lower-case hex digits, a space, within the segment) or the
    protocol v2 ``version 2`` line. Names the flow from ``host=`` (name source
    ``git_host``).
    """

    name: ClassVar[str] = "git"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((9418,))
    name_source: ClassVar[str | None] = "git_host"
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"0")
    """``matches``: a pkt-line length below 0x1000."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(24, equals=((0, b"0"), (4, b"git-"))),  # a request
        Screen(14, equals=((0, b"000"), (4, b"version "))),  # protocol v2
        Screen(46, equals=((0, b"0"),), values=((44, frozenset(b" ")),)),  # sha-1 id
        Screen(70, equals=((0, b"0"),), values=((68, frozenset(b" ")),)),  # sha-256 id
    )}  # fmt: skip

    @classmethod
    def _name(cls, data: bytes, proto: int) -> tuple[bool, str | None]:
        size = _pkt_length(data)
        if len(data) < 4:
            return False, None
        if size < 0 or len(data) < size:
            return size < 0, None
        return True, _git_request(data[:size])[1]

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A request, a ref advertisement line or the v2 version line."""
        n = len(payload)
        if n < 14 or payload[0] != 0x30:
            return False
        size = _pkt_length(payload)
        if size < 14 or size > n:
            return False
        if payload[4:8] == b"git-":
            return _git_request(payload)[0]
        if payload[4:14] == b"version 2\n":
            return size == 14
        for width in (40, 64):
            if size >= width + 9 and payload[4 + width] == 0x20 and all(
                    b in _HEX for b in payload[4 : 4 + width]):
                ref = payload[5 + width : size].split(b"\x00")[0].rstrip(b"\n")
                return ref.startswith(_GIT_REFS) and is_printable(ref)
        return False


# --- RTSP (RFC 2326 §6.1, §7.1; RFC 7826 §8.1, §8.2) ---------------------------------------

_RTSP_METHODS = frozenset((
    b"OPTIONS", b"DESCRIBE", b"ANNOUNCE", b"SETUP", b"PLAY", b"PAUSE", b"TEARDOWN",
    b"GET_PARAMETER", b"SET_PARAMETER", b"REDIRECT", b"RECORD", b"PLAY_NOTIFY",
))  # fmt: skip
"""RFC 2326 §10 and RFC 7826 §13 methods."""
_RTSP_VERSIONS = (b" RTSP/1.0\r\n", b" RTSP/2.0\r\n")
_RTSP_SCHEMES = (b"rtsp://", b"rtsps://", b"rtspu://")


def _rtsp_uri(p: bytes) -> bytes | None:
    """The request URI of an RTSP request line at the start of ``p``, or None."""
    sp = p.find(b" ", 0, 14)
    if sp < 0 or p[:sp] not in _RTSP_METHODS:
        return None
    eol = p.find(b"\r\n", sp, MAX_SCAN)
    if eol < sp + 11 or not p.startswith(_RTSP_VERSIONS, eol - 9):
        return None
    uri = p[sp + 1 : eol - 9]
    if uri != b"*" and not (uri.startswith(_RTSP_SCHEMES) and is_printable(uri)):
        return None
    return None if b" " in uri or b"\t" in uri else uri


def _rtsp_host(uri: bytes) -> str | None:
    """The host of an rtsp:// URI (RFC 7826 §18.2: user info, port and brackets left out)."""
    if not uri.startswith(_RTSP_SCHEMES):
        return None
    rest = uri[uri.index(b"//") + 2 :]
    for sep in (b"/", b"?", b"#"):
        rest = rest.split(sep)[0]
    rest = rest.rsplit(b"@", 1)[-1]
    if rest.startswith(b"["):
        return host_name(rest[1 : rest.find(b"]")]) if b"]" in rest else None
    return host_name(rest.split(b":")[0])


class RtspDissector(_NamingSignature):
    """RTSP 1.0 / 2.0 (TCP 554, 8554).

    ``matches``: a request line (RFC 2326 §6.1, RFC 7826 §8.1): a method of
    :data:`_RTSP_METHODS`, one space, a request URI that is ``*`` or an absolute
    ``rtsp://``, ``rtsps://`` or ``rtspu://`` URI (printable, no white space), one space,
    ``RTSP/1.0`` or ``RTSP/2.0``, CRLF, within :data:`MAX_SCAN` bytes; or a status line
    (RFC 2326 §7.1): ``RTSP/1.0`` or ``RTSP/2.0``, a space, three digits 100-599, a space or
    CRLF. HTTP request and status lines carry ``HTTP/``: never taken. Names the flow from
    the request URI's host (name source ``rtsp_host``).
    """

    name: ClassVar[str] = "rtsp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((554, 8554))
    name_source: ClassVar[str | None] = "rtsp_host"
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(m[0] for m in _RTSP_METHODS)
    """``matches``: a method's first letter, or ``R`` of ``RTSP/``."""

    @classmethod
    def _name(cls, data: bytes, proto: int) -> tuple[bool, str | None]:
        if data.find(b"\r\n") < 0:
            return False, None
        uri = _rtsp_uri(data)
        return True, _rtsp_host(uri) if uri else None

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A request line or a status line."""
        if len(payload) < 14:
            return False
        if payload[:5] == b"RTSP/":
            return (payload[5:9] in (b"1.0 ", b"2.0 ") and payload[9:12].isdigit()
                    and b"100" <= payload[9:12] <= b"599" and payload[12:13] in (b" ", b"\r"))
        return _rtsp_uri(payload) is not None


# --- XMPP (RFC 6120 §4.2, §4.7, §4.8.1) -----------------------------------------------------

_XMPP_STREAMS_NS = b"http://etherx.jabber.org/streams"
_XMPP_CONTENT_NS = (b"'jabber:client'", b'"jabber:client"', b"'jabber:server'",
                    b'"jabber:server"')


def _xmpp_header(p: bytes) -> bytes | None:
    """The ``<stream:stream ...>`` tag at the start of ``p`` (after an optional XML
    declaration and white space), within :data:`MAX_SCAN` bytes, or None."""
    pos = 0
    if p.startswith(b"<?xml"):
        end = p.find(b"?>", 5, MAX_SCAN)
        if end < 0:
            return None
        pos = end + 2
    while pos < len(p) and p[pos] in b" \t\r\n":
        pos += 1
    if not p.startswith(b"<stream:stream", pos) or p[pos + 14 : pos + 15] not in (
            b" ", b"\t", b"\r", b"\n"):
        return None
    gt = p.find(b">", pos, MAX_SCAN)
    if gt < 0:
        return None
    tag = p[pos:gt]
    if b"xmlns:stream=" not in tag or _XMPP_STREAMS_NS not in tag:
        return None
    return tag if any(ns in tag for ns in _XMPP_CONTENT_NS) else None


def _xmpp_to(tag: bytes) -> str | None:
    """The ``to`` attribute's value of a stream header (RFC 6120 §4.7.2)."""
    for quote in (b"'", b'"'):
        for sep in (b" to=", b"\tto=", b"\nto=", b"\rto="):
            at = tag.find(sep + quote)
            if at >= 0:
                start = at + len(sep) + 1
                end = tag.find(quote, start)
                return host_name(tag[start:end]) if end > start else None
    return None


_XMPP_TLS_NS = b"urn:ietf:params:xml:ns:xmpp-tls"


class XmppDissector(StartTlsWatch, _NamingSignature):
    """XMPP, the Extensible Messaging and Presence Protocol (TCP 5222 clients, 5269 servers;
    5223, TLS from the first byte, is not recognisable).

    ``matches`` (RFC 6120 §4.2, §4.7, §4.8): the initial stream header, an optional XML
    declaration and white space, then a ``<stream:stream`` tag closed within
    :data:`MAX_SCAN` bytes that declares the streams namespace (``xmlns:stream=`` and
    ``http://etherx.jabber.org/streams``) and the content namespace ``jabber:client`` or
    ``jabber:server``. A client that sends its XML declaration alone first is recognised
    by the server's header. Names the flow from the client header's ``to`` (name source
    ``xmpp_to``); a stream that negotiates STARTTLS (the server's ``<proceed/>``) is handed
    to the TLS dissector (:class:`~wirelens.dissect.signatures_base.StartTlsWatch`).
    """

    name: ClassVar[str] = "xmpp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5222, 5269))
    name_source: ClassVar[str | None] = "xmpp_to"
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"<")
    """``matches``: the XML declaration or the stream tag."""

    @classmethod
    def _name(cls, data: bytes, proto: int) -> tuple[bool, str | None]:
        tag = _xmpp_header(data)
        if tag is None:
            return False, None
        return True, _xmpp_to(tag)

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The stream header with both namespaces."""
        return len(payload) > 40 and payload[0] == 0x3C and _xmpp_header(payload) is not None

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._named = False

    @classmethod
    def _proceeds(cls, data: bytes) -> bool:
        """RFC 6120 §5.4.2.3: the server's ``<proceed/>`` in the TLS namespace."""
        at = data.rfind(b"<proceed")
        return at >= 0 and _XMPP_TLS_NS in data[at : at + 96]

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The name from the client's header, then the STARTTLS watch (RFC 6120 §5)."""
        if not self._named:
            super().feed(data, from_orig, ts_ns)
            if self.done:  # named: now watch for the upgrade
                self.done, self._named = False, True
            return []
        self._watch(data, from_orig)
        return []


# --- SOCKS (SOCKS 4 and 4A protocol descriptions; RFC 1928 §3-§5) --------------------------

_SOCKS5_METHODS = frozenset((0, 1, 2, 3, 5, 6, 7, 8, 9))
"""IANA "SOCKS Methods" assigned values: no authentication, GSSAPI, username/password,
CHAP, challenge-response, SSL, NDS, multi-authentication framework, JSON parameter block
(0x04 and 0x0a-0x7f unassigned, 0x80-0xfe private: refused)."""
_SOCKS_MAX_ID = 255
"""Longest SOCKS 4 user id or 4A host name walked. Reason: bounds ``matches``."""


def _socks4(p: bytes) -> tuple[bool, str | None]:
    """(is a SOCKS 4 / 4A request, the 4A host): version 4, command 1 (CONNECT) or 2
    (BIND), a nonzero port, an address outside 0.0.0.0/8 or 0.0.0.x (x nonzero), a
    printable NUL-terminated user id; with an address 0.0.0.x (x nonzero) a printable, non-empty NUL-terminated host name
    follows (4A); the request ends the segment."""
    n = len(p)
    if n < 9 or p[0] != 4 or p[1] not in (1, 2) or be16(p, 2) == 0:
        return False, None
    if p[4] == 0 and (p[5] or p[6] or not p[7]):  # 0.0.0.x (4A) or a routable address
        return False, None
    nul = p.find(b"\x00", 8, 8 + _SOCKS_MAX_ID + 1)
    if nul < 0 or not is_printable(p[8:nul]):
        return False, None
    if p[4:7] != bytes(3):
        return nul == n - 1, None
    end = p.find(b"\x00", nul + 1, nul + 2 + _SOCKS_MAX_ID)
    if end != n - 1 or end == nul + 1:
        return False, None
    host = host_name(p[nul + 1 : end])
    return host is not None, host


def _socks5_request(p: bytes) -> tuple[bool, str | None]:
    """(is a SOCKS 5 request, the host it names) (RFC 1928 §4): version 5, command 1-3,
    reserved 0, address type 1 (4 bytes), 3 (a length byte and a printable name) or 4 (16
    bytes), a nonzero port, ending the segment."""
    n = len(p)
    if n < 10 or p[0] != 5 or not 1 <= p[1] <= 3 or p[2] != 0:
        return False, None
    kind = p[3]
    if kind == 1:
        return n == 10 and be16(p, 8) != 0, None
    if kind == 4:
        return n == 22 and be16(p, 20) != 0, None
    if kind == 3 and p[4] and n == 7 + p[4] and be16(p, n - 2) != 0:
        host = host_name(p[5 : 5 + p[4]])
        return host is not None, host
    return False, None


def _socks5_greeting(p: bytes) -> bool:
    """RFC 1928 §3: version 5, NMETHODS 1-255 equal to the bytes that follow, each method an
    assigned one (:data:`_SOCKS5_METHODS`), none twice."""
    n = len(p)
    if n < 3 or p[0] != 5 or p[1] != n - 2:
        return False
    methods = p[2:]
    return all(m in _SOCKS5_METHODS for m in methods) and len(set(methods)) == n - 2


class SocksDissector(_NamingSignature):
    """SOCKS 4, 4A and 5 (TCP 1080).

    ``matches``, from the client: a SOCKS 5 method-selection message (:func:`_socks5_greeting`),
    a SOCKS 5 request sent first (:func:`_socks5_request`), or a SOCKS 4 / 4A request
    (:func:`_socks4`); each ends the segment. The server's 2-byte (SOCKS 5) and 8-byte
    (SOCKS 4) replies are too short to be signatures. Names the flow from the host name a
    4A or 5 request asks for (name source ``socks_host``). The client's first bytes after
    its request are the tunnelled protocol's: they are handed on to be identified by content
    (``upgrade`` ``BY_CONTENT``), so the tls, http or ssh table logs what goes through the
    proxy; conn keeps ``socks``.
    """

    name: ClassVar[str] = "socks"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1080,))
    name_source: ClassVar[str | None] = "socks_host"
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((4, 5))
    """``matches``: the version, 4 or 5."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(3, equals=((0, b"\x05"),), length=(1, 1, "big", 2)),  # NMETHODS
        Screen(10, equals=((0, b"\x05"), (2, b"\x00")), values=(
            (1, frozenset((1, 2, 3))), (3, frozenset((1, 3, 4))))),  # a request
        Screen(9, equals=((0, b"\x04"),), values=((1, frozenset((1, 2))),)),  # SOCKS 4
    )}  # fmt: skip

    @classmethod
    def _name(cls, data: bytes, proto: int) -> tuple[bool, str | None]:
        if data[:1] == b"\x04":
            return _socks4(data)
        pos = 0
        if len(data) >= 3 and _socks5_greeting(data[: data[1] + 2]):
            pos = data[1] + 2  # the greeting, then maybe RFC 1929 username/password
            if data[pos : pos + 1] == b"\x01" and pos + 2 < len(data):
                pos += 2 + data[pos + 1]
                pos += 1 + data[pos] if pos < len(data) else 0
        ok, host = _socks5_request(data[pos:])
        return ok or len(data) - pos >= 7 + 255, host

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A greeting or a request of either version."""
        if len(payload) < 3:
            return False
        if payload[0] == 4:
            return _socks4(payload)[0]
        if payload[0] != 5:
            return False
        return _socks5_greeting(payload) or _socks5_request(payload)[0]

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._requested = False

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The request (and its name), then the tunnelled protocol's first bytes."""
        if not self._requested:
            super().feed(data, from_orig, ts_ns)
            if self.done:  # the request was read: what the client sends next is tunnelled
                self.done, self._requested = False, True
            return []
        if from_orig and data:  # the tunnel's protocol is identified by its content
            self.done, self.upgrade, self.upgrade_data = True, BY_CONTENT, ((True, data),)
        return []


APP_SIGNATURES: tuple[type[Dissector], ...] = (
    BgpDissector,  # a 16-byte marker, exact lengths
    DceRpcDissector,  # version, PTYPE, data representation, exact fragment lengths (rows)
    NfsDissector,  # msg_type + rpcvers (8 fixed bytes), flavors, exact lengths
    SunRpcDissector,
    TdsDissector,  # exact packet length, window 0, per-type data
    AmqpDissector,  # an 8-byte header; frames with 0xCE frame ends
    GitDissector,  # pkt-line length = segment, service names
    MemcachedDissector,  # binary: exact lengths; text: exact grammar
    RtspDissector,  # request / status line with RTSP/x.0
    XmppDissector,  # the stream header with two namespaces
    SocksDissector,  # short messages: exact lengths and assigned values
)
"""This module's signature dissectors in priority order (strictest first)."""
