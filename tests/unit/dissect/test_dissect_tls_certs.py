"""TLS certificates, alerts and hello columns: the clear-text flight after the ServerHello."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import (
    certificate_msg,
    client_hello,
    feed_all,
    mutate,
    record,
    records,
    sample_chain,
    server_hello,
    tls12_cert_conversation,
    tls_conversation,
    x509_der,
)
from wl_mini_pcap import flows

from wirelens.dissect.base import Event
from wirelens.dissect.tls import TlsDissector, TlsRecord
from wirelens.dissect.tls_certs import (
    MAX_CERTS_PER_CHAIN,
    MAX_CHAIN_BYTES,
    X509Record,
    _certificate_list_checked,
    _serial,
    parse_certificate_list,
    x509_record,
)
from wirelens.schema.tables import TLS
from wirelens.schema.x509 import TABLES
from wirelens.wire import BadValue, ParseError, TrailingJunk, Truncated

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default"


@pytest.fixture(autouse=True)
def _x509_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests look at the per-certificate events too."""
    monkeypatch.setattr(TlsDissector, "x509_events", True)


def split(events: list[Event]) -> tuple[list[X509Record], TlsRecord]:
    certs = [e for e in events if isinstance(e, X509Record)]
    (tls,) = [e for e in events if isinstance(e, TlsRecord)]
    return certs, tls


def test_tls12_server_chain() -> None:
    chain = sample_chain()
    events = feed_all(TlsDissector, tls12_cert_conversation(chain), TCP)
    certs, tls = split(events)
    assert isinstance(events[-1], TlsRecord)  # certificates first, one summary last
    leaf, ca = certs
    assert (leaf.chain_pos, ca.chain_pos, leaf.chain_len, leaf.is_client) == (0, 1, 2, False)
    assert leaf.sha256 == hashlib.sha256(chain[0]).hexdigest()
    assert leaf.sha1 == hashlib.sha1(chain[0]).hexdigest() and leaf.der_len == len(chain[0])
    assert leaf.subject == "CN=www.example.com,O=Test Org"
    assert leaf.issuer == "CN=Test CA,O=Test Org" == ca.subject
    assert leaf.san_dns == ("www.example.com", "example.com") and leaf.san_ip == ("192.0.2.7",)
    assert leaf.serial == "1234ABCD" and leaf.x509_version == 3
    assert (leaf.not_before, leaf.not_after) == (1_600_000_000, 1_900_000_000)
    assert (leaf.key_type, leaf.key_size, leaf.key_curve) == ("ec", 256, "secp256r1")
    assert (leaf.sig_alg_oid, leaf.sig_alg_name) == ("1.2.840.10045.4.3.2", "ecdsa_with_sha256")
    assert (leaf.is_ca, ca.is_ca) == (False, True)
    assert (leaf.self_signed, ca.self_signed) == (False, True)
    assert leaf.cert_parse_error is None and ca.cert_parse_error is None
    assert (tls.cert_status, tls.cert_chain_len, tls.version) == ("parsed", 2, "TLSv12")
    assert (tls.cert_subject, tls.cert_issuer) == (leaf.subject, leaf.issuer)
    assert tls.cert_sans == leaf.san_dns and tls.cert_sha256 == leaf.sha256
    assert tls.cert_not_after == 1_900_000_000 and tls.cert_self_signed is False
    assert tls.cert_names == ("www.example.com", "example.com")
    assert tls.client_cert_chain_len is None and tls.alert_level is None


def test_roles_follow_the_hellos_not_the_originator() -> None:
    """A capture that starts mid-connection may make the server the originator."""
    client_chain = [x509_der("client 1")]
    conv = tls12_cert_conversation(client_ders=client_chain)
    conv[0] = (True, conv[0][1] + record(21, b"\x01\x70"))
    flipped = [(not from_orig, data) for from_orig, data in conv]
    events = feed_all(TlsDissector, flipped, TCP)
    assert events == feed_all(TlsDissector, conv, TCP)
    certs, tls = split(events)
    assert [c.is_client for c in certs] == [False, False, True]
    assert tls.alert_sender == "client" and tls.cert_chain_len == 2


