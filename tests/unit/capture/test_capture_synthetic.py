"""Synthetic captures written in tmp_path: formats, compression, stdin, directories, damage."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wirelens.capture import (
    PcapngWriter,
    PcapWriter,
    count_packets,
    expand_inputs,
    open_capture,
)
from wirelens.capture.inputs import natural_key
from wirelens.core import limits
from wirelens.core.errors import CaptureError

T0 = 1_700_000_000_123_456_789  # ns


def frames(n: int) -> list[bytes]:
    """``n`` distinct frames of varied length (some empty, some not a multiple of 4)."""
    return [bytes([i % 251]) * (i * 7 % 97) + bytes([i % 256, i // 256]) for i in range(n)]


def records(path: str | Path, batch_bytes: int = limits.BATCH_BYTES) -> tuple[list, list]:
    """All records as (caplen, wirelen, ts_ns, linktype, data) and the problems."""
    out = []
    with open_capture(path, batch_bytes=batch_bytes) as src:
        for b in src:
            assert b.offset.dtype == np.int64 and b.ts_ns.dtype == np.int64
            assert b.caplen.dtype == np.uint32 and b.linktype.dtype == np.uint16
            for i in range(len(b)):
                o, c = int(b.offset[i]), int(b.caplen[i])
                out.append(
                    (c, int(b.wirelen[i]), int(b.ts_ns[i]), int(b.linktype[i]),
                     b.data[o : o + c].tobytes())
                )  # fmt: skip
        assert src.packets == len(out)
        return out, list(src.problems)


def write_pcap(path: Path, fr: list[bytes], **kw: object) -> None:
    with PcapWriter(path, **kw) as w:  # type: ignore[arg-type]
        for i, f in enumerate(fr):
            w.write(T0 + i * 1_000_001_000, f)


def be_pcap(
    fr: list[bytes], ns: bool = False, version: tuple[int, int] = (2, 4), link: int = 1
) -> bytes:
    """A big-endian classic pcap image (PcapWriter only writes little-endian)."""
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    out = [struct.pack(">IHHiIII", magic, *version, 0, 0, 65535, link)]
    for i, f in enumerate(fr):
        sec, frac = divmod(T0 + i * 1000, 1_000_000_000)
        frac = frac if ns else frac // 1000
        out.append(struct.pack(">IIII", sec, frac, len(f), len(f) + 3) + f)
    return b"".join(out)


# ---- classic pcap --------------------------------------------------------------------------


@pytest.mark.parametrize("ns", [False, True])
def test_pcap_little_endian_us_and_ns(tmp_path: Path, ns: bool) -> None:
    fr = frames(40)
    p = tmp_path / "a.pcap"
    write_pcap(p, fr, nanosecond=ns, linktype=113)
    got, problems = records(p)
    assert problems == []
    assert [g[4] for g in got] == fr
    assert all(g[3] == 113 for g in got)
    for i, g in enumerate(got):
        want = T0 + i * 1_000_001_000
        assert g[2] == (want if ns else want // 1000 * 1000)


@pytest.mark.parametrize("ns", [False, True])
def test_pcap_big_endian(tmp_path: Path, ns: bool) -> None:
    fr = frames(10)
    p = tmp_path / "be.pcap"
    p.write_bytes(be_pcap(fr, ns=ns, link=101))
    got, problems = records(p)
    assert problems == []
    assert [g[4] for g in got] == fr
    assert [g[1] for g in got] == [len(f) + 3 for f in fr]
    assert got[3][2] == (T0 + 3000 if ns else (T0 + 3000) // 1000 * 1000)
    assert {g[3] for g in got} == {101}


def test_pcap_odd_version_and_linktype_high_bits(tmp_path: Path) -> None:
    p = tmp_path / "odd.pcap"
    img = bytearray(be_pcap(frames(3), version=(1, 4), link=0x0300_0069))
    p.write_bytes(bytes(img))
    with open_capture(p) as src:
        got = [b for b in src]
        assert src.linktype == 0x69
    assert sum(len(b) for b in got) == 3
    assert set(got[0].linktype.tolist()) == {0x69}


def test_pcap_modified_kuznetzov(tmp_path: Path) -> None:
    hdr = struct.pack("<IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, 1)
    recs = b"".join(struct.pack("<IIII", 10, 5, len(f), len(f)) + b"\0" * 8 + f for f in frames(5))
    p = tmp_path / "m.pcap"
    p.write_bytes(hdr + recs)
    got, problems = records(p)
    assert problems == [] and [g[4] for g in got] == frames(5)
    assert got[0][2] == 10_000_005_000


def test_small_window_many_batches_and_growth(tmp_path: Path) -> None:
    """A 64-byte window: records larger than the window grow it; data and order are kept."""
    fr = frames(30) + [b"x" * 5000]
    p = tmp_path / "w.pcap"
    write_pcap(p, fr)
    got, problems = records(p, batch_bytes=64)
    assert problems == [] and [g[4] for g in got] == fr
    with open_capture(p, batch_bytes=64) as src:
        batches = list(src)
    assert len(batches) > 5
    assert [b.first_index for b in batches] == list(np.cumsum([0] + [len(b) for b in batches[:-1]]))
    assert batches[-1].bytes_done == p.stat().st_size


def test_source_attributes_and_count(tmp_path: Path) -> None:
    p = tmp_path / "c.pcap"
    write_pcap(p, frames(7))
    with open_capture(p) as src:
        assert src.name == str(p) and src.size == p.stat().st_size
        assert src.format == "pcap" and src.compression is None
        list(src)
        assert src.packets == 7
    assert count_packets(p) == (7, [])


# ---- pcapng --------------------------------------------------------------------------------


def test_pcapng_interfaces_tsresol_tsoffset(tmp_path: Path) -> None:
    p = tmp_path / "m.pcapng"
    with PcapngWriter(p) as w:
        a = w.interface(linktype=1)  # default microseconds
        b = w.interface(linktype=101, tsresol=9, tsoffset=100)  # ns, +100 s
        c = w.interface(linktype=113, tsresol=0x80 | 20)  # 2**-20 s
        d = w.interface(linktype=228, tsresol=12)  # picoseconds
        w.epb(a, 1_700_000_000_000_001, b"A" * 10)
        w.epb(b, 5_000_000_007, b"B" * 11, wirelen=1500)
        w.epb(c, (3 << 20) + (1 << 19), b"C" * 12)
        w.epb(d, 2_000_000_000_123_456, b"D" * 13)
    got, problems = records(p)
    assert problems == []
    assert [(g[0], g[1], g[3]) for g in got] == [
        (10, 10, 1), (11, 1500, 101), (12, 12, 113), (13, 13, 228)
    ]  # fmt: skip
    assert [g[2] for g in got] == [
        1_700_000_000_000_001_000,
        105_000_000_007,
        3_500_000_000,
        2_000_000_000_123,
    ]
    assert [g[4] for g in got] == [b"A" * 10, b"B" * 11, b"C" * 12, b"D" * 13]


def test_pcapng_spb_opb_unknown_and_skippable_blocks(tmp_path: Path) -> None:
    p = tmp_path / "s.pcapng"
    with PcapngWriter(p) as w:
        w.interface(linktype=1, snaplen=8)
        w.block(0x00000BAD, b"custom\0\0")  # custom block: skipped
        w.spb(b"0123456789")  # snaplen 8 cuts it
        w.block(0x12345678, b"\1" * 20)  # unknown block type: skipped by its length
        w.opb(0, 1_000_000, b"opb!!")
        w.block(5, b"\0" * 12)  # interface statistics: skipped
        w.spb(b"abc")
    got, problems = records(p)
    assert problems == []
    assert [(g[0], g[1], g[4]) for g in got] == [
        (8, 10, b"01234567"), (5, 5, b"opb!!"), (3, 3, b"abc")
    ]  # fmt: skip
    assert got[1][2] == 1_000_000_000 and got[0][2] == 0


def test_pcapng_sections_in_both_byte_orders(tmp_path: Path) -> None:
    p = tmp_path / "two.pcapng"
    with PcapngWriter(p, big_endian=True) as w:
        w.interface(linktype=1)
        w.interface(linktype=105)
        w.epb(1, 7, b"first")
        w.section(big_endian=False)  # interface ids restart at 0
        w.interface(linktype=113, tsresol=9)
        w.epb(0, 8, b"second")
        w.section(big_endian=True)
        w.interface(linktype=101, tsresol=3)
        w.epb(0, 9, b"third")
    got, problems = records(p)
    assert problems == []
    assert [(g[3], g[2], g[4]) for g in got] == [
        (105, 7000, b"first"), (113, 8, b"second"), (101, 9_000_000, b"third")
    ]  # fmt: skip
    with open_capture(p) as src:
        assert src.format == "pcapng"


def test_pcapng_interface_id_resets_per_section(tmp_path: Path) -> None:
    p = tmp_path / "r.pcapng"
    with PcapngWriter(p) as w:
        w.interface()
        w.interface()
        w.epb(1, 1, b"ok")
        w.section()
        w.interface()
        w.epb(1, 1, b"bad")  # only interface 0 exists in this section
    got, problems = records(p)
    assert len(got) == 1
    assert [pr.kind for pr in problems] == ["bad_interface"]
    assert problems[0].packets_before == 1


def test_pcapng_large_block_grows_window(tmp_path: Path) -> None:
    p = tmp_path / "g.pcapng"
    with PcapngWriter(p) as w:
        w.interface()
        for i in range(20):
            w.epb(0, i, bytes([i]) * (i * 300))
    got, problems = records(p, batch_bytes=100)
    assert problems == []
    assert [g[4] for g in got] == [bytes([i]) * (i * 300) for i in range(20)]


# ---- compression, stdin, directories -------------------------------------------------------

COMPRESSORS = {
    "gzip": gzip.compress,
    "bzip2": lambda b: bz2.compress(b, 1),  # 100 kB blocks: a cut keeps whole blocks
    "xz": lzma.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}


def pcapng_bytes(n: int = 25) -> bytes:
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    w.interface(linktype=1, tsresol=9)
    for i, f in enumerate(frames(n)):
        w.epb(0, T0 + i, f)
    w.close()
    return buf.getvalue()


def pcap_bytes(n: int = 25) -> bytes:
    buf = io.BytesIO()
    with PcapWriter(buf) as w:
        for i, f in enumerate(frames(n)):
            w.write(T0 + i * 1000, f)
    return buf.getvalue()


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
@pytest.mark.parametrize("inner", ["pcap", "pcapng"])
def test_compressed(tmp_path: Path, kind: str, inner: str) -> None:
    raw = pcap_bytes() if inner == "pcap" else pcapng_bytes()
    p = tmp_path / "capture.bin"  # the extension says nothing: magic decides
    p.write_bytes(COMPRESSORS[kind](raw))
    got, problems = records(p, batch_bytes=256)
    assert problems == []
    assert [g[4] for g in got] == frames(25)
    with open_capture(p) as src:
        assert src.compression == kind and src.format == inner
        batches = list(src)
    assert batches[-1].bytes_done == p.stat().st_size


STREAM_DECOMPRESSORS = {
    "gzip": lambda b: zlib.decompressobj(wbits=31).decompress(b),
    "bzip2": lambda b: bz2.BZ2Decompressor().decompress(b),
    "xz": lambda b: lzma.LZMADecompressor().decompress(b),
    "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
}
"""Everything each format lets a decoder take from the start of a stream cut short."""


@pytest.mark.parametrize("batch_bytes", [4096, limits.BATCH_BYTES])
@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_decompression_error_mid_stream(tmp_path: Path, kind: str, batch_bytes: int) -> None:
    rng = np.random.default_rng(7)
    fr = [rng.integers(0, 256, 100, dtype=np.uint8).tobytes() for _ in range(4000)]
    buf = io.BytesIO()
    with PcapWriter(buf) as w:  # ~460 kB of random data: several bzip2 / deflate / zstd blocks
        for f in fr:
            w.write(T0, f)
    comp = COMPRESSORS[kind](buf.getvalue())
    cut = comp[: len(comp) * 2 // 3]
    p = tmp_path / "cut.gz"
    p.write_bytes(cut)
    got, problems = records(p, batch_bytes=batch_bytes)
    assert len(problems) == 1, problems
    assert problems[0].kind == "decompress_error"
    # every whole record the cut stream still holds is read, also when the window (the
    # default: 2 MiB) is larger than all of it (a read filling the window used to drop what
    # it had decoded when the stream failed under it: no packet at all here)
    whole = (len(STREAM_DECOMPRESSORS[kind](cut)) - 24) // (16 + 100)
    assert 0 < whole < 4000
    assert [g[4] for g in got] == fr[:whole]


def test_gzip_crc_error(tmp_path: Path) -> None:
    comp = bytearray(gzip.compress(pcap_bytes(300)))
    comp[-8] ^= 0xFF  # CRC32 of the member trailer (RFC 1952 section 2.3.1)
    p = tmp_path / "bad.pcap.gz"
    p.write_bytes(bytes(comp))
    got, problems = records(p, batch_bytes=128)
    assert [pr.kind for pr in problems] == ["decompress_error"]
    assert "CRC" in problems[0].detail
    assert [g[4] for g in got] == frames(300)[: len(got)]


def test_corrupt_gzip_body_one_problem(tmp_path: Path) -> None:
    comp = bytearray(gzip.compress(pcap_bytes(300)))
    for i in range(len(comp) // 2, len(comp) // 2 + 40):
        comp[i] ^= 0x5A
    p = tmp_path / "bad.pcap.gz"
    p.write_bytes(bytes(comp))
    got, problems = records(p, batch_bytes=128)
    assert len(problems) == 1  # decompress_error, or garbage seen as a bad record first
    assert len(got) < 300


def test_stdin_subprocess(tmp_path: Path) -> None:
    code = (
        "from wirelens.capture import open_capture\n"
        "with open_capture('-') as s:\n"
        "    n = sum(len(b) for b in s)\n"
        "    print(n, s.size, s.name, len(s.problems))\n"
    )
    for data in (pcap_bytes(), gzip.compress(pcapng_bytes())):
        out = subprocess.run(
            [sys.executable, "-c", code], input=data, capture_output=True, check=True
        )
        assert out.stdout.split() == [b"25", b"None", b"-", b"0"]


def test_stdin_monkeypatched(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BufferedReader(io.BytesIO(pcap_bytes(9))))
    monkeypatch.setattr(sys, "stdin", fake)
    got, problems = records("-")
    assert problems == [] and [g[4] for g in got] == frames(9)


def test_rotated_files_are_read_in_the_order_written(tmp_path: Path) -> None:
    """tcpdump -C names its files cap, cap1, cap2, ... cap10: digits compare as numbers."""
    names = ["cap", "cap1", "cap2", "cap9", "cap10", "cap11", "cap100"]
    for name in reversed(names):
        (tmp_path / name).write_bytes(pcap_bytes(1))
    assert expand_inputs([tmp_path]) == [str(tmp_path / n) for n in names]
    assert sorted(["b-7.pcap", "a-10.pcap", "a-9.pcap", "a-09x.pcap"], key=natural_key) == [
        "a-9.pcap", "a-09x.pcap", "a-10.pcap", "b-7.pcap"]
    assert sorted(["a1", "a01"], key=natural_key) == sorted(["a01", "a1"], key=natural_key) == [
        "a01", "a1"]


def test_expand_inputs(tmp_path: Path) -> None:
    d = tmp_path / "dir"
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "b.pcap").write_bytes(pcap_bytes(2))
    (d / "sub" / "a.dat").write_bytes(pcapng_bytes())
    (d / "sub" / "deeper" / "z.gz").write_bytes(gzip.compress(pcap_bytes(1)))
    (d / "readme.txt").write_text("not a capture")
    (d / "sub" / "notes.gz").write_bytes(gzip.compress(b"hello world"))
    (d / "empty.pcap").write_bytes(b"")
    skipped: list[str] = []
    got = expand_inputs([d, "-", tmp_path / "missing.pcap"], skipped=skipped)
    assert got == [
        str(d / "b.pcap"),
        str(d / "sub" / "a.dat"),
        str(d / "sub" / "deeper" / "z.gz"),
        "-",
        str(tmp_path / "missing.pcap"),
    ]
    assert sorted(got.skipped) == sorted(
        [str(d / "readme.txt"), str(d / "sub" / "notes.gz"), str(d / "empty.pcap")]
    )
    assert skipped == got.skipped


def test_the_same_file_is_read_once(tmp_path: Path) -> None:
    """A file reached again -- by a symbolic link (``latest.pcap`` beside the capture it
    points to), a hard link, or named twice -- is left out and noted, the first path kept; a
    link to a folder is not walked (no loop); ``-`` and missing files are kept as given."""
    d = tmp_path / "dir"
    d.mkdir()
    (d / "cap-1.pcap").write_bytes(pcap_bytes(2))
    (d / "latest.pcap").symlink_to(d / "cap-1.pcap")
    (d / "hard.pcap").hardlink_to(d / "cap-1.pcap")
    (d / "loop").symlink_to(d)
    other = tmp_path / "other.pcap"
    other.write_bytes(pcap_bytes(1))
    got = expand_inputs([d, other, d / "cap-1.pcap", other, "-", "-", tmp_path / "gone"])
    assert got == [str(d / "cap-1.pcap"), str(other), "-", "-", str(tmp_path / "gone")]
    first = str(d / "cap-1.pcap")
    assert got.repeated == [(str(d / "hard.pcap"), first), (str(d / "latest.pcap"), first),
                            (first, first), (str(other), str(other))]


# ---- not a capture / damage ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, this is text\n", b"\xd4\xc3", gzip.compress(b"just text inside gzip", mtime=0),
     b"\x1f\x8b\x08\x00garbage-gzip", b"\x0a\x0d\x0d\x0a\x1c\0\0\0\x01\x02\x03\x04" + b"\0" * 16],
)  # fmt: skip
def test_not_a_capture_raises_capture_error(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "x.pcap"
    p.write_bytes(content)
    with pytest.raises(CaptureError) as ei:
        open_capture(p)
    assert str(p) in str(ei.value)


def test_missing_file_raises_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot open"):
        open_capture(tmp_path / "nope.pcap")


def test_truncated_record_message(tmp_path: Path) -> None:
    raw = pcap_bytes(7)
    cut = len(raw) - 5
    p = tmp_path / "capture.pcap"
    p.write_bytes(raw[:cut])
    got, problems = records(p)
    assert len(got) == 6 and len(problems) == 1
    pr = problems[0]
    assert pr.kind == "truncated_record" and pr.packets_before == 6
    start = 24 + sum(16 + len(f) for f in frames(6))
    assert pr.byte_offset == start
    assert str(pr).startswith(f"{p}: truncated record at byte {start} after 6 packets")


def test_absurd_record_length(tmp_path: Path) -> None:
    raw = bytearray(pcap_bytes(5))
    start = 24 + sum(16 + len(f) for f in frames(3))
    struct.pack_into("<I", raw, start + 8, 1_409_179_648)
    p = tmp_path / "fuzz.pcap"
    p.write_bytes(bytes(raw))
    got, problems = records(p)
    assert len(got) == 3
    assert [(pr.kind, pr.byte_offset) for pr in problems] == [("bad_record_length", start)]
    assert "1409179648" in problems[0].detail


def test_record_over_limit_but_present_is_corrupt(tmp_path: Path) -> None:
    p = tmp_path / "big.pcap"
    with PcapWriter(p, snaplen=10**7) as w:
        w.write(0, b"a")
        w.write(0, b"b" * (limits.MAX_RECORD_BYTES + 1))
    got, problems = records(p)
    assert len(got) == 1 and [pr.kind for pr in problems] == ["bad_record_length"]


def pcapng_blocks() -> tuple[bytes, list[int]]:
    """A pcapng image and the start offset of each of its blocks."""
    data = pcapng_bytes()
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        pos += struct.unpack_from("<I", data, pos + 4)[0]
    return data, starts


@pytest.mark.parametrize(
    ("value", "where"), [(30, "lead"), (8, "lead"), (2**31, "lead"), (36, "trail")]
)
def test_pcapng_bad_block_length(tmp_path: Path, value: int, where: str) -> None:
    data, starts = pcapng_blocks()
    bad = bytearray(data)
    blk = starts[5]  # SHB, IDB, then EPBs: the 4th packet block
    blen = struct.unpack_from("<I", bad, blk + 4)[0]
    struct.pack_into("<I", bad, blk + 4 if where == "lead" else blk + blen - 4, value)
    p = tmp_path / "b.pcapng"
    p.write_bytes(bytes(bad))
    got, problems = records(p)
    assert len(got) == 3
    assert [(pr.kind, pr.byte_offset, pr.packets_before) for pr in problems] == [
        ("bad_block_length", blk, 3)
    ]


def test_pcapng_bad_magic_after_blocks(tmp_path: Path) -> None:
    data = pcapng_bytes()
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    w.interface()
    w.epb(0, 1, b"x")
    w.close()
    second = bytearray(buf.getvalue())
    second[8:12] = b"\xde\xad\xbe\xef"
    p = tmp_path / "m.pcapng"
    p.write_bytes(data + bytes(second))
    got, problems = records(p)
    assert len(got) == 25
    assert [(pr.kind, pr.byte_offset) for pr in problems] == [("bad_magic", len(data))]


def test_pcapng_epb_caplen_beyond_block(tmp_path: Path) -> None:
    data, starts = pcapng_blocks()
    bad = bytearray(data)
    struct.pack_into("<I", bad, starts[3] + 20, 5000)
    p = tmp_path / "c.pcapng"
    p.write_bytes(bytes(bad))
    got, problems = records(p)
    assert len(got) == 1 and [pr.kind for pr in problems] == ["bad_record_length"]


@pytest.mark.parametrize("which", ["pcap", "pcapng", "pcap-gz"])
def test_every_truncation_gives_packets_then_one_problem(tmp_path: Path, which: str) -> None:
    """Cutting a small capture at every byte: never an exception past open, never a hang;
    the packets before the cut are delivered; exactly one problem unless the cut falls on a
    record boundary."""
    full = pcap_bytes(6) if which != "pcapng" else pcapng_bytes(6)
    want = frames(25)
    p = tmp_path / "t"
    for cut in range(len(full) + 1):
        part = full[:cut]
        p.write_bytes(gzip.compress(part) if which == "pcap-gz" else part)
        if cut < 4:
            with pytest.raises(CaptureError):
                open_capture(p)
            continue
        got, problems = records(p, batch_bytes=64)
        assert [g[4] for g in got] == want[: len(got)]
        assert len(problems) <= 1
        if problems:
            assert problems[0].packets_before == len(got)
            assert problems[0].kind in ("truncated_record", "truncated_header")
    got, problems = records(p)
    assert problems == []


def test_many_records_span_full_batches(tmp_path: Path) -> None:
    """More records than fit one batch's columns (tiny records, small window)."""
    p = tmp_path / "many.pcap"
    with PcapWriter(p) as w:
        for i in range(3000):
            w.write(i * 1000, b"")
    n = 0
    with open_capture(p, batch_bytes=1024) as src:
        for b in src:
            assert len(b) <= 1024 // 16 + 1
            assert b.ts_ns.tolist() == [(b.first_index + i) * 1000 for i in range(len(b))]
            n += len(b)
    assert n == 3000


