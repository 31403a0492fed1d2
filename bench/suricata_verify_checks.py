"""Do our dns/tls/http/quic/dce_rpc/smtp/ssh/ftp tables pass suricata-verify's checks on its captures?

Each test ``suricata-verify/tests/<name>/`` holds a capture and ``test.yaml``, whose ``checks:``
list filters on Suricata's EVE JSON events, e.g.::

    - filter:
        count: 1                 # absent: at least one event must match
        match:
          event_type: tls
          tls.sni: vlscppe.microsoft.com

A check counts here when its ``event_type`` is ``dns``, ``tls``, ``http``, ``quic``, ``smtp``
(one row per transaction, as EVE's; its paths compared without their angle brackets),
``ssh`` (the versions read from our client and server identification strings), ``ftp`` (one
row per command, as EVE's transactions; the server's greeting, which EVE logs as a
transaction of its own, counted once per connection from our rows' ``banner``) or
``dcerpc`` (our ``dce_rpc`` table: one row per call, as EVE's REQUEST/RESPONSE event, and per
BIND or ALTER_CONTEXT with its answer; EVE's ``stub_data_size`` is not compared: Suricata
counts a request's object UUID and a response's 8 header bytes in it, we count the stub
alone, as the PDU's alloc_hint does). It is translated into a query on our table when every other key of ``match`` is a plain
field comparison listed in :data:`FIELD_MAP` (or :data:`COMMON`) with a scalar value (or a
list, for the ClientHello's cipher suites, extensions and signature algorithms); the check
passes when the number of our rows satisfying all comparisons equals ``count`` (or is >= 1
without ``count``). Skipped, and counted as such, with the reason:

- keys outside the maps (``pcap_cnt`` of other events than DNS, ``dns.flags``,
  ``quic.extensions[..]``,
  ``tls.client_handshake.*``, ``http.request_headers[..]``, ...) or non-scalar values;
- a whole test whose ``requires:`` holds anything but ``min-version``/``version`` and the
  ``HAVE_JA3``/``HAVE_JA4`` features (``lt-version`` tests expect old Suricata output; ``files``,
  ``script``, ``env`` ... cannot be expressed), or a check with its own ``lt-version``;
- ``not-has-key`` (a test's own configuration turning EVE fields off).

Suricata logs a DNS query and its answer as two events; our dns row is one transaction and
says which it saw (``has_query``, ``is_response``). ``dns.type: answer``/``response`` counts
our rows with a response, ``query``/``request`` those with the query; without ``dns.type`` a
row counts once for its query and once for its response (only the response when a condition
is on an answer field, ``rcode`` or ``answers``). A response event is sent by the server:
its ``src_*`` and ``ether.src_mac`` are our ``resp_*`` side (EVE's DNS format 3, the
default; a test whose own ``suricata.yaml`` asks for format 2 logs answers in the flow's
direction, and is read so). ``ether.src_mac``/``dest_mac``
(and ``has-key: ether``) and ``vlan[0]`` are read from the flow's conn row (by ``uid``).
A DNS event's ``pcap_cnt`` (the number of the packet that carried it) is compared as that
packet's time: our row's ``ts`` for the query, ``ts`` + ``rtt`` for the answer (``ts`` when
only the answer was seen); its ``dns.tx_id``, Suricata's transaction number (one per DNS
message of the flow, from 0), as the message's place among the flow's messages in time order.
``dns.answers[N].rrtype``, ``.rrname``, ``.rdata`` and ``.ttl`` from ``answer_types``,
``answer_names``, ``answers`` and ``TTLs`` (``dns.authorities[N]`` likewise); ``tls.serial`` and ``tls.notbefore`` from
the leaf certificate's x509 row. A resumed TLS session up to 1.2 is not an event: EVE's
tls logger leaves them out unless ``session-resumption: yes`` (off by default); it logs every
TLS 1.3 session, resumed (a pre-shared key) or not.

``tls.version`` is the negotiated version, or the client's when no ServerHello was seen (as
Suricata >= 8.0.3 logs it: suricata-verify ``bug-5713-01``).

The test's ``args`` (``--set ...``) and its own ``suricata.yaml`` (which may change what EVE
logs) are not applied; a failure in such a test says so.

Run: ``.venv/bin/python bench/suricata_verify_checks.py [--data DIR] [--verbose]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from l7_compare import (  # noqa: E402 -- the bench folder is not a package
    DEFAULT_DATA,
    CaptureResult,
    YamlError,
    canon_ip,
    load_yaml,
    pct,
    run_capture,
)

SV_TESTS = Path("suricata-verify") / "tests"
EVENTS = ("dns", "tls", "http", "quic", "dcerpc", "smtp", "ssh", "ftp")
TABLE_OF = {"dcerpc": "dce_rpc"}
"""Our table of an event type, where the names differ."""
ALLOWED_REQUIRES = frozenset({"min-version", "version"})
ALLOWED_FEATURES = frozenset({"HAVE_JA3", "HAVE_JA4"})


# ----------------------------------------------------------------------------- value normalisers

def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _int(v: Any) -> int | None:
    try:
        return None if v is None else int(v)
    except (TypeError, ValueError):
        return None


def _tls_version(v: Any) -> str | None:
    """``TLSv1``/``TLS 1.0``/``TLSv10`` -> ``1.0``; ``TLS 1.2``/``TLSv12`` -> ``1.2``; SSL kept;
    Suricata's ``UNDETERMINED`` (no ServerHello) -> None like our null version. A TLS 1.3
    draft is ``1.3``: Suricata names the drafts before 16 as one (``TLS 1.3 draft-<16``,
    e.g. a ServerHello carrying 0x0304 itself), we name a draft by its version code
    (``TLSv13-draft23``; ``TLSv13`` for 0x0304)."""
    if v is None or str(v).upper() == "UNDETERMINED":
        return None
    t = str(v).upper().replace(" ", "").split("-DRAFT")[0].split("DRAFT")[0]
    if t.startswith("SSL"):
        return t
    digits = "".join(c for c in t if c.isdigit())
    if len(digits) == 1:
        digits += "0"
    return f"{digits[0]}.{digits[1:]}" if digits else t


def _http_version(v: Any) -> str | None:
    return None if v is None else str(v).upper().removeprefix("HTTP/")


def _media_type(v: Any) -> str | None:
    """Content-Type without parameters, lower case (RFC 9110 8.3.1): Suricata logs it so."""
    return None if v is None else str(v).split(";", 1)[0].strip().lower()


def _ints(v: Any) -> tuple[int, ...] | None:
    """A list of numbers (cipher suites, extension types), compared whole and in order."""
    return None if v is None else tuple(int(x) for x in v)


def _time(v: Any) -> str | None:
    """A time as EVE writes certificate validity: ``YYYY-MM-DDTHH:MM:SS`` (UTC)."""
    if v is None:
        return None
    if hasattr(v, "strftime"):
        return str(v.strftime("%Y-%m-%dT%H:%M:%S"))
    return str(v)


def _serial(v: Any) -> str | None:
    """A certificate serial number as hex digits, upper case, without EVE's colons or
    leading zeros."""
    return None if v is None else str(v).replace(":", "").upper().lstrip("0") or "0"


def _path(v: Any) -> str | None:
    """An SMTP reverse- or forward-path without its angle brackets (EVE keeps them)."""
    return None if v is None else str(v).strip().removeprefix("<").removesuffix(">")


def _ssh_part(k: int) -> Callable[[Any], str | None]:
    """Part ``k`` of an SSH identification string (RFC 4253 §4.2: ``SSH-protoversion-
    softwareversion SP comments``): 1 the protocol version, 2 the software version. Our
    client/server columns hold the whole string; EVE's value is the part already."""
    def part(v: Any) -> str | None:
        if v is None:
            return None
        t = str(v)
        if t.startswith("SSH-"):
            t = t.split(" ", 1)[0].split("-", 2)[k] if t.count("-") >= 2 else ""
        return t
    return part


