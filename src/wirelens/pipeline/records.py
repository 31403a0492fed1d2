"""Flow columns from the flow table -> rows of the declared ``conn`` table (Arrow)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wirelens.apps import AddressRanges, lookup
from wirelens.core.batch import Tunnel
from wirelens.flow import CONN_STATES, END_REASONS
from wirelens.pipeline.columns import fixed_ascii, format_addrs, format_macs, ragged, ts_array, uids
from wirelens.pipeline.community_id import community_ids
from wirelens.schema.tables import CONN

PROTO_NAMES = {1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre", 50: "esp",
               51: "ah", 58: "icmpv6", 89: "ospf", 103: "pim", 112: "vrrp", 132: "sctp"}
TUNNEL_NAMES = {int(t): t.name.lower() for t in Tunnel if t != Tunnel.NONE}

_DIRECT = [fld.name for fld in CONN if fld.name.endswith(("_pkts", "_ps", "_piat_ms"))
           and not fld.name.startswith("first_")]


def _code_names(names: dict[int, str] | tuple[str, ...]) -> pa.Array:
    """The text of each one-byte code (null where it has none), to be taken by code."""
    of = names if isinstance(names, dict) else dict(enumerate(names))
    return pa.array([of.get(code) for code in range(256)], pa.string())


_PROTO_TEXT = _code_names(PROTO_NAMES)
_TUNNEL_TEXT = _code_names(TUNNEL_NAMES)
_STATE_TEXT = _code_names(CONN_STATES)
_REASON_TEXT = _code_names(END_REASONS)


def _lookup(codes: np.ndarray, text: pa.Array) -> pa.Array:
    """One-byte codes as their text (a table of :func:`_code_names`)."""
    return text.take(pa.array(np.asarray(codes, np.uint8)))


def _tunnel_ends(cols: dict[str, np.ndarray], side: str) -> pa.Array:
    """One side's outer tunnel address as text, null where there is none (both halves 0)."""
    hi, lo = cols[f"{side}_tunnel_hi"], cols[f"{side}_tunnel_lo"]
    none = (hi == 0) & (lo == 0)
    if none.all():
        return pa.nulls(len(hi), pa.string())
    return pc.if_else(pa.array(none), pa.scalar(None, pa.string()), format_addrs(hi, lo))


def _applications(names: list[str | None] | None, n: int) -> tuple[pa.Array, pa.Array]:
    """(application, category) columns of server names (one catalogue lookup per distinct
    name)."""
    if names is None or not any(names):
        return pa.nulls(n, pa.string()), pa.nulls(n, pa.string())
    seen: dict[str, tuple[str, str] | None] = {}
    apps: list[str | None] = [None] * n
    cats: list[str | None] = [None] * n
    for k, name in [(k, name) for k, name in enumerate(names) if name]:  # named ones only
        if name in seen:
            hit = seen[name]
        else:
            hit = seen[name] = lookup(name)
        if hit is not None:
            apps[k], cats[k] = hit
    return pa.array(apps, pa.string()), pa.array(cats, pa.string())


def _by_address(cols: dict[str, np.ndarray], ranges: AddressRanges, application: pa.Array,
                category: pa.Array, service_source: list[str | None] | None,
                ) -> tuple[pa.Array, pa.Array, list[str | None] | None]:
    """Fill null applications from the responder address's range."""
    todo = np.flatnonzero(application.is_null().to_numpy(zero_copy_only=False))
    if todo.size == 0:
        return application, category, service_source
    found = ranges.lookup(cols["resp_hi"][todo], cols["resp_lo"][todo])
    if not (found >= 0).any():
        return application, category, service_source
    apps, cats = application.to_pylist(), category.to_pylist()
    source: list[str | None] = (list(service_source) if service_source is not None
                                else [None] * len(apps))
    for k, e in zip(todo[found >= 0].tolist(), found[found >= 0].tolist()):
        apps[k], cats[k] = ranges.entries[e]
        if source[k] is None:
            source[k] = "catalogue"
    return pa.array(apps, pa.string()), pa.array(cats, pa.string()), source


