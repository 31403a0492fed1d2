"""Naive reference of IP fragment reassembly: the original pure-Python ``FragmentReassembler``
(one Python call per fragment, pieces in dicts), kept to check the compiled one against it
datagram by datagram and weird by weird.

Original module docstring follows.

IP fragment reassembly (RFC 791 section 3.2, RFC 8200 section 4.5), bounded.

Fragments are rare, so this runs in Python per *fragment* (never per packet): the decoder has
already marked them (status FRAGMENT with ``frag_id/frag_off/frag_more`` and the fragment's
data at ``payload_off/payload_len``). Completed datagrams are rebuilt as raw IP packets in
their own buffer (link type RAW) and decoded by the same kernel.

Rebuilt headers: IPv4 keeps the first fragment's header (with options) with the total length
set, the fragment field cleared and the checksum recomputed; IPv6 keeps the first fragment's
40-byte fixed header with the payload length set and the next header set to the fragment
header's one (unfragmentable extension headers before the fragment header are dropped).

Problems are data: every one is counted in ``counters`` and kept, with its time, in
``weirds`` (a bounded deque of ``(ts_ns, weird_code, frag_id)``; drain it with
:meth:`FragmentReassembler.drain_weirds`).
"""

from __future__ import annotations

import struct
from collections import OrderedDict, deque
from dataclasses import dataclass, field, fields

import numpy as np

from wirelens.core import limits
from wirelens.core.batch import LinkType, PacketBatch, PacketStatus, RawBatch
from wirelens.core.weirds import Weird
from wirelens.decode.decoder import Decoder

_MAX_IP_PAYLOAD = 65_535
MAX_WEIRDS_KEPT = 65_536
"""Weird records kept until drained (older ones are dropped first; ``counters`` stay exact)."""

_Key = tuple[int, ...]
CONTEXT = ("vlan", "vlan_inner", "mpls_label", "src_mac", "dst_mac", "tunnel", "tunnel_id",
           "outer_src_hi", "outer_src_lo", "outer_dst_hi", "outer_dst_lo")
"""Columns a rebuilt datagram takes from the fragment that opened it (the tunnel's, from
``tunnel`` on, only when that fragment came through one)."""


@dataclass(slots=True)
class _Datagram:
    """A datagram being reassembled."""

    first_ts: int
    ip_ver: int
    proto: int
    frag_id: int
    context: tuple[int, ...] = ()
    """CONTEXT values of the fragment that opened it."""
    header: bytes | None = None
    """IP header bytes of the fragment at offset 0 (None until it arrives)."""
    total: int = -1
    """Payload length, known once the last fragment (more=0) arrived."""
    pieces: dict[int, bytes] = field(default_factory=dict)
    """Fragment data by byte offset."""
    nbytes: int = 0


