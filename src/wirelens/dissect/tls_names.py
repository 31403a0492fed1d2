"""Readable names of TLS wire codes: named groups, signature schemes, extensions, alerts.

Codes and names are those of the IANA TLS registries (TLS Supported Groups, TLS
SignatureScheme, TLS ExtensionType Values, TLS Alerts) and the RFCs cited per enum. Codes not
listed are shown in hex (``0x11ec``), GREASE values (RFC 8701) as ``GREASE``.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "AlertDescription",
    "AlertLevel",
    "KnownExtension",
    "NamedGroup",
    "SignatureScheme",
    "alert_description_name",
    "alert_level_name",
    "extension_name",
    "group_name",
    "signature_scheme_name",
]


class NamedGroup(IntEnum):
    """Key exchange groups (RFC 8446 §4.2.7, RFC 8422 §5.1.1, RFC 7919, RFC 8734)."""

    secp256k1 = 0x0016
    secp256r1 = 0x0017
    secp384r1 = 0x0018
    secp521r1 = 0x0019
    x25519 = 0x001D
    x448 = 0x001E
    brainpoolP256r1tls13 = 0x001F
    brainpoolP384r1tls13 = 0x0020
    brainpoolP512r1tls13 = 0x0021
    ffdhe2048 = 0x0100
    ffdhe3072 = 0x0101
    ffdhe4096 = 0x0102
    ffdhe6144 = 0x0103
    ffdhe8192 = 0x0104
    SecP256r1MLKEM768 = 0x11EB
    X25519MLKEM768 = 0x11EC
    SecP384r1MLKEM1024 = 0x11ED
    X25519Kyber768Draft00 = 0x6399


class SignatureScheme(IntEnum):
    """Signature schemes (RFC 8446 §4.2.3; legacy TLS 1.2 hash/signature pairs of RFC 5246
    §7.4.1.4.1 that share the code space are listed by their pair name)."""

    rsa_md5 = 0x0101
    rsa_pkcs1_sha1 = 0x0201
    dsa_sha1 = 0x0202
    ecdsa_sha1 = 0x0203
    rsa_sha224 = 0x0301
    dsa_sha224 = 0x0302
    ecdsa_sha224 = 0x0303
    rsa_pkcs1_sha256 = 0x0401
    dsa_sha256 = 0x0402
    ecdsa_secp256r1_sha256 = 0x0403
    rsa_pkcs1_sha384 = 0x0501
    dsa_sha384 = 0x0502
    ecdsa_secp384r1_sha384 = 0x0503
    rsa_pkcs1_sha512 = 0x0601
    dsa_sha512 = 0x0602
    ecdsa_secp521r1_sha512 = 0x0603
    rsa_pss_rsae_sha256 = 0x0804
    rsa_pss_rsae_sha384 = 0x0805
    rsa_pss_rsae_sha512 = 0x0806
    ed25519 = 0x0807
    ed448 = 0x0808
    rsa_pss_pss_sha256 = 0x0809
    rsa_pss_pss_sha384 = 0x080A
    rsa_pss_pss_sha512 = 0x080B
    ecdsa_brainpoolP256r1tls13_sha256 = 0x081A
    ecdsa_brainpoolP384r1tls13_sha384 = 0x081B
    ecdsa_brainpoolP512r1tls13_sha512 = 0x081C


class KnownExtension(IntEnum):
    """Extension types (IANA TLS ExtensionType Values; the defining RFC per line)."""

    server_name = 0  # RFC 6066
    max_fragment_length = 1  # RFC 6066
    status_request = 5  # RFC 6066
    supported_groups = 10  # RFC 8422, 7919
    ec_point_formats = 11  # RFC 8422
    signature_algorithms = 13  # RFC 8446
    use_srtp = 14  # RFC 5764
    heartbeat = 15  # RFC 6520
    application_layer_protocol_negotiation = 16  # RFC 7301
    status_request_v2 = 17  # RFC 6961
    signed_certificate_timestamp = 18  # RFC 6962
    client_certificate_type = 19  # RFC 7250
    server_certificate_type = 20  # RFC 7250
    padding = 21  # RFC 7685
    encrypt_then_mac = 22  # RFC 7366
    extended_master_secret = 23  # RFC 7627
    token_binding = 24  # RFC 8472
    cached_info = 25  # RFC 7924
    compress_certificate = 27  # RFC 8879
    record_size_limit = 28  # RFC 8449
    delegated_credential = 34  # RFC 9345
    session_ticket = 35  # RFC 5077, 8447
    pre_shared_key = 41  # RFC 8446
    early_data = 42  # RFC 8446
    supported_versions = 43  # RFC 8446
    cookie = 44  # RFC 8446
    psk_key_exchange_modes = 45  # RFC 8446
    certificate_authorities = 47  # RFC 8446
    oid_filters = 48  # RFC 8446
    post_handshake_auth = 49  # RFC 8446
    signature_algorithms_cert = 50  # RFC 8446
    key_share = 51  # RFC 8446
    quic_transport_parameters = 57  # RFC 9001
    next_protocol_negotiation = 13172  # draft-agl-tls-nextprotoneg
    application_settings_old = 17513  # draft-vvv-tls-alps
    application_settings = 17613  # draft-vvv-tls-alps
    encrypted_client_hello = 65037  # draft-ietf-tls-esni
    renegotiation_info = 65281  # RFC 5746


class AlertLevel(IntEnum):
    """Alert levels (RFC 5246 §7.2; RFC 8446 §6 keeps them on the wire)."""

    warning = 1
    fatal = 2


class AlertDescription(IntEnum):
    """Alert descriptions (RFC 8446 §6, RFC 5246 §7.2 for the ones TLS 1.3 reserved)."""

    close_notify = 0
    unexpected_message = 10
    bad_record_mac = 20
    decryption_failed = 21
    record_overflow = 22
    decompression_failure = 30
    handshake_failure = 40
    no_certificate = 41
    bad_certificate = 42
    unsupported_certificate = 43
    certificate_revoked = 44
    certificate_expired = 45
    certificate_unknown = 46
    illegal_parameter = 47
    unknown_ca = 48
    access_denied = 49
    decode_error = 50
    decrypt_error = 51
    export_restriction = 60
    protocol_version = 70
    insufficient_security = 71
    internal_error = 80
    inappropriate_fallback = 86
    user_canceled = 90
    no_renegotiation = 100
    missing_extension = 109
    unsupported_extension = 110
    certificate_unobtainable = 111
    unrecognized_name = 112
    bad_certificate_status_response = 113
    bad_certificate_hash_value = 114
    unknown_psk_identity = 115
    certificate_required = 116
    no_application_protocol = 120
    ech_required = 121


def _is_grease(value: int) -> bool:
    """GREASE values 0x?A?A (RFC 8701 §2)."""
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def _names(enum: type[IntEnum]) -> dict[int, str]:
    return {m.value: m.name for m in enum}


_GROUPS = _names(NamedGroup)
_SCHEMES = _names(SignatureScheme)
_EXTENSIONS = _names(KnownExtension)
_LEVELS = _names(AlertLevel)
_DESCRIPTIONS = _names(AlertDescription)


def _name(table: dict[int, str], code: int, digits: int) -> str:
    name = table.get(code)
    if name is not None:
        return name
    if digits == 4 and _is_grease(code):
        return "GREASE"
    return f"0x{code:0{digits}x}"


def group_name(code: int) -> str:
    """Name of a supported_groups code (``x25519``), ``GREASE`` or hex."""
    return _name(_GROUPS, code, 4)


def signature_scheme_name(code: int) -> str:
    """Name of a signature_algorithms code (``rsa_pss_rsae_sha256``), ``GREASE`` or hex."""
    return _name(_SCHEMES, code, 4)


def extension_name(code: int) -> str:
    """Name of an extension type (``server_name``), ``GREASE`` or hex."""
    return _name(_EXTENSIONS, code, 4)


def alert_level_name(code: int) -> str:
    """``warning``, ``fatal`` or hex."""
    return _name(_LEVELS, code, 2)


def alert_description_name(code: int) -> str:
    """Name of an alert description (``handshake_failure``) or hex."""
    return _name(_DESCRIPTIONS, code, 2)
