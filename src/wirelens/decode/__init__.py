"""L2..L4 decoding of whole batches into columns (numba kernels).

``Decoder`` turns a :class:`~wirelens.core.batch.RawBatch` into a
:class:`~wirelens.core.batch.PacketBatch`; ``FragmentReassembler`` collects the rows with status
FRAGMENT and hands back reassembled datagrams, decoded the same way.
"""

from wirelens.decode.decoder import Decoder
from wirelens.decode.fragments import FragmentReassembler, TimeOrder

__all__ = ["Decoder", "FragmentReassembler", "TimeOrder"]
