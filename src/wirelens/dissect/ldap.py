"""LDAP (RFC 4511) over TCP and CLDAP over UDP (RFC 1798), one :class:`LdapRecord` per
request/response pair.

Every message is an ``LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE
[APPLICATION n], controls [0] OPTIONAL }`` in BER (RFC 4511 §4.1.1, §5.1), read with the
private :mod:`.asn1` reader. Requests and responses are paired by message id; a search
request is answered by entries and references (counted) then ``searchResDone``. Unbind and
abandon have no response and are emitted at once.

Decoded: BindRequest (version, name, simple password or SASL mechanism, §4.2),
every LDAPResult (resultCode, matchedDN, diagnosticMessage, §4.1.9) and SearchRequest
(base, scope, a filter summary, §4.5.1). Simple passwords are replaced by ``<redacted>``
unless the dissector is created with ``show_passwords=True`` (an empty password stays empty: it is an
anonymous or unauthenticated bind, RFC 4513 §5.1.2, worth seeing). A bind's security tokens
are looked into: NTLM (the client's user, domain and workstation; the server's names from its
challenge, :mod:`.ntlm`) and Kerberos (an AP exchange, which makes a ``kerberos`` row,
:func:`~wirelens.dissect.kerberos.gss_message`).

After a successful StartTLS (§4.14) or a SASL bind (whose security layer may wrap the
next messages, RFC 4513 §5.2.1.7) the dissector stops (``done``) at the first bytes that
are not a plain LDAPMessage.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect import ntlm
from wirelens.dissect.asn1 import (
    APPLICATION,
    CONTEXT,
    ENUMERATED,
    INTEGER,
    SEQUENCE,
    UNIVERSAL,
    Tlv,
    read_tlv,
    tlv_size,
)
from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event
from wirelens.dissect.kerberos import KrbMessage, ap_record, ap_request, gss_message
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError

__all__ = ["LdapDissector", "LdapRecord", "Op", "ResultCode", "parse_message"]

LDAP_MAX_MESSAGE = 1 << 20
"""Bytes of one LDAPMessage kept while waiting for its end (search entries of directories
with big attributes reach hundreds of KiB; beyond 1 MiB the flow is given up)."""

LDAP_MAX_PENDING = 256
"""Requests waiting for their response in one connection (the oldest is emitted alone)."""

LDAP_MAX_FILTER_CHARS = 512
"""Length of the readable filter summary (longer ones end with ``...``)."""

STARTTLS_OID = "1.3.6.1.4.1.1466.20037"
"""The StartTLS extended operation (RFC 4511 §4.14.1)."""


class Op(IntEnum):
    """protocolOp APPLICATION tags (RFC 4511 §4.2-4.14, Appendix B)."""

    BIND_REQUEST = 0
    BIND_RESPONSE = 1
    UNBIND_REQUEST = 2
    SEARCH_REQUEST = 3
    SEARCH_RESULT_ENTRY = 4
    SEARCH_RESULT_DONE = 5
    MODIFY_REQUEST = 6
    MODIFY_RESPONSE = 7
    ADD_REQUEST = 8
    ADD_RESPONSE = 9
    DEL_REQUEST = 10
    DEL_RESPONSE = 11
    MODIFY_DN_REQUEST = 12
    MODIFY_DN_RESPONSE = 13
    COMPARE_REQUEST = 14
    COMPARE_RESPONSE = 15
    ABANDON_REQUEST = 16
    SEARCH_RESULT_REFERENCE = 19
    EXTENDED_REQUEST = 23
    EXTENDED_RESPONSE = 24
    INTERMEDIATE_RESPONSE = 25


class ResultCode(IntEnum):
    """LDAPResult resultCode (RFC 4511 §4.1.9, Appendix A)."""

    SUCCESS = 0
    OPERATIONS_ERROR = 1
    PROTOCOL_ERROR = 2
    TIME_LIMIT_EXCEEDED = 3
    SIZE_LIMIT_EXCEEDED = 4
    COMPARE_FALSE = 5
    COMPARE_TRUE = 6
    AUTH_METHOD_NOT_SUPPORTED = 7
    STRONGER_AUTH_REQUIRED = 8
    REFERRAL = 10
    ADMIN_LIMIT_EXCEEDED = 11
    UNAVAILABLE_CRITICAL_EXTENSION = 12
    CONFIDENTIALITY_REQUIRED = 13
    SASL_BIND_IN_PROGRESS = 14
    NO_SUCH_ATTRIBUTE = 16
    UNDEFINED_ATTRIBUTE_TYPE = 17
    INAPPROPRIATE_MATCHING = 18
    CONSTRAINT_VIOLATION = 19
    ATTRIBUTE_OR_VALUE_EXISTS = 20
    INVALID_ATTRIBUTE_SYNTAX = 21
    NO_SUCH_OBJECT = 32
    ALIAS_PROBLEM = 33
    INVALID_DN_SYNTAX = 34
    ALIAS_DEREFERENCING_PROBLEM = 36
    INAPPROPRIATE_AUTHENTICATION = 48
    INVALID_CREDENTIALS = 49
    INSUFFICIENT_ACCESS_RIGHTS = 50
    BUSY = 51
    UNAVAILABLE = 52
    UNWILLING_TO_PERFORM = 53
    LOOP_DETECT = 54
    NAMING_VIOLATION = 64
    OBJECT_CLASS_VIOLATION = 65
    NOT_ALLOWED_ON_NON_LEAF = 66
    NOT_ALLOWED_ON_RDN = 67
    ENTRY_ALREADY_EXISTS = 68
    OBJECT_CLASS_MODS_PROHIBITED = 69
    AFFECTS_MULTIPLE_DSAS = 71
    OTHER = 80


_OP_NAMES = {m.value: m.name.lower() for m in Op}
_RESULT_NAMES = {m.value: m.name.lower() for m in ResultCode}
_SCOPES = {0: "base", 1: "one", 2: "sub"}
_REQUEST_FOR = {
    Op.BIND_RESPONSE: Op.BIND_REQUEST, Op.SEARCH_RESULT_DONE: Op.SEARCH_REQUEST,
    Op.MODIFY_RESPONSE: Op.MODIFY_REQUEST, Op.ADD_RESPONSE: Op.ADD_REQUEST,
    Op.DEL_RESPONSE: Op.DEL_REQUEST, Op.MODIFY_DN_RESPONSE: Op.MODIFY_DN_REQUEST,
    Op.COMPARE_RESPONSE: Op.COMPARE_REQUEST, Op.EXTENDED_RESPONSE: Op.EXTENDED_REQUEST,
}  # fmt: skip
_REQUESTS = frozenset(_REQUEST_FOR.values()) | {Op.UNBIND_REQUEST, Op.ABANDON_REQUEST}
_NO_RESPONSE = frozenset((Op.UNBIND_REQUEST, Op.ABANDON_REQUEST))
_PARTIAL = frozenset((Op.SEARCH_RESULT_ENTRY, Op.SEARCH_RESULT_REFERENCE, Op.INTERMEDIATE_RESPONSE))
_AUTH_NAMES = {
    0: "simple",
    3: "sasl",
    9: "sicily_discovery",
    10: "sicily_negotiate",
    11: "sicily_response",
}
"""AuthenticationChoice tags: simple [0] and sasl [3] (RFC 4511 §4.2); 9-11 are Microsoft's
Sicily NTLM binds ([MS-ADTS] §5.1.1.1)."""


def op_name(code: int) -> str:
    """Readable twin of a protocolOp tag (``bind_request``, ``search_result_done``, ...)."""
    return _OP_NAMES.get(code, f"op{code}")


def result_name(code: int) -> str:
    """Readable twin of a resultCode."""
    return _RESULT_NAMES.get(code, f"result{code}")


@dataclass(slots=True)
class _Message:
    """The decoded parts of one LDAPMessage."""

    message_id: int
    op: int
    fields: dict[str, object]


def _result(items: list[Tlv]) -> dict[str, object]:
    """LDAPResult components (RFC 4511 §4.1.9): resultCode, matchedDN, diagnosticMessage."""
    if len(items) < 3:
        raise BadValue("LDAPResult with fewer than 3 components")
    code = items[0].expect(UNIVERSAL, ENUMERATED, "resultCode").as_int()
    return {
        "result_code": code,
        "result_name": result_name(code),
        "matched_dn": items[1].as_text(),
        "diagnostic_message": items[2].as_text(),
    }


def _filter(tlv: Tlv, budget: list[int]) -> str:
    """A readable summary of a search Filter (RFC 4511 §4.5.1.7, RFC 4515 string form)."""
    budget[0] -= 1
    if budget[0] < 0:
        return "..."
    t = tlv.tag
    if tlv.cls != CONTEXT:
        raise BadValue("Filter is not a context-specific choice", tlv.offset)
    if t in (0, 1):  # and, or
        return (
            "("
            + ("&" if t == 0 else "|")
            + "".join(_filter(k, budget) for k in tlv.children())
            + ")"
        )
    if t == 2:  # not
        return "(!" + _filter(tlv.only_child("not"), budget) + ")"
    if t == 7:  # present: AttributeDescription, primitive
        return f"({tlv.as_text()}=*)"
    kids = tlv.children()
    if t in (3, 5, 6, 8) and len(kids) == 2:  # AttributeValueAssertion
        op = {3: "=", 5: ">=", 6: "<=", 8: "~="}[t]
        return f"({kids[0].as_text()}{op}{kids[1].as_text()})"
    if t == 4 and len(kids) == 2:  # substrings: type, SEQUENCE OF [0] initial/[1] any/[2] final
        parts = {0: "", 1: "", 2: ""}
        middle: list[str] = []
        for sub in kids[1].children():
            if sub.tag == 1:
                middle.append(sub.as_text())
            elif sub.tag in (0, 2):
                parts[sub.tag] = sub.as_text()
        return f"({kids[0].as_text()}={parts[0]}*{''.join(m + '*' for m in middle)}{parts[2]})"
    if t == 9:  # extensibleMatch: [1] rule, [2] type, [3] value, [4] dnAttributes
        by_tag = {k.tag: k for k in kids}
        attr = by_tag[2].as_text() if 2 in by_tag else ""
        rule = ":" + by_tag[1].as_text() if 1 in by_tag else ""
        value = by_tag[3].as_text() if 3 in by_tag else ""
        return f"({attr}{rule}:={value})"
    raise BadValue(f"Filter choice {t} malformed", tlv.offset)


def _op_fields(op: Tlv, show_passwords: bool) -> dict[str, object]:
    """The decoded fields of a protocolOp."""
    t = op.tag
    if t in _NO_RESPONSE:
        if op.constructed:
            raise BadValue(f"{op_name(t)} must be primitive", op.offset)
        return {}
    if not op.constructed:
        raise BadValue(f"{op_name(t)} must be constructed", op.offset)
    items = op.children()
    if t == Op.BIND_REQUEST:  # version, name, authentication (RFC 4511 §4.2)
        if len(items) != 3:
            raise BadValue("BindRequest needs 3 components", op.offset)
        auth = items[2]
        if auth.cls != CONTEXT:
            raise BadValue("AuthenticationChoice is not context-specific", auth.offset)
        fields: dict[str, object] = {
            "version": items[0].expect(UNIVERSAL, INTEGER, "version").as_int(),
            "bind_name": items[1].as_text(),
            "auth_type": _AUTH_NAMES.get(auth.tag, f"auth{auth.tag}"),
        }
        if auth.tag == 0:
            password = auth.as_text()
            fields["password"] = password if show_passwords or not password else "<redacted>"
        else:
            if auth.tag == 3:  # SaslCredentials ::= SEQUENCE { mechanism, credentials OPTIONAL }
                fields["sasl_mechanism"] = auth.children()[0].as_text() if auth.value else ""
            # NTLM: SASL NTLM or GSS-SPNEGO credentials, or a Sicily response (MS-ADTS 5.1.1.1)
            who = ntlm.authenticate(auth.value)
            if who is not None:
                fields.update(ntlm_user=who.user, ntlm_domain=who.domain, ntlm_host=who.host)
            # Kerberos: a SASL GSSAPI or GSS-SPNEGO token carrying an AP-REQ (RFC 4752)
            ticket = ap_request(auth.value)
            if ticket is not None:
                fields["_ap_req"] = ticket
        return fields
    if t == Op.SEARCH_REQUEST:  # base, scope, deref, size, time, typesOnly, filter, attrs
        if len(items) != 8:
            raise BadValue("SearchRequest needs 8 components", op.offset)
        scope = items[1].expect(UNIVERSAL, ENUMERATED, "scope").as_int()
        summary = _filter(items[6], [64])
        if len(summary) > LDAP_MAX_FILTER_CHARS:
            summary = summary[:LDAP_MAX_FILTER_CHARS] + "..."
        return {"base_object": items[0].as_text(), "scope": scope,
                "scope_name": _SCOPES.get(scope, f"scope{scope}"), "filter": summary}  # fmt: skip
    if t == Op.EXTENDED_REQUEST:  # [0] requestName, [1] requestValue OPTIONAL (§4.12)
        return {"extended_name": items[0].as_text() if items and items[0].tag == 0 else None}
    if t == Op.BIND_RESPONSE:  # LDAPResult, serverSaslCreds [7] (Sicily: in matchedDN)
        fields = _result(items)
        answer = gss_message(op.value)  # an AP-REP or KRB-ERROR in serverSaslCreds
        if answer is not None:
            fields["_ap_answer"] = answer
        server = ntlm.challenge(op.value)
        if server is not None:
            fields.update(ntlm_server_nb_name=server.nb_computer,
                          ntlm_server_dns_name=server.dns_computer,
                          ntlm_server_tree=server.dns_tree)
            if fields["matched_dn"] and "NTLMSSP" in str(fields["matched_dn"]):
                fields["matched_dn"] = None  # the Sicily challenge, not a DN
        return fields
    if t in _REQUEST_FOR:  # every response is an LDAPResult (+ ...)
        return _result(items)
    return {}


def parse_message(data: bytes, show_passwords: bool = False) -> _Message:
    """One whole LDAPMessage (RFC 4511 §4.1.1)."""
    msg, end = read_tlv(data)
    if end != len(data):
        raise BadValue("bytes after the LDAPMessage", end)
    msg.expect(UNIVERSAL, SEQUENCE, "LDAPMessage")
    items = msg.children()
    if len(items) < 2:
        raise BadValue("LDAPMessage without protocolOp", msg.offset)
    message_id = items[0].expect(UNIVERSAL, INTEGER, "messageID").as_int()
    if not 0 <= message_id <= 2**31 - 1:
        raise BadValue(f"messageID {message_id} out of range", items[0].offset)
    op = items[1]
    if op.cls != APPLICATION:
        raise BadValue("protocolOp is not an APPLICATION tag", op.offset)
    return _Message(message_id, op.tag, _op_fields(op, show_passwords))


@dataclass(slots=True)
class LdapRecord(Event):
    """One LDAP operation: a request and its (final) response, paired by message id."""

    table: ClassVar[str | None] = "ldap"

    message_id: int
    """messageID (RFC 4511 §4.1.1.1)."""
    opcode: int
    """protocolOp tag of the request (of the response when no request was seen)."""
    opcode_name: str
    """Readable twin of ``opcode`` (bind_request, search_request, ...)."""
    version: int | None
    """Bind: the protocol version (3; 2 is obsolete)."""
    bind_name: str | None
    """Bind: the DN (or user name) binding."""
    auth_type: str | None
    """Bind: simple, sasl, or Microsoft's sicily_* (NTLM)."""
    password: str | None
    """Simple bind password: ``<redacted>`` unless shown; ``""`` for an unauthenticated bind."""
    sasl_mechanism: str | None
    """SASL bind: the mechanism (GSSAPI, GSS-SPNEGO, DIGEST-MD5, ...)."""
    base_object: str | None
    """Search: the base DN."""
    scope: int | None
    """Search: scope (0 base, 1 one level, 2 subtree)."""
    scope_name: str | None
    """Readable twin of ``scope``."""
    filter: str | None
    """Search: the filter in RFC 4515 string form (a summary, capped)."""
    search_entries: int
    """Search: SearchResultEntry messages received before the done message."""
    extended_name: str | None
    """Extended request: the OID (1.3.6.1.4.1.1466.20037 = StartTLS)."""
    result_code: int | None
    """resultCode of the response (None when no response was seen)."""
    result_name: str | None
    """Readable twin of ``result_code`` (success, invalid_credentials, ...)."""
    matched_dn: str | None
    """matchedDN of the response."""
    diagnostic_message: str | None
    """diagnosticMessage of the response."""
    ntlm_user: str | None
    """Bind with NTLM (SASL NTLM or GSS-SPNEGO, Sicily): the AUTHENTICATE message's user."""
    ntlm_domain: str | None
    """Its domain."""
    ntlm_host: str | None
    """Its workstation."""
    ntlm_server_nb_name: str | None
    """Bind response carrying an NTLM CHALLENGE: the server's NetBIOS computer name."""
    ntlm_server_dns_name: str | None
    """Its DNS computer name."""
    ntlm_server_tree: str | None
    """Its forest (DNS tree) name."""
    has_request: bool
    """The request was seen."""
    has_response: bool
    """The (final) response was seen."""
    rtt_ns: int | None
    """Response time minus request time, when both were seen (the ``rtt`` column, s)."""