def test_validity_judged_at_the_packet_time() -> None:
    # feed_all feeds at ts 1000 ns: 1970, before not_before
    certs, tls = split(feed_all(TlsDissector, tls12_cert_conversation(), TCP))
    assert certs[0].not_yet_valid is True and certs[0].expired is False
    assert tls.cert_expired is False
    d = TlsDissector(TCP)
    events: list[Event] = []
    for from_orig, data in tls12_cert_conversation():
        events += d.feed(data, from_orig, 2_000_000_000 * 10**9)  # 2033: after not_after
    certs, tls = split(events)
    assert certs[0].expired is True and certs[0].not_yet_valid is False and tls.cert_expired


@pytest.mark.parametrize("record_size", [0, 1, 7, 100, 2000])
@pytest.mark.parametrize("step", [0, 1, 13])
def test_spanning_records_and_split_feeding_give_same_events(record_size: int, step: int) -> None:
    conv = tls12_cert_conversation(record_size=record_size)
    assert feed_all(TlsDissector, conv, TCP, step=step) == feed_all(
        TlsDissector, tls12_cert_conversation(), TCP
    )


def test_row_emitted_after_server_hello_done_then_done() -> None:
    d = TlsDissector(TCP)
    conv = tls12_cert_conversation()
    assert d.feed(conv[0][1], True, 1) == []
    hello_and_chain = server_hello(cipher=0xC02F, selected=None) + certificate_msg(sample_chain())
    assert d.feed(record(22, hello_and_chain), False, 2) != []  # certificates; summary waits
    assert not d.done and d.cert_names == ("www.example.com", "example.com")
    out = d.feed(record(22, b"\x0e\x00\x00\x00"), False, 3)  # ServerHelloDone
    assert [type(e) for e in out] == [TlsRecord] and d.done
    assert d.feed(conv[2][1], True, 4) == [] and d.finish() == []


def test_flight_cut_short_is_emitted_at_finish() -> None:
    d = TlsDissector(TCP)
    conv = tls12_cert_conversation()
    d.feed(conv[0][1], True, 1)
    d.feed(record(22, server_hello(cipher=0xC02F, selected=None)), False, 2)
    assert not d.done
    (tls,) = d.finish()
    assert isinstance(tls, TlsRecord) and tls.established and tls.cert_status is None
    assert d.finish() == []


def test_tls13_certificate_is_encrypted() -> None:
    (tls,) = feed_all(TlsDissector, tls_conversation(True), TCP)
    assert isinstance(tls, TlsRecord) and tls.cert_status == "encrypted"
    assert tls.cert_subject is None and tls.cert_chain_len is None


def test_client_certificate_after_certificate_request() -> None:
    client_chain = [x509_der("client 1", sans=())]
    events = feed_all(TlsDissector, tls12_cert_conversation(client_ders=client_chain), TCP)
    certs, tls = split(events)
    assert [c.is_client for c in certs] == [False, False, True]
    assert certs[2].subject == "CN=client 1,O=Test Org" and certs[2].self_signed is True
    assert tls.client_cert_chain_len == 1 and tls.cert_chain_len == 2
    # an empty client Certificate (declined): counted as 0
    events = feed_all(TlsDissector, tls12_cert_conversation(client_ders=[]), TCP)
    assert split(events)[1].client_cert_chain_len == 0


def test_abbreviated_handshake_has_no_certificate() -> None:
    server = record(22, server_hello(cipher=0xC02F, selected=None)) + record(20, b"\x01")
    chunks = [(True, record(22, client_hello())), (False, server + record(22, b"\x01" * 40))]
    (tls,) = feed_all(TlsDissector, chunks, TCP)
    assert isinstance(tls, TlsRecord) and tls.cert_status == "absent"