# ---- property tests ------------------------------------------------------------------------


@settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(tail=st.binary(max_size=600), ns=st.booleans(), be=st.booleans())
def test_random_bytes_after_pcap_header(tail: bytes, ns: bool, be: bool) -> None:
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    hdr = struct.pack((">" if be else "<") + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    _check_random(hdr + tail)


@settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(tail=st.binary(max_size=600), prefix=st.sampled_from(["shb", "shb+idb"]))
def test_random_bytes_after_pcapng_shb(tail: bytes, prefix: str) -> None:
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    if prefix == "shb+idb":
        w.interface(linktype=1, tsresol=9)
    w.close()
    _check_random(buf.getvalue() + tail)


@settings(max_examples=100, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_structured_random_pcapng_blocks(data: st.DataObject) -> None:
    """Blocks with valid lengths but random types and bodies: skip, read, or report."""
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    for _ in range(data.draw(st.integers(0, 8))):
        btype = data.draw(st.sampled_from([1, 2, 3, 5, 6, 0xBAD, 0x0A0D0D0A, 77]))
        body = data.draw(st.binary(max_size=64))
        w.block(btype, body)
    _check_random(buf.getvalue())


def _check_random(image: bytes) -> None:
    import tempfile

    from tests.naive.capture import read as naive_read

    with tempfile.NamedTemporaryFile(suffix=".cap") as f:
        f.write(image)
        f.flush()
        try:
            src = open_capture(f.name, batch_bytes=128)
        except CaptureError:
            return
        with src:
            n = sum(len(b) for b in src)
            assert src.packets == n
            assert len(src.problems) <= 1
        recs, stop = naive_read(image)
        assert n == len(recs)
        assert (stop is None) == (not src.problems)


def test_memory_flat_window_is_reused(tmp_path: Path) -> None:
    """A 2 MB file read through a 4 kB window: the same buffer object every batch, never
    grown (no record is bigger than the window), so memory does not follow file size."""
    p = tmp_path / "big.pcap"
    with PcapWriter(p) as w:
        for i in range(20_000):
            w.write(i, bytes(90))
    ids = set()
    n = 0
    with open_capture(p, batch_bytes=4096, use_mmap=False) as src:  # the buffered path
        for b in src:
            ids.add(id(b.data))
            assert b.data.shape[0] == 4096
            n += len(b)
    assert n == 20_000 and len(ids) == 1


def test_pcapng_timestamp_saturates_and_negative_offset(tmp_path: Path) -> None:
    p = tmp_path / "t.pcapng"
    with PcapngWriter(p) as w:
        a = w.interface(tsresol=6)
        b = w.interface(tsresol=9, tsoffset=-100)
        c = w.interface(tsresol=0x80 | 40)  # 2**-40 s ticks: finer than a nanosecond
        w.epb(a, 0x41B35E8812EBF2C8, b"x")  # a broken writer's value: ~4.7e18 us
        w.epb(b, 5_000_000_007, b"y")
        w.epb(c, (7 << 40) + (1 << 39), b"z")
    got, problems = records(p)
    assert problems == []
    assert [g[2] for g in got] == [2**63 - 1, -94_999_999_993, 7_500_000_000]


def test_stdin_delivers_before_eof() -> None:
    """Records written to a pipe reach the reader while the writer keeps the pipe open (a
    live ``tcpdump -w - | wirelens`` must not wait for a whole window)."""
    code = (
        "import sys\n"
        "from wirelens.capture import open_capture\n"
        "with open_capture('-') as s:\n"
        "    for b in s:\n"
        "        print(len(b), flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(pcap_bytes(5))
        proc.stdin.flush()
        first = proc.stdout.readline()  # blocks only if the reader waits for EOF (a bug)
        assert int(first) == 5
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
