"""Readable descriptions of the declared tables (``wirelens schema``)."""

from __future__ import annotations

from wirelens.schema import SCHEMAS, TABLE_DOCS
from wirelens.schema.fields import doc_of


def describe(table: str) -> list[dict[str, str]]:
    """Columns of ``table`` as rows of name, type, nullable and doc."""
    if table not in SCHEMAS:
        raise KeyError(f"unknown table {table!r}; tables: {', '.join(SCHEMAS)}")
    return [
        {"name": fld.name, "type": str(fld.type), "nullable": str(fld.nullable).lower(),
         "doc": doc_of(fld)}
        for fld in SCHEMAS[table]
    ]


def tables() -> dict[str, str]:
    return dict(TABLE_DOCS)
