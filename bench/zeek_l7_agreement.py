"""Do our dns, tls, http, websocket and x509 tables agree with Zeek's dns.log, ssl.log,
http.log, websocket.log and x509.log baselines?

Zeek's btest baselines (``zeek/testing/btest/Baseline/<test>/{dns,ssl,http}.log``) are paired
with a trace of ``zeek/testing/btest/Traces`` the way ``bench/zeek_conn_agreement.py`` pairs
``conn.log`` baselines (whose functions are reused): the trace whose flows cover most of the
log's ``(orig_h, orig_p, resp_h, resp_p[, proto])`` rows, ties broken by timestamps, flow counts
and name similarity.

A baseline the MANIFEST's ``expected`` column names for one or more traces is paired with
the one of those covering most of its rows; the content search alone picks near-twins in a
few cases (e.g. ``basic-auth-with-colon`` for the ``extra-space`` test). When none of them
covers a row (the column is a guess by name, wrong for a few tests), the content search
decides, and when that finds nothing either, the MANIFEST's trace stays (its rows then all
disagree: e.g. traces whose link layer or tunnel we do not decode).

Within a pair, each Zeek row is matched to a row of our table of the same kind without uids:
same directed endpoints first (then swapped, counted as a direction difference), preferring
the same transaction (dns ``trans_id``, http ``trans_depth``), then the nearest ``ts`` (within
1 ms when the baseline has real timestamps; masked ``XXXXXXXXXX.XXXXXX`` ones pair in order).

Compared (names with :func:`l7_compare.norm_name`: case-insensitive, no trailing dot):

- dns.log ``query``, ``qtype_name`` (Zeek's ``*`` is ANY), ``rcode_name``, the AA, TC, RD
  and RA flags, ``Z`` and ``answers`` (sets, names without case) = our dns columns;
- ssl.log ``server_name``, ``version``, ``cipher``, ``curve``, ``resumed`` and
  ``sni_matches_cert`` = our tls (or, for QUIC, quic) ``server_name``, ``version`` (quic:
  ``tls_version``), ``cipher``, ``curve``, ``resumed`` and ``sni_matches_cert``;
- http.log ``host`` (name) and ``uri`` = our http ``host`` and ``uri``; the URIs compared
  after decoding percent-encoding (Zeek logs the URI decoded, we keep it as sent) and Zeek's
  ``\\xNN`` log escapes (:func:`uri_bytes`); also ``method``, ``user_agent``,
  ``status_code`` and the body lengths (not ``version``: Zeek's is the response's, ours the
  request's; Zeek's body lengths are after content decoding, ours as sent);
- websocket.log ``host``, ``uri`` and ``subprotocol`` = our websocket columns;
- quic.log ``version`` (Zeek's ``quicv2`` is our ``2``), the three connection IDs,
  ``server_name`` and ``client_protocol`` (not ``history``: ours collapses repeated letters
  and ends when DPI stops reading the flow);
- ssh.log banners and negotiated algorithms; smtp.log ``helo``, ``mailfrom``, ``rcptto`` (as
  sets), ``subject`` and ``tls``; ftp.log ``user``, ``command``, ``arg`` (Zeek's ``<hidden>``
  password is our ``<redacted>``) and ``reply_code``, commands paired by name;
- ldap.log ``message_id``, ``version``, ``opcode``, ``result``, ``diagnostic_message``,
  ``object``, ``argument``, from our ldap rows as that log writes them (:func:`_ldap_view`);
- ntlm.log ``username``, ``hostname``, ``domainname`` and the server's names, from our ldap,
  smb and dce_rpc rows merged per flow;
- smb_files.log ``name``, ``size`` and the four times of its opens (``SMB::FILE_OPEN``),
  against our answered CREATE rows;
- dce_rpc.log ``rtt``, ``named_pipe``, ``endpoint`` and ``operation``, against our calls (not the
  negotiations, which it does not log);
- kerberos.log ``request_type``, ``client`` (``cname/realm``), ``service``, ``success``,
  ``error_msg``, ``cipher``, ``forwardable``, ``renewable``;
- sip.log ``method``, ``uri``, ``request_from`` (without the tag Zeek leaves out),
  ``request_to``, ``response_to``, ``call_id``, ``seq``, ``status_code``, ``status_msg``,
  ``user_agent``;
- dnp3.log ``fc_reply`` and ``iin`` against our response messages (:func:`_dnp3_responses`;
  its ``fc_request`` is the request Zeek pairs with a response, not something we log);
- ntp.log ``version``, ``mode``, ``stratum``, ``poll`` and ``precision`` (Zeek writes
  seconds, we the exponent), root delay and dispersion, ``ref_id``, ``xmt_time``; rdp.log
  ``cookie``, ``result``, ``security_protocol``, ``client_name``, desktop size,
  ``client_channels``, the server certificate's type, count and permanence, the encryption
  level and method;
- dhcp.log (no endpoints: a row is a transaction, joined across connections by its id as
  Zeek joins them, :func:`dhcp_transactions`): message types, client MAC and address, host
  name, FQDN, domain, requested and assigned address, lease time;
- x509.log (no endpoints: each row is matched by its ``fingerprint``, the certificate's
  SHA-256, with our x509 rows of any trace): version, serial, subject,
  issuer, validity, key type, length and curve, SAN DNS names (as sets), ``ca``
  (:data:`X509_FIELDS`).

A Zeek row with no row of ours disagrees. Our rows Zeek does not log are counted, not scored.

Run: ``.venv/bin/python bench/zeek_l7_agreement.py [--data DIR] [--verbose]``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent))

from l7_compare import (  # noqa: E402 -- the bench folder is not a package
    DEFAULT_DATA,
    CaptureResult,
    canon_ip,
    norm_name,
    pct,
    run_capture,
)
from zeek_conn_agreement import (  # noqa: E402
    TS_TOLERANCE_S,
    ZEEK_BTEST,
    find_pairs,
    key_columns,
    parse_conn_log,
    trace_files,
)

LOGS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], str | None]] = {
    "dns.log": (("dns",), (("query", "query", "name"), ("qtype_name", "qtype_name", "qtype"),
                           ("rcode_name", "rcode_name", "exact"), ("AA", "AA", "bool"),
                           ("TC", "TC", "bool"), ("RD", "RD", "bool"), ("RA", "RA", "bool"),
                           ("Z", "Z", "int"), ("answers", "answers", "nameset")), "trans_id"),
    "ssl.log": (("tls", "quic"), (("server_name", "server_name", "name"),
                                  ("version", "tls_version|version", "exact"),
                                  ("cipher", "cipher", "exact"), ("curve", "curve", "exact"),
                                  ("resumed", "resumed", "bool"),
                                  ("sni_matches_cert", "sni_matches_cert", "bool")), None),
    "http.log": (("http",), (("host", "host", "name"), ("uri", "uri", "uri"),
                             ("method", "method", "exact"),
                             ("user_agent", "user_agent", "exact"),
                             ("status_code", "status_code", "status"),
                             ("request_body_len", "request_body_len", "int"),
                             ("response_body_len", "response_body_len", "int")), "trans_depth"),
    "websocket.log": (("websocket",), (("host", "host", "name"), ("uri", "uri", "uri"),
                                       ("subprotocol", "subprotocol", "exact")), None),
    "quic.log": (("quic",), (("version", "version", "quic_version"),
                             ("client_initial_dcid", "client_initial_dcid", "exact"),
                             ("client_scid", "client_scid", "exact"),
                             ("server_scid", "server_scid", "exact"),
                             ("server_name", "server_name", "name"),
                             ("client_protocol", "client_protocol", "exact")), None),
    "ssh.log": (("ssh",), (("client", "client", "exact"), ("server", "server", "exact"),
                           ("kex_alg", "kex_alg", "exact"), ("host_key_alg", "host_key_alg", "exact"),
                           ("cipher_alg", "cipher_alg", "exact"), ("mac_alg", "mac_alg", "exact"),
                           ("compression_alg", "compression_alg", "exact")), None),
    "smtp.log": (("smtp",), (("helo", "helo", "exact"), ("mailfrom", "mail_from", "exact"),
                             ("rcptto", "rcpt_to", "set"), ("subject", "subject", "exact"),
                             ("tls", "tls", "bool")), "trans_depth"),
    "ldap.log": (("ldap",), (("message_id", "message_id", "int"), ("version", "version", "int"),
                             ("opcode", "z_opcode", "exact"), ("result", "z_result", "lower"),
                             ("diagnostic_message", "diagnostic_message", "text"),
                             ("object", "z_object", "prefix"),
                             ("argument", "z_argument", "exact")), "message_id"),
    "ntlm.log": (("ldap", "smb", "dce_rpc"), (("username", "ntlm_user", "exact"),
                                   ("hostname", "ntlm_host", "exact"),
                                   ("domainname", "ntlm_domain", "exact"),
                                   ("server_nb_computer_name", "ntlm_server_nb_name", "exact"),
                                   ("server_dns_computer_name", "ntlm_server_dns_name", "exact"),
                                   ("server_tree_name", "ntlm_server_tree", "exact")), None),
    "kerberos.log": (("kerberos",), (("request_type", "request_type", "exact"),
                                     ("client", "z_client", "exact"),
                                     ("service", "sname", "exact"), ("success", "success", "bool"),
                                     ("error_msg", "error_name", "exact"),
                                     ("cipher", "ticket_etype_name", "exact"),
                                     ("forwardable", "forwardable", "bool"),
                                     ("renewable", "renewable", "bool")), None),
    "sip.log": (("sip",), (("method", "method", "exact"), ("uri", "uri", "exact"),
                           ("request_from", "request_from", "untagged"),
                           ("request_to", "request_to", "exact"),
                           ("response_to", "response_to", "exact"),
                           ("call_id", "call_id", "exact"), ("seq", "seq", "exact"),
                           ("status_code", "status_code", "int"),
                           ("status_msg", "status_msg", "exact"),
                           ("user_agent", "user_agent", "exact")), "seq"),
    "dnp3.log": (("dnp3",), (("fc_reply", "func_name", "exact"), ("iin", "iin", "int")), None),
    "ntp.log": (("ntp",), (("version", "version", "int"), ("mode", "mode", "int"),
                           ("stratum", "stratum", "int"), ("poll", "poll", "log2"),
                           ("precision", "precision", "log2"),
                           ("root_delay", "root_delay", "float"), ("root_disp", "root_disp", "float"),
                           ("ref_id", "ref_id", "nul_padded"), ("xmt_time", "xmt_time", "time")),
                None),
    "smb_files.log": (("smb",), (("name", "name", "exact"), ("size", "file_size", "int"),
                                 ("times.modified", "modified", "time"),
                                 ("times.accessed", "accessed", "time"),
                                 ("times.created", "created", "time"),
                                 ("times.changed", "changed", "time")), "name"),
    "dce_rpc.log": (("dce_rpc",), (("rtt", "rtt", "float"),
                                   ("named_pipe", "named_pipe", "escaped"),
                                   ("endpoint", "endpoint", "exact"),
                                   ("operation", "operation", "exact")), None),
    "rdp.log": (("rdp",), (("cookie", "cookie", "text"), ("result", "z_result", "lower"),
                           ("security_protocol", "selected_protocol", "exact"),
                           ("client_name", "client_name", "exact"),
                           ("desktop_width", "desktop_width", "int"),
                           ("desktop_height", "desktop_height", "int"),
                           ("client_channels", "client_channels", "set"),
                           ("cert_type", "cert_type", "exact"),
                           ("cert_count", "cert_count", "count0"),
                           ("cert_permanent", "cert_permanent", "bool"),
                           ("encryption_level", "encryption_level", "exact"),
                           ("encryption_method", "encryption_method", "exact")), None),
    "ftp.log": (("ftp",), (("user", "user", "exact"), ("command", "command", "exact"),
                           ("arg", "arg", "secret"), ("reply_code", "reply_code", "int")),
                "command"),
}
"""Zeek log -> (our tables, ((zeek field, our column, how compared), ...), the column
identifying a transaction within a flow on both sides). Zeek logs QUIC handshakes in ssl.log,
we in the quic table, whose ``version`` is QUIC's: ``a|b`` is the first of the columns a row
has (a quic row's ``tls_version``, a tls row's ``version``)."""

_ZEEK_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


def same(kind: str, zeek: str | None, ours: Any) -> bool:
    """Equal as names (:func:`norm_name`), as URIs (see :func:`uri_bytes`), as booleans
    (Zeek's ``T``/``F``) or exactly."""
    if kind == "name":
        return norm_name(zeek) == norm_name(ours)
    if kind == "uri":
        return uri_bytes(zeek, True) == uri_bytes(ours, False)
    if kind == "bool":  # Zeek writes T / F (unset: none)
        return zeek == {True: "T", False: "F"}.get(ours)
    if kind in ("set", "nameset"):  # Zeek writes a set comma-separated (empty: "(empty)");
        fold = str.lower if kind == "nameset" else str  # it lower-cases names in answers
        return ({fold(a) for a in (zeek or "").split(",")} - {"", "(empty)"}
                == {fold(a) for a in ours or ()})
    if kind == "int":
        return _int(zeek) == ours
    if kind == "count0":  # a count Zeek defaults to 0 where we have none
        return (_int(zeek) or 0) == (ours or 0)
    if kind == "qtype":  # Zeek writes ANY as "*"
        return {"*": "ANY"}.get(zeek or "", zeek) == ours
    if kind == "status":  # Zeek writes 0 for a response without a status line (HTTP/0.9)
        return _int(zeek) in ((None, 0) if ours is None else (ours,))
    if kind == "untagged":  # Zeek drops the From header's tag parameter (RFC 3261 §19.3)
        return zeek == (re.sub(r";\s*tag=[^;]*", "", ours) if ours else ours)
    if kind == "nul_padded":  # an NTP reference ID's ASCII: Zeek keeps the NUL padding
        return (zeek or "").replace("\\x00", "") == (ours or "")
    if kind == "log2":  # Zeek writes 2**exponent seconds (6 decimals), we the exponent
        return zeek is not None and ours is not None and round(2.0 ** ours, 6) == float(zeek)
    if kind == "float":  # Zeek writes 6 decimals
        return zeek is not None and ours is not None and round(ours, 6) == float(zeek)
    if kind == "time":  # epoch seconds, 6 decimals
        return zeek is not None and ours is not None and abs(
            float(zeek) - ours.timestamp()) < 1e-6
    if kind == "lower":
        return (zeek or "").lower() == (ours or "").lower()
    if kind == "text":  # unset and empty alike; a trailing NUL (Zeek: "?") left out
        return (zeek or "").rstrip("?") == (ours or "").rstrip("\x00")
    if kind == "prefix":  # Zeek appends a name: "1.3.6.1.4.1.1466.20037 (StartTLS)"
        return zeek == ours or (zeek is not None and ours is not None
                                and zeek.startswith(ours + " ("))
    if kind == "quic_version":  # Zeek names v2 "quicv2", we "2" (as v1 is "1" for both)
        return {"quicv2": "2"}.get(zeek or "", zeek) == ours
    if kind == "key":  # a key type (Zeek: ecdsa, ML-DSA-44; ours: ec, ml-dsa-44)
        return {"ecdsa": "ec"}.get(zeek or "", (zeek or "").lower()) == ours
    if kind == "curve":
        return CURVE_ALIASES.get(zeek or "", zeek) == ours
    if kind in ("dn", "escaped"):  # Zeek's log writes a backslash of the value doubled
        # (OpenSSL's \0D in a name, a pipe's \PIPE\lsass)
        return (zeek or "").replace("\\\\", "\\") == (ours or "")
    if kind == "list":  # a vector, comma-separated
        return (zeek or "").split(",") == list(ours or ())
    if kind == "seconds":  # an interval Zeek writes with 6 decimals; unset alike
        return (zeek is None and ours is None) or (
            zeek is not None and ours is not None and float(zeek) == float(ours))
    if kind == "secret":  # a password: Zeek writes <hidden>, we <redacted>
        return zeek == ours or (zeek == "<hidden>" and ours == "<redacted>")
    return zeek == ours


def uri_bytes(uri: str | None, zeek: bool) -> bytes | None:
    """A request target with percent-encoding decoded (RFC 3986 section 2.1): Zeek's http.log
    ``uri`` is decoded, ours is as sent. Zeek's log writes non-printable bytes as ``\\xNN``."""
    if uri is None:
        return None
    raw = uri.encode("utf-8", "surrogateescape")
    if zeek:
        return _ZEEK_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return unquote_to_bytes(raw)

_ICMP = frozenset({1, 58})


def conn_rows(res: CaptureResult) -> list[dict[str, Any]]:
    """Our conn rows in the shape the conn-agreement pairing expects (proto as a name)."""
    out = []
    for r in res.rows("conn"):
        row = dict(r)
        num = r["proto"]
        row["proto"] = "icmp" if num in _ICMP else {6: "tcp", 17: "udp"}.get(num, f"ip{num}")
        out.append(row)
    return out


def load_logs(data: Path, log: str) -> dict[str, list[dict[str, Any]]]:
    """Parsed baselines of one log kind by test name (unreadable or host-less ones left out)."""
    out = {}
    for path in sorted((data / ZEEK_BTEST / "Baseline").glob(f"*/{log}")):
        rows = parse_conn_log(path)
        if rows and key_columns(rows) is not None:
            out[path.parent.name] = rows
    return out


def _dkey(row: dict[str, Any], swap: bool = False) -> tuple[Any, ...]:
    o, r = ("resp", "orig") if swap else ("orig", "resp")
    return (canon_ip(row.get(f"{o}_h")), row.get(f"{o}_p"), canon_ip(row.get(f"{r}_h")),
            row.get(f"{r}_p"))


def _keys(row: dict[str, Any]) -> tuple[tuple[Any, ...], ...]:
    """Our row's key, and the keys a Zeek row without a port column makes of the same flow
    (some baselines do not log ``id.orig_p``: their rows key with None there)."""
    k = _dkey(row)
    return k, (k[0], None, k[2], k[3]), (k[0], k[1], k[2], None)


def _int(v: Any) -> int | None:
    if isinstance(v, int):
        return v
    return int(v) if isinstance(v, str) and v.isdigit() else None


def coverage(zrows: list[dict[str, Any]], ours: list[dict[str, Any]]) -> int:
    """Zeek rows whose endpoints (either direction) are those of one of our flows."""
    keys = {k for r in ours for k in _keys(r)}
    return sum(1 for z in zrows if _dkey(z) in keys or _dkey(z, True) in keys)


def manifest_expected(data: Path) -> dict[str, str]:
    """MANIFEST.csv: capture path (relative to the data folder) -> its ``expected`` path."""
    path = data / "MANIFEST.csv"
    if not path.is_file():
        return {}
    with open(path, newline="") as fh:
        return {r["path"]: r["expected"] for r in csv.DictReader(fh) if r.get("expected")}


@dataclass
class LogReport:
    """Agreement over one log kind."""

    baselines: int = 0
    paired: int = 0
    rows: int = 0
    matched: int = 0
    flipped: int = 0
    agree: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    rows_agree: int = 0
    extra: int = 0
    from_manifest: int = 0
    diffs: list[str] = field(default_factory=list)


def _ldap_view(row: dict[str, Any]) -> dict[str, Any]:
    """Our ldap row with ldap.log's ``opcode`` (``bind simple``, ``add``), ``result`` (words),
    ``object`` (the bind name or extended operation) and ``argument`` (the SASL mechanism, or
    the simple bind's password, which Zeek writes ``REDACTED``)."""
    op = (row.get("opcode_name") or "").removesuffix("_request").removesuffix("_response")
    auth = row.get("auth_type")
    if op == "bind" and auth:
        op += " " + {"sasl": "SASL"}.get(auth, auth)
    argument = row.get("sasl_mechanism") or ("REDACTED" if row.get("password") else None)
    return {**row, "z_opcode": op or None,
            "z_result": (row.get("result_name") or "").replace("_", " ") or None,
            "z_object": row.get("bind_name") or row.get("extended_name"),
            "z_argument": argument}


def _kerberos_view(row: dict[str, Any]) -> dict[str, Any]:
    """Our kerberos row with kerberos.log's ``client``: ``cname/realm``."""
    client = None
    if row.get("cname") is not None or row.get("realm") is not None:
        client = f"{row.get('cname') or ''}/{row.get('realm') or ''}"
    return {**row, "z_client": client}


_NTLM_COLUMNS = ("ntlm_user", "ntlm_host", "ntlm_domain", "ntlm_server_nb_name",
                 "ntlm_server_dns_name", "ntlm_server_tree")


def _ntlm_flows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per flow with NTLM, as ntlm.log has: the NTLM columns of its ldap, smb and
    dce_rpc rows merged (a challenge comes in one operation's response, the authentication
    in the next request)."""
    merged: dict[str, dict[str, Any]] = {}
    for r in rows:
        if any(r.get(k) is not None for k in _NTLM_COLUMNS):
            m = merged.setdefault(r["uid"], dict(r))
            for k in _NTLM_COLUMNS:
                if m.get(k) is None:
                    m[k] = r.get(k)
    return list(merged.values())


def _smb_opens(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our answered CREATE rows with smb_files.log's ``name`` as its log writes it: the share
    root ``<share_root>``, a backslash doubled (paired with its rows by name)."""
    return [{**r, "name": (r["filename"] or "<share_root>").replace("\\", "\\\\")}
            for r in rows if r.get("create_action")]


def _dnp3_responses(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our dnp3 rows (one per application message) that dnp3.log has one per: the responses
    (its ``fc_request`` is the request Zeek pairs with each, which we do not log)."""
    return [r for r in rows if r.get("is_response")]


def _rowwise(view: Any) -> Any:
    return lambda rows: [view(r) for r in rows]


def _rdp_view(row: dict[str, Any]) -> dict[str, Any]:
    """Our rdp row with rdp.log's ``result``: ``encrypted`` once the connection went to TLS or
    CredSSP (what followed the negotiation is not readable), else the negotiation's."""
    return {**row, "z_result": "encrypted" if row.get("encrypted") else row.get("result")}


VIEWS = {"ldap.log": _rowwise(_ldap_view), "kerberos.log": _rowwise(_kerberos_view),
         "rdp.log": _rowwise(_rdp_view), "ntlm.log": _ntlm_flows,
         "dce_rpc.log": lambda rows: [r for r in rows if r.get("request") == "REQUEST"],
         "smb_files.log": _smb_opens,
         "dnp3.log": _dnp3_responses}
"""Per log, our rows as that log writes them (columns derived, or rows paired)."""
ZEEK_ROWS = {"smb_files.log": lambda z: z.get("action") == "SMB::FILE_OPEN"}
"""Per log, the baseline rows compared (smb_files.log: the opens, which our smb rows are;
its reads, writes and deletes are not logged by us)."""


def compare_row(rep: LogReport, fields: tuple[tuple[str, str, str], ...], z: dict[str, Any],
                hit: dict[str, Any] | None, where: str, missing: str = "ours: no row") -> None:
    """One Zeek row against the row of ours matched with it, field by field (:func:`same`;
    ``a|b``: the first of our columns the row has); without one (``hit`` None) every field
    disagrees and ``missing`` says so."""
    if hit is None:
        for zf, _, _ in fields:
            rep.total[zf] += 1
        rep.diffs.append(f"{where} | {missing}")
        return
    rep.matched += 1
    all_ok = True
    for zf, col, kind in fields:
        want = z.get(zf)
        got = hit.get(next((c for c in col.split("|") if c in hit), col))
        ok = same(kind, want, got)
        rep.total[zf] += 1
        rep.agree[zf] += ok
        if not ok:
            all_ok = False
            rep.diffs.append(f"{where} | {zf}: zeek {want!r} ours {got!r}")
    rep.rows_agree += all_ok


def compare_pair(test: str, trace: Path, zrows: list[dict[str, Any]], ours: list[dict[str, Any]],
                 log: str, rep: LogReport) -> None:
    """Match one baseline's rows with our rows of the paired trace and compare."""
    _, fields, tx = LOGS[log]
    view = VIEWS.get(log)
    if view is not None:
        ours = view(ours)
    keep = ZEEK_ROWS.get(log)
    if keep is not None:
        zrows = [z for z in zrows if keep(z)]
    index: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(ours, key=lambda r: r["ts"] or 0.0):
        for k in _keys(r):
            index[k].append(r)
    epoch = any(isinstance(z.get("ts"), float) and z["ts"] > 1e8 for z in zrows)
    used: set[int] = set()

    def pick(z: dict[str, Any], swap: bool) -> dict[str, Any] | None:
        free = [c for c in index.get(_dkey(z, swap), []) if id(c) not in used]
        if tx is not None and z.get(tx) is not None:  # the same transaction first
            same = [c for c in free if str(c.get(tx)) == z.get(tx)]
            free = same or free
        if not free:
            return None
        ts = z.get("ts") if epoch else None
        if ts is None:
            return free[0]
        best = min(free, key=lambda c: abs(c["ts"] - ts))
        return best if abs(best["ts"] - ts) <= TS_TOLERANCE_S else None

    where = "/".join(trace.parts[-2:])
    for z in sorted(zrows, key=lambda z: z.get("ts") or 0.0):
        rep.rows += 1
        hit = pick(z, False)
        flipped = False
        if hit is None:
            hit = pick(z, True)
            flipped = hit is not None
        flow = f"{z.get('orig_h')}:{z.get('orig_p')} -> {z.get('resp_h')}:{z.get('resp_p')}"
        if hit is None:
            compare_row(rep, fields, z, None, f"{test} | {where} | {flow} | zeek "
                        f"{ {zf: z.get(zf) for zf, _, _ in fields} }")
            continue
        used.add(id(hit))
        rep.flipped += flipped
        compare_row(rep, fields, z, hit, f"{test} | {where} | {flow}")
    rep.extra += sum(1 for r in ours if id(r) not in used)


def run(data: Path, timeout_s: float) -> tuple[dict[str, LogReport], int, list[str], float]:
    """Analyse every trace once, pair each log kind's baselines, compare."""
    t0 = time.perf_counter()
    results: dict[Path, CaptureResult] = {}
    errors = []
    for t in trace_files(data):
        res = run_capture(t, timeout_s, vlan_key=False)  # Zeek's connection key has no VLAN
        results[t] = res
        if res.error is not None:
            errors.append(f"{t.relative_to(data)}: {res.error}")
    flows = {t: conn_rows(r) for t, r in results.items()}
    analysed = time.perf_counter() - t0
    reports = {}
    by_baseline: dict[str, list[Path]] = defaultdict(list)
    for rel, exp in manifest_expected(data).items():
        by_baseline[exp.rstrip("/").rsplit("/", 1)[-1]].append(data / rel)
    for log, (tables, _, _) in LOGS.items():
        rep = reports[log] = LogReport()
        baselines = load_logs(data, log)
        rep.baselines = len(baselines)
        chosen: dict[str, Path] = {}
        fallback: dict[str, Path] = {}
        for test, zrows in baselines.items():
            named = [t for t in by_baseline.get(test, []) if t in flows]
            if not named:
                continue
            best = max(named, key=lambda t: (coverage(zrows, flows[t]), str(t)))
            if coverage(zrows, flows[best]):
                chosen[test] = best
                rep.from_manifest += 1
            else:
                fallback[test] = best
        rest = {k: v for k, v in baselines.items() if k not in chosen}
        chosen.update({p.test: p.trace for p in find_pairs(data, flows, rest)})
        for test, trace in fallback.items():
            if test not in chosen:  # nothing covers it: the MANIFEST's trace, rows disagree
                chosen[test] = trace
                rep.from_manifest += 1
        for test, trace in sorted(chosen.items()):
            rep.paired += 1
            ours = [r for t in tables for r in results[trace].rows(t)]
            compare_pair(test, trace, baselines[test], ours, log, rep)
    compare_x509(data, results, reports.setdefault("x509.log", LogReport()))
    compare_dhcp(data, results, by_baseline, reports.setdefault("dhcp.log", LogReport()))
    return reports, len(results), errors, analysed


X509_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("certificate.version", "x509_version", "int"), ("certificate.serial", "serial", "exact"),
    ("certificate.subject", "subject", "dn"), ("certificate.issuer", "issuer", "dn"),
    ("certificate.not_valid_before", "not_before", "time"),
    ("certificate.not_valid_after", "not_after", "time"),
    ("certificate.key_type", "key_type", "key"), ("certificate.key_length", "key_size", "int"),
    ("certificate.curve", "key_curve", "curve"), ("san.dns", "san_dns", "set"),
    ("basic_constraints.ca", "is_ca", "bool"))
"""x509.log field -> our x509 column, and how they compare (:func:`same`)."""
CURVE_ALIASES = {"prime256v1": "secp256r1", "prime192v1": "secp192r1"}
"""OpenSSL's names (Zeek's) of curves that have a SEC name (ours, cryptography's)."""


def compare_x509(data: Path, results: dict[Path, CaptureResult], rep: LogReport) -> None:
    """Each x509.log baseline's certificates against our x509 rows, matched by fingerprint
    (a SHA-256 names one certificate wherever it was seen: every trace is searched, the
    MANIFEST's pairing is not needed)."""
    ours = {r["sha256"]: r for res in results.values() for r in res.rows("x509")}
    for path in sorted((data / ZEEK_BTEST / "Baseline").glob("*/x509.log")):
        zrows = parse_conn_log(path)
        if not zrows:
            continue
        rep.baselines += 1
        test = path.parent.name
        rep.paired += any(z.get("fingerprint") in ours for z in zrows)
        for z in zrows:
            rep.rows += 1
            hit = ours.get(z.get("fingerprint") or "")
            compare_row(rep, X509_FIELDS, z, hit, f"{test} | {z.get('certificate.subject')}")


DHCP_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("msg_types", "msg_types", "list"), ("mac", "client_mac", "exact"),
    ("client_addr", "client_addr", "exact"), ("host_name", "hostname", "exact"),
    ("client_fqdn", "client_fqdn", "exact"), ("domain", "domain", "exact"),
    ("requested_addr", "requested_addr", "exact"), ("assigned_addr", "assigned_addr", "exact"),
    ("lease_time", "lease_time", "seconds"))
