"""Named limits of the dissectors, each with its reason.

They live here rather than in :mod:`wirelens.core.limits` so that the dissector package can
be fuzzed and reasoned about on its own; they are plain constants and may be moved to core
later without changing their names.
"""

DNS_MAX_NAME_LENGTH = 255
"""A domain name is at most 255 octets on the wire (RFC 1035 §2.3.4)."""

DNS_MAX_LABEL_LENGTH = 63
"""A label is at most 63 octets (RFC 1035 §2.3.4); the two high bits mark pointers."""

DNS_MAX_LABELS = 128
"""Labels in one name (255 octets allow at most 127 one-byte labels plus the root)."""

DNS_MAX_POINTERS = 64
"""Compression pointers followed while reading one name. Pointers must also go strictly
backwards, so loops are impossible; this bounds the work on a hostile message."""

DNS_MAX_RECORDS = 4096
"""Resource records in one message (all sections). A 64 KiB message holds at most about
5,900 minimal records; more is a lie of the header counts."""

DNS_MAX_ANSWERS_KEPT = 256
"""Answers kept in one event (the rest are parsed and counted, not listed)."""

DNS_MAX_PENDING = 256
"""Queries waiting for their response in one flow; beyond that the oldest is emitted alone."""

DNS_TCP_MAX_BUFFER = 2 + 65_535
"""Bytes buffered per direction of a DNS-over-TCP flow: one whole message and its prefix."""

HTTP_MAX_HEADER_BYTES = 64 * 1024
"""A start line plus header block larger than this is refused (servers use 8-64 KiB)."""

HTTP_MAX_LINE_BYTES = 8 * 1024
"""A chunk-size or trailer line longer than this is refused."""

HTTP_MAX_PENDING = 64
"""Pipelined requests waiting for their response in one flow."""

TLS_MAX_RECORD_BYTES = 2**14 + 2048
"""TLSCiphertext.length must not exceed 2^14 + 2048 (RFC 5246 §6.2.3; 8446 §5.2 is
stricter: 2^14 + 256)."""

TLS_MAX_HELLO_BYTES = 64 * 1024
"""A ClientHello/ServerHello bigger than this is refused (real ones, even with post-quantum
key shares, are a few KiB)."""
