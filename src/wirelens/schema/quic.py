"""Arrow schema of the ``quic`` table (one row per QUIC flow, Zeek ``quic.log``-like).

Fields follow :class:`wirelens.dissect.quic.QuicRecord` one for one (``ts_ns`` becomes
``ts``), after the join keys every table carries.
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import f, key_fields

__all__ = ["QUIC", "TABLES"]

QUIC = pa.schema(
    key_fields("Time of the first QUIC packet of the flow seen by the dissector.")
    + [
        f("version", pa.string(), "QUIC version name of the client's Initial: 1, 2, draft-29, Q046, "
          "T051, mvfst-22, or 0x%08x for others."),
        f("version_code", pa.uint32(), "32-bit version code on the wire (RFC 9000 section 15)."),
        f("client_initial_dcid", pa.string(), "Destination Connection ID of the client's first "
          "Initial packet, hex (keys the Initial protection, RFC 9001 section 5.2)."),
        f("client_scid", pa.string(), "Source Connection ID chosen by the client, hex."),
        f("server_scid", pa.string(), "Source Connection ID chosen by the server, hex."),
        f("server_name", pa.string(), "SNI of the ClientHello (gQUIC: the CHLO SNI tag)."),
        f("client_protocol", pa.string(), "First ALPN protocol offered by the client (e.g. h3)."),
        f("alpn", pa.list_(pa.string()), "ALPN protocols offered by the client, in order."),
        f("user_agent", pa.string(), "Google user agent transport parameter (0x3129) or gQUIC UAID tag."),
        f("cipher", pa.string(), "Cipher suite chosen in the ServerHello (IANA name or hex)."),
        f("curve", pa.string(), "Key exchange group of the ServerHello's key_share (x25519, ...)."),
        f("tls_version", pa.string(), "TLS version the ServerHello chose (TLSv13, RFC 9001 section "
          "4.2)."),
        f("ja3", pa.string(), "JA3 string of the ClientHello."),
        f("ja3_hash", pa.string(), "MD5 of ja3, lower-case hex."),
        f("ja4", pa.string(), "JA4 fingerprint of the ClientHello, transport 'q'."),
        f("ja4s", pa.string(), "JA4S fingerprint of the ServerHello, transport 'q'."),
        f("history", pa.string(), "Packet types in order (client upper case, server lower case): "
          "I Initial, Z 0-RTT, H Handshake, R Retry, V Version Negotiation, S short header, "
          "G gQUIC; repeats collapsed; at most 64 characters."),
        f("version_negotiation", pa.list_(pa.string()), "Versions offered by a Version "
          "Negotiation packet (names as in version)."),
        f("initial_decrypted", pa.bool_(), "At least one Initial packet was decrypted (false "
          "for versions without a known salt: gQUIC Q046 and older are in clear, mvfst unknown)."),
        f("established", pa.bool_(), "The server's ServerHello was parsed."),
        f("resumed", pa.bool_(), "The server selected a pre-shared key: an earlier session "
          "resumed (RFC 9001 section 4.6)."),
        f("undecryptable", pa.uint32(), "Initial packets that did not decrypt (after the "
          "ClientHello was known, or with no client Initial to derive keys from)."),
    ]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "quic": (QUIC, "One row per QUIC flow: version, connection ids, SNI, ALPN, user agent, "
             "JA3/JA4 from the decrypted Initial packets."),
}
"""Table name -> (schema, one-line doc), for the lead to add to wirelens.schema.SCHEMAS."""