"""dhcp.log field -> our column of a transaction (:func:`dhcp_transactions`)."""


DHCP_JOIN = (30.0, 10, 50)
"""Zeek's defaults for joining DHCP messages into one dhcp.log entry: messages of one
transaction id within ``DHCP::max_txid_watch_time`` (30 s) of its first, and the entry logged
once it holds ``DHCP::max_uids_per_log_entry`` (10) connections or
``DHCP::max_msg_types_per_log_entry`` (50) messages."""
DHCP_JOIN_OF_TEST = {"scripts.base.protocols.dhcp.dhcp-prevent-large-msgtypes": (30.0, 500, 8)}
"""Baselines whose test redefines those options (that test runs ``zeek ... -e 'redef
DHCP::max_uids_per_log_entry=500; redef DHCP::max_msg_types_per_log_entry=8;'``)."""


def dhcp_transactions(rows: list[dict[str, Any]], join: tuple[float, int, int] = DHCP_JOIN,
                      ) -> list[dict[str, Any]]:
    """Our dhcp rows (one per message) as dhcp.log's entries, joined as Zeek joins them
    (:data:`DHCP_JOIN`: by transaction id, whatever the connection), each with its message
    types, the client's MAC, the client's address (a client message's non-zero ``ciaddr``),
    the first host name, FQDN, domain and requested address given, and the address and
    lease an ACK granted."""
    watch_s, max_uids, max_types = join
    entries: list[list[dict[str, Any]]] = []
    open_: dict[Any, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: r["ts"]):
        msgs = open_.get(r["xid"])
        if msgs is None or r["ts"] - msgs[0]["ts"] > watch_s:
            msgs = open_[r["xid"]] = []
            entries.append(msgs)
        msgs.append(r)
        if len(msgs) >= max_types or len({m["uid"] for m in msgs}) >= max_uids:
            del open_[r["xid"]]  # logged: the next message of this id starts an entry

    def first(msgs: list[dict[str, Any]], col: str) -> Any:
        return next((m[col] for m in msgs if m.get(col) is not None), None)

    out = []
    for msgs in entries:
        client = [m for m in msgs if m["op"] == 1]
        acks = [m for m in msgs if m["msg_type_name"] == "ACK"]
        out.append({
            "ts": msgs[0]["ts"], "msg_types": [m["msg_type_name"] for m in msgs],
            "client_mac": first(msgs, "client_mac"),
            "client_addr": next((m["orig_h"] for m in reversed(client)
                                 if m["orig_h"] not in ("0.0.0.0", "255.255.255.255")), None),
            "hostname": first(msgs, "hostname"), "client_fqdn": first(msgs, "client_fqdn"),
            "domain": first(msgs, "domain"), "requested_addr": first(msgs, "requested_addr"),
            "assigned_addr": first(acks, "assigned_addr"), "lease_time": first(acks, "lease_time"),
        })
    return out


