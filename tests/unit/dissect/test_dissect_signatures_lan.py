"""Signatures of LAN services, discovery and voice or game chat (``signatures_lan``):
NetBIOS datagrams, SQL Server browser (SSRP), CAPWAP control, LISP control, DNSCrypt,
TeamSpeak 3, Mumble, Discord IP discovery, Ubiquiti discovery.

Synthetic messages are built field by field from the specifications the classes cite; each
negative breaks one checked fact. Real captures: the flows nDPI labels with each service,
a negative corpus (flows nDPI labels with another protocol) and the registry with and
without these classes.

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import struct
from collections import Counter

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st
from test_dissect_signatures_captures import Sample

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_lan import (
    LAN_SIGNATURES,
    CapwapControlDissector,
    DiscordDissector,
    DnscryptDissector,
    LispDissector,
    MssqlBrowserDissector,
    MumbleDissector,
    NetbiosDgmDissector,
    TeamspeakDissector,
    UbiquitiDiscoveryDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the specifications cited in the classes) --------------------------


def nb_name(name: bytes, suffix: int = 0x00, scope: bytes = b"") -> bytes:
    """First-level encoded NetBIOS name (RFC 1001 §14.1) with scope labels."""
    raw = name.ljust(15, b" ")[:15] + bytes([suffix])
    enc = b"".join(bytes((0x41 + (b >> 4), 0x41 + (b & 0xF))) for b in raw)
    labels = b"".join(bytes([len(p)]) + p for p in scope.split(b".") if p)
    return b"\x20" + enc + labels + b"\x00"


MAILSLOT = b"\xffSMB%" + bytes(27) + b"\\MAILSLOT\\BROWSE\x00\x01\x00\x80\xfc\x0a\x00HOST\x00"


def nbdgm(kind: int = 0x11, flags: int = 0x02, offset: int = 0, data: bytes = MAILSLOT,
          src: bytes | None = None, dst: bytes | None = None, size: int | None = None) -> bytes:
    """RFC 1002 §4.4.2 direct / broadcast datagram."""
    names = (nb_name(b"ALICE") if src is None else src) + (
        nb_name(b"WORKGROUP", 0x1D) if dst is None else dst)
    body = struct.pack(">H", offset) + names + data
    return (bytes([kind, flags]) + struct.pack(">H", 0x1234) + bytes((10, 0, 0, 5))
            + struct.pack(">HH", 138, len(body) - 2 if size is None else size) + body)


def nbquery(kind: int = 0x14, name: bytes | None = None, flags: int = 0x02) -> bytes:
    """RFC 1002 §4.4.4 query request / responses: header and the destination name."""
    return (bytes([kind, flags]) + struct.pack(">H", 7) + bytes((10, 0, 0, 5))
            + struct.pack(">H", 138) + (nb_name(b"FILESRV", 0x20) if name is None else name))


SSRP_TEXT = (b"ServerName;SQL1;InstanceName;MSSQLSERVER;IsClustered;No;Version;15.0.2000.5;"
             b"tcp;1433;;")


def ssrp_resp(text: bytes = SSRP_TEXT, size: int | None = None) -> bytes:
    return b"\x05" + struct.pack("<H", len(text) if size is None else size) + text


def capwap(kind: int = 1, elements: bytes = b"\x00\x14\x00\x01\x00", radio_mac: bool = False,
           wbid: int = 1, flags: int = 0, size: int | None = None, enterprise: int = 0,
           ctl_flags: int = 0) -> bytes:
    """RFC 5415 §4.3 header (HLEN 2, or 4 with a radio MAC) + §4.5.1 control header."""
    hlen = 4 if radio_mac else 2
    word = (hlen << 19) | (wbid << 9) | flags | (0x10 if radio_mac else 0)
    head = struct.pack(">II", word, 0)
    if radio_mac:
        head += b"\x06\x00\x11\x22\x33\x44\x55\x00"
    rest = 3 + len(elements)
    return (head + struct.pack(">IBHB", (enterprise << 8) | kind, 7,
                               rest if size is None else size, ctl_flags) + elements)


def lisp_record(eid: bytes = b"\x00\x01\x0a\x00\x00\x00", locators: int = 1,
                mask: int = 24) -> bytes:
    """RFC 9301 §5.4 record: TTL, locator count, mask-len, ACT/A, map-version, EID, RLOCs."""
    locs = b"".join(b"\x01\x64\xff\x00\x00\x05\x00\x01" + bytes((192, 0, 2, i))
                    for i in range(locators))
    return struct.pack(">IBBHH", 1440, locators, mask, 0, 0) + eid + locs


def lisp_register(kind: int = 3, auth: int = 20, records: int = 1, flags: int = 0x01,
                  byte1: int = 0, site: bool = False, auth_len: int | None = None) -> bytes:
    """Map-Register (3) / Map-Notify (4): header, nonce, key id, auth length, auth data."""
    first = (kind << 4) | (0x02 if kind == 3 and site else 0x08 if site else 0)
    return (bytes([first, byte1, flags, records]) + bytes(range(8)) + struct.pack(
        ">HH", 1, auth if auth_len is None else auth_len) + b"\xaa" * auth
        + lisp_record() * records + (bytes(24) if site else b""))


def lisp_reply(records: int = 1, byte1: int = 0) -> bytes:
    return bytes([0x20, byte1, 0, records]) + bytes(range(8)) + lisp_record(locators=2) * records


def lisp_request(irc: int = 0, records: int = 1, mapreply: bool = False) -> bytes:
    """Map-Request: header, nonce, source EID, IRC + 1 ITR-RLOCs, EID records."""
    first = 0x10 | (0x04 if mapreply else 0)
    return (bytes([first, 0, irc, records]) + bytes(range(8)) + b"\x00\x00"
            + b"\x00\x01\xc0\x00\x02\x01" * (irc + 1)
            + b"\x00\x20\x00\x01\x0a\x01\x02\x03" * records
            + (lisp_record() if mapreply else b""))


def lisp_tcp(kind: int = 17, data: bytes = b"\x00\x00\x00", msg_id: int = 1) -> bytes:
    """A reliable-transport message: type, length of the whole, message id, data, End
    Marker."""
    return (kind.to_bytes(2, "big") + (12 + len(data)).to_bytes(2, "big")
            + msg_id.to_bytes(4, "big") + data + b"\x9f\xac\xad\xe9")


DNSCRYPT = b"r6fnvWj8" + bytes(range(24)) + bytes(range(100, 180))


def ts3_client(step: int, body: bytes | None = None) -> bytes:
    if body is None:
        body = {0: b"\x5f\x59\x16\xe0\xad\xe7\x6b\x61" + bytes(8), 2: bytes(range(20)),
                4: bytes(296) + b"clientinitiv alpha=AAAA omega=BBBB ot=1 ip"}[step]
    return b"TS3INIT1\x00\x65\x00\x00\x88" + b"\x0d\xd0\x57\x66" + bytes([step]) + body


def ts3_server(step: int) -> bytes:
    return b"TS3INIT1\x00\x65\x88" + bytes([step]) + bytes(20 if step == 1 else 232)


def mumble_reply(version: bytes = b"\x00\x01\x04\x00", users: int = 3, most: int = 100,
                 bandwidth: int = 558000) -> bytes:
    return version + bytes(range(1, 9)) + struct.pack(">III", users, most, bandwidth)


def discord(kind: int = 2, address: bytes = b"90.186.132.133", port: int = 50123,
            size: int = 70) -> bytes:
    return struct.pack(">HHI", kind, size, 0x0003CFA8) + address.ljust(64, b"\x00") + (
        struct.pack(">H", port))


def ubnt(version: int = 1, command: int = 0, tlvs: bytes | None = None,
         size: int | None = None) -> bytes:
    if tlvs is None:
        tlvs = (b"\x02\x00\x0a" + b"\x24\xa4\x3c\x01\x02\x03" + bytes((192, 168, 1, 20))
                + b"\x01\x00\x06\x24\xa4\x3c\x01\x02\x03" + b"\x0b\x00\x07UniFiAP"
                + b"\x0c\x00\x04U7PG")
    return bytes([version, command]) + struct.pack(">H", len(tlvs) if size is None else size) + (
        tlvs)


# (class, transport, payload): each is identified as its class by the registry
POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (NetbiosDgmDissector, UDP, nbdgm(0x11)),
    (NetbiosDgmDissector, UDP, nbdgm(0x10, flags=0x0E)),
    (NetbiosDgmDissector, UDP, nbdgm(0x12, dst=nb_name(b"*", 0, b"corp.example"))),
    (NetbiosDgmDissector, UDP, nbdgm(0x11, flags=0x00, offset=80)),
    (NetbiosDgmDissector, UDP, nbquery(0x14)),
    (NetbiosDgmDissector, UDP, nbquery(0x15)),
    (NetbiosDgmDissector, UDP, nbquery(0x16)),
    (MssqlBrowserDissector, UDP, ssrp_resp()),
    (MssqlBrowserDissector, UDP, b"\x04SQLEXPRESS\x00"),
    (MssqlBrowserDissector, UDP, b"\x0f\x01SQLEXPRESS\x00"),
    (CapwapControlDissector, UDP, capwap(1)),
    (CapwapControlDissector, UDP, capwap(2, radio_mac=True)),
    (CapwapControlDissector, UDP, capwap(26, elements=b"")),
    (LispDissector, UDP, lisp_register()),
    (LispDissector, UDP, lisp_register(auth=0, records=2)),
    (LispDissector, UDP, lisp_register(site=True)),
    (LispDissector, UDP, lisp_register(kind=4, auth=32, flags=0)),
    (LispDissector, UDP, lisp_reply()),
    (LispDissector, UDP, lisp_request()),
    (LispDissector, UDP, lisp_request(irc=1, records=2, mapreply=True)),
    (LispDissector, TCP, lisp_tcp(20, msg_id=0)),  # a Map-Server's Registration Refresh
    (LispDissector, TCP, lisp_tcp(17, bytes(88)) + lisp_tcp(17, bytes(100), 2)),
    (LispDissector, TCP, lisp_tcp(16, b"")),
    (DnscryptDissector, UDP, DNSCRYPT),
    (DnscryptDissector, TCP, struct.pack(">H", len(DNSCRYPT)) + DNSCRYPT),
    (TeamspeakDissector, UDP, ts3_client(0)),
    (TeamspeakDissector, UDP, ts3_client(2)),
    (TeamspeakDissector, UDP, ts3_client(4)),
    (TeamspeakDissector, UDP, ts3_server(1)),
    (TeamspeakDissector, UDP, ts3_server(3)),
    (MumbleDissector, UDP, mumble_reply()),
    (DiscordDissector, UDP, discord(1, b"", 0)),
    (DiscordDissector, UDP, discord(2)),
    (DiscordDissector, UDP, b"\x13\x37\xca\xfe\x0e\x00\x00\x00"),
    (UbiquitiDiscoveryDissector, UDP, ubnt()),
    (UbiquitiDiscoveryDissector, UDP, ubnt(2, 0x06)),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (NetbiosDgmDissector, UDP, nbdgm(0x13), "error datagram type"),
    (NetbiosDgmDissector, UDP, nbdgm(0x17), "type 0x17"),
    (NetbiosDgmDissector, UDP, nbdgm(flags=0x12), "unused flag bit"),
    (NetbiosDgmDissector, UDP, nbdgm(size=300), "DGM_LENGTH"),
    (NetbiosDgmDissector, UDP, nbdgm(offset=4), "first fragment with an offset"),
    (NetbiosDgmDissector, UDP, nbdgm(src=b"\x21" + nb_name(b"A")[1:] + b"\x00"),
     "name length 0x21"),
    (NetbiosDgmDissector, UDP, nbdgm(dst=b"\x20" + b"Q" * 32 + b"\x00"), "letter Q"),
    (NetbiosDgmDissector, UDP, nbdgm(dst=b"\x20" + b"A" * 32 + b"\x40" + b"a" * 64 + b"\x00"),
     "scope label over 63"),
    (NetbiosDgmDissector, UDP, nbquery() + b"\x00", "query with a trailing byte"),
    (NetbiosDgmDissector, UDP, nbquery(0x14, flags=0x42), "query unused flag bit"),
    (MssqlBrowserDissector, UDP, ssrp_resp(size=10), "RESP_SIZE"),
    (MssqlBrowserDissector, UDP, ssrp_resp(b"Server;" + SSRP_TEXT[11:]), "ServerName key"),
    (MssqlBrowserDissector, UDP, ssrp_resp(SSRP_TEXT.replace(b"Version", b"Versio")),
     "Version key"),
    (MssqlBrowserDissector, UDP, ssrp_resp(SSRP_TEXT + b"\x01"), "non-printable text"),
    (MssqlBrowserDissector, UDP, b"\x02", "CLNT_BCAST_EX alone"),
    (MssqlBrowserDissector, UDP, b"\x03", "CLNT_UCAST_EX alone"),
    (MssqlBrowserDissector, UDP, b"\x04\x00", "empty instance name"),
    (MssqlBrowserDissector, UDP, b"\x04" + b"A" * 33 + b"\x00", "instance name over 32"),
    (MssqlBrowserDissector, UDP, b"\x04SQL\x01X\x00", "non-printable instance name"),
    (MssqlBrowserDissector, UDP, b"\x04SQLEXPRESS", "no NUL"),
    (MssqlBrowserDissector, UDP, b"\x0f\x02SQLEXPRESS\x00", "DAC protocol version 2"),
    (CapwapControlDissector, UDP, b"\x01" + capwap(1)[1:], "DTLS preamble"),
    (CapwapControlDissector, UDP, capwap(1, wbid=3), "WBID 3"),
    (CapwapControlDissector, UDP, capwap(1, flags=0x100), "T flag"),
    (CapwapControlDissector, UDP, capwap(1, flags=0x01), "reserved flag bit"),
    (CapwapControlDissector, UDP, capwap(27), "message type 27"),
    (CapwapControlDissector, UDP, capwap(0), "message type 0"),
    (CapwapControlDissector, UDP, capwap(1, enterprise=14179), "enterprise number"),
    (CapwapControlDissector, UDP, capwap(1, size=99), "message element length"),
    (CapwapControlDissector, UDP, capwap(1, ctl_flags=1), "control flags"),
    (LispDissector, UDP, lisp_register(records=0), "record count 0"),
    (LispDissector, UDP, lisp_register(auth_len=24, auth=20), "auth length 24"),
    (LispDissector, UDP, lisp_register(byte1=1), "reserved bits"),
    (LispDissector, UDP, lisp_register() + b"\x00", "trailing byte"),
    (LispDissector, UDP, lisp_register(records=1)[:-1], "record cut"),
    (LispDissector, UDP, lisp_reply(byte1=0x80), "Map-Reply reserved bits"),
    (LispDissector, UDP, b"\x50" + lisp_reply()[1:], "type 5"),
    (LispDissector, UDP, b"\x21" + lisp_reply()[1:], "Map-Reply reserved flag bit"),
    (LispDissector, UDP, b"\x33" + lisp_register()[1:], "Map-Register reserved flag bit"),
    (LispDissector, UDP, b"\x42" + lisp_register(4)[1:], "Map-Notify reserved flag bit"),
    (LispDissector, UDP, b"\x10\x00\x02\x01" + lisp_request(irc=1)[4:], "ITR-RLOC count"),
    (LispDissector, TCP, lisp_tcp(31), "reliable transport type 31"),
    (LispDissector, TCP, lisp_tcp(15), "reliable transport type 15"),
    (LispDissector, TCP, lisp_tcp()[:-1] + b"\x00", "End Marker"),
    (LispDissector, TCP, lisp_tcp() + b"\x00", "a byte after the message"),
    (LispDissector, TCP, lisp_tcp()[:-2], "message cut"),
    (LispDissector, TCP, b"\x00\x11\x00\x08" + bytes(4) + b"\x9f\xac\xad\xe9", "length 8"),
    (LispDissector, TCP, lisp_register(), "a UDP message"),
    (LispDissector, UDP, lisp_tcp(), "a TCP message"),
    (DnscryptDissector, UDP, b"r6fnvWj9" + DNSCRYPT[8:], "magic"),
    (DnscryptDissector, UDP, DNSCRYPT[:59], "too short"),
    (DnscryptDissector, TCP, struct.pack(">H", 50) + DNSCRYPT, "TCP length below"),
    (DnscryptDissector, TCP, DNSCRYPT, "TCP without a length prefix"),
    (TeamspeakDissector, UDP, b"TS3INIT2" + ts3_client(0)[8:], "MAC"),
    (TeamspeakDissector, UDP, ts3_client(0)[:9] + b"\x66" + ts3_client(0)[10:], "packet id"),
    (TeamspeakDissector, UDP, ts3_client(0)[:12] + b"\x08" + ts3_client(0)[13:], "type"),
    (TeamspeakDissector, UDP, ts3_client(1, bytes(16)), "client step 1"),
    (TeamspeakDissector, UDP, ts3_client(0) + b"\x00", "step 0 size"),
    (TeamspeakDissector, UDP, ts3_client(0, bytes(8) + b"\x01" + bytes(7)), "step 0 reserved"),
    (TeamspeakDissector, UDP, ts3_client(4, bytes(200)), "step 4 too short"),
    (TeamspeakDissector, UDP, ts3_server(1) + b"\x00", "server step 1 size"),
    (TeamspeakDissector, UDP, ts3_server(2), "server step 2"),
    (MumbleDissector, UDP, bytes(4) + bytes(range(1, 9)), "ping request"),
    (MumbleDissector, UDP, mumble_reply(b"\x00\x02\x04\x00"), "major 2"),
    (MumbleDissector, UDP, mumble_reply(users=101), "users over max"),
    (MumbleDissector, UDP, mumble_reply(most=0, users=0), "max users 0"),
    (MumbleDissector, UDP, mumble_reply(bandwidth=0), "bandwidth 0"),
    (MumbleDissector, UDP, mumble_reply() + b"\x00", "size 25"),
    (DiscordDissector, UDP, discord(3), "type 3"),
    (DiscordDissector, UDP, discord(size=71), "length 71"),
    (DiscordDissector, UDP, discord(address=b"1.2.3.4\x00x"), "NUL inside the address"),
    (DiscordDissector, UDP, discord(address=b"1.2.3.4\x01"), "non-printable address"),
    (DiscordDissector, UDP, discord(2, b""), "response without an address"),
    (DiscordDissector, UDP, discord(2, port=0), "response port 0"),
    (DiscordDissector, UDP, discord() + b"\x00", "size 75"),
    (DiscordDissector, UDP, b"\x13\x37\xca\xfe\x0e\x00\x00", "keep-alive of 7 bytes"),
    (DiscordDissector, UDP, b"\x13\x37\xca\xfe\x0e\x00\x00\x00\x00", "keep-alive of 9 bytes"),
    (DiscordDissector, UDP, b"\x13\x37\xca\xff\x0e\x00\x00\x00", "other magic"),
    (UbiquitiDiscoveryDissector, UDP, b"\x01\x00\x00\x00", "version 1 request"),
    (UbiquitiDiscoveryDissector, UDP, ubnt(command=1), "version 1 command 1"),
    (UbiquitiDiscoveryDissector, UDP, ubnt(2, 0x07), "version 2 command 7"),
    (UbiquitiDiscoveryDissector, UDP, ubnt(3), "version 3"),
    (UbiquitiDiscoveryDissector, UDP, ubnt(size=5), "length"),
    (UbiquitiDiscoveryDissector, UDP, ubnt(tlvs=b"\x02\x00\x03ab"), "TLV overruns"),
    (UbiquitiDiscoveryDissector, UDP, ubnt(tlvs=b"\x00\x00\x01a"), "TLV type 0"),
    (UbiquitiDiscoveryDissector, UDP, ubnt(tlvs=b"\x31\x00\x01a"), "TLV type 0x31"),
]  # fmt: skip


def _accepted_prefixes(cls: type[Dissector], proto: int,
                       payload: bytes) -> tuple[bool, set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted)."""
    n = len(payload)
    if cls is DnscryptDissector:
        return False, set(range(60 + (2 if proto == TCP else 0), n))
    if cls is TeamspeakDissector and n > 244:
        return False, set(range(314, n))
    if cls is LispDissector and proto == TCP:  # (whole messages: the first alone too)
        return True, {int.from_bytes(payload[2:4], "big")}
    return True, set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    sf.check_identified_on_any_ports(*case, LAN_SIGNATURES)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Every prefix gives a bool; prefixes cutting the fixed part are refused; exact-length
    tests refuse appended junk."""
    cls, proto, payload = case
    sf.check_truncations(cls, proto, payload, *_accepted_prefixes(cls, proto, payload))


@sf.positives(POSITIVES)
def test_feed_is_identification_only(case: tuple[type[Dissector], int, bytes]) -> None:
    cls, proto, payload = case
    if cls is NetbiosDgmDissector:  # a whole datagram names it (test_netbios_dgm_names_...)
        sf.check_feed_identification_only(cls, proto, payload, name=sf.SOME, same_name=False)
    else:
        sf.check_feed_identification_only(cls, proto, payload)


def test_netbios_dgm_names_the_destination() -> None:
    """The destination name, decoded by the NetBIOS name service dissector (15 name bytes,
    the suffix byte left out)."""
    for payload, want in ((nbdgm(), "WORKGROUP"), (nbquery(), "FILESRV"),
                          (nbdgm(dst=nb_name(b"*", 0, b"corp.example")), "*")):
        d = NetbiosDgmDissector(UDP)
        assert d.feed(payload, True, 1) == [] and d.done
        assert d.server_name == want
        assert d.name_source == "netbios_name"
    d = NetbiosDgmDissector(UDP)
    d.feed(b"\x11junk", True, 1)
    assert d.done and d.server_name is None


def test_module_facts() -> None:
    names = [c.name for c in LAN_SIGNATURES]
    assert names == ["teamspeak", "discord", "capwap_control", "lisp", "netbios_dgm",
                     "mssql_browser", "ubiquiti_discovery", "mumble", "dnscrypt"]
    assert all(c in registry.DISSECTORS for c in LAN_SIGNATURES)
    for cls in LAN_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.ports and cls.__doc__
        assert "matches" in cls.__doc__ and cls.first_bytes


@pytest.mark.parametrize("cls", LAN_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


@sf.FUZZ
@given(st.sampled_from(LAN_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(LAN_SIGNATURES, proto, payload, edits)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS, needs_data = sf.DATA, sf.CFGS, sf.needs_data

NDPI_LABELS = {
    "netbios_dgm": {"NetBIOS"}, "mssql_browser": set(), "capwap_control": {"CAPWAP"},
    "lisp": {"LISP"}, "dnscrypt": {"DNScrypt"}, "teamspeak": {"TeamSpeak"},
    "mumble": {"Mumble"}, "discord": {"Discord"}, "ubiquiti_discovery": {"Ubiquiti"},
}  # fmt: skip
"""nDPI's master-protocol labels per service (nDPI has no SSRP label: its SQL label is the
TDS stream)."""


def _in_scope(name: str, s: Sample) -> bool:
    """NetBIOS: nDPI's one label covers the name service (137, ``netbios_ns``) and the
    session service (139 / 445, read by ``smb``) too; only the datagram flows (UDP 138)
    are this class's."""
    return name != "netbios_dgm" or (s.proto == UDP and 138 in (s.orig[1], s.resp[1]))


