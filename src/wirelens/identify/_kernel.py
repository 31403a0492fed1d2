"""The one classification kernel: every DPI-marked packet of a batch in one call."""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel
from wirelens.identify._dns import _dns_cut_question, _dns_match, _read_name
from wirelens.identify._http import _http_host, _http_match
from wirelens.identify._tls import _tls_match, _tls_sni

# Service codes (wirelens.identify.services.Service) as plain ints for the kernel
S_UNKNOWN, S_DNS, S_HTTP, S_TLS = 0, 1, 2, 3
IPPROTO_TCP, IPPROTO_UDP = 6, 17

NAME_RESERVE = 2048
"""Room kept free in the name buffer beyond 4 bytes per payload byte (the most a name of that
payload can take once escaped) before a packet is classified."""

TLS_PORTS = np.array([443, 465, 636, 853, 993, 995, 8443], np.int64)
HTTP_PORTS = np.array([80, 8000, 8008, 8080, 8888, 3128], np.int64)
DNS_PORTS = np.array([53, 5353, 5355], np.int64)


@kernel
def _has_port(ports, sp, dp):  # type: ignore[no-untyped-def]
    for k in range(ports.shape[0]):
        if ports[k] == sp or ports[k] == dp:
            return True
    return False


@kernel
def _classify(data, payload_off, payload_len, proto, sport, dport, use_ports, idx, start,  # type: ignore[no-untyped-def]
              service, cands, name_off, name_len, names, o, scratch, ref):
    """Classify ``idx[start:]``; returns (next index to do, name buffer end).

    Stops early (returning an index < len(idx)) when ``names`` might not hold the next name;
    the wrapper grows the buffer and calls again from there.
    """
    n_pkts = payload_off.shape[0]
    size = data.shape[0]
    cap = names.shape[0]
    for k in range(start, idx.shape[0]):
        service[k] = S_UNKNOWN
        cands[k] = 0
        name_off[k] = -1
        name_len[k] = 0
        i = idx[k]
        if i < 0 or i >= n_pkts:
            continue
        s = payload_off[i]
        n = np.int64(payload_len[i])
        pr = proto[i]
        if n <= 0 or s < 0 or s + n > size or (pr != IPPROTO_TCP and pr != IPPROTO_UDP):
            continue
        if o + 4 * n + NAME_RESERVE > cap:
            return k, o
        tcp = pr == IPPROTO_TCP
        bits = 0
        if tcp and _tls_match(data, s, n):
            bits |= 1 << S_TLS
        elif tcp and _http_match(data, s, n):
            bits |= 1 << S_HTTP
        q = _dns_match(data, s, n, tcp, names)
        if q == -2 and bits == 0 and not tcp and use_ports and _has_port(
                DNS_PORTS, np.int64(sport[i]), np.int64(dport[i])):
            q = _dns_cut_question(data, s, n, names)  # (registry.identify's own-port test)
        if q > -2:
            bits |= 1 << S_DNS
        cands[k] = bits
        if bits == 0:
            continue
        # registry.identify: one candidate wins; several: the first (priority TLS, HTTP,
        # DNS) whose well-known ports include either port, else the first
        win = S_UNKNOWN
        if bits == (1 << S_TLS) or bits == (1 << S_HTTP) or bits == (1 << S_DNS) or not use_ports:
            win = S_TLS if bits & (1 << S_TLS) else (S_HTTP if bits & (1 << S_HTTP) else S_DNS)
        else:
            sp = np.int64(sport[i])
            dp = np.int64(dport[i])
            if bits & (1 << S_TLS) and _has_port(TLS_PORTS, sp, dp):
                win = S_TLS
            elif bits & (1 << S_HTTP) and _has_port(HTTP_PORTS, sp, dp):
                win = S_HTTP
            elif bits & (1 << S_DNS) and _has_port(DNS_PORTS, sp, dp):
                win = S_DNS
            else:
                win = S_TLS if bits & (1 << S_TLS) else S_HTTP
        service[k] = win
        if win == S_TLS:
            ts, tn = s, n  # a ChangeCipherSpec may precede a second ClientHello (RFC 8446 D.4)
            while tn >= 6 and data[ts] == 20 and data[ts + 3] == 0 and data[ts + 4] == 1:
                ts += 6
                tn -= 6
            e = _tls_sni(data, ts, tn, scratch, names, o)
            if e > o:
                name_off[k] = o
                name_len[k] = e - o
                o = e
        elif win == S_HTTP:
            a, b, e = _http_host(data, s, n, names, o, ref)
            if a >= 0 and b > a:
                name_off[k] = a
                name_len[k] = b - a
            o = e
        elif q >= 0:
            base = s + 2 if tcp else s
            p, e = _read_name(data, base, q, s + n, names, o, True)
            if p >= 0 and e > o:
                name_off[k] = o
                name_len[k] = e - o
                o = e
    return idx.shape[0], o
