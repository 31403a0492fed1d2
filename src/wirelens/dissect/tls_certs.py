"""TLS Certificate messages and the X.509 certificates they carry.

The Certificate handshake message of TLS <= 1.2 (RFC 5246 §7.4.2, also the client's one,
§7.4.6) is a u24-length list of u24-length DER certificates, sender's (leaf) first. TLS 1.3
sends its Certificate encrypted (RFC 8446 §4.4.2), so it is never seen here.

Each DER certificate is read with ``cryptography`` (:func:`x509.load_der_x509_certificate`).
Bad certificates are common in the wild and are data, not a protocol violation: a
certificate that does not parse (or a field of it) gives an :class:`X509Record` with
``cert_parse_error`` set, never a :class:`~wirelens.wire.errors.ParseError`. Only the framing
of the message (the length-prefixed lists) is checked strictly, by
:func:`parse_certificate_list`.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, mldsa, rsa
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from wirelens.dissect.asn1 import CONTEXT, read_tlv
from wirelens.dissect.base import Event
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import TrailingJunk

__all__ = [
    "MAX_CERTS_PER_CHAIN",
    "MAX_CHAIN_BYTES",
    "MAX_ERROR_CHARS",
    "X509Record",
    "parse_certificate_list",
    "x509_record",
]

MAX_CHAIN_BYTES = 128 * 1024
"""A Certificate message longer than this is skipped by length, not buffered nor parsed
(``cert_status`` ``too_long``). Real chains are 2-8 KiB, long ones (hundreds of SANs) reach
20-40 KiB; the protocol allows 16 MiB (u24), which must not be buffered per flow."""

MAX_CERTS_PER_CHAIN = 16
"""Certificates parsed per chain; the rest are counted (``chain_len``) but not parsed.
Real chains hold 1-5; more is misconfiguration or abuse, and each parse costs time."""

MAX_ERROR_CHARS = 200
"""Length kept of a certificate parse error message."""

CERT_CACHE_ENTRIES = 4096
"""Certificates whose parsed fields are kept (LRU): a server's chain repeats on every
connection to it, and parsing one costs ~0.5 ms; 4,096 entries hold at most ~32 MiB of DER."""

_SIG_ALG_NAMES = {
    value: name.lower()
    for name, value in vars(SignatureAlgorithmOID).items()
    if isinstance(value, x509.ObjectIdentifier)
}
"""Readable names of signature algorithm OIDs (``rsa_with_sha256``), from cryptography's
constants (RFC 4055, RFC 5758, RFC 8410)."""


@dataclass(slots=True)
class X509Record(Event):
    """One certificate of a TLS chain, or of an RDP server's (Zeek ``x509.log`` style), a row
    of ``x509``."""

    table: ClassVar[str | None] = "x509"

    is_client: bool
    """True for the client's chain (client authentication), False for the server's."""
    chain_pos: int
    """Position in the chain as sent: in TLS 0 is the sender's own (leaf) certificate; an RDP
    server sends its own last."""
    chain_len: int
    """Certificates in the whole chain (parsed or not)."""
    der_len: int
    """Size of the DER encoding in bytes."""
    sha1: str
    """SHA-1 of the DER, lower-case hex (the usual certificate fingerprint)."""
    sha256: str
    """SHA-256 of the DER, lower-case hex."""
    x509_version: int | None = None
    """X.509 version (1 or 3)."""
    serial: str | None = None
    """Serial number in upper-case hex, whole bytes (``023A69``), ``-`` prefixed if negative (as
    some CAs wrongly issue): as OpenSSL and Zeek print it (Suricata writes the DER bytes,
    colon-separated, with a leading ``00`` when the top bit is set)."""
    subject: str | None = None
    """Subject distinguished name as an RFC 4514 string (most specific RDN first), as OpenSSL
    prints it (control characters escaped as ``\\XX``)."""
    issuer: str | None = None
    """Issuer distinguished name as an RFC 4514 string."""
    subject_cn: str | None = None
    """First commonName of the subject."""
    san_dns: tuple[str, ...] = ()
    """DNS names of the subjectAltName extension (RFC 5280 §4.2.1.6), in order."""
    san_ip: tuple[str, ...] = ()
    """IP addresses of the subjectAltName extension, in order."""
    not_before: int | None = None
    """Start of validity, seconds since the epoch (UTC)."""
    not_after: int | None = None
    """End of validity, seconds since the epoch (UTC)."""
    key_type: str | None = None
    """Public key type: rsa, ec, dsa, ed25519, ed448, ml-dsa-44/65/87, or the key algorithm OID
    (dotted)."""
    key_size: int | None = None
    """Public key size in bits (modulus for RSA/DSA, curve size for EC)."""
    key_curve: str | None = None
    """Curve name of an EC key (``secp256r1``)."""
    sig_alg_oid: str | None = None
    """Signature algorithm OID (dotted)."""
    sig_alg_name: str | None = None
    """Readable twin of sig_alg_oid (``rsa_with_sha256``), the OID when unknown."""
    is_ca: bool | None = None
    """basicConstraints cA flag (RFC 5280 §4.2.1.9), null when the extension is absent."""
    self_signed: bool | None = None
    """Subject equals issuer and the signature verifies with the certificate's own key
    (name equality alone when the key type cannot be verified by cryptography)."""
    expired: bool | None = None
    """not_after is before the time of the packet that carried it."""
    not_yet_valid: bool | None = None
    """not_before is after the time of the packet that carried it."""
    cert_parse_error: str | None = None
    """Why the certificate (or one of its fields) could not be read; null when it parsed."""

    @property
    def names(self) -> tuple[str, ...]:
        """DNS names of the subjectAltName, then the subject CN if not among them."""
        if self.subject_cn and self.subject_cn not in self.san_dns:
            return (*self.san_dns, self.subject_cn)
        return self.san_dns

    def matches_host(self, host: str) -> bool:
        """Whether ``host`` is one of :attr:`names` (Zeek's ``sni_matches_cert``): compared
        without case or a trailing dot; a ``*`` in a name's left-most label (and only there,
        in a name of at least three labels) stands for any run of characters within the
        host's left-most label, not none of it when the label is the wildcard alone (RFC 6125
        §6.4.3)."""
        host = host.lower().rstrip(".")
        head, _, rest = host.partition(".")
        for name in self.names:
            name = name.lower().rstrip(".")
            if name == host:
                return True
            label, _, domain = name.partition(".")
            if "*" not in label or domain != rest or "*" in domain or domain.count(".") < 1:
                continue
            before, _, after = label.partition("*")
            if ("*" not in after and len(head) >= len(before) + len(after) + (label == "*")
                    and head.startswith(before) and head.endswith(after)):
                return True
        return False


def parse_certificate_list(body: bytes) -> tuple[list[bytes], int]:
    """The DER certificates of a TLS <= 1.2 Certificate body (RFC 5246 §7.4.2).

    Returns (the first :data:`MAX_CERTS_PER_CHAIN` certificates, total count). Raises
    :class:`~wirelens.wire.errors.ParseError` when the vectors do not add up.

    A list whose lengths add up exactly is read by indexing the bytes; anything else is
    read again by :func:`_certificate_list_checked`, which raises the exact error.
    """
    if type(body) is not bytes:
        body = bytes(body)
    size = len(body)
    if size < 3 or (body[0] << 16) | (body[1] << 8) | body[2] != size - 3:
        return _certificate_list_checked(body)
    certs: list[bytes] = []
    count = 0
    pos = 3
    while pos < size:
        start = pos + 3
        if start > size:
            return _certificate_list_checked(body)
        pos = start + ((body[pos] << 16) | (body[pos + 1] << 8) | body[pos + 2])
        if pos > size:
            return _certificate_list_checked(body)
        if count < MAX_CERTS_PER_CHAIN:
            certs.append(body[start:pos])
        count += 1
    return certs, count


def _certificate_list_checked(body: bytes) -> tuple[list[bytes], int]:
    """The reference reader of :func:`parse_certificate_list` (Buffer cursor, exact errors)."""
    buf = Buffer(body)
    certs: list[bytes] = []
    count = 0
    with buf.pull_block(3):
        while not buf.eof():
            with buf.pull_block(3) as length:
                if count < MAX_CERTS_PER_CHAIN:
                    certs.append(buf.pull_bytes(length))
                else:
                    buf.skip(length)
            count += 1
    if not buf.eof():
        raise TrailingJunk("bytes after the certificate_list", buf.tell())
    return certs, count


def _error(where: str, exc: Exception) -> str:
    return f"{where}: {type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def _serial(value: int) -> str:
    """:attr:`X509Record.serial` of a serial number: 0x023A69 is ``023A69``, 0xFD62 ``FD62``,
    -0x12 ``-12``."""
    digits = f"{abs(value):X}"
    return ("-" if value < 0 else "") + ("0" * (len(digits) % 2)) + digits


_NAME_KEYS = {
    NameOID.EMAIL_ADDRESS: "emailAddress", NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.SURNAME: "SN", NameOID.GIVEN_NAME: "GN", NameOID.TITLE: "title",
    NameOID.INITIALS: "initials", NameOID.PSEUDONYM: "pseudonym",
    NameOID.GENERATION_QUALIFIER: "generationQualifier", NameOID.DN_QUALIFIER: "dnQualifier",
    NameOID.BUSINESS_CATEGORY: "businessCategory", NameOID.POSTAL_CODE: "postalCode",
    NameOID.JURISDICTION_COUNTRY_NAME: "jurisdictionC",
    NameOID.JURISDICTION_STATE_OR_PROVINCE_NAME: "jurisdictionST",
    NameOID.JURISDICTION_LOCALITY_NAME: "jurisdictionL",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}
"""OpenSSL's short names of name attributes RFC 4514 gives none (cryptography would write
their OIDs, e.g. ``1.2.840.113549.1.9.1=`` for emailAddress), as Zeek and Suricata print
them."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _dn_text(name: x509.Name) -> str:
    """RFC 4514 text of a name as OpenSSL prints it (``XN_FLAG_RFC2253``, Zeek's and
    Suricata's form): the RDNs last first, the members of a multi-valued RDN last first too
    (RFC 4514 leaves their order open), OpenSSL's short names (:data:`_NAME_KEYS`), and
    control characters escaped as ``\\XX`` (a CR LF in a value cannot split a log line)."""
    text = ",".join("+".join(a.rfc4514_string(_NAME_KEYS) for a in reversed(list(rdn)))
                    for rdn in reversed(name.rdns))
    return _CONTROL.sub(lambda m: f"\\{ord(m.group()):02X}", text)