# (hits, total) on the flows nDPI labels with the service. Misses, each explained:
# - netbios_dgm 4/7 (UDP 138 flows): the 3 misses are in fuzz-2006-06-26-2594.pcap, whose
#   datagrams have corrupted encoded names (bytes outside 'A'..'P').
# - capwap_control 2/4: one flow starts with DTLS (preamble type 1: encrypted control) and
#   one is the UDP 5247 data channel.
# - teamspeak 1/2: the miss is a 4-byte datagram on UDP 2010/2011 (no TS3INIT1 header).
# - mssql_browser, ubiquiti_discovery 0/0: no nDPI capture carries them under a label.
NDPI_EXPECTED = {
    "netbios_dgm": (4, 7), "mssql_browser": (0, 0), "capwap_control": (2, 4), "lisp": (4, 4),
    "dnscrypt": (4, 4), "teamspeak": (1, 2), "mumble": (2, 2), "discord": (34, 34),
    "ubiquiti_discovery": (0, 0),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(LAN_SIGNATURES, NDPI_LABELS, _in_scope) == NDPI_EXPECTED


EXPLAINED: dict[tuple[str, str], str] = {
    ("discord", "i3D"): "i3d.pcap: 2 flows of Discord IP discovery (type 1 request, type 2 "
    "response with the client's address) to voice servers hosted by i3D.net on UDP 50004, "
    "which nDPI names by address",
}
"""Hits on flows nDPI labels with another protocol, each explained."""


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow nDPI labels with another protocol, except the explained."""
    hits, unlabelled = sf.corpus_hits(LAN_SIGNATURES, NDPI_LABELS)
    assert set(hits) <= set(EXPLAINED)
    assert hits == {("discord", "i3D"): 4}
    # flows without an nDPI label (copies of captures in other corpora, or flows nDPI's
    # results leave unlabelled): NetBIOS browser announcements on UDP 138 (input.pcap,
    # sip.pcap, eapon1.pcap, netbios.pcap, smb_v2_only_non_zero_reserved1.pcap), 2 CAPWAP
    # discovery flows of capwap.pcap, LISP Map-Notify / Map-Register of lisp_eid_notify.pcap
    # and lisp_ipv6.pcap, the DNSCrypt response of dnscrypt_skype_false_positive.pcapng and a
    # TeamSpeak init flow of teamspeak3.pcap
    assert dict(unlabelled) == {"netbios_dgm": 10, "lisp": 2, "capwap_control": 2,
                                "dnscrypt": 1, "teamspeak": 1}


NEW_SIDES: dict[str, int] = {
    "discord": 76, "netbios_dgm": 14, "lisp": 10, "dnscrypt": 5, "capwap_control": 4,
    "mumble": 2, "teamspeak": 2,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes, per service
(Discord: both sides of the 32 discovery flows and of 6 flows of keep-alives only; LISP: Map-Register / Map-Notify pairs, and both sides of lisp_registration.pcap's two
reliable-transport flows)."""
CHANGED: Counter[tuple[str, str]] = Counter()
"""First payloads another dissector named before these classes and one of them names now."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, LAN_SIGNATURES)
    assert changed == CHANGED
    assert dict(new) == NEW_SIDES
