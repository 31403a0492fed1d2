"""A flows-only run and the dissectors: their well-known ports written out match the
registry, and the run imports none of them."""

from __future__ import annotations

import subprocess
import sys

from wirelens.dissect.registry import ports_of
from wirelens.pipeline import well_known_ports
from wirelens.pipeline.dpi import _port_services
from wirelens.pipeline.dpi_common import well_known_ports as codes


def test_the_ports_written_out_are_the_registry_s() -> None:
    """Fails when a dissector's ports change: run ``python -m
    wirelens.pipeline.well_known_ports`` to write them again."""
    assert well_known_ports.TCP == ports_of(6)
    assert well_known_ports.UDP == ports_of(17)
    for proto in (6, 17):
        assert ((codes(proto) != 0) == (_port_services(proto)[1] != 0)).all()
    assert well_known_ports.written() == open(well_known_ports.__file__).read()


def test_a_flows_only_run_imports_no_dissector(tmp_path) -> None:
    from tests.unit.decode.decode_frames import tcp_frame, write_pcap

    cap = tmp_path / "one.pcap"
    write_pcap(cap, [tcp_frame("10.0.0.1", "10.0.0.2", 40000, 80, 1, 0, 0x02)])
    code = (f"import sys, wirelens; r = wirelens.analyze({str(cap)!r}, dpi='off'); "
            "assert r.conn.num_rows == 1; "
            "print(sorted(m for m in sys.modules if m == 'wirelens.pipeline.dpi' "
            "or m.startswith(('wirelens.dissect', 'wirelens.identify'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