def _ip(v: Any) -> str | None:
    return None if v is None else canon_ip(str(v))


def _length(v: Any) -> int | None:
    """EVE's ``<field>.__len`` (the length of a string value) against our string."""
    return len(v) if isinstance(v, str) else _int(v)


def _ftp_mode(v: Any) -> str | None:
    """EVE's FTP ``mode`` (``passive``/``active``) from our ``data_channel_passive``."""
    if isinstance(v, bool):
        return "passive" if v else "active"
    return None if v is None else str(v)


def _received(v: Any) -> str:
    """EVE's ``reply_received`` (``yes``/``no``) from our reply (code, or codeless text)."""
    if v in ("yes", "no"):
        return str(v)
    return "no" if v is None else "yes"


def _flag(v: Any) -> bool | None:
    return None if v is None else str(v).lower() == "true"


@dataclass(frozen=True)
class Column:
    """Where a Suricata field lives in our table and how both sides are normalised."""

    column: str
    norm: Callable[[Any], Any] = _text
    offset: int = 0
    """Added to our value before comparing (http tx_id is 0-based, trans_depth 1-based)."""
    fallback: str | None = None
    """Our column read when ``column`` is null."""
    index: int | None = None
    """Item of a list column compared (``answers[N]``)."""
    source: str = ""
    """Where the column is: the event's row (""), the flow's ``conn`` row or the leaf
    certificate's ``x509`` row (the server's first; joined by ``uid``)."""
    swap: str | None = None
    """The column read for an event the server sends (``src_ip`` of a DNS response)."""
    answer: bool = False
    """Only a DNS response event has this field."""


