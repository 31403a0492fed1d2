"""Per-direction TCP stream reassembly for the dissectors (pure Python, sans-IO).

The DPI stage hands a flow's first payload packets to dissectors in capture order;
retransmissions, overlaps and reordering would corrupt the byte stream they parse.
:class:`TcpReassembler` turns the segments of one connection, in capture order, into the
in-order byte stream of each direction.

Sequence space (RFC 793 §3.3, RFC 9293 §3.4): sequence numbers are 32-bit and wrap; they are
compared with serial-number arithmetic (RFC 1982): the signed distance of ``seq`` from the next
expected number ``nxt`` is ``((seq - nxt + 2**31) mod 2**32) - 2**31``. Internally every
direction keeps unbounded integer *offsets* from its start, so wrap-around is handled once, at
the door, and buffered segments never need modular comparisons.

Rules, per direction:

* The stream starts at ISN+1 when the SYN is seen (the SYN consumes one sequence number; data
  carried by the SYN starts right after it), else at the first segment seen carrying data or
  FIN. Bytes before the start were never seen and are dropped silently.
* In-order data is delivered at once. Out-of-order data is buffered, bounded by
  ``max_buffered`` bytes and ``max_segments`` pieces.
* Retransmitted bytes already delivered are dropped; if they differ from what was delivered
  (compared over the last ``REASM_HISTORY_BYTES`` delivered and not yet acknowledged by the
  peer: :meth:`TcpReassembler.acked` drops those it acknowledges, the receiver has taken
  them and a later copy cannot change them), ``tcp_overlap_conflict`` is recorded. The
  first copy is kept (as Zeek does); the same holds between buffered pieces. Partial
  overlaps are trimmed to the new bytes.
* When a bound is exceeded the oldest hole is given up on (``tcp_reassembly_limit``): the
  stream skips to the earliest buffered piece, the skipped length is reported as a gap
  (``tcp_gap``) and the data that follows is delivered; repeated until within bounds.
* A hole the other direction acknowledges (:meth:`TcpReassembler.acked`) is given up on at
  once (``tcp_gap``): its bytes were lost by the capture or cut by its snap length, and what
  follows it is delivered before the acknowledging segment's data (as Zeek reports a content
  gap once the hole is acknowledged).
* Keep-alives (1 byte at ``nxt - 1``, or no payload) and pure ACKs deliver nothing and are not
  compared. FIN consumes one sequence number after the data; data beyond the FIN is dropped
  (``tcp_data_after_fin``). RST is nothing special.
* Segments starting more than ``REASM_MAX_AHEAD`` ahead are dropped (``tcp_seq_out_of_window``).
* Each weird name is reported once per direction (in the first :class:`Delivery` that has it).

Invariant (checked by the property tests): for one direction, walk the deliveries of every
``add`` and the final ``flush`` in order, advancing a position by each hole (``holes`` gives
where in ``data`` a hole sits and how long it is; ``gap`` is their total) and by each data
byte. Every delivered byte then equals the sender's byte at that position, positions only
grow, and once every segment was seen and flushed the position is the stream length. When no
bound was hit and no segment came before the start, there are no holes: the concatenated
``data`` is exactly the sent stream, whatever the segmentation, reordering and duplication.

Memory per direction is bounded by ``max_buffered + 2 * REASM_HISTORY_BYTES`` bytes plus
``max_segments`` pieces, whatever the input; with acknowledgements seen, the history holds
only the bytes in flight (a keep-alive connection's, between exchanges: none).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

from wirelens.core import limits

__all__ = ["FIN", "RST", "SEQ_MOD", "SYN", "Delivery", "TcpReassembler", "seq_diff"]

FIN = 0x01
"""TCP FIN flag (RFC 9293 §3.1)."""
SYN = 0x02
"""TCP SYN flag (RFC 9293 §3.1)."""
RST = 0x04
"""TCP RST flag (RFC 9293 §3.1); the reassembler treats it like any other segment."""

_MOD = SEQ_MOD = 1 << 32
_COALESCE_MAX_BYTES = 16 * 1024
"""Contiguous buffered pieces are joined into one while the result is at most this long:
bounds the copy per segment (no quadratic cost from many tiny segments) while keeping the
piece count low."""
_HALF = 1 << 31


class Delivery(NamedTuple):
    """What one call made deliverable for one direction.

    ``data`` is the in-order bytes newly deliverable (``b""`` if none). ``gap`` is the total
    number of bytes given up on in this call; ``holes`` says where: ``(index into data, length)``
    pairs in order (a hole at index 0 comes before all of ``data``). ``weirds`` are the weird
    names this direction records for the first time. ``fin`` is true when the direction's FIN
    was reached by this call: its stream is complete.

    (A named tuple: one is made per segment, and a frozen dataclass costs ~4 times as much
    to make.)
    """

    data: bytes = b""
    weirds: tuple[str, ...] = ()
    gap: int = 0
    holes: tuple[tuple[int, int], ...] = ()
    fin: bool = False


_NOTHING = Delivery()


def seq_diff(a: int, b: int) -> int:
    """Signed distance ``a - b`` of two 32-bit sequence numbers (RFC 1982 serial arithmetic)."""
    return ((a - b + _HALF) % _MOD) - _HALF


class _Direction:
    """Reassembly state of one direction; offsets count sequence numbers from ``base``."""

    __slots__ = ("base", "delivered_fin", "fin_off", "hist", "hist_end", "nxt", "reported",
                 "starts", "started", "datas", "buffered")

    def __init__(self) -> None:
        self.started = False
        self.base = 0              # sequence number of offset 0
        self.nxt = 0               # offset of the next expected sequence number
        self.fin_off: int | None = None   # offset of the FIN's sequence number, once seen
        self.delivered_fin = False
        self.starts: list[int] = []       # buffered pieces: sorted, non-overlapping, > nxt
        self.datas: list[bytes] = []
        self.buffered = 0
        self.hist = bytearray()    # last delivered bytes, ending at offset hist_end
        self.hist_end = 0
        self.reported: tuple[str, ...] = ()  # weirds said (few; a set costs 216 bytes)


class _Out:
    """Accumulates one Delivery."""

    __slots__ = ("chunks", "fin", "holes", "size", "weirds")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.holes: list[tuple[int, int]] = []
        self.weirds: list[str] = []
        self.fin = False

    def result(self) -> Delivery:
        if not (self.chunks or self.holes or self.weirds or self.fin):
            return _NOTHING
        return Delivery(b"".join(self.chunks), tuple(self.weirds),
                        sum(n for _, n in self.holes), tuple(self.holes), self.fin)


class TcpReassembler:
    """Both directions of one TCP connection.

    Feed every segment of the connection in capture order with :meth:`add`; at the end of
    the flow call :meth:`flush` for each direction. Never raises on any input of the declared
    types (sequence numbers are taken modulo 2**32).
    """

    __slots__ = ("_dirs", "history", "max_ahead", "max_buffered", "max_segments")

    def __init__(self, max_buffered: int = limits.REASM_MAX_BUFFERED_BYTES,
                 max_segments: int = limits.REASM_MAX_SEGMENTS) -> None:
        if max_buffered < 0 or max_segments < 0:
            raise ValueError("reassembly bounds must be non-negative")
        self.max_buffered = max_buffered
        self.max_segments = max_segments
        self.history = limits.REASM_HISTORY_BYTES
        self.max_ahead = limits.REASM_MAX_AHEAD
        self._dirs = (_Direction(), _Direction())  # index 1: from the originator

    # ------------------------------------------------------------------ public API

    def add(self, from_orig: bool, seq: int, flags: int, payload: bytes) -> Delivery:
        """One segment of the direction ``from_orig``; returns what became deliverable."""
        d = self._dirs[1 if from_orig else 0]
        seq %= _MOD
        syn = bool(flags & SYN)
        fin = bool(flags & FIN)
        dseq = (seq + 1) % _MOD if syn else seq  # sequence number of the first data byte
        if not d.started:
            if not (syn or payload or fin):
                return _NOTHING  # a pure ACK says nothing about where the stream starts
            d.started = True
            d.base = dseq
            d.nxt = d.hist_end = 0
        rel = seq_diff(dseq, (d.base + d.nxt) % _MOD)
        if rel == 0 and payload and not (syn or fin or d.starts) and d.fin_off is None:
            # the common case: the next in-order segment, nothing buffered
            self._keep(d, payload)
            return Delivery(payload)
        out = _Out()
        if rel > self.max_ahead:
            self._weird(d, out, "tcp_seq_out_of_window")
            return out.result()
        off = d.nxt + rel
        if fin:
            self._fin(d, off + len(payload), out)
        if payload and not (len(payload) == 1 and rel == -1):  # keep-alive: 1 byte at nxt-1
            self._data(d, off, payload, out)
        self._advance(d, out)
        self._enforce(d, out)
        return out.result()

    def start(self, from_orig: bool, seq: int) -> None:
        """The stream of the direction ``from_orig`` starts at ``seq`` (as after its SYN at
        ``seq - 1``); nothing when it has started."""
        d = self._dirs[1 if from_orig else 0]
        if not d.started:
            d.started = True
            d.base = seq % _MOD

    def acked(self, from_orig: bool, ack: int) -> Delivery:
        """The peer acknowledged the direction ``from_orig`` up to the sequence number
        ``ack`` (a segment of the other direction with the ACK flag): the bytes before it
        that were not seen will not be (the peer has them; the capture lost them, or its
        snap length cut their segment short). They are given up on as holes (``tcp_gap``)
        and what was buffered after them is delivered, so that this direction's stream
        reaches the parser before the acknowledging segment's data. Nothing is given up on
        in a direction not seen carrying data yet (a capture of one side of the traffic
        sees acknowledgements of a stream it never holds), nor past ``REASM_MAX_AHEAD``, nor
        the FIN's own number."""
        d = self._dirs[1 if from_orig else 0]
        if not (d.nxt or d.starts):  # (no data seen yet in this direction)
            return _NOTHING
        ahead = seq_diff(ack % _MOD, (d.base + d.nxt) % _MOD)
        if ahead <= 0:  # nothing missing (the common case): the history drops what the
            # peer holds; a retransmission of those bytes cannot change what it took
            if len(d.hist) > -ahead:
                del d.hist[: len(d.hist) + ahead]
            return _NOTHING
        if ahead > self.max_ahead:
            return _NOTHING
        to = d.nxt + ahead
        if d.fin_off is not None:
            to = min(to, d.fin_off)
        out = _Out()
        while d.starts and d.starts[0] <= to:
            self._skip_to_first(d, out, d.starts[0])
            self._advance(d, out)
        if d.nxt < to:  # acknowledged, never seen, nothing buffered after it yet
            self._skip_to_first(d, out, to)
            self._advance(d, out)
        return out.result()

    def flush(self, from_orig: bool) -> Delivery:
        """End of flow: deliver all that is buffered, skipping holes (reported as gaps)."""
        d = self._dirs[1 if from_orig else 0]
        out = _Out()
        while d.starts:
            self._skip_to_first(d, out, d.starts[0])
            self._advance(d, out)
        if d.fin_off is not None and not d.delivered_fin:  # data lost just before the FIN
            self._skip_to_first(d, out, d.fin_off)
            self._advance(d, out)
        return out.result()

    def skip(self, from_orig: bool, length: int) -> Delivery:
        """The next ``length`` bytes of the direction ``from_orig`` are not wanted (the
        caller announces them to its parser as a hole): the stream moves past them, buffered
        bytes inside them are dropped, and what was buffered after them is delivered. No
        weird: this is no loss. Segments of the skipped range seen later are old bytes."""
        d = self._dirs[1 if from_orig else 0]
        out = _Out()
        if not d.started or length <= 0:
            return _NOTHING
        to = d.nxt + length
        if d.fin_off is not None:
            to = min(to, d.fin_off)
        while d.starts and d.starts[0] < to:
            start, data = d.starts.pop(0), d.datas.pop(0)
            d.buffered -= len(data)
            if start + len(data) > to:  # a piece running past the skipped range: its tail
                d.starts.insert(0, to)
                d.datas.insert(0, data[to - start:])
                d.buffered += start + len(data) - to
                break
        d.nxt = max(d.nxt, to)
        d.hist.clear()
        d.hist_end = d.nxt
        self._advance(d, out)
        return out.result()

    def started(self, from_orig: bool) -> bool:
        """Whether the direction ``from_orig`` knows where its stream starts."""
        return self._dirs[1 if from_orig else 0].started

    def next_seq(self, from_orig: bool) -> int:
        """The sequence number of the next byte expected in the direction ``from_orig``."""
        d = self._dirs[1 if from_orig else 0]
        return (d.base + d.nxt) % _MOD

    def buffered(self, from_orig: bool) -> tuple[int, int]:
        """(bytes, pieces) held out of order for the direction ``from_orig``."""
        d = self._dirs[1 if from_orig else 0]
        return d.buffered, len(d.starts)

    # ------------------------------------------------------------------ internals

    def _weird(self, d: _Direction, out: _Out, name: str) -> None:
        if name not in d.reported:
            d.reported += (name,)
            out.weirds.append(name)

    def _fin(self, d: _Direction, fin_off: int, out: _Out) -> None:
        """Record the FIN's position (the first one wins) and drop buffered data beyond it."""
        if d.fin_off is not None or fin_off < d.nxt:
            return  # a repeated FIN, or one at an already delivered position
        d.fin_off = fin_off
        while d.starts and d.starts[-1] + len(d.datas[-1]) > fin_off:
            start, data = d.starts.pop(), d.datas.pop()
            d.buffered -= len(data)
            self._weird(d, out, "tcp_data_after_fin")
            if start < fin_off:
                d.starts.append(start)
                d.datas.append(data[: fin_off - start])
                d.buffered += fin_off - start
                break

    def _data(self, d: _Direction, off: int, payload: bytes, out: _Out) -> None:
        """Compare the already delivered part, trim it, and buffer the rest."""
        end = off + len(payload)
        if d.fin_off is not None and end > d.fin_off:
            self._weird(d, out, "tcp_data_after_fin")
            end = d.fin_off
            if end <= off:
                return
            payload = payload[: end - off]
        if off < d.nxt:  # (partly) a retransmission of delivered bytes
            self._compare_history(d, off, payload, out)
            if end <= d.nxt:
                return
            payload = payload[d.nxt - off:]
            off = d.nxt
        self._insert(d, off, payload, out)

    def _compare_history(self, d: _Direction, off: int, payload: bytes, out: _Out) -> None:
        lo = max(off, d.hist_end - len(d.hist))
        hi = min(off + len(payload), d.hist_end)
        if lo >= hi:
            return
        base = d.hist_end - len(d.hist)
        if d.hist[lo - base: hi - base] != payload[lo - off: hi - off]:
            self._weird(d, out, "tcp_overlap_conflict")

    def _insert(self, d: _Direction, off: int, payload: bytes, out: _Out) -> None:
        """Add [off, off+len) to the buffer, keeping the bytes of pieces already there."""
        starts, datas = d.starts, d.datas
        end = off + len(payload)
        i = bisect_right(starts, off)
        if i and starts[i - 1] + len(datas[i - 1]) > off:
            i -= 1  # the piece before overlaps our start
        new_starts: list[int] = []
        new_datas: list[bytes] = []
        pos = off
        j = i
        while j < len(starts) and starts[j] < end:
            s, data = starts[j], datas[j]
            e = s + len(data)
            if s > pos:
                new_starts.append(pos)
                new_datas.append(payload[pos - off: s - off])
            lo, hi = max(s, off), min(e, end)
            if data[lo - s: hi - s] != payload[lo - off: hi - off]:
                self._weird(d, out, "tcp_overlap_conflict")
            pos = max(pos, e)
            j += 1
        if pos < end:
            new_starts.append(pos)
            new_datas.append(payload[pos - off:])
        if not new_starts:
            return
        d.buffered += sum(len(b) for b in new_datas)
        # pieces i..j-1 are kept; the new ones interleave with them, contiguously
        merged = sorted(zip(starts[i:j] + new_starts, datas[i:j] + new_datas))
        if i and starts[i - 1] + len(datas[i - 1]) == merged[0][0]:  # touching neighbours
            i -= 1
            merged.insert(0, (starts[i], datas[i]))
        if j < len(starts) and starts[j] == merged[-1][0] + len(merged[-1][1]):
            merged.append((starts[j], datas[j]))
            j += 1
        # coalesce into one piece (so overlaps do not multiply pieces) while the copy is cheap
        if len(merged) > 1 and (merged[-1][0] + len(merged[-1][1]) - merged[0][0]
                                <= _COALESCE_MAX_BYTES):
            merged = [(merged[0][0], b"".join(b for _, b in merged))]
        starts[i:j] = [s for s, _ in merged]
        datas[i:j] = [b for _, b in merged]

    def _advance(self, d: _Direction, out: _Out) -> None:
        """Deliver the buffered pieces that start at ``nxt``; then the FIN if reached."""
        starts, datas = d.starts, d.datas
        k = 0
        while k < len(starts) and starts[k] == d.nxt:
            data = datas[k]
            self._deliver(d, data, out)
            k += 1
        if k:
            d.buffered -= sum(len(b) for b in datas[:k])
            del starts[:k], datas[:k]
        if d.fin_off is not None and not d.delivered_fin and d.nxt == d.fin_off:
            d.delivered_fin = True
            d.nxt += 1  # the FIN consumes one sequence number
            out.fin = True

    def _deliver(self, d: _Direction, data: bytes, out: _Out) -> None:
        out.chunks.append(data)
        out.size += len(data)
        self._keep(d, data)

    def _keep(self, d: _Direction, data: bytes) -> None:
        """The stream moves past ``data`` (delivered), kept in the history."""
        d.nxt += len(data)
        if d.hist_end != d.nxt - len(data):
            d.hist.clear()
        d.hist += data
        d.hist_end = d.nxt
        if len(d.hist) > 2 * self.history:  # trim in bulk: amortised O(1) per byte
            del d.hist[: len(d.hist) - self.history]

    def _skip_to_first(self, d: _Direction, out: _Out, to: int) -> None:
        """Give up on the hole before offset ``to`` (the earliest buffered piece or the FIN)."""
        out.holes.append((out.size, to - d.nxt))
        d.nxt = to
        d.hist.clear()
        d.hist_end = d.nxt
        self._weird(d, out, "tcp_gap")

    def _enforce(self, d: _Direction, out: _Out) -> None:
        """While a bound is exceeded, give up on the oldest hole and deliver what follows."""
        while d.starts and (d.buffered > self.max_buffered
                            or len(d.starts) > self.max_segments):
            self._weird(d, out, "tcp_reassembly_limit")
            self._skip_to_first(d, out, d.starts[0])
            self._advance(d, out)
