"""LDAP dissector (and the private BER reader): binds, searches, pairing, byte-by-byte
feeding, limits, strict ``matches``, real captures checked against tshark, and a fuzz test."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_der import integer, tlv
from wl_dissect_builders import feed_all
from wl_mini_pcap import flows

from wirelens.dissect import asn1
from wirelens.dissect.ldap import LdapDissector, LdapRecord, parse_message
from wirelens.wire import BadValue, LimitExceeded, ParseError, Truncated

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ZEEK_LDAP = DATA / "zeek" / "testing" / "btest" / "Traces" / "ldap"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def octets(s: str, tag: int = 0x04) -> bytes:
    return tlv(tag, s.encode())


def message(mid: int, op: bytes) -> bytes:
    return tlv(0x30, integer(mid) + op)


def bind_simple(mid: int, dn: str, pw: str) -> bytes:
    return message(mid, tlv(0x60, integer(3) + octets(dn) + octets(pw, 0x80)))


def bind_sasl(mid: int, mech: str) -> bytes:
    return message(mid, tlv(0x60, integer(3) + octets("") + tlv(0xA3, octets(mech) + octets("x"))))


def result(mid: int, op_tag: int, code: int, diag: str = "") -> bytes:
    return message(mid, tlv(op_tag, integer(code, 0x0A) + octets("") + octets(diag)))


def search(mid: int) -> bytes:
    flt = tlv(0xA0, tlv(0xA3, octets("objectClass") + octets("person"))
              + tlv(0x87, b"mail") + tlv(0xA4, octets("cn") + tlv(0x30, octets("jo", 0x80) + octets("e", 0x82))))  # fmt: skip
    body = (octets("dc=example,dc=com") + integer(2, 0x0A) + integer(0, 0x0A) + integer(0)
            + integer(0) + tlv(0x01, b"\x00") + flt + tlv(0x30, octets("cn")))  # fmt: skip
    return message(mid, tlv(0x63, body))


def entry(mid: int) -> bytes:
    return message(mid, tlv(0x64, octets("cn=joe,dc=example,dc=com") + tlv(0x30, b"")))


def conversation() -> list[tuple[bool, bytes]]:
    return [
        (True, bind_simple(1, "cn=admin,dc=example,dc=com", "secret")),
        (False, result(1, 0x61, 0)),
        (True, search(2)),
        (False, entry(2) + entry(2) + result(2, 0x65, 0)),
        (True, bind_simple(3, "cn=bob", "wrong")),
        (False, result(3, 0x61, 49, "80090308: LdapErr")),
        (True, message(4, b"\x42\x00")),  # unbind
    ]


def test_bind_search_and_unbind() -> None:
    events = feed_all(LdapDissector, conversation(), TCP)
    assert [e.opcode_name for e in events if isinstance(e, LdapRecord)] == [
        "bind_request", "search_request", "bind_request", "unbind_request"]  # fmt: skip
    bind, srch, bad, unbind = events
    assert isinstance(bind, LdapRecord) and bind.table == "ldap"
    assert (bind.message_id, bind.version, bind.bind_name, bind.auth_type) == (
        1, 3, "cn=admin,dc=example,dc=com", "simple")  # fmt: skip
    assert bind.password == "<redacted>" and (bind.result_code, bind.result_name) == (0, "success")
    assert isinstance(srch, LdapRecord)
    assert (srch.base_object, srch.scope, srch.scope_name, srch.search_entries) == (
        "dc=example,dc=com", 2, "sub", 2)  # fmt: skip
    assert srch.filter == "(&(objectClass=person)(mail=*)(cn=jo*e))"
    assert isinstance(bad, LdapRecord)
    assert (bad.result_name, bad.diagnostic_message) == ("invalid_credentials", "80090308: LdapErr")
    assert isinstance(unbind, LdapRecord) and not unbind.has_response


def test_passwords_shown_only_when_asked() -> None:
    d = LdapDissector(TCP, show_passwords=True)
    events = [e for orig, data in conversation()[:2] for e in d.feed(data, orig, 1000)]
    assert events[0].password == "secret"  # type: ignore[attr-defined]
    assert feed_all(LdapDissector, conversation()[:2], TCP)[0].password == "<redacted>"  # type: ignore[attr-defined]
    anon = parse_message(bind_simple(1, "", ""))
    assert anon.fields["password"] == ""


def test_sasl_bind_then_wrapped_layer_stops() -> None:
    events = feed_all(LdapDissector, [(True, bind_sasl(1, "GSS-SPNEGO")), (False, result(1, 0x61, 0)),
                                      (True, b"\x00\x00\x00\x30" + b"\x05" * 48)], TCP)  # fmt: skip
    assert len(events) == 1 and events[0].sasl_mechanism == "GSS-SPNEGO"  # type: ignore[attr-defined]


@pytest.mark.parametrize("step", [1, 2, 7])
def test_byte_by_byte_gives_the_same_events(step: int) -> None:
    assert feed_all(LdapDissector, conversation(), TCP, step) == feed_all(
        LdapDissector, conversation(), TCP
    )


def test_cldap_datagrams() -> None:
    events = feed_all(
        LdapDissector, [(True, search(7)), (False, entry(7)), (False, result(7, 0x65, 0))], UDP
    )
    assert len(events) == 1 and events[0].search_entries == 1  # type: ignore[attr-defined]


def test_malformed() -> None:
    with pytest.raises(BadValue):  # trailing junk inside a datagram
        parse_message(bind_simple(1, "a", "b") + b"\x00")
    with pytest.raises(Truncated):
        parse_message(bind_simple(1, "a", "b")[:-1])
    with pytest.raises(BadValue):  # indefinite length
        parse_message(b"\x30\x80\x02\x01\x01\x42\x00\x00\x00")
    with pytest.raises(BadValue):  # not APPLICATION
        parse_message(message(1, b"\x04\x00"))
    with pytest.raises(LimitExceeded):  # nested NOT filters beyond the depth bound
        flt = b"\x87\x01a"
        for _ in range(40):
            flt = tlv(0xA2, flt)
        parse_message(message(1, tlv(0x63, octets("") + integer(0, 0x0A) * 2 + integer(0) * 2
                                     + tlv(0x01, b"\x00") + flt + tlv(0x30, b""))))  # fmt: skip
    with pytest.raises(LimitExceeded):
        LdapDissector(TCP).feed(b"\x30\x84\x7f\x00\x00\x00", True, 0)


def test_asn1_reader() -> None:
    t, end = asn1.read_tlv(b"\x9f\x81\x01\x01\xff")  # high tag number 129
    assert (t.cls, t.tag, t.value, end) == (asn1.CONTEXT, 129, b"\xff", 5)
    assert asn1.read_tlv(integer(-129))[0].as_int() == -129
    assert asn1.read_tlv(octets("20240102030405Z", 0x18))[0].as_time_ns() == 1704164645 * 10**9
    assert asn1.tlv_size(b"\x30\x82\x01") is None and asn1.tlv_size(b"\x30\x82\x01\x00") == 260
    with pytest.raises(LimitExceeded):
        asn1.read_tlv(b"\x30\x85\x00\x00\x00\x00\x01")
    with pytest.raises(BadValue):
        asn1.read_tlv(octets("2024-01-02", 0x18))[0].as_time_ns()


def test_matches_is_strict() -> None:
    for from_orig, payload in conversation():
        assert LdapDissector.matches(payload, TCP, from_orig)
    assert LdapDissector.matches(search(1), UDP, True)
    assert not LdapDissector.matches(search(1) + b"x", UDP, True)
    assert not LdapDissector.matches(result(1, 0x61, 0), TCP, True)  # a response from the client
    assert not LdapDissector.matches(bind_simple(1, "a", "b"), TCP, False)
    rng = random.Random(3)
    assert not any(LdapDissector.matches(b"\x30" + rng.randbytes(n), p, o)
                   for n in (10, 60, 300) for p in (TCP, UDP) for o in (True, False) for _ in range(3000))  # fmt: skip
    # TLS, SNMP (also a BER SEQUENCE: INTEGER version then OCTET STRING community), Kerberos
    for other in (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", b"\x30\x26\x02\x01\x01\x04\x06public\xa0\x19",
                  b"\x6a\x81\x9d\x30\x81\x9a\xa1\x03\x02\x01\x05"):  # fmt: skip
        assert not LdapDissector.matches(other, UDP, True)


def test_schema_matches_event() -> None:
    from wirelens.schema.infra import TABLES

    schema, _ = TABLES["ldap"]
    names = [f.name for f in dataclasses.fields(LdapRecord) if f.name != "ts_ns"]
    assert schema.names[6:] == [("rtt" if n == "rtt_ns" else n) for n in names]


# -- real captures -------------------------------------------------------------------------------


def _records(path: Path) -> list[LdapRecord]:
    out: list[LdapRecord] = []
    for fl in flows(path):
        if not fl.chunks or not LdapDissector.matches(fl.chunks[0][1], fl.proto, fl.chunks[0][0]):
            continue
        d = LdapDissector(fl.proto)
        for from_orig, payload, ts in fl.chunks:
            out += d.feed(payload, from_orig, ts)  # type: ignore[arg-type]
        out += d.finish()  # type: ignore[arg-type]
    return out


@needs_data
def test_real_ldap_add() -> None:
    """zeek ldap-add.pcap (tshark): simple bind of cn=admin,dc=example,dc=com (password
    "zeek"), two addRequests answered 0, unbind."""
    recs = _records(ZEEK_LDAP / "ldap-add.pcap")
    assert [(r.message_id, r.opcode_name, r.result_code) for r in recs] == [
        (1, "bind_request", 0), (2, "add_request", 0), (3, "add_request", 0), (4, "unbind_request", None)]  # fmt: skip
    assert recs[0].bind_name == "cn=admin,dc=example,dc=com" and recs[0].password == "<redacted>"


@needs_data
def test_real_ad_sasl_bind_and_search() -> None:
    """zeek aduser1.pcap (tshark): GSS-SPNEGO bind id 1440128865 -> 0; search id 1319382063
    base dc=ADHACKING,dc=LOCAL scope 2, three entries and three references, done 0."""
    bind, srch = _records(ZEEK_LDAP / "aduser1.pcap")
    assert (bind.message_id, bind.sasl_mechanism, bind.result_code) == (1440128865, "GSS-SPNEGO", 0)
    assert (srch.message_id, srch.base_object, srch.scope, srch.search_entries) == (
        1319382063, "dc=ADHACKING,dc=LOCAL", 2, 3)  # fmt: skip
    assert srch.filter is not None and srch.filter.startswith("(&(sAMAccountName=*)(mail=*)")


@needs_data
def test_real_invalid_credentials_and_recursion() -> None:
    """zeek ldap_invalid_credentials.pcap holds binds failing with 49; ldap-max-recursion
    (deeply nested filter) is refused by the depth limit."""
    names = {r.result_name for r in _records(ZEEK_LDAP / "ldap_invalid_credentials.pcap")}
    assert "invalid_credentials" in names
    for fl in flows(ZEEK_LDAP / "ldap-max-recursion.pcap")[:3]:
        assert LdapDissector.matches(fl.chunks[0][1], TCP, fl.chunks[0][0])
        with pytest.raises(LimitExceeded):
            LdapDissector(TCP).feed(fl.chunks[0][1], True, 0)


# -- fuzz ----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 320),
    junk=st.binary(max_size=40),
    step=st.integers(0, 12),
    proto=st.sampled_from([TCP, UDP]),
)
def test_fuzz_ldap(
    edits: list[tuple[int, int]], cut: int, junk: bytes, step: int, proto: int
) -> None:
    """Invariant: any byte stream, in any split, yields LdapRecords or raises ParseError
    (within the 250 ms deadline); ``matches`` never raises."""
    stream = bytearray(b"".join(p for _, p in conversation()))
    for pos, value in edits:
        if pos < len(stream):
            stream[pos] = value
    data = bytes(stream[:cut]) + junk
    for o in (True, False):
        LdapDissector.matches(data, proto, o)
    try:
        events = feed_all(
            LdapDissector, [(True, data), (False, data)], proto, step if proto == TCP else 0
        )
    except ParseError:
        return
    assert all(isinstance(e, LdapRecord) for e in events)


def test_sasl_bind_with_kerberos_makes_a_kerberos_row() -> None:
    """A GSS-SPNEGO bind carrying an AP-REQ (RFC 4752), answered success with an AP-REP in
    serverSaslCreds: a kerberos row (request type AP, the ticket's realm and service) next
    to the ldap row; Zeek's krb5-sign-seal-01 trace has one."""
    from wl_krb_builders import ap_rep, ap_req, krb5_token, spnego_init, spnego_resp

    from wirelens.dissect.kerberos import KerberosRecord

    req = spnego_init(krb5_token(b"\x01\x00", ap_req("EXAMPLE.COM", ("ldap", "dc1.example.com"), 18)))
    rep = spnego_resp(krb5_token(b"\x02\x00", ap_rep()))
    bind = message(1, tlv(0x60, integer(3) + octets("") + tlv(0xA3, octets("GSS-SPNEGO")
                                                              + tlv(0x04, req))))
    done = message(1, tlv(0x61, integer(0, 0x0A) + octets("") + octets("") + tlv(0x87, rep)))
    events = feed_all(LdapDissector, [(True, bind), (False, done)], TCP)
    (row,) = [e for e in events if isinstance(e, LdapRecord)]
    (krb,) = [e for e in events if isinstance(e, KerberosRecord)]
    assert (row.sasl_mechanism, row.result_name) == ("GSS-SPNEGO", "success")
    assert (krb.request_type, krb.realm, krb.sname, krb.success, krb.reply_msg_type_name) == (
        "AP", "EXAMPLE.COM", "ldap/dc1.example.com", True, "AP-REP")
