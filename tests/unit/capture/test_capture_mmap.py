"""The memory-mapped read path against the buffered one: same records, same damage reports,
pages released as the window slides, a file cut or grown while mapped."""

from __future__ import annotations

import csv
import gzip
import io
import os
import struct
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from wirelens.capture import PcapngWriter, PcapWriter, open_capture
from wirelens.capture._io import Window
from wirelens.capture._mmap import MmapWindow
from wirelens.core.errors import CaptureError

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
MANIFEST = DATA / "MANIFEST.csv"
T0 = 1_700_000_000_123_456_789

Rec = tuple[int, int, int, int, bytes]
Prob = tuple[str, int, int, str]


def read_all(path: Path, use_mmap: bool, batch_bytes: int) -> tuple[list[Rec], list[Prob], int]:
    """Records as (caplen, wirelen, ts_ns, linktype, bytes), problems and the batch count."""
    out: list[Rec] = []
    batches = 0
    with open_capture(path, batch_bytes=batch_bytes, use_mmap=use_mmap) as src:
        assert isinstance(src._win, MmapWindow) == use_mmap
        for b in src:
            batches += 1
            d = b.data
            out += [
                (c, w, t, k, d[o : o + c].tobytes())
                for o, c, w, t, k in zip(
                    b.offset.tolist(), b.caplen.tolist(), b.wirelen.tolist(),
                    b.ts_ns.tolist(), b.linktype.tolist(), strict=True,
                )
            ]  # fmt: skip
        probs = [(p.kind, p.byte_offset, p.packets_before, p.detail) for p in src.problems]
        assert src.packets == len(out)
    return out, probs, batches


def assert_same(path: Path, batch_bytes: int) -> tuple[list[Rec], list[Prob], int]:
    """Both paths give identical records and problems; returns the mapped path's result."""
    mapped = read_all(path, True, batch_bytes)
    buffered = read_all(path, False, batch_bytes)
    assert mapped[0] == buffered[0], path
    assert mapped[1] == buffered[1], path
    return mapped


def sizes(n: int, big: int) -> list[bytes]:
    """``n`` frames of lengths from 0 to ``big`` (many bigger than a small window)."""
    return [bytes([i % 251]) * ((i * 811) % (big + 1)) + bytes([i & 255]) for i in range(n)]


def pcap_image(fr: list[bytes]) -> bytes:
    buf = io.BytesIO()
    with PcapWriter(buf) as w:
        for i, f in enumerate(fr):
            w.write(T0 + i * 1_000_001, f)
    return buf.getvalue()


def pcapng_image(fr: list[bytes]) -> bytes:
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    w.interface(linktype=1, tsresol=9)
    w.interface(linktype=113, tsresol=6)
    for i, f in enumerate(fr):
        w.epb(i % 2, T0 // (1 if i % 2 == 0 else 1000) + i, f)
    w.close()
    return buf.getvalue()


def be_pcap_image(fr: list[bytes]) -> bytes:
    """Big-endian nanosecond pcap (the writer only writes little-endian)."""
    out = [struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101)]
    for i, f in enumerate(fr):
        sec, ns = divmod(T0 + i, 1_000_000_000)
        out.append(struct.pack(">IIII", sec, ns, len(f), len(f) + 1) + f)
    return b"".join(out)


IMAGES = {"pcap": pcap_image, "pcapng": pcapng_image, "pcap-be-ns": be_pcap_image}


# ---- which path is taken ---------------------------------------------------------------------


def _default_plain(tmp_path: Path) -> Path:
    p = tmp_path / "default.pcap"
    p.write_bytes(pcap_image(sizes(3, 100)))
    return p


def test_path_choice(tmp_path: Path) -> None:
    """Regular uncompressed files are mapped on request; by default, and always for
    compressed files and pipes, they are read with buffered windows."""
    with open_capture(_default_plain(tmp_path)) as src:
        assert isinstance(src._win, Window)
    image = pcap_image(sizes(20, 300))
    plain = tmp_path / "a.pcap"
    plain.write_bytes(image)
    gz = tmp_path / "a.pcap.gz"
    gz.write_bytes(gzip.compress(image))
    with open_capture(plain, use_mmap=True) as src:
        assert isinstance(src._win, MmapWindow)
    with open_capture(plain, use_mmap=False) as src:
        assert isinstance(src._win, Window)
    with open_capture(gz) as src:
        assert isinstance(src._win, Window)
        assert len(list(src)) == 1 and src.packets == 20
    if not hasattr(os, "mkfifo"):
        return
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(image)

    t = threading.Thread(target=feed)
    t.start()
    try:
        with open_capture(fifo) as src:
            assert isinstance(src._win, Window)
            assert sum(len(b) for b in src) == 20
    finally:
        t.join(timeout=30)


