"""Kerberos V5 KDC exchanges (RFC 4120) over UDP and TCP, one :class:`KerberosRecord` per
request/response pair (Zeek ``kerberos.log`` style).

Messages are DER (RFC 4120 §5.1), read with the private :mod:`.asn1` reader: AS-REQ
[APPLICATION 10] and TGS-REQ [12] (``KDC-REQ``, §5.4.1), AS-REP [11] and TGS-REP [13]
(``KDC-REP``, §5.4.2) and KRB-ERROR [30] (§5.9.1). Over TCP each message is preceded by a
4-byte big-endian length whose top bit is reserved and must be zero (§7.2.2). A KDC answers
requests in order, so a reply (or an error) is paired with the oldest request waiting.

Kept from requests: realm, client and service principals, KDC options forwardable and
renewable, ``from``/``till``, requested encryption types. From replies: the ticket's
encryption type (Zeek's ``cipher``) and the client principal; from errors: the error code
and text. Encrypted parts and pre-authentication data are not decrypted or decoded.

AP exchanges (a client presenting its ticket to a service, §3.2) travel inside other
protocols' GSS-API tokens (SMB session setups, LDAP SASL binds, HTTP Negotiate headers):
:func:`gss_message` finds one in a security blob and :func:`ap_record` makes their row
(request type ``AP``; the ticket's realm, service and encryption type; the client is inside
the encrypted authenticator).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.asn1 import APPLICATION, CONTEXT, INTEGER, SEQUENCE, UNIVERSAL, Tlv, read_tlv
from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError, TrailingJunk

__all__ = ["ErrorCode", "KerberosDissector", "KerberosRecord", "KrbMessage", "MsgType", "ap_record", "ap_request",
           "gss_message", "parse_message"]

KRB_MAX_MESSAGE = 256 * 1024
"""Bytes of one message over TCP. Tickets with a Windows PAC of a user in many groups reach
tens of KiB (MaxTokenSize is 48 KiB by default, 64 KiB at most); 256 KiB leaves room."""

KRB_MAX_PENDING = 64
"""Requests waiting for their reply in one flow (clients send one at a time)."""

KRB_MAX_ETYPES = 64
"""Encryption types kept from a request (real clients list under 10)."""


class MsgType(IntEnum):
    """Message types: the APPLICATION tag and the msg-type field (RFC 4120 §5.10)."""

    AS_REQ = 10
    AS_REP = 11
    TGS_REQ = 12
    TGS_REP = 13
    AP_REQ = 14
    AP_REP = 15
    KRB_ERROR = 30


class ErrorCode(IntEnum):
    """Error codes (RFC 4120 §7.5.9, RFC 4556 §3.1.3, RFC 6113 §5.4.3)."""

    KDC_ERR_NONE = 0
    KDC_ERR_NAME_EXP = 1
    KDC_ERR_SERVICE_EXP = 2
    KDC_ERR_BAD_PVNO = 3
    KDC_ERR_C_OLD_MAST_KVNO = 4
    KDC_ERR_S_OLD_MAST_KVNO = 5
    KDC_ERR_C_PRINCIPAL_UNKNOWN = 6
    KDC_ERR_S_PRINCIPAL_UNKNOWN = 7
    KDC_ERR_PRINCIPAL_NOT_UNIQUE = 8
    KDC_ERR_NULL_KEY = 9
    KDC_ERR_CANNOT_POSTDATE = 10
    KDC_ERR_NEVER_VALID = 11
    KDC_ERR_POLICY = 12
    KDC_ERR_BADOPTION = 13
    KDC_ERR_ETYPE_NOSUPP = 14
    KDC_ERR_SUMTYPE_NOSUPP = 15
    KDC_ERR_PADATA_TYPE_NOSUPP = 16
    KDC_ERR_TRTYPE_NOSUPP = 17
    KDC_ERR_CLIENT_REVOKED = 18
    KDC_ERR_SERVICE_REVOKED = 19
    KDC_ERR_TGT_REVOKED = 20
    KDC_ERR_CLIENT_NOTYET = 21
    KDC_ERR_SERVICE_NOTYET = 22
    KDC_ERR_KEY_EXPIRED = 23
    KDC_ERR_PREAUTH_FAILED = 24
    KDC_ERR_PREAUTH_REQUIRED = 25
    KDC_ERR_SERVER_NOMATCH = 26
    KDC_ERR_MUST_USE_USER2USER = 27
    KDC_ERR_PATH_NOT_ACCEPTED = 28
    KDC_ERR_SVC_UNAVAILABLE = 29
    KRB_AP_ERR_BAD_INTEGRITY = 31
    KRB_AP_ERR_TKT_EXPIRED = 32
    KRB_AP_ERR_TKT_NYV = 33
    KRB_AP_ERR_REPEAT = 34
    KRB_AP_ERR_NOT_US = 35
    KRB_AP_ERR_BADMATCH = 36
    KRB_AP_ERR_SKEW = 37
    KRB_AP_ERR_BADADDR = 38
    KRB_AP_ERR_BADVERSION = 39
    KRB_AP_ERR_MSG_TYPE = 40
    KRB_AP_ERR_MODIFIED = 41
    KRB_AP_ERR_BADORDER = 42
    KRB_AP_ERR_BADKEYVER = 44
    KRB_AP_ERR_NOKEY = 45
    KRB_AP_ERR_MUT_FAIL = 46
    KRB_AP_ERR_BADDIRECTION = 47
    KRB_AP_ERR_METHOD = 48
    KRB_AP_ERR_BADSEQ = 49
    KRB_AP_ERR_INAPP_CKSUM = 50
    KRB_AP_PATH_NOT_ACCEPTED = 51
    KRB_ERR_RESPONSE_TOO_BIG = 52
    KRB_ERR_GENERIC = 60
    KRB_ERR_FIELD_TOOLONG = 61
    KDC_ERR_CLIENT_NOT_TRUSTED = 62
    KDC_ERR_KDC_NOT_TRUSTED = 63
    KDC_ERR_INVALID_SIG = 64
    KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED = 65
    KDC_ERR_CERTIFICATE_MISMATCH = 66
    KRB_AP_ERR_NO_TGT = 67
    KDC_ERR_WRONG_REALM = 68
    KRB_AP_ERR_USER_TO_USER_REQUIRED = 69
    KDC_ERR_CANT_VERIFY_CERTIFICATE = 70
    KDC_ERR_INVALID_CERTIFICATE = 71
    KDC_ERR_REVOKED_CERTIFICATE = 72
    KDC_ERR_REVOCATION_STATUS_UNKNOWN = 73
    KDC_ERR_REVOCATION_STATUS_UNAVAILABLE = 74
    KDC_ERR_CLIENT_NAME_MISMATCH = 75
    KDC_ERR_KDC_NAME_MISMATCH = 76
    KDC_ERR_PREAUTH_EXPIRED = 90
    KDC_ERR_MORE_PREAUTH_DATA_REQUIRED = 91


ETYPE_NAMES = {
    1: "des-cbc-crc", 2: "des-cbc-md4", 3: "des-cbc-md5", 5: "des3-cbc-md5",
    7: "des3-cbc-sha1", 16: "des3-cbc-sha1-kd", 17: "aes128-cts-hmac-sha1-96",
    18: "aes256-cts-hmac-sha1-96", 19: "aes128-cts-hmac-sha256-128",
    20: "aes256-cts-hmac-sha384-192", 23: "rc4-hmac", 24: "rc4-hmac-exp",
    25: "camellia128-cts-cmac", 26: "camellia256-cts-cmac",
}  # fmt: skip
"""Encryption type numbers (RFC 3961 §8, RFC 3962, RFC 4757, RFC 6803, RFC 8009; IANA
Kerberos parameters). Negative values are private (Microsoft)."""

_MSG_NAMES = {m.value: m.name.replace("_", "-") for m in MsgType}
_ERROR_NAMES = {m.value: m.name for m in ErrorCode}
_REQUESTS = frozenset((MsgType.AS_REQ, MsgType.TGS_REQ))
_KDC_TAGS = frozenset((10, 11, 12, 13, 30))


def msg_type_name(code: int) -> str:
    """Readable twin of a message type (AS-REQ, TGS-REP, KRB-ERROR, ...)."""
    return _MSG_NAMES.get(code, f"MSG{code}")


def error_name(code: int) -> str:
    """Readable twin of an error code (e.g. KDC_ERR_PREAUTH_REQUIRED)."""
    return _ERROR_NAMES.get(code, f"ERROR{code}")


def etype_name(code: int) -> str:
    """Readable twin of an encryption type."""
    return ETYPE_NAMES.get(code, f"etype{code}")


@dataclass(slots=True)
class KrbMessage:
    """The decoded parts of one KDC message."""

    msg_type: int
    fields: dict[str, object]


def _tagged(seq: Tlv, what: str) -> dict[int, Tlv]:
    """The explicitly tagged components of a SEQUENCE: {context tag: inner element}."""
    seq.expect(UNIVERSAL, SEQUENCE, what)
    out: dict[int, Tlv] = {}
    for item in seq.children():
        if item.cls != CONTEXT or item.tag in out:
            raise BadValue(f"{what}: unexpected component {item.cls}/{item.tag}", item.offset)
        out[item.tag] = item.only_child(what)
    return out


def _principal(tlv: Tlv) -> str:
    """PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF
    KerberosString } (§5.2.2), as the components joined by ``/``."""
    parts = _tagged(tlv, "PrincipalName")
    names = parts.get(1)
    if names is None:
        raise BadValue("PrincipalName without name-string", tlv.offset)
    return "/".join(
        n.as_text() for n in names.expect(UNIVERSAL, SEQUENCE, "name-string").children()
    )


def _int(tlv: Tlv, what: str) -> int:
    return tlv.expect(UNIVERSAL, INTEGER, what).as_int()


def _pvno_and_type(parts: dict[int, Tlv], pvno_tag: int, tag: int, offset: int) -> None:
    if pvno_tag not in parts or _int(parts[pvno_tag], "pvno") != 5:
        raise BadValue("Kerberos pvno is not 5", offset)
    if pvno_tag + 1 not in parts or _int(parts[pvno_tag + 1], "msg-type") != tag:
        raise BadValue("Kerberos msg-type differs from its APPLICATION tag", offset)


def _kdc_req(parts: dict[int, Tlv], offset: int) -> dict[str, object]:
    """KDC-REQ-BODY (§5.4.1): options, cname, realm, sname, from, till, nonce, etype."""
    if 4 not in parts:
        raise BadValue("KDC-REQ without req-body", offset)
    body = _tagged(parts[4], "KDC-REQ-BODY")
    fields: dict[str, object] = {}
    options = body.get(0)
    if options is not None and len(options.value) >= 3:  # BIT STRING: unused-bits octet first
        fields["forwardable"] = bool(options.value[1] & 0x40)  # bit 1 (§5.4.1)
        fields["renewable"] = bool(options.value[2] & 0x80)  # bit 8
    if 1 in body:
        fields["cname"] = _principal(body[1])
    if 2 in body:
        fields["realm"] = body[2].as_text()
    if 3 in body:
        fields["sname"] = _principal(body[3])
    if 4 in body:
        fields["from_time"] = body[4].as_time_ns()
    if 5 in body:
        fields["till_time"] = body[5].as_time_ns()
    if 8 in body:
        etypes = [_int(e, "etype") for e in body[8].expect(UNIVERSAL, SEQUENCE, "etype").children()]
        if len(etypes) > KRB_MAX_ETYPES:
            raise LimitExceeded(f"{len(etypes)} encryption types", body[8].offset)
        fields["etypes"] = tuple(etypes)
    return fields


def _kdc_rep(parts: dict[int, Tlv]) -> dict[str, object]:
    """KDC-REP (§5.4.2): crealm, cname and the ticket's enc-part etype."""
    fields: dict[str, object] = {}
    if 3 in parts:
        fields["reply_realm"] = parts[3].as_text()
    if 4 in parts:
        fields["reply_cname"] = _principal(parts[4])
    if 5 in parts:
        _, sname, etype = _ticket(parts[5])
        if sname is not None:
            fields["reply_sname"] = sname
        if etype is not None:
            fields["ticket_etype"] = etype
    return fields


