"""The DPI stage: hands the payloads of flows still being identified to the dissectors.

Only packets the flow table marked (``FlowStep.pkt_dpi``: payload-carrying packets among a
flow's first few, while its DPI is on) reach Python here. A dissector that raises
``ParseError`` records a weird (once per flow) and is switched off for that flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from wirelens.core.batch import PacketBatch, RawBatch
from wirelens.dissect.registry import identify
from wirelens.pipeline.columns import format_addrs, uid_one
from wirelens.wire.errors import ParseError

UNIDENTIFIED_TRIES = 4
"""Payload packets looked at before giving up on identifying a flow."""

PROBE_BYTES = 4096
"""Bytes per direction kept while a flow is unidentified, so a message whose first segment
is too short to recognise (a DNS-over-TCP length prefix alone) is identified on the next."""

_EVENT_TABLE = {"dns": "dns", "http": "http", "tls": "tls"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(slots=True)
class FlowDpi:
    """What DPI knows of one flow."""

    orig: tuple[str, int, str, int]
    proto: int
    dissector: Any = None
    tries: int = 0
    service: str | None = None
    server_name: str | None = None
    stopped: bool = False
    failed: bool = False
    uid: str | None = None
    probe: dict[bool, bytes] = field(default_factory=dict)


@dataclass
class DpiStage:
    salt: int = 0
    flows: dict[int, FlowDpi] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    weirds: list[dict[str, Any]] = field(default_factory=list)
    payload_packets: int = 0

    def process(self, raw: RawBatch, pkts: PacketBatch, flow_ids: np.ndarray, slots: np.ndarray,
                dirs: np.ndarray, marked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run dissectors on the marked packets; returns (slots, flow_ids) whose DPI is over."""
        idx = np.flatnonzero(marked)
        stop_slots: list[int] = []
        stop_ids: list[int] = []
        if idx.size == 0:
            return np.empty(0, np.int32), np.empty(0, np.uint64)
        self.payload_packets += int(idx.size)
        data = raw.data
        poff, plen = pkts.payload_off, pkts.payload_len
        src = dst = None
        for k, i in enumerate(idx.tolist()):
            fid = int(flow_ids[i])
            st = self.flows.get(fid)
            from_orig = dirs[i] == 0
            if st is None:
                if src is None:  # format the addresses of the marked packets in one go
                    src = format_addrs(pkts.src_hi[idx], pkts.src_lo[idx]).to_pylist()
                    dst = format_addrs(pkts.dst_hi[idx], pkts.dst_lo[idx]).to_pylist()
                sp, dp = int(pkts.sport[i]), int(pkts.dport[i])
                ends = (src[k], sp, dst[k], dp) if from_orig else (dst[k], dp, src[k], sp)
                st = self.flows[fid] = FlowDpi(ends, int(pkts.proto[i]))
            if st.stopped:
                continue
            off = int(poff[i])
            payload = bytes(data[off: off + int(plen[i])])
            ts = int(raw.ts_ns[i])
            if st.dissector is None:
                from_o = bool(from_orig)
                if st.proto == 6:  # a stream: look at what this direction sent so far
                    payload = (st.probe.get(from_o, b"") + payload)[:PROBE_BYTES]
                cls = identify(payload, st.proto, from_o, int(pkts.sport[i]), int(pkts.dport[i]))
                st.tries += 1
                if cls is None:
                    if st.proto == 6:
                        st.probe[from_o] = payload
                    if st.tries >= UNIDENTIFIED_TRIES:
                        st.stopped = True
                        stop_slots.append(int(slots[i]))
                        stop_ids.append(fid)
                    continue
                st.dissector = cls(st.proto)
                st.service = cls.name
                if st.proto == 6 and st.probe.get(not from_o):
                    # the other direction spoke first: hand it over before this payload
                    self._feed(st, fid, st.probe[not from_o], not from_o, ts)
                st.probe = {}
                if st.stopped:
                    stop_slots.append(int(slots[i]))
                    stop_ids.append(fid)
                    continue
            self._feed(st, fid, payload, bool(from_orig), ts)
            if st.stopped:
                stop_slots.append(int(slots[i]))
                stop_ids.append(fid)
        return np.array(stop_slots, np.int32), np.array(stop_ids, np.uint64)

    def _feed(self, st: FlowDpi, fid: int, payload: bytes, from_orig: bool, ts: int) -> None:
        d = st.dissector
        try:
            events = d.feed(payload, from_orig, ts)
        except ParseError as exc:
            self._weird(st, fid, ts, f"{d.name}_{_CAMEL.sub('_', type(exc).__name__).lower()}",
                        str(exc)[:200], d.name)
            st.stopped = st.failed = True
            st.server_name = st.server_name or getattr(d, "server_name", None)
            return
        if getattr(d, "server_name", None):
            st.server_name = d.server_name
        table = _EVENT_TABLE.get(d.name)
        if table is not None:
            for ev in events:
                self._event(table, st, fid, ev, ts)
        if getattr(d, "done", False):
            st.stopped = True

    def _event(self, table: str, st: FlowDpi, fid: int, ev: Any, ts: int) -> None:
        row = {f.name: getattr(ev, f.name) for f in fields(ev)}
        row["ts"] = getattr(ev, "ts_ns", None) or ts
        rtt = row.get("rtt_ns")
        if rtt is not None:
            row["rtt"] = rtt / 1e9
        row["uid"] = self._uid(st, fid)
        row["orig_h"], row["orig_p"], row["resp_h"], row["resp_p"] = st.orig
        row["_proto"] = st.proto
        self.events.setdefault(table, []).append(row)

    def _uid(self, st: FlowDpi, fid: int) -> str:
        if st.uid is None:
            st.uid = uid_one(fid, self.salt)
        return st.uid

    def _weird(self, st: FlowDpi, fid: int, ts: int, name: str, detail: str, source: str) -> None:
        self.weirds.append({"ts": ts, "uid": self._uid(st, fid), "orig_h": st.orig[0],
                            "resp_h": st.orig[2], "name": name, "source": source, "count": 1,
                            "detail": detail})

    def finish(self, flow_ids: np.ndarray, last_ts_ns: np.ndarray) -> tuple[list[str | None], list[str | None],
                                                    list[str | None]]:
        """Service, how it was decided, and server name of ended flows; forgets them."""
        service: list[str | None] = []
        source: list[str | None] = []
        names: list[str | None] = []
        pop = self.flows.pop
        for fid, last in zip(flow_ids.tolist(), last_ts_ns.tolist()):
            st = pop(fid, None)
            if st is not None and st.dissector is not None and not st.failed:
                self._finish_dissector(st, fid, last)
            if st is None or st.service is None:
                service.append(None)
                source.append(None)
                names.append(st.server_name if st is not None else None)
            else:
                service.append(st.service)
                source.append("content")
                names.append(st.server_name)
        return service, source, names

    def _finish_dissector(self, st: FlowDpi, fid: int, last_ts: int) -> None:
        d = st.dissector
        try:
            events = d.finish()
        except ParseError as exc:
            self._weird(st, fid, last_ts, f"{d.name}_{_CAMEL.sub('_', type(exc).__name__).lower()}",
                        str(exc)[:200], d.name)
            return
        table = _EVENT_TABLE.get(d.name)
        if table is not None:
            for ev in events:
                self._event(table, st, fid, ev, ev.ts_ns)
        if getattr(d, "server_name", None):
            st.server_name = d.server_name

    def take_events(self) -> dict[str, list[dict[str, Any]]]:
        out, self.events = self.events, {}
        return out

    def take_weirds(self) -> list[dict[str, Any]]:
        out, self.weirds = self.weirds, []
        return out
