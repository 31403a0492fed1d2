"""NTP dissector: time packets, control (mode 6) and private (mode 7) messages, strict
``matches``, real captures checked against tshark, and a fuzz test."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_mini_pcap import flows

from wirelens.dissect.ntp import NtpDissector, NtpMessage, ntp_time_ns, parse_ntp
from wirelens.wire import BadValue, ParseError, Truncated

UDP, TCP = 17, 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)

# 2015-07-14 09:16:36 UTC as an NTP era-0 timestamp, fraction 0.5
T0 = ((1436865396 + 2_208_988_800) << 32) | 0x8000_0000


def time_packet(
    mode: int = 3,
    version: int = 4,
    stratum: int = 2,
    ref: bytes = b"\x83\xbc\x03\xdf",
    xmt: int = T0,
    tail: bytes = b"",
) -> bytes:
    """A 48-byte NTP packet (RFC 5905 §7.3) plus ``tail``."""
    return (
        bytes([(version << 3) | mode, stratum, 6, 0xEC])
        + struct.pack(">II", 0x0000_8000, 0x0001_0000)  # 0.5 s, 1.0 s
        + ref
        + struct.pack(">QQQQ", T0 - (1 << 32), 0, 0, xmt)
        + tail
    )  # fmt: skip


def mode7(req: int, response: bool = False, items: int = 0) -> bytes:
    """A mode 7 header (ntpd ntp_request.h), version 2, implementation XNTPD (3)."""
    return (
        bytes([(0x80 if response else 0) | (2 << 3) | 7, 0, 3, req])
        + struct.pack(">HH", items, 0)
        + b"\x00" * 40
    )


def mode6(opcode: int, data: bytes = b"") -> bytes:
    """A mode 6 control header (RFC 1305 Appendix B) and its data."""
    return bytes([(2 << 3) | 6, opcode]) + struct.pack(">HHHHH", 1, 0, 0, 0, len(data)) + data


def test_client_packet_fields() -> None:
    m = parse_ntp(time_packet(), 7)
    assert isinstance(m, NtpMessage) and m.table == "ntp" and m.ts_ns == 7
    assert (m.version, m.mode, m.mode_name, m.leap, m.stratum) == (4, 3, "client", 0, 2)
    assert (m.poll, m.precision, m.root_delay, m.root_disp) == (6, -20, 0.5, 1.0)
    assert m.ref_id == "131.188.3.223"
    assert m.xmt_time == 1436865396_500_000_000
    assert m.ref_time == 1436865396_500_000_000 - 1_000_000_000
    assert m.org_time is None and m.rec_time is None
    assert (m.num_exts, m.has_mac, m.amplification, m.req_code) == (0, False, False, None)


def test_stratum_one_reference_is_ascii() -> None:
    m = parse_ntp(time_packet(mode=4, stratum=1, ref=b"GPS\x00"))
    assert (m.mode_name, m.ref_id) == ("server", "GPS")
    assert parse_ntp(time_packet(mode=4, stratum=0, ref=b"RATE")).ref_id == "RATE"


def test_era_one_timestamps() -> None:
    """RFC 4330 §3: a top bit clear means the era after 2036-02-07 06:28:16 UTC."""
    assert ntp_time_ns(0) is None
    assert ntp_time_ns(1 << 32) == (2**32 + 1 - 2_208_988_800) * 1_000_000_000
    assert ntp_time_ns(0x8000_0000 << 32) == (2**31 - 2_208_988_800) * 1_000_000_000


def test_mac_and_extension_fields() -> None:
    mac = struct.pack(">I", 8) + b"\xaa" * 20
    m = parse_ntp(time_packet(tail=mac))
    assert (m.num_exts, m.has_mac) == (0, True)
    ext = struct.pack(">HH", 0x0104, 36) + b"\x00" * 32
    m = parse_ntp(time_packet(tail=ext + ext + mac))
    assert (m.num_exts, m.has_mac) == (2, True)
    assert parse_ntp(time_packet(tail=ext)).num_exts == 1


def test_mode7_monlist_is_flagged() -> None:
    m = parse_ntp(mode7(42))
    assert (m.mode_name, m.req_code, m.req_code_name) == ("private", 42, "MON_GETLIST_1")
    assert m.amplification and m.is_response is False and m.leap is None
    r = parse_ntp(mode7(20, response=True, items=6))
    assert r.amplification and r.is_response and r.mode7_items == 6 and r.mode7_err == 0
    info = parse_ntp(mode7(8))
    assert (info.req_code_name, info.amplification) == ("LOOP_INFO", False)


def test_mode6_control() -> None:
    m = parse_ntp(mode6(2, b"version"))
    assert (m.mode_name, m.opcode, m.opcode_name, m.is_response) == ("control", 2, "READVAR", False)
    assert parse_ntp(mode6(0x80 | 1, b"")).is_response is True


@pytest.mark.parametrize("cut", [1, 4, 20, 47])
def test_truncated_time_packet(cut: int) -> None:
    with pytest.raises(Truncated):
        parse_ntp(time_packet()[:cut])


def test_truncated_private_and_control() -> None:
    with pytest.raises(Truncated):
        parse_ntp(mode7(42)[:7])
    with pytest.raises(Truncated):
        parse_ntp(mode6(2, b"abcdef")[:15])


def test_bad_version_and_mode_zero() -> None:
    with pytest.raises(BadValue):
        parse_ntp(time_packet(version=0))
    with pytest.raises(BadValue):
        parse_ntp(time_packet(mode=0))


def test_trailing_bytes_are_the_mac_not_an_error() -> None:
    """Defined behaviour: bytes after the header (and its extension fields) are a MAC."""
    assert parse_ntp(time_packet(tail=b"junk")).has_mac
    assert parse_ntp(mode7(42) + b"junk").req_code == 42


def test_dissector_one_event_per_datagram() -> None:
    d = NtpDissector(UDP)
    out = d.feed(time_packet(), True, 1) + d.feed(time_packet(mode=4), False, 2) + d.finish()
    assert [e.mode_name for e in out if isinstance(e, NtpMessage)] == ["client", "server"]
    assert d.server_name is None


def test_matches_accepts_ntp() -> None:
    for payload in (time_packet(), time_packet(mode=4, stratum=1, ref=b"GPS\x00"), mode7(42),
                    mode6(2, b"x" * 10), time_packet(tail=b"\x00" * 24)):  # fmt: skip
        assert NtpDissector.matches(payload, UDP, True)
    assert not NtpDissector.matches(time_packet(), TCP, True)


def test_matches_is_strict() -> None:
    rng = random.Random(123)
    hits = 0
    for n in (8, 12, 44, 48, 52, 60, 68, 72, 200):
        for _ in range(4000):
            hits += NtpDissector.matches(rng.randbytes(n), UDP, True)
    assert hits == 0
    others = [
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n" + b" " * 20,
        b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + b"\x00" * 60,
        b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01"
        + b"\x00\x01"
        + b"\x00" * 20,
        b"\x00" * 48,
        b"\xff" * 48,
        time_packet()[:47],
        time_packet() + b"\x00",  # not a multiple of 4
        # nDPI dtls_mid_sessions / fuzz-2006-06-26-2594: mode 7 look-alikes (UNIV
        # implementation; the more bit and a sequence number on a request)
        bytes.fromhex("170100000100000000d415005056cb1c4eca90c45400c6be") + b"\x00" * 69,
        bytes.fromhex("57d200000001000000000000013101300130033132370769") + b"\x00" * 16,
    ]
    assert not any(NtpDissector.matches(p, UDP, True) for p in others)


# -- real captures -------------------------------------------------------------------------------


def _messages(rel: str) -> list[tuple[bool, NtpMessage]]:
    out = []
    for fl in flows(DATA / rel):
        if fl.proto != UDP:
            continue
        for from_orig, payload, ts in fl.chunks:
            assert NtpDissector.matches(payload, UDP, from_orig) or rel.endswith(
                ("tcpdump/tests/ntp.pcap", "ntp-time-ef.pcap")
            )
            out.append((NtpDissector.matches(payload, UDP, from_orig), parse_ntp(payload, ts)))
    return out


@needs_data
def test_real_ntpv2_monlist() -> None:
    """nDPI NTPv2.pcap (nDPI: NTP): one mode 7 MON_GETLIST_1 response (tshark reqcode 42)."""
    msgs = _messages("nDPI/tests/cfgs/default/pcap/NTPv2.pcap")
    assert len(msgs) == 1
    matched, m = msgs[0]
    assert matched and (m.version, m.mode, m.req_code, m.is_response) == (2, 7, 42, True)
    assert m.amplification


@needs_data
def test_real_ntpv4_client() -> None:
    """nDPI NTPv4.pcap; tshark: v4 client, stratum 2, refid 83bc03df,
    xmt Jul 14, 2015 09:16:36.176374611 UTC."""
    ((matched, m),) = _messages("nDPI/tests/cfgs/default/pcap/NTPv4.pcap")
    assert matched and (m.version, m.mode_name, m.stratum) == (4, "client", 2)
    assert m.ref_id == "131.188.3.223"
    assert m.xmt_time == 1436865396_176374611


@needs_data
def test_real_zeek_gps_server_and_suricata_v3() -> None:
    """zeek ntp.pcap: stratum 1 server with refid 'GPSs' (tshark 47505373); suricata-verify
    ntp-keywords: v3 and v4 exchanges, server refid 4c4f434c ('LOCL' as an address at
    stratum 2), transmit time in 2049 (era 1; tshark: Jan 16, 2049 02:34:43.290514766)."""
    zeek = _messages("zeek/testing/btest/Traces/ntp.pcap")
    servers = [m for _, m in zeek if m.mode_name == "server"]
    assert servers and all(m.stratum == 1 and m.ref_id == "GPSs" for m in servers)
    suri = [m for _, m in _messages("suricata-verify/tests/ntp-keywords/input.pcap")]
    assert {m.version for m in suri} == {3, 4}
    assert suri[0].xmt_time == 2494377283_290514766
    assert {m.ref_id for m in suri if m.mode == 4} == {"76.79.67.76"}


@needs_data
def test_real_tcpdump_mode7_and_macs() -> None:
    """tcpdump ntp-mode7.pcap: AUTHINFO (28) and LOOP_INFO (8) requests/responses;
    ntp.pcap: packets with a key id + digest (tshark shows the MAC)."""
    codes = {m.req_code_name for _, m in _messages("tcpdump/tests/ntp-mode7.pcap")}
    assert {"AUTHINFO", "LOOP_INFO"} <= codes
    macs = [m.has_mac for _, m in _messages("tcpdump/tests/ntp.pcap")]
    assert any(macs) and not all(macs)
    exts = [m.num_exts for _, m in _messages("tcpdump/tests/ntp-time-ef.pcap")]
    assert exts[:2] == [4, 2]  # tshark: 4 then 2 extension fields


# -- fuzz ----------------------------------------------------------------------------------------

SEEDS = [time_packet(), time_packet(tail=struct.pack(">HH", 0x104, 16) + b"\x00" * 36),
         mode7(42), mode6(2, b"abc")]  # fmt: skip


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 250),
    junk=st.binary(max_size=64),
)
def test_fuzz_ntp(seed: bytes, edits: list[tuple[int, int]], cut: int, junk: bytes) -> None:
    """Invariant: any datagram yields one NtpMessage or raises ParseError (within the
    250 ms deadline), and ``matches`` never raises."""
    data = bytearray(seed)
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    payload = bytes(data[:cut]) + junk
    NtpDissector.matches(payload, UDP, True)
    d = NtpDissector(UDP)
    try:
        out = d.feed(payload, True, 0)
    except ParseError:
        return
    assert len(out) == 1 and isinstance(out[0], NtpMessage)
    assert d.finish() == []


def test_schema_matches_event_and_converts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table = key fields + one column per event field; a row converts to Arrow."""
    import dataclasses

    from wirelens import schema as schemas
    from wirelens.pipeline import events
    from wirelens.schema.infra import TABLES

    schema, _ = TABLES["ntp"]
    names = [f.name for f in dataclasses.fields(NtpMessage) if f.name != "ts_ns"]
    assert schema.names[6:] == names
    monkeypatch.setitem(schemas.SCHEMAS, "ntp", schema)  # the dict events reads
    rows = []
    for ev in (parse_ntp(time_packet(), 5), parse_ntp(mode7(42), 6), parse_ntp(mode6(1), 7)):
        row = {n: getattr(ev, n) for n in names}
        row.update(ts=ev.ts_ns, uid="C1", orig_h="10.0.0.1", orig_p=123, resp_h="10.0.0.2",
                   resp_p=123)  # fmt: skip
        rows.append(row)
    batch = events.rows_batch("ntp", rows)
    assert batch.num_rows == 3
    assert batch.column("ref_id").to_pylist()[0] == "131.188.3.223"


