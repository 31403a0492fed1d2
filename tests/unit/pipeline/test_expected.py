"""Connections named by their announcement (``pipeline.expected``): FTP data connections
(PASV, EPSV, PORT) and TFTP transfers, whose bytes say nothing of the protocol."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "decode"))

from decode_frames import DATA, tcp_frame, udp_frame, write_pcap  # noqa: E402

import wirelens  # noqa: E402
from wirelens.dissect.signatures_net import TftpDissector  # noqa: E402
from wirelens.pipeline.columns import addr_halves  # noqa: E402
from wirelens.pipeline.expected import ExpectedFlows, FtpDataDissector  # noqa: E402

CLIENT, SERVER = "10.1.0.5", "10.1.0.9"
SEC = 1_000_000_000


class Tcp:
    """Frames of one TCP connection, sequence numbers kept per side."""

    def __init__(self, a: str, ap: int, b: str, bp: int) -> None:
        self.ends = {True: (a, ap, b, bp), False: (b, bp, a, ap)}
        self.seq = {True: 1000, False: 5000}
        self.frames: list[bytes] = []

    def send(self, from_a: bool, payload: bytes = b"", flags: int = 0x18) -> Tcp:
        src, sp, dst, dp = self.ends[from_a]
        self.frames.append(tcp_frame(src, dst, sp, dp, self.seq[from_a], self.seq[not from_a],
                                     flags, payload))
        self.seq[from_a] += len(payload) + (1 if flags & 0x03 else 0)
        return self

    def open(self) -> Tcp:
        return self.send(True, flags=0x02).send(False, flags=0x12).send(True, flags=0x10)


def _conn(frames: list[bytes], tmp_path: Path, **options: int) -> list[dict]:
    cap = tmp_path / "c.pcap"
    write_pcap(cap, frames)
    return wirelens.analyze(cap, **options).conn.to_pylist()


def _by_port(rows: list[dict]) -> dict[int, tuple[str | None, str | None]]:
    return {r["resp_p"]: (r["service"], r["service_source"]) for r in rows}


FILE = bytes(range(256)) * 8  # the file: bytes no content test names


@pytest.mark.parametrize("batch_bytes", [1 << 21, 400])
@pytest.mark.parametrize("mode", ["pasv", "epsv"])
def test_passive_data_connection(tmp_path: Path, mode: str, batch_bytes: int) -> None:
    """The client opens the data connection to the port the server's 227 (or 229) reply
    named; it is ftp_data (expected), and the control connection ftp (content). Named when
    its first payload is read (the announcement came in an earlier batch: 400-byte batches)
    or when it ends (in one batch, the control connection's later packets are read after the
    data connection's, see ``DpiStage._services_expected``)."""
    ctl = Tcp(CLIENT, 40000, SERVER, 21).open()
    ctl.send(False, b"220 ready\r\n").send(True, b"USER anonymous\r\n")
    ctl.send(False, b"331 password\r\n").send(True, b"PASS x@y\r\n").send(False, b"230 ok\r\n")
    if mode == "pasv":
        ctl.send(True, b"PASV\r\n").send(False, b"227 Entering Passive Mode (10,1,0,9,195,80).\r\n")
    else:
        ctl.send(True, b"EPSV\r\n").send(False, b"229 Entering Extended Passive Mode (|||50000|)\r\n")
    ctl.send(True, b"RETR f.bin\r\n").send(False, b"150 opening\r\n")
    data = Tcp(CLIENT, 40001, SERVER, 50000).open().send(False, FILE)
    got = _by_port(_conn(ctl.frames + data.frames + [ctl.send(False, b"226 done\r\n").frames[-1]],
                         tmp_path, batch_bytes=batch_bytes))
    assert got == {21: ("ftp", "content"), 50000: ("ftp_data", "expected")}


def test_active_data_connection(tmp_path: Path) -> None:
    """PORT: the server connects to the client's announced port (the data connection's
    responder is the client)."""
    ctl = Tcp(CLIENT, 40000, SERVER, 21).open()
    ctl.send(False, b"220 ready\r\n").send(True, b"PORT 10,1,0,5,156,64\r\n")
    ctl.send(False, b"200 PORT ok\r\n").send(True, b"STOR f.bin\r\n")
    data = Tcp(SERVER, 20, CLIENT, 40000).open().send(False, FILE)
    rows = _conn(ctl.frames + data.frames, tmp_path)
    assert _by_port(rows)[40000] == ("ftp_data", "expected")


def test_an_unannounced_port_is_not_ftp_data(tmp_path: Path) -> None:
    ctl = Tcp(CLIENT, 40000, SERVER, 21).open()
    ctl.send(False, b"220 ready\r\n").send(True, b"PASV\r\n")
    ctl.send(False, b"227 Entering Passive Mode (10,1,0,9,195,80).\r\n")
    other = Tcp(CLIENT, 40001, SERVER, 50001).open().send(False, FILE)
    assert _by_port(_conn(ctl.frames + other.frames, tmp_path))[50001] == (None, None)


def test_tftp_transfer_from_a_new_port(tmp_path: Path) -> None:
    """RFC 1350 §4: the server answers a read request from a new port, to the client's."""
    frames = [udp_frame(CLIENT, SERVER, 41000, 69, b"\x00\x01f.bin\x00octet\x00"),
              udp_frame(SERVER, CLIENT, 52000, 41000, b"\x00\x03\x00\x01" + FILE[:512]),
              udp_frame(CLIENT, SERVER, 41000, 52000, b"\x00\x04\x00\x01")]
    got = _by_port(_conn(frames, tmp_path))
    assert got == {69: ("tftp", "content"), 41000: ("tftp", "expected")}


def test_expected_flows_are_used_once_bounded_and_timed_out() -> None:
    e = ExpectedFlows(limit=2, timeout_s=10)
    e.add(6, 0, 1, 80, FtpDataDissector, 0)
    assert e.take(6, 0, 1, 80, SEC) is FtpDataDissector and e.take(6, 0, 1, 80, SEC) is None
    e.add(6, 0, 1, 81, FtpDataDissector, 0)
    assert e.take(6, 0, 1, 81, 11 * SEC) is None  # past the timeout
    for port in (1, 2, 3):
        e.add(17, 0, 1, port, TftpDissector, port * SEC)
    assert len(e) == 2 and e.take(17, 0, 1, 1, 4 * SEC) is None  # the oldest went first
    e.add(17, 0, 1, 9, TftpDissector, 30 * SEC)  # the others are older than the timeout by now
    assert len(e) == 1
    # the ports waited on follow every way an announcement goes (used, replaced, dropped)
    assert [p for p in (1, 2, 3, 9, 80, 81) if e.awaits(p)] == [9]
    e.add(17, 0, 1, 9, TftpDissector, 31 * SEC)  # announced again: one waiting
    e.add(17, 0, 2, 9, TftpDissector, 31 * SEC)  # another responder on the same port
    assert e.take(17, 0, 1, 9, 32 * SEC) is TftpDissector and e.awaits(9)
    assert e.take(17, 0, 2, 9, 32 * SEC) is TftpDissector and not e.awaits(9)
    assert addr_halves("192.0.2.1") == (0, 0xFFFF_C000_0201)
    assert addr_halves("2001:db8::1") == (0x2001_0DB8_0000_0000, 1)
    assert addr_halves("nonsense") is None


@pytest.mark.skipif(not (DATA / "nDPI").is_dir(), reason="../shared/data not found")
def test_real_captures() -> None:
    """nDPI's ftp.pcap (two passive transfers) and tftp.pcap (three transfers)."""
    cfg = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
    rows = wirelens.analyze(cfg / "ftp.pcap").conn.to_pylist()
    assert sorted((r["resp_p"], r["service"], r["service_source"]) for r in rows) == [
        (21, "ftp", "content"), (24523, "ftp_data", "expected"),
        (25685, "ftp_data", "expected")]
    rows = wirelens.analyze(cfg / "tftp.pcap").conn.to_pylist()
    expected = [r for r in rows if r["service_source"] == "expected"]
    assert len(expected) == 3 and {r["service"] for r in expected} == {"tftp"}
