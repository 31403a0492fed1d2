"""Community ID v1 of flows (the ``conn`` table's ``community_id``): the flow hash Zeek,
Suricata, Wireshark, Arkime and Elastic write, so a flow of ours joins their records by one
string.

The spec (github.com/corelight/community-id-spec): SHA-1 over the seed (2 bytes), the two
addresses (4 or 16 bytes each), the protocol (1 byte), a zero byte and, for TCP, UDP, SCTP,
ICMP and ICMPv6, the two ports (2 bytes each), all in network byte order, the endpoints
ordered so that the smaller address (then port) comes first; written ``1:`` and the digest in
base64. ICMP has no ports: its type stands for the source port and, for a type with a
counterpart (echo and echo reply, ...), the counterpart for the destination port, else the
code, and such a one-way message's endpoints keep their order (Zeek's mapping, which the spec
adopts).

No Python per flow: the hashed bytes are laid out for all flows at once (numpy), hashed by a
compiled SHA-1 (:mod:`wirelens.pipeline._community_kernel`) and base64-encoded in one call.
"""

from __future__ import annotations

import binascii

import numpy as np
import pyarrow as pa

from wirelens.pipeline._community_kernel import sha1_rows

ICMP_COUNTERPARTS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
"""ICMP message types answered by another (RFC 792, RFC 950 masks, RFC 1256 routers)."""
ICMP6_COUNTERPARTS = {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136,
                      136: 135, 139: 140, 140: 139, 144: 145, 145: 144}
"""ICMPv6 message types answered by another (RFC 4443 echo, RFC 2710 MLD, RFC 4861 neighbour
discovery, RFC 4620 node information, RFC 6275 home agent discovery)."""

_PORTS = (6, 17, 132)  # TCP, UDP, SCTP
_TEXT = 30  # "1:" and 28 characters of base64


def _counterparts(table: dict[int, int]) -> np.ndarray:
    out = np.full(256, -1, np.int64)
    for mtype, other in table.items():
        out[mtype] = other
    return out


_ICMP = _counterparts(ICMP_COUNTERPARTS)
_ICMP6 = _counterparts(ICMP6_COUNTERPARTS)


def community_ids(cols: dict[str, np.ndarray], seed: int = 0) -> pa.Array:
    """The Community ID of each flow of the flow table's columns (``ip_ver``, ``proto``,
    ``orig_hi``/``orig_lo``/``orig_p``, ``resp_*``, ``icmp_type``, ``icmp_code``; addresses
    128-bit, IPv4-mapped for IPv4); ``seed`` from 0 to 65535."""
    if not 0 <= seed <= 0xFFFF:
        raise ValueError(f"the Community ID seed is 16 bits (0 to 65535), not {seed}")
    proto = cols["proto"].astype(np.int64)
    n = len(proto)
    a_hi, a_lo = cols["orig_hi"].astype(np.uint64), cols["orig_lo"].astype(np.uint64)
    b_hi, b_lo = cols["resp_hi"].astype(np.uint64), cols["resp_lo"].astype(np.uint64)
    sp, dp = cols["orig_p"].astype(np.int64), cols["resp_p"].astype(np.int64)
    icmp = (proto == 1) | (proto == 58)
    if icmp.any():
        mtype = cols["icmp_type"].astype(np.int64) & 0xFF
        other = np.where(proto == 1, _ICMP[mtype], _ICMP6[mtype])
        sp = np.where(icmp, mtype, sp)
        dp = np.where(icmp, np.where(other >= 0, other, cols["icmp_code"].astype(np.int64)), dp)
        one_way = icmp & (other < 0)
    else:
        one_way = np.zeros(n, bool)
    ports = icmp | np.isin(proto, _PORTS)
    hi_same = a_hi == b_hi
    first = (a_hi < b_hi) | (hi_same & ((a_lo < b_lo) | ((a_lo == b_lo) & ports & (sp < dp))))
    swap = ~(first | one_way)
    a_hi, b_hi = np.where(swap, b_hi, a_hi), np.where(swap, a_hi, b_hi)
    a_lo, b_lo = np.where(swap, b_lo, a_lo), np.where(swap, a_lo, b_lo)
    sp, dp = np.where(swap, dp, sp), np.where(swap, sp, dp)
    text = np.empty((n, _TEXT), np.uint8)
    v6 = cols["ip_ver"] == 6
    for rows in (np.flatnonzero(g) for g in (~v6 & ports, ~v6 & ~ports, v6 & ports, v6 & ~ports)):
        if rows.size:
            text[rows] = _hashed(seed, a_hi[rows], a_lo[rows], b_hi[rows], b_lo[rows],
                                 proto[rows], sp[rows], dp[rows], bool(v6[rows[0]]),
                                 bool(ports[rows[0]]))
    offsets = np.arange(0, (n + 1) * _TEXT, _TEXT, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))


def _layout(v6: bool, ports: bool) -> np.dtype:
    """The hashed bytes of one flow (network byte order, 32-bit aligned)."""
    addr = [("a_hi", ">u8"), ("a_lo", ">u8"), ("b_hi", ">u8"), ("b_lo", ">u8")] if v6 else [
        ("a_lo", ">u4"), ("b_lo", ">u4")]
    tail = [("sp", ">u2"), ("dp", ">u2")] if ports else []
    return np.dtype([("seed", ">u2"), *addr, ("proto", "u1"), ("zero", "u1"), *tail])


def _hashed(seed: int, a_hi: np.ndarray, a_lo: np.ndarray, b_hi: np.ndarray, b_lo: np.ndarray,
            proto: np.ndarray, sp: np.ndarray, dp: np.ndarray, v6: bool, ports: bool,
            ) -> np.ndarray:
    """The ``1:<base64>`` text (30 bytes a row) of flows of one address family, with ports
    or without, endpoints in hashing order."""
    m = len(proto)
    rows = np.zeros(m, _layout(v6, ports))
    rows["seed"] = seed
    if v6:
        rows["a_hi"], rows["b_hi"] = a_hi, b_hi
        rows["a_lo"], rows["b_lo"] = a_lo, b_lo
    else:  # (the low 32 bits of the IPv4-mapped form)
        rows["a_lo"], rows["b_lo"] = a_lo & np.uint64(0xFFFFFFFF), b_lo & np.uint64(0xFFFFFFFF)
    rows["proto"] = proto
    if ports:
        rows["sp"], rows["dp"] = sp, dp
    # a 20-byte digest and a zero byte encode as the digest's 27 characters and one more
    # ("A"), where the digest alone ends in "=": all digests are encoded in one call
    digests = np.zeros((m, 21), np.uint8)
    digests[:, :20] = sha1_rows(rows.view(np.uint8).reshape(m, rows.dtype.itemsize))
    text = np.empty((m, _TEXT), np.uint8)
    text[:, :2] = np.frombuffer(b"1:", np.uint8)
    text[:, 2:] = np.frombuffer(binascii.b2a_base64(digests.tobytes(), newline=False),
                                np.uint8).reshape(m, 28)
    text[:, -1] = ord("=")
    return text


__all__ = ["ICMP6_COUNTERPARTS", "ICMP_COUNTERPARTS", "community_ids"]
