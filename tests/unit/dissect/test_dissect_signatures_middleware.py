"""Signatures of middleware, RPC and remote-debugging services (``signatures_middleware``):
JDWP, Java RMI, ActiveMQ OpenWire, Hadoop IPC, Gearman, FastCGI, ZooKeeper, rsync, STOMP,
NATS.

Synthetic messages are built field by field from the specifications the classes cite; each
negative breaks one checked fact. Real captures: the flows nDPI labels with each service, a
negative corpus (flows nDPI labels with another protocol) and the registry with and without
these classes (nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import json
import struct
from collections import Counter

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st
from test_dissect_signatures_captures import ndpi_samples
from wl_dissect_builders import mutate
from wl_strategies import uniform_bytes

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_middleware import (
    MIDDLEWARE_SIGNATURES,
    FastCgiDissector,
    GearmanDissector,
    HadoopIpcDissector,
    JavaRmiDissector,
    JdwpDissector,
    NatsDissector,
    OpenWireDissector,
    RsyncDissector,
    StompDissector,
    ZooKeeperDissector,
)

TCP = 6

# --- builders (facts from the specifications cited in the classes) -------------------------

JDWP = b"JDWP-Handshake"
ZK_WORDS = {b"ruok", b"stat", b"srvr", b"conf", b"cons", b"crst", b"dump", b"envi", b"mntr",
            b"wchs", b"wchc", b"wchp", b"dirs", b"isro", b"srst", b"gtmk", b"reqs"}


def jrmi(protocol: int = 0x4B, rest: bytes = b"", magic: bytes = b"JRMI",
         version: int = 2) -> bytes:
    return magic + struct.pack(">H", version) + bytes([protocol]) + rest


def rmi_ack(host: bytes = b"127.0.0.1", port: int = 34450, size: int | None = None) -> bytes:
    return (b"\x4e" + struct.pack(">H", len(host) if size is None else size) + host
            + struct.pack(">I", port))


def openwire(version: int = 12, props: bytes = b"\x01\x00\x00\x00\x08\x00\x0cCacheEnabled",
             magic: bytes = b"ActiveMQ", dtype: int = 1, delta: int = 0) -> bytes:
    body = bytes([dtype]) + magic + struct.pack(">I", version) + props
    return struct.pack(">I", len(body) + delta) + body


def hrpc(version: int = 9, auth: int = 0, frames: tuple[bytes, ...] = ()) -> bytes:
    return (b"hrpc" + bytes([version, 0, auth])
            + b"".join(struct.pack(">I", len(f)) + f for f in frames))


def gearman(magic: bytes = b"\x00REQ", kind: int = 1, args: bytes = b"wc",
            size: int | None = None) -> bytes:
    return magic + struct.pack(">II", kind, len(args) if size is None else size) + args


def fcgi_record(kind: int, content: bytes, padding: int = 0, version: int = 1,
                reserved: int = 0, req: int = 1) -> bytes:
    return (struct.pack(">BBHHBB", version, kind, req, len(content), padding, reserved)
            + content + bytes(padding))


def fcgi_begin(role: int = 1, flags: int = 0, body_reserved: bytes = bytes(5)) -> bytes:
    return fcgi_record(1, struct.pack(">HB", role, flags) + body_reserved)


def fcgi_params(pairs: dict[bytes, bytes]) -> bytes:
    return b"".join(bytes([len(k), len(v)]) + k + v for k, v in pairs.items())


FCGI_REQUEST = (fcgi_begin()
                + fcgi_record(4, fcgi_params({b"SCRIPT_FILENAME": b"/var/www/index.php",
                                              b"REQUEST_METHOD": b"GET"}), padding=3)
                + fcgi_record(4, b"") + fcgi_record(5, b""))


def zk_connect(session: int = 0, passwd: bytes = bytes(16), timeout: int = 30000,
               zxid: int = 0, read_only: bytes = b"\x00", version: int = 0,
               plen: int = 16, delta: int = 0) -> bytes:
    body = (struct.pack(">iqiqi", version, zxid, timeout, session, plen) + passwd + read_only)
    return struct.pack(">I", len(body) + delta) + body


def zk_response(session: int = 0x1000001ABCD, timeout: int = 30000,
                passwd: bytes = bytes(range(16)), read_only: bytes = b"\x00",
                plen: int = 16) -> bytes:
    body = struct.pack(">iiqi", 0, timeout, session, plen) + passwd + read_only
    return struct.pack(">I", len(body)) + body


def stomp(command: bytes = b"CONNECT", headers: tuple[bytes, ...] = (
        b"accept-version:1.2", b"host:broker.example.com"), eol: bytes = b"\n",
        end: bytes = b"\x00") -> bytes:
    return eol.join((command, *headers, b"", b"")) + end


def nats_info(**changes: object) -> bytes:
    obj: dict[str, object] = {"server_id": "NCXYZ", "server_name": "n1", "version": "2.10.4",
                              "proto": 1, "host": "0.0.0.0", "port": 4222, "max_payload": 1048576}
    obj.update(changes)
    return b"INFO " + json.dumps({k: v for k, v in obj.items() if v is not None}).encode() + b" \r\n"


def nats_connect(**changes: object) -> bytes:
    obj: dict[str, object] = {"verbose": False, "pedantic": False, "tls_required": False,
                              "name": "", "lang": "go", "version": "1.31.0", "protocol": 1}
    obj.update(changes)
    return (b"CONNECT " + json.dumps({k: v for k, v in obj.items() if v is not None}).encode()
            + b"\r\nPING\r\n")


POSITIVES: list[tuple[type[Dissector], bool, bytes]] = [
    (JdwpDissector, True, JDWP),
    (JdwpDissector, False, JDWP),
    (JavaRmiDissector, True, jrmi(0x4B)),
    (JavaRmiDissector, True, jrmi(0x4D)),
    (JavaRmiDissector, True, jrmi(0x4C)),
    (JavaRmiDissector, True, jrmi(0x4C, b"\x50\xac\xed\x00\x05")),
    (JavaRmiDissector, False, rmi_ack()),
    (OpenWireDissector, True, openwire()),
    (OpenWireDissector, False, openwire(10)),
    (HadoopIpcDissector, True, hrpc()),
    (HadoopIpcDissector, True, hrpc(auth=0xDF, frames=(b"\x1a\x08\x02\x10\x00",))),
    (GearmanDissector, True, gearman()),
    (GearmanDissector, False, gearman(b"\x00RES", 10, b"")),
    (GearmanDissector, True, gearman(kind=7, args=b"reverse\x00\x00hello") + gearman(kind=9, args=b"")),
    (FastCgiDissector, True, fcgi_begin()),
    (FastCgiDissector, True, FCGI_REQUEST),
    (ZooKeeperDissector, True, b"ruok"),
    (ZooKeeperDissector, True, b"mntr"),
    (ZooKeeperDissector, True, zk_connect()),
    (ZooKeeperDissector, True, zk_connect(read_only=b"")),
    (ZooKeeperDissector, True, zk_connect(session=0x1000001ABCD, passwd=bytes(range(16)), zxid=77)),
    (ZooKeeperDissector, False, zk_response()),
    (ZooKeeperDissector, False, zk_response(read_only=b"")),
    (RsyncDissector, True, b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n"),
    (RsyncDissector, False, b"@RSYNCD: 30.0\n"),
    (StompDissector, True, stomp()),
    (StompDissector, True, stomp(b"STOMP", eol=b"\r\n")),
    (StompDissector, True, stomp(headers=(b"login:guest", b"passcode:guest"), end=b"\x00\n")),
    (StompDissector, False, stomp(b"CONNECTED", (b"version:1.2", b"heart-beat:0,0", b"server:RabbitMQ/3.12"))),
    (NatsDissector, False, nats_info()),
    (NatsDissector, True, nats_connect()),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], bool, bytes, str]] = [
    (JdwpDissector, True, JDWP + b"\x00", "trailing byte"),
    (JdwpDissector, True, b"JDWP-handshake", "wrong case"),
    (JavaRmiDissector, True, jrmi(magic=b"JRMJ"), "bad magic"),
    (JavaRmiDissector, True, jrmi(version=1), "version 1"),
    (JavaRmiDissector, True, jrmi(0x4E), "protocol 0x4E"),
    (JavaRmiDissector, True, jrmi(0x4B, b"\x50"), "stream header followed by bytes"),
    (JavaRmiDissector, True, jrmi(0x4C, b"\x51"), "single-op with a non-message byte"),
    (JavaRmiDissector, False, rmi_ack(size=8), "host length short"),
    (JavaRmiDissector, False, rmi_ack(host=b"bad host"), "space in host"),
    (JavaRmiDissector, False, rmi_ack(port=70000), "port over 65535"),
    (JavaRmiDissector, False, rmi_ack(host=b""), "empty host"),
    (JavaRmiDissector, True, rmi_ack(), "ack from the client"),
    (OpenWireDissector, True, openwire(delta=1), "size one too large"),
    (OpenWireDissector, True, openwire(delta=-1), "size one too small"),
    (OpenWireDissector, True, openwire(magic=b"ActiveMX"), "bad magic"),
    (OpenWireDissector, True, openwire(dtype=2), "data type 2"),
    (OpenWireDissector, True, openwire(version=0), "version 0"),
    (OpenWireDissector, True, openwire(version=1000), "version 1000"),
    (HadoopIpcDissector, True, hrpc(version=8), "version 8"),
    (HadoopIpcDissector, True, hrpc(auth=1), "auth protocol 1"),
    (HadoopIpcDissector, True, hrpc(frames=(b"abc",)) + b"x", "frames not filling the segment"),
    (HadoopIpcDissector, True, hrpc(frames=(b"",)), "empty frame"),
    (HadoopIpcDissector, True, b"hrpC" + hrpc()[4:], "bad magic"),
    (GearmanDissector, True, gearman(b"\x00REX"), "bad magic"),
    (GearmanDissector, True, gearman(kind=0), "type 0"),
    (GearmanDissector, True, gearman(kind=43), "type 43"),
    (GearmanDissector, True, gearman(size=3), "size too large"),
    (GearmanDissector, True, gearman(size=1), "size too small"),
    (FastCgiDissector, True, fcgi_record(1, bytes([0, 1, 0, 0, 0, 0, 0, 0]), version=2), "version 2"),
    (FastCgiDissector, True, fcgi_record(4, bytes(8)), "first record PARAMS"),
    (FastCgiDissector, True, fcgi_record(1, bytes([0, 1, 0, 0, 0, 0, 0, 0, 0])), "content length 9"),
    (FastCgiDissector, True, fcgi_begin(role=4), "role 4"),
    (FastCgiDissector, True, fcgi_begin(role=0), "role 0"),
    (FastCgiDissector, True, fcgi_begin(flags=2), "flags 2"),
    (FastCgiDissector, True, fcgi_begin(body_reserved=b"\x00\x00\x01\x00\x00"), "body reserved"),
    (FastCgiDissector, True, fcgi_record(1, bytes([0, 1, 0, 0, 0, 0, 0, 0]), reserved=1), "reserved byte"),
    (FastCgiDissector, True, fcgi_begin() + fcgi_record(12, b""), "second record type 12"),
    (FastCgiDissector, True, fcgi_begin() + fcgi_record(4, b"", version=2), "second record version 2"),
    (FastCgiDissector, True, FCGI_REQUEST + b"\x01", "records not filling the segment"),
    (ZooKeeperDissector, True, b"ruox", "unknown word"),
    (ZooKeeperDissector, False, b"ruok", "word from the server"),
    (ZooKeeperDissector, True, b"ruok\n", "word with a newline"),
    (ZooKeeperDissector, True, zk_connect(delta=1), "length too large"),
    (ZooKeeperDissector, True, zk_connect(version=1), "protocol version 1"),
    (ZooKeeperDissector, True, zk_connect(timeout=0), "timeout 0"),
    (ZooKeeperDissector, True, zk_connect(zxid=-1), "negative zxid"),
    (ZooKeeperDissector, True, zk_connect(plen=15, passwd=bytes(15) + b"\x00"), "passwd length 15"),
    (ZooKeeperDissector, True, zk_connect(passwd=b"\x01" * 16), "new session with a passwd"),
    (ZooKeeperDissector, True, zk_connect(read_only=b"\x02"), "readOnly 2"),
    (ZooKeeperDissector, False, zk_connect(), "request from the server"),
    (ZooKeeperDissector, True, zk_response(), "response from the client"),
    (ZooKeeperDissector, False, zk_response(session=0), "response session 0"),
    (ZooKeeperDissector, False, zk_response(plen=17), "response passwd length 17"),
    (ZooKeeperDissector, False, zk_response(timeout=0), "response timeout 0"),
    (RsyncDissector, True, b"@RSYNCD: 31\n", "no minor version"),
    (RsyncDissector, True, b"@RSYNCD: 31.0", "no newline"),
    (RsyncDissector, True, b"@RSYNCD: x1.0\n", "non-digit major"),
    (RsyncDissector, True, b"@RSYNCD:31.0\n", "no space"),
    (RsyncDissector, True, b"@RSYNCD: 31.0 md5\x01\n", "control byte in digest list"),
    (StompDissector, True, stomp(b"CONNECTX"), "unknown command"),
    (StompDissector, True, stomp(end=b""), "no NUL"),
    (StompDissector, True, stomp(end=b"\x00body"), "bytes after the NUL"),
    (StompDissector, True, stomp(headers=(b"accept-version 1.2",)), "header without colon"),
    (StompDissector, True, stomp(headers=(b"x-custom:1",)), "no connection header"),
    (StompDissector, True, stomp(headers=(b":1.2", b"host:a")), "empty header name"),
    (StompDissector, True, stomp(headers=(b"host:a\x01",)), "control byte in header"),
    (StompDissector, True, stomp().replace(b"\n\n\x00", b"\n\x00"), "no blank line"),
    (NatsDissector, False, nats_info(server_id=None), "INFO without server_id"),
    (NatsDissector, False, nats_info(server_id=5), "server_id a number"),
    (NatsDissector, False, nats_info().replace(b" \r\n", b" \n"), "LF only"),
    (NatsDissector, False, nats_info().replace(b"INFO ", b"INFO"), "no space"),
    (NatsDissector, True, nats_connect(verbose=None), "CONNECT without verbose"),
    (NatsDissector, True, nats_connect(pedantic="no"), "pedantic a string"),
    (NatsDissector, True, nats_connect().replace(b"{", b"{{", 1), "bad JSON"),
]  # fmt: skip


def _accepted_prefixes(cls: type[Dissector], payload: bytes) -> tuple[bool, set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted)."""
    n = len(payload)
    if cls is JavaRmiDissector and payload[:7] == b"JRMI\x00\x02\x4c":
        return False, set(range(7, n))
    if cls is GearmanDissector:
        first = 12 + struct.unpack(">I", payload[8:12])[0]
        return True, {first}
    if cls is FastCgiDissector:
        ends, pos = set(), 0
        while pos < n:
            pos += 8 + struct.unpack(">H", payload[pos + 4 : pos + 6])[0] + payload[pos + 6]
            ends.add(pos)
        return True, ends
    if cls is HadoopIpcDissector:
        return True, {7}
    if cls is RsyncDissector:
        return False, set()
    if cls is NatsDissector and payload.startswith(b"CONNECT"):
        return False, set(range(payload.index(b"\r\n") + 2, n))
    if cls is NatsDissector:
        return False, set()
    if cls is StompDissector:
        return True, set(range(payload.index(b"\x00") + 1, n))
    if cls is ZooKeeperDissector and n == 49:
        return True, set()
    return True, set()


