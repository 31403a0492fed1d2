"""Kerberos dissector: AS/TGS requests, replies and errors over UDP and TCP, pairing,
byte-by-byte feeding, strict ``matches``, real captures checked against Zeek's kerberos.log
and tshark, and a fuzz test."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all
from wl_krb_builders import (
    MS_KRB5_OID,
    ap_rep,
    ap_req,
    ctx,
    integer,
    kdc_rep,
    kdc_req,
    krb5_token,
    krb_error,
    spnego_init,
    spnego_resp,
    tlv,
)
from wl_mini_pcap import flows

from wirelens.dissect.kerberos import (
    KerberosDissector,
    KerberosRecord,
    ap_record,
    gss_message,
    parse_message,
)
from wirelens.wire import BadValue, LimitExceeded, ParseError, TrailingJunk, Truncated

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


AS_REQ = kdc_req(10, "alice", "EXAMPLE.COM", ("krbtgt", "EXAMPLE.COM"), [18, 17, 23])
TGS_REQ = kdc_req(12, "alice", "EXAMPLE.COM", ("cifs", "fs.example.com"), [18])


def mark(msg: bytes) -> bytes:
    return len(msg).to_bytes(4, "big") + msg


def conversation(framing: bool) -> list[tuple[bool, bytes]]:
    f = mark if framing else (lambda m: m)
    return [
        (True, f(AS_REQ)),
        (False, f(krb_error(25, "pre-auth required"))),
        (True, f(AS_REQ)),
        (False, f(kdc_rep(11, "EXAMPLE.COM", "alice", 18))),
        (True, f(TGS_REQ)),
        (False, f(kdc_rep(13, "EXAMPLE.COM", "alice", 23))),
    ]


@pytest.mark.parametrize(("proto", "framing"), [(UDP, False), (TCP, True)])
def test_exchanges(proto: int, framing: bool) -> None:
    events = feed_all(KerberosDissector, conversation(framing), proto)
    assert len(events) == 3 and all(isinstance(e, KerberosRecord) for e in events)
    err, as_rep, tgs = events
    assert isinstance(err, KerberosRecord) and isinstance(as_rep, KerberosRecord)
    assert isinstance(tgs, KerberosRecord) and err.table == "kerberos"
    assert (err.request_type, err.msg_type_name, err.reply_msg_type_name) == (
        "AS",
        "AS-REQ",
        "KRB-ERROR",
    )
    assert (err.success, err.error_code, err.error_name) == (False, 25, "KDC_ERR_PREAUTH_REQUIRED")
    assert err.error_text == "pre-auth required"
    assert (err.realm, err.cname, err.sname) == ("EXAMPLE.COM", "alice", "krbtgt/EXAMPLE.COM")
    assert err.etypes == (18, 17, 23)
    assert err.etype_names == ("aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96", "rc4-hmac")
    assert (err.forwardable, err.renewable) == (True, True)
    assert err.till_time == 2136422885 * 10**9 and err.from_time is None
    assert (as_rep.success, as_rep.ticket_etype, as_rep.ticket_etype_name) == (
        True,
        18,
        "aes256-cts-hmac-sha1-96",
    )
    assert (tgs.request_type, tgs.sname, tgs.ticket_etype_name) == (
        "TGS",
        "cifs/fs.example.com",
        "rc4-hmac",
    )
    assert tgs.rtt_ns == 0 and tgs.has_request and tgs.has_response


@pytest.mark.parametrize("step", [1, 3, 50])
def test_byte_by_byte_gives_the_same_events(step: int) -> None:
    assert feed_all(KerberosDissector, conversation(True), TCP, step) == feed_all(
        KerberosDissector, conversation(True), TCP
    )


def test_unanswered_and_unsolicited() -> None:
    events = feed_all(KerberosDissector, [(False, krb_error(6)), (True, AS_REQ)], UDP)
    alone, waiting = events
    assert isinstance(alone, KerberosRecord) and isinstance(waiting, KerberosRecord)
    assert (alone.has_request, alone.error_name, alone.sname) == (
        False,
        "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        "krbtgt/EXAMPLE.COM",
    )
    assert (waiting.has_response, waiting.success) == (False, None)


def test_malformed() -> None:
    with pytest.raises(TrailingJunk):
        parse_message(AS_REQ + b"\x00")
    with pytest.raises(Truncated):
        parse_message(AS_REQ[:-1])
    bad_pvno = bytearray(AS_REQ)
    bad_pvno[AS_REQ.index(b"\xa1\x03\x02\x01\x05") + 4] = 4
    with pytest.raises(BadValue, match="pvno"):
        parse_message(bytes(bad_pvno))
    with pytest.raises(BadValue):  # AP-REQ is not a KDC message
        parse_message(tlv(0x6E, tlv(0x30, ctx(0, integer(5)) + ctx(1, integer(14)))))
    with pytest.raises(BadValue):  # reserved bit of the TCP record mark
        KerberosDissector(TCP).feed(b"\x80\x00\x00\x10", True, 0)
    with pytest.raises(LimitExceeded):
        KerberosDissector(TCP).feed(b"\x7f\x00\x00\x00", True, 0)


def test_matches_is_strict() -> None:
    for proto, framing in ((UDP, False), (TCP, True)):
        for from_orig, payload in conversation(framing):
            assert KerberosDissector.matches(payload, proto, from_orig)
        assert not KerberosDissector.matches(
            conversation(framing)[0][1], proto, False
        )  # request from the server
    assert KerberosDissector.matches(mark(AS_REQ)[:40], TCP, True)  # a first segment
    # two records in one segment (suricata-verify bug-8278-krb5-01): the first message ends
    # where its mark says; a mark shorter than the message it frames is refused
    assert KerberosDissector.matches(mark(AS_REQ) + mark(TGS_REQ), TCP, True)
    assert not KerberosDissector.matches((len(AS_REQ) - 1).to_bytes(4, "big") + AS_REQ, TCP, True)
    assert not KerberosDissector.matches(AS_REQ + b"\x00", UDP, True)
    rng = random.Random(11)
    for first in (0x6A, 0x6C, 0x6B, 0x7E):
        assert not any(KerberosDissector.matches(bytes([first]) + rng.randbytes(40), UDP, o)
                       for o in (True, False) for _ in range(5000))  # fmt: skip
    assert not any(
        KerberosDissector.matches(rng.randbytes(60), p, True)
        for p in (TCP, UDP)
        for _ in range(10000)
    )
    ldap_bind = b"0\x0c\x02\x01\x01`\x07\x02\x01\x03\x04\x00\x80\x00"
    assert not KerberosDissector.matches(ldap_bind, UDP, True)


def test_schema_matches_event() -> None:
    from wirelens.schema.infra import TABLES

    schema, _ = TABLES["kerberos"]
    names = [f.name for f in dataclasses.fields(KerberosRecord) if f.name != "ts_ns"]
    assert schema.names[6:] == [("rtt" if n == "rtt_ns" else n) for n in names]


# -- AP exchanges in GSS-API tokens ---------------------------------------------------------------


def test_gss_message_finds_the_ap_exchange_in_spnego() -> None:
    """The AP-REQ of an SPNEGO mechToken (found past the OIDs SPNEGO itself lists), the AP-REP
    of a responseToken and a KRB-ERROR; a blob without a krb5 token gives None."""
    req_blob = spnego_init(krb5_token(b"\x01\x00", ap_req("TEST.LOCAL", ("cifs", "fs"), 18)))
    req = gss_message(req_blob)
    assert req is not None and req.msg_type == 14
    assert req.fields == {"realm": "TEST.LOCAL", "sname": "cifs/fs", "ticket_etype": 18}
    rep = gss_message(spnego_resp(krb5_token(b"\x02\x00", ap_rep(), MS_KRB5_OID)))
    assert rep is not None and rep.msg_type == 15
    err = gss_message(spnego_resp(krb5_token(b"\x03\x00", krb_error(37)), accepted=False))
    assert err is not None and err.msg_type == 30 and err.fields["error_code"] == 37
    assert gss_message(spnego_init(b"NTLMSSP\x00\x01\x00\x00\x00")) is None
    assert gss_message(b"") is None
    row = ap_record(req, 100, rep, 350, None)
    assert (row.request_type, row.realm, row.sname, row.ticket_etype_name, row.success,
            row.reply_msg_type_name, row.rtt_ns, row.cname) == (
        "AP", "TEST.LOCAL", "cifs/fs", "aes256-cts-hmac-sha1-96", True, "AP-REP", 250, None)
    assert ap_record(req, 100, err, 350, True).success is False  # the Kerberos answer decides
    assert ap_record(req, 100, None, 350, False).success is False  # else the carrier's
    assert ap_record(req, 100, None, 350, None).success is None


def test_gss_message_damaged_raises_parse_error() -> None:
    whole = krb5_token(b"\x01\x00", ap_req("TEST.LOCAL", ("cifs", "fs"), 18))
    with pytest.raises(ParseError):
        gss_message(whole[:40])
    no_ticket = tlv(0x6E, tlv(0x30, ctx(0, integer(5)) + ctx(1, integer(14))))
    with pytest.raises(BadValue):
        gss_message(krb5_token(b"\x01\x00", no_ticket))


# -- real captures -------------------------------------------------------------------------------


def _records(rel: str) -> list[KerberosRecord]:
    out: list[KerberosRecord] = []
    for fl in flows(DATA / rel):
        if not fl.chunks or not KerberosDissector.matches(
            fl.chunks[0][1], fl.proto, fl.chunks[0][0]
        ):
            continue
        d = KerberosDissector(fl.proto)
        try:
            for from_orig, payload, ts in fl.chunks:
                out += d.feed(payload, from_orig, ts)  # type: ignore[arg-type]
        except ParseError:
            continue
        out += d.finish()  # type: ignore[arg-type]
    return out


@needs_data
def test_real_zeek_kerberos_tso() -> None:
    """zeek kerberos_tso.pcapng; Zeek's krb-tcp-tso kerberos.log: AS administrator/TEST.LOCAL
    krbtgt/TEST.LOCAL KDC_ERR_PREAUTH_REQUIRED, then AS success with cipher
    aes256-cts-hmac-sha1-96, TGS Administrator cifs/win7.test.local, TGS DESKTOP-RBDMVVA$
    cifs/WIN-R5NF6DMLDVH; till 2136422885, forwardable and renewable."""
    recs = _records("zeek/testing/btest/Traces/krb/kerberos_tso.pcapng")
    rows = [
        (r.request_type, r.cname, r.realm, r.sname, r.success, r.error_name, r.ticket_etype_name)
        for r in recs
    ]
    assert (
        "AS",
        "administrator",
        "TEST.LOCAL",
        "krbtgt/TEST.LOCAL",
        False,
        "KDC_ERR_PREAUTH_REQUIRED",
        None,
    ) in rows
    assert (
        "AS",
        "administrator",
        "TEST.LOCAL",
        "krbtgt/TEST.LOCAL",
        True,
        None,
        "aes256-cts-hmac-sha1-96",
    ) in rows
    assert (
        "TGS",
        "Administrator",
        "TEST.LOCAL",
        "cifs/win7.test.local",
        True,
        None,
        "aes256-cts-hmac-sha1-96",
    ) in rows
    assert ("TGS", "DESKTOP-RBDMVVA$", "TEST.LOCAL", "cifs/WIN-R5NF6DMLDVH", True, None,
            "aes256-cts-hmac-sha1-96") in rows  # fmt: skip
    assert all(r.till_time == 2136422885 * 10**9 and r.forwardable and r.renewable for r in recs)


@needs_data
def test_real_zeek_kerberos_tso_ap_exchanges_in_smb() -> None:
    """The same trace's four SMB2 session setups present cifs tickets: Zeek's kerberos.log
    has four AP rows (client /TEST.LOCAL, services cifs/win7.test.local twice,
    cifs/WIN-R5NF6DMLDVH.TEST.local and cifs/WIN-R5NF6DMLDVH, aes256-cts-hmac-sha1-96,
    success), on the SMB connections (port 445)."""
    import wirelens

    rows = wirelens.analyze(DATA / "zeek/testing/btest/Traces/krb/kerberos_tso.pcapng").tables[
        "kerberos"].to_pylist()
    ap = sorted((r["resp_p"], r["realm"], r["sname"], r["ticket_etype_name"], r["success"])
                for r in rows if r["request_type"] == "AP")
    assert ap == sorted([
        (445, "TEST.LOCAL", "cifs/win7.test.local", "aes256-cts-hmac-sha1-96", True),
        (445, "TEST.LOCAL", "cifs/WIN-R5NF6DMLDVH.TEST.local", "aes256-cts-hmac-sha1-96", True),
        (445, "TEST.LOCAL", "cifs/WIN-R5NF6DMLDVH", "aes256-cts-hmac-sha1-96", True),
        (445, "TEST.LOCAL", "cifs/win7.test.local", "aes256-cts-hmac-sha1-96", True)])


@needs_data
def test_real_ndpi_kerberos_error_and_login() -> None:
    """nDPI kerberos-error.pcap (tshark): AS-REQ realm LINUX.SHELL.COM cname
    host/mus-n-cj0709, KRB-ERROR code 52; kerberos-login.pcap: TGS exchanges of DENYDC.COM
    answered with rc4-hmac tickets (tshark etype 23)."""
    (err,) = _records("nDPI/tests/cfgs/default/pcap/kerberos-error.pcap")
    assert (err.request_type, err.realm, err.cname, err.sname) == (
        "AS", "LINUX.SHELL.COM", "host/mus-n-cj0709", "krbtgt/LINUX.SHELL.COM")  # fmt: skip
    assert (err.error_code, err.error_name) == (52, "KRB_ERR_RESPONSE_TOO_BIG")
    login = _records("nDPI/tests/cfgs/default/pcap/kerberos-login.pcap")
    denydc = [r for r in login if r.realm == "DENYDC.COM"]
    assert len(denydc) >= 10 and all(
        r.request_type == "TGS" and r.ticket_etype == 23 for r in denydc
    )
    assert {"host/xp1.denydc.com", "cifs/VPC-W2K3ENT", "krbtgt/DENYDC.COM"} <= {
        r.sname for r in denydc
    }


# -- fuzz ----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 650),
    junk=st.binary(max_size=40),
    step=st.integers(0, 30),
    proto=st.sampled_from([TCP, UDP]),
)
def test_fuzz_kerberos(
    edits: list[tuple[int, int]], cut: int, junk: bytes, step: int, proto: int
) -> None:
    """Invariant: any bytes, in any split, yield KerberosRecords or raise ParseError (within
    the 250 ms deadline); ``matches`` never raises."""
    stream = bytearray(b"".join(p for _, p in conversation(proto == TCP)))
    for pos, value in edits:
        if pos < len(stream):
            stream[pos] = value
    data = bytes(stream[:cut]) + junk
    for o in (True, False):
        KerberosDissector.matches(data, proto, o)
    try:
        events = feed_all(
            KerberosDissector, [(True, data), (False, data)], proto, step if proto == TCP else 0
        )
    except ParseError:
        return
    assert all(isinstance(e, KerberosRecord) for e in events)
