"""Capture input: pcap, pcapng, compressed files, stdin, directories; and pcap writing.

Public API::

    open_capture(path, batch_bytes=limits.BATCH_BYTES) -> CaptureSource
    expand_inputs(paths) -> ExpandedInputs (a list[str] with .skipped and .repeated)
    count_packets(path) -> (packets, problems)
"""

from wirelens.capture._io import EndInput, waiting_on_pipe
from wirelens.capture.inputs import (
    ExpandedInputs,
    expand_inputs,
    is_capture_file,
    named_as_capture,
)
from wirelens.capture.source import CaptureSource, count_packets, open_capture
from wirelens.capture.writer import PcapngWriter, PcapWriter

__all__ = [
    "CaptureSource",
    "EndInput",
    "ExpandedInputs",
    "PcapWriter",
    "PcapngWriter",
    "count_packets",
    "expand_inputs",
    "is_capture_file",
    "named_as_capture",
    "open_capture",
    "waiting_on_pipe",
]
