"""DCE/RPC (DCE 1.1 RPC chapters 12-14, MS-RPCE §2.2): one :class:`DceRpcRecord` per call
(request paired with its response or fault by call id) and per presentation-context
negotiation (bind or alter_context paired with its answer).

Connection-oriented (TCP 135 and the dynamic ports the endpoint mapper hands out, §12.6):
PDUs are framed by their 16-byte common header (frag_length, in the byte order of the
``drep`` data representation). A bind / alter_context offers presentation contexts
(context id -> interface UUID and version); a request names its context and operation
number, so a call is named by interface and operation (``svcctl`` / ``CreateServiceW``,
:mod:`wirelens.dissect.dcerpc_names`). A call in several fragments is one row (fragments and
stub bytes counted). Authentication (MS-RPCE §2.2.2.11): the auth verifier at the end of a
PDU carries the security provider's token; NTLMSSP names the client's user, domain and
workstation (from the AUTHENTICATE in an auth3, bind or alter_context) and the server's
names (from the CHALLENGE in its answer), which every later row of the association carries;
a Kerberos AP exchange (SPNEGO or krb5 GSS-API tokens) makes a ``kerberos`` row. With
packet privacy the stubs are encrypted; the headers, hence interface and operation, are not.
A few operations' arguments are read from stubs sent in the clear
(:mod:`wirelens.dissect.dcerpc_args`), in the transfer syntax the bind answer accepted for
the context (NDR or NDR64).

Connectionless (UDP, §12.5): each datagram has the 80-byte header with the interface UUID,
operation number, activity and sequence number; a request is paired with its response or
fault by activity and sequence number.

:class:`DceRpcAssociation` holds one association's state and is fed its byte streams: the
TCP dissector owns one, the SMB dissector one per named pipe
(:mod:`wirelens.dissect.smb_pipes`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from wirelens.dissect import ntlm
from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen
from wirelens.dissect.dcerpc_args import ARG_DECODERS, MAX_STUB_BYTES, call_arguments
from wirelens.dissect.dcerpc_names import interface_name, operation_name
from wirelens.dissect.kerberos import KrbMessage, ap_record, ap_request, gss_message
from wirelens.dissect.signatures_base import TCP_AND_UDP
from wirelens.wire.errors import BadValue, LimitExceeded, Truncated

__all__ = ["DceRpcAssociation", "DceRpcDissector", "DceRpcRecord", "PType"]

DCE_MAX_PENDING = 256
"""Calls (or negotiations) waiting for their answer in one association; beyond it the oldest
is written unanswered (clients keep a few outstanding)."""

DCE_MAX_CONTEXTS = 256
"""Presentation contexts kept per association (a bind offers a handful)."""

DCE_MAX_CONTEXT_ELEMS = 64
"""Context elements read from one bind / alter_context."""


class PType:
    """PDU types (DCE 1.1 §12.5.2.1 and §12.6.4.1; MS-RPCE §2.2.2.3 auth3)."""

    REQUEST = 0
    PING = 1
    RESPONSE = 2
    FAULT = 3
    WORKING = 4
    NOCALL = 5
    REJECT = 6
    ACK = 7
    CL_CANCEL = 8
    FACK = 9
    CANCEL_ACK = 10
    BIND = 11
    BIND_ACK = 12
    BIND_NAK = 13
    ALTER_CONTEXT = 14
    ALTER_CONTEXT_RESP = 15
    AUTH3 = 16
    SHUTDOWN = 17
    CO_CANCEL = 18
    ORPHANED = 19


PTYPE_NAMES = {v: k for k, v in vars(PType).items() if not k.startswith("_")}

_CO_TYPES = frozenset((0, 2, 3, 11, 12, 13, 14, 15, 16, 17, 18, 19))
"""Connection-oriented PTYPEs (DCE 1.1 §12.6.4.1, MS-RPCE auth3)."""
_BIND_TYPES = frozenset((PType.BIND, PType.ALTER_CONTEXT))
_MAX_PDUS = 8
"""PDUs walked by ``matches`` in one segment. Reason: bounds it."""
_CL_HEADER = 80
"""Connectionless header size (DCE 1.1 §12.5.2.1)."""
_CO_HEADER = 16
_PFC_FIRST_FRAG, _PFC_LAST_FRAG, _PFC_OBJECT_UUID = 0x01, 0x02, 0x80
_CL_LAST_FRAG, _CL_FRAG = 0x02, 0x04

AUTH_TYPES = {0: "none", 1: "dce_private", 2: "dce_public", 4: "dec_public",
              9: "spnego", 10: "ntlmssp", 14: "schannel", 16: "kerberos", 17: "dpa",
              18: "msn", 21: "digest", 68: "netlogon", 100: "msmq"}
"""Security providers (MS-RPCE §2.2.1.1.7, RPC_C_AUTHN_*)."""
AUTH_LEVELS = {1: "none", 2: "connect", 3: "call", 4: "packet", 5: "integrity", 6: "privacy"}
"""Authentication levels (MS-RPCE §2.2.1.1.8, RPC_C_AUTHN_LEVEL_*)."""
NDR64 = "71710533-beba-4937-8319-b5dbef9ccc36"
"""The NDR64 transfer syntax (MS-RPCE §2.2.5.1)."""
BIND_RESULTS = {0: "acceptance", 1: "user_rejection", 2: "provider_rejection",
                3: "negotiate_ack"}
"""p_cont_def_result_t (DCE 1.1 §12.6.3.1; MS-RPCE §2.2.2.4 negotiate_ack)."""


# --- identification ---------------------------------------------------------------------

def _drep_ok(p: bytes | bytearray, pos: int) -> bool:
    """Data representation (DCE 1.1 §14.1): integer order ASCII big (0x00) or little (0x10)
    endian, floating point IEEE/VAX/Cray/IBM (0-3), two reserved zero bytes."""
    return p[pos] in (0x00, 0x10) and p[pos + 1] <= 3 and p[pos + 2] == 0 and p[pos + 3] == 0


def _u16(p: bytes | bytearray, pos: int, little: bool) -> int:
    return p[pos] | (p[pos + 1] << 8) if little else (p[pos] << 8) | p[pos + 1]


def _uuid_ok(p: bytes, pos: int, little: bool) -> bool:
    """A UUID (DCE 1.1 appendix A, RFC 9562 §4) at ``pos`` with integers in the given order:
    version 1-5 in time_hi_and_version, the DCE variant (bits 10) in clock_seq_hi."""
    version = (p[pos + 7] if little else p[pos + 6]) >> 4
    return 1 <= version <= 5 and p[pos + 8] & 0xC0 == 0x80


def _co_pdu(p: bytes, pos: int) -> int:
    """frag_length of the connection-oriented PDU at ``pos`` when its common header (DCE 1.1
    §12.6.3.1) is valid, else 0."""
    if len(p) - pos < 16 or p[pos] != 5 or p[pos + 1] > 1 or p[pos + 2] not in _CO_TYPES:
        return 0
    if not _drep_ok(p, pos + 4):
        return 0
    little = p[pos + 4] == 0x10
    frag = _u16(p, pos + 8, little)
    auth = _u16(p, pos + 10, little)
    if frag < 16 or (auth and 16 + 8 + auth > frag):  # an auth verifier has its sec_trailer
        return 0
    if p[pos + 2] in _BIND_TYPES:  # p_context_elem: at least one, reserved bytes zero
        if frag < 28 or pos + 28 > len(p):
            return 0
        if p[pos + 24] == 0 or p[pos + 25] or p[pos + 26] or p[pos + 27]:
            return 0
    elif p[pos + 2] in (0, 2) and frag < 24:  # request / response: alloc_hint, context id
        return 0
    return frag


def _cl_ok(p: bytes) -> bool:
    """One connectionless PDU (DCE 1.1 §12.5.2.1) filling the datagram."""
    n = len(p)
    if n < _CL_HEADER or p[0] != 4 or p[1] > 10 or p[3] & ~0x02:
        return False
    if p[2] & 0x81 or not _drep_ok(p, 4) or p[78] != 0:
        return False
    little = p[4] == 0x10
    if _u16(p, 74, little) != n - _CL_HEADER:
        return False
    if not p[2] & _CL_FRAG and _u16(p, 76, little):  # not a fragment: number 0
        return False
    return _uuid_ok(p, 40, little)


# --- rows -------------------------------------------------------------------------------

@dataclass(slots=True)
class DceRpcRecord(Event):
    """One call, or one presentation-context negotiation, of a DCE/RPC association."""

    table: ClassVar[str | None] = "dce_rpc"

    rpc_version: str
    """``5.0`` / ``5.1`` (connection-oriented) or ``4.0`` (connectionless)."""
    request: str | None
    """The client's PDU type: REQUEST, BIND or ALTER_CONTEXT (None: only the answer seen)."""
    response: str | None
    """The answer's PDU type: RESPONSE, FAULT, BIND_ACK, BIND_NAK, ALTER_CONTEXT_RESP, REJECT
    (None: unanswered)."""
    call_id: int
    """Call id (connectionless: the sequence number)."""
    context_id: int | None
    """Presentation context of the call (of the first one offered, for a negotiation)."""
    uuid: str | None
    """Interface UUID."""
    if_version: str | None
    """Interface version ``major.minor``."""
    endpoint: str | None
    """The interface's common name (svcctl, samr, drsuapi, IRemUnknown2, ...)."""
    opnum: int | None
    """Operation number of a call."""
    operation: str | None
    """The operation's name (CreateServiceW, DRSGetNCChanges, ...; None when unknown)."""
    named_pipe: str | None
    """The endpoint as the server's bind answer names it (its secondary address:
    ``\\PIPE\\lsass`` over SMB, the port over TCP, as Zeek logs it); before that answer,
    the SMB pipe's opened name (``samr``, ``\\lsarpc``); None over UDP."""
    request_frags: int
    """Fragments of the request."""
    request_stub_len: int
    """Stub bytes of the request (auth padding and verifier not counted)."""
    response_frags: int
    """Fragments of the response."""
    response_stub_len: int
    """Stub bytes of the response."""
    fault_status: int | None
    """Status code of a FAULT (or REJECT), e.g. 0x1c010002 nca_s_op_rng_error, 5 access
    denied."""
    bind_result: str | None
    """Negotiation: the result for the first context offered (acceptance, user_rejection,
    provider_rejection, negotiate_ack); BIND_NAK: ``nak``."""
    contexts_offered: int | None
    """Negotiation: presentation contexts offered."""
    auth_type: str | None
    """Security provider of the association (ntlmssp, spnego, kerberos, netlogon, ...)."""
    auth_level: str | None
    """Its authentication level (connect, call, packet, integrity, privacy)."""
    ntlm_user: str | None
    """NTLMSSP: user of the association's AUTHENTICATE."""
    ntlm_domain: str | None
    """Its domain."""
    ntlm_host: str | None
    """Its workstation."""
    ntlm_server_nb_name: str | None
    """NTLMSSP CHALLENGE: the server's NetBIOS computer name."""
    ntlm_server_dns_name: str | None
    """Its DNS computer name."""
    ntlm_server_tree: str | None
    """Its forest (DNS tree) name."""
    rtt_ns: int | None
    """Answer time minus request time, when both were seen."""
    arguments: tuple[tuple[str, str], ...] | None = None
    """A few operations' arguments read from a request sent in the clear
    (:mod:`wirelens.dissect.dcerpc_args`): a created service's name and binary path, a
    scheduled job's command, a registry key or value."""