COMMON: dict[str, Column] = {
    "src_ip": Column("orig_h", _ip, swap="resp_h"), "dest_ip": Column("resp_h", _ip, swap="orig_h"),
    "src_port": Column("orig_p", _int, swap="resp_p"),
    "dest_port": Column("resp_p", _int, swap="orig_p"),
    "ether.src_mac": Column("orig_mac", source="conn", swap="resp_mac"),
    "ether.dest_mac": Column("resp_mac", source="conn", swap="orig_mac"),
    "vlan[0]": Column("vlan", _int, source="conn"),
}
"""EVE keys of every event (its src is the sender: the flow's client, but the server for a
DNS response event)."""
HAS_KEY = {"ether": Column("orig_mac", source="conn")}
"""``has-key`` values we can express: the field is logged when the flow's conn row has it."""

FIELD_MAP: dict[str, dict[str, Column]] = {
    "dns": {
        "dns.rrname": Column("query"), "dns.queries[0].rrname": Column("query"),
        "dns.rrtype": Column("qtype_name"), "dns.queries[0].rrtype": Column("qtype_name"),
        "dns.id": Column("trans_id", _int),
        "dns.rcode": Column("rcode_name", answer=True),
        **{f"dns.answers[{i}].rrtype": Column("answer_types", index=i, answer=True)
           for i in range(8)},
        **{f"dns.answers[{i}].rdata": Column("answers", index=i, answer=True)
           for i in range(8)},
        **{f"dns.answers[{i}].rrname": Column("answer_names", index=i, answer=True)
           for i in range(8)},
        **{f"dns.answers[{i}].ttl": Column("TTLs", _int, index=i, answer=True)
           for i in range(8)},
        **{f"dns.authorities[{i}].{key}": Column(col, norm, index=i, answer=True)
           for i in range(4) for key, col, norm in (
               ("rrname", "authority_names", _text), ("rrtype", "authority_types", _text),
               ("rdata", "authorities", _text),
               ("ttl", "authority_TTLs", _int))},
    },
    "tls": {
        "tls.sni": Column("server_name"), "tls.version": Column("version", _tls_version, fallback="client_version"),
        "tls.ja3.hash": Column("ja3_hash"), "tls.ja3.string": Column("ja3"),
        "tls.ja3s.hash": Column("ja3s_hash"), "tls.ja3s.string": Column("ja3s"),
        "tls.ja4": Column("ja4"), "tls.subject": Column("cert_subject"),
        "tls.issuerdn": Column("cert_issuer"), "tls.notafter": Column("cert_not_after", _time),
        "tls.notbefore": Column("not_before", _time, source="x509"),
        "tls.serial": Column("serial", _serial, source="x509"),
        "tls.from_proto": Column("service", source="conn"),  # the protocol that started TLS
        "tls.client_handshake.version": Column("client_version", _tls_version),
        "tls.client_handshake.ciphers": Column("cipher_suite_codes", _ints),
        "tls.client_handshake.exts": Column("extensions", _ints),
        "tls.client_handshake.sig_algs": Column("signature_algorithms", _ints),
        "tls.server_handshake.version": Column("version", _tls_version),
        "tls.server_handshake.cipher": Column("cipher_code", _int),
        "tls.server_handshake.exts": Column("server_extensions", _ints),
    },
    "http": {
        "http.hostname": Column("host"), "http.url": Column("uri"),
        "http.http_user_agent": Column("user_agent"), "http.status": Column("status_code", _int),
        "http.http_method": Column("method"), "http.protocol": Column("version", _http_version),
        "http.http_refer": Column("referrer"),
        "http.http_content_type": Column("response_content_type", _media_type),
        "http.length": Column("response_body_len", _int),
        "http.redirect": Column("location"),
        "tx_id": Column("trans_depth", _int, offset=-1),
    },
    "quic": {
        "quic.sni": Column("server_name"), "quic.ua": Column("user_agent"),
        "quic.ja4": Column("ja4"), "quic.version": Column("version"),
    },
    "dcerpc": {
        "dcerpc.request": Column("request"), "dcerpc.response": Column("response"),
        "dcerpc.call_id": Column("call_id", _int), "dcerpc.rpc_version": Column("rpc_version"),
        "dcerpc.req.opnum": Column("opnum", _int),
        "dcerpc.req.frag_cnt": Column("request_frags", _int),
        "dcerpc.res.frag_cnt": Column("response_frags", _int),
        "dcerpc.interfaces[0].uuid": Column("uuid"),
        "dcerpc.interfaces[0].service": Column("endpoint"),
        "dcerpc.interfaces[0].procedure": Column("operation"),
    },
    "smtp": {
        "smtp.helo": Column("helo"), "smtp.mail_from": Column("mail_from", _path),
        **{f"smtp.rcpt_to[{i}]": Column("rcpt_to", _path, index=i) for i in range(4)},
        "tx_id": Column("trans_depth", _int, offset=-1),
    },
    "ftp": {
        "ftp.command": Column("command"), "ftp.command_data": Column("arg"),
        "ftp.command_data.__len": Column("arg", _length),
        "ftp.mode": Column("data_channel_passive", _ftp_mode),
        "ftp.dynamic_port": Column("data_channel_resp_p", _int),
        "ftp.reply_received": Column("reply_code", _received, fallback="reply_msg"),
        "ftp.command_truncated": Column("command_truncated", _flag),
        "ftp.reply_truncated": Column("reply_truncated", _flag),
    },
    "ssh": {
        **{f"ssh.{side}.proto_version": Column(side, _ssh_part(1)) for side in ("client", "server")},
        **{f"ssh.{side}.software_version": Column(side, _ssh_part(2))
           for side in ("client", "server")},
        "ssh.client.hassh.hash": Column("hassh"), "ssh.server.hassh.hash": Column("hassh_server"),
    },
}
"""EVE field -> our column, per event type (documented in the module docstring)."""

