"""Link layers of the decoding loop: the capture link type, Ethernet, ethertypes, PPP, 802.11.

Each function is an ``inline="always"`` piece of :func:`wirelens.decode._kernel._decode_rows`:
it reads at ``pos`` (never at or past ``end``) and returns the row state it changed. A weird is
recorded only when none is yet (``wd`` is the row's first problem).
"""

from __future__ import annotations

import numpy as np

from wirelens.decode._kcommon import (
    ARP,
    K_DONE,
    K_ETH,
    K_ETYPE,
    K_IP,
    K_PPP,
    K_WIFI,
    MALFORMED,
    NOT_IP,
    OK,
    T_PBB,
    T_PPPOE,
    UNKNOWN_LINK,
    V4_MAPPED,
    W_ENCRYPTED_WIFI,
    W_TRUNC_ARP,
    W_TRUNC_LINK,
    W_TRUNC_TUNNEL,
    W_UNKNOWN_LINK,
    inl,
    known_frame,
    u8,
    u16,
    u32,
    u64,
)


@inl
def llc_snap(data, pos, end):  # type: ignore[no-untyped-def]
    """An LLC/SNAP header (IEEE 802.2 / RFC 1042: AA AA 03, OUI, ethertype) at ``pos``."""
    return (end - pos >= 8 and u8(data, pos) == 0xAA and u8(data, pos + 1) == 0xAA
            and u8(data, pos + 2) == 3)


@inl
def nflog_tlv(data, p, little):  # type: ignore[no-untyped-def]
    """Length and type of the NFLOG TLV at ``p`` (4 bytes readable there), read in little-
    (``little``) or big-endian order; the type without its netlink flag bits (NLA_F_NESTED,
    NLA_F_NET_BYTEORDER: ``nla_type & 0x3FFF``)."""
    if little:
        tlen = np.int64(u8(data, p)) | (np.int64(u8(data, p + 1)) << 8)
        typ = np.int64(u8(data, p + 2)) | (np.int64(u8(data, p + 3)) << 8)
    else:
        tlen = u16(data, p)
        typ = u16(data, p + 2)
    return tlen, typ & 0x3FFF


@inl
def nflog(data, pos, end):  # type: ignore[no-untyped-def]
    """A Linux netfilter log record (LINKTYPE_NFLOG 239) at ``pos``: the IP packet it logged.

    Layout (tcpdump.org LINKTYPE_NFLOG; Linux ``nfnetlink_log.h``): a 4-byte header (address
    family: AF_INET 2 / AF_INET6 10, version 0, resource id big-endian), then netlink-style
    TLVs (``struct nlattr``): a 2-byte length that counts the 4-byte TLV header, a 2-byte type,
    both in the capturing host's byte order, each TLV padded to 4 bytes. Type 9
    (NFULA_PAYLOAD) holds the packet; other TLVs are skipped.

    The byte order is taken per TLV: little-endian when that length fits the record, else a
    type-9 TLV cut by the snap length (its packet decoded up to the record's end), else the
    same in big-endian order. A TLV with no sane length, or a cut TLV header, is malformed;
    an unknown family or version, or no payload TLV, is not IP.

    Returns ``(kind, pos, end, st, wd)``; each TLV advances at least 4 bytes (O(caplen)).
    """
    if end - pos < 4:
        return K_DONE, pos, end, MALFORMED, W_TRUNC_LINK
    fam = u8(data, pos)
    if u8(data, pos + 1) != 0 or (fam != 2 and fam != 10):
        return K_DONE, pos, end, NOT_IP, 0
    p = pos + 4
    while end - p >= 4:
        rem = end - p
        tlen, typ = nflog_tlv(data, p, True)
        if tlen < 4 or tlen > rem:
            if typ == 9 and tlen >= 4:  # payload cut by the snap length
                return K_IP, p + 4, end, OK, 0
            tlen, typ = nflog_tlv(data, p, False)
            if tlen < 4:
                return K_DONE, pos, end, MALFORMED, W_TRUNC_LINK
            if tlen > rem:
                if typ == 9:
                    return K_IP, p + 4, end, OK, 0
                return K_DONE, pos, end, MALFORMED, W_TRUNC_LINK
        if typ == 9:  # NFULA_PAYLOAD
            return K_IP, p + 4, p + tlen, OK, 0
        p += (tlen + 3) & ~3  # NLA_ALIGN(4)
    if p < end:  # 1 to 3 bytes left: a cut TLV header
        return K_DONE, pos, end, MALFORMED, W_TRUNC_LINK
    return K_DONE, pos, end, NOT_IP, 0


