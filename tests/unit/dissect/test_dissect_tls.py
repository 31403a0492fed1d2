"""TLS dissector: hellos across records and segments, versions, malformed input."""

from __future__ import annotations

import pytest
from wl_dissect_builders import (
    client_hello,
    ext,
    feed_all,
    record,
    records,
    server_hello,
    tls_conversation,
    vec,
)

from wirelens.dissect import limits, tls
from wirelens.dissect.tls import (
    TlsDissector,
    TlsRecord,
    cipher_name,
    is_grease,
    parse_client_hello,
    parse_server_hello,
    version_name,
)
from wirelens.dissect.tls_fingerprints import ja3, ja4
from wirelens.wire import BadValue, LimitExceeded, ParseError, TrailingJunk, Truncated

TCP = 6


def test_tls13_handshake() -> None:
    (event,) = feed_all(TlsDissector, tls_conversation(), TCP)
    assert isinstance(event, TlsRecord)
    assert event.server_name == "www.example.com"
    assert event.alpn == ("h2", "http/1.1") and event.alpn_selected is None
    assert (event.version, event.version_code) == ("TLSv13", 0x0304)
    assert (event.cipher, event.cipher_code) == ("TLS_AES_128_GCM_SHA256", 0x1301)
    assert event.client_version == "TLSv13"
    assert event.client_supported_versions == ("TLSv13", "TLSv12")  # GREASE removed
    ch = event.client_hello
    assert ch is not None and ch.cipher_suites[0] == 0x1A1A
    assert [t for t, _ in ch.extensions] == [0, 10, 11, 13, 16, 43, 0x4469]
    assert ch.extensions[-1] == (0x4469, b"\x00\x03\x02h2")  # unknown kept raw
    assert ch.supported_groups == (0x1D, 0x17, 0x18) and ch.ec_point_formats == (0,)
    assert ch.signature_algorithms == (0x0403, 0x0804, 0x0401)


def test_tls12_handshake_with_alpn_and_skipped_certificate() -> None:
    (event,) = feed_all(TlsDissector, tls_conversation(tls13=False), TCP)
    assert event.version == "TLSv12"
    assert event.cipher == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    assert event.alpn_selected == "h2"


@pytest.mark.parametrize("step", [1, 2, 5, 100])
def test_split_feeding_gives_same_events(step: int) -> None:
    for tls13 in (True, False):
        conv = tls_conversation(tls13)
        assert feed_all(TlsDissector, conv, TCP, step=step) == feed_all(TlsDissector, conv, TCP)


def test_client_hello_spanning_records_and_padding() -> None:
    hello = client_hello(sni="split.example.org", padding=3000)
    chunks = [(True, records(22, hello, 7)), (False, record(22, server_hello()))]
    (event,) = feed_all(TlsDissector, chunks, TCP)
    assert event.server_name == "split.example.org"
    # server_name is known as soon as the ClientHello is complete
    d = TlsDissector(TCP)
    d.feed(records(22, hello, 1000), True, 0)
    assert d.server_name == "split.example.org" and not d.done


def test_a_hole_loses_one_direction_only() -> None:
    """A ClientHello cut short (snap length) then a hole: the client side is read no more,
    the server's hello still is; both sides lost: the summary of what was seen, and done."""
    hello = record(22, client_hello(sni="cut.example"))
    d = TlsDissector(TCP)
    assert d.feed(hello[:60], True, 1) == [] and d.gap(True, len(hello) - 60) == []
    assert not d.done and d.feed(hello, True, 2) == []  # after the hole: not read
    d.feed(record(22, server_hello(cipher=0xC02F, selected=None)), False, 3)
    (event,) = d.gap(False, 100)
    assert d.done and event.server_name is None and event.cipher == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    nothing = TlsDissector(TCP)
    nothing.feed(hello[:60], True, 1)
    assert nothing.gap(True, 10) == [] and nothing.gap(False, 10) == [] and nothing.done
    assert nothing.finish() == []


