"""QUIC over UDP: long headers, Initial packets decrypted, the TLS hellos inside.

What is read (RFC 9000 §17.2 long headers; RFC 9001 §5 Initial protection; RFC 9369 for v2):

- every long header packet of a datagram, several coalesced ones included (RFC 9000 §12.2);
  a short header packet ends the datagram (its length is not on the wire), as do zero
  bytes after the last packet (padding);
- Initial packets of QUIC v1, v2, drafts 27-34 and Google's Q050/T050/T051 are decrypted
  with the keys derived from the client's first Destination Connection ID
  (:mod:`wirelens.wire.quic_crypto`), and their frames read: PADDING, PING, ACK, CRYPTO and
  CONNECTION_CLOSE; any other frame type stops the reading of that packet (Initial packets
  may carry no other, RFC 9000 §12.4);
- CRYPTO frame data is put back in order per direction by offset (across packets and
  datagrams), then the TLS ClientHello and ServerHello are parsed by
  :func:`wirelens.dissect.tls.parse_client_hello` / ``parse_server_hello``;
- Version Negotiation packets (version 0, RFC 9000 §17.2.1): the versions offered;
- Retry packets (RFC 9000 §17.2.5): the client's next Initial keys derive from the Retry's
  Source Connection ID (RFC 9001 §5.2);
- Google QUIC: Q043-style public headers and Q046 long headers carry the CHLO in clear in a
  STREAM frame (:mod:`.quic_gquic`); Q050 carries it in a CRYPTO frame of an Initial
  protected with its own salt.

Versions, salts and the header checks of :meth:`QuicDissector.matches` live in
:mod:`.quic_versions`; transport parameters in :mod:`.quic_params`.

One :class:`QuicRecord` per flow (Zeek ``quic.log`` style): emitted when both hellos are
parsed (then ``done``), else by :meth:`QuicDissector.finish` if any QUIC packet was seen.

Errors: a malformed header or frame raises :class:`~wirelens.wire.errors.ParseError`. A
client Initial whose AEAD tag does not verify before the ClientHello is known raises
:class:`~wirelens.wire.errors.BadValue`; once it is known, packets that do not decrypt are
only counted (``undecryptable``), so the record is not lost. Versions whose salt is not
known (mvfst, older gQUIC) are identified by name only, without server name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Dissector, Event
from wirelens.dissect.quic_gquic import (
    Chlo,
    chlo_length,
    gquic_public_version,
    is_gquic_version,
    parse_chlo,
    public_header_frames_at,
    q046_frames_at,
    stream_frames,
)
from wirelens.dissect.quic_params import transport_parameter
from wirelens.dissect.quic_versions import (
    Q050,
    T050,
    T051,
    V2,
    V2_TYPES,
    PacketType,
    is_ietf_style,
    is_q046_style,
    is_reserved,
    long_header_plausible,
    salt_for,
    version_name,
    vn_plausible,
)
from wirelens.dissect.tls import (
    ClientHello,
    ServerHello,
    cipher_name,
    curve_name,
    parse_client_hello,
    parse_server_hello,
    session_resumed,
)
from wirelens.dissect.tls import version_name as tls_version_name
from wirelens.dissect.tls_fingerprints import ja3, ja4, ja4s, md5_hex
from wirelens.dissect.tls_hello_cut import cut_hello
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded
from wirelens.wire.quic_crypto import InitialKeys, initial_keys, unprotect

__all__ = [
    "QUIC_MAX_CID_LEN",
    "QUIC_MAX_CRYPTO_BYTES",
    "QUIC_MAX_CRYPTO_FRAGMENTS",
    "QUIC_MAX_HISTORY",
    "QUIC_MAX_PACKETS_PER_DATAGRAM",
    "QUIC_MAX_VN_VERSIONS",
    "FrameType",
    "PacketType",
    "QuicDissector",
    "QuicRecord",
    "version_name",
]

# -- limits -------------------------------------------------------------------------------------

QUIC_MAX_CID_LEN = 20
"""Connection ids are at most 20 bytes in QUIC v1/v2 (RFC 9000 §17.2); longer ones are
only legal in packets of unknown versions, which are not parsed past the version."""
QUIC_MAX_CRYPTO_BYTES = 64 * 1024
"""CRYPTO stream bytes kept per direction at the Initial level. A ClientHello with post-
quantum key shares is a few KiB; Initial data beyond 64 KiB is refused (LimitExceeded)."""
QUIC_MAX_CRYPTO_FRAGMENTS = 256
"""Out-of-order CRYPTO fragments held per direction while waiting for the gap to fill."""
QUIC_MAX_PACKETS_PER_DATAGRAM = 16
"""Coalesced packets read in one datagram (RFC 9000 §12.2 allows one per packet number
space and type in practice: 4); more is refused."""
QUIC_MAX_HISTORY = 64
"""Characters kept in the packet-type history."""
QUIC_MAX_VN_VERSIONS = 64
"""Versions kept from one Version Negotiation packet."""

_HISTORY_LETTER = {
    PacketType.initial: "i",
    PacketType.zero_rtt: "z",
    PacketType.handshake: "h",
    PacketType.retry: "r",
}


class FrameType(IntEnum):
    """Frame types read in Initial packets (RFC 9000 §19)."""

    padding = 0x00
    ping = 0x01
    ack = 0x02
    ack_ecn = 0x03
    crypto = 0x06
    connection_close = 0x1C
    connection_close_app = 0x1D


_GQUIC_CRYPTO = 0x08
"""gQUIC Q050 CRYPTO frame type (offset and length as varints)."""


# -- the event ----------------------------------------------------------------------------------


@dataclass(slots=True)
class QuicRecord(Event):
    """The QUIC handshake summary of one flow (Zeek ``quic.log`` style)."""

    table: ClassVar[str | None] = "quic"

    version: str | None
    """Version name of the client's first long header packet: ``1``, ``2``, ``draft-29``,
    ``Q046``, ``T051``..."""
    version_code: int | None
    """The 32-bit version code of :attr:`version`."""
    client_initial_dcid: str | None
    """Destination Connection ID of the client's first Initial (hex): the key of Initial
    protection (RFC 9001 §5.2)."""
    client_scid: str | None
    """Source Connection ID of the client (hex)."""
    server_scid: str | None
    """Source Connection ID of the server (hex)."""
    server_name: str | None
    """SNI of the ClientHello (or the gQUIC CHLO ``SNI`` tag)."""
    client_protocol: str | None
    """First ALPN protocol offered by the client."""
    alpn: tuple[str, ...]
    """ALPN protocols offered by the client."""
    user_agent: str | None
    """Google user agent transport parameter (0x3129) or the gQUIC ``UAID`` tag."""
    cipher: str | None
    """Cipher suite chosen in the ServerHello."""
    curve: str | None
    """Key exchange group of the ServerHello's key_share (Zeek ``ssl.log`` ``curve``)."""
    tls_version: str | None
    """TLS version the ServerHello chose (``TLSv13``, RFC 9001 §4.2; Zeek ``ssl.log``
    ``version``)."""
    ja3: str | None
    """JA3 string of the ClientHello."""
    ja3_hash: str | None
    """MD5 of :attr:`ja3`."""
    ja4: str | None
    """JA4 of the ClientHello with transport ``q``."""
    ja4s: str | None
    """JA4S of the ServerHello with transport ``q``."""
    history: str
    """Packet types in order, upper case from the client, lower case from the server:
    I/i Initial, Z/z 0-RTT, H/h Handshake, R/r Retry, V/v Version Negotiation, S/s short
    header, G/g gQUIC; repeats of the same letter collapsed."""
    version_negotiation: tuple[str, ...]
    """Versions offered by a Version Negotiation packet (names, see :attr:`version`)."""
    initial_decrypted: bool
    """At least one Initial packet was decrypted (false for versions without known salt)."""
    established: bool
    """The ServerHello was parsed."""
    resumed: bool
    """The server selected a pre-shared key: an earlier session resumed (RFC 9001 §4.6)."""
    undecryptable: int
    """Initial packets that did not decrypt after the ClientHello was known (or before any
    client Initial gave the keys)."""


