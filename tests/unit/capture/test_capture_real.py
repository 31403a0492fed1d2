"""The capture reader on the real captures of ../shared/data (skipped when it is absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from tests.naive.capture import load as naive_load
from tests.naive.capture import read as naive_read

from wirelens.capture import count_packets, expand_inputs, open_capture
from wirelens.capture.inputs import natural_key
from wirelens.core.errors import CaptureError

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
MANIFEST = DATA / "MANIFEST.csv"

pytestmark = pytest.mark.skipif(
    not MANIFEST.is_file(), reason=f"real captures not available ({DATA} is absent)"
)


def manifest() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as f:
        return list(csv.DictReader(f))


ROWS = manifest()
CLEAN = [r for r in ROWS if r["parses_cleanly"] == "yes"]
DAMAGED = [r for r in ROWS if r["parses_cleanly"] != "yes"]


def test_manifest_is_what_we_expect() -> None:
    assert len(CLEAN) > 2000 and DAMAGED


def test_every_clean_capture_has_the_manifest_packet_count() -> None:
    """All 2,500+ clean captures in one test; every mismatch is listed together."""
    mismatches = []
    for row in CLEAN:
        try:
            n, problems = count_packets(DATA / row["path"])
        except CaptureError as exc:
            mismatches.append(f"{row['path']}: CaptureError {exc}")
            continue
        if n != int(row["packets"]) or problems:
            mismatches.append(
                f"{row['path']}: read {n}, manifest {row['packets']}, "
                f"problems {[str(p) for p in problems]}"
            )
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("row", DAMAGED, ids=[r["path"] for r in DAMAGED])
def test_damaged_capture_reads_without_exception(row: dict[str, str]) -> None:
    """Files capinfos rejects: only CaptureError may escape (from open), and each reports its
    damage or reads clean; what was read never exceeds what the file holds."""
    path = DATA / row["path"]
    try:
        src = open_capture(path, batch_bytes=4096)
    except CaptureError:
        return
    with src:
        n = sum(len(b) for b in src)
        assert n == src.packets
        assert len(src.problems) <= 1
        if src.problems:
            assert src.problems[0].packets_before == n
            assert src.problems[0].byte_offset <= path.stat().st_size * 64


def test_known_damage_is_reported() -> None:
    """The manifest's corrupt/truncated files: packets before the damage, one problem."""
    expect = {
        "suricata-verify/tests/bug-1450-04/tls_DER-incomplete-header.pcap": (6, 5035),
        "suricata-verify/tests/bug-6875-01/fuzz.pcap": (1, 228),
        "libpcap/tests/shb-option-too-long.pcapng": (0, 0),
    }
    for rel, (packets, offset) in expect.items():
        n, problems = count_packets(DATA / rel)
        assert n == packets, rel
        assert [(p.byte_offset, p.packets_before) for p in problems] == [(offset, packets)]
    n, problems = count_packets(DATA / "suricata-verify/tests/bug-6875-01/fuzz.pcap")
    assert problems[0].kind == "bad_record_length" and "1409179648" in problems[0].detail


def _sample() -> list[str]:
    """About 50 captures: every pcapng / nanosecond / gzip / big-endian-ish kind first, then
    an even spread of the rest (deterministic)."""
    special = [r["path"] for r in CLEAN if r["format"] != "pcap"]
    plain = [r["path"] for r in CLEAN if r["format"] == "pcap"]
    picked = special[:: max(1, len(special) // 25)][:25]
    picked += plain[:: max(1, len(plain) // 25)][:25]
    return picked


SAMPLE = _sample() if ROWS else []


@pytest.mark.parametrize("rel", SAMPLE, ids=SAMPLE)
def test_kernel_reader_matches_naive_reference(rel: str) -> None:
    path = DATA / rel
    image = naive_load(path)
    want, stop = naive_read(image)
    assert stop is None
    # one window holding the whole file: offsets are stream offsets
    cols: dict[str, list[int]] = {k: [] for k in ("offset", "caplen", "wirelen", "ts", "link")}
    with open_capture(path, batch_bytes=len(image) + 64) as src:
        for b in src:
            cols["offset"] += b.offset.tolist()
            cols["caplen"] += b.caplen.tolist()
            cols["wirelen"] += b.wirelen.tolist()
            cols["ts"] += b.ts_ns.tolist()
            cols["link"] += b.linktype.tolist()
        assert src.problems == []
    assert cols["offset"] == [r.offset for r in want]
    assert cols["caplen"] == [r.caplen for r in want]
    assert cols["wirelen"] == [r.wirelen for r in want]
    assert cols["ts"] == [r.ts_ns for r in want]
    assert cols["link"] == [r.linktype for r in want]
    # a small window (many refills, carried tails, buffer growth): same bytes per record
    got = []
    with open_capture(path, batch_bytes=512) as src:
        for b in src:
            got += [
                b.data[o : o + c].tobytes()
                for o, c in zip(b.offset.tolist(), b.caplen.tolist(), strict=True)
            ]
    assert got == [image[r.offset : r.offset + r.caplen] for r in want]


def test_expand_inputs_finds_every_manifest_capture() -> None:
    found = expand_inputs([DATA])
    rel = {str(Path(p).resolve().relative_to(DATA.resolve())) for p in found}
    missing = [r["path"] for r in ROWS if r["path"] not in rel]
    assert not missing, missing[:20]
    assert found == sorted(found, key=natural_key)
    assert any(s.endswith("MANIFEST.csv") for s in found.skipped)
    assert not {str(Path(p).resolve()) for p in found} & {
        str(Path(s).resolve()) for s in found.skipped
    }


def test_real_per_packet_linktype_pcapng() -> None:
    """The manifest's per-packet link type pcapng: every record's link type is one of the
    file's interfaces' (EN10MB, LINUX_SLL, NORDIC_BLE) and matches the naive reader."""
    multi = [r for r in CLEAN if r["linktype"].startswith("per-packet")]
    if not multi:
        pytest.skip("no per-packet link type pcapng in this manifest")
    for r in multi:
        with open_capture(DATA / r["path"]) as src:
            links = np.concatenate([b.linktype for b in src])
        assert set(links.tolist()) <= {1, 113, 274}, r["path"]
        want, _ = naive_read(naive_load(DATA / r["path"]))
        assert links.tolist() == [w.linktype for w in want]
