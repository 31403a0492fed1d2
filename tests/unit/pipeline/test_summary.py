import numpy as np

from wirelens.pipeline.summary import RunSummary

V4 = 0xFFFF_0000_0000


def cols(orig, resp, nbytes):
    n = len(orig)
    return {"proto": np.full(n, 6, np.uint8), "orig_hi": np.zeros(n, np.uint64),
            "orig_lo": np.array([V4 | o for o in orig], np.uint64),
            "resp_hi": np.zeros(n, np.uint64), "resp_lo": np.array([V4 | r for r in resp], np.uint64),
            "orig_ip_bytes": np.array(nbytes, np.uint64), "resp_ip_bytes": np.zeros(n, np.uint64)}


def test_top_talkers_sum_over_batches():
    s = RunSummary(run_id="x", inputs=[])
    s.add_flows(cols([1, 1, 2], [9, 9, 9], [100, 50, 10]), ["dns", None, "dns"])
    s.add_flows(cols([2], [9], [1000]), ["tls"])
    s.add_flows(cols([3], [1], [5]), [None])
    top = s.top_talkers(3)
    assert top[0] == {"host": "0.0.0.9", "ip_bytes": 1160, "flows": 4}
    assert top[1] == {"host": "0.0.0.2", "ip_bytes": 1010, "flows": 2}
    assert top[2] == {"host": "0.0.0.1", "ip_bytes": 155, "flows": 3}
    assert s.flows == 5 and s.protocols == {"tcp": 5} and s.services == {"dns": 2, "tls": 1}
    assert s.to_dict()["top_talkers"][0]["host"] == "0.0.0.9"


def test_arp_pairs_are_bounded(monkeypatch):
    """An ARP sweep's distinct pairs are counted up to a bound: past twice ARP_PAIRS_KEPT,
    the busiest ARP_PAIRS_KEPT stay."""
    from wirelens.core.batch import PacketBatch, PacketStatus
    from wirelens.pipeline import runner, summary

    monkeypatch.setattr(summary, "ARP_PAIRS_KEPT", 5)
    a = runner.Analysis()
    a.summary = RunSummary(run_id="x", inputs=[])
    n = 12
    pkts = PacketBatch.empty(n + 3)
    pkts.status[:] = PacketStatus.ARP
    pkts.src_lo[:n] = V4 | 1
    pkts.dst_lo[:n] = [V4 | (100 + i) for i in range(n)]
    pkts.src_lo[n:] = V4 | 1  # the pair 0.0.0.1 -> 0.0.0.100 three more times
    pkts.dst_lo[n:] = V4 | 100
    a._arp(pkts)
    a.summary._fold_arp()
    assert len(a.summary.arp_pairs) == 5
    assert a.summary.arp_pairs.most_common(1) == [("0.0.0.1 -> 0.0.0.100", 4)]
