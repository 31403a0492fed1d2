"""Flows that continue a flow the active timeout ended.

The active timeout (30 minutes by default) writes a long connection in pieces: the flow table
ends the flow and the next packet on the same endpoints starts a new one. That new flow saw
no handshake and, often, nothing its content tests recognise (a TLS session's application
data, an SSH session's encrypted packets); its first packet may come from the server. Left
alone, every piece after the first would lose what the first one learnt -- the service, the
server name and so the application -- and may have its roles backwards.

:class:`Continuations` remembers the pieces the active timeout ended (bounded:
:data:`~wirelens.core.limits.CONTINUED_MAX`) and, for a flow on the same endpoints (the flow
table's key) that started within the idle timeout of such a piece's last packet and without
a SYN (a SYN starts a new connection), keeps the piece's roles and fills what the new flow
did not find itself: a service its content did not name (none, or only guessed from the
port or the DNS cache) and a server name it did not carry (none, or one from the DNS cache),
``service_source`` and ``name_source`` then ``continued``. Its own content still wins.

It works on the ended flows at each hand-over in two steps, as the runner needs them: the
roles before the DPI stage's results are read (:meth:`Continuations.link`), the names after
(:meth:`Continuations.inherit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wirelens.core import limits
from wirelens.flow._layout import END_ACTIVE
from wirelens.pipeline.columns import mix64

CONTINUED = "continued"
"""``service_source`` and ``name_source`` of what a flow took from the piece it continues."""

_STRONG = frozenset({"content", "expected", CONTINUED})
"""Service sources a continuation keeps (weaker ones: port, dns-cache, catalogue, none)."""

_GTP = 5
"""Tunnel type GTP-U: the flow key leaves its TEID out (the two directions' differ)."""


def flow_key(a: tuple[int, int, int], b: tuple[int, int, int], proto: int, vlan: int,
             vlan_inner: int, tunnel: int, tunnel_id: int, vlan_key: bool) -> tuple[int, ...]:
    """The flow table's key of a flow between the endpoints ``a`` and ``b`` (address high
    and low 64 bits, port), the endpoints in a fixed order: equal for both directions."""
    vlans = (vlan, vlan_inner) if vlan_key else (0, 0)
    return (*min(a, b), *max(a, b), proto, *vlans, tunnel, 0 if tunnel == _GTP else tunnel_id)


@dataclass
class _Piece:
    """A flow the active timeout ended, as the flow that continues it needs it."""

    orig: tuple[int, int, int]
    """The originator's (address high, address low, port), as written."""
    last_ts_ns: int
    h: int
    """Its flow key's hash (:meth:`Continuations._hash`)."""
    service: str | None = None
    service_source: str | None = None
    server_name: str | None = None
    name_source: str | None = None


@dataclass
class Links:
    """What :meth:`Continuations.link` found in one set of ended flows, for
    :meth:`Continuations.inherit`: per row (in row order), the piece it continues (or None)
    and the piece it is (when the active timeout ended it, else None)."""

    rows: list[int]
    parents: list[_Piece | None]
    pieces: list[_Piece | None]


class Continuations:
    """The pieces the active timeout ended, waiting for the flow that continues each."""

    def __init__(self, idle_timeout_s: float, vlan_key: bool = True,
                 bound: int = limits.CONTINUED_MAX) -> None:
        self.idle_ns = round(idle_timeout_s * 1e9)
        self.vlan_key = vlan_key
        self.bound = bound
        self._waiting: dict[tuple[int, ...], _Piece] = {}  # by flow key, oldest first
        self._hashes: dict[int, int] = {}  # key hash -> pieces waiting with it

    def __len__(self) -> int:
        return len(self._waiting)

    def link(self, cols: dict[str, np.ndarray], flip: np.ndarray) -> Links | None:
        """Pair the ended flows ``cols`` (in row order) with the pieces they continue, and
        remember those the active timeout ended. ``flip`` (the rows to be written reversed)
        is changed in place so a continuation keeps its piece's roles. None when no row is
        either."""
        active = cols["end_reason"] == END_ACTIVE
        if not self._waiting and not active.any():
            return None
        hashes = self._hash(cols)
        known = np.fromiter(self._hashes, np.uint64, len(self._hashes))
        rows = np.flatnonzero(active | np.isin(hashes, np.r_[known, hashes[active]]))
        links = Links([], [], [])
        syn = cols["orig_syn_pkts"] + cols["resp_syn_pkts"]
        for k in rows.tolist():
            a = (int(cols["orig_hi"][k]), int(cols["orig_lo"][k]), int(cols["orig_p"][k]))
            b = (int(cols["resp_hi"][k]), int(cols["resp_lo"][k]), int(cols["resp_p"][k]))
            key = self._key(cols, k, a, b)
            h = int(hashes[k])
            orig = b if flip[k] else a
            parent = self._waiting.get(key)
            start = int(cols["ts_ns"][k])
            if parent is not None and (syn[k] or not 0 <= start - parent.last_ts_ns
                                       <= self.idle_ns):
                parent = None  # (a new connection, or too late to continue that piece)
            if parent is not None:
                self._forget(key)
                if orig != parent.orig:
                    flip[k] = not flip[k]
                    orig = parent.orig
            piece = None
            if active[k]:
                piece = _Piece(orig, int(cols["last_ts_ns"][k]), h)
                self._remember(key, piece)
            if parent is not None or piece is not None:
                links.rows.append(k)
                links.parents.append(parent)
                links.pieces.append(piece)
        return links

    @staticmethod
    def inherit(links: Links | None, service: list[str | None], service_source:
                list[str | None], server_name: list[str | None],
                name_source: list[str | None]) -> None:
        """Fill the continuations' missing service and name from their pieces (lists per
        ended flow, as the DPI stage decided them: changed in place), and note what each piece
        the active timeout ended was decided to be."""
        if links is None:
            return
        for k, parent, piece in zip(links.rows, links.parents, links.pieces):
            if parent is not None:
                if (parent.service is not None and parent.service_source in _STRONG
                        and service_source[k] not in ("content", "expected")):
                    service[k], service_source[k] = parent.service, CONTINUED
                if parent.server_name and (not server_name[k] or (
                        name_source[k] == "dns_cache" and parent.name_source != "dns_cache")):
                    server_name[k], name_source[k] = parent.server_name, CONTINUED
            if piece is not None:
                piece.service, piece.service_source = service[k], service_source[k]
                piece.server_name, piece.name_source = server_name[k], name_source[k]

    # -- the waiting pieces ---------------------------------------------------------------
    def _remember(self, key: tuple[int, ...], piece: _Piece) -> None:
        if key in self._waiting:
            self._forget(key)
        elif len(self._waiting) >= self.bound:  # the oldest piece gives way
            self._forget(next(iter(self._waiting)))
        self._waiting[key] = piece
        self._hashes[piece.h] = self._hashes.get(piece.h, 0) + 1

    def _forget(self, key: tuple[int, ...]) -> None:
        h = self._waiting.pop(key).h
        left = self._hashes[h] - 1
        if left:
            self._hashes[h] = left
        else:
            del self._hashes[h]

    # -- the flow key ---------------------------------------------------------------------
    def _key(self, cols: dict[str, np.ndarray], k: int, a: tuple[int, int, int],
             b: tuple[int, int, int]) -> tuple[int, ...]:
        """The flow table's key of row ``k`` (endpoints ``a`` and ``b``)."""
        return flow_key(a, b, int(cols["proto"][k]), int(cols["vlan"][k]),
                        int(cols["vlan_inner"][k]), int(cols["tunnel"][k]),
                        int(cols["tunnel_id"][k]), self.vlan_key)

    def _hash(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        """A hash of each row's flow key, the same in either orientation (a filter: equal
        keys have equal hashes; :meth:`_key` compares them whole)."""
        def side(hi: np.ndarray, lo: np.ndarray, port: np.ndarray) -> np.ndarray:
            return mix64(hi.astype(np.uint64) ^ mix64(lo.astype(np.uint64)
                                                      ^ port.astype(np.uint64)))

        with np.errstate(over="ignore"):
            ends = (side(cols["orig_hi"], cols["orig_lo"], cols["orig_p"])
                    + side(cols["resp_hi"], cols["resp_lo"], cols["resp_p"]))
            tun = cols["tunnel"].astype(np.uint64)
            rest = (cols["proto"].astype(np.uint64) | tun << np.uint64(8)) ^ mix64(
                np.where(tun == _GTP, np.uint64(0), cols["tunnel_id"].astype(np.uint64)))
            if self.vlan_key:
                rest = rest ^ mix64(cols["vlan"].astype(np.uint64) << np.uint64(16)
                                    | cols["vlan_inner"].astype(np.uint64))
            return mix64(ends ^ mix64(rest))


__all__ = ["CONTINUED", "Continuations", "Links", "flow_key"]
