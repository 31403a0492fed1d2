"""SMB dissector: SMB2/3 and SMB1 conversations whole / byte-at-a-time / with junk,
compounds, interim responses, big messages skipped, encryption noted; real captures
(nDPI, zeek, suricata-verify; facts checked with tshark), fuzz."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import pytest
import wl_mini_pcap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all, ntlm_authenticate, ntlm_challenge
from wl_krb_builders import ap_rep, ap_req, krb5_token, spnego_init, spnego_resp
from wl_smb_builders import create_req, nbss, smb2, tree_connect_req, tree_connect_resp, u16s

from wirelens.dissect.base import Event
from wirelens.dissect.kerberos import KerberosRecord
from wirelens.dissect.smb import SMB_MAX_PARSED_BYTES, SmbDissector, SmbRecord
from wirelens.schema.enterprise import TABLES
from wirelens.wire import BadValue, ParseError

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
SV = DATA / "suricata-verify" / "tests"
ZEEK_SMB = DATA / "zeek" / "testing" / "btest" / "Traces" / "smb"
needs_data = pytest.mark.skipif(
    not NDPI.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def negotiate_req(mid: int = 0) -> bytes:
    dialects = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]
    body = struct.pack("<HHHHI16sQ", 36, len(dialects), 1, 0, 0, b"g" * 16, 0)
    return smb2(0, mid, body + b"".join(struct.pack("<H", d) for d in dialects))


def negotiate_resp(mid: int = 0, dialect: int = 0x0311) -> bytes:
    return smb2(0, mid, struct.pack("<HHH", 65, 1, dialect) + b"\x00" * 58, resp=True)


def session_setup_req(mid: int, blob: bytes) -> bytes:
    body = struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 64 + 24, len(blob), 0)
    return smb2(1, mid, body + blob)


def simple_resp(cmd: int, mid: int, status: int = 0, flags: int = 0) -> bytes:
    return smb2(cmd, mid, struct.pack("<H", 9) + b"\x00" * 7, resp=True, status=status, flags=flags)


def conversation() -> list[tuple[bool, bytes]]:
    return [
        (True, nbss(negotiate_req())),
        (False, nbss(negotiate_resp())),
        (True, nbss(session_setup_req(1, b"\x60\x10junk" + ntlm_authenticate("alice", "CORP", "PC1")))),
        (False, nbss(simple_resp(1, 1))),
        (True, nbss(tree_connect_req(2, r"\\srv\share"))),
        (False, nbss(tree_connect_resp(2, 7))),
        (True, nbss(create_req(3, r"dir\file.txt")) + nbss(smb2(8, 4, b"\x31" + b"\x00" * 48))),
        (False, nbss(simple_resp(5, 3, status=0x103, flags=2))),  # interim STATUS_PENDING
        (False, nbss(simple_resp(5, 3, status=0xC0000022))),
    ]


def check(rows: list[Event]) -> None:
    assert all(isinstance(r, SmbRecord) for r in rows)
    got = [r for r in rows if isinstance(r, SmbRecord)]
    assert [r.command_name for r in got] == ["NEGOTIATE", "SESSION_SETUP", "TREE_CONNECT", "CREATE"]
    neg, sess, tree, create = got
    assert neg.dialects_offered == ("2.0.2", "2.1", "3.0", "3.0.2", "3.1.1")
    assert neg.dialect == "3.1.1" and neg.status_name == "STATUS_SUCCESS" and neg.version == "SMB2"
    assert (sess.ntlm_user, sess.ntlm_domain, sess.ntlm_host) == ("alice", "CORP", "PC1")
    assert tree.path == r"\\srv\share" and tree.share_type == "DISK" and tree.tree_id == 7
    assert create.filename == r"dir\file.txt" and create.path == r"\\srv\share"
    assert create.status_name == "STATUS_ACCESS_DENIED" and create.message_id == 3
    assert create.session_id == 0x1122 and neg.ts_ns == 1000


@pytest.mark.parametrize("step", [0, 1, 9])
def test_smb2_conversation(step: int) -> None:
    check(feed_all(SmbDissector, conversation(), TCP, step=step))


def test_server_name_from_the_tree_path_not_an_address() -> None:
    d = SmbDissector(TCP)
    for from_orig, data in conversation():
        d.feed(data, from_orig, 0)
    assert d.server_name == "srv" and SmbDissector.name_source == "smb_tree"
    d = SmbDissector(TCP)
    d.feed(nbss(tree_connect_req(2, r"\\10.0.0.1\share")), True, 0)
    d.feed(nbss(tree_connect_req(3, r"\\[fe80::1]\share")), True, 0)
    assert d.server_name is None
    d.feed(nbss(tree_connect_req(4, r"\\FILES.corp.example\IPC$")), True, 0)
    assert d.server_name == "FILES.corp.example"


def test_compound_related_create_inherits_tree() -> None:
    first = create_req(5, "a.txt")
    first = first[:20] + struct.pack("<I", len(first) + (-len(first) % 8)) + first[24:]
    first += b"\x00" * (-len(first) % 8)
    second = create_req(6, "b.txt", tree=0xFFFFFFFF, flags=4)
    chunks = [
        (True, nbss(tree_connect_req(2, r"\\srv\ipc$"))),
        (False, nbss(tree_connect_resp(2, 7, share_type=2))),
        (True, nbss(first + second)),
    ]
    rows = [r for r in feed_all(SmbDissector, chunks, TCP) if isinstance(r, SmbRecord)]
    assert rows[0].share_type == "PIPE"
    assert [(r.filename, r.path, r.status) for r in rows[1:]] == [
        ("a.txt", r"\\srv\ipc$", None), ("b.txt", r"\\srv\ipc$", None),
    ]  # fmt: skip


def test_big_messages_are_skipped_and_transform_noted() -> None:
    d = SmbDissector(TCP)
    big = nbss(smb2(9, 9, b"\x31" + b"\x00" * (SMB_MAX_PARSED_BYTES + 10)))
    d.feed(big[:1000], True, 0)
    assert len(d._bufs[True]) == 0  # skipping, not buffering
    d.feed(big[1000:], True, 0)
    transform = b"\xfdSMB" + b"\x00" * 40 + struct.pack("<Q", 0x99) + b"x" * 20
    rows = d.feed(nbss(transform) + nbss(transform), False, 5)
    assert len(rows) == 1 and isinstance(rows[0], SmbRecord)
    assert rows[0].command_name == "ENCRYPTED" and rows[0].session_id == 0x99
    rows = d.feed(nbss(negotiate_req(1)), True, 0) + d.finish()
    assert [r.command_name for r in rows if isinstance(r, SmbRecord)] == ["NEGOTIATE"]


def test_a_big_message_is_skippable_and_a_hole_inside_it_keeps_step() -> None:
    d = SmbDissector(TCP)
    big = nbss(smb2(9, 9, b"\x31" + b"\x00" * (SMB_MAX_PARSED_BYTES + 10)))
    assert d.skippable(True) == 0
    d.feed(big[:1000], True, 0)
    rest = len(big) - 1000
    assert d.skippable(True) == rest and d.skippable(False) == 0
    assert d.gap(True, rest) == [] and not d.done  # the caller skipped it
    rows = d.feed(nbss(negotiate_req(1)), True, 0) + d.finish()
    assert [r.command_name for r in rows if isinstance(r, SmbRecord)] == ["NEGOTIATE"]
    lost = SmbDissector(TCP)
    lost.feed(nbss(negotiate_req(1))[:10], True, 0)
    lost.gap(True, 5)  # inside a message being parsed: the stream is lost
    assert lost.done


def smb1(
    cmd: int, mid: int, words: bytes, data: bytes, *, reply: bool = False, tid: int = 0
) -> bytes:
    header = struct.pack("<4sBIBHH8sHHHHH", b"\xffSMB", cmd, 0, 0x80 if reply else 0x18, 0xC801,
                         0, b"\x00" * 8, 0, tid, 1, 100, mid)  # fmt: skip
    return header + bytes([len(words) // 2]) + words + struct.pack("<H", len(data)) + data


def test_smb1_negotiate_and_tree_connect() -> None:
    dialects = b"".join(b"\x02" + d + b"\x00" for d in (b"NT LM 0.12", b"SMB 2.002", b"SMB 2.???"))
    path = u16s(r"\\HOST\IPC$") + b"\x00\x00"
    tc_words = struct.pack("<BBHHH", 0xFF, 0, 0, 0, 1)
    chunks = [
        (True, nbss(smb1(0x72, 1, b"", dialects))),
        (False, nbss(negotiate_resp(0, 0x02FF))),  # SMB2 answer to the SMB1 negotiate
        (True, nbss(negotiate_req(0))),
        (False, nbss(negotiate_resp(0, 0x0210))),
        (True, nbss(smb1(0x75, 2, tc_words, b"\x00" + path + b"?????\x00"))),
        (
            False,
            nbss(smb1(0x75, 2, struct.pack("<BBHH", 0xFF, 0, 0, 0), b"IPC\x00", reply=True, tid=9)),
        ),
    ]
    chunks[1] = (False, nbss(negotiate_resp(1, 0x02FF)))
    rows = [r for r in feed_all(SmbDissector, chunks, TCP, step=3) if isinstance(r, SmbRecord)]
    assert [(r.version, r.command_name, r.dialect) for r in rows] == [
        ("SMB1", "NEGOTIATE", "2.???"), ("SMB2", "NEGOTIATE", "2.1"), ("SMB1", "TREE_CONNECT_ANDX", None),
    ]  # fmt: skip
    assert rows[0].dialects_offered == ("NT LM 0.12", "SMB 2.002", "SMB 2.???")
    assert rows[2].path == r"\\HOST\IPC$" and rows[2].share_type == "IPC" and rows[2].tree_id == 9


KRB_REQ = spnego_init(krb5_token(b"\x01\x00", ap_req("TEST.LOCAL", ("cifs", "fs.test.local"), 18)))
KRB_REP = spnego_resp(krb5_token(b"\x02\x00", ap_rep()))


def session_setup_resp(mid: int, blob: bytes, status: int = 0) -> bytes:
    """MS-SMB2 §2.2.6: StructureSize 9, SessionFlags, SecurityBufferOffset/Length."""
    return smb2(1, mid, struct.pack("<HHHH", 9, 0, 64 + 8, len(blob)) + blob, resp=True,
                status=status)


@pytest.mark.parametrize("step", [0, 7])
def test_kerberos_session_setups_make_kerberos_rows(step: int) -> None:
    """An SMB2 session setup carrying an AP-REQ (SPNEGO mechToken) makes a kerberos row next
    to its smb row (Zeek's krb-tcp-tso trace): accepted with an AP-REP; refused with
    STATUS_LOGON_FAILURE and no Kerberos answer; an SMB1 extended-security one likewise."""
    ss1_words = struct.pack("<BBHHHHIHII", 0xFF, 0, 0, 4356, 50, 0, 0, len(KRB_REQ), 0, 0x800000D4)
    ss1_resp = struct.pack("<BBHHH", 0xFF, 0, 0, 0, len(KRB_REP))
    chunks = [
        (True, nbss(session_setup_req(1, KRB_REQ))),
        (False, nbss(session_setup_resp(1, KRB_REP))),
        (True, nbss(session_setup_req(2, KRB_REQ))),
        (False, nbss(session_setup_resp(2, b"", status=0xC000006D))),  # STATUS_LOGON_FAILURE
        (True, nbss(smb1(0x73, 3, ss1_words, KRB_REQ + b"Unix\x00Samba\x00"))),
        (False, nbss(smb1(0x73, 3, ss1_resp, KRB_REP + b"Unix\x00", reply=True))),
    ]
    rows = feed_all(SmbDissector, chunks, TCP, step=step)
    krb = [r for r in rows if isinstance(r, KerberosRecord)]
    assert [(r.request_type, r.realm, r.sname, r.ticket_etype_name, r.success,
             r.reply_msg_type_name) for r in krb] == [
        ("AP", "TEST.LOCAL", "cifs/fs.test.local", "aes256-cts-hmac-sha1-96", True, "AP-REP"),
        ("AP", "TEST.LOCAL", "cifs/fs.test.local", "aes256-cts-hmac-sha1-96", False, None),
        ("AP", "TEST.LOCAL", "cifs/fs.test.local", "aes256-cts-hmac-sha1-96", True, "AP-REP"),
    ]  # fmt: skip
    smb = [r for r in rows if isinstance(r, SmbRecord)]
    assert [(r.command_name, r.status_name) for r in smb] == [
        ("SESSION_SETUP", "STATUS_SUCCESS"), ("SESSION_SETUP", "STATUS_LOGON_FAILURE"),
        ("SESSION_SETUP_ANDX", "STATUS_SUCCESS")]  # fmt: skip


def test_ntlm_challenge_names_the_server() -> None:
    """An NTLM session setup answered STATUS_MORE_PROCESSING_REQUIRED with the server's
    CHALLENGE: its NetBIOS, DNS and forest names on that setup's row."""
    challenge = ntlm_challenge([(1, "FS1"), (3, "fs1.corp.example"), (5, "corp.example")])
    chunks = [(True, nbss(session_setup_req(1, b"\x60\x10spnego" + b"NTLMSSP\x00\x01" + bytes(30)))),
              (False, nbss(session_setup_resp(1, b"\xa1\x10spnego" + challenge,
                                              status=0xC0000016))),
              (True, nbss(session_setup_req(2, ntlm_authenticate("alice", "CORP", "PC1")))),
              (False, nbss(session_setup_resp(2, b"")))]
    rows = [r for r in feed_all(SmbDissector, chunks, TCP) if isinstance(r, SmbRecord)]
    assert [(r.status_name, r.ntlm_server_nb_name, r.ntlm_server_dns_name, r.ntlm_server_tree,
             r.ntlm_user) for r in rows] == [
        ("STATUS_MORE_PROCESSING_REQUIRED", "FS1", "fs1.corp.example", "corp.example", None),
        ("STATUS_SUCCESS", None, None, None, "alice")]


def test_errors_and_junk() -> None:
    with pytest.raises(BadValue):
        SmbDissector(TCP).feed(b"\x42\x00\x00\x04abcd", True, 0)  # not a NetBIOS type
    with pytest.raises(BadValue):
        SmbDissector(TCP).feed(nbss(b"\xabSMBjunk"), True, 0)
    with pytest.raises(BadValue):  # StructureSize not 64
        SmbDissector(TCP).feed(nbss(b"\xfeSMB\x20\x00" + b"\x00" * 58), True, 0)
    with pytest.raises(BadValue):  # tree connect path outside the message
        SmbDissector(TCP).feed(nbss(tree_connect_req(2, r"\\a\b")[:-4]), True, 0)
    with pytest.raises(ParseError):  # truncated negotiate body
        SmbDissector(TCP).feed(nbss(negotiate_req()[:80]), True, 0)
    d = SmbDissector(TCP)
    assert d.feed(nbss(negotiate_req())[:-1], True, 0) == []  # incomplete: waits
    assert d.feed(b"\x85\x00\x00\x00", False, 0) == []  # keep-alive skipped
    assert d.finish() == []  # the request never completed


def test_matches_is_strict() -> None:
    assert SmbDissector.matches(nbss(negotiate_req()), TCP, True)
    assert SmbDissector.matches(nbss(smb1(0x72, 1, b"", b"\x02NT LM 0.12\x00")), TCP, True)
    session_request = (
        b"\x81\x00\x00\x44" + (b"\x20" + b"CKFDENECFDEFFCFGEFFCCACACACACACA" + b"\x00") * 2
    )
    assert SmbDissector.matches(session_request, TCP, True)
    assert not SmbDissector.matches(nbss(negotiate_req()), UDP, True)
    assert not SmbDissector.matches(nbss(negotiate_req()) + b"\x00", TCP, True)  # length too short
    assert not SmbDissector.matches(nbss(b"\xfdSMB" + b"\x00" * 60), TCP, True)
    transform = b"\xfdSMB" + b"s" * 32 + struct.pack("<IHHQ", 20, 0, 1, 7) + b"c" * 20
    assert SmbDissector.matches(nbss(transform), TCP, True)
    assert not SmbDissector.matches(nbss(transform + b"c"), TCP, True)  # sizes disagree
    assert not SmbDissector.matches(nbss(b"\xfeSMB\x20\x00" + b"\x00" * 60), TCP, True)
    assert not SmbDissector.matches(b"\x81\x00\x00\x44" + b"\x20" + b"z" * 67, TCP, True)
    assert not SmbDissector.matches(b"\x16\x03\x01\x00\x05hello", TCP, True)


def test_schema_matches_event_fields() -> None:
    schema, doc = TABLES["smb"]
    names = [f.name for f in dataclasses.fields(SmbRecord) if f.name != "ts_ns"]
    assert schema.names == ["ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p", *names]
    assert SmbRecord.table == "smb" and doc


def _capture(path: Path, packets: int = 1000) -> list[SmbRecord]:
    out: list[SmbRecord] = []
    for flow in wl_mini_pcap.flows(path):
        if (
            flow.proto != TCP
            or not flow.chunks
            or not SmbDissector.matches(flow.chunks[0][1], TCP, True)
        ):
            continue
        d = SmbDissector(TCP)
        for side, payload, ts in flow.chunks[:packets]:
            out += [e for e in d.feed(payload, side, ts) if isinstance(e, SmbRecord)]
        out += [e for e in d.finish() if isinstance(e, SmbRecord)]
    return out


@needs_data
def test_real_smbv1() -> None:
    """tshark: SMB1 negotiate of six dialects, NT LM 0.12 chosen; tree connect to
    \\\\10.128.0.243\\IPC$."""
    rows = _capture(NDPI / "smbv1.pcap")
    assert [r.command_name for r in rows] == [
        "NEGOTIATE",
        "SESSION_SETUP_ANDX",
        "TREE_CONNECT_ANDX",
    ]
    assert rows[0].dialects_offered[-1] == "NT LM 0.12" and rows[0].dialect == "NT LM 0.12"
    assert rows[2].path == r"\\10.128.0.243\IPC$" and rows[2].share_type == "IPC"


@needs_data
def test_real_smb2_delete() -> None:
    """tshark (suricata-verify smb2-delete): SMB1 negotiate answered by SMB2 0x02ff, then
    SMB2 dialects 0x0202,0x0210,0x0300,0x0302 -> 0x0302; session setup 0xc0000016 then
    success with NTLM user GUEST, host AIR-DE-CATENA; tree \\\\192.168.1.51\\SAND;
    creates include eicar.txt."""
    rows = _capture(SV / "smb2-delete" / "input.pcap")
    neg1, neg2, sess1, sess2, tree = rows[:5]
    assert (neg1.version, neg1.dialect) == ("SMB1", "2.???")
    assert neg2.dialects_offered == ("2.0.2", "2.1", "3.0", "3.0.2") and neg2.dialect == "3.0.2"
    assert sess1.status == 0xC0000016 and sess2.status_name == "STATUS_SUCCESS"
    assert (sess2.ntlm_user, sess2.ntlm_host) == ("GUEST", "AIR-DE-CATENA")
    assert tree.path == r"\\192.168.1.51\SAND" and tree.share_type == "DISK"
    creates = [r for r in rows if r.command_name == "CREATE"]
    assert "eicar.txt" in {r.filename for r in creates}
    assert all(r.path == r"\\192.168.1.51\SAND" for r in creates)


@needs_data
def test_real_net_user_names_the_server() -> None:
    """tshark (suricata-verify smb2-06): tree connect to \\\\DC1.contoso.local\\IPC$,
    creates of the samr and lsarpc pipes."""
    path = SV / "smb2-06" / "20171220_smb_net_user.pcap"
    (flow,) = [f for f in wl_mini_pcap.flows(path) if f.proto == TCP and f.chunks]
    d = SmbDissector(TCP)
    rows = [e for side, p, ts in flow.chunks for e in d.feed(p, side, ts)] + d.finish()
    assert d.server_name == "DC1.contoso.local"
    creates = [r for r in rows if isinstance(r, SmbRecord) and r.command_name == "CREATE"]
    assert {r.filename for r in creates} == {"samr", "lsarpc"}
    assert all(r.path == r"\\DC1.contoso.local\IPC$" for r in creates)


@needs_data
def test_real_encrypted_midstream() -> None:
    """suricata-verify smb3-02-midstream: starts with SMB3 transform messages (0xFD 'SMB');
    its test.yaml expects a TREE_CONNECT to \\\\10.160.65.202\\IPC$, STATUS_SUCCESS."""
    enc, tree = _capture(SV / "smb3-02-midstream" / "input.pcap")
    assert enc.command_name == "ENCRYPTED" and enc.session_id != 0 and enc.status is None
    assert (tree.command_name, tree.path, tree.status_name) == (
        "TREE_CONNECT",
        r"\\10.160.65.202\IPC$",
        "STATUS_SUCCESS",
    )
    assert tree.session_id == enc.session_id and tree.share_type == "PIPE"


@needs_data
def test_real_smb1_create() -> None:
    """tshark (suricata-verify smb-eicar-file): NT_CREATE_ANDX of \\eicar on the tree
    \\\\192.168.1.3\\PUBLIC."""
    rows = _capture(SV / "smb-eicar-file" / "input.pcap")
    creates = [r for r in rows if r.command_name == "NT_CREATE_ANDX"]
    assert [(r.version, r.filename, r.status_name, r.path) for r in creates] == [
        ("SMB1", "\\eicar", "STATUS_SUCCESS", r"\\192.168.1.3\PUBLIC")
    ]


@needs_data
def test_real_deletefile_ntlm_and_first_packets() -> None:
    """tshark: smb_deletefile creates Luca\\Downloads\\innosetup-5.6.1.exe; suricata-verify
    smb2-ntlmssp-negotiateflags users 'Tim Tester', 'Willi Wireshark', 'user'."""
    rows = _capture(NDPI / "smb_deletefile.pcap")
    assert r"Luca\Downloads\innosetup-5.6.1.exe" in {r.filename for r in rows}
    users = {r.ntlm_user for r in _capture(SV / "smb2-ntlmssp-negotiateflags" / "input.pcap")}
    assert {"Tim Tester", "Willi Wireshark", "user"} <= users
    first = _capture(ZEEK_SMB / "SMBGhost.pcap", packets=8)
    assert first[0].dialects_offered[-1] == "3.1.1" and first[0].dialect == "3.1.1"


@needs_data
def test_pipeline_smb_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered by monkeypatching, the dissector names the flows and fills its table."""
    import wirelens
    from wirelens.dissect import registry
    from wirelens.schema import SCHEMAS

    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, SmbDissector))
    monkeypatch.setitem(registry._BY_NAME, "smb", SmbDissector)
    for table, (schema, _) in TABLES.items():
        monkeypatch.setitem(SCHEMAS, table, schema)
    result = wirelens.analyze(SV / "smb2-delete" / "input.pcap")
    rows = result.table("smb").to_pylist()
    assert rows[0]["command_name"] == "NEGOTIATE" and rows[0]["dialect"] == "2.???"
    assert "3.0.2" in {r["dialect"] for r in rows}
    assert "smb" in {c["service"] for c in result.table("conn").to_pylist()}
    named = wirelens.analyze(SV / "smb2-06" / "20171220_smb_net_user.pcap")
    conn = named.table("conn").to_pylist()
    assert [(c["service"], c["server_name"], c["name_source"]) for c in conn] == [
        ("smb", "DC1.contoso.local", "smb_tree")
    ]


@settings(max_examples=200, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10),
    st.lists(st.tuples(st.integers(0, 1 << 10), st.integers(0, 255)), max_size=6),
    st.integers(0, 400),
    st.binary(max_size=64),
    st.sampled_from([0, 1, 17]),
)
def test_fuzz(which: int, edits: list[tuple[int, int]], cut: int, extra: bytes, step: int) -> None:
    """Invariant: any input, in any split, yields events or raises ParseError, within the
    deadline; ``matches`` never raises."""
    chunks = [*conversation(), (True, nbss(session_setup_req(9, KRB_REQ))),
              (False, nbss(session_setup_resp(9, KRB_REP)))]
    side, data = chunks[which]
    buf = bytearray(data)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    chunks[which] = (side, bytes(buf[:cut]) + extra)
    for _, payload in chunks:
        assert isinstance(SmbDissector.matches(payload, TCP, True), bool)
    try:
        out = feed_all(SmbDissector, chunks, TCP, step=step)
        assert all(isinstance(e, Event) for e in out)
    except ParseError:
        pass


def create_resp(mid: int, action: int, times: tuple[int, int, int, int], size: int,
                attributes: int) -> bytes:
    """SMB2 CREATE response (MS-SMB2 §2.2.14): CreateAction, four FILETIMEs, AllocationSize,
    EndofFile, FileAttributes, then the FileId."""
    body = struct.pack("<HBBI4QQQII", 89, 0, 0, action, *times, 4096, size, attributes, 0)
    return smb2(5, mid, body + bytes(16) + bytes(8), resp=True)


def test_create_answer_names_size_times_and_action() -> None:
    """The file's size, times (FILETIME: 100 ns since 1601) and what the server did; a zero
    time is none."""
    epoch = 116_444_736_000_000_000
    t = epoch + 17_000_000_000_000_000  # 1,700,000,000 s after the epoch
    chunks = [(True, nbss(tree_connect_req(1, r"\\srv\share"))),
              (False, nbss(tree_connect_resp(1, 7))),
              (True, nbss(create_req(2, r"dir\new.txt"))),
              (False, nbss(create_resp(2, 2, (t, t + 10, t + 20, 0), 12345, 0x20))),
              (True, nbss(create_req(3, "dir"))),
              (False, nbss(create_resp(3, 1, (t, t, t, t), 0, 0x10))),
              (True, nbss(create_req(4, "x"))),  # times past 2262 (a timestamp's end)
              (False, nbss(create_resp(4, 1, (2**64 - 1, 2**63, t, 0), 1, 0)))]
    rows = [r for r in feed_all(SmbDissector, chunks, TCP) if r.command_name == "CREATE"]
    assert [(r.filename, r.create_action, r.file_size, r.is_directory, r.created, r.accessed,
             r.modified, r.changed) for r in rows] == [
        ("dir\\new.txt", "created", 12345, False, 1_700_000_000 * 10**9,
         1_700_000_000 * 10**9 + 1000, 1_700_000_000 * 10**9 + 2000, None),
        ("dir", "opened", 0, True, *[1_700_000_000 * 10**9] * 4),
        ("x", "opened", 1, False, None, None, 1_700_000_000 * 10**9, None)]


@pytest.mark.skipif(not ZEEK_SMB.is_dir(), reason=f"shared captures not found at {DATA}")
def test_real_create_answers_as_zeek_smb_files() -> None:
    """Zeek's smb_files.log: smb1's 2009-12 Payroll.xlsx of 25940 bytes, last written
    1403148950 (SMB1 NT_CREATE_ANDX); smb2-read-write's pythonfile, 16 bytes."""
    import wirelens

    def opens(name: str) -> set[tuple[object, ...]]:
        rows = wirelens.analyze(ZEEK_SMB / name).tables["smb"].to_pylist()
        return {(r["filename"], r["file_size"], r["modified"].timestamp() // 1)
                for r in rows if r["create_action"]}

    assert ("Test\\2009-12 Payroll.xlsx", 25940, 1403148950) in opens("smb1.pcap")
    assert ("pythonfile", 16, 1549643138) in opens("smb2readwrite.pcap")