def _id(case: tuple) -> str:  # type: ignore[type-arg]
    return f"{case[0].name}-{'orig' if case[1] else 'resp'}"


@sf.positives(POSITIVES, _id)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], bool, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    cls, side, payload = case
    # (a ConnectRequest has the header shape of a Kafka Produce v0 request with an empty
    # client id, which the Kafka test refuses for that reason)
    sf.check_identified_on_any_ports(cls, TCP, payload, MIDDLEWARE_SIGNATURES, side=side)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], bool, bytes, str]) -> None:
    cls, side, payload, why = case
    # (a side's message sent by the other side is a negative of its own, some are positives)
    sf.check_refuses(cls, TCP, payload, why, sides=(side,))


@sf.positives(POSITIVES, _id)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], bool, bytes]) -> None:
    """Every prefix gives a bool; cut messages are refused (except whole-message prefixes);
    exact-length tests refuse appended junk."""
    cls, side, payload = case
    sf.check_truncations(cls, TCP, payload, *_accepted_prefixes(cls, payload), side=side)


@sf.positives(POSITIVES, _id)
def test_feed_is_identification_only(case: tuple[type[Dissector], bool, bytes]) -> None:
    cls, side, payload = case
    # FastCGI reads on for its params' host (test_fastcgi_names_the_flow)
    sf.check_feed_identification_only(cls, TCP, payload, side=side,
                                      done=None if cls is FastCgiDissector else True)


