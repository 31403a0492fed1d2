"""The conn table's Community ID (``pipeline.community_id``) against a plain reference of the
spec (github.com/corelight/community-id-spec: ``hashlib``, ``ipaddress`` and ``struct``, one
flow at a time), Wireshark's own (tshark's ``communityid`` protocol) on real captures, and
the values suricata-verify's tests expect; its compiled SHA-1 against ``hashlib``."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import wirelens
from wirelens.cli import main
from wirelens.pipeline._community_kernel import MAX_ROW, sha1_rows
from wirelens.pipeline.community_id import ICMP6_COUNTERPARTS, ICMP_COUNTERPARTS, community_ids
from wirelens.service.lake_query import query


def test_compiled_sha1_equals_hashlib() -> None:
    rng = np.random.default_rng(7)
    for size in range(MAX_ROW + 1):
        rows = rng.integers(0, 256, (9, size), dtype=np.uint8)
        assert [d.tobytes() for d in sha1_rows(rows)] == [
            hashlib.sha1(r.tobytes()).digest() for r in rows], size
    with pytest.raises(ValueError, match="rows of at most 55 bytes"):
        sha1_rows(np.zeros((1, MAX_ROW + 1), np.uint8))


def reference(orig: str, orig_p: int, resp: str, resp_p: int, proto: int, icmp_type: int = 0,
              icmp_code: int = 0, seed: int = 0) -> str:
    """The spec's pseudo code, one flow."""
    a, b = ipaddress.ip_address(orig).packed, ipaddress.ip_address(resp).packed
    one_way = False
    if proto in (1, 58):
        pairs = ICMP_COUNTERPARTS if proto == 1 else ICMP6_COUNTERPARTS
        orig_p = icmp_type
        resp_p = pairs.get(icmp_type, icmp_code)
        one_way = icmp_type not in pairs
    if not one_way and (a, orig_p) > (b, resp_p):
        a, b, orig_p, resp_p = b, a, resp_p, orig_p
    data = struct.pack(">H", seed) + a + b + bytes((proto, 0))
    if proto in (1, 6, 17, 58, 132):
        data += struct.pack(">HH", orig_p, resp_p)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


FLOWS = [  # orig, orig_p, resp, resp_p, proto, icmp type, code
    ("10.0.0.1", 1234, "127.0.0.1", 80, 6, 0, 0),  # the spec's example, both ways
    ("127.0.0.1", 80, "10.0.0.1", 1234, 6, 0, 0),
    ("192.168.0.254", 56162, "192.168.0.254", 3306, 6, 0, 0),  # one address: ports decide
    ("192.168.0.254", 3306, "192.168.0.254", 56162, 6, 0, 0),
    ("2001:db8::2", 53, "2001:db8::1", 40000, 17, 0, 0),
    ("2001:db8::1", 40000, "2001:db8::1:1", 2905, 132, 0, 0),  # SCTP
    ("10.0.0.9", 0, "10.0.0.1", 0, 1, 8, 0),  # echo request from the larger address: swapped
    ("10.0.0.1", 0, "10.0.0.9", 0, 1, 0, 0),  # its reply: the same ID
    ("10.0.0.9", 0, "10.0.0.1", 0, 1, 3, 3),  # port unreachable: one way, never swapped
    ("fe80::9", 0, "fe80::1", 0, 58, 135, 0),  # neighbour solicitation / advertisement
    ("fe80::63d:6a4a:6fb9", 0, "ff02::16", 0, 58, 143, 0),  # MLDv2 report: one way
    ("10.9.9.9", 0, "10.0.0.1", 0, 47, 0, 0),  # GRE: addresses only
    ("2001:db8::9", 0, "2001:db8::1", 0, 50, 0, 0),  # ESP
]


def _columns(flows: list[tuple[str, int, str, int, int, int, int]]) -> dict[str, np.ndarray]:
    def halves(text: str) -> tuple[int, int]:
        addr = ipaddress.ip_address(text)
        value = int(addr) | (0xFFFF << 32 if addr.version == 4 else 0)  # (IPv4-mapped)
        return value >> 64, value & (2**64 - 1)

    cols: dict[str, list[int]] = {k: [] for k in (
        "ip_ver", "proto", "orig_hi", "orig_lo", "orig_p", "resp_hi", "resp_lo", "resp_p",
        "icmp_type", "icmp_code")}
    for orig, op, resp, rp, proto, mtype, code in flows:
        for side, text, port in (("orig", orig, op), ("resp", resp, rp)):
            hi, lo = halves(text)
            cols[f"{side}_hi"].append(hi)
            cols[f"{side}_lo"].append(lo)
            cols[f"{side}_p"].append(port)
        cols["ip_ver"].append(ipaddress.ip_address(orig).version)
        cols["proto"].append(proto)
        cols["icmp_type"].append(mtype)
        cols["icmp_code"].append(code)
    types = {"orig_hi": np.uint64, "orig_lo": np.uint64, "resp_hi": np.uint64,
             "resp_lo": np.uint64, "orig_p": np.uint16, "resp_p": np.uint16}
    return {k: np.array(v, types.get(k, np.uint8)) for k, v in cols.items()}


