"""A run raises the cyclic collector's thresholds while it runs and restores them after."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.unit.decode.decode_frames import udp_frame, write_pcap

import wirelens
from wirelens.core.limits import GC_THRESHOLD


def test_collector_thresholds_during_and_after_a_run(tmp_path: Path) -> None:
    cap = tmp_path / "u.pcap"
    write_pcap(cap, [udp_frame("10.0.0.1", "10.0.0.2", 1000, 2000, b"x")])
    seen: list[tuple[int, int, int]] = []
    before = gc.get_threshold()
    wirelens.analyze(cap, progress=lambda *_: seen.append(gc.get_threshold()))
    assert seen and all(t == GC_THRESHOLD for t in seen)
    assert gc.get_threshold() == before