class NaiveFragmentReassembler:
    """Reassembles the FRAGMENT rows of decoded batches into whole datagrams.

    Bounded: at most ``max_datagrams`` in progress (the oldest is dropped when full, weird
    ``fragment_table_full``), ``max_fragments`` per datagram, ``max_bytes`` buffered in total
    (the oldest datagrams are dropped, weird ``fragment_evicted``), and a datagram not complete
    ``timeout_s`` after its first fragment is dropped (weird ``fragment_timeout``, checked
    against the newest timestamp seen).
    """

    def __init__(
        self,
        max_datagrams: int = limits.FRAG_MAX_DATAGRAMS,
        timeout_s: float = limits.FRAG_TIMEOUT_S,
        max_fragments: int = limits.FRAG_MAX_FRAGMENTS,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if max_datagrams <= 0 or timeout_s <= 0 or max_fragments <= 0 or max_bytes <= 0:
            raise ValueError("reassembly bounds must be positive")
        self.max_datagrams = int(max_datagrams)
        self.timeout_ns = int(timeout_s * 1e9)
        self.max_fragments = int(max_fragments)
        self.max_bytes = int(max_bytes)
        self._table: OrderedDict[_Key, _Datagram] = OrderedDict()
        self._bytes = 0
        self._decoder: Decoder | None = None
        self.weirds: deque[tuple[int, int, int]] = deque(maxlen=MAX_WEIRDS_KEPT)
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "fragments",
                "reassembled",
                "timeouts",
                "table_full",
                "evicted",
                "too_large",
                "too_many_fragments",
                "overlaps",
                "inconsistent_overlaps",
            ),
            0,
        )

    def __len__(self) -> int:
        """Datagrams currently in progress."""
        return len(self._table)

    @property
    def buffered_bytes(self) -> int:
        """Fragment bytes currently held."""
        return self._bytes

    def drain_weirds(self) -> list[tuple[int, int, int]]:
        """The ``(ts_ns, weird_code, frag_id)`` recorded since the last drain."""
        out = list(self.weirds)
        self.weirds.clear()
        return out

    # ---- main entry ------------------------------------------------------------------
    def add(self, raw: RawBatch, pkts: PacketBatch
            ) -> tuple[RawBatch, PacketBatch, np.ndarray] | None:
        """Take the FRAGMENT rows of ``pkts`` (bytes copied from ``raw.data``); return the
        datagrams they completed, as a RawBatch of their own, its decoded PacketBatch (columns
        copied, not a view) and the rows whose fragments completed them, or None."""
        if len(pkts) != len(raw):
            raise ValueError("raw and pkts have different lengths")
        rows = np.flatnonzero(pkts.status == PacketStatus.FRAGMENT)
        done: list[tuple[bytes, int, tuple[int, ...]]] = []
        completed: list[int] = []
        data = raw.data
        for i in rows.tolist():
            ts = int(raw.ts_ns[i])
            self._expire(ts)
            out = self._add_one(data, pkts, i, ts)
            if out is not None:
                done.append(out)
                completed.append(i)
        if len(raw):
            self._expire(int(raw.ts_ns.max()))
        if not done:
            return None
        return (*self._emit(done), np.array(completed, np.int64))

    # ---- internals ---------------------------------------------------------------------
    def _weird(self, ts: int, code: Weird, frag_id: int, counter: str) -> None:
        self.counters[counter] += 1
        self.weirds.append((ts, int(code), frag_id))

    def _drop(self, key: _Key) -> None:
        dg = self._table.pop(key, None)
        if dg is not None:
            self._bytes -= dg.nbytes

    def _expire(self, now: int) -> None:
        while self._table:
            key, dg = next(iter(self._table.items()))
            if now - dg.first_ts <= self.timeout_ns:
                break
            self._drop(key)
            self._weird(now, Weird.fragment_timeout, dg.frag_id, "timeouts")

    def _add_one(self, data: np.ndarray, p: PacketBatch, i: int, ts: int) -> tuple[bytes, int, tuple[int, ...]] | None:
        self.counters["fragments"] += 1
        ver = int(p.ip_ver[i])
        fid = int(p.frag_id[i])
        proto = int(p.proto[i])
        key = (
            ver,
            int(p.src_hi[i]),
            int(p.src_lo[i]),
            int(p.dst_hi[i]),
            int(p.dst_lo[i]),
            fid,
            proto,
            int(p.vlan[i]),
            int(p.vlan_inner[i]),
            int(p.tunnel[i]),
            int(p.tunnel_id[i]),
        )
        off = int(p.frag_off[i])
        poff = int(p.payload_off[i])
        piece = data[poff : poff + int(p.payload_len[i])].tobytes()
        l3 = int(p.l3_off[i])
        hlen = poff - l3 if ver == 4 else 40
        # RFC 791: the whole datagram (header included) fits in 65535; RFC 8200: payload does
        limit = _MAX_IP_PAYLOAD - (hlen if ver == 4 else 0)
        if off + len(piece) > limit:
            self._drop(key)
            self._weird(ts, Weird.fragment_too_large, fid, "too_large")
            return None
        dg = self._table.get(key)
        if dg is None:
            if len(self._table) >= self.max_datagrams:
                old_key, old = next(iter(self._table.items()))
                self._drop(old_key)
                self._weird(ts, Weird.fragment_table_full, old.frag_id, "table_full")
            dg = _Datagram(first_ts=ts, ip_ver=ver, proto=proto, frag_id=fid,
                           context=tuple(int(getattr(p, c)[i]) for c in CONTEXT))
            self._table[key] = dg
        if len(dg.pieces) >= self.max_fragments:
            self._drop(key)
            self._weird(ts, Weird.fragment_too_large, fid, "too_many_fragments")
            return None
        # overlaps: identical bytes are tolerated (retransmission), different ones are an
        # evasion attempt (RFC 5722 for IPv6): the datagram is dropped
        end = off + len(piece)
        for o, d in dg.pieces.items():
            lo, hi = max(o, off), min(o + len(d), end)
            if lo < hi:
                if d[lo - o : hi - o] != piece[lo - off : hi - off]:
                    self._drop(key)
                    self._weird(
                        ts, Weird.fragment_inconsistent_overlap, fid, "inconsistent_overlaps"
                    )
                    return None
                self._weird(ts, Weird.fragment_overlap, fid, "overlaps")
        if not int(p.frag_more[i]):
            if dg.total not in (-1, end):
                self._drop(key)
                self._weird(ts, Weird.fragment_inconsistent_overlap, fid, "inconsistent_overlaps")
                return None
            dg.total = end
        if off == 0 and dg.header is None and l3 >= 0:
            dg.header = data[l3 : l3 + hlen].tobytes()
        old_piece = dg.pieces.get(off)
        if old_piece is None or len(piece) > len(old_piece):
            dg.nbytes += len(piece) - (len(old_piece) if old_piece else 0)
            self._bytes += len(piece) - (len(old_piece) if old_piece else 0)
            dg.pieces[off] = piece
        while self._bytes > self.max_bytes and self._table:
            old_key, old = next(iter(self._table.items()))
            self._drop(old_key)
            self._weird(ts, Weird.fragment_evicted, old.frag_id, "evicted")
            if old_key == key:
                return None
        whole = self._complete(key, dg)
        return None if whole is None else (whole, ts, dg.context)

    def _complete(self, key: _Key, dg: _Datagram) -> bytes | None:
        if dg.header is None or dg.total < 0:
            return None
        covered = 0
        for o in sorted(dg.pieces):
            if o > covered:
                return None
            covered = max(covered, o + len(dg.pieces[o]))
        if covered < dg.total:
            return None
        body = bytearray(dg.total)
        for o in sorted(dg.pieces):
            d = dg.pieces[o]
            body[o : o + len(d)] = d[: max(0, dg.total - o)]
        self._drop(key)
        self.counters["reassembled"] += 1
        hdr = bytearray(dg.header)
        if dg.ip_ver == 4:
            struct.pack_into("!H", hdr, 2, len(hdr) + dg.total)  # total length
            struct.pack_into("!H", hdr, 6, 0)  # clear MF and offset (RFC 791 section 3.2)
            struct.pack_into("!H", hdr, 10, 0)
            struct.pack_into("!H", hdr, 10, _checksum(bytes(hdr)))
        else:
            struct.pack_into("!HB", hdr, 4, dg.total, dg.proto)
        return bytes(hdr) + bytes(body)

    def _emit(self, done: list[tuple[bytes, int, tuple[int, ...]]]
              ) -> tuple[RawBatch, PacketBatch]:
        n = len(done)
        lens = np.array([len(d) for d, _, _ in done], dtype=np.uint32)
        offs = np.zeros(n, dtype=np.int64)
        offs[1:] = np.cumsum(lens, dtype=np.int64)[:-1]
        raw = RawBatch(
            data=np.frombuffer(b"".join(d for d, _, _ in done), dtype=np.uint8).copy(),
            offset=offs,
            caplen=lens,
            wirelen=lens.copy(),
            ts_ns=np.array([t for _, t, _ in done], dtype=np.int64),
            linktype=np.full(n, LinkType.RAW, dtype=np.uint16),
            source="reassembled",
        )
        if self._decoder is None or self._decoder.max_batch < n:
            self._decoder = Decoder(max(n, 1024))
        view = self._decoder.decode(raw)
        pkts = PacketBatch(**{f.name: getattr(view, f.name).copy() for f in fields(view)})
        for row, (_, _, context) in enumerate(done):
            tunnelled = context[CONTEXT.index("tunnel")] != 0
            for name, value in zip(CONTEXT, context, strict=True):
                if tunnelled or CONTEXT.index(name) < CONTEXT.index("tunnel"):
                    getattr(pkts, name)[row] = value
        return raw, pkts

    @property
    def decoder_counters(self) -> dict[str, int]:
        """Counters of the decoder that decoded the reassembled datagrams."""
        return {} if self._decoder is None else self._decoder.counters


def _checksum(hdr: bytes) -> int:
    """Internet checksum (RFC 1071) of an IPv4 header."""
    if len(hdr) % 2:
        hdr += b"\x00"
    s = sum(struct.unpack(f"!{len(hdr) // 2}H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
