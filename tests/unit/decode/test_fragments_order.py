"""Reassembled datagrams reach the flows in time order (``TimeOrder``): a TCP segment
that travelled as IP fragments is seen before the segments that followed it."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import numpy as np
import pytest
from decode_frames import eth, ipv4, raw_batch, tcp, udp, vlan, write_pcap

import wirelens
from wirelens.core.batch import LinkType, PacketStatus
from wirelens.decode import Decoder, FragmentReassembler, TimeOrder
from wirelens.decode.fragments import CONTEXT

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"
REQUEST = b"GET /big HTTP/1.1\r\nHost: example.org\r\nX-Pad: " + b"p" * 1400 + b"\r\n\r\n"


def _segment_frames(seq: int, payload: bytes, fragment: bool, ident: int) -> list[bytes]:
    """Ethernet frames of one client TCP segment; fragmented in two when ``fragment``."""
    segment = tcp(41000, 80, seq=seq, ack=1, flags=0x18, payload=payload)
    if not fragment:
        return [eth(ipv4(segment, proto=6, src=CLIENT, dst=SERVER, ident=ident))]
    half = 8 * 100
    return [eth(ipv4(segment[:half], proto=6, src=CLIENT, dst=SERVER, ident=ident,
                     frag=0x2000)),
            eth(ipv4(segment[half:], proto=6, src=CLIENT, dst=SERVER, ident=ident,
                     frag=half // 8))]


def test_time_order_inserts_each_datagram_after_its_last_fragment() -> None:
    frames = (_segment_frames(1, REQUEST[:1000], True, 1)
              + _segment_frames(1001, REQUEST[1000:], False, 2))
    raw = raw_batch(frames, LinkType.ETHERNET)
    pkts = Decoder().decode(raw)
    assert pkts.status.tolist()[:2] == [PacketStatus.FRAGMENT] * 2
    done = FragmentReassembler().add(raw, pkts)
    assert done is not None
    merged, out = TimeOrder().merge(raw, pkts, *done)
    assert len(merged) == len(out) == 4
    assert merged.ts_ns.tolist() == sorted(merged.ts_ns.tolist())
    again = Decoder().decode(merged)  # the merged columns are what decoding would give,
    for f in dataclasses.fields(out):  # but the rebuilt packet's link comes from its fragments
        got, want = getattr(out, f.name), getattr(again, f.name).copy()
        if f.name in CONTEXT[:5]:
            want[2] = got[0]
        assert np.array_equal(got, want), f.name
    assert out.src_mac[2] == out.src_mac[0] != 0
    assert out.status.tolist() == [PacketStatus.FRAGMENT, PacketStatus.FRAGMENT,
                                   PacketStatus.OK, PacketStatus.OK]
    assert out.tcp_seq.tolist()[2:] == [1, 1001]  # the whole segment before the next one
    for k, m in ((0, 0), (1, 1), (2, 3)):  # the batch's rows keep their bytes
        a = raw.data[raw.offset[k]: raw.offset[k] + raw.caplen[k]]
        b = merged.data[merged.offset[m]: merged.offset[m] + merged.caplen[m]]
        assert np.array_equal(a, b)


def test_a_fragmented_request_is_read_before_the_segment_after_it(tmp_path: Path) -> None:
    cap = tmp_path / "f.pcap"
    frames = ([eth(ipv4(tcp(41000, 80, seq=0, ack=0, flags=0x02), proto=6, src=CLIENT,
                        dst=SERVER))]
              + _segment_frames(1, REQUEST[:1000], True, 1)
              + _segment_frames(1001, REQUEST[1000:], False, 2)
              + [eth(ipv4(tcp(80, 41000, seq=1, ack=1 + len(REQUEST), flags=0x18,
                              payload=b"HTTP/1.1 204 No Content\r\n\r\n"), proto=6,
                          src=SERVER, dst=CLIENT))])
    write_pcap(cap, frames)
    r = wirelens.analyze(cap)
    http = r.tables["http"].to_pylist()
    # in arrival order the request's end came first (no content test knows it), then the
    # response (whose ACK covers the request): the request would be lost
    assert [(h["method"], h["host"], h["uri"], h["status_code"]) for h in http] == [
        ("GET", "example.org", "/big", 204)]
    assert r.conn.to_pylist()[0]["orig_pkts"] == 3  # SYN, the reassembled segment, the rest


def test_gtp_with_fragmented_outer_packets(shared_data: Path) -> None:
    """Zeek's http.log of this trace has the request (host and uri): its first segment
    travelled as two outer IP fragments ahead of the segment holding the request's end."""
    cap = shared_data / "zeek/testing/btest/Traces/tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap"
    if not cap.exists():
        pytest.skip(f"{cap.name} not in ../shared/data")
    http = wirelens.analyze(cap).tables["http"].to_pylist()
    assert [(h["host"], h["status_code"]) for h in http] == [
        ("o-o.preferred.telekomrs-beg1.v2.lscache8.c.youtube.com", 206)]


def _naive_merge(raw, pkts, done, done_pkts):  # type: ignore[no-untyped-def]
    """Row order and bytes of the merge, by list insertion: each datagram after the rows of
    ``raw`` up to its time, datagrams of equal insertion point in ``done`` order."""
    rows: list[tuple[str, int]] = [("raw", i) for i in range(len(raw))]
    at = np.searchsorted(raw.ts_ns, done.ts_ns, side="right")
    for j in sorted(range(len(done)), key=lambda j: (int(at[j]), j), reverse=True):
        rows.insert(int(at[j]), ("done", j))
    return rows


