"""Tunnels of the decoding loop: GRE / ERSPAN over IP, and the UDP-carried ones (VXLAN, Geneve,
GTP-U, CAPWAP data, Teredo, AYIYA).

Each function is an ``inline="always"`` piece of :func:`wirelens.decode._kernel._decode_rows`.
It returns the tunnel entered (``new_tun``, 0 for none), its identifier, and where and what the
inner packet is (``pos``, ``end``, ``kind``, ``et``); the loop records the outermost tunnel and
bounds the nesting depth. PPPoE (an ethertype) lives in :mod:`._klink`, IP-in-IP in the loop.
"""

from __future__ import annotations

import numpy as np

from wirelens.decode._kcommon import (
    K_DONE,
    K_ETH,
    K_ETYPE,
    K_IP,
    K_PPP,
    K_WIFI,
    MALFORMED,
    NOT_IP,
    OK,
    T_AYIYA,
    T_CAPWAP,
    T_ERSPAN,
    T_GENEVE,
    T_GRE,
    T_GTPU,
    T_L2TP,
    T_MPLS_UDP,
    T_TEREDO,
    T_VXLAN,
    W_TRUNC_TUNNEL,
    inl,
    known_frame,
    u8,
    u16,
    u32,
)


@inl
def gre(data, pos, end, seg, et, wd):  # type: ignore[no-untyped-def]
    """A GRE header at ``pos`` with ``seg`` bytes left (RFC 2784 / RFC 2890; RFC 1701 routing;
    enhanced GRE of RFC 2637 section 4.1), and the ERSPAN header it may carry.

    Returns ``(st, wd, pos, kind, et, new_tun, new_tid)``.
    """
    if seg < 4:
        return MALFORMED, W_TRUNC_TUNNEL if wd == 0 else wd, pos, K_DONE, et, 0, 0
    gf = u16(data, pos)
    gp = u16(data, pos + 2)
    gv = gf & 7
    gkey = 0
    hl = 4
    if gv == 0:
        if gf & 0xC000:
            hl += 4
        if gf & 0x2000:
            if seg < hl + 4:
                return MALFORMED, W_TRUNC_TUNNEL if wd == 0 else wd, pos, K_DONE, et, 0, 0
            gkey = u32(data, pos + hl)
            hl += 4
        if gf & 0x1000:
            hl += 4
        if gf & 0x4000:  # RFC 1701 source route entries
            while True:
                if seg < hl + 4:
                    hl = seg + 1
                    break
                af = u16(data, pos + hl)
                slen = np.int64(u8(data, pos + hl + 3))
                hl += 4 + slen
                if af == 0 and slen == 0:
                    break
    elif gv == 1:
        hl = 8
        if seg >= 8:
            gkey = u16(data, pos + 6)  # call id
        if gf & 0x1000:
            hl += 4
        if gf & 0x0080:
            hl += 4
    else:
        return NOT_IP, wd, pos, K_DONE, et, 0, 0
    if seg < hl:
        return MALFORMED, W_TRUNC_TUNNEL if wd == 0 else wd, pos, K_DONE, et, 0, 0
    pos += hl
    if gp == 0x88BE or gp == 0x22EB:  # ERSPAN
        eh = 0
        if gp == 0x22EB:
            eh = 12
        elif gf & 0x1000:
            eh = 8  # type II; type I (no sequence) has no header
        if end - pos < eh:  # (a truncated ERSPAN header is no tunnel entered)
            return MALFORMED, W_TRUNC_TUNNEL if wd == 0 else wd, pos, K_DONE, et, 0, 0
        tid = 0
        if eh > 0:
            tid = u16(data, pos + 2) & 0x3FF
        if eh == 12 and (u8(data, pos + 11) & 1):  # platform specific subheader
            eh = 20
            if end - pos < eh:
                return MALFORMED, W_TRUNC_TUNNEL if wd == 0 else wd, pos, K_DONE, et, 0, 0
        return OK, wd, pos + eh, K_ETH, et, T_ERSPAN, tid
    if gp == 0x880B:
        return OK, wd, pos, K_PPP, et, T_GRE, gkey
    if gp >> 8 == 0x82:  # Aruba's access points to their controller: an 802.11 frame
        return OK, wd, pos, K_WIFI, et, T_GRE, gkey
    if gp == 0x883E:  # WCCP redirection: version 2 puts a 4-byte redirect header before the
        # IP packet (told apart by the first nibble, as Wireshark does), version 1 none
        if end - pos >= 1 and u8(data, pos) >> 4 != 4:
            pos += 4
        return OK, wd, pos, K_IP, et, T_GRE, gkey
    if gp == 0x8909:  # Cisco MetaData in GRE: the ethertype first, then version, length,
        # option and the security group tag
        if end - pos < 8:
            return MALFORMED, W_TRUNC_TUNNEL if wd == 0 else wd, pos, K_DONE, et, 0, 0
        return OK, wd, pos + 8, K_ETYPE, u16(data, pos), T_GRE, gkey
    return OK, wd, pos, K_ETYPE, gp, T_GRE, gkey


