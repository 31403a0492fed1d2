"""How far do our services, server names and TLS/QUIC fingerprints agree with nDPI's own
expected results on its test captures?

nDPI ships, for each capture ``nDPI/tests/cfgs/<cfg>/pcap/<name>``, the output of its reader in
``nDPI/tests/cfgs/<cfg>/result/<name>.out``: one line per bidirectional flow::

    <TAB>N<TAB>TCP a:p <-> b:p [VLAN: v][proto: 91.126/TLS.Google][...][Confidence: DPI]...
        [Hostname/SNI: www.google.com]...[JA3C: <md5>][JA4: t13d...]...

(IPv6 addresses are bracketed; a tunnel's flows may read ``[proto: CAPWAP:18/DHCP]``). The
*master* protocol is the first name of ``NAME.APP`` when the id has two numbers (``91.126`` ->
``TLS``), the whole name otherwise.

Pairing: an nDPI flow is paired with our ``conn`` rows with the same two endpoints (addresses
and ports, either orientation) and transport. nDPI keeps one record per 5-tuple while we may
split a long-lived 5-tuple into several flows (idle timeout, FIN then reuse), so an nDPI flow
agrees when *any* of our flows with its key agrees.

Identification counts only flows whose nDPI ``Confidence`` is exactly ``DPI`` (not ``Match by
port``, ``Match by IP``, ``DPI (cache)``, ``DPI (aggressive)``, ...: there nDPI itself did not
decide from this flow's content) and whose master protocol maps to one of our services
(:data:`NDPI_TO_OURS`). A flow whose service is not implemented yet simply disagrees.

Server names: for those counted flows where nDPI prints ``Hostname/SNI`` (except the protocols
of :data:`NOT_A_SERVER_NAME`, where that field holds something else), our conn ``server_name``
must equal it after :func:`l7_compare.norm_name` (lower case, no trailing dot, no surrounding
blanks), with every character outside ``[a-z0-9._-]`` folded to ``_`` (nDPI writes ``*`` or
``=`` of a name as ``_``; a byte outside printable ASCII it writes as ``?``, which we escape
as ``\\DDD`` (RFC 4343 section 2.1): one ``_`` each) and, for HTTP, without a ``:port`` suffix
of the Host header (RFC 9110 section 7.2; nDPI drops it). The figure is also given without the ``fuzz-*`` captures, whose
mutated names nDPI and we read from different packets of a flow.

Fingerprints: on every paired flow where nDPI prints ``JA3C`` / ``JA4`` (whatever its
confidence), our tls (TCP) or quic (nDPI QUIC flows) row of the same endpoints must carry the
same ``ja3_hash`` / ``ja4``; JA4 is given byte-exact and as ``JA4~``, after removing that nDPI
build's documented departures from the FoxIO spec (:func:`l7_compare.ja4_comparable`). Hellos
on other UDP flows are counted apart.

Run: ``.venv/bin/python bench/ndpi_agreement.py [--data DIR] [--cfg default|all|NAME...]
[--verbose]``. Targets (issue 3): identification >= 95% overall, server_name >= 98%.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from l7_compare import (  # noqa: E402 -- the bench folder is not a package
    DEFAULT_DATA,
    CaptureResult,
    FlowKey,
    canon_ip,
    flow_key,
    ja4_comparable,
    norm_name,
    pct,
    proto_name,
    row_key,
    run_capture,
)

NDPI_CFGS = Path("nDPI") / "tests" / "cfgs"

NDPI_TO_OURS: dict[str, frozenset[str]] = {
    name: frozenset(ours) for name, ours in {
        "DNS": ("dns",), "MDNS": ("dns",), "LLMNR": ("dns",),  # one dissector, RFC 6762/4795
        "HTTP": ("http",), "HTTP_Proxy": ("http",), "HTTP_Connect": ("http",),
        "TLS": ("tls",), "QUIC": ("quic",), "SSH": ("ssh",),
        # WebRTC: ICE's STUN checks, then DTLS on one 5-tuple; we name the flow by its first
        # protocol (stun) and log its DTLS handshake in the tls table
        "DTLS": ("dtls", "stun"),
        "DHCP": ("dhcp",), "DHCPV6": ("dhcpv6", "dhcp"),
        "SMTP": ("smtp",), "IMAP": ("imap",), "POP3": ("pop3",), "FTP_CONTROL": ("ftp",), "FTP_DATA": ("ftp_data",),
        # implicit-TLS variants: the content is TLS (or the clear-text greeting of a
        # server that speaks STARTTLS on the TLS port)
        "SMTPS": ("tls", "smtp"), "IMAPS": ("tls", "imap"), "POPS": ("tls", "pop3"),
        "FTPS": ("tls", "ftp"),
        "SMBv1": ("smb",), "SMBv23": ("smb",), "RDP": ("rdp",), "SNMP": ("snmp",),
        "SIP": ("sip",), "MQTT": ("mqtt",), "Kerberos": ("kerberos",), "NTP": ("ntp",),
        "LDAP": ("ldap",), "Modbus": ("modbus",), "DNP3": ("dnp3",),
        "SSDP": ("ssdp",), "NetBIOS": ("netbios_ns", "netbios_dgm"), "STUN": ("stun",),
        "WireGuard": ("wireguard",), "OpenVPN": ("openvpn",), "IPSec": ("ike",),
        "BitTorrent": ("bittorrent",), "RTP": ("rtp",), "RTCP": ("rtcp",),
        "Syslog": ("syslog",), "Telnet": ("telnet",), "VNC": ("vnc",), "MySQL": ("mysql",),
        "PostgreSQL": ("postgresql",), "Redis": ("redis",), "MongoDB": ("mongodb",),
        # network infrastructure (signatures_net)
        "Radius": ("radius",), "Service_Location_Protocol": ("slp",), "HSRP": ("hsrp",),
        "TFTP": ("tftp",), "NAT-PMP": ("nat_pmp",), "BFD": ("bfd",), "collectd": ("collectd",),
        "NetFlow": ("netflow",), "IPFIX": ("netflow",), "MGCP": ("mgcp",), "GTP": ("gtp_c",),
        # enterprise and application services (signatures_apps, signatures_framed); nDPI
        # names portmapper calls NFS too, and XMPP over TLS on 5223 Jabber
        "SOCKS": ("socks",), "MsSQL-TDS": ("tds",), "RTSP": ("rtsp",),
        "Jabber": ("xmpp", "tls"), "AMQP": ("amqp",), "BGP": ("bgp",),
        "NFS": ("nfs", "sunrpc"), "DCERPC": ("dcerpc",), "Memcached": ("memcached",),
        "Git": ("git",),
        # industrial control and IoT (signatures_ics)
        "IEC60870": ("iec104",), "S7Comm": ("s7comm",), "S7CommPlus": ("s7comm",),
        "OPC-UA": ("opcua",), "BACnet": ("bacnet",), "CIP": ("enip",), "EthernetIP": ("enip",),
        "COAP": ("coap",), "KNX": ("knxnet_ip",), "FINS": ("fins",), "TuyaLP": ("tuya_lp",),
        "TPLINK_SHP": ("tplink_shp",),
        # remote access, tunnels and proxies (signatures_access)
        "PPTP": ("pptp",), "L2TP": ("l2tp",), "HAProxy": ("proxy_protocol",),
        "Zabbix": ("zabbix",), "X11": ("x11",), "CiscoSkinny": ("sccp",),
        "TeamViewer": ("teamviewer",), "IRC": ("irc",), "RTMP": ("rtmp",),
        # telephony, messaging and data services (signatures_telecom)
        "IAX": ("iax2",), "H323": ("h323",), "Diameter": ("diameter",), "SMPP": ("smpp",),
        "Kafka": ("kafka",), "Cassandra": ("cql",), "OpenFlow": ("openflow",),
        "PTPv2": ("ptp",), "SOMEIP": ("someip",), "WSD": ("ws_discovery",),
        # peer-to-peer, cryptocurrency and consumer services (signatures_p2p)
        "Bitcoin": ("bitcoin",), "Monero": ("monero",), "Mining": ("stratum",),
        "Steam": ("steam",), "Source_Engine": ("source_engine",), "Syncthing": ("syncthing",),
        "Spotify": ("spotify",), "RakNet": ("raknet",), "eDonkey": ("edonkey",),
        "Gnutella": ("gnutella",), "Dropbox": ("dropbox_lansync",),
        # middleware and remote debugging (signatures_middleware)
        "JRMI": ("java_rmi",), "OpenWire": ("openwire",), "Gearman": ("gearman",),
        "FastCGI": ("fastcgi",),
        # storage, healthcare and field devices (signatures_field)
        "IEEE-C37118": ("c37_118",), "HART-IP": ("hart_ip",), "BeckhoffADS": ("ads",),
        "RTPS": ("rtps",), "ANSI_C1222": ("c12_22",), "Ceph": ("ceph",), "HL7": ("hl7",),
        "IEC62056": ("dlms",), "DICOM": ("dicom",), "iSCSI": ("iscsi",),
        # LAN services, discovery, voice and game chat (signatures_lan)
        "DNScrypt": ("dnscrypt",), "CAPWAP": ("capwap_control",), "LISP": ("lisp",),
        "TeamSpeak": ("teamspeak",), "Mumble": ("mumble",), "Discord": ("discord",),
        # industrial, instrument and railway field buses (signatures_plant)
        "TRDP": ("trdp",), "Ether-S-Bus": ("ether_s_bus",), "HiSLIP": ("hislip",),
        "Controller_Area_Network": ("can_udp",), "Lustre": ("lustre",), "CNP-IP": ("cnp_ip",),
        "EtherSIO": ("ethersio",), "FLUTE": ("flute",), "EthernetGlobalData": ("egd",),
        "CPHA": ("cpha",),
        # RPC, text and finance protocols (signatures_rpc); SOAP over HTTP is an http flow
        "Z3950": ("z3950",), "Thrift": ("thrift",), "Nano": ("nano",), "FIX": ("fix",),
        "CHECKMK": ("checkmk",), "JSON-RPC": ("json_rpc",), "SOAP": ("soap", "http"),
        "Usenet": ("nntp",),
        # messaging, VPN and consumer device services (signatures_messaging)
        "WhatsApp": ("whatsapp",), "Xiaomi": ("xiaomi",), "NestLogSink": ("nest_weave",),
        "Zoom": ("zoom",), "Softether": ("softether",), "RipeAtlas": ("ripe_atlas",),
        "EAQ": ("eaq",), "AliCloud": ("alicloud",), "HP_VIRTGRP": ("hp_virtgrp",),
        # online games (signatures_games); nDPI names the Photon flows after a game studio
        # and the netcode.io ones after a library built on it
        "Yojimbo": ("netcode_io",), "WorldOfWarcraft": ("world_of_warcraft",),
        "GenshinImpact": ("genshin_impact",), "CryNetwork": ("crynetwork",),
        "SteamDatagramRelay": ("steam_datagram_relay",), "TocaBoca": ("photon",),
        "ZUG": ("zug",), "Heroes_of_the_Storm": ("heroes_of_the_storm",),
        "AmongUs": ("among_us",), "KCP": ("kcp",),
    }.items()
}
"""nDPI master protocol (its spelling in the .out files) -> the service names of ours that
agree with it."""

ONLY_ON: dict[str, tuple[str, frozenset[int]]] = {
    "NetBIOS": ("udp", frozenset({137, 138})),  # the name and datagram services (RFC 1002
    # 4.2, 4.4); the session service on TCP 139 carries SMB, identified as smb
    "IPSec": ("udp", frozenset({500, 4500})),  # IKE (RFC 7296 2.23); ESP is not a service
    "GTP": ("udp", frozenset({2123})),  # the control plane; GTP-U is decoded as a tunnel
    "Spotify": ("udp", frozenset({57621})),  # the LAN beacon; its TCP streams are encrypted
    "Dropbox": ("udp", frozenset({17500})),  # the LAN sync beacon; the rest is TLS
    "Discord": ("udp", frozenset()),  # voice IP discovery; the rest is TLS or QUIC
    "Zoom": ("udp", frozenset()),  # the media setup; the rest is TLS
}
"""nDPI names covering more than our service: counted only on these transport/ports (no
ports: any)."""

NOT_A_SERVER_NAME: dict[str, str] = {
    "SSH": "the client's banner (RFC 4253 4.2)",
    "DHCP": "the client's own host name (option 12, RFC 2132 3.14)",
    "DHCPV6": "the client's FQDN (option 39, RFC 4704)",
    "SSDP": "the HOST header, a multicast address:port (UPnP 1.1 1.3.2)",
    "collectd": "the sending host's own name (the host part of its binary protocol)",
}
"""Protocols where nDPI's ``Hostname/SNI`` is not the name of a server the client asked for:
left out of the server-name figure."""

def _own_netbios_name(f: Any) -> bool:
    """A NetBIOS datagram (UDP 138): nDPI's ``Hostname/SNI`` is the datagram's source name,
    the sender's own (RFC 1002 4.4.1); ours is its destination name. Left out of the
    server-name figure like :data:`NOT_A_SERVER_NAME`."""
    return f.master == "NetBIOS" and 138 in (f.a[1], f.b[1])


NAME_SERVICES = frozenset({"dns", "http", "tls", "quic"})
"""Services whose names the server-name figure is also given for separately."""

_FLOW = re.compile(r"^\t(\d+)\t(\S+) (\S+) (<->|->) (\S+) (.*)$")
_PROTO = re.compile(r"\[proto: (?:[A-Za-z0-9_-]+:)?([\d.]+)/([^\]]+)\]")
_CONF = re.compile(r"\[Confidence: ([^\]]+)\]")
_HOST = re.compile(r"\[Hostname/SNI: ([^\]]*)\]")
_JA3C = re.compile(r"\[JA3C: ([0-9a-fA-F]{32})")
_JA4 = re.compile(r"\[JA4: ([^\]\s]+)")
_HTTP_PORT = re.compile(r":\d+$")
_UNSAFE = re.compile(r"[^a-z0-9._-]")
_ESCAPED_BYTE = re.compile(r"\\\d{3}")
"""A label byte as we write one outside printable ASCII (``\\229``)."""


@dataclass
class NdpiFlow:
    """One flow line of an nDPI .out file."""

    line: int
    proto: str
    a: tuple[str, int]
    b: tuple[str, int]
    master: str
    full: str
    confidence: str
    hostname: str | None
    ja3c: str | None
    ja4: str | None

    @property
    def key(self) -> FlowKey:
        return flow_key(self.a[0], self.a[1], self.b[0], self.b[1], self.proto)

    def other_keys(self) -> list[FlowKey]:
        """The keys the flow may have when nDPI printed an address it compressed twice
        (:func:`_readings`)."""
        return [flow_key(a, self.a[1], b, self.b[1], self.proto)
                for a in _readings(self.a[0]) for b in _readings(self.b[0])
                if (a, b) != (self.a[0], self.b[0])]

    def text(self) -> str:
        return f"{self.proto.upper()} {self.a[0]}:{self.a[1]} <-> {self.b[0]}:{self.b[1]}"


def _readings(host: str) -> list[str]:
    """``host`` as the addresses it may stand for: itself, or where nDPI printed an IPv6
    address with two ``::`` (its formatting compresses every run of zero groups, stun.pcap's
    ``2600:1900:4160:5999::19::``: not an address), each split of the missing zero groups
    between the two runs."""
    left, sep, rest = host.partition("::")
    middle, sep2, right = rest.partition("::")
    if not sep or not sep2 or "::" in right:
        return [host]
    groups = [g for part in (left, middle, right) for g in part.split(":") if g]
    missing = 8 - len(groups)
    return [canon_ip(":".join([*left.split(":"), *["0"] * k, *middle.split(":"),
                               *["0"] * (missing - k), *right.split(":")]).strip(":"))
            for k in range(1, missing)] or [host]


def _endpoint(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return canon_ip(host), int(port) if port.isdigit() else 0


def parse_out(path: Path) -> list[NdpiFlow]:
    """The flow lines of an nDPI result file (other sections are ignored)."""
    flows = []
    for line in path.read_text(errors="replace").splitlines():
        m = _FLOW.match(line)
        if m is None:
            continue
        rest = m.group(6)
        pm = _PROTO.search(rest)
        if pm is None:
            continue
        ids, names = pm.group(1), pm.group(2)
        master = names.split(".", 1)[0] if "." in ids else names
        conf = _CONF.search(rest)
        host = _HOST.search(rest)
        ja3 = _JA3C.search(rest)
        ja4 = _JA4.search(rest)
        flows.append(NdpiFlow(
            int(m.group(1)), m.group(2).lower(), _endpoint(m.group(3)), _endpoint(m.group(5)),
            master, names, conf.group(1) if conf else "", host.group(1) if host else None,
            ja3.group(1).lower() if ja3 else None, ja4.group(1) if ja4 else None))
    return flows


def counted(f: NdpiFlow) -> bool:
    """Does this flow count for identification (DPI confidence, a protocol of ours)?"""
    if f.confidence != "DPI" or f.master not in NDPI_TO_OURS:
        return False
    only = ONLY_ON.get(f.master)
    if only is not None:
        proto, ports = only
        return f.proto == proto and (not ports or f.a[1] in ports or f.b[1] in ports)
    return True


def cases(data: Path, cfgs: list[str]) -> list[tuple[Path, Path]]:
    """(pcap, .out) pairs of the chosen nDPI configurations."""
    root = data / NDPI_CFGS
    names = sorted(p.name for p in root.iterdir() if p.is_dir()) if cfgs == ["all"] else cfgs
    out = []
    for cfg in names:
        for res in sorted((root / cfg / "result").glob("*.out")):
            pcap = root / cfg / "pcap" / res.name[: -len(".out")]
            if pcap.is_file():
                out.append((pcap, res))
    return out


def _name_for_compare(name: str | None, service: str) -> str | None:
    """:func:`norm_name`, then (as nDPI writes names) every character outside
    ``[a-z0-9._-]`` folded to ``_``, an escaped byte ``\\DDD`` counting as one; an HTTP
    Host's ``:port`` removed."""
    n = norm_name(name)
    if n is None:
        return None
    if service == "http" and not n.endswith("]"):
        n = _HTTP_PORT.sub("", n)
    return _UNSAFE.sub("_", _ESCAPED_BYTE.sub("_", n))