def test_time_order_equals_list_insertion_with_buffers_reused() -> None:
    """Random batches through one TimeOrder (its buffers reused, grown and shrunk): the rows,
    their bytes and every column equal the naive insertion."""
    rng = np.random.default_rng(7)
    order = TimeOrder()
    for size, n_done in ((40, 3), (5, 0), (200, 12), (1, 4), (120, 1), (60, 60)):
        frames = [eth(ipv4(tcp(1000 + k, 80, seq=k, ack=1, flags=0x18,
                               payload=bytes(rng.integers(0, 256, int(rng.integers(0, 90)),
                                                          dtype=np.uint8))),
                           proto=6, src=CLIENT, dst=SERVER, ident=k)) for k in range(size)]
        raw = raw_batch(frames, LinkType.ETHERNET)
        raw.ts_ns = np.sort(rng.integers(0, 50, size)).astype(np.int64)
        pkts = Decoder().decode(raw)
        dframes = [ipv4(tcp(9000 + j, 80, seq=j, ack=1, flags=0x18, payload=b"d" * j),
                        proto=6, src=CLIENT, dst=SERVER, ident=j) for j in range(n_done)]
        done = raw_batch(dframes, LinkType.RAW)
        done.ts_ns = rng.integers(-5, 55, n_done).astype(np.int64)  # any order, ties
        done_pkts = Decoder().decode(done)
        expect = _naive_merge(raw, pkts, done, done_pkts)
        merged, out = order.merge(raw, pkts, done, done_pkts)
        assert len(merged) == len(out) == size + n_done
        for k, (src, i) in enumerate(expect):
            r, p = (raw, pkts) if src == "raw" else (done, done_pkts)
            assert merged.ts_ns[k] == r.ts_ns[i]
            a = r.data[r.offset[i]: r.offset[i] + r.caplen[i]]
            b = merged.data[merged.offset[k]: merged.offset[k] + merged.caplen[k]]
            assert np.array_equal(a, b)
            for f in dataclasses.fields(out):
                if f.name in ("l3_off", "payload_off"):  # same place in the record's bytes
                    assert (getattr(out, f.name)[k] - merged.offset[k]
                            == getattr(p, f.name)[i] - r.offset[i]), f.name
                else:
                    assert getattr(out, f.name)[k] == getattr(p, f.name)[i], f.name


def _datagram_frames(wrap, ident: int, src: str = CLIENT, sport: int = 5353) -> list[bytes]:
    """One whole UDP datagram then one of 1,200 bytes in two fragments, each IP packet
    passed through ``wrap`` (the link and tunnel around it)."""
    big = udp(sport, 53, b"q" * 1200)
    return [wrap(ipv4(udp(sport, 53, b"a" * 50), proto=17, src=src, dst=SERVER, ident=ident)),
            wrap(ipv4(big[:800], proto=17, src=src, dst=SERVER, ident=ident + 1, frag=0x2000)),
            wrap(ipv4(big[800:], proto=17, src=src, dst=SERVER, ident=ident + 1, frag=100))]


def _in_vlan(vid: int):
    return lambda packet: eth(vlan(vid, 0x0800, packet), ethertype=0x8100)


def test_a_reassembled_datagram_keeps_its_vlan_and_macs(tmp_path: Path) -> None:
    """The rebuilt packet is decoded without its link layer: it takes the VLAN and MACs of
    its fragments and joins its conversation's flow (it had made a flow of its own in VLAN
    0, without MACs)."""
    cap = tmp_path / "v.pcap"
    write_pcap(cap, _datagram_frames(_in_vlan(100), 7))
    (row,) = wirelens.analyze(cap).conn.to_pylist()
    assert (row["vlan"], row["orig_pkts"], row["orig_mac"]) == (100, 2, "02:00:00:00:00:01")


def test_fragments_in_two_vlans_are_two_datagrams(tmp_path: Path) -> None:
    """The same addresses and IP id in two VLANs (a routed copy on a trunk, or overlapping
    address plans): each VLAN's fragments make their own datagram, interleaved or not."""
    a, b = _datagram_frames(_in_vlan(10), 7), _datagram_frames(_in_vlan(20), 7)
    cap = tmp_path / "two.pcap"
    write_pcap(cap, [a[0], b[0], a[1], b[1], a[2], b[2]])
    conn = wirelens.analyze(cap).conn.to_pylist()
    assert sorted((r["vlan"], r["orig_pkts"]) for r in conn) == [(10, 2), (20, 2)]


def test_a_datagram_fragmented_inside_a_tunnel_keeps_the_tunnel(tmp_path: Path) -> None:
    """Fragments carried by VXLAN: the rebuilt datagram keeps the tunnel, its VNI and the
    outer addresses (from its fragments' outer headers) and joins the tunnelled flow."""
    def vxlan(packet: bytes) -> bytes:
        inner = struct.pack("!II", 0x0800_0000, 0x00ABCD00) + eth(packet)
        return eth(ipv4(udp(40000, 4789, inner), proto=17, src="192.0.2.1", dst="192.0.2.2"))

    cap = tmp_path / "t.pcap"
    write_pcap(cap, _datagram_frames(vxlan, 7))
    (row,) = wirelens.analyze(cap).conn.to_pylist()
    assert (row["tunnel"], row["tunnel_id"], row["orig_pkts"]) == ("vxlan", 0xABCD, 2)
    assert (row["tunnel_orig_h"], row["tunnel_resp_h"]) == ("192.0.2.1", "192.0.2.2")
