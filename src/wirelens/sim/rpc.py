"""DCE/RPC and NTLMSSP messages for the simulator: a Windows client asking the domain
controller's endpoint mapper for a port, then calling the LSA over an NTLM-authenticated,
encrypted association (what a workstation does at logon and when it resolves names).

Layouts: DCE 1.1 RPC §12.6 (connection-oriented PDUs, little-endian NDR), MS-RPCE §2.2.2.11
(the auth verifier: padding to 4 bytes, sec_trailer, token), MS-NLMP §2.2.1 (NEGOTIATE,
CHALLENGE with its target information, AUTHENTICATE with an NTLMv2 response), MS-NLMP
§3.4.4.2 (the 16-byte message signature of a sealed PDU).
"""

from __future__ import annotations

import random
import struct
import uuid

__all__ = ["EPMAPPER", "LSARPC", "auth3", "bind", "bind_ack", "ept_map_request",
           "ept_map_response", "ntlm_authenticate", "ntlm_challenge", "ntlm_negotiate",
           "request", "response"]

EPMAPPER = (uuid.UUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), 3, 0)
LSARPC = (uuid.UUID("12345778-1234-abcd-ef00-0123456789ab"), 0, 0)
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
"""The NDR transfer syntax, version 2 (DCE 1.1 appendix I)."""

BIND, BIND_ACK, REQUEST, RESPONSE, AUTH3 = 11, 12, 0, 2, 16
FIRST_AND_LAST = 0x03
AUTHN_WINNT, LEVEL_PRIVACY = 10, 6
"""MS-RPCE §2.2.1.1.7-8: NTLMSSP, packet privacy (stubs encrypted)."""
_SIGNATURE = 16
"""NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP §2.2.2.9.1): version 1, checksum, sequence number."""


def _pdu(ptype: int, call_id: int, body: bytes, auth: bytes | None = None) -> bytes:
    """Common header (DCE 1.1 §12.6.3.1) + body + the auth verifier when ``auth`` is given
    (NTLMSSP at packet privacy, MS-RPCE §2.2.2.11)."""
    tail = b""
    if auth is not None:
        pad = -(16 + len(body)) % 4
        tail = bytes(pad) + struct.pack("<BBBBI", AUTHN_WINNT, LEVEL_PRIVACY, pad, 0, 0) + auth
    head = struct.pack("<BBBB4sHHI", 5, 0, ptype, FIRST_AND_LAST, b"\x10\x00\x00\x00",
                       16 + len(body) + len(tail), len(auth) if auth is not None else 0,
                       call_id)
    return head + body + tail


def bind(call_id: int, interface: tuple[uuid.UUID, int, int], token: bytes | None = None,
         ) -> bytes:
    """A bind offering one presentation context (the interface over NDR)."""
    iface, major, minor = interface
    ctx = (struct.pack("<HBB", 0, 1, 0) + iface.bytes_le + struct.pack("<HH", major, minor)
           + NDR.bytes_le + struct.pack("<I", 2))
    body = struct.pack("<HHI", 4280, 4280, 0) + bytes((1, 0, 0, 0)) + ctx
    return _pdu(BIND, call_id, body, token)


def bind_ack(call_id: int, port: str, assoc_group: int, token: bytes | None = None) -> bytes:
    """The context accepted; ``port`` the secondary address (a TCP port's digits)."""
    spec = port.encode() + b"\x00"
    body = struct.pack("<HHIH", 4280, 4280, assoc_group, len(spec)) + spec
    body += bytes(-(16 + len(body)) % 4)
    body += bytes((1, 0, 0, 0)) + struct.pack("<HH", 0, 0) + NDR.bytes_le + struct.pack("<I", 2)
    return _pdu(BIND_ACK, call_id, body, token)


def auth3(call_id: int, token: bytes) -> bytes:
    """The client's last authentication leg (MS-RPCE §2.2.2.10)."""
    return _pdu(AUTH3, call_id, bytes(4), token)


def request(rng: random.Random, call_id: int, opnum: int, stub: bytes, sealed: bool) -> bytes:
    """A call's request carrying ``stub`` (sealed: encrypted bytes and a signature)."""
    body = struct.pack("<IHH", len(stub), 0, opnum) + stub
    return _pdu(REQUEST, call_id, body, rng.randbytes(_SIGNATURE) if sealed else None)


def response(rng: random.Random, call_id: int, stub: bytes, sealed: bool) -> bytes:
    body = struct.pack("<IHBB", len(stub), 0, 0, 0) + stub
    return _pdu(RESPONSE, call_id, body, rng.randbytes(_SIGNATURE) if sealed else None)


# --- the endpoint mapper's ept_map (DCE 1.1 appendix O, appendix L: protocol towers) -------

