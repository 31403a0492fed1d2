"""DNP3 dissector: link frames with CRCs, transport reassembly, application header and IIN,
byte-by-byte feeding, strict ``matches``, real captures checked against Zeek's dnp3.log and
tshark, and a fuzz test."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all
from wl_mini_pcap import flows

from wirelens.dissect.dnp3 import Dnp3Dissector, Dnp3Fragment, crc16_dnp, iin_names
from wirelens.wire import BadValue, LimitExceeded, ParseError, Truncated

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ZEEK = DATA / "zeek" / "testing" / "btest"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def _crc(data: bytes) -> bytes:
    return crc16_dnp(data).to_bytes(2, "little")


def frame(user: bytes, control: int = 0xC4, dst: int = 1, src: int = 100) -> bytes:
    """A link frame (IEEE 1815 §9.2) carrying ``user`` (<= 250 bytes), CRC per block."""
    head = (
        b"\x05\x64"
        + bytes([5 + len(user), control])
        + dst.to_bytes(2, "little")
        + src.to_bytes(2, "little")
    )
    out = head + _crc(head)
    for i in range(0, len(user), 16):
        out += user[i : i + 16] + _crc(user[i : i + 16])
    return out


def segments(app: bytes, seq: int = 0, size: int = 249, **kw: int) -> bytes:
    """``app`` split in transport segments (FIR on the first, FIN on the last)."""
    parts = [app[i : i + size] for i in range(0, len(app), size)] or [b""]
    out = b""
    for i, part in enumerate(parts):
        th = (0x40 if i == 0 else 0) | (0x80 if i == len(parts) - 1 else 0) | ((seq + i) & 0x3F)
        out += frame(bytes([th]) + part, **kw)
    return out


READ = bytes([0xC1, 1, 60, 2, 6, 60, 3, 6, 60, 4, 6, 60, 1, 6])  # class 1, 2, 3, 0 poll
RESPONSE = bytes([0xE1, 129, 0x90, 0x00]) + bytes(range(200)) * 2  # 404 bytes: 2 segments


def conversation() -> list[tuple[bool, bytes]]:
    return [
        (True, segments(READ)),
        (False, segments(RESPONSE, seq=5, control=0x44, dst=100, src=1)),
        (True, frame(b"", control=0xC9)),  # link status request: no user data, no row
        (True, segments(bytes([0xC2, 0]), seq=1)),  # application confirm
    ]


def test_crc_known_value() -> None:
    """Frame 1 of Zeek's dnp3_udp_select_operate.pcap: tshark reads header CRC 0x2762."""
    assert crc16_dnp(bytes.fromhex("05641ac401006400")) == 0x2762
    assert crc16_dnp(bytes.fromhex("c7c9030c012801000100030164000000")) == 0x1961


def test_fragments_and_iin() -> None:
    events = feed_all(Dnp3Dissector, conversation(), TCP)
    assert [e.func_name for e in events if isinstance(e, Dnp3Fragment)] == [
        "READ",
        "RESPONSE",
        "CONFIRM",
    ]
    req, resp, confirm = events
    assert isinstance(req, Dnp3Fragment) and isinstance(resp, Dnp3Fragment)
    assert req.table == "dnp3"
    assert (req.source, req.destination, req.from_master, req.is_response) == (100, 1, True, False)
    assert (req.app_seq, req.con, req.uns, req.iin, req.object_bytes) == (1, False, False, None, 12)
    assert (resp.source, resp.destination, resp.from_master) == (1, 100, False)
    assert (resp.iin, resp.iin_names, resp.con) == (0x9000, ("NEED_TIME", "DEVICE_RESTART"), True)
    assert resp.object_bytes == 400 and resp.segments == 2
    assert iin_names(0x0002) == ("OBJECT_UNKNOWN",)


@pytest.mark.parametrize("step", [1, 5, 17])
def test_byte_by_byte_gives_the_same_events(step: int) -> None:
    assert feed_all(Dnp3Dissector, conversation(), TCP, step) == feed_all(
        Dnp3Dissector, conversation(), TCP
    )


def test_udp_datagrams() -> None:
    events = feed_all(Dnp3Dissector, conversation(), UDP)
    assert len(events) == 3
    with pytest.raises(Truncated):
        Dnp3Dissector(UDP).feed(segments(READ)[:-1], True, 0)


def test_bad_crcs_raise() -> None:
    good = segments(READ)
    bad_header = bytearray(good)
    bad_header[4] ^= 1
    with pytest.raises(BadValue, match="header CRC"):
        Dnp3Dissector(TCP).feed(bytes(bad_header), True, 0)
    bad_block = bytearray(good)
    bad_block[12] ^= 0x10
    with pytest.raises(BadValue, match="block CRC"):
        Dnp3Dissector(TCP).feed(bytes(bad_block), True, 0)


def test_trailing_junk_and_bad_framing() -> None:
    d = Dnp3Dissector(TCP)
    assert len(d.feed(segments(READ) + b"\x05", True, 0)) == 1  # the start of the next frame
    with pytest.raises(BadValue):
        d.feed(b"\x00junk", True, 0)
    with pytest.raises(BadValue):
        Dnp3Dissector(TCP).feed(b"\x05\x64\x03" + b"\x00" * 10, True, 0)  # LENGTH < 5
    with pytest.raises(Truncated):  # a response without IIN
        feed_all(Dnp3Dissector, [(False, segments(bytes([0xC0, 129, 0])))], TCP)