@inl
def le32(d, p):  # type: ignore[no-untyped-def]
    """Little-endian 32-bit value at ``p`` as int64 (the caller checked the bounds)."""
    return (np.int64(u8(d, p)) | (np.int64(u8(d, p + 1)) << 8)
            | (np.int64(u8(d, p + 2)) << 16) | (np.int64(u8(d, p + 3)) << 24))


@inl
def wrapper(data, pos, end, lt):  # type: ignore[no-untyped-def]
    """A header that wraps a packet of another link type at ``pos``: ``(length, inner link
    type)``, or ``(0, 0)`` if cut or not one. PKTAP (Apple; tcpdump's print-pktap.c layout):
    header length, record type (1: a packet), link type, little-endian 32-bit words. PPI
    (the Per-Packet Information header specification 1.0.10): version 0, flags, length
    (16 bits), link type (32 bits), little-endian."""
    if lt == 192:
        if end - pos < 8 or u8(data, pos) != 0:
            return 0, 0
        hl = np.int64(u8(data, pos + 2)) | (np.int64(u8(data, pos + 3)) << 8)
        if hl < 8 or hl > end - pos:
            return 0, 0
        return hl, le32(data, pos + 4)
    if end - pos < 12 or le32(data, pos + 4) != 1:
        return 0, 0
    hl = le32(data, pos)
    if hl < 12 or hl > end - pos:
        return 0, 0
    return hl, le32(data, pos + 8)


@inl
def arcnet(data, pos, end):  # type: ignore[no-untyped-def]
    """A Linux ARCnet header at ``pos`` (LINKTYPE_ARCNET_LINUX; RFC 1201 and RFC 1051
    framing): ``(kind, pos, et, st, wd)``. RFC 1051 protocol ids (240 IP, 241 ARP) start the
    payload; RFC 1201 ones (212 IP, 213 ARP, 196 IPv6: RFC 2497) are followed by a split
    flag and a sequence number: an unsplit packet (flag 0) or the first piece of a split one
    (an odd flag: its start, the IP header) is read, a later piece or an exception packet is
    not IP."""
    if end - pos < 5:
        return K_DONE, pos, 0, MALFORMED, W_TRUNC_LINK
    pid = u8(data, pos + 4)
    if pid == 240 or pid == 241:
        return K_ETYPE, pos + 5, 0x0800 if pid == 240 else 0x0806, OK, 0
    if pid != 212 and pid != 213 and pid != 196:
        return K_DONE, pos, 0, NOT_IP, 0
    if end - pos < 8:
        return K_DONE, pos, 0, MALFORMED, W_TRUNC_LINK
    flag = u8(data, pos + 5)
    if flag != 0 and ((flag & 1) == 0 or flag == 0xFF):
        return K_DONE, pos, 0, NOT_IP, 0
    return K_ETYPE, pos + 8, 0x0800 if pid == 212 else 0x0806 if pid == 213 else 0x86DD, OK, 0


