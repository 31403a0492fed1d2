"""IP and transport headers of the decoding loop: IPv4 / IPv6 (with extension headers and
fragments), TCP, UDP (and the tunnels it may carry), ICMP / ICMPv6, SCTP.

Each function is an ``inline="always"`` piece of :func:`wirelens.decode._kernel._decode_rows`
that takes the row fields it may set and returns them (unchanged where it sets nothing), so the
loop's columns are written exactly as by one monolithic loop.
"""

from __future__ import annotations

import numpy as np

from wirelens.decode._kcommon import (
    FRAGMENT,
    K_DONE,
    MALFORMED,
    OK,
    V4_MAPPED,
    W_BAD_IHL,
    W_BAD_IP_VERSION,
    W_BAD_IPV6_EXT,
    W_BAD_TCP_HLEN,
    W_BAD_UDP_LEN,
    W_IP_LEN_EXCEEDS,
    W_IP_LEN_SMALL,
    W_TRUNC_ICMP,
    W_TRUNC_IP,
    W_TRUNC_SCTP,
    W_TRUNC_TCP,
    W_TRUNC_UDP,
    inl,
    u8,
    u16,
    u32,
    u64,
)
from wirelens.decode._ktunnel import udp_tunnel


@inl
def ip_header(data, pos, end, wd, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore):  # type: ignore[no-untyped-def]
    """The IP header at ``pos`` (RFC 791 section 3.1 / RFC 8200 sections 3-4).

    ``end`` is clipped to the datagram's total length. Returns ``(st, wd, pos, end, nh, ipver,
    iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore)``: ``st`` is ``FRAGMENT`` for a
    non-first fragment (or a first one that is not cut by the snap length), ``MALFORMED`` for a
    bad header (the fields then are those given, except a bad IPv6 extension chain, which keeps
    the fixed header's), and ``nh`` the upper-layer protocol at the new ``pos``.
    """
    if end - pos < 1:
        st = MALFORMED
        wd = W_TRUNC_IP if wd == 0 else wd
        return st, wd, pos, end, 0, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore
    ver = u8(data, pos) >> 4
    nh = 0
    st = OK
    if ver == 4:  # RFC 791 section 3.1
        if end - pos < 20:
            st = MALFORMED
            wd = W_TRUNC_IP if wd == 0 else wd
            return st, wd, pos, end, nh, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore
        ihl = np.int64(u8(data, pos) & 0xF) * 4
        if ihl < 20:
            st = MALFORMED
            wd = W_BAD_IHL if wd == 0 else wd
            return st, wd, pos, end, nh, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore
        if end - pos < ihl:
            st = MALFORMED
            wd = W_TRUNC_IP if wd == 0 else wd
            return st, wd, pos, end, nh, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore
        tot = u16(data, pos + 2)
        if tot == 0:  # TCP segmentation offload, captured on the sender: the length is the
            tot = end - pos  # captured one (as Wireshark and Zeek read it)
        if tot < ihl:
            st = MALFORMED
            wd = W_IP_LEN_SMALL if wd == 0 else wd
            return st, wd, pos, end, nh, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore
        l3 = pos
        ipver = 4
        iplen = tot
        ttl = u8(data, pos + 8)
        nh = np.int64(u8(data, pos + 9))
        shi = np.uint64(0)
        dhi = np.uint64(0)
        slo = V4_MAPPED | u64(data, pos + 12, 4)
        dlo = V4_MAPPED | u64(data, pos + 16, 4)
        cut = l3 + tot > end
        if l3 + tot < end:
            end = l3 + tot
        elif cut and wd == 0:
            wd = W_IP_LEN_EXCEEDS
        fo = u16(data, pos + 6)
        pos += ihl
        # A first fragment cut short by the snap length can never be reassembled: it is
        # decoded (and counted) as a packet of its flow.
        if (fo & 0x2000) or (fo & 0x1FFF):
            fid = u16(data, l3 + 4)
            foff = (fo & 0x1FFF) * 8
            fmore = 1 if (fo & 0x2000) else 0
            if not (cut and foff == 0):
                st = FRAGMENT
    elif ver == 6:  # RFC 8200 section 3
        if end - pos < 40:
            st = MALFORMED
            wd = W_TRUNC_IP if wd == 0 else wd
            return st, wd, pos, end, nh, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore
        l3 = pos
        plen6 = u16(data, pos + 4)
        nh = np.int64(u8(data, pos + 6))
        if plen6 == 0 and (nh == 0 or nh == 6 or nh == 17) and end - pos >= 48:
            # a jumbogram (RFC 2675: its length in a Hop-by-Hop option) or a segmentation
            # offload / BIG TCP packet captured on its sender (TCP, UDP): the length is the
            # captured one (as for IPv4's zero total length). Not for other next headers, nor
            # for fewer bytes than their headers take: an empty packet's Ethernet padding
            plen6 = end - pos - 40
        ipver = 6
        iplen = 40 + plen6
        ttl = u8(data, pos + 7)
        shi = u64(data, pos + 8, 8)
        slo = u64(data, pos + 16, 8)
        dhi = u64(data, pos + 24, 8)
        dlo = u64(data, pos + 32, 8)
        cut = l3 + 40 + plen6 > end
        if l3 + 40 + plen6 < end:
            end = l3 + 40 + plen6
        elif cut and wd == 0:
            wd = W_IP_LEN_EXCEEDS
        pos += 40
        # extension headers, RFC 8200 section 4
        while True:
            if nh == 0 or nh == 43 or nh == 60 or nh == 135 or nh == 51:
                if end - pos < 2:
                    st = MALFORMED
                    break
                if nh == 51:  # AH, RFC 4302 section 2.2: 4-octet units minus 2
                    hl = (np.int64(u8(data, pos + 1)) + 2) * 4
                else:
                    hl = (np.int64(u8(data, pos + 1)) + 1) * 8
                if end - pos < hl:
                    st = MALFORMED
                    break
                nh = np.int64(u8(data, pos))
                pos += hl
            elif nh == 44:  # fragment header, RFC 8200 section 4.5
                if end - pos < 8:
                    st = MALFORMED
                    break
                fo = u16(data, pos + 2)
                nxt = np.int64(u8(data, pos))
                fid6 = u32(data, pos + 4)
                pos += 8
                if (fo & 0xFFF8) or (fo & 1):
                    fid = fid6
                    foff = fo & 0xFFF8
                    fmore = fo & 1
                    if not (cut and foff == 0):
                        st = FRAGMENT
                        nh = nxt
                        break
                nh = nxt  # atomic fragment: go on
            else:
                break
        if st == MALFORMED:
            wd = W_BAD_IPV6_EXT if wd == 0 else wd
    else:
        st = MALFORMED
        wd = W_BAD_IP_VERSION if wd == 0 else wd
    return st, wd, pos, end, nh, ipver, iplen, ttl, shi, slo, dhi, dlo, l3, fid, foff, fmore