def _ticket(tlv: Tlv) -> tuple[str | None, str | None, int | None]:
    """(realm, service, enc-part etype) of a Ticket ::= [APPLICATION 1] SEQUENCE {
    tkt-vno [0], realm [1], sname [2], enc-part [3] EncryptedData } (§5.3)."""
    inner = _tagged(tlv.expect(APPLICATION, 1, "Ticket").only_child("Ticket"), "Ticket")
    realm = inner[1].as_text() if 1 in inner else None
    sname = _principal(inner[2]) if 2 in inner else None
    etype = None
    if 3 in inner:
        enc = _tagged(inner[3], "EncryptedData")
        if 0 in enc:
            etype = _int(enc[0], "etype")
    return realm, sname, etype


def _krb_error(parts: dict[int, Tlv]) -> dict[str, object]:
    """KRB-ERROR (§5.9.1): error-code [6], crealm [7], cname [8], realm [9], sname [10],
    e-text [11]."""
    if 6 not in parts:
        raise BadValue("KRB-ERROR without error-code")
    fields: dict[str, object] = {"error_code": _int(parts[6], "error-code")}
    if 8 in parts:
        fields["reply_cname"] = _principal(parts[8])
    if 9 in parts:
        fields["reply_realm"] = parts[9].as_text()
    if 10 in parts:
        fields["reply_sname"] = _principal(parts[10])
    if 11 in parts:
        fields["error_text"] = parts[11].as_text()
    return fields