def test_bad_certificate_is_data_not_an_error() -> None:
    good = sample_chain()[1]
    events = feed_all(TlsDissector, tls12_cert_conversation([b"\x30\x03\x02\x01\x01", good]), TCP)
    certs, tls = split(events)
    bad = certs[0]
    assert bad.cert_parse_error and bad.cert_parse_error.startswith("certificate: ")
    assert bad.subject is None and bad.sha1 == hashlib.sha1(b"\x30\x03\x02\x01\x01").hexdigest()
    assert certs[1].cert_parse_error is None
    assert tls.cert_status == "parsed" and tls.cert_subject is None and tls.cert_chain_len == 2


def test_malformed_certificate_message_keeps_the_handshake() -> None:
    conv = tls12_cert_conversation()
    bad_msg = b"\x0b" + (7).to_bytes(3, "big") + b"\x00\x00\x09abcd"  # list longer than message
    flight = record(22, server_hello(cipher=0xC02F, selected=None) + bad_msg + b"\x0e\x00\x00\x00")
    (tls,) = feed_all(TlsDissector, [conv[0], (False, flight)], TCP)
    assert isinstance(tls, TlsRecord) and tls.cert_status == "malformed" and tls.established


def test_chain_limits() -> None:
    ca = sample_chain()[1]
    certs, tls = split(feed_all(TlsDissector, tls12_cert_conversation([ca] * 20), TCP))
    assert len(certs) == MAX_CERTS_PER_CHAIN and tls.cert_chain_len == 20
    assert certs[-1].chain_len == 20
    # a chain over MAX_CHAIN_BYTES is skipped by length, never buffered whole
    huge = certificate_msg([b"\x00" * (MAX_CHAIN_BYTES // 2)] * 3)
    d = TlsDissector(TCP)
    d.feed(record(22, client_hello()), True, 1)
    d.feed(record(22, server_hello(cipher=0xC02F, selected=None)), False, 2)
    for i in range(0, len(huge), 16_000):
        assert d.feed(record(22, huge[i : i + 16_000]), False, 3) == []
        assert len(d._sides[False].hs) < 20_000
    (tls,) = d.feed(record(22, b"\x0e\x00\x00\x00"), False, 4)
    assert isinstance(tls, TlsRecord) and tls.cert_status == "too_long"


def test_parse_certificate_list_framing() -> None:
    assert parse_certificate_list(certificate_msg([b"ab", b"c"])[4:]) == ([b"ab", b"c"], 2)
    with pytest.raises(TrailingJunk):
        parse_certificate_list(certificate_msg([b"ab"])[4:] + b"x")
    with pytest.raises(Truncated):
        parse_certificate_list(certificate_msg([b"ab"])[4:-1])


def _outcome(parse: object, body: bytes) -> object:
    try:
        return parse(body)  # type: ignore[operator]
    except ParseError as exc:
        return (type(exc).__name__, str(exc))


@settings(max_examples=400, deadline=None)
@given(
    certs=st.lists(st.binary(max_size=40), max_size=MAX_CERTS_PER_CHAIN + 3),
    cut=st.integers(min_value=0, max_value=6),
    junk=st.binary(max_size=4),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=3),
)
def test_certificate_list_fast_reader_agrees_with_the_checked_one(
    certs: list[bytes], cut: int, junk: bytes, edits: list[tuple[int, int]]
) -> None:
    """The indexing reader gives what the Buffer reader gives, or hands over to it (same
    error, same text) on framing that does not add up."""
    body = bytearray(certificate_msg(certs)[4:])
    for at, value in edits:
        if body:
            body[at % len(body)] = value
    data = bytes(body[: max(len(body) - cut, 0)]) + junk
    assert _outcome(parse_certificate_list, data) == _outcome(_certificate_list_checked, data)


def test_alerts() -> None:
    # the server refuses the ClientHello: fatal alert in clear, row at once, done
    chunks = [(True, record(22, client_hello())), (False, record(21, b"\x02\x28"))]
    d = TlsDissector(TCP)
    assert d.feed(chunks[0][1], True, 1) == []
    (tls,) = d.feed(chunks[1][1], False, 2)
    assert isinstance(tls, TlsRecord) and d.done
    assert (tls.alert_level, tls.alert_level_name) == (2, "fatal")
    assert (tls.alert_description, tls.alert_description_name) == (40, "handshake_failure")
    assert tls.alert_sender == "server" and not tls.established
    # a warning is kept (the first one only) and the handshake goes on
    conv = tls12_cert_conversation()
    conv[0] = (True, conv[0][1] + record(21, b"\x01\x70") + record(21, b"\x02\x0a"))
    _, tls = split(feed_all(TlsDissector, conv, TCP))
    assert tls.alert_description_name == "unrecognized_name" and tls.alert_sender == "client"
    # an encrypted alert (longer than 2 bytes) is not read
    chunks = [(True, record(22, client_hello())), (False, record(21, b"\x15" * 26))]
    (tls,) = feed_all(TlsDissector, chunks, TCP)
    assert isinstance(tls, TlsRecord) and tls.alert_level is None


def test_hello_columns() -> None:
    (tls,) = feed_all(TlsDissector, tls_conversation(True), TCP)
    assert isinstance(tls, TlsRecord)
    assert tls.cipher_suite_codes == (0x1A1A, 0x1301, 0x1302, 0xC02B, 0xC02F, 0x009C)
    assert tls.cipher_suites[:3] == ("GREASE", "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")
    assert tls.extensions == (0, 10, 11, 13, 16, 43, 0x4469)
    assert (
        tls.extension_names[0] == "server_name"
        and tls.extension_names[-1] == "application_settings_old"
    )
    assert tls.group_names == ("x25519", "secp256r1", "secp384r1") and tls.groups[0] == 0x1D
    assert tls.signature_algorithm_names == (
        "ecdsa_secp256r1_sha256",
        "rsa_pss_rsae_sha256",
        "rsa_pkcs1_sha256",
    )


def test_damage_after_the_server_hello_keeps_the_row() -> None:
    conv = tls12_cert_conversation()
    server = record(22, server_hello(cipher=0xC02F, selected=None)) + b"GET / HTTP/1.1\r\n"
    d = TlsDissector(TCP)
    d.feed(conv[0][1], True, 1)
    (tls,) = d.feed(server, False, 2)
    assert isinstance(tls, TlsRecord) and d.done
    assert tls.late_error and tls.late_error.startswith("BadValue")
    with pytest.raises(BadValue):  # before the ServerHello it is still an error
        TlsDissector(TCP).feed(b"GET / HTTP/1.1\r\n", True, 1)


def test_schemas_match_the_events() -> None:
    keys = {"ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p"}
    schema, doc = TABLES["x509"]
    fields = {f.name for f in dataclasses.fields(X509Record)} - {"ts_ns"}
    assert set(schema.names) == fields | keys and doc
    tls_fields = {f.name for f in dataclasses.fields(TlsRecord)}
    assert set(TLS.names) - keys <= tls_fields
    assert all((f.metadata or {}).get(b"doc") for f in schema)


def test_x509_events_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TlsDissector, "x509_events", False)
    (tls,) = feed_all(TlsDissector, tls12_cert_conversation(), TCP)
    assert isinstance(tls, TlsRecord) and tls.cert_chain_len == 2


# -- real captures (nDPI's expected output; tshark confirms the alert) -------------------------

needs_data = pytest.mark.skipif(not NDPI.is_dir(), reason=f"real captures not found in {DATA}")


def _ndpi_certs(pcap: str) -> dict[frozenset[tuple[str, int]], dict[str, str]]:
    """Per flow of nDPI's .out: Issuer, Subject, Certificate SHA-1, Validity."""
    out = {}
    for line in (NDPI / "result" / f"{pcap}.out").read_text().splitlines():
        m = re.search(r"(?:TCP|UDP) (\S+) <-> (\S+) ", line)
        if not m or "[Certificate SHA-1:" not in line:
            continue
        ends = frozenset(_endpoint(x) for x in m.groups())
        out[ends] = dict(
            re.findall(r"\[(Issuer|Subject|Certificate SHA-1|Validity): ([^\]]*)\]", line)
        )
    return out


def _endpoint(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def _ndpi_dn(rfc4514: str) -> str:
    """Our RFC 4514 string (most specific first, ``\\,`` escapes) in nDPI's order."""
    parts = re.split(r"(?<!\\),", rfc4514)
    return ", ".join(p.replace("\\,", ",") for p in reversed(parts))


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _dissect(pcap: str) -> Iterator[tuple[frozenset[tuple[str, int]], list[Event]]]:
    for fl in flows(NDPI / "pcap" / pcap):
        if (
            fl.proto != TCP
            or not fl.chunks
            or not TlsDissector.matches(fl.chunks[0][1], TCP, fl.chunks[0][0])
        ):
            continue
        d = TlsDissector(TCP)
        events: list[Event] = []
        for from_orig, data, ts in fl.chunks:
            events += d.feed(data, from_orig, ts)
            if d.done:
                break
        yield frozenset({fl.orig, fl.resp}), events + d.finish()


@needs_data
@pytest.mark.parametrize(
    "pcap",
    [
        "selfsigned.pcap",
        "tls_long_cert.pcap",
        "long_tls_certificate.pcap",
        "tls_certificate_too_long.pcap",
        "tls_malicious_sha1.pcapng",
    ],
)
def test_certificates_match_ndpi(pcap: str) -> None:
    expected = _ndpi_certs(pcap)
    checked = 0
    for ends, events in _dissect(pcap):
        if ends not in expected:
            continue
        want = expected[ends]
        certs, tls = split(events)
        leaf = certs[0]
        assert leaf.sha1 == want["Certificate SHA-1"].replace(":", "").lower()
        assert leaf.subject is not None and _ndpi_dn(leaf.subject) == want["Subject"]
        assert leaf.issuer is not None and _ndpi_dn(leaf.issuer) == want["Issuer"]
        assert leaf.not_before is not None and leaf.not_after is not None
        assert f"{_utc(leaf.not_before)} - {_utc(leaf.not_after)}" == want["Validity"]
        assert tls.cert_status == "parsed" and tls.cert_sha256 == leaf.sha256
        assert all(c.cert_parse_error is None for c in certs)
        checked += 1
    assert checked == len(expected) > 0


@needs_data
def test_self_signed_and_expired_on_a_real_capture() -> None:
    """nDPI flags selfsigned.pcap "Self-signed Cert" and "TLS Cert Expired" (captured 2020,
    certificate valid 2015-2016)."""
    ((_, events),) = list(_dissect("selfsigned.pcap"))
    certs, tls = split(events)
    assert len(certs) == 1 and certs[0].self_signed and certs[0].expired
    assert tls.cert_self_signed and tls.cert_expired and tls.cert_chain_len == 1
    assert (certs[0].key_type, certs[0].key_size) == ("rsa", 2048)
    assert tls.server_name == "localhost"


@needs_data
def test_chain_and_names_on_a_real_capture() -> None:
    ((_, events),) = list(_dissect("tls_malicious_sha1.pcapng"))
    certs, tls = split(events)
    assert [c.subject_cn for c in certs] == ["www.prbtest.dev", "GTS CA 1D4", "GTS Root R1"]
    assert [c.self_signed for c in certs] == [False, False, False]
    assert tls.cert_names == ("www.prbtest.dev",) and tls.cert_chain_len == 3


@needs_data
def test_alert_on_a_real_capture() -> None:
    """tshark -r tls_alert.pcap -Y tls.alert_message: 192.168.1.20 (the server) sends
    level 2 description 70; nDPI: "Found fatal TLS alert"."""
    # the other flows of the capture are seen from their middle (no handshake: no row)
    ((_, events),) = [f for f in _dissect("tls_alert.pcap") if f[1]]
    (tls,) = events
    assert isinstance(tls, TlsRecord)
    assert (tls.alert_level_name, tls.alert_description_name) == ("fatal", "protocol_version")
    assert tls.alert_sender == "server" and tls.server_name == "www.google-analytics.com"


# -- fuzz -------------------------------------------------------------------------------------

SEEDS = [
    tls12_cert_conversation(),
    tls12_cert_conversation(client_ders=[x509_der("client 1")], record_size=300),
]


@settings(max_examples=150, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(SEEDS) - 1),
    st.integers(0, 3),
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 1 << 16), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([0, 1, 97]),
)
def test_fuzz_conversations_with_certificates(
    seed: int, which: int, edits: list, step: int
) -> None:  # type: ignore[type-arg]
    """Invariant: any mutation of a conversation carrying certificates, fed in any split,
    then finished, yields events (at most one TlsRecord) or raises ParseError, within the
    deadline; ``matches`` never raises."""
    chunks = list(SEEDS[seed])
    which %= len(chunks)
    chunks[which] = (chunks[which][0], mutate(chunks[which][1], edits))
    try:
        events = feed_all(TlsDissector, chunks, TCP, step=step)
    except ParseError:
        return
    assert sum(isinstance(e, TlsRecord) for e in events) <= 1
    for from_orig, data in chunks:
        assert isinstance(TlsDissector.matches(data, TCP, from_orig), bool)


