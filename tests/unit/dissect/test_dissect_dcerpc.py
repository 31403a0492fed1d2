"""DCE/RPC (``dissect/dcerpc.py``): calls and negotiations of built associations (NTLM
authenticated, fragmented, big-endian, unflagged, faults, unanswered), connectionless calls,
whole / byte by byte / with junk, and suricata-verify's captures against the counts its
tests expect (svcctl from PsExec, DCOM's IRemUnknown2, Zerologon's Netlogon calls)."""

from __future__ import annotations

import dataclasses
import struct
import uuid as uuidlib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import (
    NTLM_NEGOTIATE,
    feed_all,
    mutate,
    ntlm_authenticate,
    ntlm_challenge,
)
from wl_krb_builders import ap_rep, ap_req, krb5_token
from wl_smb_builders import create_req, nbss, smb2, tree_connect_req, tree_connect_resp

from wirelens.dissect.dcerpc import DceRpcDissector, DceRpcRecord
from wirelens.dissect.dcerpc_args import ARG_DECODERS, call_arguments
from wirelens.dissect.dcerpc_names import INTERFACES, operation_name
from wirelens.dissect.kerberos import KerberosRecord
from wirelens.wire import ParseError

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
SV = DATA / "suricata-verify" / "tests"
needs_data = pytest.mark.skipif(not SV.is_dir(), reason=f"shared captures not found at {DATA}")

SVCCTL = "367abb81-9844-35f1-ad32-98f038001003"
ATSVC = "1ff70682-0a51-30e8-076d-740be8cee98b"
TSCH = "86d35949-83c9-4044-b424-db363231fd0c"
WINREG = "338cd001-2244-31f1-aaaa-900038001003"
EPM = "e1af8308-5d1f-11c9-91a4-08002b14a0fa"
NDR = uuidlib.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
SERVER = [(1, "DC1"), (3, "dc1.corp.example"), (5, "corp.example")]


# --- builders (DCE 1.1 chapters 12-14, MS-RPCE §2.2.2) --------------------------------------

def co(ptype: int, body: bytes, call_id: int, flags: int = 3, little: bool = True,
       auth: tuple[int, int, bytes] | None = None) -> bytes:
    """A connection-oriented PDU; ``auth`` (type, level, token) appends the padding to 4
    bytes, the sec_trailer and the token."""
    e = "<" if little else ">"
    tail = b""
    if auth is not None:
        pad = -(16 + len(body)) % 4
        tail = bytes(pad) + struct.pack(e + "BBBBI", auth[0], auth[1], pad, 0, 1) + auth[2]
    frag = 16 + len(body) + len(tail)
    drep = b"\x10\x00\x00\x00" if little else b"\x00\x00\x00\x00"
    head = bytes((5, 0, ptype, flags)) + drep + struct.pack(e + "HHI", frag,
                                                           len(auth[2]) if auth else 0, call_id)
    return head + body + tail


def uuid_bytes(text: str, little: bool = True) -> bytes:
    u = uuidlib.UUID(text)
    return u.bytes_le if little else u.bytes


def bind_body(contexts: list[tuple[int, str, int, int]], little: bool = True) -> bytes:
    e = "<" if little else ">"
    body = struct.pack(e + "HHI", 4280, 4280, 0) + bytes((len(contexts), 0, 0, 0))
    for ctx, text, major, minor in contexts:
        body += struct.pack(e + "HBB", ctx, 1, 0) + uuid_bytes(text, little)
        body += struct.pack(e + "HH", major, minor)
        body += (NDR.bytes_le if little else NDR.bytes) + struct.pack(e + "I", 2)
    return body


def bind_ack_body(results: list[int], little: bool = True,
                  syntax: uuidlib.UUID = NDR) -> bytes:
    e = "<" if little else ">"
    port = b"\\PIPE\\ntsvcs\x00"
    body = struct.pack(e + "HHIH", 4280, 4280, 0x1234, len(port)) + port
    body += bytes(-(16 + len(body)) % 4) + bytes((len(results), 0, 0, 0))
    for r in results:
        body += struct.pack(e + "HH", r, 0) + (syntax.bytes_le if little else syntax.bytes)
        body += struct.pack(e + "I", 2 if syntax == NDR else 1)
    return body


