"""Our ``conn`` table against Zeek's own conn.log baselines: a regression guard on agreement.

The pairing and comparison are those of ``bench/zeek_conn_agreement.py`` (read its docstring:
keys, ts tolerance, which fields are compared, the history letters kept), run here on a fixed
list of baselines whose trace is known, so no trace search is needed.

Measured on these 24 pairs (149 Zeek rows; 122 matched in the same direction, 1 direction
disagreement, 26 Zeek flows we lack -- 20 of them tunnel outer UDP flows, which we do not log
by design -- and 9 flows of ours Zeek does not log). "before" is the flow table before the
Zeek-semantics fixes (FabricPath already decoded), "after" with them: the TCP flow's last
time stops at the packet completing the FIN exchange, GTP-U flows are not keyed on the TEID,
OTH for IP protocols other than TCP/UDP/ICMP, UDP history D/d for every datagram, and the
expiry reason is the timeout that fired first on the flow's own timeline:

===========  ========  ========
field        before    after
===========  ========  ========
pkts         112/122   113/122  (92.6 %)
ip_bytes     112/122   113/122  (92.6 %)
bytes         34/35     34/35   (97.1 %)
conn_state    78/122   112/122  (91.8 %)
history       54/79     71/79   (89.9 %)
service       11/12     11/12   (91.7 %)
duration      99/118   109/118  (92.4 %)
===========  ========  ========

What still disagrees is by design or Zeek configuration, not a flow-table bug: the 120 s
idle timeout splits long-quiet connections Zeek keeps (pppoe-over-qinq, ftp/bigtransfer);
Zeek ends an unanswered connection attempt ``tcp_attempt_delay`` (5 s) after its SYN and
starts a new one (ssh.client-side-half-duplex: S0 "SAD" + "DAF"); ICMP flows are keyed
without type (gre-sample's destination-unreachable joins the echo flow); Zeek's role-flip
heuristics ('^') are not implemented (mpls-in-vlan).
The asserted floors are these rates minus a small margin: a fall below them is a regression,
a rise is welcome (then raise the floors).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bench_scripts import bench_module

REPO = Path(__file__).resolve().parents[2]
DATA = (REPO / ".." / "shared" / "data").resolve()

PAIRS = {
    "core.cisco-fabric-path": "cisco-fabric-path.pcap",
    "core.erspanI": "erspanI.pcap",
    "core.erspanII": "erspanII.pcap",
    "core.erspanIII": "erspanIII.pcap",
    "core.history-flip": "tcp/missing-syn.pcap",
    "core.local-flip": "http/zeek-image-post-1080-8000-x.pcap",
    "core.mpls-in-vlan": "mpls-in-vlan.pcap",
    "core.ppp": "ppp/quic-interop-retry.pcap",
    "core.pppoe-over-qinq": "pppoe-over-qinq.pcap",
    "core.q-in-q": "q-in-q.pcap",
    "core.pbb": "pbb.pcap",
    "core.radiotap": "radiotap.pcap",
    "core.skip_analyzer": "tunnels/gre-sample.pcap",
    "core.tcp.flip-without-syn": "tcp/http-on-irc-port-missing-syn.pcapng",
    "core.tcp.large-file-reassembly": "ftp/bigtransfer.pcap",
    "core.tcp.miss-end-data": "tcp/miss_end_data.pcap",
    "core.tunnels.gre-aruba-amsdu": "tunnels/gre-aruba-amsdu.pcap",
    "core.tunnels.gre-in-gre": "tunnels/gre-within-gre.pcap",
    "core.tunnels.gtp.opt_header": "tunnels/gtp/gtp6_gtp_0x32.pcap",
    "core.tunnels.gtp.inner_teredo": "tunnels/gtp/gtp8_teredo.pcap",
    "core.tunnels.vxlan": "tunnels/vxlan.pcap",
    "core.unknown-ip-protocol": "communityid/sctp.pcap",
    "core.vntag": "vntag.pcap",
    "scripts.base.protocols.ftp.gridftp": "globus-url-copy-bad-encoding.pcap",
    "scripts.base.protocols.irc.starttls": "tls/irc-starttls.pcap",
    "scripts.base.protocols.ssh.half-duplex-client": "ssh/ssh.client-side-half-duplex.pcap",
    "scripts.base.protocols.xmpp.starttls": "tls/xmpp-starttls.pcap",
}

FLOORS = {
    "pkts": 0.90,
    "ip_bytes": 0.90,
    "bytes": 0.90,
    "conn_state": 0.89,
    "history": 0.87,
    "service": 0.75,
    "duration": 0.90,
}
"""Measured rate minus a margin (about two flows' worth)."""


@pytest.fixture(scope="module")
def zb():
    if not (DATA / "zeek" / "testing" / "btest").is_dir():
        pytest.skip(f"real captures not found at {DATA} (../shared/data beside the repo)")
    return bench_module("zeek_conn_agreement")


@pytest.fixture(scope="module")
def pairs(zb):
    btest = DATA / zb.ZEEK_BTEST
    out = []
    for test, trace in PAIRS.items():
        rows = zb.parse_conn_log(btest / "Baseline" / test / "conn.log")
        assert rows, f"{test}: baseline unreadable"
        zb.add_tunnel_ends(rows, btest / "Baseline" / test / "tunnel.log")
        cols = zb.key_columns(rows)
        flows, err = zb.our_flows(btest / "Traces" / trace)
        assert err is None, f"{trace}: {err}"
        matches, extra = zb.match_flows(rows, flows, cols)
        out.append(zb.Pair(test, btest / "Traces" / trace, 1.0, matches, extra))
    return out


@pytest.fixture(scope="module")
def report(zb, pairs):
    return zb.evaluate(pairs)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_field_agreement_floor(report, name):
    rate = report.rate(name)
    assert report.total[name] > 0, f"no row compared {name}"
    assert rate >= FLOORS[name], (
        f"{name}: {report.agree[name]}/{report.total[name]} = {rate:.3f} < floor {FLOORS[name]}; "
        f"top categories: {report.categories.most_common(8)}")


def test_tunnel_endpoints(report):
    """Our tunnel_orig_h / tunnel_resp_h against the endpoints of Zeek's tunnel_parents (its
    tunnel.log): every flow in one tunnel agrees (VXLAN's two outer directions, GTP-U,
    Aruba's GRE); the others are tunnels in tunnels, where Zeek names the innermost and we
    the outermost."""
    nested = ("tunnel endpoints: a tunnel in a tunnel (zeek's parents are the innermost, ours "
              "the outermost)")
    assert (report.agree["tunnel"], report.total["tunnel"]) == (6, 11)  # (vxlan, gtp6, aruba: 6/6)
    assert report.total["tunnel"] - report.agree["tunnel"] == report.categories[nested]
    assert not [c for c in report.categories if c.startswith("tunnel endpoints ")]


def test_matching_counts(report):
    """Most Zeek rows find a flow in the same direction; misses stay at the measured level."""
    assert report.zeek_rows == 154
    assert report.matched >= 123
    assert report.flipped <= 2
    assert report.missing <= 28
    assert report.extra <= 11


def test_every_pair_matches_something(pairs):
    """Each listed baseline still pairs with its trace (a decode regression empties a pair)."""
    for p in pairs:
        hits = sum(m.ours is not None for m in p.matches)
        assert hits >= 1, f"{p.test}: none of its {len(p.matches)} Zeek rows matched a flow"


def test_clean_tcp_flow_agrees_on_everything(zb, pairs):
    """A plain HTTP connection: every compared field but duration agrees exactly."""
    p = next(p for p in pairs if p.test == "core.local-flip")
    (m,) = p.matches
    assert m.ours is not None and not m.flipped
    got = zb.compare(m.zeek, m.ours)
    assert {k for k, (ok, _) in got.items() if not ok} <= {"duration"}, got


def test_an_fddi_trace_agrees_with_zeek(zb):
    """An FDDI capture (LINKTYPE_FDDI: frame control, addresses, LLC/SNAP): each of Zeek's
    1,333 rows (a lone RST a minute on one connection) is one flow of ours, every compared
    field alike."""
    btest = DATA / zb.ZEEK_BTEST
    rows = zb.parse_conn_log(
        btest / "Baseline" / "scripts.policy.protocols.conn.mac-logging" / "conn3.log")
    flows, err = zb.our_flows(btest / "Traces" / "llc.pcap")
    assert err is None and len(rows) == 1333
    matches, extra = zb.match_flows(rows, flows, zb.key_columns(rows))
    assert not extra
    differ = [(k, v) for m in matches if m.ours is not None and not m.flipped
              for k, (ok, v) in zb.compare(m.zeek, m.ours).items() if not ok]
    assert sum(m.ours is not None and not m.flipped for m in matches) == 1333 and not differ


def test_parse_formats(zb):
    """ASCII with #fields, a zeek-cut header line, and unpairable logs (no endpoint columns)."""
    base = DATA / zb.ZEEK_BTEST / "Baseline"
    ascii_rows = zb.parse_conn_log(base / "core.ppp" / "conn.log")
    assert [r["proto"] for r in ascii_rows] == ["icmp", "icmp", "udp"]
    assert ascii_rows[2]["orig_pkts"] == 10 and ascii_rows[2]["ts"] == pytest.approx(0.66902)
    cut = zb.parse_conn_log(base / "core.tunnels.geneve-arp" / "conn.log")
    assert cut[0]["resp_p"] == 6081 and cut[0]["duration"] is None and cut[0]["ts"] is None
    no_hosts = zb.parse_conn_log(base / "core.udp-corrupt" / "conn.log")
    assert no_hosts is not None and zb.key_columns(no_hosts) is None


def test_reduce_history(zb):
    assert zb.reduce_history("^hADdFaf") == "hADdFaf"
    assert zb.reduce_history("ShADdtaTTtFfCcIQ") == "ShADdtaTTtFf"
    assert zb.reduce_history(None) == ""
