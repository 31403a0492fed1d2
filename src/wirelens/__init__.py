"""wirelens: intelligent network traffic analysis."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["CaptureError", "WirelensError", "__version__", "analyze", "iter_flows"]


def __getattr__(name: str) -> Any:  # lazy: importing wirelens must stay cheap
    if name in ("analyze", "iter_flows"):
        from wirelens.pipeline import api

        return getattr(api, name)
    if name in ("CaptureError", "WirelensError"):
        from wirelens.core import errors

        return getattr(errors, name)
    raise AttributeError(name)