# -- per-direction state ------------------------------------------------------------------------


class _CryptoStream:
    """CRYPTO frame data of one direction put back in order by offset."""

    __slots__ = ("data", "held", "held_bytes", "hs_pos")

    def __init__(self) -> None:
        self.data = bytearray()  # contiguous bytes from offset 0
        self.held: dict[int, bytes] = {}  # fragments beyond a gap, by offset
        self.held_bytes = 0  # bytes in ``held`` (bounded by QUIC_MAX_CRYPTO_BYTES too)
        self.hs_pos = 0  # handshake messages before this position were handled

    def add(self, offset: int, chunk: bytes) -> None:
        """Put ``chunk`` at ``offset`` (duplicates and overlaps resolved by position)."""
        if offset + len(chunk) > QUIC_MAX_CRYPTO_BYTES:
            raise LimitExceeded(f"CRYPTO data up to offset {offset + len(chunk)}")
        have = len(self.data)
        if offset > have:
            if offset not in self.held:
                if len(self.held) >= QUIC_MAX_CRYPTO_FRAGMENTS:
                    raise LimitExceeded("too many CRYPTO fragments held")
                if self.held_bytes + len(chunk) > QUIC_MAX_CRYPTO_BYTES:
                    raise LimitExceeded("too many CRYPTO bytes held beyond a gap")
                self.held[offset] = chunk
                self.held_bytes += len(chunk)
            return
        if offset + len(chunk) > have:
            self.data += chunk[have - offset :]
        while self.held:
            progress = False
            for off in sorted(self.held):
                if off > len(self.data):
                    break
                piece = self.held.pop(off)
                self.held_bytes -= len(piece)
                end = off + len(piece)
                if end > len(self.data):
                    self.data += piece[len(self.data) - off :]
                progress = True
            if not progress:
                break


