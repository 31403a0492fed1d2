"""Codes and bounds-free byte readers shared by the decoding kernel's pieces.

The decoding loop (:mod:`wirelens.decode._kernel`) is one compiled numba loop; the pieces it is
made of (:mod:`._klink`, :mod:`._kip`, :mod:`._ktunnel`) are ``inline="always"`` helpers
(:data:`inl`) that take the row state they need and return it updated as a small tuple, so no
call and no reference-count update happens per packet.

Caching caveat: numba's on-disk cache of a kernel is keyed on the kernel's own source file
only. After editing a helper in one of the ``_k*.py`` modules, delete
``src/wirelens/decode/__pycache__/*.nb[ci]`` (or touch ``_kernel.py``) so the loop is
recompiled with it.
"""

from __future__ import annotations

import numba
import numpy as np

from wirelens.core.jit import KERNEL_OPTIONS, kernel

inl = numba.njit(inline="always", **KERNEL_OPTIONS)
"""Decorator of the loop's pieces: inlined at numba-IR level into the one compiled loop."""

# PacketStatus codes (core.batch.PacketStatus)
OK = 0
NOT_IP = 1
ARP = 2
MALFORMED = 3
FRAGMENT = 4
UNKNOWN_LINK = 5

# Tunnel codes (core.batch.Tunnel)
T_GRE = 1
T_ERSPAN = 2
T_VXLAN = 3
T_GENEVE = 4
T_GTPU = 5
T_IPIP = 6
T_TEREDO = 7
T_PPPOE = 8
T_CAPWAP = 9
T_AYIYA = 10
T_MPLS_UDP = 11
T_L2TP = 12
T_PBB = 13

# Weird codes (core.weirds.Weird)
W_TRUNC_LINK = 1
W_UNKNOWN_LINK = 2
W_TRUNC_IP = 10
W_BAD_IP_VERSION = 11
W_BAD_IHL = 12
W_IP_LEN_EXCEEDS = 13
W_BAD_IPV6_EXT = 14
W_IP_LEN_SMALL = 15
W_TRUNC_TCP = 30
W_BAD_TCP_HLEN = 31
W_TRUNC_UDP = 32
W_BAD_UDP_LEN = 33
W_TRUNC_ICMP = 34
W_TRUNC_SCTP = 35
W_TRUNC_TUNNEL = 40
W_TUNNEL_DEPTH = 41
W_TRUNC_ARP = 70
W_ENCRYPTED_WIFI = 71

# state machine: what starts at ``pos``
K_DONE = 0
K_ETH = 1  # an Ethernet II / 802.3 header
K_ETYPE = 2  # a payload whose type is the ethertype ``et``
K_PPP = 3  # a PPP protocol field
K_IP = 4  # an IP header (version from the first nibble)
K_WIFI = 5  # an IEEE 802.11 frame

V4_MAPPED = np.uint64(0x0000_FFFF_0000_0000)
"""IPv4 addresses are stored as IPv4-mapped IPv6 (RFC 4291 section 2.5.5.2) in the low word."""


@kernel
def u16(d, p):  # type: ignore[no-untyped-def]
    """Big-endian 16-bit value at ``p`` (the caller checked the bounds)."""
    q = np.uintp(p)  # unsigned index: no negative-index wraparound code
    return (np.int64(d[q]) << 8) | np.int64(d[q + np.uintp(1)])


@kernel
def u8(d, p):  # type: ignore[no-untyped-def]
    """Byte at ``p`` as int64 (the caller checked the bounds)."""
    return np.int64(d[np.uintp(p)])


@kernel
def u32(d, p):  # type: ignore[no-untyped-def]
    """Big-endian 32-bit value at ``p`` as int64 (the caller checked the bounds)."""
    q = np.uintp(p)
    return (
        (np.int64(d[q]) << 24)
        | (np.int64(d[q + np.uintp(1)]) << 16)
        | (np.int64(d[q + np.uintp(2)]) << 8)
        | np.int64(d[q + np.uintp(3)])
    )


@kernel
def u64(d, p, n):  # type: ignore[no-untyped-def]
    """Big-endian unsigned value of ``n`` (4, 6 or 8) bytes at ``p``, as uint64."""
    hi = np.uint64(u32(d, p))
    if n == 4:
        return hi
    if n == 6:
        return (hi << np.uint64(16)) | np.uint64(u16(d, p + 4))
    return (hi << np.uint64(32)) | np.uint64(u32(d, p + 4))


@inl
def known_frame(data, pos, end):  # type: ignore[no-untyped-def]
    """Whether an Ethernet frame whose ethertype we read (IPv4 or IPv6 with its version,
    ARP, VLAN, MPLS) starts at ``pos``: what an MPLS pseudowire (RFC 4448) or a VXLAN port
    other than the registered one carries, told from other payloads."""
    if end - pos < 15:
        return False
    et = u16(data, pos + 12)
    if et == 0x0800:
        return u8(data, pos + 14) >> 4 == 4
    if et == 0x86DD:
        return u8(data, pos + 14) >> 4 == 6
    return et == 0x0806 or et == 0x8100 or et == 0x88A8 or et == 0x8847
