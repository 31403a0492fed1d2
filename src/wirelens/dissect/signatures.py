"""Identification by content signatures, for services without a metadata table (issue 3).

Identification-only dissectors (:class:`~wirelens.dissect.signatures_base.
SignatureDissector`): each names the flow's service from a strict test of the first payload
of one direction and returns no events; most are ``done`` at once, a few first read a name
(conn ``server_name``). The rules and the spec facts they check are in each class's
docstring:

- UDP only (:mod:`~wirelens.dissect.signatures_udp`): ssdp, netbios_ns, wireguard, ike,
  rtp, rtcp;
- UDP and TCP (:mod:`~wirelens.dissect.signatures_both`): stun, openvpn, bittorrent, syslog;
- TCP only (:mod:`~wirelens.dissect.signatures_tcp`): telnet, vnc, mysql, postgresql,
  redis, mongodb;
- industrial control and IoT (:mod:`~wirelens.dissect.signatures_ics`, the consumer IoT ones
  in :mod:`~wirelens.dissect.signatures_iot`): opcua, tuya_lp, fins, tplink_shp, enip,
  s7comm, knxnet_ip, bacnet, iec104, coap;
- enterprise and application services (:mod:`~wirelens.dissect.signatures_apps`, the binary
  ones in :mod:`~wirelens.dissect.signatures_framed`): bgp, dcerpc, nfs, sunrpc, tds, amqp,
  git, memcached, rtsp, xmpp, socks;
- network infrastructure (:mod:`~wirelens.dissect.signatures_net`): radius, netflow,
  collectd, gtp_c, slp, bfd, hsrp, tftp, mgcp, nat_pmp;
- remote access, tunnels and proxies (:mod:`~wirelens.dissect.signatures_access`): pptp,
  l2tp, proxy_protocol, zabbix, x11, sccp, teamviewer, irc, rtmp;
- telephony, messaging and data services (:mod:`~wirelens.dissect.signatures_telecom`):
  diameter, smpp, cql, kafka, someip, ptp, h323, openflow, iax2, ws_discovery;
- peer-to-peer, cryptocurrency and consumer (:mod:`~wirelens.dissect.signatures_p2p`):
  bitcoin, monero, steam, syncthing, spotify, raknet, edonkey, source_engine, gnutella,
  stratum, dropbox_lansync;
- middleware and remote debugging (:mod:`~wirelens.dissect.signatures_middleware`): jdwp,
  java_rmi, openwire, hadoop_ipc, gearman, fastcgi, zookeeper, rsync, stomp, nats;
- storage, healthcare and field devices (:mod:`~wirelens.dissect.signatures_field`):
  c37_118, hart_ip, ads, dicom, iscsi, dlms, rtps, c12_22, ceph, hl7;
- LAN services (:mod:`~wirelens.dissect.signatures_lan`): teamspeak, discord,
  capwap_control, lisp, netbios_dgm, mssql_browser, ubiquiti_discovery, mumble, dnscrypt;
- industrial, instrument and railway field buses (:mod:`~wirelens.dissect.signatures_plant`):
  trdp, ether_s_bus, can_udp, hislip, lustre, cnp_ip, ethersio, flute, egd, cpha;
- RPC, text and finance protocols (:mod:`~wirelens.dissect.signatures_rpc`): z3950, thrift,
  nano, fix, checkmk, json_rpc, soap, nntp;
- messaging, VPN and consumer device services (:mod:`~wirelens.dissect.signatures_messaging`):
  xiaomi, nest_weave, zoom, whatsapp, softether, ripe_atlas, eaq, alicloud, hp_virtgrp;
- online games (:mod:`~wirelens.dissect.signatures_games`): netcode_io, world_of_warcraft,
  genshin_impact, crynetwork, steam_datagram_relay, photon, zug, heroes_of_the_storm,
  among_us, kcp.

Some read on after naming the flow: IRC and XMPP hand a STARTTLS session to the TLS
dissector (:class:`~wirelens.dissect.signatures_base.StartTlsWatch`), as MySQL and PostgreSQL
do after their SSLRequest; SOCKS hands its tunnel on to be identified by content; Xiaomi's
push client names its server.

:data:`SIGNATURE_DISSECTORS` lists them in priority order, strictest first, for the
registry: they belong after the dissectors with richer parsers (TLS, HTTP) and before DNS,
whose header-plausibility test is looser than NetBIOS-NS's (same header layout).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_access import ACCESS_SIGNATURES
from wirelens.dissect.signatures_apps import APP_SIGNATURES
from wirelens.dissect.signatures_base import SignatureDissector
from wirelens.dissect.signatures_both import (
    BitTorrentDissector,
    OpenVpnDissector,
    StunDissector,
    SyslogDissector,
)
from wirelens.dissect.signatures_field import FIELD_SIGNATURES
from wirelens.dissect.signatures_games import GAME_SIGNATURES
from wirelens.dissect.signatures_ics import ICS_SIGNATURES
from wirelens.dissect.signatures_lan import LAN_SIGNATURES
from wirelens.dissect.signatures_messaging import MESSAGING_SIGNATURES
from wirelens.dissect.signatures_middleware import MIDDLEWARE_SIGNATURES
from wirelens.dissect.signatures_net import NET_SIGNATURES
from wirelens.dissect.signatures_p2p import P2P_SIGNATURES
from wirelens.dissect.signatures_plant import PLANT_SIGNATURES
from wirelens.dissect.signatures_rpc import RPC_SIGNATURES
from wirelens.dissect.signatures_tcp import (
    MongoDbDissector,
    MySqlDissector,
    PostgresqlDissector,
    RedisDissector,
    TelnetDissector,
    VncDissector,
)
from wirelens.dissect.signatures_telecom import TELECOM_SIGNATURES
from wirelens.dissect.signatures_udp import (
    IkeDissector,
    NetbiosNsDissector,
    RtcpDissector,
    RtpDissector,
    SsdpDissector,
    WireGuardDissector,
)

__all__ = [
    "SIGNATURE_DISSECTORS",
    "BitTorrentDissector",
    "IkeDissector",
    "MongoDbDissector",
    "MySqlDissector",
    "NetbiosNsDissector",
    "OpenVpnDissector",
    "PostgresqlDissector",
    "RedisDissector",
    "RtcpDissector",
    "RtpDissector",
    "SignatureDissector",
    "SsdpDissector",
    "StunDissector",
    "SyslogDissector",
    "TelnetDissector",
    "VncDissector",
    "WireGuardDissector",
]

SIGNATURE_DISSECTORS: tuple[type[Dissector], ...] = (
    VncDissector,  # a 12-byte literal
    BitTorrentDissector,  # a 20-byte literal; KRPC start and end; uTP exact sizes
    StunDissector,  # 32-bit magic cookie + exact length
    IkeDissector,  # nonzero SPI, version, exchange, flags, exact length
    MySqlDissector,  # exact length, sequence id, fixed fields
    PostgresqlDissector,  # exact length + 32-bit codes
    MongoDbDissector,  # exact length, opCode, BSON framing
    OpenVpnDissector,  # reset layouts with fixed packet ids
    *ICS_SIGNATURES,  # industrial and IoT protocols (their own priority order)
    *APP_SIGNATURES,  # enterprise and application services over TCP
    *NET_SIGNATURES,  # network infrastructure
    *ACCESS_SIGNATURES,  # remote access, tunnels and proxies
    *TELECOM_SIGNATURES,  # telephony, messaging and data services
    *P2P_SIGNATURES,  # peer-to-peer, cryptocurrency and consumer services
    *MIDDLEWARE_SIGNATURES,  # middleware, RPC and remote debugging
    *FIELD_SIGNATURES,  # storage, healthcare and field devices
    *LAN_SIGNATURES,  # LAN services, discovery, voice and game chat
    *PLANT_SIGNATURES,  # industrial, instrument and railway field buses over IP
    *RPC_SIGNATURES,  # RPC, text and finance protocols
    *MESSAGING_SIGNATURES,  # messaging, VPN and consumer device services
    *GAME_SIGNATURES,  # online games and game networking
    NetbiosNsDissector,  # 32 encoded name bytes in A..P
    WireGuardDissector,  # type + 3 zero bytes + fixed sizes
    SsdpDissector,  # request lines
    RedisDissector,  # RESP framing + command names
    TelnetDissector,  # IAC negotiation runs
    SyslogDissector,  # <PRI> + printable header
    RtcpDissector,  # compound length walk
    RtpDissector,  # the weakest: version, payload type, lengths
)
"""The signature dissectors in priority order (strictest first), for the registry."""