@inl
def ayiya(data, q, qend):  # type: ignore[no-untyped-def]
    """Where the inner IP packet of an AYIYA forward message starting at ``q`` begins, or -1.

    AYIYA (Anything In Anything, SixXS; no RFC), UDP port 5072. An 8-byte header: identity
    length exponent (high nibble: 2**n bytes) | identity type; signature length in 4-byte
    words (high nibble) | hash method; authentication method | opcode (low nibble, 1 =
    forward); next header (IP protocol number); then a 4-byte epoch time, the identity, the
    signature, and the payload. Only a forward message whose next header is IPv4 (4) or IPv6
    (41) and whose payload starts with a valid IP header of that version counts (the caller
    leaves anything else as plain UDP). The caller checked 8 bytes are there.
    """
    if (u8(data, q + 2) & 0x0F) != 1:
        return -1
    nh = u8(data, q + 3)
    hl = 8 + (np.int64(1) << (u8(data, q) >> 4)) + (u8(data, q + 1) >> 4) * 4
    p = q + hl
    left = qend - p
    if nh == 4:  # IPv4, RFC 791 section 3.1: version 4, IHL >= 5, total length >= IHL
        if left < 20 or (u8(data, p) >> 4) != 4:
            return -1
        ihl = (u8(data, p) & 0x0F) * 4
        if ihl < 20 or ihl > left or u16(data, p + 2) < ihl:
            return -1
        return p
    if nh == 41:  # IPv6, RFC 8200 section 3: version 6, 40-byte fixed header
        if left < 40 or (u8(data, p) >> 4) != 6:
            return -1
        return p
    return -1


