"""The L2..L4 decoding kernel: one numba loop over a whole batch, no Python object per packet.

Every read is checked against the end of the record (``end``), itself clipped to the IP total
length of the innermost IP header once one is seen (so Ethernet padding never counts). The
per-row state machine walks ``kind`` values:

* ``_K_ETH``   an Ethernet II / 802.3 header at ``pos``
* ``_K_ETYPE`` a payload whose type is the ethertype ``et`` (VLAN, MPLS, PPPoE, ARP, IP, ...)
* ``_K_PPP``   a PPP protocol field (RFC 1661 section 2, optional address/control FF 03)
* ``_K_IP``    an IP header (version from the first nibble)
* ``_K_WIFI``  an IEEE 802.11 frame (link type 105/127, or carried by CAPWAP)

Each step consumes at least one byte or enters a tunnel (bounded by ``max_depth``), so a row
costs O(caplen). See :mod:`wirelens.decode.decoder` for the public wrapper.
"""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel

# PacketStatus codes (core.batch.PacketStatus)
_OK = 0
_NOT_IP = 1
_ARP = 2
_MALFORMED = 3
_FRAGMENT = 4
_UNKNOWN_LINK = 5

# Tunnel codes (core.batch.Tunnel)
_T_GRE = 1
_T_ERSPAN = 2
_T_VXLAN = 3
_T_GENEVE = 4
_T_GTPU = 5
_T_IPIP = 6
_T_TEREDO = 7
_T_PPPOE = 8
_T_CAPWAP = 9

# Weird codes (core.weirds.Weird)
_W_TRUNC_LINK = 1
_W_UNKNOWN_LINK = 2
_W_TRUNC_IP = 10
_W_BAD_IP_VERSION = 11
_W_BAD_IHL = 12
_W_IP_LEN_EXCEEDS = 13
_W_BAD_IPV6_EXT = 14
_W_IP_LEN_SMALL = 15
_W_TRUNC_TCP = 30
_W_BAD_TCP_HLEN = 31
_W_TRUNC_UDP = 32
_W_BAD_UDP_LEN = 33
_W_TRUNC_ICMP = 34
_W_TRUNC_SCTP = 35
_W_TRUNC_TUNNEL = 40
_W_TUNNEL_DEPTH = 41
_W_TRUNC_ARP = 70
_W_ENCRYPTED_WIFI = 71

# state machine
_K_DONE = 0
_K_ETH = 1
_K_ETYPE = 2
_K_PPP = 3
_K_IP = 4
_K_WIFI = 5

_V4_MAPPED = np.uint64(0x0000_FFFF_0000_0000)
N_WEIRD_SLOTS = 256
N_LINKTYPES = 65536


@kernel
def _u16(d, p):  # type: ignore[no-untyped-def]
    q = np.uintp(p)  # unsigned index: no negative-index wraparound code
    return (np.int64(d[q]) << 8) | np.int64(d[q + np.uintp(1)])


@kernel
def _u8(d, p):  # type: ignore[no-untyped-def]
    return np.int64(d[np.uintp(p)])


@kernel
def _u32(d, p):  # type: ignore[no-untyped-def]
    q = np.uintp(p)
    return (
        (np.int64(d[q]) << 24)
        | (np.int64(d[q + np.uintp(1)]) << 16)
        | (np.int64(d[q + np.uintp(2)]) << 8)
        | np.int64(d[q + np.uintp(3)])
    )


@kernel
def _u64(d, p, n):  # type: ignore[no-untyped-def]
    """Big-endian unsigned value of ``n`` (4, 6 or 8) bytes at ``p``, as uint64."""
    hi = np.uint64(_u32(d, p))
    if n == 4:
        return hi
    if n == 6:
        return (hi << np.uint64(16)) | np.uint64(_u16(d, p + 4))
    return (hi << np.uint64(32)) | np.uint64(_u32(d, p + 4))