_ML_DSA = {mldsa.MLDSA44PublicKey: "ml-dsa-44", mldsa.MLDSA65PublicKey: "ml-dsa-65",
           mldsa.MLDSA87PublicKey: "ml-dsa-87"}
"""FIPS 204 public key types (size: the public key's bits, as OpenSSL reports it)."""


def _key(cert: x509.Certificate) -> tuple[str | None, int | None, str | None]:
    """(key_type, key_size, key_curve) of the subject public key."""
    try:
        key = cert.public_key()
    except UnsupportedAlgorithm:
        if cert.public_key_algorithm_oid.dotted_string.startswith(_PKCS1):
            return "rsa", _rsa_bits(cert), None
        raise
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec", key.curve.key_size, key.curve.name
    if isinstance(key, dsa.DSAPublicKey):
        return "dsa", key.key_size, None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448", 456, None
    for cls, name in _ML_DSA.items():
        if isinstance(key, cls):
            return name, 8 * len(key.public_bytes_raw()), None
    return cert.public_key_algorithm_oid.dotted_string, None, None


_PKCS1 = "1.2.840.113549.1.1."
"""PKCS #1 OIDs (RFC 8017 Appendix C). Old Microsoft licensing certificates (RDP's) name the
key's algorithm with a signature OID of the family (md5WithRSAEncryption) where rsaEncryption
belongs; the key is an RSAPublicKey all the same, which cryptography refuses to load."""


