"""Long fuzz run of every dissector (the unit tests run a short one).

Usage::

    .venv/bin/python bench/fuzz_dissectors.py --seconds 600 [--seed 1] [--max-ms 50]

Inputs are mutations of valid conversations (built by the test builders, and the first
payloads of every flow of ../shared/data/nDPI/tests/cfgs/default that a registered dissector
claims: every dissector gets real seeds) and random bytes, fed whole or in random splits
(down to a byte per call), then ``finish()`` (also after a failed feed, as the DPI stage calls
it to write what was read before the damage). Invariant: each call yields events or a
ParseError (and ``name_final()`` after each feed that returned, True or False), the whole
input within
``--max-ms`` plus ``PER_CALL_MS`` per call made (an input fed a byte at a time makes as many
calls as it has bytes: the bound stays linear in them, so quadratic work still shows). DNS
datagrams are also read by the DPI stage's compiled reader, which must agree with the Python
one (``test_dissect_dns_compiled.check``).
Violations are printed (hex input and traceback); the exit status is 1 if there was any.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # (the helpers import tests.*)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "dissect"))

from test_dissect_dns_compiled import check as dns_compiled_agree
from wl_dissect_builders import (
    HTTP_REQUESTS,
    HTTP_RESPONSES,
    client_hello,
    dns_query,
    dns_rich_response,
    records,
    tcp_frame,
    tls_conversation,
)
from wl_mini_pcap import flows

from wirelens.dissect import DISSECTORS, identify
from wirelens.dissect.base import Dissector
from wirelens.dissect.dns import DnsDissector
from wirelens.dissect.http import HttpDissector
from wirelens.dissect.tls import TlsDissector
from wirelens.wire import ParseError

Chunks = list[tuple[bool, bytes]]

SEEDS: list[tuple[type[Dissector], int, Chunks]] = [
    (DnsDissector, 17, [(True, dns_query(1, "www.example.com")), (False, dns_rich_response(1))]),
    (DnsDissector, 6, [(True, tcp_frame(dns_query(1, "a.b"))), (False, tcp_frame(dns_rich_response(1)))]),
    (HttpDissector, 6, [(True, HTTP_REQUESTS), (False, HTTP_RESPONSES)]),
    (TlsDissector, 6, tls_conversation(True)),
    (TlsDissector, 6, tls_conversation(False)),
    (TlsDissector, 6, [(True, records(22, client_hello(padding=300), 40))]),
]


REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "nDPI" / "tests" / "cfgs" / "default" / "pcap"


def real_seeds(folder: Path = REAL, per_dissector: int = 40) -> list[tuple[type[Dissector], int, Chunks]]:
    """The first payloads (up to 8 per flow) of flows a registered dissector claims."""
    out: list[tuple[type[Dissector], int, Chunks]] = []
    taken: dict[str, int] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        for fl in flows(path):
            if not fl.chunks:
                continue
            first_orig, first, _ = fl.chunks[0]
            cls = identify(first, fl.proto, first_orig, fl.orig[1], fl.resp[1])
            if cls is None or taken.get(cls.name, 0) >= per_dissector:
                continue
            taken[cls.name] = taken.get(cls.name, 0) + 1
            out.append((cls, fl.proto, [(o, d) for o, d, _ in fl.chunks[:8]]))
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not buf:
            break
        pos = rng.randrange(len(buf))
        kind = rng.random()
        if kind < 0.5:
            buf[pos] = rng.randrange(256)
        elif kind < 0.65:
            buf[pos] = rng.choice((0, 0xFF, 0x7F, 0x80, 0xC0, 0x3F))
        elif kind < 0.8:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 16))
        elif kind < 0.95:
            del buf[pos : pos + rng.randint(1, 16)]
        else:
            del buf[pos:]
    return bytes(buf)


def one_input(rng: random.Random) -> tuple[type[Dissector], int, Chunks]:
    if rng.random() < 0.8:
        cls, proto, chunks = rng.choice(SEEDS)
        chunks = [(o, mutate(rng, d) if rng.random() < 0.6 else d) for o, d in chunks]
        return cls, proto, chunks
    cls = rng.choice(DISSECTORS)
    proto = rng.choice(sorted(cls.transports))
    return cls, proto, [(rng.random() < 0.5, rng.randbytes(rng.randint(0, 600)))]


PER_CALL_MS = 0.02
"""Time allowed per ``feed`` call on top of ``--max-ms`` (a call costs about 1 µs)."""


def pieces(proto: int, data: bytes, step: int) -> list[bytes]:
    """How one chunk is fed: whole (UDP, or step 0), else in pieces of ``step`` bytes."""
    if proto == 17 or step <= 0:
        return [data]
    return [data[i : i + step] for i in range(0, len(data), step)]


def run(cls: type[Dissector], proto: int, chunks: Chunks, step: int) -> None:
    if cls is DnsDissector and proto == 17:
        dns_compiled_agree([data for _, data in chunks])
    d = cls(proto)
    try:
        for from_orig, data in chunks:
            cls.matches(data, proto, from_orig)
            for piece in pieces(proto, data, step):
                d.feed(piece, from_orig, 0)
                assert d.name_final() in (True, False)
    except ParseError:
        pass
    with contextlib.suppress(ParseError):
        d.finish()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-ms", type=float, default=50.0)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    real = real_seeds()
    SEEDS.extend(real)
    print(f"{len(real)} real seeds for {len({c.name for c, _, _ in real})} dissectors")
    deadline = time.monotonic() + args.seconds
    runs = failures = slow = 0
    worst: dict[str, float] = {}
    while time.monotonic() < deadline:
        cls, proto, chunks = one_input(rng)
        step = rng.choice((0, 0, 1, 2, 5, 64))
        start = time.perf_counter()
        try:
            run(cls, proto, chunks, step)
        except Exception:  # noqa: BLE001 -- the invariant is broken: report it
            failures += 1
            print(f"FAIL {cls.name} proto={proto} step={step}")
            for from_orig, data in chunks:
                print(f"  {'orig' if from_orig else 'resp'} {data.hex()}")
            traceback.print_exc()
        ms = (time.perf_counter() - start) * 1000
        worst[cls.name] = max(worst.get(cls.name, 0.0), ms)
        calls = sum(len(pieces(proto, data, step)) for _, data in chunks)
        bound = args.max_ms + PER_CALL_MS * calls
        if ms > bound:  # timed again: a pause of the machine is not the input's doing
            again = time.perf_counter()
            with contextlib.suppress(Exception):
                run(cls, proto, chunks, step)
            ms2 = (time.perf_counter() - again) * 1000
            if ms2 > bound:
                slow += 1
                print(f"SLOW {cls.name} {ms:.1f} ms, again {ms2:.1f} ms, step={step}")
                for from_orig, data in chunks:
                    print(f"  {'orig' if from_orig else 'resp'} {data.hex()}")
            else:
                print(f"slow once {cls.name} {ms:.1f} ms, again {ms2:.1f} ms (the machine)")
        runs += 1
    print(f"seed={seed} runs={runs} failures={failures} slow={slow}")
    print("worst ms per dissector: " + ", ".join(f"{k}={v:.2f}" for k, v in sorted(worst.items())))
    return 1 if failures or slow else 0


if __name__ == "__main__":
    sys.exit(main())