@kernel
def _decode_rows(  # type: ignore[no-untyped-def]
    data,
    offset,
    caplen,
    linktype,
    max_depth,
    status,
    weird,
    ip_ver,
    src_hi,
    src_lo,
    dst_hi,
    dst_lo,
    sport,
    dport,
    proto,
    tcp_flags,
    tcp_seq,
    tcp_ack,
    tcp_win,
    icmp_type,
    icmp_code,
    ttl,
    ip_len,
    l3_off,
    payload_off,
    payload_len,
    vlan,
    vlan_inner,
    mpls_label,
    tunnel,
    tunnel_id,
    outer_src_lo,
    outer_dst_lo,
    src_mac,
    dst_mac,
    frag_id,
    frag_off,
    frag_more,
    lt_counts,
    st_counts,
    tun_counts,
    weird_counts,
):
    n = offset.shape[0]
    dlen = np.int64(data.shape[0])
    for i in range(n):
        ui = np.uintp(i)
        start = np.int64(offset[ui])
        end = start + np.int64(caplen[ui])
        if start < 0:
            start = np.int64(0)
        start = min(start, dlen)
        end = min(end, dlen)
        end = max(end, start)
        lt = np.int64(linktype[ui])
        lt_counts[lt] += 1

        # row state (written to the columns at the end)
        st = _OK
        wd = 0
        v_ipver = 0
        v_shi = np.uint64(0)
        v_slo = np.uint64(0)
        v_dhi = np.uint64(0)
        v_dlo = np.uint64(0)
        v_sp = 0
        v_dp = 0
        v_proto = 0
        v_flags = 0
        v_seq = 0
        v_ack = 0
        v_win = 0
        v_it = 0
        v_ic = 0
        v_ttl = 0
        v_iplen = 0
        v_l3 = np.int64(-1)
        v_poff = start
        v_plen = np.int64(0)
        v_vlan = 0
        v_vlan2 = 0
        v_mpls = 0
        v_tun = 0
        v_tid = 0
        v_osrc = np.uint64(0)
        v_odst = np.uint64(0)
        v_smac = np.uint64(0)
        v_dmac = np.uint64(0)
        mac_set = False
        v_fid = 0
        v_foff = 0
        v_fmore = 0
        depth = 0
        new_tun = 0  # tunnel being entered at this step (0 none)
        new_tid = 0
        fc_swap = False  # 802.11 frame control may be byte-swapped (CAPWAP, Cisco WLC)

        pos = start
        kind = _K_DONE
        et = 0

        # ---- link layer -------------------------------------------------------------
        if lt == 1:
            kind = _K_ETH
        elif lt == 101 or lt == 228 or lt == 229 or lt == 12 or lt == 14:
            kind = _K_IP
        elif lt == 113:  # Linux cooked v1: 16-byte header, protocol at 14
            if end - pos < 16:
                st = _MALFORMED
                wd = _W_TRUNC_LINK
            else:
                if _u16(data, pos + 4) == 6:
                    v_smac = _u64(data, pos + 6, 6)
                    mac_set = True
                et = _u16(data, pos + 14)
                pos += 16
                kind = _K_ETYPE
        elif lt == 276:  # Linux cooked v2: 20-byte header, protocol first
            if end - pos < 20:
                st = _MALFORMED
                wd = _W_TRUNC_LINK
            else:
                if _u8(data, pos + 11) == 6:
                    v_smac = _u64(data, pos + 12, 6)
                    mac_set = True
                et = _u16(data, pos)
                pos += 20
                kind = _K_ETYPE
        elif lt == 0 or lt == 108:  # BSD loopback: 4-byte address family
            if end - pos < 4:
                st = _MALFORMED
                wd = _W_TRUNC_LINK
            else:
                fam = _u32(data, pos)  # network order (LOOP, or NULL from a big-endian host)
                if lt == 0:
                    le = (
                        np.int64(_u8(data, pos))
                        | (np.int64(_u8(data, pos + 1)) << 8)
                        | (np.int64(_u8(data, pos + 2)) << 16)
                        | (np.int64(_u8(data, pos + 3)) << 24)
                    )
                    if le <= 0xFFFF:
                        fam = le
                pos += 4
                if fam == 2 or fam == 24 or fam == 28 or fam == 30:
                    kind = _K_IP
                else:
                    st = _NOT_IP
        elif lt == 9 or lt == 50:
            if end - pos >= 1 and (_u8(data, pos) == 0x0F or _u8(data, pos) == 0x8F):
                # Cisco HDLC framing seen under PPP_HDLC (address 0x0F/0x8F)
                if end - pos < 4:
                    st = _MALFORMED
                    wd = _W_TRUNC_LINK
                else:
                    et = _u16(data, pos + 2)
                    pos += 4
                    kind = _K_ETYPE
            else:
                kind = _K_PPP
        elif lt == 104:  # Cisco HDLC: address, control, ethertype
            if end - pos < 4:
                st = _MALFORMED
                wd = _W_TRUNC_LINK
            else:
                et = _u16(data, pos + 2)
                pos += 4
                kind = _K_ETYPE
        elif lt == 127:  # radiotap: version 0, pad, little-endian length
            if end - pos < 8 or _u8(data, pos) != 0:
                st = _MALFORMED
                wd = _W_TRUNC_LINK
            else:
                rlen = np.int64(_u8(data, pos + 2)) | (np.int64(_u8(data, pos + 3)) << 8)
                if rlen < 8 or rlen > end - pos:
                    st = _MALFORMED
                    wd = _W_TRUNC_LINK
                else:
                    pos += rlen
                    kind = _K_WIFI
        elif lt == 105:
            kind = _K_WIFI
        else:
            st = _UNKNOWN_LINK
            wd = _W_UNKNOWN_LINK

        # ---- encapsulations, IP, transport ------------------------------------------------
        while st == _OK and kind != _K_DONE:
            new_tun = 0
            if kind == _K_ETH:
                if end - pos < 14:
                    st = _MALFORMED
                    wd = _W_TRUNC_LINK if wd == 0 else wd
                    break
                if not mac_set:
                    v_dmac = _u64(data, pos, 6)
                    v_smac = _u64(data, pos + 6, 6)
                    mac_set = True
                et = _u16(data, pos + 12)
                pos += 14
                kind = _K_ETYPE
            elif kind == _K_ETYPE:
                if et == 0x0800 or et == 0x86DD:
                    kind = _K_IP
                elif et == 0x8100 or et == 0x88A8 or et == 0x9100:  # IEEE 802.1Q / 802.1ad
                    if end - pos < 4:
                        st = _MALFORMED
                        wd = _W_TRUNC_LINK if wd == 0 else wd
                        break
                    vid = _u16(data, pos) & 0xFFF
                    if v_vlan == 0:
                        v_vlan = vid
                    elif v_vlan2 == 0:
                        v_vlan2 = vid
                    et = _u16(data, pos + 2)
                    pos += 4
                elif et == 0x8847 or et == 0x8848:  # MPLS label stack, RFC 3032 section 2.1
                    bos = 0
                    while bos == 0:
                        if end - pos < 4:
                            break
                        if v_mpls == 0:
                            v_mpls = (_u32(data, pos) >> 12) + 1
                        bos = _u8(data, pos + 2) & 1
                        pos += 4
                    if bos == 0 or end - pos < 1:
                        st = _MALFORMED
                        wd = _W_TRUNC_LINK if wd == 0 else wd
                        break
                    nib = _u8(data, pos) >> 4
                    if nib == 4 or nib == 6:
                        kind = _K_IP
                    else:
                        st = _NOT_IP
                elif et == 0x8864:  # PPPoE session, RFC 2516 section 4
                    if end - pos < 8:
                        st = _MALFORMED
                        wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                        break
                    new_tun = _T_PPPOE
                    new_tid = _u16(data, pos + 2)
                    pp = _u16(data, pos + 6)
                    pos += 8
                    if pp == 0x0021 or pp == 0x0057:
                        kind = _K_IP
                    else:
                        st = _NOT_IP
                elif et == 0x0806:  # ARP, RFC 826
                    kind = _K_DONE
                    if end - pos < 8:
                        st = _MALFORMED
                        wd = _W_TRUNC_ARP if wd == 0 else wd
                        break
                    ptype = _u16(data, pos + 2)
                    hln = np.int64(_u8(data, pos + 4))
                    pln = np.int64(_u8(data, pos + 5))
                    if end - pos < 8 + 2 * hln + 2 * pln:
                        st = _MALFORMED
                        wd = _W_TRUNC_ARP if wd == 0 else wd
                        break
                    st = _ARP
                    if hln == 6:
                        v_smac = _u64(data, pos + 8, 6)
                        v_dmac = _u64(data, pos + 8 + 6 + pln, 6)
                    if ptype == 0x0800 and pln == 4:
                        v_shi = np.uint64(0)
                        v_dhi = np.uint64(0)
                        v_slo = _V4_MAPPED | _u64(data, pos + 8 + hln, 4)
                        v_dlo = _V4_MAPPED | _u64(data, pos + 8 + 2 * hln + pln, 4)
                    break
                elif et == 0x6558:  # transparent Ethernet bridging (GRE, Geneve)
                    kind = _K_ETH
                elif et == 0x8903:  # Cisco FabricPath: 2-byte FTAG/TTL, then the inner frame
                    if end - pos < 2:
                        st = _MALFORMED
                        wd = _W_TRUNC_LINK if wd == 0 else wd
                        break
                    pos += 2
                    kind = _K_ETH
                elif et <= 1500:  # 802.3 length: LLC/SNAP carries an ethertype
                    if (
                        end - pos >= 8
                        and _u8(data, pos) == 0xAA
                        and _u8(data, pos + 1) == 0xAA
                        and _u8(data, pos + 2) == 3
                    ):
                        et = _u16(data, pos + 6)
                        pos += 8
                    else:
                        st = _NOT_IP
                else:
                    st = _NOT_IP
            elif kind == _K_PPP:  # RFC 1661 section 2; RFC 1662 address/control
                if end - pos >= 2 and _u8(data, pos) == 0xFF and _u8(data, pos + 1) == 0x03:
                    pos += 2
                if end - pos < 1:
                    st = _MALFORMED
                    wd = _W_TRUNC_LINK if wd == 0 else wd
                    break
                if _u8(data, pos) & 1:
                    pp = np.int64(_u8(data, pos))
                    pos += 1
                else:
                    if end - pos < 2:
                        st = _MALFORMED
                        wd = _W_TRUNC_LINK if wd == 0 else wd
                        break
                    pp = _u16(data, pos)
                    pos += 2
                if pp == 0x0021 or pp == 0x0057:
                    kind = _K_IP
                elif pp == 0x0281 or pp == 0x0283:
                    et = 0x8847
                    kind = _K_ETYPE
                else:
                    st = _NOT_IP
            elif kind == _K_WIFI:  # IEEE 802.11-2020 section 9.2 / 9.3.2
                kind = _K_DONE
                if end - pos < 2:
                    st = _MALFORMED
                    wd = _W_TRUNC_LINK if wd == 0 else wd
                    break
                fc0 = np.int64(_u8(data, pos))
                fc1 = np.int64(_u8(data, pos + 1))
                if fc_swap and (fc0 & 3) != 0 and (fc1 & 3) == 0:
                    # Cisco controllers send the frame control field of CAPWAP-carried
                    # frames byte-swapped: the protocol version (bits 0-1 of the first
                    # byte) must be 0, and a data frame to/from an AP has ToDS or FromDS
                    # set, so a nonzero "version" with a zero one in the other byte means
                    # swapped.
                    fc0, fc1 = fc1, fc0
                ftype = (fc0 >> 2) & 3
                sub = fc0 >> 4
                if (fc0 & 3) != 0 or ftype != 2:
                    st = _NOT_IP
                    break
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
                    st = _MALFORMED
                    wd = _W_TRUNC_LINK if wd == 0 else wd
                    break
                if not mac_set:
                    a1 = _u64(data, pos + 4, 6)
                    a2 = _u64(data, pos + 10, 6)
                    a3 = _u64(data, pos + 16, 6)
                    v_dmac = a3 if tods else a1
                    if tods and fromds:
                        v_smac = _u64(data, pos + 24, 6)
                    elif fromds:
                        v_smac = a3
                    else:
                        v_smac = a2
                    mac_set = True
                if sub & 4:  # null data: no body
                    st = _NOT_IP
                elif fc1 & 0x40:  # protected frame
                    st = _NOT_IP
                    wd = _W_ENCRYPTED_WIFI if wd == 0 else wd
                else:
                    pos += hl
                    if (
                        end - pos >= 8
                        and _u8(data, pos) == 0xAA
                        and _u8(data, pos + 1) == 0xAA
                        and _u8(data, pos + 2) == 3
                    ):  # LLC/SNAP, IEEE 802.2 / RFC 1042
                        et = _u16(data, pos + 6)
                        pos += 8
                        kind = _K_ETYPE
                    else:
                        st = _NOT_IP
            elif kind == _K_IP:
                if end - pos < 1:
                    st = _MALFORMED
                    wd = _W_TRUNC_IP if wd == 0 else wd
                    break
                ver = _u8(data, pos) >> 4
                nh = 0
                l3 = pos
                if ver == 4:  # RFC 791 section 3.1
                    if end - pos < 20:
                        st = _MALFORMED
                        wd = _W_TRUNC_IP if wd == 0 else wd
                        break
                    ihl = np.int64(_u8(data, pos) & 0xF) * 4
                    if ihl < 20:
                        st = _MALFORMED
                        wd = _W_BAD_IHL if wd == 0 else wd
                        break
                    if end - pos < ihl:
                        st = _MALFORMED
                        wd = _W_TRUNC_IP if wd == 0 else wd
                        break
                    tot = _u16(data, pos + 2)
                    if tot < ihl:
                        st = _MALFORMED
                        wd = _W_IP_LEN_SMALL if wd == 0 else wd
                        break
                    v_ipver = 4
                    v_iplen = tot
                    v_ttl = _u8(data, pos + 8)
                    nh = np.int64(_u8(data, pos + 9))
                    v_shi = np.uint64(0)
                    v_dhi = np.uint64(0)
                    v_slo = _V4_MAPPED | _u64(data, pos + 12, 4)
                    v_dlo = _V4_MAPPED | _u64(data, pos + 16, 4)
                    v_l3 = l3
                    cut = l3 + tot > end
                    if l3 + tot < end:
                        end = l3 + tot
                    elif cut and wd == 0:
                        wd = _W_IP_LEN_EXCEEDS
                    fo = _u16(data, pos + 6)
                    pos += ihl
                    # A first fragment cut short by the snap length can never be
                    # reassembled: it is decoded (and counted) as a packet of its flow.
                    if (fo & 0x2000) or (fo & 0x1FFF):
                        v_fid = _u16(data, l3 + 4)
                        v_foff = (fo & 0x1FFF) * 8
                        v_fmore = 1 if (fo & 0x2000) else 0
                        if not (cut and v_foff == 0):
                            st = _FRAGMENT
                            v_proto = nh
                            break
                elif ver == 6:  # RFC 8200 section 3
                    if end - pos < 40:
                        st = _MALFORMED
                        wd = _W_TRUNC_IP if wd == 0 else wd
                        break
                    plen6 = _u16(data, pos + 4)
                    nh = np.int64(_u8(data, pos + 6))
                    v_ipver = 6
                    v_iplen = 40 + plen6
                    v_ttl = _u8(data, pos + 7)
                    v_shi = _u64(data, pos + 8, 8)
                    v_slo = _u64(data, pos + 16, 8)
                    v_dhi = _u64(data, pos + 24, 8)
                    v_dlo = _u64(data, pos + 32, 8)
                    v_l3 = l3
                    cut = l3 + 40 + plen6 > end
                    if l3 + 40 + plen6 < end:
                        end = l3 + 40 + plen6
                    elif cut and wd == 0:
                        wd = _W_IP_LEN_EXCEEDS
                    pos += 40
                    # extension headers, RFC 8200 section 4
                    bad = False
                    frag = False
                    while True:
                        if nh == 0 or nh == 43 or nh == 60 or nh == 135 or nh == 51:
                            if end - pos < 2:
                                bad = True
                                break
                            if nh == 51:  # AH, RFC 4302 section 2.2: 4-octet units minus 2
                                hl = (np.int64(_u8(data, pos + 1)) + 2) * 4
                            else:
                                hl = (np.int64(_u8(data, pos + 1)) + 1) * 8
                            if end - pos < hl:
                                bad = True
                                break
                            nh = np.int64(_u8(data, pos))
                            pos += hl
                        elif nh == 44:  # fragment header, RFC 8200 section 4.5
                            if end - pos < 8:
                                bad = True
                                break
                            fo = _u16(data, pos + 2)
                            nxt = np.int64(_u8(data, pos))
                            fid6 = _u32(data, pos + 4)
                            pos += 8
                            if (fo & 0xFFF8) or (fo & 1):
                                v_fid = fid6
                                v_foff = fo & 0xFFF8
                                v_fmore = fo & 1
                                if not (cut and v_foff == 0):
                                    frag = True
                                    nh = nxt
                                    break
                            nh = nxt  # atomic fragment: go on
                        else:
                            break
                    if bad:
                        st = _MALFORMED
                        wd = _W_BAD_IPV6_EXT if wd == 0 else wd
                        break
                    if frag:
                        st = _FRAGMENT
                        v_proto = nh
                        break
                else:
                    st = _MALFORMED
                    wd = _W_BAD_IP_VERSION if wd == 0 else wd
                    break

                # ---- transport / tunnels -------------------------------------------
                ip_end = v_l3 + v_iplen  # declared end of the IP datagram
                seg = end - pos
                kind = _K_DONE
                if nh == 4 or nh == 41:  # IP-in-IP (RFC 2003), 6in4 (RFC 4213), 4in6, 6in6
                    new_tun = _T_IPIP
                    new_tid = 0
                    kind = _K_IP
                elif nh == 47:  # GRE, RFC 2784 / RFC 2890; enhanced GRE RFC 2637 4.1
                    if seg < 4:
                        st = _MALFORMED
                        wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                        break
                    gf = _u16(data, pos)
                    gp = _u16(data, pos + 2)
                    gv = gf & 7
                    gkey = 0
                    hl = 4
                    if gv == 0:
                        if gf & 0xC000:
                            hl += 4
                        if gf & 0x2000:
                            if seg < hl + 4:
                                st = _MALFORMED
                                wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                                break
                            gkey = _u32(data, pos + hl)
                            hl += 4
                        if gf & 0x1000:
                            hl += 4
                        if gf & 0x4000:  # RFC 1701 source route entries
                            while True:
                                if seg < hl + 4:
                                    hl = seg + 1
                                    break
                                af = _u16(data, pos + hl)
                                slen = np.int64(_u8(data, pos + hl + 3))
                                hl += 4 + slen
                                if af == 0 and slen == 0:
                                    break
                    elif gv == 1:
                        hl = 8
                        if seg >= 8:
                            gkey = _u16(data, pos + 6)  # call id
                        if gf & 0x1000:
                            hl += 4
                        if gf & 0x0080:
                            hl += 4
                    else:
                        st = _NOT_IP
                        break
                    if seg < hl:
                        st = _MALFORMED
                        wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                        break
                    pos += hl
                    if gp == 0x88BE or gp == 0x22EB:  # ERSPAN
                        new_tun = _T_ERSPAN
                        new_tid = 0
                        eh = 0
                        if gp == 0x22EB:
                            eh = 12
                        elif gf & 0x1000:
                            eh = 8  # type II; type I (no sequence) has no header
                        if end - pos < eh:
                            st = _MALFORMED
                            wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                            break
                        if eh > 0:
                            new_tid = _u16(data, pos + 2) & 0x3FF
                        if eh == 12 and (_u8(data, pos + 11) & 1):  # platform specific subheader
                            eh = 20
                            if end - pos < eh:
                                st = _MALFORMED
                                wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                                break
                        pos += eh
                        kind = _K_ETH
                    else:
                        new_tun = _T_GRE
                        new_tid = gkey
                        if gp == 0x880B:
                            kind = _K_PPP
                        else:
                            et = gp
                            kind = _K_ETYPE
                else:
                    # final transport header (or UDP carrying a tunnel)
                    v_proto = nh
                    if nh == 6:  # TCP, RFC 9293 section 3.1
                        if seg < 20:
                            st = _MALFORMED
                            wd = _W_TRUNC_TCP if wd == 0 else wd
                            break
                        doff = np.int64(_u8(data, pos + 12) >> 4) * 4
                        v_sp = _u16(data, pos)
                        v_dp = _u16(data, pos + 2)
                        v_seq = _u32(data, pos + 4)
                        v_ack = _u32(data, pos + 8)
                        v_flags = _u8(data, pos + 13)
                        v_win = _u16(data, pos + 14)
                        if doff < 20 or pos + doff > ip_end:
                            st = _MALFORMED
                            wd = _W_BAD_TCP_HLEN if wd == 0 else wd
                            break
                        if doff > seg:
                            if wd == 0:
                                wd = _W_TRUNC_TCP
                            v_poff = end
                            v_plen = 0
                        else:
                            v_poff = pos + doff
                            v_plen = end - v_poff
                    elif nh == 17 or nh == 136:  # UDP RFC 768, UDP-Lite RFC 3828
                        if seg < 8:
                            st = _MALFORMED
                            wd = _W_TRUNC_UDP if wd == 0 else wd
                            break
                        usp = _u16(data, pos)
                        udp = _u16(data, pos + 2)
                        ulen = _u16(data, pos + 4)
                        # (a cut first fragment's UDP length covers the whole datagram)
                        if nh == 17 and (ulen < 8 or (pos + ulen > ip_end and v_fmore == 0)):
                            v_sp = usp
                            v_dp = udp
                            st = _MALFORMED
                            wd = _W_BAD_UDP_LEN if wd == 0 else wd
                            break
                        q = pos + 8
                        qend = end
                        if nh == 17 and pos + ulen < qend:
                            qend = pos + ulen
                        ql = qend - q
                        if udp == 4789 and ql >= 8 and (_u8(data, q) & 0x08):  # VXLAN RFC 7348 5
                            new_tun = _T_VXLAN
                            new_tid = _u32(data, q + 4) >> 8
                            pos = q + 8
                            end = qend
                            kind = _K_ETH
                        elif udp == 6081 and ql >= 8 and (_u8(data, q) >> 6) == 0:  # Geneve 8926
                            ghl = 8 + np.int64(_u8(data, q) & 0x3F) * 4
                            if ql < ghl:
                                st = _MALFORMED
                                wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                                break
                            new_tun = _T_GENEVE
                            new_tid = _u32(data, q + 4) >> 8
                            et = _u16(data, q + 2)
                            pos = q + ghl
                            end = qend
                            kind = _K_ETYPE
                        elif (
                            (udp == 2152 or usp == 2152)
                            and ql >= 8
                            and (_u8(data, q) >> 5) == 1
                            and (_u8(data, q) & 0x10)
                            and _u8(data, q + 1) == 0xFF
                        ):  # GTP-U G-PDU, 3GPP TS 29.281 section 5
                            ghl = 8
                            gok = True
                            if _u8(data, q) & 0x07:
                                ghl = 12
                                if ql < 12:
                                    gok = False
                                else:
                                    nxt = _u8(data, q + 11)
                                    while nxt != 0:
                                        if ql < ghl + 1:
                                            gok = False
                                            break
                                        elen = np.int64(_u8(data, q + ghl)) * 4
                                        if elen == 0 or ql < ghl + elen:
                                            gok = False
                                            break
                                        nxt = _u8(data, q + ghl + elen - 1)
                                        ghl += elen
                            if not gok:
                                st = _MALFORMED
                                wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                                break
                            if ql > ghl and (
                                (_u8(data, q + ghl) >> 4) == 4 or (_u8(data, q + ghl) >> 4) == 6
                            ):
                                new_tun = _T_GTPU
                                new_tid = _u32(data, q + 4)
                                pos = q + ghl
                                end = qend
                                kind = _K_IP
                        elif (udp == 5247 or usp == 5247) and ql >= 8 and _u8(data, q) == 0:
                            # CAPWAP data channel, RFC 5415 section 4.3: preamble (version 0,
                            # type 0 = clear CAPWAP header; type 1, DTLS, stays plain UDP),
                            # HLEN (5 bits, 4-byte words, covers the optional W/M fields),
                            # RID, WBID, then flags T F L W M K.
                            cw = _u16(data, q + 1)
                            chl = ((cw >> 11) & 0x1F) * 4
                            if chl < 8 or ql < chl:  # fixed part is 8 bytes
                                st = _MALFORMED
                                wd = _W_TRUNC_TUNNEL if wd == 0 else wd
                                break
                            new_tun = _T_CAPWAP
                            new_tid = 0  # no tunnel identifier (RID is a radio index)
                            pos = q + chl
                            end = qend
                            if _u8(data, q + 3) & 0x88:
                                # F: a fragment (section 3.4), K: data keep-alive (4.4.1)
                                st = _NOT_IP
                            elif (cw & 1) == 0:  # T clear: an IEEE 802.3 frame (4.4.2)
                                kind = _K_ETH
                            elif ((cw >> 1) & 0x1F) == 1:  # T set, WBID 1: 802.11 (RFC 5416)
                                fc_swap = True
                                kind = _K_WIFI
                            else:  # native frame of another wireless binding
                                st = _NOT_IP
                        elif udp == 3544 or usp == 3544:  # Teredo, RFC 4380 section 5.1.1
                            t = q
                            if qend - t >= 4 and _u8(data, t) == 0 and _u8(data, t + 1) == 1:
                                t += 4 + np.int64(_u8(data, t + 2)) + np.int64(_u8(data, t + 3)) + 9
                            if qend - t >= 8 and _u8(data, t) == 0 and _u8(data, t + 1) == 0:
                                t += 8
                            if (
                                qend - t >= 40
                                and (_u8(data, t) >> 4) == 6
                                and 40 + _u16(data, t + 4) <= qend - t
                            ):
                                new_tun = _T_TEREDO
                                new_tid = 0
                                pos = t
                                end = qend
                                kind = _K_IP
                        if kind == _K_DONE and st == _OK:
                            v_sp = usp
                            v_dp = udp
                            v_poff = q
                            v_plen = qend - q
                    elif nh == 1 or nh == 58:  # ICMP RFC 792 / ICMPv6 RFC 4443 section 2.1
                        if seg < 4:
                            st = _MALFORMED
                            wd = _W_TRUNC_ICMP if wd == 0 else wd
                            break
                        v_it = _u8(data, pos)
                        v_ic = _u8(data, pos + 1)
                        v_poff = pos + (min(8, seg))
                        v_plen = end - v_poff
                    elif nh == 132:  # SCTP common header, RFC 9260 section 3.1
                        if seg < 12:
                            st = _MALFORMED
                            wd = _W_TRUNC_SCTP if wd == 0 else wd
                            break
                        v_sp = _u16(data, pos)
                        v_dp = _u16(data, pos + 2)
                        v_poff = pos + 12
                        v_plen = end - v_poff
                    else:
                        v_poff = pos
                        v_plen = end - pos
            else:
                break

            if new_tun != 0:
                depth += 1
                if depth > max_depth:
                    st = _MALFORMED
                    wd = _W_TUNNEL_DEPTH if wd == 0 else wd
                    break
                if v_tun == 0:
                    v_tun = new_tun
                    v_tid = new_tid
                    v_osrc = v_slo
                    v_odst = v_dlo

        if st == _FRAGMENT:
            v_poff = pos
            v_plen = end - pos
        elif st != _OK:
            v_poff = start
            v_plen = 0
        v_plen = max(v_plen, 0)

        status[ui] = st
        weird[ui] = wd
        ip_ver[ui] = v_ipver
        src_hi[ui] = v_shi
        src_lo[ui] = v_slo
        dst_hi[ui] = v_dhi
        dst_lo[ui] = v_dlo
        sport[ui] = v_sp
        dport[ui] = v_dp
        proto[ui] = v_proto
        tcp_flags[ui] = v_flags
        tcp_seq[ui] = v_seq
        tcp_ack[ui] = v_ack
        tcp_win[ui] = v_win
        icmp_type[ui] = v_it
        icmp_code[ui] = v_ic
        ttl[ui] = v_ttl
        ip_len[ui] = v_iplen
        l3_off[ui] = v_l3
        payload_off[ui] = v_poff
        payload_len[ui] = v_plen
        vlan[ui] = v_vlan
        vlan_inner[ui] = v_vlan2
        mpls_label[ui] = v_mpls
        tunnel[ui] = v_tun
        tunnel_id[ui] = v_tid
        outer_src_lo[ui] = v_osrc
        outer_dst_lo[ui] = v_odst
        src_mac[ui] = v_smac
        dst_mac[ui] = v_dmac
        frag_id[ui] = v_fid
        frag_off[ui] = v_foff
        frag_more[ui] = v_fmore
        st_counts[st] += 1
        tun_counts[v_tun] += 1
        if wd < N_WEIRD_SLOTS:
            weird_counts[wd] += 1