def test_done_once_both_sides_are_encrypted_without_a_server_hello() -> None:
    """Application data from both sides and no ServerHello (a capture that started after
    the handshake, or lost the hello): nothing more can come in clear, so the dissector is
    done, with the ClientHello's row if one was read; from one side only it reads on (TLS
    1.3 early data may come before the ServerHello)."""
    d = TlsDissector(TCP)
    assert d.feed(record(23, b"\x17" * 40), True, 1) == [] and not d.done
    assert d.feed(record(23, b"\x42" * 80), True, 2) == [] and not d.done
    assert d.feed(record(23, b"\x99" * 60), False, 3) == [] and d.done
    assert d.finish() == []
    cut = TlsDissector(TCP)  # a ClientHello, then no ServerHello: its row once both are
    cut.feed(record(22, client_hello(sni="seen.example")), True, 1)
    assert cut.feed(record(23, b"\x17" * 40), True, 2) == [] and not cut.done  # (0-RTT)
    (event,) = cut.feed(record(23, b"\x17" * 40), False, 3)
    assert cut.done and event.server_name == "seen.example" and event.version is None
    assert cut.finish() == []


def test_client_only_emitted_at_finish() -> None:
    d = TlsDissector(TCP)
    assert d.feed(record(22, client_hello(sni=None, alpn=(), versions=())), True, 7) == []
    (event,) = d.finish()
    assert event.server_name is None and event.version is None and event.alpn == ()
    assert event.client_version == "TLSv12" and event.ts_ns == 7
    assert d.finish() == []  # only once


def test_hello_retry_request_is_not_the_answer() -> None:
    hrr = bytearray(server_hello())
    hrr[6:38] = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
    conv = [
        (True, record(22, client_hello())),
        (False, record(22, bytes(hrr)) + record(20, b"\x01")),
    ]
    d = TlsDissector(TCP)
    assert d.feed(conv[0][1], True, 0) == [] and d.feed(conv[1][1], False, 0) == []
    assert not d.done


def test_trailing_junk() -> None:
    """Once done (ServerHello seen) extra bytes are ignored; before any hello, a non-record
    header raises BadValue once 5 bytes are present; fewer bytes wait; after a hello, it
    ends reading and is noted in ``late_error`` (the client's fingerprint is kept: a server
    answering a ClientHello on 465 with a clear-text SMTP greeting)."""
    conv = tls_conversation()
    base = feed_all(TlsDissector, conv, TCP)
    assert feed_all(TlsDissector, [*conv, (True, b"\x00junkjunk")], TCP) == base
    client = conv[0]
    assert len(feed_all(TlsDissector, [client, (True, b"\x00ju")], TCP)) == 1
    (row,) = feed_all(TlsDissector, [client, (False, b"220-mail.example.com ESMTP\r\n")], TCP)
    assert row.ja3_hash and row.late_error and "BadValue" in row.late_error  # type: ignore[attr-defined]
    with pytest.raises(BadValue):
        feed_all(TlsDissector, [(True, b"\x00junk")], TCP)
    body = client_hello()[4:] + b"xx"  # junk inside the hello
    with pytest.raises(TrailingJunk):
        parse_client_hello(body)


@pytest.mark.parametrize(
    ("message", "parse", "old_hello_end"),
    [
        (client_hello(), parse_client_hello, 2 + 32 + 33 + 2 + 12 + 2),
        (server_hello(), parse_server_hello, 2 + 32 + 33 + 2 + 1),
    ],
)
def test_truncated_at_every_byte(message: bytes, parse: object, old_hello_end: int) -> None:
    """Every prefix of a hello body raises ParseError, except the one ending right before
    the (optional, RFC 5246 §7.4.1.2) extensions: a valid extension-less hello."""
    body = message[4:]
    ok = []
    for cut in range(len(body)):
        try:
            parse(body[:cut])  # type: ignore[operator]
            ok.append(cut)
        except ParseError:
            pass
    assert ok == [old_hello_end]
    # record prefixes fed to the dissector are "need more data"
    for cut in range(0, len(message) + 5, 3):
        d = TlsDissector(TCP)
        assert d.feed(record(22, message)[:cut], message[0] == 1, 0) == []


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x16\x03\x01\xff\xff", LimitExceeded),  # record longer than allowed
        (b"\x16\x02\x00\x00\x05", BadValue),  # SSL 2 version in a TLS header
        (b"\x63\x03\x01\x00\x05", BadValue),  # unknown content type
        (record(22, b"\x01\xff\xff\xff"), LimitExceeded),  # 16 MiB ClientHello
        (record(22, b"\x01" + vec(b"\x03\x03" + bytes(32) + b"\x40", 3)), Truncated),
    ],
)
def test_malformed(data: bytes, error: type[ParseError]) -> None:
    with pytest.raises(error):
        feed_all(TlsDissector, [(True, data)], TCP)


