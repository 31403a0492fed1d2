"""The ``x509`` table: one row per certificate seen in a clear-text TLS handshake."""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import f, key_fields

__all__ = ["TABLES", "X509"]

X509 = pa.schema(
    key_fields("Time of the packet that completed the Certificate message.")
    + [
        f("is_client", pa.bool_(), "True for the client's chain (client authentication), False for the server's."),
        f("chain_pos", pa.uint16(), "Position in the chain as sent: in TLS 0 is the sender's own (leaf) "
          "certificate; an RDP server sends its own last."),
        f("chain_len", pa.uint16(), "Certificates in the whole chain (beyond the per-chain limit: counted, not parsed)."),
        f("der_len", pa.uint32(), "Size of the DER encoding in bytes."),
        f("sha1", pa.string(), "SHA-1 of the DER, lower-case hex (the usual certificate fingerprint)."),
        f("sha256", pa.string(), "SHA-256 of the DER, lower-case hex (joins tls.cert_sha256)."),
        f("x509_version", pa.uint8(), "X.509 version (1 or 3)."),
        f("serial", pa.string(), "Serial number in upper-case hex, whole bytes (023A69), - "
          "prefixed if negative: as OpenSSL and Zeek print it."),
        f("subject", pa.string(), "Subject distinguished name, RFC 4514 string (most specific RDN first)."),
        f("issuer", pa.string(), "Issuer distinguished name, RFC 4514 string."),
        f("subject_cn", pa.string(), "First commonName of the subject."),
        f("san_dns", pa.list_(pa.string()), "DNS names of the subjectAltName extension (RFC 5280 section 4.2.1.6)."),
        f("san_ip", pa.list_(pa.string()), "IP addresses of the subjectAltName extension."),
        f("not_before", pa.timestamp("s", tz="UTC"), "Start of validity."),
        f("not_after", pa.timestamp("s", tz="UTC"), "End of validity."),
        f("key_type", pa.string(), "Public key type: rsa, ec, dsa, ed25519, ed448, ml-dsa-44/65/87 (FIPS 204), or the key algorithm OID."),
        f("key_size", pa.uint32(), "Public key size in bits (modulus for RSA/DSA, curve size for EC)."),
        f("key_curve", pa.string(), "Curve of an EC key (secp256r1, ...)."),
        f("sig_alg_oid", pa.string(), "Signature algorithm OID (dotted)."),
        f("sig_alg_name", pa.string(), "Readable twin of sig_alg_oid (rsa_with_sha256, ...)."),
        f("is_ca", pa.bool_(), "basicConstraints cA flag (RFC 5280 section 4.2.1.9); null when absent."),
        f("self_signed", pa.bool_(), "Subject equals issuer and the signature verifies with the certificate's own key "
          "(name equality alone when the key type cannot be verified)."),
        f("expired", pa.bool_(), "not_after is before the time of the packet that carried the certificate."),
        f("not_yet_valid", pa.bool_(), "not_before is after the time of the packet that carried the certificate."),
        f("cert_parse_error", pa.string(), "Why the certificate, or one of its fields, could not be read; null when it parsed."),
    ]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "x509": (X509, "One row per X.509 certificate of a clear-text TLS handshake (TLS <= 1.2; "
                   "TLS 1.3 certificates are encrypted), or of an RDP server's chain (standard "
                   "RDP security)."),
}
"""Table name -> (schema, one-line doc), for registration in wirelens.schema.SCHEMAS."""