@dataclass
class Report:
    """Counters of one run."""

    captures: int = 0
    errors: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    ident: Counter[str] = field(default_factory=Counter)
    ident_ok: Counter[str] = field(default_factory=Counter)
    unpaired: Counter[str] = field(default_factory=Counter)
    ident_source: Counter[str] = field(default_factory=Counter)
    ident_port: Counter[str] = field(default_factory=Counter)
    ident_content: Counter[str] = field(default_factory=Counter)
    name: Counter[str] = field(default_factory=Counter)
    name_ok: Counter[str] = field(default_factory=Counter)
    name_nofuzz: int = 0
    name_nofuzz_ok: int = 0
    fp: Counter[str] = field(default_factory=Counter)
    fp_ok: Counter[str] = field(default_factory=Counter)
    diffs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    wrong_as: Counter[tuple[str, str]] = field(default_factory=Counter)


def compare_capture(pcap: Path, flows: list[NdpiFlow], res: CaptureResult, rep: Report) -> None:
    """Add one capture's comparisons to ``rep``."""
    conn: dict[FlowKey, list[dict[str, Any]]] = defaultdict(list)
    transport: dict[str, str] = {}
    for r in res.rows("conn"):
        conn[row_key(r, proto_name(r["proto"]))].append(r)
        transport[r["uid"]] = proto_name(r["proto"])
    hello: dict[FlowKey, list[dict[str, Any]]] = defaultdict(list)
    for table, proto in (("tls", "tcp"), ("quic", "udp")):
        for r in res.rows(table):  # tls rows of DTLS flows are UDP
            hello[row_key(r, transport.get(r["uid"], proto))].append(r)
    where = "/".join(pcap.parts[-3:])
    for f in flows:
        ours = conn.get(f.key) or next((conn[k] for k in f.other_keys() if k in conn), [])
        services = [r["service"] for r in ours if r["service"]]
        said = Counter(services).most_common(1)[0][0] if services else None
        if counted(f):
            accept = NDPI_TO_OURS[f.master]
            label = f.master
            rep.ident[label] += 1
            good = [r for r in ours if r["service"] in accept]
            if good:
                rep.ident_ok[label] += 1
                source = good[0].get("service_source") or "none"
                rep.ident_source[source] += 1
                rep.ident_port[label] += source == "port"
                rep.ident_content[label] += source == "content"
                if source != "content":
                    rep.diffs[f"service decided by {source}, not content"].append(
                        f"{where} | {f.text()} | nDPI {f.full} | ours {good[0]['service']}")
            else:
                if not ours:
                    rep.unpaired[label] += 1
                rep.wrong_as[(label, said or ("no flow" if not ours else "none"))] += 1
                rep.diffs["service"].append(
                    f"{where} | {f.text()} | nDPI {f.full} | ours "
                    f"{said if ours else 'no such flow'}")
            if f.hostname and f.master not in NOT_A_SERVER_NAME and not _own_netbios_name(f):
                svc = next(iter(sorted(accept)))
                want = _name_for_compare(f.hostname, svc)
                got = [_name_for_compare(r["server_name"], r["service"] or svc) for r in ours]
                rep.name[label] += 1
                fuzz = pcap.name.startswith("fuzz")
                rep.name_nofuzz += not fuzz
                if want in got:
                    rep.name_ok[label] += 1
                    rep.name_nofuzz_ok += not fuzz
                else:
                    rep.diffs["server_name"].append(
                        f"{where} | {f.text()} | nDPI {f.master} {f.hostname!r} | ours "
                        f"{[r['server_name'] for r in ours] if ours else 'no such flow'}")
        rows = hello.get(f.key, [])
        kind = fingerprint_kind(f)
        for tag, want_fp, col in (("JA3C", f.ja3c, "ja3_hash"), ("JA4", f.ja4, "ja4")):
            if want_fp is None:
                continue
            got_fp = [r.get(col) for r in rows]
            exact = want_fp in got_fp
            rep.fp[f"{tag} {kind}"] += 1
            rep.fp_ok[f"{tag} {kind}"] += exact
            if tag == "JA4":
                norm_ok = exact or any(
                    g is not None and _same_ja4(g, want_fp, (r.get("alpn") or [None])[0])
                    for g, r in zip(got_fp, rows))
                rep.fp[f"JA4~ {kind}"] += 1
                rep.fp_ok[f"JA4~ {kind}"] += norm_ok
                exact = norm_ok
            if not exact and kind != "other":
                rep.diffs[tag].append(f"{where} | {f.text()} | nDPI {want_fp} | ours "
                                      f"{got_fp if rows else 'no tls/quic row'}")


