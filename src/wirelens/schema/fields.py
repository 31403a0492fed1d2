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


def ntlm_fields(client: str, server: str) -> list[pa.Field]:
    """Who authenticated with NTLM (MS-NLMP §2.2.1.3), from the AUTHENTICATE that ``client``
    (e.g. "Bind with NTLM") carried, and the server names of the CHALLENGE (§2.2.2.1) that
    ``server`` (e.g. "Bind response") brought: what an unauthenticated client learns of a
    Windows domain."""
    return [
        f("ntlm_user", pa.string(), f"{client}: the user of the NTLM AUTHENTICATE message."),
        f("ntlm_domain", pa.string(), "Its domain."),
        f("ntlm_host", pa.string(), "Its workstation."),
        f("ntlm_server_nb_name", pa.string(), f"{server} carrying an NTLM CHALLENGE: the "
          "server's NetBIOS computer name (what an unauthenticated client learns)."),
        f("ntlm_server_dns_name", pa.string(), "Its DNS computer name."),
        f("ntlm_server_tree", pa.string(), "Its forest (DNS tree) name."),
    ]
