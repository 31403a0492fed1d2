"""A TCP connection's dissector state, carried over to the flow that continues it.

The flow table ends flows whose connection goes on: at the active timeout (a long connection
is written in pieces), when the table is full (the oldest idle flow is evicted), after a
silence longer than the idle timeout. The connection's next packet starts a new flow on the
same key, without a handshake. DPI would then start afresh in the middle of the stream: a
transaction under way at the cut (an HTTP request whose response comes after it, a Modbus
poll) would be written as two halves, one in each piece, and the new flow's first bytes --
the middle of a message -- would often be recognised as nothing.

:class:`Carry` knows the key of every TCP flow whose dissector state DPI holds. When a new
TCP flow's first payload packet (no SYN, no handshake seen) finds such a state under another
flow id, that flow ended (the flow table holds one flow per key) and its end has not been
handed to the DPI stage yet (ended flows are gathered, ``limits.EMIT_BYTES``); if the
packet's sequence number continues that state's stream (or, for a direction whose stream
has not started, its acknowledgement the other one's) within :data:`CARRY_WINDOW`, the new
flow takes the state over (:meth:`wirelens.pipeline.dpi.DpiStage._carry_over`): its
dissector reads on from where it was, with the connection's roles, a transaction completed
now is written with the new flow's uid, and the ended flow is written with the service and
server name it had at the hand-over; the continuation's ``service_source`` is the state's
(``content``: its dissector read the continuation's bytes as that protocol).

A flow the active timeout cut is often written before its connection's next packet comes
(ended flows are handed over every ``limits.EMIT_BYTES`` of input: a fraction of a second on
a busy link, less than a polling connection's pause). Its state then waits
(:attr:`Carry.parked`, ``DpiStage._park``): taken over as above by a continuation that comes
within the idle timeout after the cut flow's last packet, else closed then (its pending rows
written with the cut flow's uid), at the latest at the end of the input; at most
``limits.DPI_PARKED_MAX`` wait (the oldest closed first). A flow ended otherwise (a silence
past the idle timeout; an eviction, whose point is the memory it frees) is taken over only
before its hand-over; after it, its continuation starts afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from wirelens.flow.reassembly import TcpReassembler, seq_diff

CARRY_WINDOW = 1 << 20
"""How far (sequence numbers, either way) a packet may be from where a held stream expects
its next byte and still continue it: reordering and bytes in flight at the cut, not a
different stream on the same endpoints."""


class Carry:
    """Keys of the TCP flows whose dissector state is held, and what flows that handed theirs
    over were decided to be."""

    def __init__(self, vlan_key: bool = True) -> None:
        self.vlan_key = vlan_key
        self.by_key: dict[tuple[int, ...], int] = {}
        """Flow key -> id of the flow holding dissector state under it."""
        self.handed: dict[int, tuple[str, str, str | None, str | None]] = {}
        """Flow id of a flow whose state a continuation took -> (service, service source,
        server name, name source) at the hand-over, for its own row."""
        self.parked: OrderedDict[int, tuple[Any, int]] = OrderedDict()
        """Flow id of a flow the active timeout cut, written already -> (its state, its last
        packet's time), oldest first: waiting for the flow that continues it."""

    def forget(self, key: tuple[int, ...] | None, fid: int) -> None:
        """Flow ``fid`` (keyed ``key``) ended: its state is no longer held under its key."""
        if key is not None and self.by_key.get(key) == fid:
            del self.by_key[key]

    @staticmethod
    def continues(reasm: TcpReassembler, skips: dict[bool, list[int]] | None, client: bool,
                  seq: int, ack: int | None) -> bool:
        """Whether a segment from the client (``client``) or the server, with sequence
        number ``seq`` and acknowledgement ``ack`` (None without ACK), continues the streams
        ``reasm`` holds (``skips``: the bytes a side is passing over, ``FlowDpi.skips``)."""
        def expected(side: bool) -> int | None:
            if skips and side in skips:
                return skips[side][3]  # the end of what was passed over so far
            return reasm.next_seq(side) if reasm.started(side) else None

        at = expected(client)
        if at is not None:
            return abs(seq_diff(seq, at)) <= CARRY_WINDOW
        other = expected(not client)
        return ack is not None and other is not None and abs(seq_diff(ack, other)) <= CARRY_WINDOW


__all__ = ["CARRY_WINDOW", "Carry"]
