"""The L2..L4 decoding kernel: one numba loop over a whole batch, no Python object per packet.

Every read is checked against the end of the record (``end``), itself clipped to the IP total
length of the innermost IP header once one is seen (so Ethernet padding never counts). The
per-row state machine walks ``kind`` values (:mod:`._kcommon`):

* ``K_ETH``   an Ethernet II / 802.3 header at ``pos``
* ``K_ETYPE`` a payload whose type is the ethertype ``et`` (VLAN, MPLS, PPPoE, ARP, IP, ...)
* ``K_PPP``   a PPP protocol field (RFC 1661 section 2, optional address/control FF 03)
* ``K_IP``    an IP header (version from the first nibble)
* ``K_WIFI``  an IEEE 802.11 frame (link type 105/127, or carried by CAPWAP)

Each step consumes at least one byte or enters a tunnel (bounded by ``max_depth``), so a row
costs O(caplen). The steps are ``inline="always"`` helpers, by responsibility: link layers and
802.11 in :mod:`._klink`, IP and transport in :mod:`._kip`, tunnels in :mod:`._ktunnel`; they
compile into this one loop. A helper that ends the row returns a status other than ``OK``; one
that enters a tunnel returns it as ``new_tun``, recorded here (outermost tunnel, depth bound).
See :mod:`wirelens.decode.decoder` for the public wrapper.

The loop is a :func:`~wirelens.core.jit.hot_kernel` (no reference-counting runtime): it only
indexes the arrays it is given, and with NRT every inlined helper taking ``data`` cost an
incref/decref pair (measured +7% ns/packet on quarter.pcap before the switch). The helpers'
edits reach numba's cache through :mod:`wirelens.core.jit` (a cache folder per digest of all
kernel sources).
"""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import hot_kernel
from wirelens.decode._kcommon import (
    FRAGMENT,
    K_DONE,
    K_ETH,
    K_ETYPE,
    K_IP,
    K_PPP,
    K_WIFI,
    MALFORMED,
    OK,
    T_IPIP,
    W_BAD_IP_VERSION,
    W_TUNNEL_DEPTH,
    u8,
)
from wirelens.decode._kip import icmp, ip_header, sctp, tcp, udp
from wirelens.decode._klink import ethernet, ethertype, link_header, ppp, wifi
from wirelens.decode._ktunnel import gre

N_WEIRD_SLOTS = 256
N_LINKTYPES = 65536