def request_body(ctx: int, opnum: int, stub: bytes, little: bool = True) -> bytes:
    return struct.pack(("<" if little else ">") + "IHH", len(stub), ctx, opnum) + stub


def response_body(ctx: int, stub: bytes, little: bool = True) -> bytes:
    return struct.pack(("<" if little else ">") + "IHBB", len(stub), ctx, 0, 0) + stub


def fault_body(ctx: int, status: int) -> bytes:
    return struct.pack("<IHBBII", 0, ctx, 0, 0, status, 0)


def association() -> list[tuple[bool, bytes]]:
    """An NTLM-authenticated svcctl association: bind (NEGOTIATE) / bind_ack (CHALLENGE),
    auth3 (AUTHENTICATE), OpenSCManagerW in two fragments answered in one, CreateServiceW
    answered with a fault (packet privacy), StartServiceW never answered."""
    priv = (10, 6, bytes(16))
    return [
        (True, co(11, bind_body([(0, SVCCTL, 2, 0), (1, SVCCTL, 2, 0)]), 1, auth=(10, 6, NTLM_NEGOTIATE))),
        (False, co(12, bind_ack_body([0, 2]), 1, auth=(10, 6, ntlm_challenge(SERVER)))),
        (True, co(16, bytes(4), 1, auth=(10, 6, ntlm_authenticate("alice", "CORP", "PC1")))),
        (True, co(0, request_body(0, 15, b"a" * 30), 2, flags=1, auth=priv)
         + co(0, request_body(0, 15, b"b" * 10), 2, flags=2, auth=priv)),
        (False, co(2, response_body(0, b"h" * 20), 2, auth=priv)),
        (True, co(0, request_body(0, 12, b"c" * 64), 3, auth=priv)),
        (False, co(3, fault_body(0, 5), 3)),
        (True, co(0, request_body(0, 19, b"d" * 8), 4, auth=priv)),
    ]


def rows(events: list[object]) -> list[DceRpcRecord]:
    return [e for e in events if isinstance(e, DceRpcRecord)]


def view(r: DceRpcRecord) -> tuple[object, ...]:
    return (r.request, r.response, r.call_id, r.endpoint, r.operation, r.request_frags,
            r.request_stub_len, r.response_frags, r.response_stub_len, r.fault_status,
            r.bind_result)


# --- built associations --------------------------------------------------------------------

def test_calls_negotiation_and_ntlm_of_an_association() -> None:
    got = rows(feed_all(DceRpcDissector, association(), TCP))
    assert [view(r) for r in got] == [
        ("BIND", "BIND_ACK", 1, "svcctl", None, 0, 0, 0, 0, None, "acceptance"),
        ("REQUEST", "RESPONSE", 2, "svcctl", "OpenSCManagerW", 2, 40, 1, 20, None, None),
        ("REQUEST", "FAULT", 3, "svcctl", "CreateServiceW", 1, 64, 1, 0, 5, None),
        ("REQUEST", None, 4, "svcctl", "StartServiceW", 1, 8, 0, 0, None, None),
    ]
    bind, call = got[0], got[1]
    assert (bind.contexts_offered, bind.uuid, bind.if_version, bind.rpc_version) == (
        2, SVCCTL, "2.0", "5.0")
    assert {r.named_pipe for r in got} == {"\\PIPE\\ntsvcs"}  # the bind_ack's address
    assert (bind.auth_type, bind.auth_level, bind.ntlm_server_nb_name,
            bind.ntlm_server_dns_name, bind.ntlm_server_tree, bind.ntlm_user) == (
        "ntlmssp", "privacy", "DC1", "dc1.corp.example", "corp.example", None)
    assert (call.ntlm_user, call.ntlm_domain, call.ntlm_host, call.ntlm_server_nb_name) == (
        "alice", "CORP", "PC1", "DC1")  # the auth3 names the association's later calls
    assert [r.rtt_ns for r in got] == [0, 0, 0, None]  # one timestamp: answered ones 0