PROTO_OF = {"tls": "tcp", "http": "tcp", "quic": "udp", "dcerpc": "tcp", "smtp": "tcp", "ssh": "tcp",
            "ftp": "tcp"}
"""Transport of the tables without a proto column (dns has one)."""


# ----------------------------------------------------------------------------- checks

@dataclass
class Check:
    """One translated check, or why it was skipped."""

    test: str
    index: int
    event: str
    match: dict[str, Any]
    count: int | None
    skip: str | None = None
    conds: list[tuple[str, Column, Any]] = field(default_factory=list)
    dns_events: str = "both"
    """DNS events counted: ``query``, ``response`` or ``both`` (see the module docstring)."""
    proto: str | None = None
    packet: int | None = None
    """``pcap_cnt`` of a DNS event: the number (from 1) of the packet that carried it."""
    tx_id: int | None = None
    """``dns.tx_id``: Suricata's transaction number in the flow (from 0), one per message."""

    def text(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self.match.items() if k != "event_type")
        return f"{self.event}[{body}] count={'>=1' if self.count is None else self.count}"


def _requires_skip(req: Any) -> str | None:
    if not req:
        return None
    if not isinstance(req, dict):
        return "requires: not a mapping"
    for k, v in req.items():
        if k == "features":
            extra = set(v if isinstance(v, list) else [v]) - ALLOWED_FEATURES
            if extra:
                return f"requires features {sorted(extra)}"
        elif k not in ALLOWED_REQUIRES:
            return f"requires {k}"
    return None