@settings(max_examples=150, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 12), st.integers(0, 255)), max_size=4)
)
def test_fuzz_certificate_der_never_raises(edits: list) -> None:  # type: ignore[type-arg]
    """Invariant: a damaged DER certificate gives a row (errors as text), never raises."""
    der = mutate(sample_chain()[0], edits)
    row = x509_record(der, 0, False, 0, 1)
    assert row.sha1 == hashlib.sha1(der).hexdigest()
    assert row.cert_parse_error is None or isinstance(row.cert_parse_error, str)


@settings(max_examples=100, deadline=250)
@given(st.binary(max_size=400), st.sampled_from([0, 1, 5]))
def test_fuzz_random_flight_after_server_hello(tail: bytes, step: int) -> None:
    """Invariant: random bytes after a TLS 1.2 ServerHello, as records or not, never lose the
    summary row nor raise anything (damage there is reported in ``late_error``)."""
    chunks = [
        (True, record(22, client_hello())),
        (False, record(22, server_hello(cipher=0xC02F, selected=None)) + records(22, tail, 50)),
        (False, tail),
    ]
    events = feed_all(TlsDissector, chunks, TCP, step=step)
    assert sum(isinstance(e, TlsRecord) for e in events) == 1


# -- end to end through the pipeline (x509 registered here as the lead will) ------------------