def parse_message(data: bytes) -> KrbMessage:
    """One whole KDC message (AS/TGS request or reply, or KRB-ERROR)."""
    top, end = read_tlv(data)
    if end != len(data):
        raise TrailingJunk("bytes after the Kerberos message", end)
    if top.cls != APPLICATION or top.tag not in _KDC_TAGS:
        raise BadValue(f"not a KDC message (class {top.cls}, tag {top.tag})", 0)
    parts = _tagged(top.only_child("Kerberos message"), msg_type_name(top.tag))
    if top.tag in _REQUESTS:
        _pvno_and_type(parts, 1, top.tag, top.offset)
        return KrbMessage(top.tag, _kdc_req(parts, top.offset))
    _pvno_and_type(parts, 0, top.tag, top.offset)
    if top.tag == MsgType.KRB_ERROR:
        return KrbMessage(top.tag, _krb_error(parts))
    return KrbMessage(top.tag, _kdc_rep(parts))


_GSS_KRB5_OIDS = (bytes.fromhex("06092a864886f712010202"), bytes.fromhex("06092a864882f712010202"))
"""DER of the Kerberos V5 GSS-API mechanism OID 1.2.840.113554.1.2.2 (RFC 4121 §1) and of
1.2.840.48018.1.2.2, which Windows also sends."""