@pytest.mark.parametrize("seed", [0, 1, 1234, 65535])
def test_flows_of_every_kind_as_the_spec_says(seed: int) -> None:
    got = community_ids(_columns(FLOWS), seed).to_pylist()
    assert got == [reference(*flow, seed=seed) for flow in FLOWS]
    assert got[0] == got[1] and got[2] == got[3] and got[6] == got[7]
    with pytest.raises(ValueError, match="16 bits"):
        community_ids(_columns(FLOWS), 65536)


def test_many_random_flows_as_the_spec_says() -> None:
    rng = np.random.default_rng(3)
    flows = []
    for _ in range(400):
        v6 = rng.random() < 0.3
        proto = int(rng.choice([6, 17, 132, 1 if not v6 else 58, 47]))
        pick = (lambda: str(ipaddress.IPv6Address(int(rng.integers(0, 4)) << 100 | int(
            rng.integers(0, 2**40))))) if v6 else (lambda: str(ipaddress.IPv4Address(int(
                rng.integers(0, 2**32)))))
        a = pick()
        b = a if rng.random() < 0.1 else pick()
        ports = (0, 0) if proto in (1, 58, 47) else tuple(int(p) for p in rng.integers(0, 65536, 2))
        mtype = int(rng.choice([0, 8, 3, 13, 17, 128, 129, 135, 143, 11])) if proto in (1, 58) else 0
        flows.append((a, ports[0], b, ports[1], proto, mtype, int(rng.integers(0, 16))))
    assert community_ids(_columns(flows)).to_pylist() == [reference(*f) for f in flows]


# -------------------------------------------------------------------------- real captures

WIRESHARK_TRACES = [
    "zeek/testing/btest/Traces/communityid/icmp6.pcap",
    "zeek/testing/btest/Traces/communityid/ipv6.pcap",
    "zeek/testing/btest/Traces/communityid/sctp.pcap",
    "zeek/testing/btest/Traces/icmp/5-pings.pcap",
    "zeek/testing/btest/Traces/icmp/icmp-destunreach-udp.pcap",
    "zeek/testing/btest/Traces/icmp/icmp6-nd-options.pcap",
    "nDPI/tests/cfgs/default/pcap/6in4tunnel.pcap",
    "nDPI/tests/cfgs/default/pcap/lru_ipv6_caches.pcapng",
    "nDPI/tests/cfgs/default/pcap/sctp.cap",
    "nDPI/tests/cfgs/default/pcap/dns.pcap",
]
"""Captures whose every flow's ID Wireshark writes on its packets. (Not Zeek's
``icmp6-mldv2.pcap``: Wireshark 4.0 hashes some MLDv2 reports, which carry addresses in their
body, to values the spec's pseudo code does not give; ours are the spec's, above.)"""


@pytest.mark.parametrize("rel", WIRESHARK_TRACES)
def test_real_flows_agree_with_wireshark(rel: str, shared_data: Path) -> None:
    path = shared_data / rel
    if not path.exists():
        pytest.skip(f"{rel} not in ../shared/data")
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed (./run test installs it)")
    out = subprocess.run(["tshark", "-r", str(path), "--enable-protocol", "communityid",
                          "-T", "fields", "-e", "communityid"], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    theirs = {cid for line in out.split() for cid in line.split(",") if cid}
    ours = wirelens.analyze(path, dpi="off").table("conn").column("community_id").to_pylist()
    assert ours and set(ours) <= theirs


@pytest.mark.parametrize(("test", "seed"), [("nfs3-01", 1234), ("community-id-sameip", 1)])
def test_the_values_suricata_verify_expects(test: str, seed: int, shared_data: Path) -> None:
    """Suricata's EVE events of these tests carry the flow's Community ID, hashed with the
    seed their ``suricata.yaml`` sets."""
    folder = shared_data / "suricata-verify" / "tests" / test
    if not folder.is_dir():
        pytest.skip(f"suricata-verify/tests/{test} not in ../shared/data")
    expected = set(re.findall(r"community_id: (1:\S+)", (folder / "test.yaml").read_text()))
    assert re.search(rf"community-id-seed: {seed}\b", (folder / "suricata.yaml").read_text())
    ours = set(wirelens.analyze(folder / "input.pcap", dpi="off", community_id_seed=seed)
               .table("conn").column("community_id").to_pylist())
    assert expected and expected <= ours


def test_cli_seed_and_run_config(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "suricata-verify" / "tests" / "community-id-sameip"
    if not folder.is_dir():
        pytest.skip("suricata-verify/tests/community-id-sameip not in ../shared/data")
    out = tmp_path / "out"
    assert main(["analyze", str(folder / "input.pcap"), "-o", str(out), "--dpi", "off",
                 "--community-id-seed", "1", "--quiet"]) == 0
    (conn,) = query(out, "SELECT community_id FROM conn").to_pylist()
    assert conn["community_id"] == reference("192.168.0.254", 56162, "192.168.0.254", 3306, 6,
                                             seed=1)
    (run,) = query(out, "SELECT config FROM run").to_pylist()
    assert '"community_id_seed": 1' in run["config"]