@dataclass
class _Call:
    """A call or negotiation being assembled or waiting for its answer."""

    ts_ns: int
    version: str
    request: str | None
    call_id: int
    context_id: int | None = None
    uuid: str | None = None
    if_version: str | None = None
    opnum: int | None = None
    frags: int = 0
    stub: int = 0
    contexts: int | None = None
    offered: tuple[int, ...] = ()
    """Negotiation: the context ids offered, in order (the answer's results follow it)."""
    done: bool = False
    """The request's last fragment was seen."""
    krb: KrbMessage | None = None
    """A Kerberos AP-REQ carried by the negotiation's auth verifier."""
    response: str | None = None
    """The answer's PDU type, once one fragment of it was seen."""
    response_frags: int = 0
    response_stub: int = 0
    fault_status: int | None = None
    bind_result: str | None = None
    stub_bytes: bytearray | None = None
    """The request's stub bytes, kept when its arguments are to be read."""
    arguments: tuple[tuple[str, str], ...] | None = None


@dataclass
class _Auth:
    """What the association's security exchange told so far."""

    auth_type: str | None = None
    auth_level: str | None = None
    user: tuple[str | None, str | None, str | None] = (None, None, None)
    server: tuple[str | None, str | None, str | None] = (None, None, None)


_NO_AUTH = _Auth()
"""A connectionless call's: no association, no security exchange read."""