@pytest.mark.parametrize("step", [1, 3, 7, 64])
def test_byte_by_byte_gives_the_same_rows(step: int) -> None:
    whole = feed_all(DceRpcDissector, association(), TCP)
    assert feed_all(DceRpcDissector, association(), TCP, step) == whole


def test_big_endian_unflagged_and_unanswered() -> None:
    """Integers in big-endian order (drep 0x00); a request and response flagged neither
    first nor last fragment are whole PDUs (some stacks send them so); a response whose
    request was not seen makes a row of its own; a reused call id ends the old call."""
    chunks = [
        (True, co(11, bind_body([(3, EPM, 3, 0)], little=False), 7, little=False)),
        (False, co(12, bind_ack_body([0], little=False), 7, little=False)),
        (True, co(0, request_body(3, 3, b"x" * 12, little=False), 8, flags=0, little=False)),
        (False, co(2, response_body(3, b"y" * 4, little=False), 8, flags=0, little=False)),
        (False, co(2, response_body(3, b"z", little=False), 9, little=False)),
        (True, co(0, request_body(3, 2, b"", little=False), 10, little=False)),
        (True, co(0, request_body(3, 3, b"", little=False), 10, little=False)),
    ]
    got = rows(feed_all(DceRpcDissector, chunks, TCP))
    assert [view(r) for r in got] == [
        ("BIND", "BIND_ACK", 7, "epmapper", None, 0, 0, 0, 0, None, "acceptance"),
        ("REQUEST", "RESPONSE", 8, "epmapper", "ept_map", 1, 12, 1, 4, None, None),
        (None, "RESPONSE", 9, "epmapper", None, 0, 0, 1, 1, None, None),
        ("REQUEST", None, 10, "epmapper", "ept_lookup", 1, 0, 0, 0, None, None),
        ("REQUEST", None, 10, "epmapper", "ept_map", 1, 0, 0, 0, None, None),
    ]
    assert got[2].rtt_ns is None and got[2].uuid == EPM  # its context was negotiated


def test_bind_nak_and_rejected_context() -> None:
    chunks = [(True, co(11, bind_body([(0, SVCCTL, 2, 0)]), 1)),
              (False, co(13, struct.pack("<HB", 4, 0), 1)),
              (True, co(14, bind_body([(1, "00000000-0000-0000-0000-000000000001", 1, 0)]), 2)),
              (False, co(15, bind_ack_body([2]), 2))]
    got = rows(feed_all(DceRpcDissector, chunks, TCP))
    assert [(r.request, r.response, r.bind_result, r.endpoint) for r in got] == [
        ("BIND", "BIND_NAK", "nak", "svcctl"),
        ("ALTER_CONTEXT", "ALTER_CONTEXT_RESP", "provider_rejection", None)]


def test_kerberos_in_a_bind_makes_a_kerberos_row() -> None:
    """A bind whose auth verifier carries a krb5 AP-REQ, answered with an AP-REP."""
    token = krb5_token(b"\x01\x00", ap_req("CORP.EXAMPLE", ("host", "dc1"), 18))
    answer = krb5_token(b"\x02\x00", ap_rep())
    chunks = [(True, co(11, bind_body([(0, SVCCTL, 2, 0)]), 1, auth=(16, 6, token))),
              (False, co(12, bind_ack_body([0]), 1, auth=(16, 6, answer)))]
    events = feed_all(DceRpcDissector, chunks, TCP)
    krb = [e for e in events if isinstance(e, KerberosRecord)]
    assert [(k.request_type, k.realm, k.sname, k.success) for k in krb] == [
        ("AP", "CORP.EXAMPLE", "host/dc1", True)]
    assert rows(events)[0].auth_type == "kerberos"


def test_trailing_junk_and_damage_raise_parse_errors() -> None:
    for bad in (b"\x05\x00\x0b\x03\x20\x00\x00\x00" + bytes(8),  # integer representation 2
                co(11, bind_body([(0, SVCCTL, 2, 0)]), 1)[:8] + b"\x08\x00" + bytes(6),
                co(11, b"\x00" * 8 + bytes((70, 0, 0, 0)), 1),  # 70 contexts
                co(11, bind_body([(0, SVCCTL, 2, 0)])[:-10], 1),  # syntax cut short
                b"HTTP/1.1 200 OK\r\n\r\n"):
        with pytest.raises(ParseError):
            feed_all(DceRpcDissector, [(True, bad)], TCP)
    with pytest.raises(ParseError):  # junk after a whole association
        feed_all(DceRpcDissector, [*association(), (True, b"junk-after-the-pdus")], TCP)