@inl
def link_header(data, pos, end, lt):  # type: ignore[no-untyped-def]
    """The record's link-layer header (pcap LINKTYPE ``lt``) at ``pos``.

    Returns ``(kind, pos, end, et, st, wd, smac, dmac, mac_set)``: what follows and where
    (``end`` is lowered only by a link header that bounds its payload, NFLOG's), its ethertype
    when ``kind`` is ``K_ETYPE``, the status / weird so far, and the MACs when the header
    carries them (Linux cooked captures: the source's; Ethernet with a switch tag).
    """
    st = OK
    wd = 0
    kind = K_DONE
    et = 0
    smac = np.uint64(0)
    dmac = np.uint64(0)
    mac_set = False
    if lt == 258 or lt == 149 or lt == 192:  # (one wrapper: what it wraps is a plain one)
        hl, inner = wrapper(data, pos, end, lt)
        if hl == 0:
            return K_DONE, pos, end, 0, MALFORMED, W_TRUNC_LINK, smac, dmac, mac_set
        pos += hl
        lt = inner
    if lt == 1:
        kind = K_ETH
    elif lt == 281 or lt == 284 or lt == 285:
        # Ethernet with a switch's tag between the source MAC and the ethertype: Broadcom
        # (4 bytes), Marvell DSA (4), EDSA (8: an ethertype, 2 reserved bytes, a DSA tag)
        tag = 8 if lt == 285 else 4
        if end - pos < 14 + tag:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:
            dmac = u64(data, pos, 6)
            smac = u64(data, pos + 6, 6)
            mac_set = True
            et = u16(data, pos + 12 + tag)
            pos += 14 + tag
            kind = K_ETYPE
    elif lt == 282:  # a Broadcom tag before the Ethernet header
        if end - pos < 4:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:
            pos += 4
            kind = K_ETH
    elif lt == 101 or lt == 228 or lt == 229 or lt == 12 or lt == 14:
        kind = K_IP
    elif lt == 113:  # Linux cooked v1: 16-byte header, protocol at 14
        if end - pos < 16:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:
            if u16(data, pos + 4) == 6:
                smac = u64(data, pos + 6, 6)
                mac_set = True
            et = u16(data, pos + 14)
            pos += 16
            kind = K_ETYPE
    elif lt == 276:  # Linux cooked v2: 20-byte header, protocol first
        if end - pos < 20:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:
            if u8(data, pos + 11) == 6:
                smac = u64(data, pos + 12, 6)
                mac_set = True
            et = u16(data, pos)
            pos += 20
            kind = K_ETYPE
    elif lt == 0 or lt == 108:  # BSD loopback: 4-byte address family
        if end - pos < 4:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:
            fam = u32(data, pos)  # network order (LOOP, or NULL from a big-endian host)
            if lt == 0:
                le = (
                    np.int64(u8(data, pos))
                    | (np.int64(u8(data, pos + 1)) << 8)
                    | (np.int64(u8(data, pos + 2)) << 16)
                    | (np.int64(u8(data, pos + 3)) << 24)
                )
                if le <= 0xFFFF:
                    fam = le
            pos += 4
            if fam == 2 or fam == 24 or fam == 28 or fam == 30:
                kind = K_IP
            else:
                st = NOT_IP
    elif lt == 9 or lt == 50:
        if end - pos >= 1 and (u8(data, pos) == 0x0F or u8(data, pos) == 0x8F):
            # Cisco HDLC framing seen under PPP_HDLC (address 0x0F/0x8F)
            if end - pos < 4:
                st = MALFORMED
                wd = W_TRUNC_LINK
            else:
                et = u16(data, pos + 2)
                pos += 4
                kind = K_ETYPE
        else:
            kind = K_PPP
    elif lt == 104:  # Cisco HDLC: address, control, ethertype
        if end - pos < 4:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:
            et = u16(data, pos + 2)
            pos += 4
            kind = K_ETYPE
    elif lt == 127:  # radiotap: version 0, pad, little-endian length
        if end - pos < 8 or u8(data, pos) != 0:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:
            rlen = np.int64(u8(data, pos + 2)) | (np.int64(u8(data, pos + 3)) << 8)
            if rlen < 8 or rlen > end - pos:
                st = MALFORMED
                wd = W_TRUNC_LINK
            else:
                pos += rlen
                kind = K_WIFI
    elif lt == 105:
        kind = K_WIFI
    elif lt == 239:
        kind, pos, end, st, wd = nflog(data, pos, end)
    elif lt == 10 or lt == 100:  # FDDI (frame control, two addresses) or ATM: LLC/SNAP
        hl = 13 if lt == 10 else 0
        if llc_snap(data, pos + hl, end):
            et = u16(data, pos + hl + 6)
            pos += hl + 8
            kind = K_ETYPE
        elif end - pos < hl + 8:
            st = MALFORMED
            wd = W_TRUNC_LINK
        else:  # (another LLC: spanning tree, IPX, ...)
            st = NOT_IP
    elif lt == 129:  # Linux ARCnet: source, destination, offset (2), protocol id
        kind, pos, et, st, wd = arcnet(data, pos, end)
    elif lt == 226:  # Solaris ipnet: version, address family (2 IPv4, 26 IPv6), ... 24 bytes
        if end - pos < 24:
            st = MALFORMED
            wd = W_TRUNC_LINK
        elif u8(data, pos + 1) == 2 or u8(data, pos + 1) == 26:
            pos += 24
            kind = K_IP
        else:
            st = NOT_IP
    else:
        st = UNKNOWN_LINK
        wd = W_UNKNOWN_LINK
    return kind, pos, end, et, st, wd, smac, dmac, mac_set


