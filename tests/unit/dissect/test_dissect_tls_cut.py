"""TLS hellos cut short (a hole in the stream, a snap length, the end of the flow): what came
whole is read (``wirelens.dissect.tls_hello_cut``), nothing is made up, no fingerprint is made
of lists seen in part."""

from __future__ import annotations

import pytest
from wl_dissect_builders import client_hello, record, server_hello

from wirelens.dissect.tls import TlsDissector, TlsRecord, parse_client_hello, parse_server_hello
from wirelens.dissect.tls_hello_cut import client_hello_prefix, server_hello_prefix

TCP = 6
HELLO = client_hello(sni="cut.example", padding=1500)
"""A ClientHello spanning two segments (its padding extension, last, is the long one)."""
WHOLE = parse_client_hello(HELLO[4:])
SERVER = server_hello(alpn="h2", key_share=0x001D)
WHOLE_SERVER = parse_server_hello(SERVER[4:])


def test_every_prefix_of_a_client_hello_reads_only_what_is_whole() -> None:
    """At every cut: no hello before the extensions start, then the same legacy fields and
    cipher suites as the whole hello, the extensions whole before the cut (a prefix of the
    whole list, the server name once its extension is in), and the cut said."""
    body = HELLO[4:]
    fixed = 2 + 32 + 33 + 2 + 2 * len(WHOLE.cipher_suites) + 2  # up to the extensions
    seen = set()
    for n in range(len(body)):
        got = client_hello_prefix(body[:n], len(body))
        if n < fixed:
            assert got is None, n
            continue
        assert got is not None and got.cut, n
        assert (got.legacy_version, got.session_id, got.cipher_suites) == (
            WHOLE.legacy_version, WHOLE.session_id, WHOLE.cipher_suites)
        types = [t for t, _ in got.extensions]
        assert got.extensions == WHOLE.extensions[:len(types)], n
        assert got.server_name == ("cut.example" if 0 in types else None)
        assert got.damage == (f"hello cut short: {n} of {len(body)} bytes seen",)
        seen.add(len(types))
    assert seen == set(range(len(WHOLE.extensions)))  # (the last one is never whole)
    assert client_hello_prefix(body, len(body)) is None  # whole: parse_client_hello's


def test_every_prefix_of_a_server_hello_reads_only_what_is_whole() -> None:
    body = SERVER[4:]
    for n in range(len(body)):
        got = server_hello_prefix(body[:n], len(body))
        if n < 2 + 32 + 33 + 3:
            assert got is None, n
            continue
        assert got is not None and got.cut and got.cipher_suite == 0x1301
        assert got.extensions == WHOLE_SERVER.extensions[:len(got.extensions)]
        assert got.selected_version == (0x0304 if got.extensions else None)


def test_a_client_hello_whose_second_segment_was_lost() -> None:
    """The row keeps the server name, cipher suites and the extensions before the hole, says
    the hello was cut, has no JA3/JA4; the server's hello, read whole, has its JA3S."""
    rec = record(22, HELLO, version=0x0301)
    d = TlsDissector(TCP)
    assert d.feed(rec[:1400], True, 1) == [] and d.gap(True, len(rec) - 1400) == []
    assert d.server_name == "cut.example" and not d.done
    (row,) = d.feed(record(22, SERVER) + record(20, b"\x01"), False, 2)
    assert isinstance(row, TlsRecord) and row.server_name == "cut.example"
    assert row.cipher_suite_codes == WHOLE.cipher_suites and row.version == "TLSv13"
    assert row.ja3 is None and row.ja3_hash is None and row.ja4 is None
    assert row.ja3s is not None and row.ja4s is not None
    assert row.hello_damage == (f"hello cut short: {1400 - 9} of {len(HELLO) - 4} bytes seen",)
    assert row.extensions == tuple(t for t, _ in WHOLE.extensions[:-1])


@pytest.mark.parametrize("end", ["hole", "finish"])
def test_both_hellos_cut_by_a_snap_length(end: str) -> None:
    """Both hellos cut (every frame cut to its first bytes, or the flow ends inside them): one
    row from what each held whole (the server's version from its supported_versions), no
    fingerprints."""
    rec, srv = record(22, HELLO, version=0x0301), record(22, SERVER)
    d = TlsDissector(TCP)
    events = d.feed(rec[:300], True, 1) + d.feed(srv[:len(srv) - 20], False, 2)
    if end == "hole":
        events += d.gap(True, len(rec) - 300) + d.gap(False, 20)
    events += d.finish()
    (row,) = events
    assert isinstance(row, TlsRecord) and row.server_name == "cut.example"
    assert row.version == "TLSv13" and row.cipher == "TLS_AES_128_GCM_SHA256"
    assert (row.ja3, row.ja4, row.ja3s, row.ja4s) == (None, None, None, None)
    assert row.established and row.alpn == ("h2", "http/1.1")


def test_a_cut_too_early_gives_no_hello() -> None:
    """Cut inside the session id or the cipher suites: nothing to read, no row."""
    rec = record(22, HELLO, version=0x0301)
    d = TlsDissector(TCP)
    assert d.feed(rec[:80], True, 1) == [] and d.gap(True, 10) == [] and d.gap(False, 5) == []
    assert d.done and d.finish() == []