_GSS_TOKENS = {b"\x01\x00": 0x60 | MsgType.AP_REQ, b"\x02\x00": 0x60 | MsgType.AP_REP,
               b"\x03\x00": 0x60 | MsgType.KRB_ERROR}
"""TOK_ID of a krb5 GSS-API token (RFC 4121 §4.1) -> the DER tag of the message it carries."""


def gss_message(blob: bytes) -> KrbMessage | None:
    """The AP-REQ, AP-REP or KRB-ERROR of a Kerberos GSS-API token inside ``blob`` (an SPNEGO
    mechToken or responseToken, RFC 4178, or a bare token): found by the mechanism OID, a
    TOK_ID and the message's tag right after it (SPNEGO's own lists of OIDs are followed by
    neither). None when there is none; a damaged message raises :class:`ParseError`."""
    for oid in _GSS_KRB5_OIDS:
        at = blob.find(oid)
        while at >= 0:
            p = at + len(oid)
            tag = _GSS_TOKENS.get(blob[p : p + 2])
            if tag is not None and blob[p + 2 : p + 3] == bytes((tag,)):
                return _ap_message(blob[p + 2 :], p + 2)
            at = blob.find(oid, p)
    return None


def ap_request(blob: bytes) -> KrbMessage | None:
    """The AP-REQ of a client's security token (:func:`gss_message`), or None."""
    found = gss_message(blob)
    return found if found is not None and found.msg_type == MsgType.AP_REQ else None


