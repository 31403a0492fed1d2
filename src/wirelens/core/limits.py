"""Named limits and defaults. Every bound in the engine lives here, with its reason."""

BATCH_BYTES = 2 * 1024 * 1024
"""Size of one read window of a capture (a batch): about one core's L2 cache, so the bytes
the reader copies in are still cached when the decoder reads their headers (measured on
big.pcap, flows only: read + decode 1.3 s with 16 MiB windows, 0.86 s with 2 MiB; 1 MiB no
better), and large enough that Python's cost per batch stays small. What is done per batch of
*output* (conn rows, protocol rows, Parquet writes) is gathered over ``EMIT_BYTES``."""

MAX_BATCH_BYTES = 1 << 30
"""The largest read window ``AnalyzeOptions.batch_bytes`` takes (1 GiB: far past any gain,
and the batch's columns are sized from it)."""

EMIT_BYTES = 16 * 1024 * 1024
"""Flows that ended and protocol rows are gathered and handed to the sinks once this much
input (captured bytes) has been read since the last hand-over, once ``EMIT_ROWS`` flows have
ended, and at the end of the input: output still streams while the input is read, in pieces
big enough that building and writing them costs little per row."""

EMIT_ROWS = 65_536
"""Ended flows gathered at most before they are handed to the sinks (memory stays flat)."""

MAX_PACKETS_PER_BATCH = 262_144
"""Upper bound of packets in one batch (column arrays are allocated at this size once)."""

MAX_RECORD_BYTES = 256 * 1024
"""A pcap/pcapng record claiming more captured bytes than this is corrupt (real snaplens are
at most 262144); the reader reports it and stops the file instead of allocating."""

INPUT_ORDER_SLACK_S = 1.0
"""How far a file's first packet may come before the last packet of the inputs read before it
without a notice in the run summary: the flow table counts an older packet at the latest time
seen, so files read out of the order they were written (or overlapping captures) distort the
flows that span them."""

EXPECTED_MAX = 4096
"""Announced connections (FTP data, TFTP transfers: ``pipeline.expected``) waiting at most;
the oldest is forgotten first."""

EXPECTED_TIMEOUT_S = 300.0
"""How long an announced connection is waited for (clients open a passive FTP data connection
at once; 300 s is Zeek's FTP expectation too)."""

IDLE_TIMEOUT_S = 120.0
"""Default flow idle timeout (NFStream and many meters use 120 s)."""

ACTIVE_TIMEOUT_S = 1800.0
"""Default flow active timeout: a flow longer than this is emitted and a new one started."""

TIMESTAMP_OUT_OF_LINE_S = 3600.0
"""A packet stamped more than this after both its neighbours, which are within this of each
other, has a damaged timestamp: it is counted at its predecessor's time (weird
``timestamp_out_of_line``; :mod:`wirelens.pipeline.clock`)."""

WATERMARK_SLACK_S = 3600.0
"""Margin of the watermark the runner gives the sinks after each hand-over: rows older than
its clock (the latest of the batches' earliest timestamps, at most the newest packet's) minus
idle and active timeout and this are not expected any more (a flow still open started within
those timeouts of the newest packet; its rows are no older than it)."""

MAX_FLOWS = 1_048_576
"""Default hard bound of the flow table (open flows). When full, the flows idle longest are
emitted early (counted as ``evicted``)."""

FIRST_PACKETS = 10
"""How many first packets of a flow keep their size, direction and inter-arrival time."""

DPI_MAX_PACKETS = 65_536
"""Payload-carrying packets per flow the flow table hands to DPI at most: the hard bound on the
Python work per flow. Within it a flow is read while DPI needs it: until identified
(unidentified flows stop after ``IDENTIFY_TRIES`` failed rounds of content tests), then until
its dissector is done (TLS after the hello flight, SSH after the KEXINITs) or has gone
``DPI_IDLE_PACKETS`` packets without writing a row."""

DPI_SKIP_MIN_BYTES = 2048
"""A dissector's skippable bytes (e.g. the rest of an HTTP body of known length, or of a
chunk) are skipped, not fed, from this many on: their packets are passed over (not
reassembled, not parsed, not counted as idle) and the dissector is told of them as a hole.
Smaller ones are fed: they end within the next packet or so, where skipping saves nothing.
As each skip renews the idle budget, a chunked body is followed to its end (and the
transactions after it logged) when its chunks are this size or more."""

DPI_IDLE_PACKETS = 64
"""Payload packets a flow's dissector may read without writing a row before DPI stops reading
the flow: every query of a long DNS flow and every transaction of a persistent HTTP connection
are logged, while a bulk transfer's body (no row until it ends) is not fed to Python. Above
the ~45 packets of a 64 KiB SMB read or write, which writes its row when it ends."""