def test_mapped_batches_are_views_not_copies(tmp_path: Path) -> None:
    """The mapped path hands out views of the map (no owned buffer), at most one window (or
    one record) long; progress reaches the file size."""
    p = tmp_path / "v.pcap"
    p.write_bytes(pcap_image(sizes(300, 700)))
    done = []
    with open_capture(p, use_mmap=True, batch_bytes=2048) as src:
        for b in src:
            assert not b.data.flags.owndata and b.data.flags.writeable
            assert b.data.shape[0] <= 2048
            done.append(b.bytes_done)
    assert len(done) > 20 and done == sorted(done) and done[-1] == p.stat().st_size
    with open_capture(p, batch_bytes=2048, use_mmap=False) as src:
        assert all(b.data.flags.owndata for b in src)


# ---- identical output ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(IMAGES))
@pytest.mark.parametrize("batch_bytes", [64, 100, 1000, 4096, 1 << 20])
def test_same_records_both_paths(tmp_path: Path, kind: str, batch_bytes: int) -> None:
    """Records of 1..3000 bytes through windows of 64 B .. 1 MiB: many records span window
    boundaries or are bigger than the window; both paths agree byte for byte."""
    fr = sizes(400, 3000)
    p = tmp_path / "s.cap"
    p.write_bytes(IMAGES[kind](fr))
    recs, probs, batches = assert_same(p, batch_bytes)
    assert probs == []
    assert [r[4] for r in recs] == fr
    if batch_bytes <= 4096:
        assert batches > 50  # the walk really crossed many window boundaries


@pytest.mark.parametrize("kind", sorted(IMAGES))
def test_every_truncation_same_both_paths(tmp_path: Path, kind: str) -> None:
    """A capture cut at every byte: same records and the same problem (kind, offset,
    packets before, detail) from both paths, or the same CaptureError at open."""
    full = IMAGES[kind](sizes(6, 90))
    p = tmp_path / "t.cap"
    for cut in range(len(full) + 1):
        p.write_bytes(full[:cut])
        errors = []
        for use in (True, False):
            try:
                open_capture(p, use_mmap=use).close()
            except CaptureError as exc:
                errors.append(str(exc))
        if errors:
            assert len(errors) == 2 and errors[0] == errors[1], cut
            continue
        recs, probs, _ = assert_same(p, 64)
        if cut < len(full):
            assert len(probs) <= 1
        else:
            assert probs == [] and len(recs) == 6


def test_damaged_midfile_same_both_paths(tmp_path: Path) -> None:
    """An absurd record length and a bad pcapng trailer in the middle of a file spanning
    many windows: same packets before the damage, same problem."""
    fr = sizes(200, 1500)
    image = bytearray(pcap_image(fr))
    pos = 24
    for f in fr[:150]:
        pos += 16 + len(f)
    struct.pack_into("<I", image, pos + 8, 0x7FFF_FFFF)
    p = tmp_path / "bad.pcap"
    p.write_bytes(bytes(image))
    recs, probs, _ = assert_same(p, 4096)
    assert len(recs) == 150 and [x[0] for x in probs] == ["bad_record_length"]
    ng = bytearray(pcapng_image(fr))
    ng[-1] ^= 0xFF  # the last block's trailing length
    p.write_bytes(bytes(ng))
    recs, probs, _ = assert_same(p, 4096)
    assert len(recs) == 199 and [x[0] for x in probs] == ["bad_block_length"]


def _rows() -> list[str]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as f:
        return [r["path"] for r in csv.DictReader(f)]


@pytest.mark.skipif(not MANIFEST.is_file(), reason=f"real captures not available ({DATA})")
@pytest.mark.parametrize("batch_bytes", [4096, 16 * 1024 * 1024])
def test_real_captures_same_both_paths(batch_bytes: int) -> None:
    """Every capture of the manifest (clean and damaged, all formats and compressions):
    identical records and problems from both paths; every difference listed together."""
    diffs = []
    for rel in _rows():
        path = DATA / rel
        if not _plain(path):
            continue  # compressed: buffered on both
        got = []
        for use in (True, False):
            try:
                recs, probs, _ = read_all(path, use, batch_bytes)
                got.append((recs, probs))
            except CaptureError as exc:
                got.append(str(exc))
        if got[0] != got[1]:
            a, b = (g if isinstance(g, str) else (len(g[0]), g[1]) for g in got)
            diffs.append(f"{rel}: mapped {a} vs buffered {b}")
    assert not diffs, "\n".join(diffs[:30])


def _plain(path: Path) -> bool:
    """An uncompressed capture (the mapped path applies)."""
    with path.open("rb") as f:
        head = f.read(4)
    return (
        head[:2] != b"\x1f\x8b"
        and head not in (b"\x28\xb5\x2f\xfd", b"\xfd7zX")
        and (head[:3] != b"BZh")
    )