class _Side:
    """State of one direction."""

    __slots__ = ("chlo_base", "crypto", "largest_pn")

    def __init__(self) -> None:
        self.crypto = _CryptoStream()
        self.largest_pn = -1
        self.chlo_base: int | None = None  # gQUIC: stream offset of the CHLO kept


# -- the dissector ------------------------------------------------------------------------------


class QuicDissector(Dissector):
    """QUIC (v1, v2, drafts, gQUIC) handshakes over UDP: versions, ids, SNI, ALPN, JA4."""

    name: ClassVar[str] = "quic"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
    ports: ClassVar[frozenset[int]] = frozenset((443, 784, 853, 4433, 8443))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(0x80, 0x100)) | frozenset(
        b for b in range(0x80) if not b & 0xC2 and b & 0x09 == 0x09)
    """``matches``: a long header (``first & 0x80``, RFC 9000 §17.2), or a gQUIC public
    header (``gquic_public_version``: flags 0xC2 clear, version bit 0x01 and 8-byte id bit
    0x08 set)."""
    name_source: ClassVar[str | None] = "sni"

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._sides = {True: _Side(), False: _Side()}
        self._ts_ns: int | None = None
        self._version: int | None = None
        self._ch_version: int | None = None
        self._key_cid: bytes | None = None
        self._retried = False
        self._keys: dict[tuple[bytes, bytes, bool], InitialKeys] = {}
        self._client_dcid: bytes | None = None
        self._client_scid: bytes | None = None
        self._server_scid: bytes | None = None
        self._ch: ClientHello | None = None
        self._sh: ServerHello | None = None
        self._chlo: Chlo | None = None
        self._user_agent: str | None = None
        self._history: list[str] = []
        self._vn: tuple[str, ...] = ()
        self._decrypted = False
        self._undecryptable = 0
        self._seen = False
        self._emitted = False

    # -- identification ---------------------------------------------------------------------------

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A long header of a known version (or a Version Negotiation listing one), or a
        gQUIC public header with a ``Q0dd`` version; lengths must be sane."""
        try:
            if proto != IPPROTO_UDP or len(payload) < 7:
                return False
            first = payload[0]
            if first & 0x80:
                version = int.from_bytes(payload[1:5], "big")
                dcil = payload[5]
                if version == 0:
                    return vn_plausible(payload)
                if is_q046_style(version):
                    return first & 0x40 != 0 and len(payload) >= 14
                if not first & 0x40 or dcil > QUIC_MAX_CID_LEN or len(payload) < 7 + dcil:
                    return False
                scil = payload[6 + dcil]
                if scil > QUIC_MAX_CID_LEN:
                    return False
                if is_reserved(version):
                    return from_orig and len(payload) >= 1200
                if not is_ietf_style(version):
                    return False
                return long_header_plausible(payload, version)
            return gquic_public_version(payload) is not None
        except IndexError:
            return False

    # -- feeding ----------------------------------------------------------------------------------

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """One UDP datagram of one direction."""
        if self.done or not data:
            return []
        if self._ts_ns is None:
            self._ts_ns = ts_ns
        data = bytes(data)
        first = data[0]
        if not first & 0x80:
            if gquic_public_version(data) is not None and from_orig:
                self._gquic_public(data, from_orig)
            elif self._seen:
                gquic = self._version is not None and is_gquic_version(self._version.to_bytes(4, "big"))
                self._note("g" if gquic else "s", from_orig)
            else:
                raise BadValue("datagram starts with neither a long header nor a gQUIC header")
            return self._maybe_emit()
        pos = packets = 0
        while pos < len(data):  # the rest of the datagram is read even once done (history)
            if not data[pos] & 0x80:
                if data[pos] != 0:  # zero bytes: padding after the last packet
                    self._note("s", from_orig)
                break
            packets += 1
            if packets > QUIC_MAX_PACKETS_PER_DATAGRAM:
                raise LimitExceeded(f"more than {QUIC_MAX_PACKETS_PER_DATAGRAM} packets in a datagram")
            pos = self._long_packet(data, pos, from_orig)
        return self._maybe_emit()

    def name_final(self) -> bool:
        return self.done or self._ch is not None or self._chlo is not None  # (its hello read)

    def finish(self) -> list[Event]:
        """Emit the summary when the server's hello was not seen (a hello whose CRYPTO data
        never came whole, an Initial lost, is read as far as it came: :meth:`_salvage`)."""
        if self._emitted or not self._seen:
            return []
        if not self.done:
            self._salvage(True)
            self._salvage(False)
        return [self._record()]

    def _salvage(self, from_orig: bool) -> None:
        """The hello a direction's CRYPTO stream holds only the first bytes of (the rest, or
        a piece of it, never came): the fields whole in them
        (:mod:`wirelens.dissect.tls_hello_cut`), no fingerprint made of it."""
        stream = self._sides[from_orig].crypto
        hello = cut_hello(bytes(stream.data[stream.hs_pos:]))
        if from_orig and isinstance(hello, ClientHello) and self._ch is None:
            self._client_hello(hello)
        elif (not from_orig and isinstance(hello, ServerHello) and self._sh is None
              and not hello.is_hello_retry_request):
            self._sh = hello

    # -- packets ----------------------------------------------------------------------------------

    def _note(self, letter: str, from_orig: bool) -> None:
        """Append a packet-type letter to the history (client upper case)."""
        ch = letter.upper() if from_orig else letter
        if (not self._history or self._history[-1] != ch) and len(self._history) < QUIC_MAX_HISTORY:
            self._history.append(ch)

    def _long_packet(self, data: bytes, pos: int, from_orig: bool) -> int:
        """Read the long header packet at ``pos``; return the offset after it."""
        buf = Buffer(data, pos)
        first = buf.pull_u8()
        version = buf.pull_u32()
        self._seen = True
        if version == 0:
            self._version_negotiation(buf, from_orig)
            return len(data)
        if from_orig and (self._version is None or is_reserved(self._version)):
            self._version = version
        if is_q046_style(version):
            self._gquic_q046(data[pos:], from_orig)
            return len(data)
        # The fixed bit may be 0 when greased (RFC 9287 §3): not checked here.
        with buf.pull_block(1) as dcil:
            if dcil > QUIC_MAX_CID_LEN and not is_reserved(version):
                raise BadValue(f"connection id of {dcil} bytes", pos + 5)
            dcid = buf.pull_bytes(dcil)
        with buf.pull_block(1) as scil:
            scid = buf.pull_bytes(scil)
        if is_reserved(version) or not is_ietf_style(version):
            # Only the invariants are known (RFC 8999 §5.1): the rest is opaque.
            if from_orig and self._client_scid is None:
                self._client_dcid, self._client_scid = dcid, scid
            self._note("i", from_orig)
            return len(data)
        bits = (first >> 4) & 0x03
        ptype = V2_TYPES[bits] if version == V2 else PacketType(bits)
        self._note(_HISTORY_LETTER[ptype], from_orig)
        if from_orig:
            if self._client_scid is None:
                self._client_scid = scid
        elif self._server_scid is None:
            self._server_scid = scid
        if ptype == PacketType.retry:
            # RFC 9001 §5.2: the client's next Initials are keyed by the Retry's SCID; a
            # client accepts one Retry only (RFC 9000 §17.2.5.2).
            if not from_orig and not self._retried:
                self._retried = True
                self._key_cid = scid
            return len(data)
        if ptype == PacketType.initial:
            token_len = buf.pull_varint()
            buf.skip(token_len)
        length = buf.pull_varint()
        pn_offset = buf.tell()
        end = pn_offset + length
        if end > len(data):
            raise BadValue(f"packet Length {length} runs past the datagram", pn_offset)
        if ptype == PacketType.initial:
            if from_orig and self._client_dcid is None:
                self._client_dcid = dcid
            self._initial(data[pos:end], pn_offset - pos, version, dcid, from_orig)
        return end

    def _keys_for(self, version: int, cid: bytes, server: bool) -> InitialKeys | None:
        salt = salt_for(version)
        if salt is None:
            return None
        key = (salt, cid, server)
        keys = self._keys.get(key)
        if keys is None:
            if len(self._keys) >= 8:
                self._keys.clear()
            keys = self._keys[key] = initial_keys(salt, cid, server, v2=version == V2)
        return keys

    def _initial(self, packet: bytes, pn_offset: int, version: int, dcid: bytes, from_orig: bool) -> None:
        """Decrypt one Initial packet and read its frames."""
        if salt_for(version) is None or self._ch is not None and self._sh is not None:
            return
        side = self._sides[from_orig]
        candidates: list[bytes] = []
        if self._key_cid is not None:
            candidates.append(self._key_cid)
        for cid in (dcid if from_orig else None, self._client_dcid):
            if cid is not None and cid not in candidates:
                candidates.append(cid)  # a new first Initial (after VN or Retry)
        failure: str | None = None  # (an error kept would hold this frame: wire.errors.detached)
        for cid in candidates:
            keys = self._keys_for(version, cid, server=not from_orig)
            if keys is None:
                return
            try:
                plain = unprotect(packet, pn_offset, keys, side.largest_pn)
            except BadValue as exc:
                failure = str(exc)
                continue
            self._key_cid = cid
            self._decrypted = True
            side.largest_pn = max(side.largest_pn, plain.packet_number)
            if version in (Q050, T050, T051):
                self._gquic_frames(plain.payload, from_orig, tls=version != Q050)
            else:
                self._frames(plain.payload, from_orig)
            if from_orig and self._ch is not None and self._ch_version is None:
                self._ch_version = self._version = version
            return
        if failure is not None and from_orig and self._ch is None and self._chlo is None:
            raise BadValue(failure)
        self._undecryptable += 1

    def _frames(self, payload: bytes, from_orig: bool) -> None:
        """Frames of a decrypted Initial (RFC 9000 §19); stop at types not read here."""
        buf = Buffer(payload)
        side = self._sides[from_orig]
        while not buf.eof():
            pos = buf.tell()
            if payload[pos] == 0:  # a run of PADDING frames (one zero byte each): skip it whole
                run = len(payload) - pos - len(payload[pos:].lstrip(b"\x00"))
                buf.skip(run)
                continue
            ftype = buf.pull_varint()
            if ftype == FrameType.padding or ftype == FrameType.ping:
                continue
            if ftype in (FrameType.ack, FrameType.ack_ecn):  # §19.3
                buf.pull_varint()  # largest acknowledged
                buf.pull_varint()  # ack delay
                ranges = buf.pull_varint()
                buf.pull_varint()  # first range
                if ranges > len(payload):
                    raise BadValue(f"ACK with {ranges} ranges", buf.tell())
                for _ in range(ranges):
                    buf.pull_varint()  # gap
                    buf.pull_varint()  # range length
                if ftype == FrameType.ack_ecn:
                    for _ in range(3):
                        buf.pull_varint()
            elif ftype == FrameType.crypto:  # §19.6
                offset = buf.pull_varint()
                length = buf.pull_varint()
                side.crypto.add(offset, buf.pull_bytes(length))
            elif ftype in (FrameType.connection_close, FrameType.connection_close_app):  # §19.19
                buf.pull_varint()  # error code
                if ftype == FrameType.connection_close:
                    buf.pull_varint()  # frame type
                buf.skip(buf.pull_varint())  # reason phrase
            else:
                break
        self._handshake(from_orig)

    def _handshake(self, from_orig: bool) -> None:
        """Parse the TLS handshake messages completed in a direction's CRYPTO stream."""
        stream = self._sides[from_orig].crypto
        data = stream.data
        while len(data) - stream.hs_pos >= 4 and not self.done:
            at = stream.hs_pos
            msg_type = data[at]
            length = int.from_bytes(data[at + 1 : at + 4], "big")
            if at + 4 + length > QUIC_MAX_CRYPTO_BYTES:
                raise LimitExceeded(f"handshake message of {length} bytes")
            if len(data) < at + 4 + length:
                return
            body = bytes(data[at + 4 : at + 4 + length])
            stream.hs_pos = at + 4 + length
            if from_orig:
                if msg_type != 1:
                    raise BadValue(f"client Initial handshake message type {msg_type}")
                if self._ch is None:
                    self._client_hello(parse_client_hello(body))
            else:
                if msg_type != 2:
                    raise BadValue(f"server Initial handshake message type {msg_type}")
                sh = parse_server_hello(body)
                if not sh.is_hello_retry_request:
                    self._sh = sh
                    if self._ch is not None:
                        self.done = True

    def _client_hello(self, ch: ClientHello) -> None:
        self._ch = ch
        if ch.server_name:
            self.server_name = ch.server_name
        for ext_type, raw in ch.extensions:
            if ext_type in (0x39, 0xFFA5):  # quic_transport_parameters, RFC 9001 §8.2; drafts
                ua = transport_parameter(raw, 0x3129)
                if ua is not None:
                    self._user_agent = ua.decode("utf-8", "backslashreplace")
                break
        if self._sh is not None:
            self.done = True

    def _version_negotiation(self, buf: Buffer, from_orig: bool) -> None:
        """RFC 9000 §17.2.1: ids, then a list of 32-bit versions filling the datagram."""
        with buf.pull_block(1):
            buf.pull_rest()
        with buf.pull_block(1):
            buf.pull_rest()
        if buf.remaining % 4 or not buf.remaining:
            raise BadValue("Version Negotiation list is not a whole number of versions", buf.tell())
        self._note("v", from_orig)
        offered: list[str] = []
        while not buf.eof() and len(offered) < QUIC_MAX_VN_VERSIONS:
            offered.append(version_name(buf.pull_u32()))
        self._vn = tuple(offered)

    # -- gQUIC ------------------------------------------------------------------------------------

    def _gquic_public(self, data: bytes, from_orig: bool) -> None:
        """A client packet with a Q0xx public header: the CHLO on stream 1 in clear."""
        tag = data[9:13]  # the caller checked the header (gquic_public_version)
        self._seen = True
        if self._version is None:
            self._version = int.from_bytes(tag, "big")
        if self._client_dcid is None:
            self._client_dcid = data[1:9]
        self._note("g", from_orig)
        self._gquic_stream(stream_frames(data, public_header_frames_at(data)), from_orig)

    def _gquic_q046(self, packet: bytes, from_orig: bool) -> None:
        """A Q046 long header packet (client): the CHLO on stream 1 in clear."""
        self._note("g", from_orig)
        if not from_orig:
            return
        dcid, at = q046_frames_at(packet)
        if self._client_dcid is None:
            self._client_dcid = dcid
        self._gquic_stream(stream_frames(packet, at), from_orig)

    def _gquic_stream(self, frames: list[tuple[int, int, bytes]], from_orig: bool) -> None:
        side = self._sides[from_orig]
        for sid, offset, chunk in frames:
            if sid == 1:
                self._chlo_data(side, offset, chunk)
        self._gquic_chlo(side)

    @staticmethod
    def _chlo_data(side: _Side, offset: int, chunk: bytes) -> None:
        """Stream data of the gQUIC handshake, kept from the first chunk that starts a CHLO
        (the capture may have missed an earlier inchoate CHLO and the server's REJ)."""
        if side.chlo_base is None:
            if not chunk.startswith(b"CHLO"):
                return
            side.chlo_base = offset
        if offset >= side.chlo_base:
            side.crypto.add(offset - side.chlo_base, chunk)

    def _gquic_frames(self, payload: bytes, from_orig: bool, tls: bool) -> None:
        """Frames of a decrypted Q050/T050/T051 Initial (gQUIC frame types): PADDING (0x00,
        the rest of the packet), PING (0x07), ACK (0x40-0x7F) and CRYPTO (0x08, offset and
        length as varints) are read; the CRYPTO data is TLS (T05x) or a CHLO (Q050)."""
        buf = Buffer(payload)
        side = self._sides[from_orig]
        while not buf.eof():
            ftype = buf.pull_u8()
            if ftype == 0x00:
                break
            if ftype == 0x07:
                continue
            if ftype & 0xC0 == 0x40:
                _skip_gquic_ack(buf, ftype)
                continue
            if ftype != _GQUIC_CRYPTO:
                break
            offset = buf.pull_varint()
            length = buf.pull_varint()
            chunk = buf.pull_bytes(length)
            if tls:
                side.crypto.add(offset, chunk)
            else:
                self._chlo_data(side, offset, chunk)
        if tls:
            self._handshake(from_orig)
        elif from_orig:
            self._gquic_chlo(side)

    def _gquic_chlo(self, side: _Side) -> None:
        if self._chlo is not None:
            return
        data = bytes(side.crypto.data)
        need = chlo_length(data)
        if need is None or len(data) < need:
            return
        self._chlo = parse_chlo(data[:need])
        if self._chlo.server_name:
            self.server_name = self._chlo.server_name
        self._user_agent = self._chlo.user_agent

    # -- output -----------------------------------------------------------------------------------

    def _maybe_emit(self) -> list[Event]:
        if self.done and not self._emitted:
            return [self._record()]
        return []

    def _record(self) -> QuicRecord:
        self._emitted = True
        ch, sh = self._ch, self._sh
        whole_ch = ch if ch is not None and not ch.cut else None  # (fingerprints: whole only)
        j3 = ja3(whole_ch) if whole_ch is not None else None
        v = self._version
        return QuicRecord(
            ts_ns=self._ts_ns or 0,
            version=version_name(v) if v is not None else None,
            version_code=v,
            client_initial_dcid=self._client_dcid.hex() if self._client_dcid is not None else None,
            client_scid=self._client_scid.hex() if self._client_scid is not None else None,
            server_scid=self._server_scid.hex() if self._server_scid is not None else None,
            server_name=self.server_name,
            client_protocol=ch.alpn[0] if ch is not None and ch.alpn else None,
            alpn=ch.alpn if ch is not None else (),
            user_agent=self._user_agent,
            cipher=cipher_name(sh.cipher_suite) if sh is not None else None,
            curve=curve_name(sh),
            tls_version=tls_version_name(sh.version) if sh is not None else None,
            ja3=j3,
            ja3_hash=md5_hex(j3) if j3 is not None else None,
            ja4=ja4(whole_ch, transport="q") if whole_ch is not None else None,
            ja4s=ja4s(sh, transport="q") if sh is not None and not sh.cut else None,
            history="".join(self._history),
            version_negotiation=self._vn,
            initial_decrypted=self._decrypted,
            established=sh is not None,
            resumed=session_resumed(ch, sh),
            undecryptable=self._undecryptable,
        )


def _skip_gquic_ack(buf: Buffer, ftype: int) -> None:
    """Skip a gQUIC ACK frame (type ``01NULLMM``): largest acked (LL: 1, 2, 4 or 6 bytes),
    ack delay (u16), [number of blocks (u8) if N], first block length (MM), blocks (gap u8 +
    length MM), number of timestamps (u8), timestamps (u8 + u32, then u8 + u16 each)."""
    sizes = (1, 2, 4, 6)
    block = sizes[ftype & 0x03]
    buf.skip(sizes[(ftype >> 2) & 0x03] + 2)
    blocks = buf.pull_u8() if ftype & 0x20 else 0
    buf.skip(block + blocks * (1 + block))
    stamps = buf.pull_u8()
    if stamps:
        buf.skip(5 + (stamps - 1) * 3)