def test_out_of_sequence_segment_is_dropped() -> None:
    first = frame(bytes([0x40 | 3]) + RESPONSE[:100])
    wrong = frame(bytes([0x80 | 9]) + RESPONSE[100:200])
    assert feed_all(Dnp3Dissector, [(False, first + wrong)], TCP) == []


def test_reassembly_limit() -> None:
    d = Dnp3Dissector(TCP)
    d.feed(frame(bytes([0x40]) + b"\x00" * 249), True, 0)
    with pytest.raises(LimitExceeded):
        for i in range(1, 300):
            d.feed(frame(bytes([i & 0x3F]) + b"\x00" * 249), True, 0)


def test_matches_is_strict() -> None:
    for from_orig, payload in conversation():
        assert Dnp3Dissector.matches(payload, TCP, from_orig)
    rng = random.Random(7)
    assert not any(Dnp3Dissector.matches(b"\x05\x64" + rng.randbytes(20), TCP, True)
                   for _ in range(20000))  # fmt: skip
    assert not any(Dnp3Dissector.matches(rng.randbytes(40), UDP, True) for _ in range(20000))
    assert not Dnp3Dissector.matches(segments(READ)[:9], TCP, True)


def test_schema_matches_event() -> None:
    from wirelens.schema.infra import TABLES

    schema, _ = TABLES["dnp3"]
    names = [f.name for f in dataclasses.fields(Dnp3Fragment) if f.name != "ts_ns"]
    assert schema.names[6:] == names


# -- real captures -------------------------------------------------------------------------------


def _fragments(path: Path) -> list[Dnp3Fragment]:
    out: list[Dnp3Fragment] = []
    for fl in flows(path):
        if not fl.chunks:
            continue
        first = fl.chunks[0]
        assert Dnp3Dissector.matches(first[1], fl.proto, first[0])
        d = Dnp3Dissector(fl.proto)
        for from_orig, payload, ts in fl.chunks:
            out += d.feed(payload, from_orig, ts)  # type: ignore[arg-type]
    return out


@needs_data
@pytest.mark.parametrize(
    ("trace", "expected"),
    [
        # Zeek's dnp3.log (fc_request, fc_reply, iin) for the same traces
        ("dnp3_udp_select_operate.pcap", [("SELECT", None), ("RESPONSE", 36864),
                                          ("OPERATE", None), ("RESPONSE", 36864),
                                          ("READ", None), ("RESPONSE", 36864)]),
        ("dnp3_udp_en_spon.pcap", [("ENABLE_UNSOLICITED", None), ("RESPONSE", 1)]),
        ("dnp3_file_write.pcap", [("OPEN_FILE", None), ("RESPONSE", 0), ("WRITE", None),
                                  ("RESPONSE", 0), ("CLOSE_FILE", None), ("RESPONSE", 0)]),
        ("dnp3_file_del.pcap", [("DELETE_FILE", None), ("RESPONSE", 0)]),
        ("dnp3_en_spon.pcap", [("ENABLE_UNSOLICITED", None), ("RESPONSE", 0)]),
    ],
)  # fmt: skip
def test_real_zeek_traces(trace: str, expected: list[tuple[str, int | None]]) -> None:
    frags = _fragments(ZEEK / "Traces" / "dnp3" / trace)
    assert [(f.func_name, f.iin) for f in frags] == expected


@needs_data
def test_real_multi_segment_response() -> None:
    """dnp3_udp_read.pcap: tshark shows response segments without an application header
    (continuations); Zeek logs READ/RESPONSE 36864 and a second RESPONSE 36864."""
    frags = _fragments(ZEEK / "Traces" / "dnp3" / "dnp3_udp_read.pcap")
    assert [(f.func_name, f.iin) for f in frags] == [("READ", None), ("RESPONSE", 36864),
                                                     ("RESPONSE", 36864)]  # fmt: skip
    assert max(f.segments for f in frags) > 1


# -- fuzz ----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, 700), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 720),
    junk=st.binary(max_size=40),
    step=st.integers(0, 40),
    proto=st.sampled_from([TCP, UDP]),
)
def test_fuzz_dnp3(
    edits: list[tuple[int, int]], cut: int, junk: bytes, step: int, proto: int
) -> None:
    """Invariant: any byte stream, in any split, yields Dnp3Fragments or raises ParseError
    (within the 250 ms deadline); ``matches`` never raises."""
    stream = bytearray(b"".join(p for _, p in conversation()))
    for pos, value in edits:
        if pos < len(stream):
            stream[pos] = value
    data = bytes(stream[:cut]) + junk
    Dnp3Dissector.matches(data, proto, True)
    try:
        events = feed_all(Dnp3Dissector, [(True, data)], proto, step if proto == TCP else 0)
    except ParseError:
        return
    assert all(isinstance(e, Dnp3Fragment) for e in events)