def _rsa_bits(cert: x509.Certificate) -> int:
    """Modulus size of the RSAPublicKey (RFC 8017 §A.1.1) in the certificate's
    SubjectPublicKeyInfo: TBSCertificate's 7th element (6th without the [0] version)."""
    parts = read_tlv(cert.tbs_certificate_bytes)[0].children()
    spki = parts[6 if parts[0].cls == CONTEXT else 5].children()
    bits = spki[1].value  # BIT STRING: its unused-bits octet, then the RSAPublicKey
    modulus = read_tlv(bits[1:])[0].children()[0]  # a positive INTEGER of hundreds of octets
    return int.from_bytes(modulus.value, "big").bit_length()


def _self_signed(cert: x509.Certificate) -> bool:
    """Subject == issuer, confirmed by the signature when cryptography can check it."""
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except InvalidSignature:
        return False
    except Exception:  # unsupported key or algorithm (TypeError, ValueError, ...): names only
        return True
    return True


def x509_record(der: bytes, ts_ns: int, is_client: bool, pos: int, count: int) -> X509Record:
    """Read one DER certificate into a row; never raises (errors go in ``cert_parse_error``).

    ``expired``/``not_yet_valid`` are judged at ``ts_ns``, the time of the packet. The same
    certificate is served to many connections, so what does not depend on the connection is
    parsed once (a bounded LRU cache keyed by the DER bytes).
    """
    fields = _cert_fields(der)
    ts_s = ts_ns // 1_000_000_000
    after, before = fields.get("not_after"), fields.get("not_before")
    return X509Record(
        ts_ns=ts_ns, is_client=is_client, chain_pos=pos, chain_len=count,
        expired=ts_s > after if isinstance(after, int) else None,
        not_yet_valid=ts_s < before if isinstance(before, int) else None,
        **fields,  # type: ignore[arg-type]
    )