def _uuid(p: bytes, pos: int, little: bool) -> str:
    """A UUID's text (RFC 9562 §4): its first three fields in the drep's byte order."""
    a, b, c = struct.unpack_from("<IHH" if little else ">IHH", p, pos)
    tail = p[pos + 8 : pos + 16].hex()
    return f"{a:08x}-{b:04x}-{c:04x}-{tail[:4]}-{tail[4:]}"


class DceRpcAssociation:
    """One connection-oriented association: its contexts, calls and authentication."""

    def __init__(self, named_pipe: str | None = None) -> None:
        self.named_pipe = named_pipe
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._contexts: dict[int, tuple[str, str]] = {}
        self._ndr64: set[int] = set()  # contexts whose accepted transfer syntax is NDR64
        self._calls: dict[tuple[bool, int], _Call] = {}  # (negotiation?, call id)
        self._auth = _Auth()

    def feed(self, data: bytes, from_client: bool, ts_ns: int) -> list[Event]:
        """The next stream bytes of one direction: whole PDUs are parsed."""
        buf = self._bufs[from_client]
        buf += data
        events: list[Event] = []
        while len(buf) >= _CO_HEADER:
            if buf[0] != 5 or buf[1] > 1 or not _drep_ok(buf, 4):
                raise BadValue("not a connection-oriented DCE/RPC PDU header", 0)
            frag = _u16(buf, 8, buf[4] == 0x10)
            if frag < _CO_HEADER:
                raise BadValue(f"frag_length {frag} below the header", 8)
            if len(buf) < frag:
                break
            pdu = bytes(buf[:frag])
            del buf[:frag]
            events.extend(self._pdu(pdu, from_client, ts_ns))
        return events

    def finish(self) -> list[Event]:
        """The calls and negotiations still waiting: written unanswered."""
        events: list[Event] = [self._row(c, 0) for c in self._calls.values()
                               if c.request is not None]
        self._calls.clear()
        return events

    # -- PDUs ------------------------------------------------------------------------------
    def _pdu(self, p: bytes, from_client: bool, ts_ns: int) -> list[Event]:
        little = p[4] == 0x10
        e = "<" if little else ">"
        ptype, flags = p[2], p[3]
        auth_len = _u16(p, 10, little)
        (call_id,) = struct.unpack_from(e + "I", p, 12)
        version = f"5.{p[1]}"
        token = b""
        body_end = len(p)
        sealed = False
        if auth_len:  # sec_trailer (8 bytes) then the auth value (MS-RPCE §2.2.2.11)
            trailer = len(p) - auth_len - 8
            if trailer < _CO_HEADER:
                raise BadValue(f"auth_length {auth_len} beyond the PDU", 10)
            auth_type, auth_level, pad = p[trailer], p[trailer + 1], p[trailer + 2]
            token = p[trailer + 8 :]
            body_end = max(_CO_HEADER, trailer - pad)
            self._auth.auth_type = AUTH_TYPES.get(auth_type, str(auth_type))
            self._auth.auth_level = AUTH_LEVELS.get(auth_level, str(auth_level))
            sealed = auth_level == 6  # packet privacy: the stub is encrypted
        if ptype in _BIND_TYPES and from_client:
            return self._bind(p, e, little, ptype, call_id, version, token, ts_ns)
        if ptype in (PType.BIND_ACK, PType.ALTER_CONTEXT_RESP, PType.BIND_NAK):
            return self._bind_answer(p, e, ptype, call_id, version, token, ts_ns)
        if ptype == PType.AUTH3:
            self._token(token)
            return []
        if ptype == PType.REQUEST and from_client:
            return self._request(p, e, flags, call_id, version, body_end, sealed, ts_ns)
        if ptype in (PType.RESPONSE, PType.FAULT) and not from_client:
            return self._answer(p, e, ptype, flags, call_id, version, body_end, ts_ns)
        return []  # shutdown, cancel, orphaned; a PDU from the wrong side is not a call

    def _token(self, token: bytes) -> KrbMessage | None:
        """A client's security token: the NTLM user, or a Kerberos AP-REQ."""
        if not token:
            return None
        auth = ntlm.authenticate(token)
        if auth is not None:
            self._auth.user = (auth.user, auth.domain, auth.host)
        return ap_request(token)

    def _bind(self, p: bytes, e: str, little: bool, ptype: int, call_id: int, version: str,
              token: bytes, ts_ns: int) -> list[Event]:
        if len(p) < 28:
            raise Truncated("bind without its context list", len(p))
        n = p[24]
        if n > DCE_MAX_CONTEXT_ELEMS:
            raise LimitExceeded(f"{n} presentation contexts offered", 24)
        pos = 28
        first: tuple[int, str, str] | None = None
        offered = []
        for _ in range(n):  # p_cont_elem_t: context id, transfer syntaxes, abstract syntax
            if pos + 24 > len(p):
                raise Truncated("presentation context cut short", pos)
            ctx, n_syntaxes = struct.unpack_from(e + "HB", p, pos)
            uuid = _uuid(p, pos + 4, little)
            major, minor = struct.unpack_from(e + "HH", p, pos + 20)
            pos += 24 + 20 * n_syntaxes
            if len(self._contexts) < DCE_MAX_CONTEXTS or ctx in self._contexts:
                self._contexts[ctx] = (uuid, f"{major}.{minor}")
            if first is None:
                first = (ctx, uuid, f"{major}.{minor}")
            offered.append(ctx)
        if pos > len(p):
            raise Truncated("transfer syntaxes cut short", len(p))
        call = _Call(ts_ns, version, PTYPE_NAMES[ptype], call_id, contexts=n,
                     offered=tuple(offered))
        if first is not None:
            call.context_id, call.uuid, call.if_version = first
        call.krb = self._token(token)
        return self._open((True, call_id), call)

    def _bind_answer(self, p: bytes, e: str, ptype: int, call_id: int, version: str,
                     token: bytes, ts_ns: int) -> list[Event]:
        call = self._calls.pop((True, call_id), None)
        if call is None:
            call = _Call(ts_ns, version, None, call_id)
        events: list[Event] = []
        server = ntlm.challenge(token) if token else None
        if server is not None:
            self._auth.server = (server.nb_computer, server.dns_computer, server.dns_tree)
        if call.krb is not None:  # the ticket's answer: an AP-REP or KRB-ERROR, else the PDU
            accepted = False if ptype == PType.BIND_NAK else (True if token else None)
            events.append(ap_record(call.krb, call.ts_ns, gss_message(token) if token else None,
                                    ts_ns, accepted))
        call.response = PTYPE_NAMES[ptype]
        if ptype == PType.BIND_NAK:
            call.bind_result = "nak"
        else:  # max frags, assoc group, secondary address (aligned to 4), result list
            if len(p) < 26:
                raise Truncated("bind answer cut short", len(p))
            (sec_len,) = struct.unpack_from(e + "H", p, 24)
            port = p[26 : 26 + sec_len].split(b"\x00", 1)[0]  # port_spec (§12.6.3.4)
            if port:  # the server's name of the endpoint: \PIPE\lsass, or a TCP port
                self.named_pipe = port.decode("latin-1")
            pos = 26 + sec_len
            pos += -pos % 4
            n_results = p[pos] if pos < len(p) else 0
            for i in range(min(n_results, len(call.offered) or 1)):  # p_result_t: result,
                at = pos + 4 + 24 * i  # reason, transfer syntax (UUID, version)
                if at + 20 > len(p):
                    break
                (code,) = struct.unpack_from(e + "H", p, at)
                if i == 0:
                    call.bind_result = BIND_RESULTS.get(code, str(code))
                if code == 0 and i < len(call.offered):  # accepted: NDR or NDR64
                    ctx = call.offered[i]
                    if _uuid(p, at + 4, e == "<") == NDR64:
                        self._ndr64.add(ctx)
                    else:
                        self._ndr64.discard(ctx)
        events.append(self._row(call, ts_ns - call.ts_ns))
        return events

    def _request(self, p: bytes, e: str, flags: int, call_id: int, version: str,
                 body_end: int, sealed: bool, ts_ns: int) -> list[Event]:
        if len(p) < 24:
            raise Truncated("request header cut short", len(p))
        ctx, opnum = struct.unpack_from(e + "HH", p, 20)
        head = 24 + (16 if flags & _PFC_OBJECT_UUID else 0)
        events: list[Event] = []
        call = self._calls.get((False, call_id))
        if call is None or call.done or flags & _PFC_FIRST_FRAG:
            call = _Call(ts_ns, version, "REQUEST", call_id, context_id=ctx, opnum=opnum)
            if ctx in self._contexts:
                call.uuid, call.if_version = self._contexts[ctx]
            if not sealed and (call.uuid, opnum) in ARG_DECODERS:
                call.stub_bytes = bytearray()
            events.extend(self._open((False, call_id), call))
            # a first PDU flagged neither first nor last fragment (some stacks send them so)
            # is a whole request; later unflagged ones are middle fragments
            call.done = not flags & _PFC_FIRST_FRAG
        call.frags += 1
        call.stub += max(0, body_end - head)
        if call.stub_bytes is not None and len(call.stub_bytes) < MAX_STUB_BYTES:
            call.stub_bytes += p[head:body_end][: MAX_STUB_BYTES - len(call.stub_bytes)]
        if flags & _PFC_LAST_FRAG:
            call.done = True
        if call.done and call.stub_bytes is not None and call.uuid is not None:
            call.arguments = call_arguments(call.uuid, opnum, bytes(call.stub_bytes), e == "<",
                                            ctx in self._ndr64)
            call.stub_bytes = None
        return events

    def _answer(self, p: bytes, e: str, ptype: int, flags: int, call_id: int, version: str,
                body_end: int, ts_ns: int) -> list[Event]:
        call = self._calls.get((False, call_id))
        events: list[Event] = []
        if call is None:  # its request was not seen
            call = _Call(ts_ns, version, None, call_id)
            if len(p) >= 24:
                (call.context_id,) = struct.unpack_from(e + "H", p, 20)
                if call.context_id in self._contexts:
                    call.uuid, call.if_version = self._contexts[call.context_id]
            events = self._open((False, call_id), call)
        call.response = PTYPE_NAMES[ptype]
        call.response_frags += 1
        if ptype == PType.FAULT:
            if len(p) < 28:
                raise Truncated("fault without its status", len(p))
            (call.fault_status,) = struct.unpack_from(e + "I", p, 24)
        else:
            call.response_stub += max(0, body_end - 24)
        whole = call.response_frags == 1 and not flags & _PFC_FIRST_FRAG  # unflagged: whole
        if ptype == PType.FAULT or flags & _PFC_LAST_FRAG or whole:
            self._calls.pop((False, call_id), None)
            events.append(self._row(call, ts_ns - call.ts_ns))
        return events

    # -- rows ------------------------------------------------------------------------------
    def _open(self, key: tuple[bool, int], call: _Call) -> list[Event]:
        events: list[Event] = []
        old = self._calls.pop(key, None)
        if old is not None and old.request is not None:
            events.append(self._row(old, 0))
        self._calls[key] = call
        if len(self._calls) > DCE_MAX_PENDING:
            oldest = next(iter(self._calls))
            events.append(self._row(self._calls.pop(oldest), 0))
        return events

    def _row(self, call: _Call, rtt_ns: int) -> DceRpcRecord:
        return _record(call, rtt_ns, self._auth, self.named_pipe)


