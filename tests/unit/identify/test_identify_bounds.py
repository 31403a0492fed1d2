"""The kernel run as plain Python (``NUMBA_DISABLE_JIT=1``) over every truncation and many
mutations of hand-built messages, with a payload buffer that fails on any read outside the
payload window: the compiled kernel (bounds checking off) must never need such a read."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import random
    import sys
    import numpy as np
    sys.path.insert(0, {here!r})
    from wl_identify_msgs import HTTP_REQUEST, HTTP_RESPONSE, client_hello, dns_query, \\
        dns_response, record, server_hello
    from wirelens.identify._kernel import NAME_RESERVE, _classify
    from wirelens.identify._tls import SCRATCH_BYTES

    class Strict(np.ndarray):
        lo = hi = 0
        def __getitem__(self, i):
            if not (Strict.lo <= int(i) < Strict.hi):
                raise AssertionError(f"read at {{int(i)}} outside [{{Strict.lo}}, {{Strict.hi}})")
            return np.ndarray.__getitem__(self, i)

    hello = client_hello(b"bounds.example")
    messages = [
        (record(22, hello), 6), (record(22, hello[:40]) + record(22, hello[40:]), 6),
        (record(22, server_hello()), 6), (HTTP_REQUEST, 6), (HTTP_RESPONSE, 6),
        (dns_query(), 17), (dns_response(), 17),
        (len(dns_response()).to_bytes(2, "big") + dns_response(), 6),
    ]
    rng = random.Random(7)
    cases = []
    for msg, proto in messages:
        cases += [(msg[:cut], proto) for cut in range(len(msg) + 1)]
        for _ in range(60):
            b = bytearray(msg)
            b[rng.randrange(len(b))] = rng.randrange(256)
            cases.append((bytes(b[: rng.randrange(len(b) + 1)]), proto))
    names = np.zeros(1 << 16, np.uint8)
    scratch = np.zeros(SCRATCH_BYTES, np.uint8)
    ref = np.zeros(2, np.int64)
    seen = 0
    for payload, proto in cases:
        raw = np.frombuffer(b"\\x16\\x03" * 8 + payload + b"\\x00\\x0a" * 8, np.uint8).copy()
        data = raw.view(Strict)
        Strict.lo, Strict.hi = 16, 16 + len(payload)
        one = np.zeros(1, np.int64)
        out = [np.zeros(1, np.uint8), np.zeros(1, np.uint8), np.full(1, -1, np.int32),
               np.zeros(1, np.int32)]
        k, o = _classify(data, np.array([16]), np.array([len(payload)], np.uint32),
                         np.array([proto], np.uint8), np.array([9999], np.uint16),
                         np.array([53], np.uint16), True, one, 0, *out, names, 0, scratch, ref)
        assert k == 1 and 0 <= o < names.shape[0] - NAME_RESERVE
        seen += out[0][0] != 0
    print("cases", len(cases), "identified", seen)
    """
)


def test_no_read_outside_the_payload_in_pure_python() -> None:
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(REPO / "src"))
    here = str(Path(__file__).resolve().parent)
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(here=here)], check=False,
                          env=env,
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cases, identified = (int(x) for x in proc.stdout.split()[1::2])
    assert cases > 1000 and identified > cases // 3