@inl
def udp_tunnel(data, q, qend, usp, udp, pos, end, et, wd, fc_swap):  # type: ignore[no-untyped-def]
    """A tunnel header at the start ``q`` of a UDP payload ending at ``qend``, recognised from
    the ports ``usp`` / ``udp`` and its first bytes; anything else stays plain UDP.

    Returns ``(st, wd, kind, pos, end, et, new_tun, new_tid, fc_swap)``: ``kind`` is
    ``K_DONE`` (and ``pos``, ``end``, ``et`` unchanged) when no tunnel was entered.
    """
    ql = qend - q
    st = OK
    kind = K_DONE
    new_tun = 0
    new_tid = 0
    if (udp == 4789 and ql >= 8 and (u8(data, q) & 0x08)) or (
        udp == 8472 and ql >= 8 and u32(data, q) == 0x08000000 and u8(data, q + 7) == 0
        and known_frame(data, q + 8, qend)
    ):
        # VXLAN, RFC 7348 section 5; on 8472, Linux's own default port (flannel, OTV),
        # only with the flags and reserved fields as the RFC sets them and a frame inside
        new_tun = T_VXLAN
        new_tid = u32(data, q + 4) >> 8
        pos = q + 8
        end = qend
        kind = K_ETH
    elif udp == 6081 and ql >= 8 and (u8(data, q) >> 6) == 0:  # Geneve, RFC 8926 section 3
        ghl = 8 + np.int64(u8(data, q) & 0x3F) * 4
        if ql < ghl:
            st = MALFORMED
            wd = W_TRUNC_TUNNEL if wd == 0 else wd
        else:
            new_tun = T_GENEVE
            new_tid = u32(data, q + 4) >> 8
            et = u16(data, q + 2)
            pos = q + ghl
            end = qend
            kind = K_ETYPE
    elif (
        (udp == 2152 or usp == 2152)
        and ql >= 8
        and (u8(data, q) >> 5) == 1
        and (u8(data, q) & 0x10)
        and u8(data, q + 1) == 0xFF
    ):  # GTP-U G-PDU, 3GPP TS 29.281 section 5
        ghl = 8
        gok = True
        if u8(data, q) & 0x07:
            ghl = 12
            if ql < 12:
                gok = False
            else:
                nxt = u8(data, q + 11)
                while nxt != 0:
                    if ql < ghl + 1:
                        gok = False
                        break
                    elen = np.int64(u8(data, q + ghl)) * 4
                    if elen == 0 or ql < ghl + elen:
                        gok = False
                        break
                    nxt = u8(data, q + ghl + elen - 1)
                    ghl += elen
        if not gok:
            st = MALFORMED
            wd = W_TRUNC_TUNNEL if wd == 0 else wd
        elif ql > ghl and ((u8(data, q + ghl) >> 4) == 4 or (u8(data, q + ghl) >> 4) == 6):
            new_tun = T_GTPU
            new_tid = u32(data, q + 4)
            pos = q + ghl
            end = qend
            kind = K_IP
    elif (udp == 5247 or usp == 5247) and ql >= 8 and u8(data, q) == 0:
        # CAPWAP data channel, RFC 5415 section 4.3: preamble (version 0, type 0 = clear
        # CAPWAP header; type 1, DTLS, stays plain UDP), HLEN (5 bits, 4-byte words, covers
        # the optional W/M fields), RID, WBID, then flags T F L W M K.
        cw = u16(data, q + 1)
        chl = ((cw >> 11) & 0x1F) * 4
        if chl < 8 or ql < chl:  # fixed part is 8 bytes
            st = MALFORMED
            wd = W_TRUNC_TUNNEL if wd == 0 else wd
        else:
            new_tun = T_CAPWAP
            new_tid = 0  # no tunnel identifier (RID is a radio index)
            pos = q + chl
            end = qend
            if u8(data, q + 3) & 0x88:
                # F: a fragment (section 3.4), K: data keep-alive (4.4.1)
                st = NOT_IP
            elif (cw & 1) == 0:  # T clear: an IEEE 802.3 frame (4.4.2)
                kind = K_ETH
            elif ((cw >> 1) & 0x1F) == 1:  # T set, WBID 1: IEEE 802.11 (RFC 5416)
                fc_swap = True
                kind = K_WIFI
            else:  # native frame of another wireless binding
                st = NOT_IP
    elif udp == 3544 or usp == 3544:  # Teredo, RFC 4380 section 5.1.1
        t = q
        if qend - t >= 4 and u8(data, t) == 0 and u8(data, t + 1) == 1:
            t += 4 + np.int64(u8(data, t + 2)) + np.int64(u8(data, t + 3)) + 9
        if qend - t >= 8 and u8(data, t) == 0 and u8(data, t + 1) == 0:
            t += 8
        if qend - t >= 40 and (u8(data, t) >> 4) == 6 and 40 + u16(data, t + 4) <= qend - t:
            new_tun = T_TEREDO
            new_tid = 0
            pos = t
            end = qend
            kind = K_IP
    elif (udp == 1701 or usp == 1701) and ql >= 6 and (u16(data, q) & 0x800F) == 2:
        # L2TPv2 data message, RFC 2661 section 3.1 (T bit 0, version 2; control messages
        # stay plain UDP): optional length, tunnel and session ids, optional Ns/Nr, optional
        # offset, then a PPP frame. No tunnel id: both ids are the receiver's, so the two
        # directions' differ
        lf = u16(data, q)
        h = 6 + (2 if lf & 0x4000 else 0) + (4 if lf & 0x0800 else 0)
        if lf & 0x0200:  # offset size, then that many bytes of padding
            h = h + 2 + u16(data, q + h) if ql >= h + 2 else ql + 1
        if ql <= h:
            st = MALFORMED
            wd = W_TRUNC_TUNNEL if wd == 0 else wd
        else:
            new_tun = T_L2TP
            new_tid = 0
            pos = q + h
            end = qend
            kind = K_PPP
    elif udp == 6635 and ql >= 4:
        # MPLS in UDP, RFC 7510 section 3: a label stack, then what it carries (read as
        # after an MPLS ethertype). No tunnel id: the labels of the two directions differ
        # (the row's ``mpls_label`` keeps the top one)
        new_tun = T_MPLS_UDP
        new_tid = 0
        pos = q
        end = qend
        et = 0x8847
        kind = K_ETYPE
    elif (udp == 5072 or usp == 5072) and ql >= 8:
        a = ayiya(data, q, qend)
        if a > 0:
            new_tun = T_AYIYA
            new_tid = 0  # (the identity is up to 2**15 bytes: not kept)
            pos = a
            end = qend
            kind = K_IP
    return st, wd, kind, pos, end, et, new_tun, new_tid, fc_swap
