"""The batches handed from stage to stage: columns of numpy arrays, never a Python object per
packet.

``RawBatch`` (capture -> decode) and ``PacketBatch`` (decode -> flow) are the engine's
internal currency; Arrow is used at the edges (tables, Parquet, DuckDB).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np


class LinkType(IntEnum):
    """tcpdump.org LINKTYPE_ values we decode (others are counted, not decoded)."""

    NULL = 0  # BSD loopback, host byte order of the capturing machine
    ETHERNET = 1
    PPP = 9
    RAW = 101  # raw IP (v4 or v6, by version nibble)
    PPP_HDLC = 50
    C_HDLC = 104
    LOOP = 108  # OpenBSD loopback, network byte order
    LINUX_SLL = 113
    IEEE802_11 = 105
    IEEE802_11_RADIOTAP = 127
    IPV4 = 228
    IPV6 = 229
    NFLOG = 239  # Linux netfilter log: 4-byte header, then TLVs (type 9 holds the packet)
    LINUX_SLL2 = 276
    FDDI = 10  # FC, destination, source (13 bytes), then LLC/SNAP
    ATM_RFC1483 = 100  # LLC/SNAP over ATM
    PPI = 192  # Per-Packet Information header (AirPcap, Kismet), then the link type it names
    IPNET = 226  # Solaris ipnet: 24-byte header, then IP
    PKTAP = 258  # Apple's packet tap (``tcpdump -i any`` on macOS), then the link type it names
    PKTAP_DARWIN = 149  # the same written under Darwin's DLT value (LINKTYPE_USER2 elsewhere)
    ARCNET_LINUX = 129  # Linux ARCnet: 4-byte header, a protocol id (RFC 1201 / RFC 1051)
    DSA_TAG_BRCM = 281  # Ethernet, a 4-byte Broadcom switch tag before the ethertype
    DSA_TAG_BRCM_PREPEND = 282  # a 4-byte Broadcom switch tag, then Ethernet
    DSA_TAG_DSA = 284  # Ethernet, a 4-byte Marvell DSA tag before the ethertype
    DSA_TAG_EDSA = 285  # Ethernet, an 8-byte Marvell EDSA tag before the ethertype
    # DLT_RAW aliases that show up in pcap files written on some BSDs
    RAW_ALIAS_12 = 12
    RAW_ALIAS_14 = 14


@dataclass(slots=True)
class RawBatch:
    """Records read from one capture source, as offsets into a window buffer.

    ``data`` is only valid until the next batch of the same source is read: a stage that keeps
    payload bytes beyond the batch must copy them.
    """

    data: np.ndarray
    """uint8 window buffer the offsets point into."""
    offset: np.ndarray
    """int64 [n]: start of each record's captured bytes in ``data``."""
    caplen: np.ndarray
    """uint32 [n]: captured length of each record."""
    wirelen: np.ndarray
    """uint32 [n]: original length on the wire."""
    ts_ns: np.ndarray
    """int64 [n]: timestamp, nanoseconds since the Unix epoch (if_tsoffset applied)."""
    linktype: np.ndarray
    """uint16 [n]: link type of each record (pcapng may mix interfaces)."""
    source: str = ""
    """Name of the capture source (path or ``-``)."""
    first_index: int = 0
    """Index of the first record within its source (0-based)."""
    bytes_done: int = 0
    """Bytes of the (compressed, on-disk) source consumed once this batch was read."""

    def __len__(self) -> int:
        return int(self.offset.shape[0])


class PacketStatus(IntEnum):
    """What the decoder made of a record (``PacketBatch.status``)."""

    OK = 0  # an IP packet with a decoded transport header (or a protocol without ports)
    NOT_IP = 1  # a link-layer frame with no IP inside (counted)
    ARP = 2  # ARP: src/dst addresses hold sender and target protocol addresses
    MALFORMED = 3  # could not be decoded; ``weird`` says why
    FRAGMENT = 4  # an IP fragment: handed to the reassembler, not to flows directly
    UNKNOWN_LINK = 5  # link type not decoded (counted)


class Tunnel(IntEnum):
    """Outermost tunnel that carried the packet (``PacketBatch.tunnel``)."""

    NONE = 0
    GRE = 1
    ERSPAN = 2
    VXLAN = 3
    GENEVE = 4
    GTPU = 5
    IPIP = 6  # IPv4-in-IPv4 / IPv6-in-IPv4 (6in4) / 4in6 / 6in6
    TEREDO = 7
    PPPOE = 8  # not strictly a tunnel, but recorded the same way
    CAPWAP = 9  # CAPWAP data channel (RFC 5415), UDP port 5247
    AYIYA = 10  # Anything In Anything (SixXS), UDP port 5072
    MPLS_UDP = 11  # an MPLS label stack in UDP (RFC 7510), port 6635
    L2TP = 12  # L2TPv2 data messages (RFC 2661), UDP port 1701, carrying PPP
    PBB = 13  # IEEE 802.1ah provider backbone bridging (MAC-in-MAC): its id is the I-SID