DPI_EARLY_BYTES = 4 * 1024 * 1024
"""Payload bytes of TCP segments kept, across all flows, from flows no content test has named
yet: when a later segment names the flow, those that belong after it in its stream (they
came early: reordering) are read after it, so a request split in two whose second half came
first is whole. Past the bound the oldest flow's segments are forgotten."""

CONTINUED_MAX = 65_536
"""Flows the active timeout ended remembered at once for the flow that continues each
(:mod:`wirelens.pipeline.continued`: its roles, service and server name; ~300 bytes each):
past it the oldest is forgotten, and its continuation is written as a new flow."""

DPI_MAX_READING = 262_144
"""Flows whose parser and reassembly state DPI holds at once, at most: past it, the flow whose
dissector was made first gives it up (its pending rows written, weird ``dpi_state_limit``)
and is read no further. Bounds DPI's memory (~2-4 KB such a flow: ~1 GB) whatever the flow
table's bound; real traffic keeps far fewer (a flow's state goes when its dissector is done
or idle: ``DPI_IDLE_PACKETS``)."""

DPI_PARKED_MAX = 4096
"""Dissector states of flows the active timeout cut that wait, once their flow was written,
for the flow continuing their connection (:mod:`wirelens.pipeline.dpi_carry`), at most:
past it the oldest gives its rows up (~2-4 KB each: ~16 MB)."""

DPI_FAST_PACKETS = 32
"""Payload packets per flow ``--dpi fast`` (identification and names only) reads at most: a
flow's first packets identify and name it (a name read later, e.g. a STUN realm after
this many binding requests, is lost there). Below ``DPI_IDLE_PACKETS``: a flow read for its
name is bounded by this alone."""

FRAG_MAX_DATAGRAMS = 4096
"""IP datagrams being reassembled at once; beyond that the oldest is dropped (weird)."""

FRAG_TIMEOUT_S = 30.0
"""An incomplete fragmented datagram is dropped after this long (weird ``fragment_timeout``)."""

FRAG_MAX_BYTES = 65_535 + 64
"""A reassembled datagram larger than an IP datagram can be is absurd (weird)."""

MAX_TUNNEL_DEPTH = 4
"""Nested encapsulations (GRE, VXLAN, Geneve, GTP-U, IP-in-IP, Teredo, PPPoE, ERSPAN) the
decoder follows in one packet; deeper nesting is an attack on the decoder, not traffic
(weird ``tunnel_depth_exceeded``)."""

FRAG_MAX_FRAGMENTS = 256
"""Fragments kept for one datagram being reassembled (an IP datagram of 64 KiB needs at most
~45 fragments of a 1500-byte MTU); beyond that the datagram is dropped (weird)."""

MAX_PCAPNG_BLOCK_BYTES = 16 * 1024 * 1024
"""A pcapng block claiming a total length beyond this is corrupt (Wireshark's reader applies the
same 16 MiB bound); the reader reports ``bad_block_length`` and stops the file."""

REASM_MAX_BUFFERED_BYTES = 256 * 1024
"""Out-of-order bytes one direction of a TCP connection may hold while waiting for a hole to
fill; beyond that the oldest hole is given up on (weirds ``tcp_reassembly_limit``, ``tcp_gap``).
Four times a common 64 KiB receive window: enough for real reordering, small per flow."""

REASM_MAX_SEGMENTS = 64
"""Out-of-order segments (pieces) one direction may hold; bounds the per-segment bookkeeping
an attacker can force with many tiny segments (same give-up policy as the byte bound)."""

REASM_HISTORY_BYTES = 64 * 1024
"""Most recently delivered bytes kept per direction to compare retransmissions against
(weird ``tcp_overlap_conflict``); older retransmissions are dropped unchecked."""

REASM_MAX_AHEAD = 1 << 30
"""A segment starting further than this ahead of the next expected sequence number is outside
any possible receive window (RFC 7323 2.3: at most 2**30 with window scaling) and is dropped
(weird ``tcp_seq_out_of_window``)."""

DNS_CACHE_MAX_ENTRIES = 65_536
"""Addresses the DPI stage remembers from DNS answers (A/AAAA address -> queried name) to name
flows that carry no name of their own; least recently used entries are forgotten first. At
about 200 bytes an entry this bounds the cache near 13 MiB whatever the traffic."""

GC_THRESHOLD = (50_000, 20, 20)
"""The cyclic collector's thresholds during a run (the analysis sets them and puts back the
caller's) and, in the command line, from its start: a run makes millions of short-lived
objects (events, rows, parser state) that form no cycles, and the default first threshold
(700) has the collector walk them again and again (about 5% of a full-DPI run, measured);
start-up (the imports, numba's compiler context) makes ~160 k objects that live to the end,
walked ~280 times with the defaults (~0.13 s of a ~1.2 s start-up)."""