@pytest.mark.parametrize(("params", "name"), [
    ({b"HTTP_HOST": b"API.example.org:8080", b"SERVER_NAME": b"backend"}, "api.example.org"),
    ({b"SERVER_NAME": b"www.example.net"}, "www.example.net"),
    ({b"REQUEST_METHOD": b"GET"}, None),
])
def test_fastcgi_names_the_flow(params: dict[bytes, bytes], name: str | None) -> None:
    """HTTP_HOST, else SERVER_NAME, of the request's params, read across segments (the
    BEGIN_REQUEST record alone first, as real servers send it); done at the params' end."""
    d = FastCgiDissector(TCP)
    assert d.feed(fcgi_begin(), True, 0) == [] and not d.done
    d.feed(fcgi_record(4, fcgi_params(params)) + fcgi_record(4, b""), True, 0)
    assert d.done and d.server_name == name


def test_module_facts() -> None:
    names = [c.name for c in MIDDLEWARE_SIGNATURES]
    assert names == ["jdwp", "java_rmi", "openwire", "hadoop_ipc", "gearman", "fastcgi",
                     "zookeeper", "rsync", "stomp", "nats"]
    assert all(c in registry.DISSECTORS for c in MIDDLEWARE_SIGNATURES)
    for cls in MIDDLEWARE_SIGNATURES:
        assert cls.transports == {TCP} and cls.ports and cls.__doc__
        assert "matches" in cls.__doc__ and cls.first_bytes