def _record(call: _Call, rtt_ns: int, auth: _Auth = _NO_AUTH, named_pipe: str | None = None,
            ) -> DceRpcRecord:
    """The row of ``call``; ``rtt_ns`` counts when both its request and answer were seen."""
    uuid = call.uuid
    user, server = auth.user, auth.server
    return DceRpcRecord(
        ts_ns=call.ts_ns, rpc_version=call.version, request=call.request,
        response=call.response, call_id=call.call_id, context_id=call.context_id, uuid=uuid,
        if_version=call.if_version, endpoint=interface_name(uuid) if uuid else None,
        opnum=call.opnum,
        operation=operation_name(uuid, call.opnum) if uuid and call.opnum is not None else None,
        named_pipe=named_pipe, request_frags=call.frags, request_stub_len=call.stub,
        response_frags=call.response_frags, response_stub_len=call.response_stub,
        fault_status=call.fault_status, bind_result=call.bind_result,
        contexts_offered=call.contexts, auth_type=auth.auth_type, auth_level=auth.auth_level,
        ntlm_user=user[0], ntlm_domain=user[1], ntlm_host=user[2],
        ntlm_server_nb_name=server[0], ntlm_server_dns_name=server[1],
        ntlm_server_tree=server[2],
        rtt_ns=rtt_ns if call.response is not None and call.request is not None else None,
        arguments=call.arguments,
    )