def test_waiting_calls_are_bounded() -> None:
    """Requests never answered, and first fragments of answers whose request was not seen,
    wait at most DCE_MAX_PENDING at a time: the oldest are written past it."""
    from wirelens.dissect.dcerpc import DCE_MAX_PENDING

    n = DCE_MAX_PENDING + 40
    for side, pdu in ((True, lambda i: co(0, request_body(0, 1, b""), i)),
                      (False, lambda i: co(2, response_body(0, b"x"), i, flags=1))):
        d = DceRpcDissector(TCP)
        early = rows(d.feed(b"".join(pdu(i) for i in range(n)), side, 0))
        assert len(early) == 40 and len(d._assoc._calls) == DCE_MAX_PENDING
        assert [r.call_id for r in early] == list(range(40))


def test_connectionless_calls() -> None:
    """UDP (DCE 1.1 §12.5.2.1): a request paired with its response by activity and sequence
    number; a response in two fragments; a fault."""
    def cl(ptype: int, seq: int, opnum: int, body: bytes, flags1: int = 0) -> bytes:
        head = bytes((4, ptype, flags1, 0, 0x10, 0, 0, 0)) + bytes(16)
        head += uuid_bytes(SVCCTL) + uuid_bytes("6d6f6f6e-0001-11d0-8000-00aa00bbccdd")
        head += struct.pack("<IIIHHHHHBB", 0, 2, seq, opnum, 0xFFFF, 0xFFFF, len(body), 0,
                            0, 0)
        return head + body

    chunks = [(True, cl(0, 1, 16, b"q" * 10)), (False, cl(2, 1, 16, b"r" * 6, 0x04)),
              (False, cl(2, 1, 16, b"s" * 2, 0x06)), (True, cl(0, 2, 0, b"")),
              (False, cl(3, 2, 0, struct.pack("<I", 0x1C010002)))]
    assert all(DceRpcDissector.matches(c, UDP, o) for o, c in chunks)
    got = rows(feed_all(DceRpcDissector, chunks, UDP))
    assert [(r.rpc_version, *view(r), r.if_version) for r in got] == [
        ("4.0", "REQUEST", "RESPONSE", 1, "svcctl", "OpenServiceW", 1, 10, 2, 8, None, None,
         "2.0"),
        ("4.0", "REQUEST", "FAULT", 2, "svcctl", "CloseServiceHandle", 1, 0, 1, 0, 0x1C010002,
         None, "2.0")]


def test_schema_matches_event() -> None:
    from wirelens.schema.enterprise import TABLES

    schema, _ = TABLES["dce_rpc"]
    names = [f.name for f in dataclasses.fields(DceRpcRecord) if f.name != "ts_ns"]
    assert schema.names[6:] == [("rtt" if n == "rtt_ns" else n) for n in names]


def test_names() -> None:
    assert operation_name(SVCCTL, 45) == "CreateServiceWOW64W"
    assert operation_name("12345678-1234-abcd-ef00-01234567cffb", 30) == "NetrServerPasswordSet2"
    assert operation_name("e3514235-4b06-11d1-ab04-00c04fc2dcd2", 3) == "DRSGetNCChanges"
    assert operation_name(SVCCTL, 999) is None and operation_name("x", 0) is None
    assert all(k == str(uuidlib.UUID(k)) for k in INTERFACES)  # canonical lower case


# --- arguments of a few operations (dcerpc_args.py) ------------------------------------------

NDR64 = uuidlib.UUID("71710533-beba-4937-8319-b5dbef9ccc36")


def ndr_wstring(text: str, wide: int = 4) -> bytes:
    """A conformant varying UTF-16 string with its NUL (NDR20: 4-byte counts; NDR64: 8)."""
    units = len(text) + 1
    f = "<I" if wide == 4 else "<Q"
    raw = (text + "\x00").encode("utf-16-le")
    return struct.pack(f, units) + struct.pack(f, 0) + struct.pack(f, units) + raw


