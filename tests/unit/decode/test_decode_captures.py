"""The kernel against the naive reference on real captures, column by column.

A named sample across link types and tunnels is checked file by file (and must exercise every
tunnel kind), and against tshark, an independent decoder (``bench/tshark_decode_agreement.py``:
the naive reference shares the kernel's reading of the specifications); then every capture of
MANIFEST.csv is decoded (no exception, every offset inside its record, and the same columns as
the naive reference).
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter

import numpy as np
import pytest
from decode_frames import DATA
from tests.bench_scripts import bench_module
from tests.naive.decode import column_mismatches, decode_batch, read_capture

from wirelens.core.batch import PacketBatch, RawBatch, Tunnel
from wirelens.decode import Decoder

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason="shared captures folder ../shared/data is absent"
)

SAMPLE = [
    "nDPI/tests/cfgs/default/pcap/4in4tunnel.pcap",
    "nDPI/tests/cfgs/default/pcap/6in4tunnel.pcap",
    "nDPI/tests/cfgs/default/pcap/6in6tunnel.pcap",
    "nDPI/tests/cfgs/default/pcap/gre.pcapng",
    "suricata-verify/tests/bug-5633-gre-01/gre-udp.pcap",
    "suricata-verify/tests/bug-5633-gre-02/gre-sample.pcap",
    "nDPI/tests/cfgs/default/pcap/vxlan.pcap",
    "suricata-verify/tests/arp/detect-arp-04-vxlan/vxlan-arp.pcap",
    "suricata-verify/tests/vxlan-decoder-02/vxlan.pcap",
    "nDPI/tests/cfgs/default/pcap/gtp_c.pcap",
    "nDPI/tests/cfgs/default/pcap/gtp_prime.pcapng",
    "zeek/testing/btest/Traces/tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap",
    "zeek/testing/btest/Traces/tunnels/gtp/gtp8_teredo.pcap",
    "zeek/testing/btest/Traces/tunnels/teredo-udp-in-udp.pcap",
    "tcpdump/tests/mpls-label-heapoverflow.pcap",
    "tcpdump/tests/mpls-ldp-hello.pcap",
    "tcpdump/tests/mpls-over-udp.pcap",
    "suricata-verify/tests/pppoe/input.pcap",
    "tcpdump/tests/pppoe.pcap",
    "tcpdump/tests/pppoes.pcap",
    "tcpdump/tests/radiotap-heapoverflow.pcap",
    "nDPI/tests/cfgs/default/pcap/capwap.pcap",
    "nDPI/tests/cfgs/default/pcap/capwap_data.pcapng",
    "zeek/testing/btest/Traces/radiotap.pcap",
    "zeek/testing/btest/Traces/linux_dlt_sll2.pcap",
    "zeek/testing/btest/Traces/llc.pcap",  # FDDI
    "libpcap/tests/filter/http_PPI.pcap",
    "tcpdump/tests/e1000g.pcap",  # Solaris ipnet
    "tcpdump/tests/pktap-heap-overflow.pcap",
    "tcpdump/tests/dsa.pcap",
    "tcpdump/tests/arcnet-rfc1201-arp-icmp-http.pcap",
    "tcpdump/tests/arcnet-rfc1051-arp-icmp-http.pcap",
    "tcpdump/tests/edsa.pcap",
    "tcpdump/tests/brcm-tag.pcap",
    "tcpdump/tests/brcm-tag-prepend.pcap",
    "zeek/testing/btest/Traces/linuxsll-arp.pcap",
    "suricata-verify/tests/dns/dns-udp-null/input.pcap",
    "suricata-verify/tests/decode-erspan-typeI-02/input.pcap",
    "tcpdump/tests/erspan-type-i-4.pcap",
    "tcpdump/tests/erspan-type-ii-3.pcap",
    "tcpdump/tests/erspan-type-iii-ft-7.pcap",
    "zeek/testing/btest/Traces/erspanII.pcap",
    "zeek/testing/btest/Traces/erspanIII.pcap",
    "suricata-verify/tests/geneve-decoder/input.pcap",
    "tcpdump/tests/bigtcp-ipv4-geneve-ipv6.pcap",
    "zeek/testing/btest/Traces/tunnels/geneve-many-options.pcap",
    "suricata-verify/tests/arp/detect-arp-03-vlan/input.pcap",
    "suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv6-tcp/frag-eth-vlan-ipv6-tcp.pcap",
    "tcpdump/tests/802.1ad_QinQ.pcap",
    "zeek/testing/btest/Traces/pppoe-over-qinq.pcap",
    "zeek/testing/btest/Traces/pbb.pcap",  # IEEE 802.1ah, in a B-VLAN
    "zeek/testing/btest/Traces/pbb-recursive-frames.pcapng",  # nested past the depth bound
    "zeek/testing/btest/Traces/vntag.pcap",
    "zeek/testing/btest/Traces/vntag_vlan_sandwich_clean.pcap",
    "zeek/testing/btest/Traces/tunnels/gre-aruba-amsdu.pcap",
    "tcpdump/tests/various_gre.pcap",  # Cisco MetaData in GRE, GRE in GRE
    "tcpdump/tests/wccp_redirect_gre.pcap",
    "tcpdump/tests/macsec-integonly.pcap",
    "tcpdump/tests/macsec-encrypted.pcap",
    "tcpdump/tests/nsh.pcap",
    "suricata-verify/tests/bug-7964-02/wrong-version-ipv6-ipv6.pcap",
    "zeek/testing/btest/Traces/tunnels/6in4.pcap",
    "zeek/testing/btest/Traces/tunnels/4in6.pcap",
    "zeek/testing/btest/Traces/tunnels/6in6in6.pcap",
    "zeek/testing/btest/Traces/tunnels/gre-pptp.pcap",
    "zeek/testing/btest/Traces/tunnels/gre-within-gre.pcap",
    "zeek/testing/btest/Traces/tunnels/gre-erspan3-dot1q.pcap",
    "libpcap/tests/filter/ah-ipip-ping.pcap",
    "nDPI/tests/cfgs/default/pcap/dns_fragmented.pcap",
    "nDPI/tests/cfgs/default/pcap/ip_fragmented_garbage.pcap",
    "suricata-verify/tests/defrag/bug-6887-defrag-ppp-ipv6-tcp/frag-ppp-ipv6-tcp.pcap",
    "tcpdump/tests/heapoverflow-ppp_hdlc_if_print.pcap",
    "tcpdump/tests/ieee802.11_htc.pcap",
    "tcpdump/tests/ieee802.11_meshid.pcap",
    "nDPI/tests/cfgs/default/pcap/KakaoTalk_chat.pcap",
    "nDPI/tests/cfgs/default/pcap/ossfuzz_seed_fake_traces_1.pcapng",
    "suricata-verify/tests/defrag/bug-6887-defrag-ipv6-tcp/frag-ip-tcp.pcap",
    "tcpdump/tests/LINKTYPE_IPV6.pcap",
    "nDPI/tests/cfgs/default/pcap/bets.pcapng",
    "nDPI/tests/cfgs/default/pcap/dingtalk.pcap",
    "nDPI/tests/cfgs/default/pcap/BGP_Cisco_hdlc_slarp.pcap",
    "tcpdump/tests/ppp_ip_udp_dns.pcap",
    "tcpdump/tests/ISIS_p2p_adjacency.pcap",
    "nDPI/tests/cfgs/default/pcap/opc-ua.pcap",
    "nDPI/tests/cfgs/default/pcap/openvpn-tlscrypt.pcap",
    "zeek/testing/btest/Traces/trunc/mpls-6in6-broken.pcap.gz",
    "suricata-verify/tests/output-eve-ftp-data/input.pcap",  # real Teredo with auth indicator
    "zeek/testing/btest/Traces/tunnels/ayiya3.pcap",
    "zeek/testing/btest/Traces/nflog-http.pcap",
    "tcpdump/tests/nflog.pcap",
]


@pytest.fixture(scope="module")
def tshark_bench():
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed (the README's test command installs it)")
    return bench_module("tshark_decode_agreement")


TSHARK_CANNOT_READ = {"tcpdump/tests/dsa.pcap", "tcpdump/tests/edsa.pcap",
                      "tcpdump/tests/brcm-tag.pcap", "tcpdump/tests/brcm-tag-prepend.pcap"}
"""Link types of switch tags (DSA, EDSA, Broadcom) this tshark does not know."""


@pytest.mark.parametrize("path", [p for p in SAMPLE if p not in TSHARK_CANNOT_READ])
def test_sample_agrees_with_tshark(path: str, tshark_bench) -> None:
    """Every packet's innermost addresses and ports are tshark's, or differ for a reason the
    benchmark names (an encapsulation one side does not read, a header we find damaged, ...)."""
    rep = tshark_bench.Report()
    tshark_bench.compare_capture(DATA / path, rep, examples=5)
    assert rep.captures == 1 and not rep.errors and not rep.unreadable, rep
    assert rep.compared > 0
    bad = {c: rep.examples[c] for c in tshark_bench.UNEXPLAINED if rep.categories[c]}
    assert not bad, bad


def check_bounds(raw: RawBatch, pk: PacketBatch) -> None:
    """Every offset column points inside its own record."""
    start = raw.offset
    end = raw.offset + raw.caplen.astype(np.int64)
    assert np.all(pk.payload_off >= start)
    assert np.all(pk.payload_off + pk.payload_len.astype(np.int64) <= end)
    has_l3 = pk.l3_off >= 0
    assert np.all(pk.l3_off[has_l3] >= start[has_l3])
    assert np.all(pk.l3_off[has_l3] < end[has_l3])
    assert np.all(pk.l3_off[~has_l3] == -1)


def compare(raw: RawBatch, dec: Decoder) -> list[tuple[int, str, int, int]]:
    pk = dec.decode(raw)
    check_bounds(raw, pk)
    return column_mismatches(decode_batch(raw), pk)


@pytest.fixture(scope="module")
def big_decoder() -> Decoder:
    return Decoder()


@pytest.mark.parametrize("path", SAMPLE)
def test_sample_matches_naive(path: str, big_decoder: Decoder) -> None:
    raw = read_capture(DATA / path)
    assert len(raw) > 0, f"the reader found no packet in {path}"
    bad = compare(raw, big_decoder)
    assert not bad, f"{path}: first differences (row, column, naive, kernel): {bad[:5]}"


def test_sample_exercises_every_tunnel_and_link() -> None:
    dec = Decoder()
    tunnels: Counter[int] = Counter()
    for path in SAMPLE:
        pk = dec.decode(read_capture(DATA / path))
        tunnels.update(pk.tunnel.tolist())
    # (no capture of L2TP data messages there -- tcpdump's l2tp-avp-overflow holds control
    # messages only: hand-built frames in test_decode_mpls.py)
    assert {int(t) for t in Tunnel} - {Tunnel.L2TP} <= set(tunnels), f"tunnels seen: {tunnels}"
    c = dec.counters
    for name in (
        "ethernet", "linux_sll", "linux_sll2", "null", "raw", "ipv6", "ppp", "c_hdlc", "nflog",
    ):  # fmt: skip
        assert c.get(f"linktype_{name}", 0) > 0, name
    assert c["linktype_ieee802_11_radiotap"] > 0 and c["arp"] > 0 and c["fragment"] > 0
    assert c["weird_bad_ip_version"] > 0  # mpls-6in6-broken


def test_every_capture_decodes_like_naive(big_decoder: Decoder) -> None:
    with open(DATA / "MANIFEST.csv", newline="") as fh:
        paths = [row["path"] for row in csv.DictReader(fh)]
    assert len(paths) > 2000
    failures = []
    total = 0
    for path in paths:
        raw = read_capture(DATA / path)
        total += len(raw)
        bad = compare(raw, big_decoder)
        if bad:
            failures.append((path, bad[:3]))
    assert total > 100_000
    assert not failures, f"{len(failures)} captures differ, e.g. {failures[:3]}"
