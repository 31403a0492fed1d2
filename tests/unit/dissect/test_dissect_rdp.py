"""RDP negotiation dissector: Connection Request / Confirm whole, byte-at-a-time and with
junk; failures; real captures (nDPI rdp3 / rdp_over_tls, zeek rdp traces, checked against
zeek's rdp.log and tshark), fuzz."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import pytest
import wl_mini_pcap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all, sample_chain

from wirelens.dissect.base import Event
from wirelens.dissect.rdp import RDP_MAX_CERTS, RdpDissector, RdpRecord, protocol_names
from wirelens.dissect.tls_certs import X509Record
from wirelens.schema.enterprise import TABLES
from wirelens.wire import BadValue, LimitExceeded, ParseError

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ZEEK_RDP = DATA / "zeek" / "testing" / "btest" / "Traces" / "rdp"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
needs_data = pytest.mark.skipif(
    not ZEEK_RDP.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def tpkt(code: int, variable: bytes) -> bytes:
    x224 = bytes([6 + len(variable), code]) + b"\x00\x00\x12\x34\x00" + variable
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def neg(kind: int, value: int) -> bytes:
    return struct.pack("<BBHI", kind, 0, 8, value)


def cr(cookie: bytes | None = b"alice", requested: int | None = 0x0B) -> bytes:
    var = b"Cookie: mstshash=" + cookie + b"\r\n" if cookie is not None else b""
    return tpkt(0xE0, var + (neg(1, requested) if requested is not None else b""))


def cc(selected: int | None = 2, failure: int | None = None) -> bytes:
    if failure is not None:
        return tpkt(0xD0, neg(3, failure))
    return tpkt(0xD0, neg(2, selected) if selected is not None else b"")


@pytest.mark.parametrize("step", [0, 1, 3])
def test_negotiation(step: int) -> None:
    (row,) = feed_all(RdpDissector, [(True, cr()), (False, cc())], TCP, step=step)
    assert isinstance(row, RdpRecord)
    assert row.cookie == "alice" and row.routing_token is None and row.ts_ns == 1000
    assert row.requested_flags == 0x0B and row.requested_protocols == ("SSL", "HYBRID", "HYBRID_EX")
    assert (row.selected_code, row.selected_protocol, row.result, row.encrypted) == (
        2, "HYBRID", "success", True,
    )  # fmt: skip


def test_failure_legacy_token_and_unanswered() -> None:
    (row,) = feed_all(RdpDissector, [(True, cr()), (False, cc(failure=5))], TCP)
    assert isinstance(row, RdpRecord)
    assert (row.failure_code, row.result, row.selected_protocol) == (
        5,
        "HYBRID_REQUIRED_BY_SERVER",
        None,
    )
    legacy = tpkt(0xE0, b"Cookie: msts=12345.6789.0000\r\n")
    (row,) = feed_all(RdpDissector, [(True, legacy), (False, cc(None))], TCP)
    assert isinstance(row, RdpRecord)
    assert row.routing_token == "Cookie: msts=12345.6789.0000" and row.cookie is None
    assert row.requested_flags is None and row.selected_protocol == "RDP" and not row.encrypted
    (row,) = feed_all(RdpDissector, [(True, cr(None, 0))], TCP)
    assert isinstance(row, RdpRecord) and row.result is None and row.requested_protocols == ("RDP",)


def test_done_after_confirm_and_trailing_bytes_ignored() -> None:
    d = RdpDissector(TCP)
    d.feed(cr(), True, 0)
    assert len(d.feed(cc() + b"\x16\x03\x01\x00\x05hello", False, 0)) == 1 and d.done
    assert d.feed(b"\x16\x03\x01 TLS from now on", True, 0) == [] and d.finish() == []


def test_errors() -> None:
    with pytest.raises(BadValue):  # not TPKT
        RdpDissector(TCP).feed(b"\x16\x03\x01\x00\x05hello", True, 0)
    with pytest.raises(BadValue):  # LI does not match
        RdpDissector(TCP).feed(cr()[:4] + b"\x99" + cr()[5:], True, 0)
    with pytest.raises(BadValue):  # cookie without CR LF
        RdpDissector(TCP).feed(tpkt(0xE0, b"Cookie: mstshash=bob"), True, 0)
    with pytest.raises(BadValue):  # a response type inside the request
        RdpDissector(TCP).feed(tpkt(0xE0, neg(2, 1)), True, 0)
    with pytest.raises(BadValue):  # trailing junk after the negotiation data
        RdpDissector(TCP).feed(tpkt(0xE0, neg(1, 1) + b"junk"), True, 0)
    with pytest.raises(LimitExceeded):
        RdpDissector(TCP).feed(b"\x03\x00\xff\xff", True, 0)
    d = RdpDissector(TCP)
    d.feed(cr(), True, 0)
    with pytest.raises(BadValue):  # the server sends a CR instead of a CC
        d.feed(cr(), False, 0)
    assert RdpDissector(TCP).feed(cr()[:-1], True, 0) == []  # incomplete: waits


def connect_initial(
    name: str = "LAPTOP-1", channels: tuple[bytes, ...] = (b"rdpdr", b"cliprdr")
) -> bytes:
    """An X.224 Data TPDU whose MCS Connect Initial carries client core and network data
    (the BER/PER wrapping is abbreviated: only the H.221 key and the blocks matter)."""
    core = struct.pack("<IHHHHII", 0x00080004, 1920, 1080, 0xCA01, 0xAA03, 0x409, 9600)
    core += name.encode("utf-16-le").ljust(32, b"\x00") + struct.pack("<III", 4, 0, 12)
    core += b"\x00" * 64 + struct.pack("<HHIHHH", 0xCA01, 1, 0, 24, 7, 1)
    core += "0000-1111".encode("utf-16-le").ljust(64, b"\x00")
    net = struct.pack("<I", len(channels)) + b"".join(
        c.ljust(8, b"\x00") + b"\x00" * 4 for c in channels
    )
    blocks = (
        struct.pack("<HH", 0xC001, 4 + len(core))
        + core
        + struct.pack("<HH", 0xC003, 4 + len(net))
        + net
    )
    user = (
        b"\x7f\x65\x82\x01\x00"
        + b"\x04\x01\x01" * 2
        + b"Duca"
        + struct.pack(">H", 0x8000 | len(blocks))
        + blocks
    )
    x224 = b"\x02\xf0\x80" + user
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


@pytest.mark.parametrize("step", [0, 1, 11])
def test_standard_security_reads_the_client_data(step: int) -> None:
    chunks = [
        (True, cr(b"bob", 0)),
        (False, cc(0)),
        (True, connect_initial()),
        (False, b"\x03\x00\xff\xff"),
    ]
    rows = feed_all(RdpDissector, chunks, TCP, step=step)
    (row,) = rows
    assert isinstance(row, RdpRecord) and row.selected_protocol == "RDP" and not row.encrypted
    assert (row.client_name, row.client_build, row.desktop_width, row.desktop_height) == (
        "LAPTOP-1",
        9600,
        1920,
        1080,
    )
    assert row.client_dig_product_id == "0000-1111" and row.client_channels == ("rdpdr", "cliprdr")


def connect_response(security: bytes) -> bytes:
    """An X.224 Data TPDU whose MCS Connect Response carries server core and security data
    (the wrapping abbreviated, as in :func:`connect_initial`)."""
    core = struct.pack("<HHI", 0x0C01, 8, 0x00080004)
    blocks = core + struct.pack("<HH", 0x0C02, 4 + len(security)) + security
    user = b"\x7f\x66\x82\x01\x00\x0a\x01\x00" + b"McDn" + struct.pack(">H", 0x8000 | len(blocks))
    x224 = b"\x02\xf0\x80" + user + blocks
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def server_security(method: int, level: int, cert: bytes) -> bytes:
    """SC_SECURITY (MS-RDPBCGR §2.2.1.4.3) with a 32-byte server random."""
    return struct.pack("<IIII", method, level, 32, len(cert)) + b"\x5a" * 32 + cert


def x509_chain(ders: list[bytes], version: int = 0x80000002) -> bytes:
    """A server X.509 certificate chain (§2.2.1.4.3.1.2), temporary by default."""
    return (struct.pack("<II", version, len(ders))
            + b"".join(struct.pack("<I", len(d)) + d for d in ders) + b"\x00" * 16)


@pytest.mark.parametrize("step", [0, 1, 97])
def test_standard_security_reads_the_server_certificates(step: int) -> None:
    """Zeek's rdp-x509 trace: the Connect Response names the encryption (128bit, Client
    compatible) and sends an X.509 chain of two temporary certificates, each an x509 row."""
    chain = sample_chain()
    chunks = [(True, cr(b"bob", 0)), (False, cc(0)), (True, connect_initial()),
              (False, connect_response(server_security(2, 2, x509_chain(chain))))]
    rows = feed_all(RdpDissector, chunks, TCP, step=step)
    row, *certs = rows
    assert isinstance(row, RdpRecord) and row.client_name == "LAPTOP-1"
    assert (row.encryption_method, row.encryption_level, row.cert_type, row.cert_count,
            row.cert_permanent, row.late_error) == (
        "128bit", "Client compatible", "X.509", 2, False, None)
    assert all(isinstance(c, X509Record) for c in certs)
    assert [(c.chain_pos, c.chain_len, c.subject_cn, c.is_client) for c in certs] == [  # type: ignore[attr-defined]
        (0, 2, "www.example.com", False), (1, 2, "Test CA", False)]


def test_server_security_proprietary_none_and_damaged() -> None:
    """A proprietary RSA certificate (§2.2.1.4.3.1.1), permanent; no encryption (method and
    level 0: no random, no certificate); damage in the Connect Response keeps the row and
    says why in ``late_error``."""
    proprietary = struct.pack("<III", 1, 1, 1) + b"\x00" * 80
    cases = [
        (server_security(0x10, 4, proprietary), ("FIPS", "FIPS", "RSA", 0, True, None)),
        (struct.pack("<II", 0, 0), ("None", "None", None, None, None, None)),
    ]
    for security, want in cases:
        (row,) = feed_all(RdpDissector, [(True, cr(b"bob", 0)), (False, cc(0)),
                                         (True, connect_initial()),
                                         (False, connect_response(security))], TCP)
        assert (row.encryption_method, row.encryption_level, row.cert_type,  # type: ignore[attr-defined]
                row.cert_count, row.cert_permanent, row.late_error) == want  # type: ignore[attr-defined]
    too_many = x509_chain([b"x"] * (RDP_MAX_CERTS + 1))
    for bad, why in ((connect_response(server_security(2, 2, too_many)), "certificates"),
                     (connect_response(server_security(2, 2, b"\x07\x00\x00\x00")), "version 7"),
                     (b"\x03\x00\xff\xff", "TPKT of 65535 bytes")):
        (row,) = feed_all(RdpDissector, [(True, cr(b"bob", 0)), (False, cc(0)),
                                         (True, connect_initial()), (False, bad)], TCP)
        assert row.client_name == "LAPTOP-1" and why in (row.late_error or "")  # type: ignore[attr-defined]


def test_standard_security_without_client_data_ends_at_finish() -> None:
    d = RdpDissector(TCP)
    assert d.feed(cr(), True, 1) == [] and d.feed(cc(None), False, 2) == []
    assert d.feed(b"\x03\x00\x00\x0c\x02\xf0\x80\x7f\x66\x00\x00\x00", True, 3) == []  # no Duca
    (row,) = d.finish()
    assert isinstance(row, RdpRecord) and row.client_name is None and row.result == "success"


def test_client_tls_without_confirm_stops_reading() -> None:
    d = RdpDissector(TCP)
    assert d.feed(cr() + b"\x16\x03\x01\x02\x00" + b"\x01" * 600, True, 0) == []
    assert d.feed(b"more tls", True, 0) == []
    (row,) = d.finish()
    assert isinstance(row, RdpRecord) and row.result is None and row.cookie == "alice"


def test_second_connection_request_is_an_error() -> None:
    with pytest.raises(BadValue):
        RdpDissector(TCP).feed(cr() + cr(b"mallory"), True, 0)
    with pytest.raises(ParseError):  # a client data block overrunning the user data
        d = RdpDissector(TCP)
        d.feed(cr(None, 0), True, 0)
        d.feed(cc(0), False, 0)
        bad = bytearray(connect_initial())
        at = bad.find(b"\x01\xc0")
        bad[at + 2 : at + 4] = b"\xff\x7f"
        d.feed(bytes(bad), True, 0)


def test_protocol_names() -> None:
    assert protocol_names(0) == ("RDP",) and protocol_names(0x1F)[-1] == "RDSAAD"
    assert protocol_names(0x101) == ("SSL", "0x100")


def test_matches_is_strict() -> None:
    assert RdpDissector.matches(cr(), TCP, True) and RdpDissector.matches(cr(None, None), TCP, True)
    assert not RdpDissector.matches(cr(), UDP, True)
    assert not RdpDissector.matches(cc(), TCP, False)  # only the request identifies
    assert not RdpDissector.matches(cr() + b"\x00", TCP, True)
    assert not RdpDissector.matches(cr()[:-1], TCP, True)
    assert not RdpDissector.matches(b"\x03\x00\x00\x13\x0f\xe0" + b"\x00" * 13, TCP, True)  # LI
    assert not RdpDissector.matches(b"\x03\x00\x00\x0b\x06\xf0\x80" + b"\x00" * 4, TCP, True)  # DT
    s7_cr = tpkt(0xE0, b"\xc0\x01\x0a\xc1\x02\x01\x00\xc2\x02\x01\x02")  # ISO-TSAP parameters
    assert not RdpDissector.matches(s7_cr, TCP, True)


def test_schema_matches_event_fields() -> None:
    schema, doc = TABLES["rdp"]
    names = [f.name for f in dataclasses.fields(RdpRecord) if f.name != "ts_ns"]
    assert schema.names == ["ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p", *names]
    assert RdpRecord.table == "rdp" and doc


def _capture(path: Path) -> list[RdpRecord]:
    out: list[RdpRecord] = []
    for flow in wl_mini_pcap.flows(path):
        if (
            flow.proto != TCP
            or not flow.chunks
            or not RdpDissector.matches(flow.chunks[0][1], TCP, True)
        ):
            continue
        d = RdpDissector(TCP)
        for side, payload, ts in flow.chunks[:8]:
            out += [e for e in d.feed(payload, side, ts) if isinstance(e, RdpRecord)]
        out += [e for e in d.finish() if isinstance(e, RdpRecord)]
    return out


@needs_data
def test_real_zeek_rdp_logs() -> None:
    """zeek rdp.log: rdp-x509 cookie 'JOHN-PC  ', RDP security; rdp-no-cookie-mstshash no
    cookie, HYBRID_EX."""
    (row,) = _capture(ZEEK_RDP / "rdp-x509.pcap")
    assert (row.cookie, row.selected_protocol, row.result) == ("JOHN-PC  ", "RDP", "success")
    # zeek rdp.log and tshark rdp.client.*: JOHN-PC-LAPTOP, build 9600, 1920x1080, channels
    assert (row.client_name, row.client_build, row.desktop_width, row.desktop_height) == (
        "JOHN-PC-LAPTOP",
        9600,
        1920,
        1080,
    )
    assert row.client_dig_product_id == "3c571ed0-3415-474b-ae94-74e151b"
    assert row.client_channels == ("rdpdr", "rdpsnd", "cliprdr", "drdynvc")
    # zeek rdp.log: X.509, 2 certificates, not permanent, Client compatible, 128bit
    assert (row.cert_type, row.cert_count, row.cert_permanent, row.encryption_level,
            row.encryption_method) == ("X.509", 2, False, "Client compatible", "128bit")
    import wirelens

    x509 = wirelens.analyze(ZEEK_RDP / "rdp-x509.pcap").tables["x509"].to_pylist()
    # zeek x509.log: the server's two certificates, OpenSSL's name forms, RSA 512 both
    assert [(c["subject"], c["issuer"], c["key_type"], c["key_size"]) for c in x509] == [
        ("L=TURNBKL+CN=SERVR", "L=TURNBKL+CN=SERVR", "rsa", 512),
        ("serialNumber=1BcKefYSF97EvkaiCqahPY8uPd0=\\0D\\0A+L=ncalrpc:SERVR+CN=ncalrpc:SERVR",
         "L=TURNBKL+CN=SERVR", "rsa", 512)]
    (row,) = _capture(ZEEK_RDP / "rdp-no-cookie-mstshash.pcap")
    assert row.cookie is None and row.selected_protocol == "HYBRID_EX" and row.encrypted
    first, second = _capture(ZEEK_RDP / "rdp-proprietary-encryption.pcap")
    assert first.result == "SSL_NOT_ALLOWED_BY_SERVER" and first.requested_protocols == ("SSL",)
    assert second.result == "success" and second.selected_protocol == "RDP"


@needs_data
def test_real_ndpi_rdp() -> None:
    """tshark: rdp3 cookie 'Administr' without negotiation data, client SEPTU build 2600
    1280x1024; rdp_over_tls cookie 'WDeployAd', SSL|HYBRID requested, HYBRID selected."""
    (row,) = _capture(NDPI / "rdp3.pcap")
    assert row.cookie == "Administr" and row.requested_flags is None and row.selected_code == 0
    assert (row.client_name, row.client_build, row.desktop_width) == ("SEPTU", 2600, 1280)
    assert row.client_dig_product_id == "76487-OEM-0011903-00102"
    (row,) = _capture(NDPI / "rdp_over_tls.pcap")
    assert row.cookie == "WDeployAd" and row.requested_protocols == ("SSL", "HYBRID")
    assert row.selected_protocol == "HYBRID"


@needs_data
def test_pipeline_rdp_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered by monkeypatching, the dissector names the flows and fills its table."""
    import wirelens
    from wirelens.dissect import registry
    from wirelens.schema import SCHEMAS

    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, RdpDissector))
    monkeypatch.setitem(registry._BY_NAME, "rdp", RdpDissector)
    for table, (schema, _) in TABLES.items():
        monkeypatch.setitem(SCHEMAS, table, schema)
    result = wirelens.analyze(NDPI / "rdp_over_tls.pcap")
    (row,) = result.table("rdp").to_pylist()
    assert (row["cookie"], row["requested_protocols"], row["selected_protocol"]) == (
        "WDeployAd",
        ["SSL", "HYBRID"],
        "HYBRID",
    )
    assert [c["service"] for c in result.table("conn").to_pylist()] == ["rdp"]


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([0, 1, 2, 3]),
    st.lists(st.tuples(st.integers(0, 1 << 11), st.integers(0, 255)), max_size=6),
    st.integers(0, 2000),
    st.binary(max_size=64),
    st.sampled_from([0, 1, 5]),
)
def test_fuzz(which: int, edits: list[tuple[int, int]], cut: int, extra: bytes, step: int) -> None:
    """Invariant: any input, in any split, yields events or raises ParseError, within the
    deadline; ``matches`` never raises."""
    chunks = [(True, cr(b"x", 0)), (False, cc(0)), (True, connect_initial()),
              (False, connect_response(server_security(2, 2, x509_chain(sample_chain()))))]
    side, data = chunks[which]
    buf = bytearray(data)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    chunks[which] = (side, bytes(buf[:cut]) + extra)
    for _, payload in chunks:
        assert isinstance(RdpDissector.matches(payload, TCP, True), bool)
    try:
        out = feed_all(RdpDissector, chunks, TCP, step=step)
        assert all(isinstance(e, Event) for e in out)
    except ParseError:
        pass
