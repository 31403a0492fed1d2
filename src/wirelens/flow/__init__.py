"""Bidirectional flows: the numba flow table, expiry and per-flow statistics."""

from wirelens.flow._layout import CONN_STATES, DPI_HANDSHAKE, DPI_MARK, END_REASONS, END_REUSE
from wirelens.flow.reverse import reverse_flows
from wirelens.flow.table import FLOW_COLUMNS, FlowColumns, FlowStep, FlowTable, empty_flow_columns

__all__ = [
    "CONN_STATES",
    "DPI_HANDSHAKE",
    "DPI_MARK",
    "END_REASONS",
    "END_REUSE",
    "FLOW_COLUMNS",
    "FlowColumns",
    "FlowStep",
    "FlowTable",
    "empty_flow_columns",
    "reverse_flows",
]