def fingerprint_kind(f: NdpiFlow) -> str:
    """``tls`` (TCP), ``quic`` or ``dtls`` (nDPI's QUIC / DTLS flows), or ``other`` (other UDP
    hellos, which we do not dissect: reported, not part of the figure)."""
    if f.proto == "tcp":
        return "tls"
    return {"QUIC": "quic", "DTLS": "dtls"}.get(f.master, "other")


def _same_ja4(ours: str, theirs: str, first_alpn: str | None) -> bool:
    a, b = ja4_comparable(ours, theirs, first_alpn)
    return a == b


def measure(data: Path, cfgs: list[str], timeout_s: float,
            limit: int | None = None) -> Report:
    """Analyse every capture of ``cfgs`` and compare it with its .out file."""
    rep = Report()
    for pcap, out in cases(data, cfgs)[:limit]:
        flows = parse_out(out)
        if not flows:
            continue
        res = run_capture(pcap, timeout_s)
        rep.captures += 1
        if res.seconds > rep.slowest[0]:
            rep.slowest = (res.seconds, pcap.name)
        if res.error is not None:
            rep.errors.append(f"{pcap.relative_to(data)}: {res.error}")
        compare_capture(pcap, flows, res, rep)
    return rep


def print_report(rep: Report, verbose: bool) -> None:
    """Figures per protocol and overall, then (verbose) every disagreement."""
    print(f"captures analysed: {rep.captures}; failed or timed out: {len(rep.errors)}; slowest "
          f"{rep.slowest[0]:.2f} s ({rep.slowest[1]})")
    for e in rep.errors:
        print(f"  failed: {e[:160]}")
    print("\nidentification (nDPI confidence DPI, protocols of ours), per nDPI master protocol:")
    print(f"  {'nDPI':14s} {'ours':22s} {'agreed/flows':>16s}   agreed by port only   "
          "no flow of ours")
    for label, n in sorted(rep.ident.items(), key=lambda kv: (-kv[1], kv[0])):
        ours = "/".join(sorted(NDPI_TO_OURS[label]))
        print(f"  {label:14s} {ours:22s} {pct(rep.ident_ok[label], n):>16s}   "
              f"{rep.ident_port[label]:19d}   {rep.unpaired[label]:15d}")
    tot, ok = sum(rep.ident.values()), sum(rep.ident_ok.values())
    print(f"  {'overall':37s} {pct(ok, tot):>16s}   (target >= 95%)")
    print("  agreed flows by how we decided (conn service_source): " + ", ".join(
        f"{k} {n}" for k, n in rep.ident_source.most_common())
          + f"; by content only: {pct(rep.ident_source['content'], tot)}")
    print("\nmost frequent disagreements (nDPI says -> we say):")
    for (label, said), n in rep.wrong_as.most_common(12):
        print(f"  {n:5d}  {label} -> {said}")
    print("\nserver_name = nDPI Hostname/SNI (lower case, no trailing dot, characters outside "
          "[a-z0-9._-] as '_'; HTTP without :port;\n  not compared where nDPI's field is no "
          f"server name: {', '.join(NOT_A_SERVER_NAME)}):")
    for label, n in sorted(rep.name.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {label:14s} {pct(rep.name_ok[label], n):>16s}")
    tot, ok = sum(rep.name.values()), sum(rep.name_ok.values())
    print(f"  {'overall':14s} {pct(ok, tot):>16s}   (target >= 98%)")
    print(f"  {'without fuzz-* captures':14s} {pct(rep.name_nofuzz_ok, rep.name_nofuzz):>16s}")
    named = [k for k in rep.name if NDPI_TO_OURS[k] & NAME_SERVICES]
    print(f"  {'dns/http/tls/quic':14s} "
          f"{pct(sum(rep.name_ok[k] for k in named), sum(rep.name[k] for k in named)):>16s}")
    print("\nfingerprints (flows where nDPI prints them; our tls/quic row of the same endpoints;"
          "\n  JA4~: nDPI's documented departures from the JA4 spec not compared):")
    for tag, words in (("JA3C", "JA3C"), ("JA4", "JA4 byte-exact"), ("JA4~", "JA4~")):
        parts = [f"{kind} {pct(rep.fp_ok[f'{tag} {kind}'], rep.fp[f'{tag} {kind}'])}"
                 for kind in ("tls", "quic", "dtls")]
        n = sum(rep.fp[f"{tag} {kind}"] for kind in ("tls", "quic", "dtls"))
        ok = sum(rep.fp_ok[f"{tag} {kind}"] for kind in ("tls", "quic", "dtls"))
        print(f"  {words:15s} {pct(ok, n):>16s}   ({'; '.join(parts)})")
    print(f"  not ours: {rep.fp['JA3C other']} other UDP flows with a JA3C")
    if verbose:
        for what, lines in rep.diffs.items():
            title = what if what.startswith("service decided") else f"{what} disagreements"
            print(f"\n{title} ({len(lines)}): capture | flow | nDPI says | we say")
            for ln in lines:
                print(f"  {ln}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--cfg", nargs="+", default=["default"],
                    help="nDPI test configurations (folders of nDPI/tests/cfgs) or 'all'")
    ap.add_argument("--timeout", type=float, default=20.0, help="per-capture time guard (s)")
    ap.add_argument("--limit", type=int, default=None, help="first N captures only")
    ap.add_argument("--verbose", "-v", action="store_true", help="list every disagreement")
    args = ap.parse_args(argv)
    data = args.data.resolve()
    if not (data / NDPI_CFGS).is_dir():
        print(f"no nDPI results under {data}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    print(f"nDPI agreement, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, cfg {' '.join(args.cfg)}")
    rep = measure(data, args.cfg, args.timeout, args.limit)
    print_report(rep, args.verbose)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
