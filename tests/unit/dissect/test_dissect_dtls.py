"""DTLS dissector: records, fragment reassembly, cookies, DTLS 1.0/1.2/1.3 and the pre-standard
version, strict ``matches``, real captures checked against nDPI's and Zeek's outputs, fuzz."""

from __future__ import annotations

import re
import struct
import time
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import client_hello, server_hello, vec
from wl_mini_pcap import flows

from wirelens.dissect.base import Event
from wirelens.dissect.dtls import (
    DTLS_MAX_BAD_DATAGRAMS,
    DTLS_MAX_OTHER_FIRST,
    DtlsDissector,
    client_hello_without_cookie,
    dtls_version_name,
)
from wirelens.dissect.tls import TlsRecord
from wirelens.dissect.tls_certs import X509Record
from wirelens.dissect.tls_fingerprints import md5_hex
from wirelens.wire import LimitExceeded, ParseError, Truncated

UDP, TCP = 17, 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default"
ZEEK = DATA / "zeek" / "testing" / "btest" / "Traces" / "tls"

DTLS10, DTLS12, DTLS13 = 0xFEFF, 0xFEFD, 0xFEFC


# -- builders (RFC 6347 §4.1 records, §4.2.2 handshake fragments) -----------------------------


def dtls_client_hello(
    cookie: bytes = b"", version: int = DTLS12, versions: tuple[int, ...] = (),
    alpn: tuple[str, ...] = ("h2",),
) -> tuple[int, bytes]:
    """(msg_type, body) of a DTLS ClientHello: the TLS builder's body with the DTLS version
    and the cookie vector after the session id."""
    msg = client_hello(versions=versions, alpn=alpn)
    body = msg[4:]
    body = struct.pack(">H", version) + body[2:67] + vec(cookie, 1) + body[67:]
    return 1, body


def dtls_server_hello(cipher: int = 0xC02F, selected: int | None = None,
                      version: int = DTLS12) -> tuple[int, bytes]:
    msg = server_hello(cipher=cipher, selected=selected)
    return 2, struct.pack(">H", version) + msg[6:]


def hs(msg_type: int, body: bytes, seq: int = 0, offset: int = 0,
       length: int | None = None, total: int | None = None) -> bytes:
    """One handshake fragment: body[offset:offset+length] of a message of ``total`` bytes."""
    total = len(body) if total is None else total
    frag = body[offset:] if length is None else body[offset : offset + length]
    return (bytes([msg_type]) + total.to_bytes(3, "big") + struct.pack(">H", seq)
            + offset.to_bytes(3, "big") + len(frag).to_bytes(3, "big") + frag)


def rec(ctype: int, payload: bytes, version: int = DTLS12, epoch: int = 0, seq: int = 0) -> bytes:
    """A DTLSPlaintext record."""
    return (struct.pack(">BHH", ctype, version, epoch) + seq.to_bytes(6, "big")
            + struct.pack(">H", len(payload)) + payload)


def run(datagrams: list[tuple[bool, bytes]]) -> tuple[DtlsDissector, list[Event]]:
    d = DtlsDissector(UDP)
    events: list[Event] = []
    for i, (side, data) in enumerate(datagrams):
        events += d.feed(data, side, 1000 + i)
    events += d.finish()
    return d, events


def summary(events: list[Event]) -> TlsRecord:
    rows = [e for e in events if isinstance(e, TlsRecord)]
    assert len(rows) == 1
    return rows[0]


CH = dtls_client_hello(alpn=("webrtc",))
SH = dtls_server_hello()
SHD = hs(14, b"", seq=2)


def handshake_12() -> list[tuple[bool, bytes]]:
    return [
        (True, rec(22, hs(*CH), version=DTLS10)),
        (False, rec(22, hs(*SH, seq=0)) + rec(22, SHD, seq=1)),
        (True, rec(20, b"\x01", seq=1) + rec(22, b"\x00" * 40, epoch=1)),
    ]


# -- built messages ---------------------------------------------------------------------------