def _tower(interface: tuple[uuid.UUID, int, int], port: int, ip: bytes) -> bytes:
    """twr_t: a tower of five floors, interface, NDR, RPC connection-oriented, TCP port, IP
    address (each floor: left side length and bytes, right side length and bytes)."""
    iface, major, minor = interface
    floors = [
        (b"\x0d" + iface.bytes_le + struct.pack("<H", major), struct.pack("<H", minor)),
        (b"\x0d" + NDR.bytes_le + struct.pack("<H", 2), struct.pack("<H", 0)),
        (b"\x0b", struct.pack("<H", 0)),
        (b"\x07", struct.pack(">H", port)),
        (b"\x09", ip),
    ]
    octets = struct.pack("<H", len(floors)) + b"".join(
        struct.pack("<H", len(lhs)) + lhs + struct.pack("<H", len(rhs)) + rhs
        for lhs, rhs in floors)
    pad = bytes(-len(octets) % 4)
    return struct.pack("<II", len(octets), len(octets)) + octets + pad


def ept_map_request(interface: tuple[uuid.UUID, int, int]) -> bytes:
    """ept_map's NDR arguments: no object, the wanted tower (port and address 0), a null
    entry handle, at most 4 towers back."""
    return (struct.pack("<I", 1) + bytes(16)  # object: a unique pointer to the nil UUID
            + struct.pack("<I", 2) + _tower(interface, 0, bytes(4))  # map_tower (ref id)
            + bytes(20) + struct.pack("<I", 4))


def ept_map_response(interface: tuple[uuid.UUID, int, int], port: int, ip: bytes) -> bytes:
    """ept_map's answer: the entry handle, one tower naming ``port`` at ``ip``, status 0."""
    tower = _tower(interface, port, ip)
    return (bytes(20) + struct.pack("<I", 1)  # entry handle, num_towers
            + struct.pack("<IIII", 4, 0, 1, 3) + tower  # max/offset/actual count, referent
            + struct.pack("<I", 0))


# --- NTLMSSP (MS-NLMP §2.2.1) ---------------------------------------------------------------

_FLAGS = 0xE2888235
"""NegotiateFlags of a modern client: 56/128-bit, key exchange, version, target info,
extended session security, always sign, NTLM, seal, sign, request target, Unicode."""


def ntlm_negotiate() -> bytes:
    """NEGOTIATE_MESSAGE with empty domain and workstation fields and a version."""
    return (b"NTLMSSP\x00" + struct.pack("<II", 1, _FLAGS) + struct.pack("<HHI", 0, 0, 0) * 2
            + bytes((10, 0)) + struct.pack("<H", 19041) + bytes(3) + b"\x0f")


def _av(av_id: int, text: str) -> bytes:
    raw = text.encode("utf-16-le")
    return struct.pack("<HH", av_id, len(raw)) + raw


def ntlm_challenge(rng: random.Random, nb_computer: str, nb_domain: str, dns_computer: str,
                   dns_domain: str) -> bytes:
    """CHALLENGE_MESSAGE: the target name and information naming the server (§2.2.2.1)."""
    target = nb_domain.encode("utf-16-le")
    info = (_av(2, nb_domain) + _av(1, nb_computer) + _av(4, dns_domain) + _av(3, dns_computer)
            + _av(5, dns_domain) + struct.pack("<HH", 7, 8) + rng.randbytes(8)
            + struct.pack("<HH", 0, 0))
    offset = 56
    head = (b"NTLMSSP\x00" + struct.pack("<I", 2)
            + struct.pack("<HHI", len(target), len(target), offset)
            + struct.pack("<I", _FLAGS) + rng.randbytes(8) + bytes(8)
            + struct.pack("<HHI", len(info), len(info), offset + len(target))
            + bytes((10, 0)) + struct.pack("<H", 17763) + bytes(3) + b"\x0f")
    return head + target + info


def ntlm_authenticate(rng: random.Random, user: str, domain: str, host: str,
                      challenge: bytes) -> bytes:
    """AUTHENTICATE_MESSAGE with an NTLMv2 response (§2.2.2.8: a random proof, then the
    client's blob with its time, challenge and the server's target information from
    ``challenge``) and an encrypted session key (§2.2.1.3)."""
    info_len, info_at = struct.unpack_from("<HxxI", challenge, 40)
    info = challenge[info_at : info_at + info_len]
    blob = (b"\x01\x01" + bytes(6) + struct.pack("<Q", 133_500_000_000_000_000)
            + rng.randbytes(8) + bytes(4) + info + bytes(4))
    fields = [b"\x00" * 24, rng.randbytes(16) + blob,
              domain.encode("utf-16-le"), user.encode("utf-16-le"), host.encode("utf-16-le"),
              rng.randbytes(16)]
    offset = 88  # header, version and MIC
    head = b"NTLMSSP\x00" + struct.pack("<I", 3)
    payload = b""
    for raw in fields:
        head += struct.pack("<HHI", len(raw), len(raw), offset + len(payload))
        payload += raw
    head += struct.pack("<I", _FLAGS) + bytes((10, 0)) + struct.pack("<H", 19041) + bytes(3)
    head += b"\x0f" + rng.randbytes(16)  # version, MIC
    return head + payload