def test_bad_extension_vectors() -> None:
    good = client_hello(sni="x")
    # corrupt the server_name list length (first extension) so it overruns its block: the
    # extension reads as absent, the hello is kept with the damage said
    i = good.index(b"\x00\x00\x00\x06\x00\x04")
    broken = parse_client_hello((good[: i + 4] + b"\x00\x09" + good[i + 6 :])[4:])
    whole = parse_client_hello(good[4:])
    assert broken.server_name is None and whole.server_name == "x"
    assert [t for t, _ in broken.extensions] == [t for t, _ in whole.extensions]
    assert ja3(broken) == ja3(whole)
    assert len(broken.damage) == 1 and broken.damage[0].startswith("server_name: ")
    assert whole.damage == ()
    # an extension running past the extensions' end ends the list: the ones before it are
    # kept and fingerprinted (nDPI's JA3 of such a hello, tls_invalid_reads.pcap)
    cut = _last_extension_overrunning(good)
    hello = parse_client_hello(cut[4:])
    assert [t for t, _ in hello.extensions] == [t for t, _ in whole.extensions][:-1]
    assert hello.damage[0].startswith("extensions cut at byte ")
    with pytest.raises(ParseError):  # the hello's own vectors are not forgiven
        parse_client_hello(good[4:40])
    two_alpn = ext(16, vec(vec(b"h2", 1) + vec(b"h3", 1), 2))
    body = b"\x03\x03" + bytes(32) + vec(bytes(32), 1) + b"\x13\x01\x00" + vec(two_alpn, 2)
    with pytest.raises(BadValue):  # two ALPN names in a ServerHello
        parse_server_hello(body)


@pytest.mark.parametrize("version", [0x0304, 0x7F0E, 0x7F13])
def test_tls13_draft_server_hello_layout(version: int) -> None:
    """Before draft-22 a TLS 1.3 ServerHello had no session id and no compression method
    (version, random, cipher suite, extensions); its version field held the draft's code
    (0x7f00 + draft) or, in some implementations, 0x0304 itself. Read as the RFC's layout,
    its cipher suite's first byte was taken for a session id length."""
    exts = ext(40, b"\x00\x17" + vec(b"k" * 65, 2)) + ext(41, b"\x00\x00")  # key_share, psk
    body = version.to_bytes(2, "big") + bytes(range(32)) + b"\x13\x02" + vec(exts, 2)
    sh = parse_server_hello(body)
    assert (sh.version, sh.cipher_suite, sh.session_id, sh.compression_method) == (
        version, 0x1302, b"", 0)
    assert [t for t, _ in sh.extensions] == [40, 41]
    with pytest.raises(ParseError):
        parse_server_hello(body[:-1])
    server = record(22, b"\x02" + vec(body, 3)) + record(23, b"\x17" * 40)
    (event,) = feed_all(TlsDissector, [(True, record(22, client_hello(), version=0x0301)),
                                       (False, server)], TCP)
    assert event.version == version_name(version) and event.established
    assert event.ja3s == f"{version},4866,40-41" and event.late_error is None
    assert event.resumed  # the server selected a pre-shared key (41 in the drafts too)
    # the RFC's layout is still read as such, 0x0303 in the version field
    assert parse_server_hello(server_hello()[4:]).session_id == bytes(32)


def _last_extension_overrunning(hello: bytes) -> bytes:
    """``hello`` (with its handshake header) whose last extension claims 0x4FC6 bytes."""
    body = hello[4:]
    pos = 34
    pos += 1 + body[pos]  # session id
    pos += 2 + int.from_bytes(body[pos:pos + 2], "big")  # cipher suites
    pos += 1 + body[pos]  # compression
    stop, pos = len(body), pos + 2
    last = pos
    while pos < stop:
        last = pos
        pos += 4 + int.from_bytes(body[pos + 2:pos + 4], "big")
    return hello[:4 + last + 2] + b"\x4f\xc6" + hello[4 + last + 4:]