_RECORD_KEYS = ("version", "bind_name", "auth_type", "password", "sasl_mechanism", "base_object",
                "scope", "scope_name", "filter", "extended_name", "ntlm_user", "ntlm_domain",
                "ntlm_host")  # fmt: skip
_RESULT_KEYS = ("result_code", "result_name", "matched_dn", "diagnostic_message",
                "ntlm_server_nb_name", "ntlm_server_dns_name", "ntlm_server_tree")


class LdapDissector(Dissector):
    """LDAP over TCP, CLDAP over UDP."""

    name: ClassVar[str] = "ldap"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP, IPPROTO_UDP))
    ports: ClassVar[frozenset[int]] = frozenset((389, 3268))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x30,))
    """``matches``: ``payload[0] == 0x30``, the LDAPMessage SEQUENCE (RFC 4511 §4.1.1)."""
    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto)
        self.show_passwords = show_passwords
        """Keep simple-bind passwords in clear (off by default: they are credentials)."""
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._pending: dict[int, tuple[_Message, int, int]] = {}  # id -> (request, ts, entries)
        self._may_wrap = False

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """SEQUENCE (0x30) with a definite length fitting the payload (TCP: at least the
        start of it), INTEGER messageID of 1-4 octets, then an APPLICATION tag of a known
        operation (a request from the originator, a response from the responder)."""
        n = len(payload)
        if n < 7 or payload[0] != 0x30:
            return False
        first = payload[1]
        if first < 0x80:
            length, p = first, 2
        elif 0x81 <= first <= 0x84:
            k = first & 0x7F
            length, p = int.from_bytes(payload[2 : 2 + k], "big"), 2 + k
        else:
            return False
        if length < 5 or (proto == IPPROTO_UDP and p + length != n) or length > LDAP_MAX_MESSAGE:
            return False
        if p + 2 >= n or payload[p] != 0x02 or not 1 <= payload[p + 1] <= 4:
            return False
        q = p + 2 + payload[p + 1]
        if q + 1 >= n:
            return False
        tag = payload[q]
        if tag & 0xC0 != 0x40:
            return False
        number, constructed = tag & 0x1F, bool(tag & 0x20)
        if from_orig:
            if number in _NO_RESPONSE:
                return not constructed
            return constructed and number in _REQUESTS
        return constructed and (number in _REQUEST_FOR or number in _PARTIAL)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """A datagram (CLDAP) or the next stream bytes of one direction."""
        if self.done:
            return []
        if self.proto == IPPROTO_UDP:
            return self._on_message(parse_message(data, self.show_passwords), from_orig, ts_ns)
        buf = self._bufs[from_orig]
        buf += data
        events: list[Event] = []
        while buf:
            if buf[0] != 0x30 and self._may_wrap:
                self.done = True  # a SASL security layer or TLS took over
                if buf[:2] == b"\x16\x03":  # a TLS handshake record (StartTLS, RFC 4511 §4.14)
                    self.upgrade = "tls"
                    self.upgrade_data = ((from_orig, bytes(buf)),)
                buf.clear()
                break
            size = tlv_size(bytes(buf[:6]))
            if size is None:
                break
            if size > LDAP_MAX_MESSAGE:
                raise LimitExceeded(f"LDAPMessage of {size} bytes", 0)
            if len(buf) < size:
                break
            raw = bytes(buf[:size])
            del buf[:size]
            events.extend(
                self._on_message(parse_message(raw, self.show_passwords), from_orig, ts_ns)
            )
        return events

    def finish(self) -> list[Event]:
        """Emit the requests still waiting for a response."""
        events: list[Event] = [_record(m, ts, None, 0, n) for m, ts, n in self._pending.values()]
        self._pending.clear()
        return events

    def _on_message(self, msg: _Message, from_orig: bool, ts_ns: int) -> list[Event]:
        op = msg.op
        if op in _REQUESTS:
            if op in _NO_RESPONSE:
                return [_record(msg, ts_ns, None, 0, 0)]
            events: list[Event] = []
            old = self._pending.pop(msg.message_id, None)
            if old is not None:
                events.append(_record(old[0], old[1], None, 0, old[2]))
            self._pending[msg.message_id] = (msg, ts_ns, 0)
            if len(self._pending) > LDAP_MAX_PENDING:
                oldest = next(iter(self._pending))
                m, ts, n = self._pending.pop(oldest)
                events.append(_record(m, ts, None, 0, n))
            return events
        if op in _PARTIAL:
            pending = self._pending.get(msg.message_id)
            if pending is not None and op == Op.SEARCH_RESULT_ENTRY:
                self._pending[msg.message_id] = (pending[0], pending[1], pending[2] + 1)
            return []
        if op not in _REQUEST_FOR:
            raise BadValue(f"unknown LDAP operation {op}")
        if msg.fields.get("result_code") == 0:
            asked = self._pending.get(msg.message_id)
            if (
                op == Op.EXTENDED_RESPONSE
                and asked
                and asked[0].fields.get("extended_name") == STARTTLS_OID
            ):
                self._may_wrap = True
            if op == Op.BIND_RESPONSE and asked and asked[0].fields.get("auth_type") != "simple":
                self._may_wrap = True
        pending = self._pending.pop(msg.message_id, None)
        if pending is None:
            return [_record(None, ts_ns, msg, 0, 0)]
        req, req_ts, entries = pending
        events = [_record(req, req_ts, msg, ts_ns - req_ts, entries)]
        ticket = req.fields.get("_ap_req")
        if isinstance(ticket, KrbMessage):  # a kerberos row for the AP exchange of the bind
            code = msg.fields.get("result_code")
            accepted = None if code == ResultCode.SASL_BIND_IN_PROGRESS else code == 0
            answer = msg.fields.get("_ap_answer")
            events.append(ap_record(ticket, req_ts, answer if isinstance(answer, KrbMessage)
                                    else None, ts_ns, accepted))
        return events


def _record(
    req: _Message | None, ts_ns: int, resp: _Message | None, rtt_ns: int, entries: int
) -> LdapRecord:
    first = req if req is not None else resp
    if first is None:
        raise ParseError("internal: an operation without request nor response")
    values: dict[str, object] = dict.fromkeys(_RECORD_KEYS + _RESULT_KEYS)
    if req is not None:
        values.update({k: v for k, v in req.fields.items() if k in _RECORD_KEYS})
    if resp is not None:
        values.update({k: v for k, v in resp.fields.items() if k in _RESULT_KEYS})
    return LdapRecord(
        ts_ns=ts_ns,
        message_id=first.message_id,
        opcode=first.op,
        opcode_name=op_name(first.op),
        search_entries=entries,
        has_request=req is not None,
        has_response=resp is not None,
        rtt_ns=rtt_ns if (req is not None and resp is not None) else None,
        **values,  # type: ignore[arg-type]
    )