@needs_data
def test_pipeline_end_to_end_with_the_five_infra_dissectors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before registration: the ntp, modbus, dnp3, ldap and kerberos dissectors and tables
    patched into the registry run through ``wirelens.analyze`` and fill their tables."""
    import wirelens
    from wirelens import schema as schemas
    from wirelens.dissect import registry
    from wirelens.dissect.dnp3 import Dnp3Dissector
    from wirelens.dissect.kerberos import KerberosDissector
    from wirelens.dissect.ldap import LdapDissector
    from wirelens.dissect.modbus import ModbusDissector
    from wirelens.schema.infra import TABLES

    new = (Dnp3Dissector, KerberosDissector, LdapDissector, ModbusDissector, NtpDissector)
    monkeypatch.setattr(
        registry, "DISSECTORS", (*registry.DISSECTORS[:-1], *new, registry.DISSECTORS[-1])
    )
    monkeypatch.setattr(registry, "_BY_NAME", {c.name: c for c in registry.DISSECTORS})
    for name, (schema, doc) in TABLES.items():
        monkeypatch.setitem(schemas.SCHEMAS, name, schema)
        monkeypatch.setitem(schemas.TABLE_DOCS, name, doc)
    expected = {
        "nDPI/tests/cfgs/default/pcap/NTPv4.pcap": ("ntp", 1),
        "zeek/testing/btest/Traces/modbus/modbusSmall.pcap": ("modbus", 16),
        "zeek/testing/btest/Traces/dnp3/dnp3_udp_select_operate.pcap": ("dnp3", 6),
        "zeek/testing/btest/Traces/ldap/ldap-add.pcap": ("ldap", 4),
        "zeek/testing/btest/Traces/krb/kerberos_tso.pcapng": ("kerberos", 11),  # 4 AP in SMB
    }
    for rel, (table, rows) in expected.items():
        result = wirelens.analyze(DATA / rel)
        assert result.tables[table].num_rows == rows, rel
        assert table in set(result.conn.column("service").to_pylist()), rel
    ntp = (
        wirelens.analyze(DATA / "nDPI/tests/cfgs/default/pcap/NTPv4.pcap")
        .tables["ntp"]
        .to_pylist()[0]
    )
    assert ntp["ref_id"] == "131.188.3.223" and ntp["mode_name"] == "client"