@needs_data
def test_pipeline_writes_x509_and_tls_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    import wirelens
    from wirelens.schema import SCHEMAS

    schema, _ = TABLES["x509"]
    monkeypatch.setitem(SCHEMAS, "x509", schema)
    result = wirelens.analyze(NDPI / "pcap" / "tls_malicious_sha1.pcapng")
    x509 = result.table("x509").to_pylist()
    assert [r["chain_pos"] for r in x509] == [0, 1, 2]
    assert x509[0]["sha1"] == "0ddb34f875632c7e1ec09d75827f82d2336dfeb6"
    assert x509[0]["not_after"] == datetime(2024, 2, 26, 13, 39, 22, tzinfo=UTC)
    assert x509[0]["expired"] is False  # captured 2023-12-10, valid until 2024-02-26
    (tls,) = result.table("tls").to_pylist()
    assert tls["uid"] == x509[0]["uid"] and tls["cert_sha256"] == x509[0]["sha256"]
    assert tls["cert_status"] == "parsed" and tls["cert_chain_len"] == 3
    assert tls["cert_sans"] == ["www.prbtest.dev"] and tls["cipher_suites"]


def _named(sans: tuple[str, ...], cn: str | None = None) -> X509Record:
    return X509Record(0, "", 0, False, 0, 1, 0, "", "", subject_cn=cn, san_dns=sans)