@inl
def tcp(data, pos, end, ip_end, wd, sp, dp, seq, ack, flags, win, poff, plen):  # type: ignore[no-untyped-def]
    """A TCP header at ``pos`` (RFC 9293 section 3.1); the datagram ends at ``ip_end``, the
    captured bytes at ``end``.

    Returns ``(st, wd, sp, dp, seq, ack, flags, win, poff, plen)``.
    """
    seg = end - pos
    if seg < 20:
        return MALFORMED, W_TRUNC_TCP if wd == 0 else wd, sp, dp, seq, ack, flags, win, poff, plen
    doff = np.int64(u8(data, pos + 12) >> 4) * 4
    sp = u16(data, pos)
    dp = u16(data, pos + 2)
    seq = u32(data, pos + 4)
    ack = u32(data, pos + 8)
    flags = u8(data, pos + 13)
    win = u16(data, pos + 14)
    if doff < 20 or pos + doff > ip_end:
        return (
            MALFORMED,
            W_BAD_TCP_HLEN if wd == 0 else wd,
            sp,
            dp,
            seq,
            ack,
            flags,
            win,
            poff,
            plen,
        )
    if doff > seg:
        if wd == 0:
            wd = W_TRUNC_TCP
        poff = end
        plen = 0
    else:
        poff = pos + doff
        plen = end - poff
    return OK, wd, sp, dp, seq, ack, flags, win, poff, plen