def compare_dhcp(data: Path, results: dict[Path, CaptureResult],
                 by_baseline: dict[str, list[Path]], rep: LogReport) -> None:
    """Each dhcp.log baseline (no endpoints: a row is a transaction, by ``xid``) against the
    transactions of the traces the MANIFEST names for it (:func:`dhcp_transactions`), paired
    in order by client MAC and message types, else by MAC alone."""
    for path in sorted((data / ZEEK_BTEST / "Baseline").glob("*/dhcp.log")):
        zrows = parse_conn_log(path)
        test = path.parent.name
        traces = [t for t in by_baseline.get(test, []) if t in results]
        if not zrows or not traces:
            continue
        rep.baselines += 1
        rep.paired += 1
        rep.from_manifest += 1
        join = DHCP_JOIN_OF_TEST.get(test, DHCP_JOIN)
        ours = [tx for t in traces for tx in dhcp_transactions(results[t].rows("dhcp"), join)]
        used: set[int] = set()
        for z in zrows:
            rep.rows += 1
            free = [tx for tx in ours if id(tx) not in used and tx["client_mac"] == z.get("mac")]
            types = (z.get("msg_types") or "").split(",")
            hit = next((tx for tx in free if tx["msg_types"] == types), free[0] if free else None)
            where = f"{test} | {z.get('mac')} {z.get('msg_types')}"
            if hit is not None:
                used.add(id(hit))
            compare_row(rep, DHCP_FIELDS, z, hit, where, "ours: no transaction")
        rep.extra += sum(1 for tx in ours if id(tx) not in used)


