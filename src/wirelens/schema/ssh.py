"""The ``ssh`` table: one row per SSH connection (Zeek ``ssh.log``-like, plus HASSH).

Columns are the fields of :class:`wirelens.dissect.ssh.SshRecord` after the join keys.
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import f, key_fields

__all__ = ["SSH", "TABLES"]

_NAMES = pa.list_(pa.string())

SSH = pa.schema(
    key_fields("Time of the first SSH payload of the connection (UTC).")
    + [
        f(
            "version",
            pa.uint8(),
            "Protocol major version: 2 when both sides speak 2.0 (or 1.99, "
            "RFC 4253 section 5.1), 1 when one side speaks only 1.x; null unless both banners seen.",
        ),
        f(
            "client",
            pa.string(),
            "Client identification string (RFC 4253 section 4.2), without CR LF.",
        ),
        f("server", pa.string(), "Server identification string, without CR LF."),
        f(
            "kex_algorithms",
            _NAMES,
            "Key exchange methods offered by the client (KEXINIT, RFC 4253 section 7.1).",
        ),
        f("host_key_algorithms", _NAMES, "Server host key algorithms offered by the client."),
        f("ciphers_c2s", _NAMES, "Ciphers offered by the client, client to server."),
        f("ciphers_s2c", _NAMES, "Ciphers offered by the client, server to client."),
        f("macs_c2s", _NAMES, "MAC algorithms offered by the client, client to server."),
        f("macs_s2c", _NAMES, "MAC algorithms offered by the client, server to client."),
        f(
            "compression_c2s",
            _NAMES,
            "Compression algorithms offered by the client, client to server.",
        ),
        f(
            "compression_s2c",
            _NAMES,
            "Compression algorithms offered by the client, server to client.",
        ),
        f("hassh", pa.string(), "HASSH of the client: MD5 (hex) of hassh_string."),
        f(
            "hassh_string",
            pa.string(),
            "Client's kex;enc_c2s;mac_c2s;comp_c2s name-lists, ';'-joined.",
        ),
        f("hassh_server", pa.string(), "HASSH-server: MD5 (hex) of hassh_server_string."),
        f(
            "hassh_server_string",
            pa.string(),
            "Server's kex;enc_s2c;mac_s2c;comp_s2c name-lists, ';'-joined.",
        ),
        f(
            "kex_alg",
            pa.string(),
            "Negotiated key exchange method: first client choice the server "
            "also offers (RFC 4253 section 7.1); null without both KEXINITs.",
        ),
        f("host_key_alg", pa.string(), "Negotiated server host key algorithm."),
        f("cipher_alg", pa.string(), "Negotiated cipher, client to server."),
        f("cipher_alg_s2c", pa.string(), "Negotiated cipher, server to client."),
        f("mac_alg", pa.string(), "Negotiated MAC, client to server (unused with an AEAD cipher)."),
        f("compression_alg", pa.string(), "Negotiated compression, client to server."),
    ]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "ssh": (
        SSH,
        "One row per SSH connection: banners, KEXINIT offers, HASSH, negotiated algorithms.",
    ),
}