@inl
def udp(data, pos, end, nh, ip_end, fmore, et, wd, fc_swap, sp, dp, poff, plen):  # type: ignore[no-untyped-def]
    """A UDP (RFC 768) or UDP-Lite (RFC 3828, ``nh`` 136) header at ``pos``, and the tunnel its
    payload may carry (:func:`._ktunnel.udp_tunnel`).

    Returns ``(st, wd, kind, pos, end, et, new_tun, new_tid, fc_swap, sp, dp, poff, plen)``; the
    ports and payload are set only when the row ends here (no tunnel, status OK).
    """
    if end - pos < 8:
        st = MALFORMED
        wd = W_TRUNC_UDP if wd == 0 else wd
        return st, wd, K_DONE, pos, end, et, 0, 0, fc_swap, sp, dp, poff, plen
    usp = u16(data, pos)
    udport = u16(data, pos + 2)
    ulen = u16(data, pos + 4)
    # a length field the datagram contradicts (damaged, forged) is a weird and the IP
    # datagram bounds the payload, as Zeek reads it (UDP_datagram_length_mismatch); the
    # packet stays in its flow (a cut first fragment's UDP length covers the whole datagram)
    bad = nh == 17 and (ulen < 8 or (pos + ulen > ip_end and fmore == 0))
    if bad and not (ulen == 0 and ip_end - pos > 65535):  # (0: a jumbogram's, RFC 2675 s4)
        wd = W_BAD_UDP_LEN if wd == 0 else wd
    q = pos + 8
    qend = end
    if nh == 17 and not bad and pos + ulen < qend:
        qend = pos + ulen
    st, wd, kind, pos, end, et, new_tun, new_tid, fc_swap = udp_tunnel(
        data, q, qend, usp, udport, pos, end, et, wd, fc_swap
    )
    if kind == K_DONE and st == OK:
        sp = usp
        dp = udport
        poff = q
        plen = qend - q
    return st, wd, kind, pos, end, et, new_tun, new_tid, fc_swap, sp, dp, poff, plen


@inl
def icmp(data, pos, end, wd, itype, icode, poff, plen):  # type: ignore[no-untyped-def]
    """An ICMP (RFC 792) or ICMPv6 (RFC 4443 section 2.1) header at ``pos``.

    Returns ``(st, wd, itype, icode, poff, plen)``; the payload starts after the 8-byte header.
    """
    seg = end - pos
    if seg < 4:
        return MALFORMED, W_TRUNC_ICMP if wd == 0 else wd, itype, icode, poff, plen
    itype = u8(data, pos)
    icode = u8(data, pos + 1)
    poff = pos + (min(8, seg))
    return OK, wd, itype, icode, poff, end - poff


@inl
def sctp(data, pos, end, wd, sp, dp, poff, plen):  # type: ignore[no-untyped-def]
    """An SCTP common header at ``pos`` (RFC 9260 section 3.1).

    Returns ``(st, wd, sp, dp, poff, plen)``.
    """
    if end - pos < 12:
        return MALFORMED, W_TRUNC_SCTP if wd == 0 else wd, sp, dp, poff, plen
    return OK, wd, u16(data, pos), u16(data, pos + 2), pos + 12, end - (pos + 12)