def conn_batch(
    cols: dict[str, np.ndarray],
    salt: int,
    service: list[str | None] | None = None,
    service_source: list[str | None] | None = None,
    server_name: list[str | None] | None = None,
    name_source: list[str | None] | None = None,
    ranges: AddressRanges | None = None,
    community_seed: int = 0,
) -> pa.RecordBatch:
    """Build a ``conn`` record batch from ended-flow columns (see flow.FlowTable); the
    application and its category come from ``server_name`` through the catalogue, else (with
    ``ranges``) from the responder address's documented range (``service_source`` then
    ``catalogue`` when nothing else identified the flow)."""
    n = len(cols["flow_id"])
    application, category = _applications(server_name, n)
    if ranges is not None:
        application, category, service_source = _by_address(
            cols, ranges, application, category, service_source)
    proto = cols["proto"]
    is_icmp = (proto == 1) | (proto == 58)
    null_str = pa.nulls(n, pa.string())
    out: dict[str, pa.Array] = {
        "ts": ts_array(cols["ts_ns"]),
        "uid": uids(cols["flow_id"], salt),
        "orig_h": format_addrs(cols["orig_hi"], cols["orig_lo"]),
        "orig_p": pa.array(cols["orig_p"], pa.uint16()),
        "resp_h": format_addrs(cols["resp_hi"], cols["resp_lo"]),
        "resp_p": pa.array(cols["resp_p"], pa.uint16()),
        "last_ts": ts_array(cols["last_ts_ns"]),
        "duration": pa.array((cols["last_ts_ns"] - cols["ts_ns"]) / 1e9, pa.float64()),
        "proto": pa.array(proto, pa.uint8()),
        "proto_name": _lookup(proto, _PROTO_TEXT),
        "community_id": community_ids(cols, community_seed),
        "ip_version": pa.array(cols["ip_ver"], pa.uint8()),
        "orig_mac": format_macs(cols["orig_mac"]),
        "resp_mac": format_macs(cols["resp_mac"]),
        "vlan": pa.array(cols["vlan"], pa.uint16()),
        "vlan_inner": pa.array(cols["vlan_inner"], pa.uint16()),
        "tunnel": _lookup(cols["tunnel"], _TUNNEL_TEXT),
        "tunnel_id": pa.array(cols["tunnel_id"], pa.uint32()),
        "tunnel_orig_h": _tunnel_ends(cols, "orig"),
        "tunnel_resp_h": _tunnel_ends(cols, "resp"),
        "service": pa.array(service, pa.string()) if service is not None else null_str,
        "service_source": (pa.array(service_source, pa.string()) if service_source is not None
                           else null_str),
        "server_name": pa.array(server_name, pa.string()) if server_name is not None else null_str,
        "conn_state": _lookup(cols["conn_state"], _STATE_TEXT),
        "history": fixed_ascii(cols["history"]),
        "end_reason": _lookup(cols["end_reason"], _REASON_TEXT),
        "orig_pkts": pa.array(cols["orig_pkts"], pa.uint64()),
        "resp_pkts": pa.array(cols["resp_pkts"], pa.uint64()),
        "orig_ip_bytes": pa.array(cols["orig_ip_bytes"], pa.uint64()),
        "resp_ip_bytes": pa.array(cols["resp_ip_bytes"], pa.uint64()),
        "orig_bytes": pa.array(cols["orig_payload_bytes"], pa.uint64()),
        "resp_bytes": pa.array(cols["resp_payload_bytes"], pa.uint64()),
        "orig_wire_bytes": pa.array(cols["orig_wire_bytes"], pa.uint64()),
        "resp_wire_bytes": pa.array(cols["resp_wire_bytes"], pa.uint64()),
        "missed_bytes": pa.array(cols["orig_missed_bytes"] + cols["resp_missed_bytes"],
                                 pa.uint64()),
        "orig_retrans_bytes": pa.array(cols["orig_retrans_bytes"], pa.uint64()),
        "resp_retrans_bytes": pa.array(cols["resp_retrans_bytes"], pa.uint64()),
        "icmp_type": pa.array(cols["icmp_type"], pa.uint8(), mask=~is_icmp),
        "icmp_code": pa.array(cols["icmp_code"], pa.uint8(), mask=~is_icmp),
        "first_ps": ragged(cols["first_ps"], cols["first_n"], pa.uint16()),
        "first_dir": ragged(cols["first_dir"], cols["first_n"], pa.uint8()),
        "first_piat_ms": ragged(cols["first_piat_ms"], cols["first_n"], pa.float32()),
        "name_source": pa.array(name_source, pa.string()) if name_source is not None else null_str,
    }
    out["application"], out["category"] = application, category
    for name in _DIRECT:
        out[name] = pa.array(cols[name], CONN.field(name).type)
    return pa.RecordBatch.from_arrays([out[fld.name] for fld in CONN], schema=CONN)


__all__ = ["PROTO_NAMES", "TUNNEL_NAMES", "conn_batch"]