@pytest.mark.parametrize(("host", "names", "cn", "want"), [
    ("www.zeek.org", ("www.zeek.org",), None, True),
    ("WWW.Zeek.org.", ("www.zeek.org",), None, True),  # no case, no trailing dot
    ("ww.zeek.org", ("www.zeek.org",), None, False),
    ("www.zeek.org", ("zeek.org",), None, False),
    ("www.zeek.org", ("*.zeek.org",), None, True),
    ("a.b.zeek.org", ("*.zeek.org",), None, False),  # one label only
    ("zeek.org", ("*.zeek.org",), None, False),
    ("www.zeek.org", ("ww*.zeek.org",), None, True),  # a partial left-most label
    ("www.zeek.org", ("wa*.zeek.org",), None, False),
    ("www.zeek.org", ("*",), None, False),
    ("www.zeek.com", ("*.*.com",), None, False),  # only the left-most label
    ("zeek.com", ("*.com",), None, False),  # not a whole top-level domain
    ("www.zeek.org", (), "www.zeek.org", True),  # the subject CN counts too
    ("mail.zeek.org", ("www.zeek.org",), "mail.zeek.org", True),
])
def test_sni_matches_cert(host: str, names: tuple[str, ...], cn: str | None, want: bool) -> None:
    assert _named(names, cn).matches_host(host) is want