# ---- memory, shrinking, growing, lifetime ----------------------------------------------------


def _rss_file_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssFile:"):
                return int(line.split()[1])
    return -1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RssFile is Linux-only")
def test_resident_file_pages_stay_about_one_window(tmp_path: Path) -> None:
    """Reading a 96 MiB file through 1 MiB windows: the file-backed resident set grows by a
    few windows at most, not by the file (pages left behind are released)."""
    p = tmp_path / "big.pcap"
    rec = struct.pack("<IIII", 1, 2, 1500, 1500) + bytes(1500)
    with p.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = rec * 4096
        for _ in range(96 * 1024 * 1024 // len(chunk)):
            f.write(chunk)
    base = _rss_file_kb()
    peak = base
    n = 0
    with open_capture(p, use_mmap=True, batch_bytes=1 << 20) as src:
        assert isinstance(src._win, MmapWindow)
        for b in src:
            n += len(b)
            int(b.data[b.offset[-1] + 1499])  # touch the end of the batch too
            peak = max(peak, _rss_file_kb())
    assert n == 96 * 1024 * 1024 // len(chunk) * 4096
    assert peak - base < 8 * 1024, f"RssFile grew by {peak - base} kB"


def test_file_cut_between_windows(tmp_path: Path) -> None:
    """A file cut after the first window was read: records whole before the cut, then one
    read_error naming the shrink (no SIGBUS: the next window stops at the new end)."""
    fr = sizes(300, 500)
    image = pcap_image(fr)
    p = tmp_path / "cut.pcap"
    p.write_bytes(image)
    cut = len(image) // 2
    got: list[bytes] = []
    with open_capture(p, use_mmap=True, batch_bytes=4096) as src:
        it = iter(src)
        first = next(it)
        assert first.bytes_done < cut
        got += [first.data[o : o + c].tobytes() for o, c in zip(first.offset, first.caplen)]
        os.truncate(p, cut)
        for b in it:
            got += [b.data[o : o + c].tobytes() for o, c in zip(b.offset, b.caplen)]
        probs = list(src.problems)
    whole, pos = 0, 24
    while pos + 16 + len(fr[whole]) <= cut:
        pos += 16 + len(fr[whole])
        whole += 1
    assert got == fr[:whole]
    assert [(x.kind, x.packets_before) for x in probs] == [("read_error", whole)]
    assert "shrank" in probs[0].detail


def test_settle_clamps_the_current_window(tmp_path: Path) -> None:
    """``settle`` after a cut inside the current window: the window ends at the cut."""
    p = tmp_path / "w.bin"
    p.write_bytes(bytes(range(256)) * 64)
    with p.open("rb") as f:
        win = MmapWindow(f.fileno(), 8192)
        assert win.ensure(100) and win.end == 8192
        win.pos = 50
        os.truncate(p, 3000)
        win.settle()
        assert win.end == 3000 and win.error and "shrank" in win.error
        assert win.buf[2999] == 2999 % 256
        assert not win.ensure(4000) and win.base + win.end == 3000
        os.truncate(p, 10)
        win.settle()
        assert win.end == win.pos  # nothing past the new end, never past pos either
        win.close()


def test_file_grown_after_open_reads_the_size_at_open(tmp_path: Path) -> None:
    """Records appended after open are not read, by either path (the buffered one stops at
    the end of file it met while sniffing; the map covers the size at open)."""
    fr = sizes(40, 200)
    image = pcap_image(fr)
    half = 24 + sum(16 + len(f) for f in fr[:20])
    for use in (True, False):
        p = tmp_path / f"grow{use}.pcap"
        p.write_bytes(image[:half])
        with open_capture(p, use_mmap=use) as src:
            with p.open("ab") as f:
                f.write(image[half:])
            got = [b.data[o : o + c].tobytes() for b in src for o, c in zip(b.offset, b.caplen)]
            assert src.problems == []
        assert got == fr[:20], use


def test_batch_kept_after_close_stays_readable(tmp_path: Path) -> None:
    """A batch held past close (against the contract, but it must not crash): its view keeps
    the map alive and reads the right bytes; closing twice is harmless."""
    fr = sizes(50, 300)
    p = tmp_path / "k.pcap"
    p.write_bytes(pcap_image(fr))
    src = open_capture(p, use_mmap=True, batch_bytes=1024)
    batches = list(src)  # the walk closes the source at its end
    src.close()
    last = batches[-1]
    o, c = int(last.offset[-1]), int(last.caplen[-1])
    assert last.data[o : o + c].tobytes() == fr[-1]
    assert np.asarray(last.data).sum() >= 0
