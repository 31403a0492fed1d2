"""What a dissector that fails leaves behind (``DpiStage._parse_error``): a weird, and the rows
of what it had read before the damage and still held (an SSH session's banners, a request
waiting for its reply), as the end of the flow would have written them; the line protocols
read on past an over-long line (a weird) instead of failing; and damage reported leaves no
reference cycle holding the batch (the errors kept drop their tracebacks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.decode.decode_frames import DATA, analyze_frames, table_rows, tcp_frame, udp_frame
from tests.unit.dissect.wl_dissect_builders import (
    dns_header,
    dns_name,
    exceptions_left_in_cycles,
    rr,
)

import wirelens
from wirelens.pipeline.api import AnalysisResult

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"
SYN, ACK, PSH = 0x02, 0x10, 0x18
SURICATA = DATA / "suricata-verify" / "tests"
ZEEK = DATA / "zeek" / "testing" / "btest"


def _conversation(port: int, messages: list[tuple[bool, bytes]]) -> list[bytes]:
    """A TCP connection to ``port``: the handshake, then each (from client?, bytes) segment."""
    seq = {True: 101, False: 501}
    frames = [tcp_frame(CLIENT, SERVER, 40000, port, 100, 0, SYN),
              tcp_frame(SERVER, CLIENT, port, 40000, 500, 101, SYN | ACK),
              tcp_frame(CLIENT, SERVER, 40000, port, 101, 501, ACK)]
    for from_client, data in messages:
        src, dst, sp, dp = ((CLIENT, SERVER, 40000, port) if from_client
                            else (SERVER, CLIENT, port, 40000))
        frames.append(tcp_frame(src, dst, sp, dp, seq[from_client], seq[not from_client], PSH,
                                data))
        seq[from_client] += len(data)
    return frames


def test_what_was_read_before_the_damage_is_written(tmp_path: Path) -> None:
    """Both banners, then junk where the server's first binary packet should be (OpenSSH's
    ``Protocol mismatch.``): the ssh row with the banners, and the weird."""
    r = analyze_frames(tmp_path, _conversation(22, [(True, b"SSH-2.0-OpenSSH_9.6\r\n"),
                                                    (False, b"SSH-2.0-OpenSSH_8.9p1\r\n"),
                                                    (False, b"Protocol mismatch.\n")]))
    assert [(s["client"], s["server"]) for s in table_rows(r, "ssh")] == [
        ("SSH-2.0-OpenSSH_9.6", "SSH-2.0-OpenSSH_8.9p1")]
    assert [w["name"] for w in table_rows(r, "weird")] == ["ssh_limit_exceeded"]  # (its "length")


def test_an_overlong_line_is_a_weird_and_the_session_is_read_on(tmp_path: Path) -> None:
    long = b"A" * 5000
    r = analyze_frames(tmp_path, _conversation(25, [
        (False, b"220 mx.example.org ESMTP\r\n"), (False, long + b"\r\n"),
        (True, b"EHLO Percival\r\n"), (False, b"250 mx.example.org\r\n"),
        (True, b"QUIT\r\n"), (False, b"221 bye\r\n")]))
    assert [s["helo"] for s in table_rows(r, "smtp")] == ["Percival"]
    assert [w["name"] for w in table_rows(r, "weird")] == ["smtp_limit_exceeded"]


def test_damage_kept_as_data_leaves_no_reference_cycle(tmp_path: Path) -> None:
    """An HTTP response whose status line is damaged and a DNS response whose second answer
    is: each a weird (a Problem carrying the error). Kept with its traceback, the error held
    the frames it passed through and, by their callers, the DPI stage's with the batch's bytes,
    in a cycle only the run's seldom cyclic collections freed (a 2 MiB batch per damaged
    message: quarter.pcap's peak memory had grown by 80 MB)."""
    http = _conversation(80, [(True, b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n"),
                              (False, b"HTTP/1.\xc5 200 OK\r\n\r\n")])
    response = (dns_header(7, 0x8180, 1, 2) + dns_name("a.example") + b"\x00\x01\x00\x01"
                + rr(1, bytes(4)) + rr(1, bytes(4), name=b"\xc0\x2b"))  # (owner: itself)
    dns = [udp_frame(CLIENT, SERVER, 40001, 53, dns_header(7, 0x0100, 1, 0) + dns_name("a.example")
                     + b"\x00\x01\x00\x01"), udp_frame(SERVER, CLIENT, 53, 40001, response)]
    got: list[AnalysisResult] = []
    left = exceptions_left_in_cycles(lambda: got.append(analyze_frames(tmp_path, http + dns)))
    weirds = sorted(w["name"] for w in table_rows(got[0], "weird"))
    assert weirds == ["dns_bad_pointer", "http_bad_value"]
    assert left == []


needs = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared captures not found at {DATA}")


@needs
def test_real_captures_keep_their_rows() -> None:
    """suricata-verify smtp-bug-5989 (a 5,000-byte server line: Suricata logs the HELO) and
    ftp-too-long-response (Suricata logs the PASV whose reply is too long); Zeek's
    ldap/gap-data-missing (a bind request whose session a hole breaks: Zeek's ldap.log keeps
    message 21, a SASL bind)."""
    smtp = wirelens.analyze(SURICATA / "smtp-bug-5989" / "input.pcap")
    assert [s["helo"] for s in table_rows(smtp, "smtp")] == ["Percival"]
    ftp = wirelens.analyze(SURICATA / "ftp" / "ftp-too-long-response" / "ftp-too-long-response.pcap")
    assert [(f["command"], f["reply_code"]) for f in table_rows(ftp, "ftp")][-2:] == [
        ("TYPE", 200), ("PASV", 227)]
    ldap = wirelens.analyze(ZEEK / "Traces" / "ldap" / "gap-data-missing.pcapng")
    assert (21, "bind_request", "sasl") in [(x["message_id"], x["opcode_name"], x["auth_type"])
                                            for x in table_rows(ldap, "ldap")]


DAMAGED = [
    "nDPI/tests/cfgs/default/pcap/ndpi_match_string_subprotocol__error.pcapng",  # http
    "nDPI/tests/cfgs/default/pcap/snapchat_call.pcapng",  # quic
    "nDPI/tests/cfgs/default/pcap/tls_cipher_lens.pcap",  # tls
    "nDPI/tests/cfgs/default/pcap/fuzz-2006-06-26-2594.pcap",  # dns, sip, netbios, ...
    "suricata-verify/tests/smtp-bug-5989/input.pcap",  # smtp
]


@needs
@pytest.mark.parametrize("rel", DAMAGED)
def test_real_damage_leaves_no_reference_cycle(rel: str) -> None:
    """Captures whose damage dissectors report (every capture of ../shared/data was checked
    so once: none left an error or a frame in a cycle)."""
    assert exceptions_left_in_cycles(lambda: wirelens.analyze(DATA / rel)) == []