def test_sni_matches_cert_column() -> None:
    """The tls row says whether the SNI matched the leaf; null with no SNI."""
    for sni, want in (("www.example.com", True), ("other.example.net", False), (None, None)):
        conv = tls12_cert_conversation(sni=sni)
        rows = [e for e in feed_all(TlsDissector, conv, 6) if isinstance(e, TlsRecord)]
        assert rows and rows[0].sni_matches_cert is want, (sni, rows[0].cert_names)


@needs_data
def test_sni_mismatch_on_a_real_capture() -> None:
    """nDPI flags malware.pcap's www.internetbadguys.com "TLS Cert Mismatch" (OpenDNS's block
    page answers with its own certificate); its other TLS flow's certificate names its SNI."""
    got = {split(events)[1].server_name: split(events)[1].sni_matches_cert
           for _, events in _dissect("malware.pcap")}
    assert got == {"www.internetbadguys.com": False, "hobbeach.com": True}


@pytest.mark.parametrize(("serial", "text"), [
    (0x1234ABCD, "1234ABCD"), (0x023A69, "023A69"), (2, "02"),
    (0xFD62E14283CA9DF3, "FD62E14283CA9DF3"),  # top bit set: no sign byte (OpenSSL, Zeek)
])
def test_serial_as_openssl_prints_it(serial: int, text: str) -> None:
    leaf = x509_record(x509_der("s.example", serial=serial), 0, False, 0, 1)
    assert leaf.serial == text
    assert (_serial(0), _serial(-0x12), _serial(-0x123)) == ("00", "-12", "-0123")


def test_name_attributes_without_an_rfc4514_key_get_openssl_names() -> None:
    """emailAddress (PKCS #9) and serialNumber have no RFC 4514 key: cryptography writes their
    OIDs; Zeek and Suricata print OpenSSL's names."""
    import datetime

    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.ORGANIZATION_NAME, "Root CA"),
                       cx509.NameAttribute(NameOID.SERIAL_NUMBER, "42"),
                       cx509.NameAttribute(NameOID.EMAIL_ADDRESS, "support@example.org")])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    rec = x509_record(cert.public_bytes(serialization.Encoding.DER), 0, False, 0, 1)
    assert rec.subject == rec.issuer == (
        "emailAddress=support@example.org,serialNumber=42,O=Root CA")


