"""SSH dissector: banners, binary packets up to KEXINIT, HASSH, negotiation, limits, fuzz.

Real captures: HASSH values are checked against nDPI's expected output (``[HASSH-C: ...]``,
``[HASSH-S: ...]``) and Suricata-verify's EVE checks; banners and negotiated algorithms
against Zeek's ``ssh.log`` baselines.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import struct
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all, mutate
from wl_mini_pcap import flows

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector, Event
from wirelens.dissect.dns import DnsDissector
from wirelens.dissect.http import HttpDissector
from wirelens.dissect.ssh import (
    SSH_MAX_BANNER_BYTES,
    SSH_MAX_PACKET_LENGTH,
    SSH_MAX_PRE_BANNER_BYTES,
    SshDissector,
    SshRecord,
    negotiate,
    parse_banner,
    parse_kexinit,
)
from wirelens.dissect.tls import TlsDissector
from wirelens.schema.ssh import TABLES
from wirelens.wire import BadValue, LimitExceeded, ParseError, Truncated

TCP, UDP = 6, 17

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)

# -- builders (RFC 4253 §6, §7.1; RFC 4251 §5) -------------------------------------------------

CLIENT_LISTS = [
    "curve25519-sha256,diffie-hellman-group14-sha256",
    "ssh-ed25519,rsa-sha2-512",
    "aes128-ctr,chacha20-poly1305@openssh.com",
    "aes256-ctr,aes128-ctr",
    "hmac-sha2-256,hmac-sha1",
    "hmac-sha2-512",
    "none,zlib@openssh.com",
    "none",
    "",
    "",
]
SERVER_LISTS = [
    "diffie-hellman-group14-sha256,curve25519-sha256",
    "rsa-sha2-512",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "hmac-sha1",
    "hmac-sha2-512,hmac-sha1",
    "zlib@openssh.com",
    "none",
    "",
    "",
]


def name_list(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">I", len(raw)) + raw


def kexinit(lists: list[str], extra: bytes = b"") -> bytes:
    """A KEXINIT payload (message number included)."""
    body = bytes([20]) + bytes(range(16)) + b"".join(name_list(x) for x in lists)
    return body + b"\x00" + b"\x00\x00\x00\x00" + extra


def packet(payload: bytes, block: int = 8) -> bytes:
    """A binary packet without MAC: padding to a multiple of ``block``, at least 4 bytes."""
    pad = block - (5 + len(payload)) % block
    if pad < 4:
        pad += block
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + b"\x00" * pad


CLIENT_BANNER = b"SSH-2.0-OpenSSH_9.6 Ubuntu\r\n"
SERVER_BANNER = b"SSH-2.0-OpenSSH_8.9p1\r\n"


def conversation() -> list[tuple[bool, bytes]]:
    ignore = packet(bytes([2]) + name_list("hello"))  # SSH_MSG_IGNORE before the KEXINIT
    return [
        (False, SERVER_BANNER),
        (True, CLIENT_BANNER),
        (False, ignore + packet(kexinit(SERVER_LISTS))),
        (True, packet(kexinit(CLIENT_LISTS))),
    ]


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def only_record(events: list[Event]) -> SshRecord:
    assert len(events) == 1
    rec = events[0]
    assert isinstance(rec, SshRecord)
    return rec


# -- whole / byte by byte / junk ---------------------------------------------------------------


def test_whole_conversation() -> None:
    d = SshDissector(TCP)
    events: list[Event] = []
    for from_orig, data in conversation():
        events += d.feed(data, from_orig, 5)
    rec = only_record(events)
    assert d.done and d.finish() == []
    assert rec.version == 2 and rec.ts_ns == 5
    assert rec.client == "SSH-2.0-OpenSSH_9.6 Ubuntu"
    assert rec.server == "SSH-2.0-OpenSSH_8.9p1"
    assert rec.kex_algorithms == ("curve25519-sha256", "diffie-hellman-group14-sha256")
    assert rec.host_key_algorithms == ("ssh-ed25519", "rsa-sha2-512")
    assert rec.ciphers_c2s == ("aes128-ctr", "chacha20-poly1305@openssh.com")
    assert rec.ciphers_s2c == ("aes256-ctr", "aes128-ctr")
    assert rec.macs_c2s == ("hmac-sha2-256", "hmac-sha1")
    assert rec.macs_s2c == ("hmac-sha2-512",)
    assert rec.compression_c2s == ("none", "zlib@openssh.com")
    assert rec.compression_s2c == ("none",)
    want = "curve25519-sha256,diffie-hellman-group14-sha256;aes128-ctr,chacha20-poly1305@openssh.com;hmac-sha2-256,hmac-sha1;none,zlib@openssh.com"
    assert rec.hassh_string == want and rec.hassh == md5(want)
    want_s = (
        "diffie-hellman-group14-sha256,curve25519-sha256;aes128-ctr;hmac-sha2-512,hmac-sha1;none"
    )
    assert rec.hassh_server_string == want_s and rec.hassh_server == md5(want_s)
    # RFC 4253 §7.1: the client's first choice that the server offers
    assert rec.kex_alg == "curve25519-sha256"
    assert rec.host_key_alg == "rsa-sha2-512"
    assert rec.cipher_alg == "chacha20-poly1305@openssh.com"
    assert rec.cipher_alg_s2c == "aes128-ctr"
    assert rec.mac_alg == "hmac-sha1"
    assert rec.compression_alg == "zlib@openssh.com"
    assert d.server_name is None


def test_byte_by_byte_gives_the_same_record() -> None:
    whole = feed_all(SshDissector, conversation(), TCP)
    assert feed_all(SshDissector, conversation(), TCP, step=1) == whole
    assert feed_all(SshDissector, conversation(), TCP, step=7) == whole


def test_bytes_after_kexinit_are_not_read() -> None:
    """Trailing junk after each KEXINIT (what would be encrypted traffic) is ignored."""
    chunks = [
        *conversation()[:2],
        (False, conversation()[2][1] + b"\xfe" * 99),
        (True, conversation()[3][1] + b"\x00\x00\xff\xff junk"),
    ]
    assert feed_all(SshDissector, chunks, TCP) == feed_all(SshDissector, conversation(), TCP)
    assert feed_all(SshDissector, chunks, TCP, step=1) == feed_all(
        SshDissector, conversation(), TCP
    )


def test_kexinit_extension_bytes_are_tolerated() -> None:
    """Bytes after the reserved uint32 of a KEXINIT are ignored (nothing defines them)."""
    k = parse_kexinit(kexinit(CLIENT_LISTS, extra=b"\x01\x02"))
    assert k.kex_algorithms[0] == "curve25519-sha256" and not k.first_kex_packet_follows


def test_junk_instead_of_a_packet_is_an_error() -> None:
    d = SshDissector(TCP)
    d.feed(SERVER_BANNER, False, 0)
    with pytest.raises(ParseError):
        d.feed(b"Protocol mismatch.\n", False, 0)


# -- banners -----------------------------------------------------------------------------------


def test_server_lines_before_the_banner() -> None:
    """RFC 4253 §4.2: the server may send other lines first; a bare LF ends a line too."""
    chunks = [(False, b"Welcome\r\nno SSH here yet\n" + SERVER_BANNER), *conversation()[1:]]
    rec = only_record(feed_all(SshDissector, chunks, TCP, step=3))
    assert rec.server == "SSH-2.0-OpenSSH_8.9p1" and rec.hassh_server is not None


def test_bare_lf_banner() -> None:
    d = SshDissector(TCP)
    d.feed(b"SSH-2.0-dropbear\n", True, 0)
    d.feed(b"SSH-2.0-OpenSSH\n", False, 0)
    rec = only_record(d.finish())
    assert (rec.client, rec.server, rec.version, rec.hassh) == (
        "SSH-2.0-dropbear",
        "SSH-2.0-OpenSSH",
        2,
        None,
    )


def test_banner_length_limit() -> None:
    long_line = b"SSH-2.0-" + b"x" * (SSH_MAX_BANNER_BYTES - 10) + b"\r\n"
    assert len(long_line) == SSH_MAX_BANNER_BYTES
    only_record(feed_all(SshDissector, [(True, long_line)], TCP))
    with pytest.raises(LimitExceeded):
        feed_all(SshDissector, [(True, b"SSH-2.0-" + b"x" * SSH_MAX_BANNER_BYTES + b"\r\n")], TCP)
    with pytest.raises(LimitExceeded):  # no line end at all
        feed_all(SshDissector, [(True, b"SSH-2.0-" + b"x" * 300)], TCP, step=16)


def test_pre_banner_limit() -> None:
    lines = b"notice line\r\n" * (SSH_MAX_PRE_BANNER_BYTES // 13 + 1)
    with pytest.raises(LimitExceeded):
        feed_all(SshDissector, [(False, lines + SERVER_BANNER)], TCP)


def test_parse_banner() -> None:
    assert parse_banner(b"SSH-1.99-Cisco-1.25") == ("1.99", "SSH-1.99-Cisco-1.25")
    with pytest.raises(BadValue):
        parse_banner(b"SSH-2.0")
    with pytest.raises(BadValue):
        parse_banner(b"HTTP/1.1 200 OK")
    with pytest.raises(BadValue):
        feed_all(SshDissector, [(True, b"SSH-3.0-future\r\n")], TCP)


def test_ssh1_stops_after_both_banners() -> None:
    d = SshDissector(TCP)
    assert d.feed(b"SSH-1.5-1.2.26\n", False, 0) == []
    rec = only_record(d.feed(b"SSH-1.5-1.2.26\n\x00\x00\x01\x2c binary ssh1", True, 0))
    assert rec.version == 1 and rec.hassh is None and rec.kex_alg is None and d.done


def test_199_with_20_is_version_2() -> None:
    chunks = [(True, b"SSH-1.99-Cisco-1.25\r\n"), (False, b"SSH-2.0-Cisco-1.25\r\n")]
    assert only_record(feed_all(SshDissector, chunks, TCP)).version == 2


# -- truncation and packet errors ---------------------------------------------------------------


def test_truncated_flow_still_reports_banners_and_one_kexinit() -> None:
    conv = conversation()
    cut = [*conv[:3], (True, conv[3][1][:-10])]
    rec = only_record(feed_all(SshDissector, cut, TCP))
    assert rec.client and rec.server and rec.hassh is None and rec.hassh_server is not None
    assert rec.kex_alg is None


def test_truncated_kexinit_payload() -> None:
    payload = kexinit(CLIENT_LISTS)
    for n in (1, 17, 25, len(payload) - 5, len(payload) - 1):
        with pytest.raises(Truncated):
            parse_kexinit(payload[:n])
    # a packet whose KEXINIT payload is cut short inside the packet
    with pytest.raises(Truncated):
        feed_all(SshDissector, [(True, CLIENT_BANNER + packet(payload[:40]))], TCP)


def test_name_list_longer_than_the_packet() -> None:
    bad = bytes([20]) + bytes(16) + struct.pack(">I", 0xFFFFFFF0)
    with pytest.raises(Truncated):
        parse_kexinit(bad)


def test_packet_limits() -> None:
    huge = struct.pack(">IB", SSH_MAX_PACKET_LENGTH + 1, 4)
    with pytest.raises(LimitExceeded):
        feed_all(SshDissector, [(True, CLIENT_BANNER + huge)], TCP)
    small_pad = struct.pack(">IB", 12, 3) + b"\x02" * 12
    with pytest.raises(BadValue):
        feed_all(SshDissector, [(True, CLIENT_BANNER + small_pad)], TCP)
    pad_too_long = struct.pack(">IB", 8, 8) + b"\x00" * 8
    with pytest.raises(BadValue):
        feed_all(SshDissector, [(True, CLIENT_BANNER + pad_too_long)], TCP)
    ignores = packet(bytes([2, 0, 0, 0, 0])) * 40
    with pytest.raises(LimitExceeded):
        feed_all(SshDissector, [(True, CLIENT_BANNER + ignores)], TCP)


def test_negotiate() -> None:
    assert negotiate(("a", "b", "c"), ("c", "b")) == "b"
    assert negotiate(("a",), ("b",)) is None
    assert negotiate((), ("b",)) is None


# -- identification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "proto", "expected"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", TCP, True),
        (b"SSH-1.99-Cisco-1.25\r\n", TCP, True),
        (b"SSH-1.5-1.2.26\n", TCP, True),
        (b"SSH-2.0-OpenSSH_9.6\r\n", UDP, False),
        (b"SSH-3.0-x\r\n", TCP, False),
        (b"SSH-2", TCP, False),
        (b"SSH-20-x", TCP, False),
        (b"ssh-2.0-lower\r\n", TCP, False),
        (b"GET / HTTP/1.1\r\n", TCP, False),
        (b"\x16\x03\x01\x00\xa5\x01", TCP, False),
        (b"", TCP, False),
    ],
)
def test_matches(payload: bytes, proto: int, expected: bool) -> None:
    assert SshDissector.matches(payload, proto, True) is expected


def test_other_dissectors_do_not_claim_ssh_and_port_2222_is_content(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        registry, "DISSECTORS", (TlsDissector, SshDissector, HttpDissector, DnsDissector)
    )
    for banner in (CLIENT_BANNER, SERVER_BANNER, b"SSH-1.99-Cisco-1.25\r\n"):
        for port in (22, 2222, 8000):
            assert registry.identify(banner, TCP, True, 50000, port) is SshDissector
    assert registry.identify(b"hello 2222", TCP, True, 50000, 2222) is None


def test_schema_matches_record_fields() -> None:
    schema, doc = TABLES["ssh"]
    assert doc and all(f.metadata and f.metadata.get(b"doc") for f in schema)
    assert [f.name for f in schema][:6] == ["ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p"]
    assert [f.name for f in schema][6:] == [
        f.name for f in dataclasses.fields(SshRecord) if f.name != "ts_ns"
    ]


def _row(rec: SshRecord) -> dict[str, object]:
    row: dict[str, object] = {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec)}
    row.update(
        ts=row.pop("ts_ns"), uid="C1", orig_h="10.0.0.1", orig_p=50000, resp_h="10.0.0.2", resp_p=22
    )
    return row


def test_records_fit_the_schema() -> None:
    recs = [
        feed_all(SshDissector, conversation(), TCP)[0],
        feed_all(SshDissector, [(True, b"SSH-1.5-x\n"), (False, b"SSH-1.5-y\n")], TCP)[0],
    ]
    table = pa.Table.from_pylist(
        [_row(r) for r in recs if isinstance(r, SshRecord)], schema=TABLES["ssh"][0]
    )
    assert table.column("version").to_pylist() == [2, 1]


# -- real captures -----------------------------------------------------------------------------


def _records(path: Path) -> list[tuple[tuple[str, int], tuple[str, int], SshRecord | ParseError]]:
    """(orig, resp, record or error) of every flow whose first payload SSH matches."""
    out: list[tuple[tuple[str, int], tuple[str, int], SshRecord | ParseError]] = []
    for fl in flows(path):
        if fl.proto != TCP or not fl.chunks:
            continue
        if not any(SshDissector.matches(data, TCP, side) for side, data, _ in fl.chunks[:2]):
            continue
        d = SshDissector(TCP)
        events: list[Event] = []
        try:
            for side, data, ts in fl.chunks:
                events += d.feed(data, side, ts)
            events += d.finish()
        except ParseError as exc:
            out.append((fl.orig, fl.resp, exc))
            continue
        out.append((fl.orig, fl.resp, only_record(events)))
    return out


def _ndpi_hasshes(out_file: Path) -> set[tuple[str, str]]:
    text = out_file.read_text()
    return {
        (m.group(1).lower(), m.group(2).lower())
        for m in re.finditer(r"\[HASSH-C: ([0-9A-F]+)\].*?\[HASSH-S: ([0-9A-F]+)\]", text)
    }


@needs_data
@pytest.mark.parametrize("pcap", ["ssh.pcap", "custom_categories.pcapng"])
def test_ndpi_hassh(pcap: str) -> None:
    base = DATA / "nDPI" / "tests" / "cfgs" / "default"
    expected = _ndpi_hasshes(base / "result" / f"{pcap}.out")
    assert expected
    got = {
        (r.hassh, r.hassh_server)
        for _, _, r in _records(base / "pcap" / pcap)
        if isinstance(r, SshRecord) and r.hassh
    }
    assert got == expected


@needs_data
def test_ndpi_ssh_pcap_banners_checked_with_tshark_facts() -> None:
    """tshark: 172.16.238.1:58395 sent SSH-2.0-OpenSSH_5.6, the server SSH-2.0-OpenSSH_5.3."""
    recs = {o: r for o, _, r in _records(DATA / "nDPI/tests/cfgs/default/pcap/ssh.pcap")}
    rec = recs[("172.16.238.1", 58395)]
    assert isinstance(rec, SshRecord)
    assert (rec.client, rec.server, rec.version) == (
        "SSH-2.0-OpenSSH_5.6",
        "SSH-2.0-OpenSSH_5.3",
        2,
    )
    assert "arcfour128" in rec.ciphers_c2s  # nDPI's risk info: "Found cipher arcfour128"
    other = recs[("127.0.0.1", 58496)]  # SSH on port 8000: recognised by content
    assert isinstance(other, SshRecord) and other.server == "SSH-2.0-APACHE-SSHD-2.5.0"


@needs_data
@pytest.mark.parametrize(
    ("test", "hassh", "hassh_server"),
    [
        ("ssh-hassh-only", "2dd6531c7e89d3c925db9214711be76a", "6832f1ce43d4397c2c0a3e2f8c94334e"),
        (
            "ssh-hassh-reassembled",
            "3cc67862bceac0f334c62ad1b76895b4",
            "3cc67862bceac0f334c62ad1b76895b4",
        ),
    ],
)
def test_suricata_hassh(test: str, hassh: str, hassh_server: str) -> None:
    yaml = (DATA / "suricata-verify" / "tests" / test / "test.yaml").read_text()
    assert hassh in yaml and hassh_server in yaml  # the facts come from the expected output
    recs = _records(DATA / "suricata-verify" / "tests" / test / "input.pcap")
    assert [(r.hassh, r.hassh_server) for _, _, r in recs if isinstance(r, SshRecord)] == [
        (hassh, hassh_server)
    ]


def _zeek_rows(baseline: str) -> list[dict[str, str]]:
    path = (
        DATA / "zeek/testing/btest/Baseline" / f"scripts.base.protocols.ssh.{baseline}" / "ssh.log"
    )
    lines = path.read_text().splitlines()
    header = next(x for x in lines if x.startswith(("#fields", "ts\t")))
    names = header.removeprefix("#fields\t").split("\t")
    rows = [
        dict(zip(names, x.split("\t"), strict=False))
        for x in lines
        if x and not x.startswith("#") and not x.startswith("ts\t")
    ]
    return rows


@needs_data
@pytest.mark.parametrize(
    ("baseline", "trace"),
    [
        ("ssh_version_199", "ssh_version_199.pcap"),
        ("pre-banner", "server-pre-banner-data.pcap"),
        ("dh_group18_kex", "ssh_kex_dh_group18.pcap"),
    ],
)
def test_zeek_negotiated_algorithms(baseline: str, trace: str) -> None:
    (row,) = _zeek_rows(baseline)
    recs = _records(DATA / "zeek/testing/btest/Traces/ssh" / trace)
    assert len(recs) == 1
    orig, resp, rec = recs[0]
    assert isinstance(rec, SshRecord)
    assert (orig[0], resp[1]) == (row["id.orig_h"], int(row["id.resp_p"]))
    assert str(rec.version) == row["version"]
    assert (rec.client, rec.server) == (row["client"], row["server"])
    got = (rec.cipher_alg, rec.mac_alg, rec.compression_alg, rec.kex_alg, rec.host_key_alg)
    assert got == (
        row["cipher_alg"],
        row["mac_alg"],
        row["compression_alg"],
        row["kex_alg"],
        row["host_key_alg"],
    )


@needs_data
def test_zeek_half_duplex_client_banners() -> None:
    """Only the client side was captured: banners and HASSH, no server, no version."""
    rows = _zeek_rows("half-duplex-client")
    recs = _records(DATA / "zeek/testing/btest/Traces/ssh/ssh.client-side-half-duplex.pcap")
    by_orig = {o: r for o, _, r in recs}
    for row in rows:
        rec = by_orig[(row["id.orig_h"], int(row["id.orig_p"]))]
        assert isinstance(rec, SshRecord)
        assert rec.client == row["client"] and rec.server is None and rec.version is None
        assert (rec.hassh is not None) == rec.client.startswith("SSH-2.")


@needs_data
def test_zeek_many_algorithms(tmp_path: Path) -> None:
    """40 KB KEXINITs with hundreds of names per list (raw IPv4 capture, link type 228,
    relabelled 101 for the mini reader)."""
    import gzip

    raw = bytearray(
        gzip.decompress(
            (DATA / "zeek/testing/btest/Traces/ssh/kex-quadratic-1000.pcap.gz").read_bytes()
        )
    )
    assert int.from_bytes(raw[20:24], "little") & 0xFFFF == 228
    raw[20:24] = (101).to_bytes(4, "little")
    (tmp_path / "k.pcap").write_bytes(bytes(raw))
    (rec_t,) = _records(tmp_path / "k.pcap")
    rec = rec_t[2]
    assert isinstance(rec, SshRecord)
    assert (rec.client, rec.server) == ("SSH-2.0-CodexClient", "SSH-2.0-CodexServer")
    assert len(rec.kex_algorithms) >= 500 and rec.hassh and rec.hassh_server


@needs_data
def test_ndpi_unidirectional_protocol_mismatch_is_an_error() -> None:
    """The server answers a bare CR LF with ``Protocol mismatch.`` (plain text where a binary
    packet must be): a ParseError (a weird in the pipeline), not a record."""
    (rec,) = _records(DATA / "nDPI/tests/cfgs/default/pcap/ssh_unidirectional.pcap")
    assert isinstance(rec[2], ParseError)


# -- fuzz ----------------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])


def _run(chunks: list[tuple[bool, bytes]], step: int) -> None:
    d = SshDissector(TCP)
    try:
        for side, data in chunks:
            for i in range(0, len(data), max(step, 1) if step else max(len(data), 1)):
                out = d.feed(data[i : i + step] if step else data, side, 0)
                assert all(isinstance(e, SshRecord) for e in out)
        assert all(isinstance(e, SshRecord) for e in d.finish())
    except ParseError:
        pass


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 255)), max_size=6
    ),
    step=st.integers(0, 64),
)
def test_fuzz_mutated_conversations(edits: list[tuple[int, int, int]], step: int) -> None:
    """Invariant: a mutated conversation, in any split, yields SshRecords or raises
    ParseError -- nothing else -- within the deadline; ``matches`` never raises."""
    chunks = []
    for side, data in conversation():
        buf = bytearray(mutate(data, edits))
        chunks.append((side, bytes(buf)))
        SshDissector.matches(bytes(buf), TCP, side)
    _run(chunks, step)


@FUZZ
@given(data=st.binary(max_size=600), side=st.booleans(), step=st.integers(0, 50))
def test_fuzz_random_bytes(data: bytes, side: bool, step: int) -> None:
    """Invariant: random bytes, after a banner or not, yield SshRecords or raise ParseError."""
    assert SshDissector.matches(data, TCP, side) in (True, False)
    _run([(side, data)], step)
    _run([(side, CLIENT_BANNER + data)], step)


# -- end to end through the pipeline (before registration: patched in) --------------------------


@pytest.fixture
def ssh_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    from wirelens.schema import SCHEMAS

    dissectors: tuple[type[Dissector], ...] = (
        *[c for c in registry.DISSECTORS if c.name != "ssh"],
        SshDissector,
    )
    monkeypatch.setattr(registry, "DISSECTORS", dissectors)
    monkeypatch.setattr(registry, "_BY_NAME", {c.name: c for c in dissectors})
    monkeypatch.setitem(SCHEMAS, "ssh", TABLES["ssh"][0])


@needs_data
@pytest.mark.usefixtures("ssh_registered")
def test_pipeline_ndpi_ssh_pcap() -> None:
    import wirelens

    result = wirelens.analyze(DATA / "nDPI/tests/cfgs/default/pcap/ssh.pcap")
    rows = result.table("ssh").to_pylist()
    base = DATA / "nDPI/tests/cfgs/default/result/ssh.pcap.out"
    assert {(r["hassh"], r["hassh_server"]) for r in rows} == _ndpi_hasshes(base)
    assert {r["resp_p"] for r in rows} == {22, 8000}
    services = {r["resp_p"]: r["service"] for r in result.conn.to_pylist()}
    assert services[22] == services[8000] == "ssh"
