"""Every capture in ../shared/data goes through the whole pipeline (decode, flows, DPI):
no exception escapes, nothing hangs, damage is reported, and the packets read match the
manifest for the captures that parse cleanly."""

from __future__ import annotations

import time

import pytest
from tests.conftest import manifest_rows

from wirelens.pipeline.runner import Analysis, AnalyzeOptions
from wirelens.pipeline.warm import warm

PER_FILE_SECONDS = 30.0


@pytest.mark.parametrize("dpi", ["full", "fast"])
def test_every_capture_analyses_cleanly(shared_data, dpi):
    rows = manifest_rows()
    failures: list[str] = []
    slow: list[str] = []
    counted = 0
    opts = AnalyzeOptions(batch_bytes=1 << 20, dpi=dpi)
    warm()  # compile time is not the per-file bound's business
    for row in rows:
        path = shared_data / row["path"]
        if not path.exists():
            continue
        t0 = time.perf_counter()
        try:
            summary = Analysis(opts).run([str(path)])
        except Exception as exc:  # the invariant under test: nothing escapes
            failures.append(f"{row['path']}: {type(exc).__name__}: {exc}")
            continue
        took = time.perf_counter() - t0
        if took > PER_FILE_SECONDS:
            slow.append(f"{row['path']}: {took:.1f} s")
        if row["parses_cleanly"] == "yes" or row["failure_kind"] == "bad-header-version":
            # other header versions are tolerated: read like the rest
            counted += 1
            if summary.packets != int(row["packets"]):
                failures.append(f"{row['path']}: {summary.packets} packets, manifest says "
                                f"{row['packets']}")
        elif summary.packets and not summary.problems and row["failure_kind"] in (
                "truncated", "corrupt"):
            failures.append(f"{row['path']}: damaged per manifest ({row['failure_kind']}) but "
                            "no problem reported")
    assert counted > 2000
    assert not failures, "\n".join(failures[:50])
    assert not slow, "\n".join(slow)


if __name__ == "__main__":
    pytest.main([__file__, "-q"])