@inl
def pw_control_word(data, pos, end):  # type: ignore[no-untyped-def]
    """Whether the 4 bytes at ``pos`` can be an Ethernet pseudowire's control word (RFC 4448
    section 4.6, RFC 4385 section 3): first nibble 0, flags 0, no fragment bits, and a
    length field of 0 or the length of a payload shorter than 64 bytes (padding) -- so a
    frame sent without one, whose destination MAC starts with a 0 nibble, is not taken for
    one but by chance."""
    if end - pos < 4 or u8(data, pos) != 0:
        return False
    b = np.int64(u8(data, pos + 1))
    n = b & 0x3F
    return (b & 0xC0) == 0 and (n == 0 or n == end - pos - 4)


@inl
def ethernet(data, pos, end, wd, mac_set, smac, dmac):  # type: ignore[no-untyped-def]
    """An Ethernet II / 802.3 header at ``pos`` (the outermost one sets the MACs).

    Returns ``(kind, pos, et, st, wd, mac_set, smac, dmac)``.
    """
    if end - pos < 14:
        return K_ETH, pos, 0, MALFORMED, W_TRUNC_LINK if wd == 0 else wd, mac_set, smac, dmac
    if not mac_set:
        dmac = u64(data, pos, 6)
        smac = u64(data, pos + 6, 6)
        mac_set = True
    et = u16(data, pos + 12)
    return K_ETYPE, pos + 14, et, OK, wd, mac_set, smac, dmac


