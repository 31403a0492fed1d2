"""MQTT dissector: 3.1 / 3.1.1 / 5.0 sessions whole / byte-at-a-time / with junk, large
PUBLISH skipped unbuffered, real captures (zeek mqtt.pcap, nDPI, suricata-verify; checked
against tshark and zeek's mqtt_connect.log), fuzz."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import wl_mini_pcap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all

from wirelens.dissect.base import Event
from wirelens.dissect.mqtt import REDACTED, MqttDissector, MqttSession
from wirelens.schema.enterprise import TABLES
from wirelens.wire import BadValue, LimitExceeded, ParseError, TrailingJunk

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
SV = DATA / "suricata-verify" / "tests"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def s(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def connect(level: int = 4, user: bool = True, will: bool = False) -> bytes:
    name = s("MQIsdp") if level == 3 else s("MQTT")
    flags = 0x02 | (0xC0 if user else 0) | (0x04 if will else 0)
    props = b"\x00" if level == 5 else b""
    body = name + bytes([level, flags]) + (60).to_bytes(2, "big") + props + s("client-1")
    if will:
        body += props + s("last/will") + s("bye")
    if user:
        body += s("alice") + s("hunter2")
    return packet(0x10, body)


def connack(code: int = 0, level: int = 4) -> bytes:
    return packet(0x20, bytes([0, code]) + (b"\x00" if level == 5 else b""))


def subscribe(*topics: str, level: int = 4) -> bytes:
    props = b"\x00" if level == 5 else b""
    return packet(0x82, b"\x00\x01" + props + b"".join(s(t) + b"\x01" for t in topics))


def publish(topic: str, payload: bytes, qos: int = 0) -> bytes:
    return packet(0x30 | (qos << 1), s(topic) + (b"\x00\x07" if qos else b"") + payload)


def session(level: int = 4) -> list[tuple[bool, bytes]]:
    return [
        (True, connect(level, will=True)),
        (False, connack(0, level)),
        (True, subscribe("a/#", "b/+", level=level) + packet(0xC0, b"")),
        (False, packet(0x90, b"\x00\x01\x01\x01") + packet(0xD0, b"")),
        (True, publish("a/x", b"hello", qos=1) + publish("a/x", b"again")),
        (False, publish("b/y", b"z" * 300)),
        (True, packet(0xE0, b"")),
    ]


@pytest.mark.parametrize("level", [3, 4])
@pytest.mark.parametrize("step", [0, 1, 5])
def test_session_whole_and_split(level: int, step: int) -> None:
    (row,) = feed_all(MqttDissector, session(level), TCP, step=step)
    assert isinstance(row, MqttSession)
    assert row.protocol_name == ("MQIsdp" if level == 3 else "MQTT")
    assert row.protocol_version == ("3.1" if level == 3 else "3.1.1")
    assert (row.client_id, row.username, row.password) == ("client-1", "alice", REDACTED)
    assert row.clean_session and row.keep_alive == 60 and row.will_topic == "last/will"
    assert (row.connack_code, row.connack_name, row.session_present) == (0, "accepted", False)
    assert row.subscribe_topics == ("a/#", "b/+") and row.publish_topics == ("a/x", "b/y")
    assert row.n_publish == 3 and row.ts_ns == 1000
    assert row.packet_types[:4] == ("connect", "connack", "subscribe", "pingreq")
    assert "disconnect" in row.packet_types


def test_v5_properties_and_reason_codes() -> None:
    chunks = session(5)
    chunks[1] = (False, connack(0x86, 5))
    (row,) = feed_all(MqttDissector, chunks, TCP, step=3)
    assert isinstance(row, MqttSession)
    assert row.protocol_version == "5.0" and row.connack_name == "bad_user_name_or_password"
    assert row.subscribe_topics == ("a/#", "b/+")


def test_show_passwords() -> None:
    d = MqttDissector(TCP, show_passwords=True)
    d.feed(connect(), True, 0)
    (row,) = d.finish()
    assert isinstance(row, MqttSession) and row.password == "hunter2"
    d = MqttDissector(TCP)
    d.feed(connect(user=False), True, 0)
    (row,) = d.finish()
    assert isinstance(row, MqttSession) and row.password is None and row.username is None


def test_big_publish_is_skipped_not_buffered() -> None:
    d = MqttDissector(TCP)
    d.feed(connect(), True, 0)
    big = publish("cam/jpeg", b"\xff" * 1_000_000)
    d.feed(big[:100], True, 0)
    assert len(d._bufs[True]) == 0  # the topic was read, the payload is being skipped
    for i in range(100, len(big), 65536):
        d.feed(big[i : i + 65536], True, 0)
    d.feed(publish("next", b""), True, 0)
    (row,) = d.finish()
    assert isinstance(row, MqttSession) and row.publish_topics == ("cam/jpeg", "next")


def test_errors() -> None:
    with pytest.raises(BadValue):  # remaining length of five bytes
        MqttDissector(TCP).feed(b"\x10\xff\xff\xff\xff\x01", True, 0)
    with pytest.raises(BadValue):  # SUBSCRIBE with flags 0 (must be 0b0010)
        MqttDissector(TCP).feed(packet(0x80, b"\x00\x01" + s("t") + b"\x00"), True, 0)
    with pytest.raises(BadValue):
        MqttDissector(TCP).feed(publish("t", b"", qos=3), True, 0)
    with pytest.raises(TrailingJunk):  # CONNECT with bytes after the password
        MqttDissector(TCP).feed(packet(0x10, connect()[2:] + b"junk"), True, 0)
    with pytest.raises(LimitExceeded):
        MqttDissector(TCP).feed(b"\x10" + varint(1 << 20), True, 0)
    with pytest.raises(BadValue):
        MqttDissector(TCP).feed(b"\x00\x00", True, 0)


def test_truncated_waits_then_finish_reports_what_was_complete() -> None:
    d = MqttDissector(TCP)
    data = connect() + subscribe("x")
    assert d.feed(data[:-3], True, 7) == []
    (row,) = d.finish()
    assert isinstance(row, MqttSession) and row.client_id == "client-1"
    assert row.subscribe_topics == () and row.ts_ns == 7
    assert MqttDissector(TCP).finish() == []


def test_matches_is_strict() -> None:
    assert MqttDissector.matches(connect(), TCP, True)
    assert MqttDissector.matches(connect(3), TCP, True) and MqttDissector.matches(
        connect(5), TCP, True
    )
    assert not MqttDissector.matches(connect(), UDP, True)
    assert not MqttDissector.matches(connack(), TCP, False)
    assert not MqttDissector.matches(connect().replace(b"MQTT", b"MQTX"), TCP, True)
    assert not MqttDissector.matches(b"\x10\x80\x80\x80\x80\x80" + b"\x00" * 20, TCP, True)
    assert not MqttDissector.matches(b"\x10" + b"\x00" * 3, TCP, True)
    assert not MqttDissector.matches(connect()[:12].replace(b"\x04\xc2", b"\x04\xc3"), TCP, True)
    assert not MqttDissector.matches(connect()[:12].replace(b"\x04\xc2", b"\x07\xc2"), TCP, True)


def test_matches_keepalives_of_a_session_seen_from_its_middle() -> None:
    """Exactly a PINGREQ from the originator, or a PINGRESP to it (coap_mqtt.pcap: nDPI's
    MQTT flows that start with pings); nothing looser."""
    assert MqttDissector.matches(b"\xc0\x00", TCP, True)
    assert MqttDissector.matches(b"\xd0\x00", TCP, False)
    assert not MqttDissector.matches(b"\xc0\x00", TCP, False)  # a ping from the server
    assert not MqttDissector.matches(b"\xd0\x00", TCP, True)
    assert not MqttDissector.matches(b"\xc0\x00", UDP, True)
    assert not MqttDissector.matches(b"\xc0\x00\x00", TCP, True)  # more than the ping
    assert not MqttDissector.matches(b"\xc0\x01", TCP, True)
    d = MqttDissector(TCP)
    assert d.feed(b"\xc0\x00", True, 1) == [] and d.feed(b"\xd0\x00", False, 2) == []
    (row,) = d.finish()
    assert row.packet_types == ("pingreq", "pingresp") and row.client_id is None


def test_matches_publishes_of_a_session_seen_from_its_middle() -> None:
    """Whole packets opening with a PUBLISH with a valid topic name, from either side (a
    broker forwards, a client publishes); the rest of the payload whole packets too."""
    ok = [publish("a/b", b"x"), publish("bus/17/cmd", b'{"x":1}', qos=1),
          publish("t", b"", qos=2), publish("a/b", b"x") + packet(0x40, b"\x00\x02"),
          publish("a", b"y" * 200) + publish("b", b"z", qos=1) + packet(0xC0, b""),
          bytes([0x3B]) + publish("a/b", b"x", qos=1)[1:],  # DUP and RETAIN set, QoS 1
          publish("a", b"x", qos=2) + packet(0x62, b"\x00\x07")]  # PUBREL, flags 0b0010
    for payload in ok:
        assert MqttDissector.matches(payload, TCP, True)
        assert MqttDissector.matches(payload, TCP, False)
    bad = [publish("a/+", b"x"), publish("a/#", b"x"), publish("", b"x"),
           publish("a\x01b", b"x"), packet(0x30, b"\x00\x02\xff\xfe"),  # not UTF-8
           bytes([0x36]) + publish("a", b"x")[1:],  # QoS 3
           packet(0x32, s("a") + b"\x00\x00"),  # QoS 1, packet identifier 0
           publish("a/b", b"x")[:-1], publish("a/b", b"x") + b"\x00",  # cut, a byte more
           b"\x30\x85\x00" + s("a") + b"xx",  # Remaining Length in more bytes than needed
           packet(0x40, b"\x00\x02") + publish("a", b"x"),  # not a PUBLISH first
           publish("a", b"x") + packet(0x60, b"\x00\x02"),  # PUBREL without its 0b0010
           publish("a", b"x") * 17,  # more packets than are walked
           publish("a", b"x", qos=1)[:4],  # the topic past the packet
           b"200 OK, here is a line of text that is not MQTT at all\r\n",
           b"\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00"]  # LDAP bind
    for payload in bad:
        assert not MqttDissector.matches(payload, TCP, True), payload
    assert not MqttDissector.matches(publish("a/b", b"x"), UDP, True)
    d = MqttDissector(TCP)
    assert d.feed(publish("bus/17/cmd", b"{}", qos=1), True, 1) == []
    (row,) = d.finish()
    assert row.publish_topics == ("bus/17/cmd",) and row.client_id is None


@needs_data
def test_real_session_seen_from_its_middle() -> None:
    """nDPI coap_mqtt.pcap: a connection to a broker on port 17501 whose first payload is
    a PUBLISH the broker forwards (tshark: topic Bus17Cmd, QoS 1); nDPI says MQTT."""
    import wirelens

    pcap = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap" / "coap_mqtt.pcap"
    result = wirelens.analyze(pcap)
    conn = [c for c in result.table("conn").to_pylist() if 53524 in (c["orig_p"], c["resp_p"])]
    assert [(c["service"], c["service_source"]) for c in conn] == [("mqtt", "content")]
    rows = [r for r in result.table("mqtt").to_pylist() if r["uid"] == conn[0]["uid"]]
    assert [r["publish_topics"] for r in rows] == [["Bus17Cmd", "Bus17Info"]]


def test_schema_matches_event_fields() -> None:
    schema, doc = TABLES["mqtt"]
    names = [f.name for f in dataclasses.fields(MqttSession) if f.name != "ts_ns"]
    assert schema.names == ["ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p", *names]
    assert MqttSession.table == "mqtt" and doc


def _capture(path: Path) -> list[MqttSession]:
    out: list[MqttSession] = []
    for flow in wl_mini_pcap.flows(path):
        if (
            flow.proto != TCP
            or not flow.chunks
            or not MqttDissector.matches(flow.chunks[0][1], TCP, True)
        ):
            continue
        d = MqttDissector(TCP, show_passwords=True)
        for side, payload, ts in flow.chunks[:8]:  # the pipeline feeds the first ~8
            d.feed(payload, side, ts)
        out += [e for e in d.finish() if isinstance(e, MqttSession)]
    return out


@needs_data
def test_real_zeek_mqtt() -> None:
    """zeek mqtt_connect.log: two MQIsdp 3.1 connections, these client ids, accepted;
    tshark: SUBSCRIBE and PUBLISH to SampleTopic."""
    rows = _capture(DATA / "zeek" / "testing" / "btest" / "Traces" / "mqtt.pcap")
    assert sorted(r.client_id or "" for r in rows) == [
        "paho/34AAE54A75D839566E", "paho/DDE4DDAF4108D3E363",
    ]  # fmt: skip
    assert all(r.protocol_version == "3.1" and r.connack_name == "accepted" for r in rows)
    assert any(r.subscribe_topics == ("SampleTopic",) for r in rows)
    assert all(r.publish_topics == ("SampleTopic",) for r in rows)


@needs_data
def test_real_suricata_mqtt5_and_ndpi() -> None:
    """suricata-verify mqtt5-pub-mosquittoprops (eve: will topic 'willtopic', user 'user'),
    mqtt-connect-rules-2 (connack reason 134), nDPI mqtt.pcap (tshark: client id, topics)."""
    (row,) = _capture(SV / "mqtt5-pub-mosquittoprops" / "input.pcap")
    assert row.protocol_version == "5.0" and row.will_topic == "willtopic"
    assert (row.username, row.password, row.publish_topics) == ("user", "pass", ("topicX",))
    (row,) = _capture(SV / "mqtt-connect-rules-2" / "mqtt5_pub_jpeg_connack134.pcap")
    assert row.connack_code == 134 and row.connack_name == "bad_user_name_or_password"
    rows = _capture(DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap" / "mqtt.pcap")
    assert any(r.client_id == "cbaabcbabacbbbbbaaaaab" for r in rows)
    assert any("astr/s720/02D5050223D3/99" in r.subscribe_topics for r in rows)


@needs_data
def test_pipeline_mqtt_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered by monkeypatching, the dissector names the flows and fills its table."""
    import wirelens
    from wirelens.dissect import registry
    from wirelens.schema import SCHEMAS

    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, MqttDissector))
    monkeypatch.setitem(registry._BY_NAME, "mqtt", MqttDissector)
    for table, (schema, _) in TABLES.items():
        monkeypatch.setitem(SCHEMAS, table, schema)
    result = wirelens.analyze(DATA / "zeek" / "testing" / "btest" / "Traces" / "mqtt.pcap")
    rows = result.table("mqtt").to_pylist()
    assert sorted(r["client_id"] for r in rows) == [
        "paho/34AAE54A75D839566E",
        "paho/DDE4DDAF4108D3E363",
    ]
    assert all(r["publish_topics"] == ["SampleTopic"] and r["resp_p"] == 1883 for r in rows)
    assert [c["service"] for c in result.table("conn").to_pylist()] == ["mqtt", "mqtt"]


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([3, 4, 5]),
    st.integers(0, 6),
    st.lists(st.tuples(st.integers(0, 1 << 12), st.integers(0, 255)), max_size=6),
    st.integers(0, 600),
    st.binary(max_size=64),
    st.sampled_from([0, 1, 13]),
)
def test_fuzz(
    level: int, which: int, edits: list[tuple[int, int]], cut: int, extra: bytes, step: int
) -> None:
    """Invariant: any input, in any split, yields events or raises ParseError, within the
    deadline; ``matches`` never raises."""
    chunks = session(level)
    side, data = chunks[which]
    buf = bytearray(data)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    chunks[which] = (side, bytes(buf[:cut]) + extra)
    for _, payload in chunks:
        assert isinstance(MqttDissector.matches(payload, TCP, True), bool)
    try:
        out = feed_all(MqttDissector, chunks, TCP, step=step)
        assert all(isinstance(e, Event) for e in out)
    except ParseError:
        pass