class DceRpcDissector(Dissector):
    """DCE/RPC over TCP (connection-oriented) and UDP (connectionless).

    ``matches``, over TCP (DCE 1.1 §12.6.3.1, MS-RPCE §2.2.2): PDUs filling the segment
    exactly (at most 8), each with rpc_vers 5, rpc_vers_minor 0/1, a connection-oriented
    PTYPE, a valid data representation (integer order 0x00/0x10, float 0-3, two zero bytes),
    frag_length (in that byte order) at least 16, auth_length fitting with its 8-byte
    sec_trailer; a bind / alter_context holds at least one presentation context with zero
    reserved bytes; a request / response its 8-byte body header. Over UDP (§12.5.2.1): the
    80-byte header with rpc_vers 4, PTYPE 0-10, the reserved flags1 bits (0x01, 0x80) clear,
    only defined flags2 bits (cancel pending), the data representation as above, fragment
    number 0 unless the fragment flag is set, an activity UUID of version 1-5 with the DCE
    variant, no authentication (auth_proto 0) and the fragment length equal to the rest of
    the datagram.
    """

    name: ClassVar[str] = "dcerpc"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((135,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((4, 5))
    """``matches``: rpc_vers 5 over TCP, 4 over UDP (:meth:`first_bytes_on`)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(16, equals=((0, b"\x05"), (6, b"\x00\x00")), values=(
            (1, frozenset((0, 1))), (2, _CO_TYPES), (4, frozenset((0x00, 0x10))))),),
        IPPROTO_UDP: (
            Screen(_CL_HEADER, equals=((0, b"\x04"), (4, b"\x10"), (78, b"\x00")),
                   length=(74, 2, "little", _CL_HEADER)),  # little-endian integers
            Screen(_CL_HEADER, equals=((0, b"\x04"), (4, b"\x00"), (78, b"\x00")),
                   length=(74, 2, "big", _CL_HEADER))),  # big-endian integers
    }  # fmt: skip

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._assoc = DceRpcAssociation()
        self._cl: dict[tuple[str, int], _Call] = {}  # connectionless: (activity, seqnum)

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """rpc_vers: 5 connection-oriented (TCP), 4 connectionless (UDP)."""
        return frozenset((5,)) if proto == IPPROTO_TCP else frozenset((4,))

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Connection-oriented PDUs over TCP, one connectionless PDU over UDP."""
        if proto == IPPROTO_TCP:
            pos, n = 0, len(payload)
            for _ in range(_MAX_PDUS):
                frag = _co_pdu(payload, pos)
                if not frag or pos + frag > n:
                    return False
                pos += frag
                if pos == n:
                    return True
            return False
        return proto == IPPROTO_UDP and _cl_ok(payload)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        if self.proto == IPPROTO_TCP:
            return self._assoc.feed(data, from_orig, ts_ns)
        return self._datagram(data, ts_ns)

    def finish(self) -> list[Event]:
        events = self._assoc.finish()
        events.extend(_record(c, 0) for c in self._cl.values())
        self._cl.clear()
        return events

    def _datagram(self, p: bytes, ts_ns: int) -> list[Event]:
        """One connectionless PDU (DCE 1.1 §12.5.2.1): a request opens a call, a response,
        fault or reject ends it (by activity and sequence number)."""
        if not _cl_ok(p):
            raise BadValue("not a connectionless DCE/RPC PDU", 0)
        little = p[4] == 0x10
        e = "<" if little else ">"
        ptype = p[1]
        activity = _uuid(p, 40, little)
        (seq,) = struct.unpack_from(e + "I", p, 64)
        (opnum,) = struct.unpack_from(e + "H", p, 68)
        key = (activity, seq)
        if ptype == PType.REQUEST:
            call = self._cl.get(key)
            events: list[Event] = []
            if call is None:
                (vers,) = struct.unpack_from(e + "I", p, 60)
                call = _Call(ts_ns, "4.0", "REQUEST", seq, uuid=_uuid(p, 24, little),
                             if_version=f"{vers & 0xFFFF}.{vers >> 16}", opnum=opnum)
                events = self._keep(key, call)
            call.frags += 1
            call.stub += len(p) - _CL_HEADER
            return events
        if ptype not in (PType.RESPONSE, PType.FAULT, PType.REJECT):
            return []  # ping, working, nocall, ack, cancel, fack
        call = self._cl.get(key) or _Call(ts_ns, "4.0", None, seq, uuid=_uuid(p, 24, little),
                                          opnum=opnum)
        call.response = PTYPE_NAMES[ptype]
        call.response_frags += 1
        if ptype == PType.RESPONSE:
            call.response_stub += len(p) - _CL_HEADER
            if p[2] & _CL_FRAG and not p[2] & _CL_LAST_FRAG:
                return self._keep(key, call) if key not in self._cl else []
        elif len(p) >= _CL_HEADER + 4:
            (call.fault_status,) = struct.unpack_from(e + "I", p, _CL_HEADER)
        self._cl.pop(key, None)
        return [_record(call, ts_ns - call.ts_ns)]

    def _keep(self, key: tuple[str, int], call: _Call) -> list[Event]:
        """A connectionless call waiting (for its response, or its response's next
        fragment); the oldest is written past :data:`DCE_MAX_PENDING`."""
        self._cl[key] = call
        if len(self._cl) > DCE_MAX_PENDING:
            return [_record(self._cl.pop(next(iter(self._cl))), 0)]
        return []