@dataclass(slots=True)
class PacketBatch:
    """Decoded columns of a batch, one row per record of the matching :class:`RawBatch`.

    Addresses are 128-bit, split in two uint64 halves; IPv4 is stored IPv4-mapped
    (``hi = 0``, ``lo = 0x0000_ffff_xxxx_xxxx``). For the innermost packet of a tunnel.
    """

    status: np.ndarray  # uint8  PacketStatus
    weird: np.ndarray  # uint16 core.weirds.Weird code of the first problem found (0 none)
    ip_ver: np.ndarray  # uint8  4, 6, or 0
    src_hi: np.ndarray  # uint64
    src_lo: np.ndarray  # uint64
    dst_hi: np.ndarray  # uint64
    dst_lo: np.ndarray  # uint64
    sport: np.ndarray  # uint16 (0 for protocols without ports)
    dport: np.ndarray  # uint16
    proto: np.ndarray  # uint8  IP protocol number of the innermost transport
    tcp_flags: np.ndarray  # uint8  FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128
    tcp_seq: np.ndarray  # uint32
    tcp_ack: np.ndarray  # uint32
    tcp_win: np.ndarray  # uint16
    icmp_type: np.ndarray  # uint8
    icmp_code: np.ndarray  # uint8
    ttl: np.ndarray  # uint8  (hop limit for IPv6)
    ip_len: np.ndarray  # uint32 IP total length from the (innermost) header
    l3_off: np.ndarray  # int64  offset of the innermost IP header in RawBatch.data (-1 none)
    payload_off: np.ndarray  # int64 offset of the transport payload in RawBatch.data
    payload_len: np.ndarray  # uint32 captured payload bytes available from payload_off
    vlan: np.ndarray  # uint16 outermost 802.1Q VLAN id (0 none)
    vlan_inner: np.ndarray  # uint16 second VLAN id of QinQ (0 none)
    mpls_label: np.ndarray  # uint32 top MPLS label + 1 (0 none)
    tunnel: np.ndarray  # uint8  Tunnel of the outermost encapsulation
    tunnel_id: np.ndarray  # uint32 VNI / TEID / GRE key / ERSPAN session id
    outer_src_hi: np.ndarray  # uint64 source of the IP header carrying the outermost tunnel
    outer_src_lo: np.ndarray  # uint64 (as src_hi/src_lo; 0 and 0 without one)
    outer_dst_hi: np.ndarray  # uint64 its destination
    outer_dst_lo: np.ndarray  # uint64
    src_mac: np.ndarray  # uint64 48-bit MAC in the low bits (0 none)
    dst_mac: np.ndarray  # uint64
    frag_id: np.ndarray  # uint32 IP identification of a fragment (status FRAGMENT)
    frag_off: np.ndarray  # uint32 fragment offset in bytes
    frag_more: np.ndarray  # uint8  more-fragments flag

    @classmethod
    def empty(cls, n: int) -> PacketBatch:
        """Columns for ``n`` records, zeroed (allocate once, reuse with :meth:`view`)."""
        cols: dict[str, np.ndarray] = {}
        for f in fields(cls):
            cols[f.name] = np.zeros(n, dtype=_DTYPES[f.name])
        return cls(**cols)

    def view(self, n: int) -> PacketBatch:
        """The first ``n`` rows of every column (no copy)."""
        return PacketBatch(**{f.name: getattr(self, f.name)[:n] for f in fields(self)})

    def __len__(self) -> int:
        return int(self.status.shape[0])


_DTYPES: dict[str, type] = {
    "status": np.uint8,
    "weird": np.uint16,
    "ip_ver": np.uint8,
    "src_hi": np.uint64,
    "src_lo": np.uint64,
    "dst_hi": np.uint64,
    "dst_lo": np.uint64,
    "sport": np.uint16,
    "dport": np.uint16,
    "proto": np.uint8,
    "tcp_flags": np.uint8,
    "tcp_seq": np.uint32,
    "tcp_ack": np.uint32,
    "tcp_win": np.uint16,
    "icmp_type": np.uint8,
    "icmp_code": np.uint8,
    "ttl": np.uint8,
    "ip_len": np.uint32,
    "l3_off": np.int64,
    "payload_off": np.int64,
    "payload_len": np.uint32,
    "vlan": np.uint16,
    "vlan_inner": np.uint16,
    "mpls_label": np.uint32,
    "tunnel": np.uint8,
    "tunnel_id": np.uint32,
    "outer_src_hi": np.uint64,
    "outer_src_lo": np.uint64,
    "outer_dst_hi": np.uint64,
    "outer_dst_lo": np.uint64,
    "src_mac": np.uint64,
    "dst_mac": np.uint64,
    "frag_id": np.uint32,
    "frag_off": np.uint32,
    "frag_more": np.uint8,
}