def pad(data: bytes, n: int = 4) -> bytes:
    return data + bytes(-len(data) % n)


def _one_call(iface: str, opnum: int, stub: bytes, syntax: uuidlib.UUID = NDR,
              auth: tuple[int, int, bytes] | None = None) -> DceRpcRecord:
    chunks = [(True, co(11, bind_body([(0, iface, 1, 0)]), 1)),
              (False, co(12, bind_ack_body([0], syntax=syntax), 1)),
              (True, co(0, request_body(0, opnum, stub), 2, auth=auth)),
              (False, co(2, response_body(0, b"\x00" * 4), 2))]
    return [r for r in rows(feed_all(DceRpcDissector, chunks, TCP)) if r.request == "REQUEST"][0]


def test_arguments_of_a_created_service_job_task_and_registry_value() -> None:
    create = (bytes(20) + pad(ndr_wstring("PSEXESVC")) + struct.pack("<I", 0x20000)
              + pad(ndr_wstring("PsExec service")) + struct.pack("<IIII", 0xF01FF, 0x10, 3, 1)
              + pad(ndr_wstring("%SystemRoot%\\PSEXESVC.exe")))
    assert dict(_one_call(SVCCTL, 12, create).arguments or ()) == {
        "service": "PSEXESVC", "display_name": "PsExec service",
        "binary_path": "%SystemRoot%\\PSEXESVC.exe", "service_type": "0x10",
        "start_type": "demand"}
    xml = ("<Task><Actions><Exec><Command>cmd.exe</Command><Arguments>/C whoami &gt; x"
           "</Arguments></Exec></Actions></Task>")
    task = struct.pack("<I", 0x20000) + pad(ndr_wstring("\\Updater")) + pad(ndr_wstring(xml))
    assert dict(_one_call(TSCH, 1, task).arguments or ()) == {
        "task": "\\Updater", "command": "cmd.exe /C whoami &gt; x"}
    name = "Run".encode("utf-16-le")
    value = (bytes(20) + struct.pack("<HHI", len(name), len(name), 0x20000)
             + struct.pack("<III", 3, 0, 3) + name + b"\x00\x00" + struct.pack("<I", 4)
             + struct.pack("<I", 4) + struct.pack("<I", 4660) + struct.pack("<I", 4))
    assert dict(_one_call(WINREG, 22, value).arguments or ()) == {
        "value": "Run", "value_type": "REG_DWORD", "data": "4660"}


def test_ndr64_job_and_what_is_not_read() -> None:
    """A job added through an NDR64 context (8-byte pointers, counts and DWORD_PTR); a
    sealed stub (packet privacy) and a stub without the layout give no arguments, the row
    stays."""
    job = (struct.pack("<Q", 0x20000) + pad(ndr_wstring("\\\\pc", 8), 8)
           + struct.pack("<QIBB", 47_100_000, 0, 0, 0x10) + bytes(2) + struct.pack("<Q", 0x20004)
           + ndr_wstring("c:\\tool.exe", 8))
    assert dict(_one_call(ATSVC, 0, job, NDR64).arguments or ()) == {
        "server": "\\\\pc", "command": "c:\\tool.exe", "job_time": "13:05"}
    assert _one_call(ATSVC, 0, job).arguments is None  # read as NDR20: not its layout
    sealed = _one_call(ATSVC, 0, job, NDR64, auth=(10, 6, bytes(16)))
    assert sealed.arguments is None and sealed.operation == "NetrJobAdd"
    assert _one_call(SVCCTL, 12, bytes(30)).arguments is None


# --- real captures (suricata-verify: the counts its test.yaml expects) ----------------------

def _calls(test: str) -> Counter[tuple[str | None, str | None]]:
    import wirelens

    pcap = sorted((SV / test).glob("*.pcap"))[0]
    got = wirelens.analyze(pcap).tables["dce_rpc"].to_pylist()
    return Counter((r["endpoint"], r["operation"]) for r in got if r["request"] == "REQUEST")