def translate(test: str, index: int, event: str, filt: dict[str, Any]) -> Check:
    """A check on our table, or a skipped one with its reason."""
    match = filt.get("match") or {}
    count = filt.get("count")
    chk = Check(test, index, event, match, count if isinstance(count, int) else None)
    extra = set(filt) - {"count", "match", "min-version", "version", "requires"}
    req = _requires_skip(filt.get("requires"))
    if req is not None:
        chk.skip = f"check {req}"
        return chk
    if extra:
        chk.skip = f"filter keys {sorted(extra)}"
        return chk
    fields = {**COMMON, **FIELD_MAP[event]}
    for k, v in match.items():
        if k == "event_type":
            continue
        if isinstance(v, dict) or (isinstance(v, list) and (
                k not in fields or fields[k].norm is not _ints)):
            chk.skip = f"non-scalar value of {k}"
            return chk
        if k == "proto":
            chk.proto = str(v).lower()
            continue
        if event == "dns" and k == "pcap_cnt" and isinstance(v, int):
            chk.packet = v
            continue
        if event == "dns" and k == "dns.tx_id" and isinstance(v, int):
            chk.tx_id = v
            continue
        if event == "dns" and k == "dns.type":
            chk.dns_events = {"answer": "response", "request": "query"}.get(str(v), str(v))
            continue
        col = HAS_KEY.get(str(v)) if k == "has-key" else fields.get(k)
        if col is None:
            chk.skip = f"not a plain comparison we can express: {k}"
            return chk
        chk.conds.append((k, col, None if k == "has-key" else col.norm(v)))
    if chk.dns_events not in ("query", "response", "both"):
        chk.skip = f"dns.type {chk.dns_events}"
    return chk


Flow = dict[str, dict[str, Any]]
"""A row's flow: its ``conn`` row and its leaf ``x509`` row (empty when none)."""


def _value(row: dict[str, Any], flow: Flow, col: Column, sent_by_server: bool) -> Any:
    """Our value of one condition's column for an event of ``row``."""
    name = col.swap if sent_by_server and col.swap else col.column
    got = (flow.get(col.source, {}) if col.source else row).get(name)
    if got is None and col.fallback is not None:
        got = row.get(col.fallback)
    if col.index is not None:
        got = got[col.index] if isinstance(got, list) and len(got) > col.index else None
    if got is not None and col.offset:
        got = got + col.offset
    return got


TLS_RESUMED = re.compile(r"session-resumption:\s*yes")
"""A test's own ``suricata.yaml`` logging resumed TLS sessions."""
DNS_V2 = re.compile(r"-\s*dns:\s*\n(?:[ \t]+\S.*\n)*?[ \t]+version:\s*2\b")
"""A test's own ``suricata.yaml`` asking for EVE's DNS format 2."""


@dataclass(frozen=True)
class Config:
    """What a test's own ``suricata.yaml`` changes in the events compared."""

    dns_v2: bool = False
    """DNS answers logged in the flow's direction (EVE DNS format 2)."""
    tls_resumed: bool = False
    """Resumed TLS sessions logged."""

    @classmethod
    def of(cls, test_dir: Path) -> Config:
        path = test_dir / "suricata.yaml"
        if not path.is_file():
            return cls()
        text = path.read_text(errors="replace")
        return cls(DNS_V2.search(text) is not None, TLS_RESUMED.search(text) is not None)


def _events(chk: Check, row: dict[str, Any], flow: Flow, cfg: Config,
            packet_ns: int | None = None, messages: list[int] | None = None) -> int:
    """How many of the events Suricata would log for our row match the check
    (``packet_ns``: the time of the check's ``pcap_cnt`` packet, which carried the event;
    ``messages``: the times of the DNS messages of the row's flow, in order)."""
    def holds(by_server: bool, response: bool = False) -> bool:
        sent = _sent_ns(row, response) if packet_ns is not None or messages is not None else None
        if packet_ns is not None and sent != packet_ns:
            return False
        if messages is not None and (sent not in messages or messages.index(sent) != chk.tx_id):
            return False
        for k, col, want in chk.conds:
            got = _value(row, flow, col, by_server)
            if (got is None) if k == "has-key" else col.norm(got) != want:
                return False
        return True

    if (chk.event == "tls" and row.get("resumed") and not cfg.tls_resumed
            and not str(row.get("version") or "").startswith("TLSv13")):
        return 0
    if chk.event != "dns":
        return int(holds(False))
    response = row.get("rcode") is not None
    query = not response or row.get("rtt") is not None  # (rtt: both were seen)
    n = 0
    if query and chk.dns_events != "response" and not any(c.answer for _, c, _ in chk.conds):
        n += holds(False)
    if response and chk.dns_events != "query":
        n += holds(not cfg.dns_v2, response=True)
    return n


