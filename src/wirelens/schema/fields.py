"""Helpers to declare documented Arrow schemas: every field carries a ``doc`` in its metadata."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ns", tz="UTC")


def f(name: str, typ: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    """A field with its documentation stored in the Arrow metadata (key ``doc``)."""
    return pa.field(name, typ, nullable=nullable, metadata={"doc": doc})


def doc_of(field: pa.Field) -> str:
    meta = field.metadata or {}
    doc: bytes = meta.get(b"doc", b"")
    return doc.decode()


def key_fields(ts_doc: str) -> list[pa.Field]:
    """The join keys every table carries: ``ts``, ``uid`` and the connection endpoints."""
    return [
        f("ts", TS, ts_doc, nullable=False),
        f("uid", pa.string(), "Connection id (Zeek-like, stable for the same input); joins to conn.uid."),
        f("orig_h", pa.string(), "Originator address (the side that opened the connection)."),
        f("orig_p", pa.uint16(), "Originator port (0 for protocols without ports)."),
        f("resp_h", pa.string(), "Responder address."),
        f("resp_p", pa.uint16(), "Responder port."),
    ]


def ntlm_server_fields(carrier: str) -> list[pa.Field]:
    """The server names of an NTLM CHALLENGE (MS-NLMP §2.2.2.1) that ``carrier`` (e.g. "A bind
    response") brought: what an unauthenticated client learns of a Windows domain."""
    return [
        f("ntlm_server_nb_name", pa.string(), f"{carrier} carrying an NTLM CHALLENGE: the "
          "server's NetBIOS computer name (what an unauthenticated client learns)."),
        f("ntlm_server_dns_name", pa.string(), "Its DNS computer name."),
        f("ntlm_server_tree", pa.string(), "Its forest (DNS tree) name."),
    ]