def _ap_message(data: bytes, offset: int) -> KrbMessage:
    """AP-REQ (§5.5.1: pvno, msg-type, ap-options, ticket, authenticator), AP-REP (§5.5.2)
    or KRB-ERROR; bytes after it (an SPNEGO mechListMIC, ...) are not this message's."""
    top, _ = read_tlv(data)
    parts = _tagged(top.only_child("Kerberos message"), msg_type_name(top.tag))
    _pvno_and_type(parts, 0, top.tag, offset)
    if top.tag == MsgType.KRB_ERROR:
        return KrbMessage(top.tag, _krb_error(parts))
    if top.tag == MsgType.AP_REP:
        return KrbMessage(top.tag, {})
    if 3 not in parts:
        raise BadValue("AP-REQ without a ticket", offset)
    realm, sname, etype = _ticket(parts[3])
    return KrbMessage(top.tag, {"realm": realm, "sname": sname, "ticket_etype": etype})


def ap_record(req: KrbMessage, ts_ns: int, rep: KrbMessage | None, rep_ts_ns: int,
              accepted: bool | None) -> KerberosRecord:
    """The row of an AP exchange: ``req`` an AP-REQ from :func:`gss_message`, ``rep`` the
    AP-REP or KRB-ERROR of the answer (None: none was carried), ``accepted`` what the
    carrying protocol said (e.g. the session setup's status; None: nothing final), used
    when no Kerberos answer says it."""
    row = _record(req, ts_ns, rep, rep_ts_ns - ts_ns)
    if rep is None and accepted is not None:
        return replace(row, success=accepted)
    return row


@dataclass(slots=True)
class KerberosRecord(Event):
    """One KDC exchange: a request and its reply or error."""

    table: ClassVar[str | None] = "kerberos"

    request_type: str | None
    """AS, TGS, or AP (a ticket presented to a service inside another protocol's GSS-API
    token); None when only a reply was seen."""
    msg_type: int
    """Message type of the request (of the reply when no request was seen)."""
    msg_type_name: str
    """Readable twin of ``msg_type`` (AS-REQ, TGS-REQ, ...)."""
    reply_msg_type: int | None
    """Message type of the reply: AS-REP, TGS-REP or KRB-ERROR (None when unanswered)."""
    reply_msg_type_name: str | None
    """Readable twin of ``reply_msg_type``."""
    realm: str | None
    """Realm of the request (of the reply when unpaired)."""
    cname: str | None
    """Client principal, components joined by ``/`` (from the request, else the reply)."""
    sname: str | None
    """Service principal, components joined by ``/`` (krbtgt/REALM for a TGT)."""
    etypes: tuple[int, ...]
    """Encryption types the client asked for, in its order of preference."""
    etype_names: tuple[str, ...]
    """Readable twins of ``etypes`` (aes256-cts-hmac-sha1-96, rc4-hmac, ...)."""
    forwardable: bool | None
    """KDC option forwardable asked."""
    renewable: bool | None
    """KDC option renewable asked."""
    from_time: int | None
    """Requested start time (ns since the epoch), when given."""
    till_time: int | None
    """Requested expiry (ns since the epoch)."""
    ticket_etype: int | None
    """Encryption type of the returned ticket, or of the ticket presented in an AP exchange
    (Zeek's ``cipher``)."""
    ticket_etype_name: str | None
    """Readable twin of ``ticket_etype``."""
    success: bool | None
    """True for a ticket (an AP-REP, or a carrying protocol that accepted the AP-REQ), False
    for a KRB-ERROR (or a carrying protocol that refused it), None when unanswered."""
    error_code: int | None
    """KRB-ERROR error-code."""
    error_name: str | None
    """Readable twin of ``error_code`` (KDC_ERR_PREAUTH_REQUIRED, ...)."""
    error_text: str | None
    """KRB-ERROR e-text, when sent."""
    has_request: bool
    """The request was seen."""
    has_response: bool
    """The reply or error was seen."""
    rtt_ns: int | None
    """Reply time minus request time, when both were seen (the ``rtt`` column, s)."""


