"""NTLMSSP messages (MS-NLMP §2.2.1) inside other protocols' security blobs: SMB session
setups, LDAP SASL and Sicily binds, ... Found by their signature and type (the SPNEGO or other
wrapping around them is not parsed).

- :func:`authenticate`: the AUTHENTICATE_MESSAGE's user, domain and workstation (§2.2.1.3);
- :func:`challenge`: the CHALLENGE_MESSAGE's target information (§2.2.1.2, AV_PAIRs §2.2.2.1):
  the server's NetBIOS and DNS computer and domain names and its forest (tree) name, which an
  unauthenticated client learns from the server (reconnaissance of a Windows domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded

__all__ = ["NtlmAuthenticate", "NtlmChallenge", "authenticate", "challenge"]

NTLM_MAX_NAME_CHARS = 1024
"""Characters kept of a name."""

NTLM_MAX_AV_PAIRS = 64
"""AV_PAIRs read from a challenge's target information (servers send about ten)."""

_AUTHENTICATE = b"NTLMSSP\x00\x03\x00\x00\x00"
_CHALLENGE = b"NTLMSSP\x00\x02\x00\x00\x00"
_NEGOTIATE_UNICODE = 0x1
_AV_EOL, _AV_NB_COMPUTER, _AV_NB_DOMAIN, _AV_DNS_COMPUTER, _AV_DNS_DOMAIN, _AV_DNS_TREE = range(6)


@dataclass(slots=True)
class NtlmAuthenticate:
    """Who authenticated (§2.2.1.3); None where the message leaves a field empty."""

    user: str | None
    domain: str | None
    host: str | None

    @property
    def account(self) -> str | None:
        """``DOMAIN\\user`` (the user alone without a domain; None without a user)."""
        if not self.user:
            return None
        return f"{self.domain}\\{self.user}" if self.domain else self.user


@dataclass(slots=True)
class NtlmChallenge:
    """The server's names from a challenge's target information (§2.2.2.1)."""

    nb_computer: str | None
    """MsvAvNbComputerName."""
    nb_domain: str | None
    """MsvAvNbDomainName."""
    dns_computer: str | None
    """MsvAvDnsComputerName."""
    dns_domain: str | None
    """MsvAvDnsDomainName."""
    dns_tree: str | None
    """MsvAvDnsTreeName: the forest."""


def _utf16(raw: bytes) -> str | None:
    return raw.decode("utf-16-le", "replace").rstrip("\x00")[:NTLM_MAX_NAME_CHARS] or None


def _field(buf: Buffer, msg: bytes, at: int, clip: bool = False) -> bytes:
    """A payload field's bytes from its (Len, MaxLen, BufferOffset) descriptor (§2.2.1);
    with ``clip``, a field whose declared length runs past the message is cut at its end
    (the bytes that are there are read)."""
    length = buf.pull_u16_le()
    buf.skip(2)
    offset = buf.pull_u32_le()
    if offset > len(msg) or (offset + length > len(msg) and not clip):
        raise BadValue("NTLMSSP field outside the message", at + buf.tell())
    return msg[offset : offset + length]


def _message(blob: bytes, head: bytes) -> tuple[bytes, Buffer, int] | None:
    """(the message from its signature on, a cursor after signature and type, its offset in
    ``blob``) of the first message starting with ``head``, or None."""
    at = blob.find(head)
    if at < 0:
        return None
    msg = blob[at:]
    buf = Buffer(msg)
    buf.skip(len(head))
    return msg, buf, at


def authenticate(blob: bytes) -> NtlmAuthenticate | None:
    """The AUTHENTICATE_MESSAGE in ``blob``, or None; a damaged one raises ``ParseError``."""
    found = _message(blob, _AUTHENTICATE)
    if found is None:
        return None
    msg, buf, at = found
    buf.skip(8 + 8)  # Lm- and NtChallengeResponseFields
    domain, user, host = (_field(buf, msg, at) for _ in range(3))
    buf.skip(8)  # EncryptedRandomSessionKeyFields
    if buf.pull_u32_le() & _NEGOTIATE_UNICODE:
        return NtlmAuthenticate(_utf16(user), _utf16(domain), _utf16(host))
    return NtlmAuthenticate(*(f.decode("latin-1")[:NTLM_MAX_NAME_CHARS] or None
                              for f in (user, domain, host)))


def challenge(blob: bytes) -> NtlmChallenge | None:
    """The CHALLENGE_MESSAGE in ``blob``, or None; a damaged one raises ``ParseError``."""
    found = _message(blob, _CHALLENGE)
    if found is None:
        return None
    msg, buf, at = found
    buf.skip(8 + 4 + 8 + 8)  # TargetNameFields, NegotiateFlags, ServerChallenge, Reserved
    # TargetInfoFields; some servers declare it longer than they send (Zeek's
    # ntlm-unterminated-av-sequence trace: four bytes short, no MsvAvEOL): the pairs there
    # are read
    info = Buffer(_field(buf, msg, at, clip=True))
    names: dict[int, str | None] = {}
    for _ in range(NTLM_MAX_AV_PAIRS):
        if info.eof():  # some servers end the list without MsvAvEOL
            break
        av_id, length = info.pull_u16_le(), info.pull_u16_le()
        value = info.pull_bytes(length)
        if av_id == _AV_EOL:
            break
        if _AV_NB_COMPUTER <= av_id <= _AV_DNS_TREE:
            names[av_id] = _utf16(value)  # AV_PAIR strings are always Unicode (§2.2.2.1)
    else:
        raise LimitExceeded(f"over {NTLM_MAX_AV_PAIRS} AV_PAIRs", at)
    return NtlmChallenge(*(names.get(i) for i in range(_AV_NB_COMPUTER, _AV_DNS_TREE + 1)))