def test_dtls12_handshake_row() -> None:
    d, events = run(handshake_12())
    row = summary(events)
    assert row.table == "tls" and row.ts_ns == 1000 and d.done
    assert (row.version, row.version_code, row.cipher) == (
        "DTLSv12", DTLS12, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    assert row.server_name == d.server_name == "www.example.com"
    assert DtlsDissector.name_source == "sni"
    assert row.alpn == ("webrtc",) and row.client_version == "DTLSv12"
    assert row.established and row.cert_status == "absent"
    assert row.ja3 is not None and row.ja3.startswith("65277,")  # DTLS 1.2 in decimal
    assert row.ja3_hash == md5_hex(row.ja3)
    assert row.ja3s is not None and row.ja3s.startswith("65277,49199,")
    assert row.ja4 is not None and row.ja4.startswith("dd2d")
    assert row.ja4s is not None and row.ja4s.startswith("dd2")
    assert row.late_error is None and not d.hello_verify_request


def test_row_emitted_at_server_hello_done() -> None:
    d = DtlsDissector(UDP)
    assert d.feed(rec(22, hs(*CH)), True, 1) == []
    out = d.feed(rec(22, hs(*SH)) + rec(22, SHD, seq=1), False, 2)
    assert len(out) == 1 and d.done
    assert d.feed(rec(22, hs(*CH)), True, 3) == [] and d.finish() == []


def test_cookie_exchange() -> None:
    """RFC 6347 §4.2.1: ClientHello, HelloVerifyRequest, ClientHello with the cookie."""
    hvr = hs(3, struct.pack(">H", DTLS10) + vec(b"C" * 20, 1))
    ch2 = dtls_client_hello(cookie=b"C" * 20, alpn=("webrtc",))
    d, events = run([(True, rec(22, hs(*CH))), (False, rec(22, hvr)),
                     (True, rec(22, hs(*ch2, seq=1), seq=1)),
                     (False, rec(22, hs(*SH, seq=1), seq=1) + rec(22, SHD, seq=2))])
    row = summary(events)
    assert d.hello_verify_request and d.cookie == b"C" * 20
    _, plain = run(handshake_12())
    assert row.ja3 == summary(plain).ja3 and row.ja4 == summary(plain).ja4


def test_cookie_is_cut_out() -> None:
    body = dtls_client_hello(cookie=b"xyz")[1]
    tls_body, cookie = client_hello_without_cookie(body)
    assert cookie == b"xyz" and len(tls_body) == len(body) - 4
    for cut in (0, 34, 67, 69):
        with pytest.raises(Truncated):
            client_hello_without_cookie(body[:cut])


def test_fragmented_across_records_and_datagrams_in_any_order() -> None:
    _, body = CH
    n = len(body)
    frags = [hs(1, body, offset=o, length=50) for o in range(0, n, 50)]
    frags = frags[::-1] + [hs(1, body, offset=10, length=30)]  # reversed, plus an overlap
    datagrams = [(True, rec(22, a) + rec(22, b, seq=1)) for a, b in zip(frags[::2], frags[1::2])]
    if len(frags) % 2:
        datagrams.append((True, rec(22, frags[-1])))
    datagrams += handshake_12()[1:]
    _, events = run(datagrams)
    _, whole = run(handshake_12())
    assert summary(events) == summary(whole)


def test_several_messages_in_one_record_and_retransmissions() -> None:
    server = rec(22, hs(*SH) + SHD)
    _, events = run([(True, rec(22, hs(*CH))), (True, rec(22, hs(*CH), seq=1)),
                     (False, server)])
    assert summary(events).version == "DTLSv12"


def test_dtls13_hellos() -> None:
    """RFC 9147 §5: 1.3 is offered in supported_versions, records keep 0xFEFD; the row comes
    with the ServerHello, and unified-header records after it are encrypted."""
    ch = dtls_client_hello(versions=(0x0A0A, DTLS13, DTLS12))
    sh = dtls_server_hello(cipher=0x1301, selected=DTLS13)
    d = DtlsDissector(UDP)
    d.feed(rec(22, hs(*ch)), True, 1)
    out = d.feed(rec(22, hs(*sh)) + bytes([0x2C, 0x00, 0x01]) + b"\x00" * 30, False, 2)
    row = summary(out)
    assert d.done and (row.version, row.cipher) == ("DTLSv13", "TLS_AES_128_GCM_SHA256")
    assert row.client_version == "DTLSv13"
    assert row.client_supported_versions == ("DTLSv13", "DTLSv12")
    assert row.ja4 is not None and row.ja4.startswith("dd3d")  # the newest version offered
    assert row.cert_status == "encrypted"


def test_client_hello_then_encrypted_server_ends() -> None:
    d = DtlsDissector(UDP)
    d.feed(rec(22, hs(*CH)), True, 1)
    out = d.feed(rec(23, b"\x00" * 30, epoch=1), False, 2)
    assert summary(out).established is False and d.done


def test_fatal_alert_ends() -> None:
    d = DtlsDissector(UDP)
    d.feed(rec(22, hs(*CH)), True, 1)
    row = summary(d.feed(rec(21, b"\x02\x28"), False, 2))
    assert (row.alert_level_name, row.alert_description, row.alert_sender) == (
        "fatal", 40, "server")


def test_old_openssl_version() -> None:
    ch = dtls_client_hello(version=0x0100)
    sh = dtls_server_hello(cipher=0x0035, version=0x0100)
    _, events = run([(True, rec(22, hs(*ch), version=0x0100)),
                     (False, rec(22, hs(*sh), version=0x0100) + rec(20, b"\x01", 0x0100))])
    row = summary(events)
    assert row.version == "DTLS1_BAD_VER" and row.ja3 is not None and row.ja3.startswith("256,")
    assert dtls_version_name(0xFEFF) == "DTLSv10" and dtls_version_name(0x0303) == "TLSv12"


def test_stun_and_rtp_datagrams_are_ignored() -> None:
    """RFC 7983 §7: first byte 0-3 STUN, 128-191 RTP: not DTLS, not an error."""
    stun = bytes.fromhex("0001000021120a4400000000000000000000000000")
    d = DtlsDissector(UDP)
    assert d.feed(stun, True, 1) == [] and d.feed(b"\x80" + bytes(20), False, 2) == []
    d.feed(rec(22, hs(*CH)), True, 3)
    assert d.discarded == 0 and summary(d.finish()).server_name == "www.example.com"


def test_flow_left_alone_after_other_datagrams_without_dtls() -> None:
    """A relayed or SDES-keyed call (STUN and RTP, no DTLS in clear) is not read to its
    end: done after ``DTLS_MAX_OTHER_FIRST`` datagrams that are not DTLS; one fewer still
    lets a late handshake be read."""
    stun = bytes.fromhex("0001000021120a4400000000000000000000000000")
    rtp = b"\x80" + bytes(20)
    for n, read in ((DTLS_MAX_OTHER_FIRST - 1, True), (DTLS_MAX_OTHER_FIRST, False)):
        d = DtlsDissector(UDP)
        for i in range(n):
            assert d.feed(stun if i % 2 else rtp, bool(i % 2), i) == []
        assert d.done is not read
        d.feed(rec(22, hs(*CH)), True, n)
        rows = [e for e in d.finish() if isinstance(e, TlsRecord)]
        assert len(rows) == int(read)
    d, events = run([*handshake_12(), *[(True, rtp)] * (2 * DTLS_MAX_OTHER_FIRST)])
    assert summary(events).server_name == "www.example.com"  # media after the handshake


# -- damage -----------------------------------------------------------------------------------


def test_trailing_junk_is_discarded_and_noted() -> None:
    d = DtlsDissector(UDP)
    assert d.feed(rec(22, hs(*CH)) + b"\x16\xfe", True, 1) == []
    row = summary(d.finish())
    assert row.server_name == "www.example.com" and d.discarded == 1
    assert row.late_error is not None and "Truncated" in row.late_error


def test_too_many_damaged_datagrams_raise() -> None:
    d = DtlsDissector(UDP)
    for _ in range(DTLS_MAX_BAD_DATAGRAMS):
        assert d.feed(b"\x16\x03\x03" + bytes(20), True, 1) == []
    with pytest.raises(LimitExceeded):
        d.feed(b"\x16\x03\x03" + bytes(20), True, 1)


def test_truncations() -> None:
    whole = rec(22, hs(*CH))
    for cut in range(1, len(whole)):
        d = DtlsDissector(UDP)
        assert d.feed(whole[:cut], True, 1) == []
        assert d.finish() == []
        assert d.discarded == 1


def test_inconsistent_fragments() -> None:
    _, body = CH
    d = DtlsDissector(UDP)
    d.feed(rec(22, hs(1, body, length=20)), True, 1)
    d.feed(rec(22, hs(1, body, offset=20, length=20, total=len(body) + 1)), True, 2)  # length
    d.feed(rec(22, hs(1, body, offset=20, length=20)[:-1]), True, 3)  # fragment past record
    assert d.discarded == 2 and d.finish() == []


def test_hello_too_long_and_bad_hello() -> None:
    d = DtlsDissector(UDP)
    d.feed(rec(22, hs(1, b"x" * 10, total=70_000)), True, 1)
    assert d.discarded == 1
    d.feed(rec(22, hs(1, CH[1][:-3])), True, 2)  # the extensions do not add up
    assert d.discarded == 2 and d.finish() == []


# -- matches ----------------------------------------------------------------------------------


def test_matches_accepts_hellos() -> None:
    assert DtlsDissector.matches(rec(22, hs(*CH)), UDP, True)
    assert DtlsDissector.matches(rec(22, hs(*SH)), UDP, False)
    assert DtlsDissector.matches(rec(22, hs(3, b"\xfe\xff\x00")), UDP, False)
    assert DtlsDissector.matches(rec(22, hs(1, CH[1], offset=100, length=50)), UDP, True)
    assert DtlsDissector.matches(rec(22, hs(*CH), version=DTLS10), UDP, True)
    assert DtlsDissector.first_bytes == frozenset(range(20, 27))


def test_matches_accepts_sessions_seen_from_their_middle() -> None:
    """Records of a later epoch filling the datagram exactly (dtls_mid_sessions.pcapng)."""
    app = rec(23, b"x" * 40, epoch=1, seq=7)
    assert DtlsDissector.matches(app, UDP, True)
    assert DtlsDissector.matches(app + rec(21, b"ab", epoch=1), UDP, False)  # two records
    assert DtlsDissector.matches(rec(23, b"y" * 80, version=0x0100, epoch=1), UDP, True)
    assert DtlsDissector.matches(rec(22, b"z" * 30, epoch=2), UDP, True)  # encrypted Finished
    d, events = run([(True, app), (False, rec(23, b"w" * 20, epoch=1))])
    assert events == [] and not d.done and d.finish() == []  # no hello: no row


def test_matches_is_strict() -> None:
    good = rec(22, hs(*CH))
    bad = [
        good[:24],
        rec(22, hs(*CH), version=0x0303),  # TLS record version
        rec(23, b"x" * 40),  # application data in epoch 0
        rec(23, b"x" * 40, epoch=0x100),
        rec(23, b"x" * 40, epoch=1) + b"\x00",  # a byte after the records
        rec(23, b"x" * 40, epoch=1)[:-1],  # a record longer than the datagram
        rec(23, b"x" * 40, epoch=1, version=0x0303),
        rec(22, hs(*CH), seq=1 << 40),
        rec(23, hs(*CH)),
        rec(22, hs(11, b"x" * 20)),  # not a hello
        rec(22, hs(1, CH[1], offset=100, length=50, total=120)),  # fragment past the message
        rec(22, hs(*CH))[:-1],  # record longer than the datagram
        rec(22, hs(1, b"\x03\x03" + CH[1][2:])),  # a TLS version inside
        bytes.fromhex("0001000021120a4400000000000000000000000000000000"),  # STUN
        b"\x16\x03\x01\x00\x20\x01" + bytes(40),  # TLS over UDP
    ]
    for payload in bad:
        assert not DtlsDissector.matches(payload, UDP, True), payload.hex()
    assert not DtlsDissector.matches(good, TCP, True)


# -- real captures ----------------------------------------------------------------------------


def capture_rows(path: Path) -> dict[tuple[str, int], tuple[DtlsDissector, list[Event]]]:
    """Per UDP flow whose first 4 payloads hold one ``matches`` accepts: the dissector fed
    from that datagram on (as the DPI stage does), keyed by the originator's endpoint."""
    out = {}
    for f in flows(path):
        if f.proto != UDP:
            continue
        first = next((i for i, (side, data, _) in enumerate(f.chunks[:4])
                      if DtlsDissector.matches(data, UDP, side)), None)
        if first is None:
            continue
        d = DtlsDissector(UDP)
        events: list[Event] = []
        for side, data, ts in f.chunks[first:]:
            events += d.feed(data, side, ts)
        events += d.finish()
        out[f.orig] = (d, events)
    return out


# client port -> (JA3C, JA3S, version, cipher), from nDPI's .out files ([JA3C: ...],
# [JA3S: ...], [Cipher: ...]); the version is the ServerHello's (nDPI prints the client's
# for the first flow of dtls_certificate_fragments, DTLSv1.2, where the server chose 1.0)
NDPI_FACTS = {
    # nDPI's JA3S here, ecfd4f82776364c3015565f97e8c3897, is the HelloRetryRequest's
    # (65277,4865,43-44); we skip the HRR (RFC 8446 §4.1.4) and take the real ServerHello's
    ("dtls.pcap", 40983): ("320d2222212f652e923c3458b463c5b4", "c2c89a8b10ca74ec5a350a59fb762fb6",
                           "DTLSv13", "TLS_AES_128_GCM_SHA256"),
    ("dtls.pcap", 40739): ("bd743610892cec1efed851b2b5efd4f5", None, None, None),
    ("dtls_certificate_fragments.pcap", 39347): (
        "3c3d129780d0066cd8936a6291a8d44f", "d45798bc098cd930de7eb2f5f866e994", "DTLSv10",
        "TLS_RSA_WITH_AES_256_CBC_SHA"),
    ("dtls_certificate_fragments.pcap", 43594): (
        "681eb4fb79ccb6d60d35fa502c279d42", "201fdaa63db9a086f36651aa4cfd0819", "DTLSv12",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    ("dtls_old_version.pcapng", 56453): (
        "be3660f0bdab46442f52b205919fee37", "8f48e117ae3543615168a2b087cda528", "DTLS1_BAD_VER",
        "TLS_RSA_WITH_AES_256_CBC_SHA"),
    ("dtls_session_id_and_coockie_both.pcap", 50257): (
        "e15c510766789ed8f49de0e37951c1da", "a1d48eca741e476d8ee735578a26bdbd", "DTLSv12",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    ("stun_dtls_unidirectional_client.pcap", 57567): (
        "f5eee7bc59657db39e2b9cdd401d78b7", None, None, None),
    ("stun_dtls_unidirectional_server.pcap", 540): (
        None, "1974c5c625e99dc22d0477079a54aed3", "DTLSv10", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    ("stun.pcap", 49153): ("c14667d7da3e6f7a7ab5519ef78c2452", "1f5d6a6d0bc5d514dd84d13e6283d309",
                           "DTLSv12", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    ("stun.pcap", 48854): ("3e12a43c7535bb32beac3928f8fe905d", None, None, None),
    ("stun_zoom.pcapng", 53065): (
        "3e12a43c7535bb32beac3928f8fe905d", "323ab23be4a686962b978f9ca6735add", "DTLSv12",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    ("stun_zoom.pcapng", 48854): (
        "3e12a43c7535bb32beac3928f8fe905d", "323ab23be4a686962b978f9ca6735add", "DTLSv12",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    ("geforcenow.pcapng", 52441): (
        "c14667d7da3e6f7a7ab5519ef78c2452", "a9e0318114bb46bdbeef6d54e42c915f", "DTLSv12",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
}


def _feed_whole_flow(path: Path, port: int) -> tuple[DtlsDissector, TlsRecord]:
    """Every datagram of the flow whose originator uses ``port`` (STUN ones are skipped by
    the dissector itself), for flows the DPI stage would give to STUN first."""
    f = next(f for f in flows(path) if f.proto == UDP and f.orig[1] == port)
    d = DtlsDissector(UDP)
    events: list[Event] = []
    for side, data, ts in f.chunks:
        events += d.feed(data, side, ts)
    events += d.finish()
    return d, summary(events)


@needs_data
@pytest.mark.parametrize(("name", "port"), sorted(NDPI_FACTS))
def test_ndpi_fingerprints(name: str, port: int) -> None:
    ja3c, ja3s, version, cipher = NDPI_FACTS[(name, port)]
    _, row = _feed_whole_flow(NDPI / "pcap" / name, port)
    assert (row.ja3_hash, row.ja3s_hash, row.version, row.cipher) == (ja3c, ja3s, version, cipher)


# JA4 as nDPI prints it, and ours: parts b and c (hashes) agree; part a differs in the SNI
# flag (nDPI prints "d" for these SNI-less hellos: its "Missing SNI" risk is raised on the
# same flows; the JA4 spec says "i"), in the ALPN characters (spec: first and last of
# "webrtc" = "wc", nDPI "we"), in the version of a DTLS 1.3 client (we take the newest
# version offered, d3; nDPI the numerically largest code, d2) and of 0x0100 (spec: unknown
# = "00", nDPI "s3"); and for a hello without extensions part c (JA4 spec: 000000000000,
# nDPI the hash of an empty string).
NDPI_JA4 = {
    ("dtls.pcap", 40983): ("dd2d270600_991e33d7eb74_10f9deb96590", "dd3i270600"),
    ("dtls_certificate_fragments.pcap", 43594): (
        "dd2d120700_7c0e62f61317_d9dd6182da81", "dd2i120700"),
    ("dtls_certificate_fragments.pcap", 39347): (
        "dd2d800500_9cedc1f1428b_a1e935682795", "dd2i800500"),
    ("stun_zoom.pcapng", 53065): ("dd2d0808we_c6c2b6ec87e0_06b1ae923e2a", "dd2i0808wc"),
    ("stun_dtls_unidirectional_client.pcap", 57567): (
        "dd1d350400_23b9269eae60_dbc12469f409", "dd1i350400"),
    ("dtls_old_version.pcapng", 56453): ("ds3d010000_692296a295db_e3b0c44298fc", "d00i010000"),
}


@needs_data
@pytest.mark.parametrize(("name", "port"), sorted(NDPI_JA4))
def test_ndpi_ja4(name: str, port: int) -> None:
    theirs, our_a = NDPI_JA4[(name, port)]
    _, row = _feed_whole_flow(NDPI / "pcap" / name, port)
    assert row.ja4 is not None
    a, b, c = row.ja4.split("_")
    assert a == our_a and b == theirs.split("_")[1]
    if not a.endswith("0000"):  # a hello with extensions
        assert c == theirs.split("_")[2]
    else:
        assert c == "000000000000"


@needs_data
def test_pipeline_view_of_ndpi_captures() -> None:
    """Fed from the first datagram ``matches`` accepts (as the DPI stage): one row per flow."""
    rows = capture_rows(NDPI / "pcap" / "dtls_certificate_fragments.pcap")
    assert len(rows) == 2
    d, events = rows[("10.186.198.149", 39347)]
    row = summary(events)
    certs = [e for e in events if isinstance(e, X509Record)]
    assert d.hello_verify_request and row.cert_status == "parsed" and len(certs) == 1
    assert row.cert_subject is not None and "opera-mini.net" in row.cert_subject
    # the Discord server's certificate arrives in fragments over several datagrams
    row = summary(rows[("192.168.1.26", 43594)][1])
    assert row.cert_sans == ("*.discord.gg",) or "discord" in (row.cert_subject or "")
    # the mid-session captures start with epoch > 0 records: recognised, no row (no hello)
    mid = capture_rows(NDPI / "pcap" / "dtls_mid_sessions.pcapng")
    assert len(mid) == 3 and all(events == [] for _, events in mid.values())


@needs_data
def test_damaged_datagram_is_discarded_stun_pcap() -> None:
    """stun.pcap's first ClientHello of port 48854 has a record length (78) shorter than its
    fragment (164; Wireshark does not decode it); the retransmission two frames later does."""
    d, row = _feed_whole_flow(NDPI / "pcap" / "stun.pcap", 48854)
    assert d.discarded == 1 and row.alpn == ("webrtc", "c-webrtc")
    assert row.late_error is not None and "runs past its record" in row.late_error


# Zeek ssl.log (scripts.base.protocols.ssl.dtls, dtls-13 baselines): per client port,
# (version, cipher, established) and the leaf's SHA-256 from x509.log.
ZEEK_FACTS = {
    ("dtls1_0.pcap", 63721): ("DTLSv10", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", True,
                              "32e63ffcf5111a3a6337aa00d5186f6d475e962e9400a1dd8ad6eb4a3e177964"),
    ("dtls1_2.pcap", 60934): ("DTLSv12", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", True,
                              "6f5446a5b23f4e73925de5e6629c09b1c61ed66537d6d8a7818750c9cd0a67d7"),
    ("dtls13-wolfssl.pcap", 33714): ("DTLSv13", "TLS_AES_128_GCM_SHA256", True, None),
    ("dtls13-cid.pcap", 57488): ("DTLSv13", "TLS_AES_128_GCM_SHA256", True, None),
    ("dtls13-cid.pcap", 47904): ("DTLSv13", "TLS_AES_128_GCM_SHA256", True, None),
    ("dtls13-cid.pcap", 52232): (None, None, False, None),
    ("dtls13-cid.pcap", 56544): (None, None, False, None),
    ("dtls13-cid.pcap", 58771): (None, None, False, None),
}


@needs_data
def test_zeek_ssl_log() -> None:
    got = {}
    for name in sorted({n for n, _ in ZEEK_FACTS}):
        for (_, port), (_, events) in capture_rows(ZEEK / name).items():
            row = summary(events)
            got[(name, port)] = (row.version, row.cipher, row.established, row.cert_sha256)
            assert row.server_name is None  # Zeek: "-"
    assert got == ZEEK_FACTS


# -- strictness on every nDPI capture ---------------------------------------------------------

_FLOW = re.compile(r"^\s+\d+\s+UDP (\S+):(\d+) (?:<->|->) (\S+):(\d+) .*?\[proto: ([^\]]+)\]")


@cache
def _ndpi_dtls_flows(out: Path) -> frozenset[frozenset[tuple[str, int]]]:
    found = set()
    if out.exists():
        for line in out.read_text(errors="replace").splitlines():
            if (m := _FLOW.match(line)) and ("DTLS" in m.group(5) or "by custom rule" in line):
                a, ap, b, bp = m.group(1, 2, 3, 4)
                found.add(frozenset({(a.strip("[]"), int(ap)), (b.strip("[]"), int(bp))}))
    return frozenset(found)


@needs_data
def test_matches_only_accepts_dtls_flows_of_ndpi_captures() -> None:
    """``matches`` on the first 4 payloads (the DPI stage's tries) of every UDP flow of
    nDPI's default captures: every accepted flow is one nDPI calls DTLS. The 10: 6 start
    with a DTLS hello (dtls.pcap 2 of 3, its third is GTP-tunnelled; dtls_certificate_fragments
    2; dtls_old_version; dtls_session_id_and_coockie_both), 4 have it in packet 3 or 4 after
    STUN (stun.pcap 2, stun_dtls_unidirectional_client/_server; the STUN signature takes
    those on packet 1 in the pipeline). stun_zoom and geforcenow send it later. And the 4
    flows of dtls_mid_sessions, seen in epoch 1 only. Flows nDPI names by a custom rule of the
    test configuration (custom_rules_ipv6: DTLS 1.2 records, as tshark says) count as theirs."""
    accepted, wrong = 0, []
    for pcap in sorted((NDPI / "pcap").iterdir()):
        dtls = _ndpi_dtls_flows(NDPI / "result" / f"{pcap.name}.out")
        for f in flows(pcap):
            if f.proto != UDP:
                continue
            if any(DtlsDissector.matches(data, UDP, side) for side, data, _ in f.chunks[:4]):
                accepted += 1
                if frozenset({f.orig, f.resp}) not in dtls:
                    wrong.append((pcap.name, f.orig, f.resp))
    assert wrong == []
    assert accepted == 16


# -- fuzz -------------------------------------------------------------------------------------

SEEDS = [d for _, d in handshake_12()] + [rec(22, hs(1, CH[1], length=60))]


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 400),
    junk=st.binary(max_size=64),
    split=st.integers(1, 5),
)
def test_fuzz_dtls(seed: bytes, edits: list[tuple[int, int]], cut: int, junk: bytes,
                   split: int) -> None:
    """Invariant: any datagrams, in any split, yield events (TlsRecord / X509Record) or raise
    ParseError (within the 250 ms deadline), and ``matches`` never raises."""
    data = bytearray(seed)
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    payload = bytes(data[:cut]) + junk
    DtlsDissector.matches(payload, UDP, True)
    DtlsDissector.matches(payload[:split], UDP, False)
    d = DtlsDissector(UDP)
    started = time.perf_counter()
    try:
        events = d.feed(payload, True, 0)
        for i in range(0, len(payload), split):
            events += d.feed(payload[i : i + split], False, 1)
        events += d.finish()
    except ParseError:
        return
    assert all(isinstance(e, (TlsRecord, X509Record)) for e in events)
    assert sum(isinstance(e, TlsRecord) for e in events) <= 1
    assert time.perf_counter() - started < 0.25

