"""Declared Arrow schemas of every table wirelens writes."""

from wirelens.schema.tables import SCHEMAS, TABLE_DOCS

__all__ = ["SCHEMAS", "TABLE_DOCS"]