def _sent_ns(row: dict[str, Any], response: bool) -> int | None:
    """When our DNS row's query (or response) was sent, in ns: ``ts`` is the query's time, or
    the response's when no query was seen; ``rtt`` the time between them."""
    ts, rtt = row.get("ts_ns"), row.get("rtt")
    answered = row.get("rcode") is not None
    if ts is None or response != answered and rtt is None:  # (that message was not seen)
        return None
    return ts + round(rtt * 1e9) if response and rtt is not None else ts


def _with_greetings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FTP rows and, per connection, its server's greeting, which EVE logs as a transaction
    of its own (no command; its reply the banner) and our rows carry in ``banner``."""
    out, seen = [], set()
    for r in rows:
        if r.get("banner") is not None and r.get("uid") not in seen:
            seen.add(r.get("uid"))
            out.append({**r, "command": None, "arg": None, "reply_code": None,
                        "reply_msg": r["banner"], "data_channel_passive": None,
                        "data_channel_resp_p": None, "command_truncated": False,
                        "reply_truncated": False})
        out.append(r)
    return out


def packet_times(pcap: Path) -> list[int]:
    """The time (ns) of each packet of ``pcap``, in file order (``pcap_cnt`` - 1 indexes it)."""
    from wirelens.capture import open_capture

    with open_capture(pcap) as src:
        return [t for raw in src for t in raw.ts_ns.tolist()]


def evaluate(chk: Check, res: CaptureResult, columns: set[str],
             cfg: Config = Config(), times: list[int] | None = None) -> tuple[bool, str]:
    """(passed, why not) of a translated check against one capture's tables (``times``:
    :func:`packet_times` of its capture, for a check naming its packet)."""
    packet_ns = None
    if chk.packet is not None:
        if times is None or not 1 <= chk.packet <= len(times):
            return False, f"pcap_cnt {chk.packet}: no such packet"
        packet_ns = times[chk.packet - 1]
    if not columns:
        return False, f"no {chk.event} table registered"
    missing = [col.column for _, col, _ in chk.conds if not col.source and col.column not in columns]
    if missing:
        return False, f"our {chk.event} table has no column {', '.join(sorted(set(missing)))}"
    rows = res.rows(TABLE_OF.get(chk.event, chk.event))
    if chk.event == "ftp":
        rows = _with_greetings(rows)
    conns = {c["uid"]: c for c in res.rows("conn")}
    leaves = {x["uid"]: x for x in res.rows("x509") if x.get("chain_pos") == 0
              and not x.get("is_client")}

    def flow(r: dict[str, Any]) -> Flow:
        uid = r.get("uid")
        return {"conn": conns.get(uid, {}), "x509": leaves.get(uid, {})}

    messages: dict[Any, list[int]] = {}  # uid -> its DNS messages' times, in order
    if chk.tx_id is not None:
        for r in rows:
            sent = (_sent_ns(r, False), _sent_ns(r, True))
            messages.setdefault(r.get("uid"), []).extend(t for t in sent if t is not None)
        for times_of_flow in messages.values():
            times_of_flow.sort()
    hits = []
    for r in rows:
        if chk.proto is not None:
            ours = r.get("proto") or PROTO_OF.get(chk.event)
            if str(ours).lower() != chk.proto:
                continue
        hits.extend([r] * _events(chk, r, flow(r), cfg, packet_ns,
                                  None if chk.tx_id is None else messages.get(r.get("uid"), [])))
    n = len(hits)
    passed = n >= 1 if chk.count is None else n == chk.count
    if passed:
        return True, ""
    why = f"{n} matching rows of {len(rows)} {chk.event} rows"
    if rows and chk.conds and n == 0:  # the first condition none of our rows meets
        for k, col, want in chk.conds:
            got = {col.norm(_value(r, flow(r), col, side)) for r in rows for side in (False, True)}
            if k != "has-key" and want not in got:
                why += f"; {k}: want {want!r}, ours {sorted(map(str, got))[:5]}"
                break
    return False, why


@dataclass
class Report:
    """Outcome of every check of interest."""

    tests: int = 0
    checks: int = 0
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    per_event: Counter[str] = field(default_factory=Counter)
    per_event_ok: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def _pcap_of(test_dir: Path, spec: dict[str, Any]) -> Path | None:
    named = spec.get("pcap")
    if named is False:
        return None
    if isinstance(named, str):
        p = test_dir / named
        return p if p.is_file() else None
    found = sorted(p for p in test_dir.iterdir() if ".pcap" in p.name or p.suffix == ".cap")
    return found[0] if len(found) == 1 else None


def run(data: Path, timeout_s: float, only: list[str] | None = None) -> Report:
    """Translate and evaluate every check of interest."""
    rep = Report()
    root = data / SV_TESTS
    for test_dir in sorted({p.parent for p in root.rglob("test.yaml")}):  # (dcerpc/ nests)
        if only and test_dir.name not in only:
            continue
        yml = test_dir / "test.yaml"
        if not yml.is_file():
            continue
        text = yml.read_text(errors="replace")
        if not any(f"event_type: {e}" in text for e in EVENTS):
            continue
        try:
            spec = load_yaml(text) or {}
        except YamlError as exc:
            rep.errors.append(f"{test_dir.name}: test.yaml outside the YAML subset ({exc})")
            continue
        checks = []
        for i, c in enumerate(spec.get("checks") or []):
            filt = c.get("filter") if isinstance(c, dict) else None
            if isinstance(filt, dict) and (filt.get("match") or {}).get("event_type") in EVENTS:
                checks.append(translate(test_dir.name, i, filt["match"]["event_type"], filt))
        if not checks:
            continue
        rep.tests += 1
        whole = _requires_skip(spec.get("requires"))
        pcap = _pcap_of(test_dir, spec)
        if whole is None and pcap is None:
            whole = "no single capture in the test folder"
        res: CaptureResult | None = None
        times: list[int] | None = None
        own_cfg = (test_dir / "suricata.yaml").is_file()
        cfg = Config.of(test_dir)
        for chk in checks:
            rep.checks += 1
            reason = whole or chk.skip
            if reason is not None:
                rep.skipped[reason] += 1
                continue
            if res is None:
                assert pcap is not None
                res = run_capture(pcap, timeout_s)
                if res.error is not None:
                    rep.errors.append(f"{test_dir.name}: {res.error}")
            table = TABLE_OF.get(chk.event, chk.event)
            tab_cols = set(res.rows(table)[0]) if res.rows(table) else _columns(table)
            if chk.packet is not None and times is None:
                assert pcap is not None
                times = packet_times(pcap)
            ok, why = evaluate(chk, res, tab_cols, cfg, times)
            rep.per_event[chk.event] += 1
            if ok:
                rep.passed += 1
                rep.per_event_ok[chk.event] += 1
            else:
                note = " (test has its own suricata.yaml)" if own_cfg else ""
                rep.failed.append(f"{chk.test} #{chk.index}: {chk.text()}: {why}{note}")
    return rep


def _columns(table: str) -> set[str]:
    """Columns of one of our tables (empty when it is not registered)."""
    from wirelens.schema import SCHEMAS

    schema = SCHEMAS.get(table)
    return set(schema.names) if schema is not None else set()


def print_report(rep: Report, verbose: bool) -> None:
    """Pass rate, failures, skip reasons."""
    tried = rep.checks - sum(rep.skipped.values())
    print(f"tests with {'/'.join(EVENTS)} checks: {rep.tests}; checks: {rep.checks}; "
          f"expressible: {tried}; skipped: {sum(rep.skipped.values())}")
    print(f"passed: {pct(rep.passed, tried)}")
    for ev in EVENTS:
        print(f"  {ev:5s} {pct(rep.per_event_ok[ev], rep.per_event[ev]):>16s}")
    print(f"\nfailures ({len(rep.failed)}): test #check: check: why")
    for ln in rep.failed:
        print(f"  {ln}")
    for e in rep.errors:
        print(f"  error: {e[:200]}")
    print("\nskipped checks by reason:")
    for reason, n in rep.skipped.most_common(None if verbose else 15):
        print(f"  {n:4d}  {reason}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--timeout", type=float, default=20.0, help="per-capture time guard (s)")
    ap.add_argument("--test", nargs="*", help="only these test names")
    ap.add_argument("--verbose", "-v", action="store_true", help="every skip reason")
    args = ap.parse_args(argv)
    data = args.data.resolve()
    if not (data / SV_TESTS).is_dir():
        print(f"no suricata-verify tests under {data}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    print(f"suricata-verify checks, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    rep = run(data, args.timeout, args.test)
    print_report(rep, args.verbose)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