@needs_data
def test_real_psexec_svcctl_calls() -> None:
    """dcerpc-dce-iface-01: PsExec's service control calls over TCP."""
    calls = _calls("dcerpc/dcerpc-dce-iface-01")
    assert {op: n for (ep, op), n in calls.items() if ep == "svcctl"} == {
        "CloseServiceHandle": 6, "OpenServiceW": 3, "OpenSCManagerW": 2, "ControlService": 1,
        "DeleteService": 1, "CreateServiceWOW64W": 1, "QueryServiceStatus": 4,
        "StartServiceW": 1}


@needs_data
def test_real_dcom_and_zerologon() -> None:
    dcom = _calls("dcerpc/dcerpc-ctxids")
    assert (dcom[("IRemUnknown2", "RemRelease")], dcom[("IRemUnknown2", "RemQueryInterface")],
            dcom[("IDispatch", "Invoke")]) == (8, 26, 3)
    zl = _calls("dcerpc/zerologon")  # 21 attempts, one password reset (the test's alerts)
    assert (zl[("netlogon", "NetrServerAuthenticate3")],
            zl[("netlogon", "NetrServerPasswordSet2")]) == (21, 1)


@needs_data
def test_real_scheduled_job_and_run_key() -> None:
    """dcerpc-3109: a job running c:\\mimikatz.exe added over SMB2 (NDR64); stub-data-04:
    the Run key opened and a value Osa32 = NTOSA32.EXE set remotely."""
    import wirelens

    def args(test: str) -> list[dict[str, str]]:
        pcap = sorted((SV / "dcerpc" / test).glob("*.pcap"))[0]
        got = wirelens.analyze(pcap).tables["dce_rpc"].to_pylist()
        return [dict(r["arguments"]) for r in got if r["arguments"]]

    assert args("dcerpc-3109") == [
        {"server": "\\\\admin-pc", "command": "c:\\mimikatz.exe", "job_time": "13:05"}]
    assert args("dcerpc-dce-stub-data-04") == [
        {"key": "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"},
        {"value": "Osa32", "value_type": "REG_SZ", "data": "NTOSA32.EXE"}]


@needs_data
def test_real_alter_context_and_call_ids() -> None:
    """bug-6191: the ALTER_CONTEXT / ALTER_CONTEXT_RESP and the REQUEST / RESPONSE of call
    69 (opnum 3, one fragment each way) and of call 4 on the second connection."""
    import wirelens

    pcap = sorted((SV / "bug-6191").glob("*.pcap"))[0]
    got = wirelens.analyze(pcap).tables["dce_rpc"].to_pylist()
    keys = ("resp_p", "call_id", "request", "response", "opnum", "request_frags",
            "response_frags")
    picked = [tuple(r[k] for k in keys) for r in got if (r["call_id"], r["resp_p"]) in
              ((69, 49353), (4, 1178))]
    assert picked == [(49353, 69, "ALTER_CONTEXT", "ALTER_CONTEXT_RESP", None, 0, 0),
                      (49353, 69, "REQUEST", "RESPONSE", 3, 1, 1),
                      (1178, 4, "ALTER_CONTEXT", "ALTER_CONTEXT_RESP", None, 0, 0),
                      (1178, 4, "REQUEST", "RESPONSE", 3, 1, 1)]


@pytest.mark.skipif(not (DATA / "zeek").is_dir(), reason=f"shared captures not found at {DATA}")
def test_real_zeek_ntlm_in_a_bind() -> None:
    """Zeek's ntlm.log of ntlm-unterminated-av-sequence: the server SATURN, from a bind_ack's
    NTLM CHALLENGE whose target information is declared longer than sent."""
    import wirelens

    pcap = DATA / "zeek/testing/btest/Traces/dce-rpc/ntlm-unterminated-av-sequence.pcap"
    got = wirelens.analyze(pcap).tables["dce_rpc"].to_pylist()
    assert [(r["request"], r["response"], r["endpoint"], r["auth_type"], r["auth_level"],
             r["ntlm_server_nb_name"]) for r in got] == [
        ("BIND", "BIND_ACK", "nspi", "ntlmssp", "connect", "SATURN")]


