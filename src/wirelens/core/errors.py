"""The exception families of wirelens.

Capture problems are *data* (a :class:`CaptureProblem` is recorded and the run goes on with
what could be read); exceptions are reserved for what stops a source altogether.
"""

from __future__ import annotations

from dataclasses import dataclass


class WirelensError(Exception):
    """Base class of every error raised on purpose by wirelens."""


class CaptureError(WirelensError):
    """A capture source cannot be opened or read at all (not a file, unknown format, ...)."""


@dataclass(frozen=True, slots=True)
class CaptureProblem:
    """Damage found while reading a capture; packets before it were kept."""

    source: str
    """The file (or ``-`` for stdin) the problem is in."""
    kind: str
    """Stable snake_case name: ``truncated_record``, ``bad_record_length``, ``bad_block_length``,
    ``bad_magic``, ``truncated_header``, ``decompress_error``, ``unsupported_format``..."""
    byte_offset: int
    """Offset in the (decompressed) stream where the damage starts."""
    packets_before: int
    """How many packets of this source were read before the damage."""
    detail: str = ""
    """Extra human detail (e.g. the absurd length that was claimed)."""

    def __str__(self) -> str:
        what = self.kind.replace("_", " ")
        extra = f" ({self.detail})" if self.detail else ""
        return (
            f"{self.source}: {what} at byte {self.byte_offset} "
            f"after {self.packets_before} packets{extra}"
        )
