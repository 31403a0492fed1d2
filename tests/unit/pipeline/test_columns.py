import ipaddress

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wirelens.pipeline.columns import (
    UID_FLOW_ID_BITS,
    addr_one,
    by_start_hour,
    format_addrs,
    format_macs,
    free_salt,
    group_rows,
    ragged,
    uid_one,
    uids,
)
from wirelens.store.lake import HOUR_NS


@settings(deadline=None, max_examples=300)
@given(st.lists(st.one_of(st.integers(0, 2**32 - 1).map(lambda v: ("4", v)),
                          st.integers(0, 2**128 - 1).map(lambda v: ("6", v))), min_size=1, max_size=30))
def test_addresses_match_ipaddress(items):
    hi, lo, want = [], [], []
    for kind, v in items:
        if kind == "4":
            hi.append(0)
            lo.append(0xFFFF_0000_0000 | v)
            want.append(str(ipaddress.IPv4Address(v)))
        else:
            hi.append(v >> 64)
            lo.append(v & (2**64 - 1))
            a = ipaddress.IPv6Address(v)
            want.append(str(a.ipv4_mapped) if a.ipv4_mapped else str(a))
    got = format_addrs(np.array(hi, np.uint64), np.array(lo, np.uint64)).to_pylist()
    assert got == want


_GROUP = st.one_of(st.just(0), st.just(0), st.just(1), st.just(0xFFFF), st.integers(0, 0xFFFF))


@settings(deadline=None, max_examples=400)
@given(st.lists(st.lists(_GROUP, min_size=8, max_size=8), min_size=1, max_size=20),
       st.lists(st.integers(0, 2**32 - 1), max_size=5))
def test_addr_one_equals_format_addrs(groups, v4):
    """The one-address formatter gives the kernel's text: zero runs of every length and
    place, IPv4-mapped (dotted) and IPv4-compatible (hex) addresses among them."""
    values = [int.from_bytes(b"".join(g.to_bytes(2, "big") for g in gs), "big") for gs in groups]
    values += [0xFFFF_0000_0000 | v for v in v4] + [v for v in v4]  # mapped, compatible
    values += [0, 1, 0xFFFF_0000_0000, 0xFFFF_0001_0203]
    hi = np.array([v >> 64 for v in values], np.uint64)
    lo = np.array([v & (2**64 - 1) for v in values], np.uint64)
    want = format_addrs(hi, lo).to_pylist()
    assert [addr_one(v >> 64, v & (2**64 - 1)) for v in values] == want


def test_macs():
    got = format_macs(np.array([0x001B21ABCDEF, 0, 0xFFFFFFFFFFFF], np.uint64)).to_pylist()
    assert got == ["00:1b:21:ab:cd:ef", None, "ff:ff:ff:ff:ff:ff"]


def test_uids_distinct_and_stable():
    a = uids(np.arange(1, 10001, dtype=np.uint64), 99).to_pylist()
    assert len(set(a)) == 10000 and all(u.startswith("C") and len(u) == 12 for u in a)
    assert a == uids(np.arange(1, 10001, dtype=np.uint64), 99).to_pylist()
    assert a != uids(np.arange(1, 10001, dtype=np.uint64), 100).to_pylist()


@given(st.integers(0, 2**62 - 1), st.sets(st.integers(0, 2**62 - 1), max_size=5),
       st.integers(0, 2**UID_FLOW_ID_BITS - 1))
def test_free_salt_keeps_a_run_s_uids_apart_from_the_taken_ones(salt, taken, fid):
    other = salt ^ fid  # a run keyed so that its flow 1 has the uid of our flow fid ^ 1
    assert uid_one(fid ^ 1, salt) == uid_one(1, other)
    taken = taken | {other}
    got = free_salt(salt, taken)
    assert got == free_salt(salt, taken) and 0 <= got < 2**62
    # (a uid is a bijection of flow_id ^ salt: salts apart above the flow ids' bits never
    # give two flows the same one)
    assert all((got ^ t) >> UID_FLOW_ID_BITS for t in taken)
    assert free_salt(salt, ()) == salt


def test_ragged():
    arr = ragged(np.array([[1, 2, 3], [4, 5, 6]]), np.array([2, 3]), pa.uint16())
    assert arr.to_pylist() == [[1, 2], [4, 5, 6]]


@settings(deadline=None)  # the first call may load the compiled kernel
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**62))
def test_uid_one_equals_the_kernel(flow_id, salt):
    assert uid_one(flow_id, salt) == uids(np.array([flow_id], np.uint64), salt)[0].as_py()


@pytest.mark.parametrize("seed", range(5))
def test_group_rows_is_np_unique_axis0(seed: int) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 4, size=(500, 3)).astype(np.uint64)  # many equal rows
    keys[::7, 0] = np.uint64(2**64 - 1)  # and values at the top of the range
    order, starts, sizes = group_rows(keys)
    uniq, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    assert (keys[order[starts]] == uniq).all()
    assert (order[starts] == first).all()
    assert (np.diff(np.r_[starts, len(keys)]) == counts).all()
    assert (sizes == counts).all()
    empty = group_rows(np.empty((0, 2), np.uint64))
    assert empty[0].size == 0 and empty[1].size == 0 and empty[2].size == 0


@given(st.lists(st.integers(0, 5 * HOUR_NS), max_size=40))
def test_by_start_hour_orders_rows_by_hour_keeping_their_order_within_one(ts):
    cols = {"ts_ns": np.array(ts, np.int64), "row": np.arange(len(ts)),
            "pair": np.arange(2 * len(ts)).reshape(-1, 2)}
    got = by_start_hour(cols)
    hours = [t // HOUR_NS for t in ts]
    want = sorted(range(len(ts)), key=lambda k: hours[k])  # (sorted() is stable)
    assert got["row"].tolist() == want
    assert got["ts_ns"].tolist() == [ts[k] for k in want]
    assert got["pair"].tolist() == [[2 * k, 2 * k + 1] for k in want]