def test_names() -> None:
    assert version_name(0x0303) == "TLSv12" and version_name(0x7A7A) == "GREASE"
    assert version_name(0x0305) == "0x0305"
    assert cipher_name(0xC030) == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    assert cipher_name(0x1234) == "0x1234"
    assert is_grease(0xFAFA) and not is_grease(0xFAFB) and not is_grease(0x0A1A)


def test_matches() -> None:
    ch = record(22, client_hello(), version=0x0301)
    assert TlsDissector.matches(ch, TCP, True)
    assert TlsDissector.matches(record(22, server_hello()), TCP, False)
    assert not TlsDissector.matches(ch, 17, True)
    # a connection seen from its middle: records back to back, the last may continue
    assert TlsDissector.matches(record(23, b"x" * 10), TCP, True)
    assert TlsDissector.matches(record(23, b"x" * 10) + record(21, b"ab")[:3], TCP, True)
    assert not TlsDissector.matches(record(23, b"x" * 10) + b"\x99junk", TCP, True)
    assert not TlsDissector.matches(record(23, b"x" * 10, version=0x0304), TCP, True)
    assert not TlsDissector.matches(b"\x17\x03\x03\x00\x00" + b"x" * 8, TCP, True)
    assert not TlsDissector.matches(b"\x17\x03\x03\x50\x00" + b"x" * 8, TCP, True)  # > 2^14+2048
    assert not TlsDissector.matches(b"GET / HTTP/1.1\r\n", TCP, True)
    assert not TlsDissector.matches(ch[:5], TCP, True)


def test_handshake_buffer_is_bounded() -> None:
    """A huge non-hello handshake message is skipped, not buffered."""
    d = TlsDissector(TCP)
    d.feed(record(22, client_hello()), True, 0)
    d.feed(record(22, b"\x0b\x10\x00\x00" + b"\x00" * 16000), False, 0)
    side = d._sides[False]
    assert len(side.hs) == 0 and side.skip == 0x100000 - 16000
    assert limits.TLS_MAX_HELLO_BYTES < 0x100000


def test_row_columns_do_not_depend_on_the_summary_cache() -> None:
    """The hello columns of a row (fingerprints, names) are cached per set of hello fields:
    a row from a warm cache equals one computed afresh, and hellos differing in a field the
    fingerprints read (here only the ALPN list or the versions) do not share an entry."""
    conv = tls_conversation()
    tls._client_summaries.clear()
    tls._server_summaries.clear()
    (cold,) = feed_all(TlsDissector, conv, TCP)
    (warm,) = feed_all(TlsDissector, conv, TCP)
    assert repr(warm) == repr(cold)
    rows = {}
    for alpn, versions in [(("h2",), (0x0304,)), (("h3",), (0x0304,)), (("h2",), (0x0303,))]:
        ch = parse_client_hello(client_hello(alpn=alpn, versions=versions)[4:])
        row = tls.handshake_record(
            0, ch, None, None, None, cert_status=None, chain_len=None, client_chain_len=None,
            late_error=None, cert_names=(), client_version_code=ch.max_version,
        )
        assert (row.ja3, row.ja4) == (ja3(ch), ja4(ch))
        assert row.client_supported_versions == tuple(version_name(v) for v in versions)
        rows[alpn, versions] = row.ja4
    assert len(set(rows.values())) == 3


def test_long_extension_contents_are_read_without_the_reader_cache() -> None:
    """Contents over the cache's size limit are read every time, with the same result."""
    long_name = "a" * 300 + "." + "b" * 300
    body = client_hello(sni=long_name)[4:]
    for _ in range(2):
        hello = parse_client_hello(body)
        assert hello.server_name == long_name
        assert repr(hello) == repr(tls._client_hello_checked(body))


# -- the key exchange group (Zeek ssl.log curve), versions and cipher names --------------------


def _tls12_flight(cipher: int, key_exchange: bytes | None) -> list[tuple[bool, bytes]]:
    """A TLS 1.2 handshake whose server flight carries ``key_exchange`` as its
    ServerKeyExchange body (none: no ServerKeyExchange, as with RSA key exchange)."""
    server = record(22, server_hello(cipher=cipher, selected=None))
    if key_exchange is not None:
        server += record(22, b"\x0c" + vec(key_exchange, 3))
    server += record(22, b"\x0e\x00\x00\x00")
    return [(True, record(22, client_hello(), version=0x0301)), (False, server)]