@hot_kernel
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
    outer_src_hi,
    outer_src_lo,
    outer_dst_hi,
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
        v_oshi = np.uint64(0)
        v_osrc = np.uint64(0)
        v_odhi = np.uint64(0)
        v_odst = np.uint64(0)
        v_dmac = np.uint64(0)
        v_fid = 0
        v_foff = 0
        v_fmore = 0
        depth = 0
        new_tun = 0  # tunnel being entered at this step (0 none)
        new_tid = 0
        want_ver = 0  # the IP version an IP-in-IP header announced for the next one
        fc_swap = False  # 802.11 frame control may be byte-swapped (CAPWAP, Cisco WLC)

        # ---- link layer -------------------------------------------------------------
        kind, pos, end, et, st, wd, v_smac, v_dmac, mac_set = link_header(data, start, end, lt)

        # ---- encapsulations, IP, transport ------------------------------------------------
        while st == OK and kind != K_DONE:
            new_tun = 0
            if kind == K_ETH:
                kind, pos, et, st, wd, mac_set, v_smac, v_dmac = ethernet(
                    data, pos, end, wd, mac_set, v_smac, v_dmac
                )
            elif kind == K_ETYPE:
                (
                    kind, pos, et, st, wd, v_vlan, v_vlan2, v_mpls, new_tun, new_tid,
                    v_smac, v_dmac, v_shi, v_slo, v_dhi, v_dlo,
                ) = ethertype(
                    data, pos, end, et, wd, v_vlan, v_vlan2, v_mpls,
                    v_smac, v_dmac, v_shi, v_slo, v_dhi, v_dlo,
                )  # fmt: skip
            elif kind == K_PPP:
                kind, pos, et, st, wd = ppp(data, pos, end, et, wd)
            elif kind == K_WIFI:
                kind, pos, et, st, wd, mac_set, v_smac, v_dmac = wifi(
                    data, pos, end, et, wd, fc_swap, mac_set, v_smac, v_dmac
                )
            elif kind == K_IP:
                if want_ver != 0 and end > pos and (u8(data, pos) >> 4) != want_ver:
                    st = MALFORMED
                    wd = W_BAD_IP_VERSION if wd == 0 else wd
                    break
                want_ver = 0
                (
                    st, wd, pos, end, nh, v_ipver, v_iplen, v_ttl,
                    v_shi, v_slo, v_dhi, v_dlo, v_l3, v_fid, v_foff, v_fmore,
                ) = ip_header(
                    data, pos, end, wd, v_ipver, v_iplen, v_ttl,
                    v_shi, v_slo, v_dhi, v_dlo, v_l3, v_fid, v_foff, v_fmore,
                )  # fmt: skip
                if st == FRAGMENT:
                    v_proto = nh
                if st != OK:
                    break

                # ---- transport / tunnels -------------------------------------------
                ip_end = v_l3 + v_iplen  # declared end of the IP datagram
                kind = K_DONE
                if nh == 4 or nh == 41:  # IP-in-IP (RFC 2003), 6in4 (RFC 4213), 4in6, 6in6
                    new_tun = T_IPIP
                    new_tid = 0
                    kind = K_IP
                    want_ver = 4 if nh == 4 else 6  # (the protocol number names it)
                elif nh == 47:  # GRE
                    st, wd, pos, kind, et, new_tun, new_tid = gre(data, pos, end, end - pos, et, wd)
                else:
                    # final transport header (or UDP carrying a tunnel)
                    v_proto = nh
                    if nh == 6:
                        st, wd, v_sp, v_dp, v_seq, v_ack, v_flags, v_win, v_poff, v_plen = tcp(
                            data, pos, end, ip_end, wd,
                            v_sp, v_dp, v_seq, v_ack, v_flags, v_win, v_poff, v_plen,
                        )  # fmt: skip
                    elif nh == 17 or nh == 136:
                        (
                            st, wd, kind, pos, end, et, new_tun, new_tid, fc_swap,
                            v_sp, v_dp, v_poff, v_plen,
                        ) = udp(
                            data, pos, end, nh, ip_end, v_fmore, et, wd, fc_swap,
                            v_sp, v_dp, v_poff, v_plen,
                        )  # fmt: skip
                    elif nh == 1 or nh == 58:
                        st, wd, v_it, v_ic, v_poff, v_plen = icmp(
                            data, pos, end, wd, v_it, v_ic, v_poff, v_plen
                        )
                    elif nh == 132:
                        st, wd, v_sp, v_dp, v_poff, v_plen = sctp(
                            data, pos, end, wd, v_sp, v_dp, v_poff, v_plen
                        )
                    else:
                        v_poff = pos
                        v_plen = end - pos
            else:
                break

            # A step that ended the row after entering a tunnel still records it (e.g. PPPoE
            # or CAPWAP carrying no IP); helpers return new_tun 0 where it must not count.
            if new_tun != 0:
                depth += 1
                if depth > max_depth:
                    st = MALFORMED
                    wd = W_TUNNEL_DEPTH if wd == 0 else wd
                    break
                if v_tun == 0:
                    v_tun = new_tun
                    v_tid = new_tid
                    v_oshi = v_shi
                    v_osrc = v_slo
                    v_odhi = v_dhi
                    v_odst = v_dlo

        if st == FRAGMENT:
            v_poff = pos
            v_plen = end - pos
        elif st != OK:
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
        outer_src_hi[ui] = v_oshi
        outer_src_lo[ui] = v_osrc
        outer_dst_hi[ui] = v_odhi
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