def _rsa_cert(name: object) -> bytes:
    """A self-signed certificate of ``name`` (a cryptography Name) with a 1024-bit RSA key."""
    import datetime

    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(65537, 1024)
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name)  # type: ignore[arg-type]
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_names_as_openssl_prints_them_multivalued_rdns_and_control_characters() -> None:
    """Zeek's rdp-x509 trace (an RDP licensing certificate): a multi-valued RDN reads last
    member first, as OpenSSL prints it (DER sorts the members, X.690 §11.6: here serialNumber,
    CN, L), and a CR LF in a value is escaped (\\0D\\0A)."""
    from cryptography import x509 as cx509
    from cryptography.x509.oid import NameOID

    name = cx509.Name([cx509.RelativeDistinguishedName([
        cx509.NameAttribute(NameOID.COMMON_NAME, "SERVR"),
        cx509.NameAttribute(NameOID.LOCALITY_NAME, "TURN\r\nBKL"),
        cx509.NameAttribute(NameOID.SERIAL_NUMBER, "1BcK")])])
    rec = x509_record(_rsa_cert(name), 0, False, 0, 1)
    assert rec.subject == rec.issuer == "L=TURN\\0D\\0ABKL+CN=SERVR+serialNumber=1BcK"


def test_rsa_key_named_by_a_signature_oid_is_still_rsa() -> None:
    """The same trace's licence certificate names its key's algorithm md5WithRSAEncryption
    (1.2.840.113549.1.1.4) where rsaEncryption (.1) belongs: cryptography will not load the
    key; Zeek says rsa 512. The modulus is read from the SubjectPublicKeyInfo."""
    from cryptography import x509 as cx509
    from cryptography.x509.oid import NameOID

    der = _rsa_cert(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "lic")]))
    rsa_oid = bytes.fromhex("06092a864886f70d010101")
    assert der.count(rsa_oid) == 1  # the SubjectPublicKeyInfo's (signatures use sha256WithRSA)
    odd = der.replace(rsa_oid, bytes.fromhex("06092a864886f70d010104"))
    rec = x509_record(odd, 0, False, 0, 1)
    assert (rec.key_type, rec.key_size) == ("rsa", 1024)
    assert x509_record(der, 0, False, 0, 1).key_size == 1024


def test_name_final_once_no_certificate_name_can_come() -> None:
    """A flow read only for its name (``--dpi fast``) stops at ``name_final``: without SNI
    the name is the certificate's, so not before a TLS 1.2 server's Certificate is read
    (its names are then the dissector's ``cert_names``), and at once after a TLS 1.3
    ServerHello (its certificate is encrypted) or encrypted records seen first (a capture
    started mid-connection)."""
    def steps(conv: list[tuple[bool, bytes]]) -> list[bool]:
        d = TlsDissector(TCP)
        out = []
        for from_orig, data in conv:
            d.feed(data, from_orig, 0)
            out.append(d.name_final())
        return out

    tls12 = tls12_cert_conversation(sni=None)
    assert steps(tls12) == [False, True, True, True]
    flight = server_hello(cipher=0xC02F, selected=None)
    assert steps([tls12[0], (False, record(22, flight))]) == [False, False]
    d = TlsDissector(TCP)
    for from_orig, data in [tls12[0], (False, record(22, flight + certificate_msg(sample_chain())))]:
        d.feed(data, from_orig, 0)
    assert d.name_final() and d.cert_names and not d.done  # (its row comes at ServerHelloDone)
    tls13 = [(True, record(22, client_hello(sni=None))), (False, record(22, server_hello()))]
    assert steps(tls13) == [False, True]
    assert steps([(False, record(23, b"x" * 40))]) == [True]