# --- over SMB named pipes (smb_pipes.py) ----------------------------------------------------

def _smb2_pipe(cmd: int, mid: int, body: bytes, resp: bool = False, status: int = 0) -> bytes:
    return nbss(smb2(cmd, mid, body, resp=resp, status=status, tree=9))


def create_resp(mid: int, file_id: bytes) -> bytes:
    """SMB2 CREATE response (MS-SMB2 §2.2.14): FileId after 64 bytes of attributes."""
    return _smb2_pipe(5, mid, struct.pack("<HBBI", 89, 0, 0, 1) + bytes(56) + file_id
                      + bytes(8), resp=True)


def write_req(mid: int, file_id: bytes, data: bytes) -> bytes:
    return _smb2_pipe(9, mid, struct.pack("<HHIQ", 49, 64 + 48, len(data), 0) + file_id
                      + bytes(16) + data)


def read_req(mid: int, file_id: bytes) -> bytes:
    return _smb2_pipe(8, mid, struct.pack("<HBBIQ", 49, 0, 0, 4280, 0) + file_id + bytes(17))


def read_resp(mid: int, data: bytes, status: int = 0) -> bytes:
    return _smb2_pipe(8, mid, struct.pack("<HBBIII", 17, 64 + 16, 0, len(data), 0, 0) + data,
                      resp=True, status=status)


def transceive(mid: int, file_id: bytes, data: bytes, resp: bool = False) -> bytes:
    """FSCTL_PIPE_TRANSCEIVE (MS-SMB2 §2.2.31, §2.2.32): input in the request, output in the
    response."""
    head = struct.pack("<HHI", 57 if not resp else 49, 0, 0x0011C017) + file_id
    if resp:
        body = head + struct.pack("<IIIIII", 64 + 48, 0, 64 + 48, len(data), 0, 0) + data
    else:
        body = head + struct.pack("<IIIIIIII", 64 + 56, len(data), 0, 0, 0, 4280, 1, 0) + data
    return _smb2_pipe(11, mid, body, resp=resp)


def pipe_conversation(connect: bool = True) -> list[tuple[bool, bytes]]:
    """An svcctl pipe over SMB2: tree connect to IPC$ (share type PIPE, unless the capture
    started after it), CREATE, the bind written and its answer read (an interim
    STATUS_PENDING first), a call by transceive, CLOSE; a file of another share opened too."""
    fid, other = bytes(range(16)), bytes(range(16, 32))
    bind = co(11, bind_body([(0, SVCCTL, 2, 0)]), 1)
    chunks = [(True, nbss(tree_connect_req(1, r"\\srv\IPC$"))),
              (False, nbss(tree_connect_resp(1, 9, share_type=2)))] if connect else []
    return chunks + [
        (True, nbss(create_req(2, "svcctl", tree=9))), (False, create_resp(2, fid)),
        (True, write_req(3, fid, bind)), (True, read_req(4, fid)),
        (False, read_resp(4, b"", status=0x103)),
        (False, read_resp(4, co(12, bind_ack_body([0]), 1))),
        (True, transceive(5, fid, co(0, request_body(0, 15, b"x" * 12), 2))),
        (False, transceive(5, fid, co(2, response_body(0, b"y" * 20), 2), resp=True)),
        (True, nbss(create_req(6, "notes.txt", tree=9))), (False, create_resp(6, other)),
        (True, write_req(7, other, b"plain text, not DCE/RPC")),
        (True, _smb2_pipe(6, 8, struct.pack("<HHI", 24, 0, 0) + fid)),  # CLOSE
    ]


@pytest.mark.parametrize("connect", [True, False])
def test_smb2_named_pipe(connect: bool) -> None:
    from wirelens.dissect.smb import SmbDissector

    for step in (0, 7):
        got = rows(feed_all(SmbDissector, pipe_conversation(connect), TCP, step))
        assert [(r.named_pipe, *view(r)[:7]) for r in got] == [
            ("\\PIPE\\ntsvcs", "BIND", "BIND_ACK", 1, "svcctl", None, 0, 0),
            ("\\PIPE\\ntsvcs", "REQUEST", "RESPONSE", 2, "svcctl", "OpenSCManagerW", 1, 12)]