@lru_cache(maxsize=CERT_CACHE_ENTRIES)
def _cert_fields(der: bytes) -> dict[str, object]:
    """The fields of a certificate that depend on its bytes alone (do not mutate: cached)."""
    base: dict[str, object] = {
        "der_len": len(der),
        "sha1": hashlib.sha1(der).hexdigest(),
        "sha256": hashlib.sha256(der).hexdigest(),
    }
    # cryptography raises ValueError for most bad DER, but hostile input has also produced
    # other exception types in its history: a certificate is data, so every failure is kept
    # as text (the contract allows only ParseError out of a dissector, and this is not one).
    with warnings.catch_warnings():  # e.g. a negative serial: data to record, not to warn about
        warnings.simplefilter("ignore")
        return _parse_fields(der, base)


def _parse_fields(der: bytes, base: dict[str, object]) -> dict[str, object]:
    try:
        cert = x509.load_der_x509_certificate(der)
    except Exception as exc:
        return {**base, "cert_parse_error": _error("certificate", exc)}
    out: dict[str, object] = dict(base)
    errors: list[str] = []

    def get(where: str, fn: object) -> object:
        try:
            return fn()  # type: ignore[operator]
        except Exception as exc:  # one bad field does not hide the others
            errors.append(_error(where, exc))
            return None

    out["x509_version"] = get("version", lambda: cert.version.value + 1)
    out["serial"] = get("serial", lambda: _serial(cert.serial_number))
    out["subject"] = get("subject", lambda: _dn_text(cert.subject))
    out["issuer"] = get("issuer", lambda: _dn_text(cert.issuer))
    cns = get("subject", lambda: cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
    if cns:
        value = cns[0].value  # type: ignore[index]
        out["subject_cn"] = value if isinstance(value, str) else value.decode("latin-1")
    exts = get("extensions", lambda: cert.extensions)
    if isinstance(exts, x509.Extensions):
        for ext in exts:
            if isinstance(ext.value, x509.SubjectAlternativeName):
                san = ext.value
                out["san_dns"] = tuple(san.get_values_for_type(x509.DNSName))
                out["san_ip"] = tuple(str(a) for a in san.get_values_for_type(x509.IPAddress))
            elif isinstance(ext.value, x509.BasicConstraints):
                out["is_ca"] = ext.value.ca
    out["not_before"] = get("not_before", lambda: int(cert.not_valid_before_utc.timestamp()))
    out["not_after"] = get("not_after", lambda: int(cert.not_valid_after_utc.timestamp()))
    key = get("public_key", lambda: _key(cert))
    if isinstance(key, tuple):
        out["key_type"], out["key_size"], out["key_curve"] = key
    oid = get("signature_algorithm", lambda: cert.signature_algorithm_oid)
    if isinstance(oid, x509.ObjectIdentifier):
        out["sig_alg_oid"] = oid.dotted_string
        out["sig_alg_name"] = _SIG_ALG_NAMES.get(oid, oid.dotted_string)
    out["self_signed"] = get("self_signed", lambda: _self_signed(cert))
    if errors:
        out["cert_parse_error"] = "; ".join(errors)[:MAX_ERROR_CHARS]
    return out
