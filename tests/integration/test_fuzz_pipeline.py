"""Hostile input through the whole pipeline: real captures with bytes flipped, cut, inserted,
and their link type changed. Invariant: ``Analysis.run`` returns (damage becomes problems and
weirds), never raises, and finishes within a time bound; the Parquet lake it writes (damaged
timestamps move its watermark) holds every flow, and no temporary file is left; with the
default active timeout and short ones (long connections cut in pieces: their continuations,
their dissector state carried over). A longer run:
raise ``WIRELENS_FUZZ_EXAMPLES`` (e.g. 5000)."""

from __future__ import annotations

import itertools
import os
import shutil
import time

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wirelens.pipeline.runner import Analysis, AnalyzeOptions
from wirelens.pipeline.sinks import LakeSink
from wirelens.pipeline.warm import warm

SEEDS = [
    "nDPI/tests/cfgs/default/pcap/dns.pcap",
    "nDPI/tests/cfgs/default/pcap/http-manipulated.pcap",
    "nDPI/tests/cfgs/default/pcap/tls-appdata.pcap",
    "nDPI/tests/cfgs/default/pcap/gre.pcapng",
    "nDPI/tests/cfgs/default/pcap/6in4tunnel.pcap",
    "zeek/testing/btest/Traces/erspanIII.pcap",
    "nfstream/tests/pcaps/badpackets.pcap",
    # the issue-3 dissectors and their hand-overs (STARTTLS, STUN -> DTLS)
    "nDPI/tests/cfgs/default/pcap/quic_frags_ch_in_multiple_packets.pcapng",
    "nDPI/tests/cfgs/default/pcap/smtp-starttls.pcap",
    "nDPI/tests/cfgs/default/pcap/stun.pcap",
    "nDPI/tests/cfgs/default/pcap/kerberos.pcap",
    "nDPI/tests/cfgs/default/pcap/smb_deletefile.pcap",
    "nDPI/tests/cfgs/default/pcap/ssh.pcap",
    "nDPI/tests/cfgs/default/pcap/selfsigned.pcap",
    # DCE/RPC over TCP (PsExec's svcctl calls) and over SMB named pipes (SMB1, SMB2)
    "suricata-verify/tests/dcerpc/dcerpc-dce-iface-01/20171220_smb_psexec_mimikatz_ticket_dump-s2.pcap",
    "zeek/testing/btest/Traces/smb/dssetup_DsRoleGetPrimaryDomainInformation_standalone_workstation.cap",
    "suricata-verify/tests/smb2-06/20171220_smb_net_user.pcap",
]
EXAMPLES = int(os.environ.get("WIRELENS_FUZZ_EXAMPLES", "60"))
SECONDS_PER_RUN = 10.0

edits = st.lists(
    st.tuples(st.sampled_from(["flip", "cut", "insert", "linktype"]),
              st.floats(0, 1), st.integers(0, 255)),
    min_size=1, max_size=8)


def mutate(data: bytes, ops: list[tuple[str, float, int]]) -> bytes:
    buf = bytearray(data)
    for op, where, value in ops:
        at = 24 + int(where * max(len(buf) - 25, 0))  # keep the magic: it must stay a capture
        if op == "flip" and at < len(buf):
            buf[at] ^= value or 1
        elif op == "cut":
            del buf[at:]
        elif op == "insert":
            buf[at:at] = bytes([value]) * (1 + value % 7)
        elif op == "linktype" and len(buf) >= 24 and buf[:4] in (b"\xd4\xc3\xb2\xa1",
                                                                  b"\x4d\x3c\xb2\xa1"):
            buf[20] = value  # LINKTYPE_* of a little-endian pcap header
    return bytes(buf)


@pytest.fixture(scope="module")
def seeds(shared_data):
    warm()
    found = [(shared_data / rel).read_bytes() for rel in SEEDS if (shared_data / rel).exists()]
    if not found:
        pytest.skip("seed captures not in ../shared/data")
    return found


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(which=st.integers(0, len(SEEDS) - 1), ops=edits,
       active=st.sampled_from([1800.0, 1.0, 0.01]))
def test_mutated_captures_never_crash(seeds, tmp_path, which, ops, active):
    data = mutate(seeds[which % len(seeds)], ops)
    path = tmp_path / "fuzz.pcap"
    path.write_bytes(data)
    lake = tmp_path / f"lake{next(_RUNS)}"
    sink = LakeSink(lake, "fuzz")
    t0 = time.perf_counter()
    try:
        summary = Analysis(AnalyzeOptions(batch_bytes=1 << 12, emit_bytes=1 << 14,
                                          active_timeout_s=active), [sink]).run([str(path)])
    finally:
        sink.close()
    assert time.perf_counter() - t0 < SECONDS_PER_RUN
    assert summary.packets >= 0 and summary.flows >= 0
    assert not list(lake.rglob("*.tmp"))
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in (lake / "conn").rglob("*.parquet"))
    assert rows == summary.flows
    shutil.rmtree(lake)


_RUNS = itertools.count()