class KerberosDissector(Dissector):
    """Kerberos KDC exchanges over UDP (a message per datagram) or TCP (length-prefixed)."""

    name: ClassVar[str] = "kerberos"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP, IPPROTO_UDP))
    datagrams_stand_alone: ClassVar[bool] = True
    ports: ClassVar[frozenset[int]] = frozenset((88,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (  # after the mark
        Screen(16, values=((4, frozenset(0x60 | tag for tag in _KDC_TAGS)),)),)}
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,)) | frozenset(
        0x60 | tag for tag in _KDC_TAGS)
    """``matches``: over TCP the record mark's high byte (``mark <= KRB_MAX_MESSAGE`` <
    2**24, RFC 4120 §7.2.2) is 0; over UDP an [APPLICATION n] tag ``0x60 | n`` of
    ``_KDC_TAGS``."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._pending: list[tuple[KrbMessage, int]] = []

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """[APPLICATION 10/12] (from the originator) or [11/13/30] (from the responder) with
        a definite length covering the message, then a SEQUENCE whose first component is
        the pvno, 5: ``[1] INTEGER 5`` in requests, ``[0] INTEGER 5`` in replies. Over TCP
        the 4-byte record mark must be at least the bytes that follow in the segment, unless
        the message ends exactly where the mark says (the next record follows in the same
        segment: suricata-verify bug-8278-krb5-01 sends an AS-REQ and a TGS-REQ in one)."""
        p = mark = 0
        if proto == IPPROTO_TCP:
            if len(payload) < 4 or payload[0] & 0x80:
                return False
            mark = int.from_bytes(payload[:4], "big")
            if not 0 < mark <= KRB_MAX_MESSAGE:
                return False
            p = 4
        if len(payload) < p + 12:
            return False
        tag = payload[p] ^ 0x60
        if tag not in _KDC_TAGS or (tag in _REQUESTS) != from_orig:
            return False
        q, total = _length(payload, p + 1)
        if q < 0 or (proto == IPPROTO_UDP and q + total != len(payload)):
            return False
        if p and mark < len(payload) - 4 and q + total != 4 + mark:  # (TCP: records follow)
            return False
        if payload[q] != 0x30:
            return False
        r, _ = _length(payload, q + 1)
        if r < 0 or r + 5 > len(payload):
            return False
        pvno_tag = 0xA1 if tag in _REQUESTS else 0xA0
        return payload[r : r + 5] == bytes((pvno_tag, 3, 2, 1, 5))

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """A datagram (UDP) or the next stream bytes of one direction (TCP)."""
        if self.proto == IPPROTO_UDP:
            return self._on_message(parse_message(data), ts_ns)
        buf = self._bufs[from_orig]
        buf += data
        events: list[Event] = []
        while len(buf) >= 4:
            if buf[0] & 0x80:  # §7.2.2: the high bit is reserved (a longer length extension)
                raise BadValue("Kerberos TCP record mark with the reserved bit set", 0)
            size = int.from_bytes(buf[:4], "big")
            if size > KRB_MAX_MESSAGE:
                raise LimitExceeded(f"Kerberos message of {size} bytes", 0)
            if len(buf) < 4 + size:
                break
            raw = bytes(buf[4 : 4 + size])
            del buf[: 4 + size]
            events.extend(self._on_message(parse_message(raw), ts_ns))
        return events

    def finish(self) -> list[Event]:
        """Emit the requests still waiting for a reply."""
        events: list[Event] = [_record(m, ts, None, 0) for m, ts in self._pending]
        self._pending.clear()
        return events

    def _on_message(self, msg: KrbMessage, ts_ns: int) -> list[Event]:
        if msg.msg_type in _REQUESTS:
            self._pending.append((msg, ts_ns))
            if len(self._pending) > KRB_MAX_PENDING:
                old, ts = self._pending.pop(0)
                return [_record(old, ts, None, 0)]
            return []
        if not self._pending:
            return [_record(None, ts_ns, msg, 0)]
        req, req_ts = self._pending.pop(0)
        return [_record(req, req_ts, msg, ts_ns - req_ts)]


def _length(data: bytes, p: int) -> tuple[int, int]:
    """(offset after a DER length at ``p``, the length); (-1, 0) if not a definite length."""
    if p >= len(data):
        return -1, 0
    n = data[p]
    if n < 0x80:
        return p + 1, n
    k = n & 0x7F
    if not 1 <= k <= 3 or p + 1 + k > len(data):
        return -1, 0
    return p + 1 + k, int.from_bytes(data[p + 1 : p + 1 + k], "big")


_REQUEST_TYPES: dict[int, str] = {MsgType.AS_REQ: "AS", MsgType.TGS_REQ: "TGS", MsgType.AP_REQ: "AP"}


def _record(req: KrbMessage | None, ts_ns: int, rep: KrbMessage | None, rtt_ns: int) -> KerberosRecord:
    first = req if req is not None else rep
    if first is None:
        raise ParseError("internal: an exchange without request nor reply")
    q = req.fields if req is not None else {}
    r = rep.fields if rep is not None else {}
    etypes: tuple[int, ...] = q.get("etypes", ())  # type: ignore[assignment]
    ticket: int | None = r.get("ticket_etype", q.get("ticket_etype"))  # type: ignore[assignment]
    code: int | None = r.get("error_code")  # type: ignore[assignment]
    success = None if rep is None else rep.msg_type != MsgType.KRB_ERROR
    request_type = None if req is None else _REQUEST_TYPES[req.msg_type]
    return KerberosRecord(
        ts_ns=ts_ns,
        request_type=request_type,
        msg_type=first.msg_type,
        msg_type_name=msg_type_name(first.msg_type),
        reply_msg_type=rep.msg_type if rep is not None else None,
        reply_msg_type_name=msg_type_name(rep.msg_type) if rep is not None else None,
        realm=q.get("realm", r.get("reply_realm")),  # type: ignore[arg-type]
        cname=q.get("cname", r.get("reply_cname")),  # type: ignore[arg-type]
        sname=q.get("sname", r.get("reply_sname")),  # type: ignore[arg-type]
        etypes=etypes,
        etype_names=tuple(etype_name(e) for e in etypes),
        forwardable=q.get("forwardable"),  # type: ignore[arg-type]
        renewable=q.get("renewable"),  # type: ignore[arg-type]
        from_time=q.get("from_time"),  # type: ignore[arg-type]
        till_time=q.get("till_time"),  # type: ignore[arg-type]
        ticket_etype=ticket,
        ticket_etype_name=etype_name(ticket) if ticket is not None else None,
        success=success,
        error_code=code,
        error_name=error_name(code) if code is not None else None,
        error_text=r.get("error_text"),  # type: ignore[arg-type]
        has_request=req is not None,
        has_response=rep is not None,
        rtt_ns=rtt_ns if (req is not None and rep is not None) else None,
    )