@inl
def ethertype(data, pos, end, et, wd, vlan, vlan2, mpls, smac, dmac, shi, slo, dhi, dlo):  # type: ignore[no-untyped-def]
    """One step on a payload of ethertype ``et`` at ``pos``: a tag is consumed, or the next
    layer is found, or the row ends (ARP, not IP, truncated).

    Returns ``(kind, pos, et, st, wd, vlan, vlan2, mpls, new_tun, new_tid, smac, dmac, shi,
    slo, dhi, dlo)``; ``new_tun`` is the tunnel entered at this step (PPPoE) or 0.
    """
    kind = K_ETYPE
    st = OK
    new_tun = 0
    new_tid = 0
    if et == 0x0800 or et == 0x86DD:
        kind = K_IP
    elif et == 0x8100 or et == 0x88A8 or et == 0x9100:  # IEEE 802.1Q / 802.1ad
        if end - pos < 4:
            st = MALFORMED
            wd = W_TRUNC_LINK if wd == 0 else wd
        else:
            vid = u16(data, pos) & 0xFFF
            if vlan == 0:
                vlan = vid
            elif vlan2 == 0:
                vlan2 = vid
            et = u16(data, pos + 2)
            pos += 4
    elif et == 0x8847 or et == 0x8848:  # MPLS label stack, RFC 3032 section 2.1
        bos = 0
        while bos == 0:
            if end - pos < 4:
                break
            if mpls == 0:
                mpls = (u32(data, pos) >> 12) + 1
            bos = u8(data, pos + 2) & 1
            pos += 4
        if bos == 0 or end - pos < 1:
            st = MALFORMED
            wd = W_TRUNC_LINK if wd == 0 else wd
        else:
            nib = u8(data, pos) >> 4
            if nib == 4 or nib == 6:
                kind = K_IP
            elif nib == 0 and pw_control_word(data, pos, end) and known_frame(data, pos + 4, end):
                # an Ethernet pseudowire's control word, then the frame
                pos += 4
                kind = K_ETH
            elif nib != 1 and known_frame(data, pos, end):
                # an Ethernet pseudowire without the control word (optional, RFC 4448
                # section 4.6): the frame at once (1: an associated channel, RFC 4385)
                kind = K_ETH
            else:
                st = NOT_IP
    elif et == 0x8864:  # PPPoE session, RFC 2516 section 4
        if end - pos < 8:
            st = MALFORMED
            wd = W_TRUNC_TUNNEL if wd == 0 else wd
        else:
            new_tun = T_PPPOE
            new_tid = u16(data, pos + 2)
            pp = u16(data, pos + 6)
            pos += 8
            if pp == 0x0021 or pp == 0x0057:
                kind = K_IP
            else:
                st = NOT_IP
    elif et == 0x0806:  # ARP, RFC 826
        kind = K_DONE
        if end - pos < 8:
            st = MALFORMED
            wd = W_TRUNC_ARP if wd == 0 else wd
        else:
            ptype = u16(data, pos + 2)
            hln = np.int64(u8(data, pos + 4))
            pln = np.int64(u8(data, pos + 5))
            if end - pos < 8 + 2 * hln + 2 * pln:
                st = MALFORMED
                wd = W_TRUNC_ARP if wd == 0 else wd
            else:
                st = ARP
                if hln == 6:
                    smac = u64(data, pos + 8, 6)
                    dmac = u64(data, pos + 8 + 6 + pln, 6)
                if ptype == 0x0800 and pln == 4:
                    shi = np.uint64(0)
                    dhi = np.uint64(0)
                    slo = V4_MAPPED | u64(data, pos + 8 + hln, 4)
                    dlo = V4_MAPPED | u64(data, pos + 8 + 2 * hln + pln, 4)
    elif et == 0x6558:  # transparent Ethernet bridging (GRE, Geneve)
        kind = K_ETH
    elif et == 0x88E7:  # IEEE 802.1ah (PBB): the I-TAG (its low 24 bits the I-SID), then the
        # customer's frame; recorded as a tunnel, so flows of two services stay apart
        if end - pos < 4:
            st = MALFORMED
            wd = W_TRUNC_TUNNEL if wd == 0 else wd
        else:
            new_tun = T_PBB
            new_tid = u32(data, pos) & 0xFFFFFF
            pos += 4
            kind = K_ETH
    elif et == 0x8926 or et == 0x8909:  # a tag, then the frame's own ethertype: Cisco VN-Tag
        # (802.1Qbh's forerunner, 4 bytes) or Cisco MetaData (TrustSec's inline SGT: version,
        # length, option, the security group tag; 6 bytes)
        tag = 4 if et == 0x8926 else 6
        if end - pos < tag + 2:
            st = MALFORMED
            wd = W_TRUNC_LINK if wd == 0 else wd
        else:
            et = u16(data, pos + tag)
            pos += tag + 2
    elif et == 0x88E5:  # IEEE 802.1AE MACsec: TCI/AN, short length, packet number, and the
        # secure channel id when the SC bit says so; only a frame neither encrypted (E) nor
        # modified (C) is read, its ethertype next (the integrity check value trails it)
        hl = 14 if end - pos >= 1 and u8(data, pos) & 0x20 else 6
        if end - pos < hl + 2:
            st = MALFORMED
            wd = W_TRUNC_LINK if wd == 0 else wd
        elif u8(data, pos) & 0x0C:
            st = NOT_IP
        else:
            et = u16(data, pos + hl)
            pos += hl + 2
    elif et == 0x894F:  # Network Service Header (RFC 8300 section 2): its length in words,
        # then what its next-protocol field names
        if end - pos < 8 or end - pos < (u8(data, pos + 1) & 0x3F) * 4:
            st = MALFORMED
            wd = W_TRUNC_LINK if wd == 0 else wd
        else:
            hlen = np.int64(u8(data, pos + 1) & 0x3F) * 4
            nxt = u8(data, pos + 3)
            if (u8(data, pos) >> 6) != 0 or hlen < 8:
                st = NOT_IP
            elif nxt == 1 or nxt == 2:
                kind = K_IP
            elif nxt == 3:
                kind = K_ETH
            elif nxt == 4 or nxt == 5:
                et = 0x894F if nxt == 4 else 0x8847
            else:
                st = NOT_IP
            pos += hlen
    elif et == 0x8903:  # Cisco FabricPath: 2-byte FTAG/TTL, then the inner frame
        if end - pos < 2:
            st = MALFORMED
            wd = W_TRUNC_LINK if wd == 0 else wd
        else:
            pos += 2
            kind = K_ETH
    elif et <= 1500:  # 802.3 length: LLC/SNAP carries an ethertype
        if llc_snap(data, pos, end):
            et = u16(data, pos + 6)
            pos += 8
        else:
            st = NOT_IP
    else:
        st = NOT_IP
    return (
        kind,
        pos,
        et,
        st,
        wd,
        vlan,
        vlan2,
        mpls,
        new_tun,
        new_tid,
        smac,
        dmac,
        shi,
        slo,
        dhi,
        dlo,
    )


