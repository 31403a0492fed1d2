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
from wirelens.core.batch import LinkType, PacketBatch, PacketStatus
from wirelens.decode import Decoder, FragmentReassembler, TimeOrder
from wirelens.decode.fragments import CONTEXT, Reassembled

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


def test_time_order_puts_each_datagram_in_its_last_fragments_row() -> None:
    frames = (_segment_frames(1, REQUEST[:1000], True, 1)
              + _segment_frames(1001, REQUEST[1000:], False, 2))
    raw = raw_batch(frames, LinkType.ETHERNET)
    pkts = Decoder().decode(raw)
    assert pkts.status.tolist()[:2] == [PacketStatus.FRAGMENT] * 2
    done = FragmentReassembler().add(raw, pkts)
    assert done is not None and done.rows.tolist() == [1]
    placed, out = TimeOrder().place(raw, pkts, done)
    assert len(placed) == len(out) == 3
    again = Decoder().decode(placed)  # the placed columns are what decoding would give,
    for f in dataclasses.fields(out):  # but the rebuilt packet's link comes from its fragments
        got, want = getattr(out, f.name), getattr(again, f.name).copy()
        if f.name in CONTEXT[:5]:
            want[1] = got[0]
        assert np.array_equal(got, want), f.name
    assert out.src_mac[1] == out.src_mac[0] != 0
    assert out.status.tolist() == [PacketStatus.FRAGMENT, PacketStatus.OK, PacketStatus.OK]
    assert out.tcp_seq.tolist()[1:] == [1, 1001]  # the whole segment before the next one
    for k in (0, 2):  # the batch's other rows keep their bytes
        a = raw.data[raw.offset[k]: raw.offset[k] + raw.caplen[k]]
        b = placed.data[placed.offset[k]: placed.offset[k] + placed.caplen[k]]
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


def test_time_order_equals_row_replacement_with_buffers_reused() -> None:
    """Random batches through one TimeOrder (its buffer reused, grown and shrunk), each with
    datagrams for some of its rows: the rows, their bytes and every column equal the batch's
    with those rows replaced by the datagrams'."""
    rng = np.random.default_rng(7)
    order = TimeOrder()
    for size, n_done in ((40, 3), (5, 0), (200, 12), (4, 4), (120, 1), (60, 60)):
        frames = [eth(ipv4(tcp(1000 + k, 80, seq=k, ack=1, flags=0x18,
                               payload=bytes(rng.integers(0, 256, int(rng.integers(0, 90)),
                                                          dtype=np.uint8))),
                           proto=6, src=CLIENT, dst=SERVER, ident=k)) for k in range(size)]
        raw = raw_batch(frames, LinkType.ETHERNET)
        lead = int(rng.integers(0, 3))  # (a batch whose bytes start inside its window)
        raw.data = np.concatenate([np.full(lead * 100, 0xEE, np.uint8), raw.data])
        raw.offset = raw.offset + lead * 100
        raw.ts_ns = np.sort(rng.integers(0, 50, size)).astype(np.int64)
        pkts = Decoder().decode(raw)
        before = PacketBatch(**{f.name: getattr(pkts, f.name).copy()
                                for f in dataclasses.fields(pkts)})
        at = np.sort(rng.choice(size, n_done, replace=False)).astype(np.int64)
        dframes = [ipv4(tcp(9000 + j, 80, seq=j, ack=1, flags=0x18, payload=b"d" * j),
                        proto=6, src=CLIENT, dst=SERVER, ident=j) for j in range(n_done)]
        d_raw = raw_batch(dframes, LinkType.RAW)
        d_raw.ts_ns = raw.ts_ns[at]
        d_pkts = Decoder().decode(d_raw)
        copy = PacketBatch(**{f.name: getattr(pkts, f.name).copy()
                              for f in dataclasses.fields(pkts)})
        bare, bare_out = TimeOrder(keep_bytes=False).place(raw, copy,
                                                           Reassembled(d_raw, d_pkts, at))
        placed, out = order.place(raw, pkts, Reassembled(d_raw, d_pkts, at))
        assert len(placed) == len(out) == len(bare) == size
        assert len(bare.data) == 0 and not bare.offset.any()  # (no bytes: the columns alone)
        for name in ("caplen", "wirelen", "ts_ns", "linktype"):
            assert np.array_equal(getattr(bare, name), getattr(placed, name)), name
        for f in dataclasses.fields(out):
            if f.name not in ("l3_off", "payload_off"):
                assert np.array_equal(getattr(bare_out, f.name), getattr(out, f.name)), f.name
        which = dict(zip(at.tolist(), range(n_done)))
        for k in range(size):
            j = which.get(k)
            r, p, i = (raw, before, k) if j is None else (d_raw, d_pkts, j)
            assert placed.ts_ns[k] == r.ts_ns[i] and placed.linktype[k] == r.linktype[i]
            a = r.data[r.offset[i]: r.offset[i] + r.caplen[i]]
            b = placed.data[placed.offset[k]: placed.offset[k] + placed.caplen[k]]
            assert np.array_equal(a, b)
            for f in dataclasses.fields(out):
                if f.name in ("l3_off", "payload_off"):  # same place in the record's bytes
                    assert (getattr(out, f.name)[k] - placed.offset[k]
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
