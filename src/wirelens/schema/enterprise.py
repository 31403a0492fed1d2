"""Schemas of the enterprise-protocol tables: smb, rdp, snmp, sip, mqtt.

One documented Arrow schema per table; each table = the join keys (``key_fields``) plus one
field per field of the dissector's event class (same names; ``ts_ns`` becomes ``ts``).
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import f, key_fields

__all__ = ["SNMP", "TABLES"]

_STRS = pa.list_(pa.string())

SNMP = pa.schema(
    key_fields("Time of the datagram carrying the PDU.")
    + [
        f("from_orig", pa.bool_(), "The PDU was sent by the flow's originator."),
        f("version", pa.uint8(), "SNMP message version: 0 = v1, 1 = v2c, 3 = v3."),
        f("version_name", pa.string(), "Readable twin of version (v1, v2c, v3)."),
        f(
            "community",
            pa.string(),
            "Community string (the v1/v2c credential): '<redacted>' unless "
            "the run was made with show_passwords; null for v3.",
        ),
        f(
            "community_default",
            pa.bool_(),
            "The community is a factory default ('public' or 'private'); null for v3.",
        ),
        f("v3_user", pa.string(), "SNMPv3 USM user name (null for v1/v2c)."),
        f(
            "pdu_type",
            pa.uint8(),
            "PDU tag (0xA0 get_request .. 0xA8 report); null when encrypted (v3).",
        ),
        f(
            "pdu_type_name",
            pa.string(),
            "Readable twin of pdu_type (get_request, get_next_request, "
            "response, set_request, trap_v1, get_bulk_request, inform_request, snmpv2_trap, report).",
        ),
        f(
            "request_id",
            pa.int64(),
            "request-id (pairs a request with its response); null for v1 traps.",
        ),
        f("error_status", pa.int64(), "error-status (non-repeaters for get_bulk_request)."),
        f(
            "error_status_name",
            pa.string(),
            "Readable twin of error_status (noError, noSuchName, ...); "
            "null for get_bulk_request and traps.",
        ),
        f("error_index", pa.int64(), "error-index (max-repetitions for get_bulk_request)."),
        f("oids", _STRS, "Names (dotted OIDs) of the first 8 varbinds."),
        f("values", _STRS, "Readable values of the same varbinds ('' for NULL)."),
        f("n_varbinds", pa.uint32(), "Varbinds in the PDU."),
        f("trap_enterprise", pa.string(), "SNMPv1 trap: enterprise OID."),
        f("trap_agent_addr", pa.string(), "SNMPv1 trap: agent address."),
        f(
            "trap_generic",
            pa.int64(),
            "SNMPv1 trap: generic-trap (0 coldStart .. 6 enterpriseSpecific).",
        ),
        f("trap_specific", pa.int64(), "SNMPv1 trap: specific-trap."),
    ]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "snmp": (SNMP, "One row per SNMP PDU (v1/v2c, v3 recognised); community redacted by default."),
}
"""Table name -> (schema, one-line doc)."""