@inl
def ppp(data, pos, end, et, wd):  # type: ignore[no-untyped-def]
    """A PPP protocol field at ``pos`` (RFC 1661 section 2; RFC 1662 address/control FF 03).

    Returns ``(kind, pos, et, st, wd)``.
    """
    if end - pos >= 2 and u8(data, pos) == 0xFF and u8(data, pos + 1) == 0x03:
        pos += 2
    if end - pos < 1:
        return K_PPP, pos, et, MALFORMED, W_TRUNC_LINK if wd == 0 else wd
    if u8(data, pos) & 1:
        pp = np.int64(u8(data, pos))
        pos += 1
    else:
        if end - pos < 2:
            return K_PPP, pos, et, MALFORMED, W_TRUNC_LINK if wd == 0 else wd
        pp = u16(data, pos)
        pos += 2
    if pp == 0x0021 or pp == 0x0057:
        return K_IP, pos, et, OK, wd
    if pp == 0x0281 or pp == 0x0283:
        return K_ETYPE, pos, 0x8847, OK, wd
    return K_PPP, pos, et, NOT_IP, wd


@inl
def wifi(data, pos, end, et, wd, fc_swap, mac_set, smac, dmac):  # type: ignore[no-untyped-def]
    """An IEEE 802.11 frame at ``pos`` (IEEE 802.11-2020 section 9.2 / 9.3.2): data frames
    carrying LLC/SNAP go on to their ethertype; the outermost frame sets the MACs.

    Returns ``(kind, pos, et, st, wd, mac_set, smac, dmac)``.
    """
    if end - pos < 2:
        return K_DONE, pos, et, MALFORMED, W_TRUNC_LINK if wd == 0 else wd, mac_set, smac, dmac
    fc0 = np.int64(u8(data, pos))
    fc1 = np.int64(u8(data, pos + 1))
    if fc_swap and (fc0 & 3) != 0 and (fc1 & 3) == 0:
        # Cisco controllers send the frame control field of CAPWAP-carried frames
        # byte-swapped: the protocol version (bits 0-1 of the first byte) must be 0, and a
        # data frame to/from an AP has ToDS or FromDS set, so a nonzero "version" with a
        # zero one in the other byte means swapped.
        fc0, fc1 = fc1, fc0
    ftype = (fc0 >> 2) & 3
    sub = fc0 >> 4
    if (fc0 & 3) != 0 or ftype != 2:
        return K_DONE, pos, et, NOT_IP, wd, mac_set, smac, dmac
    tods = fc1 & 1
    fromds = (fc1 >> 1) & 1
    hl = 24
    if tods and fromds:
        hl = 30
    if sub & 8:  # QoS data: +2 QoS control, +4 HT control if Order
        hl += 2
        if fc1 & 0x80:
            hl += 4
    if end - pos < hl:
        return K_DONE, pos, et, MALFORMED, W_TRUNC_LINK if wd == 0 else wd, mac_set, smac, dmac
    if not mac_set:
        a1 = u64(data, pos + 4, 6)
        a2 = u64(data, pos + 10, 6)
        a3 = u64(data, pos + 16, 6)
        dmac = a3 if tods else a1
        if tods and fromds:
            smac = u64(data, pos + 24, 6)
        elif fromds:
            smac = a3
        else:
            smac = a2
        mac_set = True
    kind = K_DONE
    st = OK
    if sub & 4:  # null data: no body
        st = NOT_IP
    elif fc1 & 0x40:  # protected frame
        st = NOT_IP
        wd = W_ENCRYPTED_WIFI if wd == 0 else wd
    else:
        if sub & 8 and u8(data, pos + hl - (6 if fc1 & 0x80 else 2)) & 0x80:
            # A-MSDU present (QoS control bit 7): subframes of destination, source, length
            # and an LLC/SNAP packet each; the first one is decoded (a row is one packet)
            pos += 14
        pos += hl
        if llc_snap(data, pos, end):
            et = u16(data, pos + 6)
            pos += 8
            kind = K_ETYPE
        else:
            st = NOT_IP
    return kind, pos, et, st, wd, mac_set, smac, dmac
