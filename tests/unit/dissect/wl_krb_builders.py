"""DER builders of Kerberos messages (RFC 4120 §5) and of the GSS-API/SPNEGO tokens that
carry AP exchanges inside other protocols (RFC 4121 §4.1, RFC 4178 §4.2), for the tests."""

from __future__ import annotations

from wl_der import integer, tlv


def ctx(n: int, body: bytes) -> bytes:
    return tlv(0xA0 | n, body)


def gstr(s: str) -> bytes:
    return tlv(0x1B, s.encode())


def principal(*parts: str, kind: int = 1) -> bytes:
    return tlv(0x30, ctx(0, integer(kind)) + ctx(1, tlv(0x30, b"".join(gstr(p) for p in parts))))


def kdc_req(tag: int, cname: str, realm: str, sname: tuple[str, ...], etypes: list[int]) -> bytes:
    body = tlv(0x30, ctx(0, tlv(0x03, b"\x00\x40\x81\x00\x10"))  # forwardable, renewable
               + ctx(1, principal(cname)) + ctx(2, gstr(realm)) + ctx(3, principal(*sname, kind=2))
               + ctx(5, tlv(0x18, b"20370913024805Z")) + ctx(7, integer(12345))
               + ctx(8, tlv(0x30, b"".join(integer(e) for e in etypes))))  # fmt: skip
    return tlv(0x60 | tag, tlv(0x30, ctx(1, integer(5)) + ctx(2, integer(tag)) + ctx(4, body)))


def enc(etype: int) -> bytes:
    return tlv(0x30, ctx(0, integer(etype)) + ctx(2, tlv(0x04, b"\xaa" * 20)))


def kdc_rep(tag: int, realm: str, cname: str, ticket_etype: int) -> bytes:
    seq = (ctx(0, integer(5)) + ctx(1, integer(tag)) + ctx(3, gstr(realm)) + ctx(4, principal(cname))
           + ctx(5, ticket(realm, ("krbtgt", realm), ticket_etype)) + ctx(6, enc(18)))  # fmt: skip
    return tlv(0x60 | tag, tlv(0x30, seq))


def krb_error(code: int, text: str = "") -> bytes:
    seq = (ctx(0, integer(5)) + ctx(1, integer(30)) + ctx(4, tlv(0x18, b"20220222074604Z"))
           + ctx(5, integer(0)) + ctx(6, integer(code)) + ctx(9, gstr("EXAMPLE.COM"))
           + ctx(10, principal("krbtgt", "EXAMPLE.COM", kind=2))
           + (ctx(11, gstr(text)) if text else b""))  # fmt: skip
    return tlv(0x7E, tlv(0x30, seq))


KRB5_OID = bytes.fromhex("06092a864886f712010202")  # 1.2.840.113554.1.2.2 (RFC 4121 §1)
MS_KRB5_OID = bytes.fromhex("06092a864882f712010202")  # 1.2.840.48018.1.2.2
SPNEGO_OID = bytes.fromhex("06062b0601050502")  # 1.3.6.1.5.5.2 (RFC 4178 §3)


def ticket(realm: str, sname: tuple[str, ...], etype: int) -> bytes:
    return tlv(0x61, tlv(0x30, ctx(0, integer(5)) + ctx(1, gstr(realm))
                         + ctx(2, principal(*sname, kind=2)) + ctx(3, enc(etype))))  # fmt: skip


def ap_req(realm: str, sname: tuple[str, ...], etype: int) -> bytes:
    """AP-REQ (§5.5.1): pvno, msg-type, ap-options (mutual-required), ticket, authenticator."""
    return tlv(0x6E, tlv(0x30, ctx(0, integer(5)) + ctx(1, integer(14))
                         + ctx(2, tlv(0x03, b"\x00\x20\x00\x00\x00"))
                         + ctx(3, ticket(realm, sname, etype)) + ctx(4, enc(etype))))  # fmt: skip


def ap_rep(etype: int = 18) -> bytes:
    return tlv(0x6F, tlv(0x30, ctx(0, integer(5)) + ctx(1, integer(15)) + ctx(2, enc(etype))))


def krb5_token(tok_id: bytes, message: bytes, oid: bytes = KRB5_OID) -> bytes:
    """InitialContextToken (RFC 2743 §3.1, RFC 4121 §4.1): [APPLICATION 0] { mech OID,
    TOK_ID, the Kerberos message }."""
    return tlv(0x60, oid + tok_id + message)


def spnego_init(mech_token: bytes) -> bytes:
    """NegTokenInit (RFC 4178 §4.2.1) offering MS krb5, krb5 and NTLMSSP, with a mechToken."""
    mechs = tlv(0x30, MS_KRB5_OID + KRB5_OID + bytes.fromhex("060a2b06010401823702020a"))
    init = tlv(0x30, ctx(0, mechs) + ctx(2, tlv(0x04, mech_token)))
    return tlv(0x60, SPNEGO_OID + ctx(0, init))


def spnego_resp(response_token: bytes, accepted: bool = True) -> bytes:
    """NegTokenResp (RFC 4178 §4.2.2): negState, supportedMech, responseToken."""
    state = b"\x00" if accepted else b"\x02"
    resp = tlv(0x30, ctx(0, tlv(0x0A, state)) + ctx(1, MS_KRB5_OID)
               + ctx(2, tlv(0x04, response_token)))  # fmt: skip
    return ctx(1, resp)