@pytest.mark.skipif(not (DATA / "zeek").is_dir(), reason=f"shared captures not found at {DATA}")
def test_real_zeek_smb1_transaction_dce_rpc() -> None:
    """Zeek's dce_rpc.log of its smb1-transaction-dcerpc test: the pipe \\PIPE\\lsass,
    dssetup's DsRolerGetPrimaryDomainInformation answered in 2.138 ms (SMB1 TransactNmPipe;
    the capture starts after the tree connect)."""
    import wirelens

    pcap = (DATA / "zeek/testing/btest/Traces/smb"
            / "dssetup_DsRoleGetPrimaryDomainInformation_standalone_workstation.cap")
    got = [r for r in wirelens.analyze(pcap).tables["dce_rpc"].to_pylist()
           if r["request"] == "REQUEST"]
    assert [(r["named_pipe"], r["endpoint"], r["operation"], round(r["rtt"], 6))
            for r in got] == [("\\PIPE\\lsass", "dssetup",
                               "DsRolerGetPrimaryDomainInformation", 0.002138)]


@needs_data
def test_real_smb2_pipes() -> None:
    """smb2-06 (net user over SMB2: samr), and Zeek's 20-fids (twenty samr pipes)."""
    calls = _calls("smb2-06")
    assert (calls[("samr", "SamrConnect5")], calls[("samr", "SamrEnumerateDomainsInSamServer")]
            ) == (4, 3)
    import wirelens

    fids = wirelens.analyze(DATA / "zeek/testing/btest/Traces/dce-rpc/20-fids.pcap")
    got = Counter((r["request"], r["operation"]) for r in fids.tables["dce_rpc"].to_pylist())
    assert (got[("BIND", None)], got[("REQUEST", "SamrConnect5")],
            got[("REQUEST", "SamrCloseHandle")]) == (20, 20, 40)


# --- fuzz ----------------------------------------------------------------------------------

EDITS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 12), st.integers(0, 255)),
                 min_size=1, max_size=6)


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 7), edits=EDITS, step=st.sampled_from([0, 1, 5, 64]))
def test_fuzz_mutated_association(which: int, edits: list[tuple[int, int, int]],
                                  step: int) -> None:
    """Invariant: any mutation of the association, in any split, yields rows or raises
    ParseError (within the deadline); ``matches`` never raises."""
    chunks = association()
    side, data = chunks[which]
    chunks[which] = (side, mutate(data, edits))
    for proto in (TCP, UDP):
        assert isinstance(DceRpcDissector.matches(chunks[which][1], proto, side), bool)
    try:
        events = feed_all(DceRpcDissector, chunks, TCP, step)
    except ParseError:
        return
    assert all(isinstance(e, (DceRpcRecord, KerberosRecord)) for e in events)


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 13), edits=EDITS, step=st.sampled_from([0, 1, 9]),
       connect=st.booleans())
def test_fuzz_mutated_pipe_conversation(which: int, edits: list[tuple[int, int, int]],
                                        step: int, connect: bool) -> None:
    """Invariant: any mutation of the SMB2 pipe conversation, in any split, yields rows or
    raises ParseError (within the deadline)."""
    from wirelens.dissect.smb import SmbDissector, SmbRecord

    chunks = pipe_conversation(connect)
    side, data = chunks[which % len(chunks)]
    chunks[which % len(chunks)] = (side, mutate(data, edits))
    try:
        events = feed_all(SmbDissector, chunks, TCP, step)
    except ParseError:
        return
    assert all(isinstance(e, (DceRpcRecord, SmbRecord, KerberosRecord)) for e in events)


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(sorted(ARG_DECODERS)),
       stub=st.binary(max_size=400), little=st.booleans(), ndr64=st.booleans())
def test_fuzz_call_arguments(key: tuple[str, int], stub: bytes, little: bool,
                             ndr64: bool) -> None:
    """Invariant: any stub gives string pairs or None, never an exception."""
    got = call_arguments(key[0], key[1], stub, little, ndr64)
    assert got is None or all(isinstance(k, str) and isinstance(v, str) for k, v in got)