def print_report(reports: dict[str, LogReport], verbose: bool) -> None:
    """Agreement per log and field; differences with ``verbose``."""
    for log, rep in reports.items():
        print(f"\n{log}: {rep.paired} of {rep.baselines} baselines paired with a trace; "
              f"{rep.rows} zeek rows, {rep.matched} with a row of ours "
              f"({rep.flipped} in the other direction), {rep.extra} rows of ours zeek lacks")
        print(f"  paired by the MANIFEST's expected column: {rep.from_manifest}, by content: "
              f"{rep.paired - rep.from_manifest}")
        print(f"  rows agreeing on every field: {pct(rep.rows_agree, rep.rows)}")
        fields = LOGS[log][1] if log in LOGS else DHCP_FIELDS if log == "dhcp.log" else X509_FIELDS
        for zf, _, _ in fields:
            print(f"  {zf:12s} {pct(rep.agree[zf], rep.total[zf]):>16s}")
        if verbose:
            for d in rep.diffs:
                print(f"    {d}")
        elif rep.diffs:
            print(f"  ({len(rep.diffs)} differences; --verbose lists them)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--timeout", type=float, default=20.0, help="per-capture time guard (s)")
    ap.add_argument("--verbose", "-v", action="store_true", help="list every difference")
    args = ap.parse_args(argv)
    data = args.data.resolve()
    if not (data / ZEEK_BTEST).is_dir():
        print(f"no zeek btest data under {data}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    print(f"zeek L7 agreement, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    reports, n, errors, analysed = run(data, args.timeout)
    print(f"{n} traces analysed in {analysed:.1f} s ({len(errors)} failed)")
    for e in errors:
        print(f"  failed: {e[:160]}")
    print_report(reports, args.verbose)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