def test_curve_is_the_group_the_server_chose() -> None:
    """TLS 1.3: the ServerHello's key_share group (RFC 8446 §4.2.8); TLS 1.2: the named
    curve of an ECDHE ServerKeyExchange (RFC 8422 §5.4: curve_type 3, NamedCurve); none for
    RSA key exchange, finite-field DHE, or an explicit curve."""
    server = (record(22, server_hello(key_share=0x11EC)) + record(20, b"\x01")
              + record(23, b"x" * 40))
    (row,) = feed_all(TlsDissector, [(True, record(22, client_hello(), 0x0301)), (False, server)], TCP)
    assert (row.version, row.curve) == ("TLSv13", "X25519MLKEM768")  # type: ignore[attr-defined]
    ecdhe = b"\x03\x00\x17" + vec(b"\x04" + bytes(64), 1) + b"\x04\x03" + vec(bytes(70), 2)
    cases = [
        (0xC02F, ecdhe, "secp256r1"),  # TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        (0xC02F, b"\x01" + ecdhe[1:], None),  # explicit_prime curve: no name
        (0x009E, vec(bytes(256), 2) + vec(b"\x02", 2) + vec(bytes(256), 2), None),  # DHE
        (0x009C, None, None),  # TLS_RSA_WITH_AES_128_GCM_SHA256: no ServerKeyExchange
    ]
    for cipher, kx, want in cases:
        (row,) = feed_all(TlsDissector, _tls12_flight(cipher, kx), TCP)
        assert (row.version, row.curve) == ("TLSv12", want), hex(cipher)  # type: ignore[attr-defined]


def test_tls13_draft_versions_and_every_registered_cipher_are_named() -> None:
    from wirelens.dissect.tls_cipher_names import CIPHER_SUITE_NAMES

    assert tls.version_name(0x7F17) == "TLSv13-draft23"  # as Zeek names it
    assert tls.version_name(0x7F1C) == "TLSv13-draft28" and tls.version_name(0x7F1D) == "0x7f1d"
    assert tls.cipher_name(0xC011) == "TLS_ECDHE_RSA_WITH_RC4_128_SHA"
    assert tls.cipher_name(0xCC13).endswith("_OLD") and tls.cipher_name(0xCCA8) == (
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")
    assert len(set(CIPHER_SUITE_NAMES.values())) == len(CIPHER_SUITE_NAMES) > 300
    assert all(c.name == CIPHER_SUITE_NAMES[c.value] for c in tls.CipherSuite)


@pytest.mark.parametrize(("client_id", "server_id", "selected", "psk", "resumed"), [
    (b"\x11" * 32, b"\x11" * 32, None, None, True),  # TLS 1.2: the ID echoed
    (b"\x11" * 32, b"\x22" * 32, None, None, False),  # a new session
    (b"", b"", None, None, False),  # no ID offered: nothing to resume
    (b"\x11" * 32, b"\x11" * 32, 0x0304, None, False),  # TLS 1.3 always echoes the ID
    (b"\x11" * 32, b"\x11" * 32, 0x0304, 0, True),  # TLS 1.3: a pre-shared key selected
    (b"", b"", 0x7F17, 0, True),  # a TLS 1.3 draft
])
def test_resumed_sessions(client_id: bytes, server_id: bytes, selected: int | None,
                          psk: int | None, resumed: bool) -> None:
    """Zeek's ``resumed``: up to TLS 1.2 the server echoes the client's session ID (RFC 5246
    §7.4.1.3), in TLS 1.3 it selects a pre-shared key (RFC 8446 §4.2.11)."""
    hello = record(22, client_hello(session_id=client_id), 0x0301)
    answer = record(22, server_hello(cipher=0x1301 if selected else 0xC02F, selected=selected,
                                     session_id=server_id, psk=psk))
    (row,) = feed_all(TlsDissector, [(True, hello), (False, answer + record(20, b"\x01"))], TCP)
    assert row.resumed is resumed  # type: ignore[attr-defined]
    assert tls.session_resumed(None, None) is False