def test_fastcgi_and_hadoop_share_port_9000() -> None:
    """Port 9000 is a tie-break only: each payload is named by its content."""
    assert registry.identify(FCGI_REQUEST, TCP, True, 40000, 9000) is FastCgiDissector
    assert registry.identify(hrpc(), TCP, True, 40000, 9000) is HadoopIpcDissector


@pytest.mark.parametrize("cls", MIDDLEWARE_SIGNATURES, ids=sf.name_of)
@sf.FUZZ
@given(uniform_bytes(300), st.booleans())
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, side: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, TCP, side)


@sf.FUZZ
@given(st.sampled_from(MIDDLEWARE_SIGNATURES), sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, TCP, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    changed = mutate(POSITIVES[index][2], edits)
    for cls in MIDDLEWARE_SIGNATURES:
        sf.fuzz_invariant(cls, TCP, changed)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS, needs_data = sf.DATA, sf.CFGS, sf.needs_data

NDPI_LABELS = {
    "jdwp": {"JDWP"}, "java_rmi": {"JRMI"}, "openwire": {"OpenWire"},
    "hadoop_ipc": {"Hadoop"}, "gearman": {"Gearman"}, "fastcgi": {"FastCGI"},
    "zookeeper": {"ZooKeeper", "Zookeeper"}, "rsync": {"Rsync", "RSYNC"},
    "stomp": {"STOMP"}, "nats": {"NATS"},
}  # fmt: skip
"""nDPI's master-protocol labels per service (those without a capture: nDPI's usual names)."""


# (hits, total) on the flows nDPI labels with the service: every labelled flow is claimed.
# jdwp, hadoop_ipc, zookeeper, rsync, stomp, nats 0/0: no nDPI capture carries them, and no
# zeek / suricata-verify / tcpdump / nfstream capture is named after them (only synthetic
# positives test them).
NDPI_EXPECTED = {
    "jdwp": (0, 0), "java_rmi": (1, 1), "openwire": (1, 1), "hadoop_ipc": (0, 0),
    "gearman": (1, 1), "fastcgi": (1, 1), "zookeeper": (0, 0), "rsync": (0, 0),
    "stomp": (0, 0), "nats": (0, 0),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(MIDDLEWARE_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


@needs_data
def test_ndpi_positives_both_sides() -> None:
    """Both first payloads of the four labelled flows are claimed (client and server)."""
    for s in ndpi_samples():
        if s.label in {"JRMI", "OpenWire", "Gearman"}:
            cls = registry.DISSECTORS[[c.name for c in registry.DISSECTORS].index(
                next(n for n, ls in NDPI_LABELS.items() if s.label in ls))]
            assert all(cls.matches(d, s.proto, side) for side, d in s.firsts), s


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow labelled with another protocol, or an unlabelled flow."""
    hits, unlabelled = sf.corpus_hits(MIDDLEWARE_SIGNATURES, NDPI_LABELS)
    assert hits == {} and unlabelled == {}


NEW_SIDES: dict[str, int] = {"fastcgi": 1, "gearman": 2, "java_rmi": 2, "openwire": 2}
"""First payloads (per side) the registry names only with these classes, per service: both
sides of the nDPI JRMI, OpenWire and Gearman flows; the client side of the FastCGI flow (the
server's first record is FCGI_STDOUT, not claimed)."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, MIDDLEWARE_SIGNATURES)
    assert changed == Counter()
    assert dict(new) == NEW_SIDES


def test_four_letter_words_table() -> None:
    from wirelens.dissect.signatures_middleware import _ZK_WORDS

    assert set(_ZK_WORDS) == ZK_WORDS
