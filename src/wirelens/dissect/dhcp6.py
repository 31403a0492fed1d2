"""DHCPv6 (RFC 8415) over UDP: one :class:`Dhcpv6Record` per message.

Client/server messages (RFC 8415 §8): ``msg-type (1), transaction-id (3), options``.
Relay messages (§9): ``msg-type (12 or 13), hop-count, link-address (16), peer-address
(16), options``, the relayed message inside a Relay Message option (9); relays nest.
Options (§21.1): ``option-code (2), option-len (2), data``; the option list must use up the
message exactly.

Why a table of its own (``dhcpv6``) rather than a ``version`` column in ``dhcp``: the two
protocols share a purpose, not a format. DHCPv4 rows are about the BOOTP header (chaddr,
ciaddr/yiaddr/siaddr/giaddr, sname/file) and one address per lease; DHCPv6 rows are about
DUIDs, identity associations holding several addresses and delegated prefixes, and relay
nesting. One table would be half null columns in every row, and a column would mean
different things by version (a v4 ``client_id`` vs a v6 DUID). Both tables share the
column names where the meaning is the same (``msg_type``/``msg_type_name``, ``fingerprint``,
``dns_servers``, ``client_fqdn``, ``vendor_class``), so a query over both is a ``UNION``.

For a relayed message the row describes the innermost client/server message
(``msg_type`` stays the outer relay type; ``relayed_msg_type`` is the inner one).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Dissector, Event
from wirelens.dissect.dhcp import wire_name
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded

__all__ = [
    "DHCPV6_MAX_OPTIONS",
    "DHCPV6_MAX_RELAY_DEPTH",
    "Dhcpv6Dissector",
    "Dhcpv6MsgType",
    "Dhcpv6Option",
    "Dhcpv6Record",
    "DuidType",
    "parse_dhcpv6",
]

DHCPV6_MAX_RELAY_DEPTH = 32
"""Relay messages nested at most HOP_COUNT_LIMIT = 32 deep (RFC 8415 §7.6)."""

DHCPV6_MAX_OPTIONS = 512
"""Options in one message (all levels). A datagram of 64 KiB could hold 16,000 empty
options; real messages have a dozen."""

DHCPV6_MAX_KEPT = 64
"""Addresses, prefixes, names or codes kept in one list field."""

_MATCH_MAX_OPTIONS = 64
"""Top-level options walked by :meth:`Dhcpv6Dissector.matches` before it gives up."""


class Dhcpv6MsgType(IntEnum):
    """Message types (RFC 8415 §7.3; 14 and later from RFC 5007, 5460, 7341, 8156)."""

    SOLICIT = 1
    ADVERTISE = 2
    REQUEST = 3
    CONFIRM = 4
    RENEW = 5
    REBIND = 6
    REPLY = 7
    RELEASE = 8
    DECLINE = 9
    RECONFIGURE = 10
    INFORMATION_REQUEST = 11
    RELAY_FORW = 12
    RELAY_REPL = 13
    LEASEQUERY = 14
    LEASEQUERY_REPLY = 15
    LEASEQUERY_DONE = 16
    LEASEQUERY_DATA = 17
    RECONFIGURE_REQUEST = 18
    RECONFIGURE_REPLY = 19
    DHCPV4_QUERY = 20
    DHCPV4_RESPONSE = 21


class Dhcpv6Option(IntEnum):
    """Option codes read here (RFC 8415 §21 unless noted)."""

    CLIENTID = 1
    SERVERID = 2
    IA_NA = 3
    IA_TA = 4
    IAADDR = 5
    ORO = 6
    ELAPSED_TIME = 8
    RELAY_MSG = 9
    STATUS_CODE = 13
    VENDOR_CLASS = 16
    DNS_SERVERS = 23  # RFC 3646
    DOMAIN_LIST = 24  # RFC 3646
    IA_PD = 25
    IAPREFIX = 26
    CLIENT_FQDN = 39  # RFC 4704


class DuidType(IntEnum):
    """DUID types (RFC 8415 §11.1; 4 from RFC 6355)."""

    LLT = 1
    EN = 2
    LL = 3
    UUID = 4


class StatusCode(IntEnum):
    """Status codes (RFC 8415 §21.13)."""

    Success = 0
    UnspecFail = 1
    NoAddrsAvail = 2
    NoBinding = 3
    NotOnLink = 4
    UseMulticast = 5
    NoPrefixAvail = 6


_MSG_NAMES = {m.value: m.name for m in Dhcpv6MsgType}
_DUID_NAMES = {m.value: m.name for m in DuidType}
_STATUS_NAMES = {m.value: m.name for m in StatusCode}
_RELAYS = (Dhcpv6MsgType.RELAY_FORW, Dhcpv6MsgType.RELAY_REPL)


def msg_type_name(code: int | None) -> str | None:
    """Readable twin of a message type (``TYPE<n>`` when unknown)."""
    return None if code is None else _MSG_NAMES.get(code, f"TYPE{code}")


@dataclass(slots=True)
class Dhcpv6Record(Event):
    """One DHCPv6 message (for a relayed one: the relay and the innermost message)."""

    table: ClassVar[str | None] = "dhcpv6"

    msg_type: int
    """Message type of the datagram (RELAY_FORW/RELAY_REPL for relayed messages)."""
    msg_type_name: str
    """Readable twin of ``msg_type`` (SOLICIT, ADVERTISE, REQUEST, REPLY, ...)."""
    relayed_msg_type: int | None
    """Type of the innermost relayed message; None when not relayed."""
    relayed_msg_type_name: str | None
    """Readable twin of ``relayed_msg_type``."""
    hop_count: int | None
    """Outer relay's hop-count; None when not relayed."""
    link_addr: str | None
    """Outer relay's link-address."""
    peer_addr: str | None
    """Outer relay's peer-address."""
    trans_id: int | None
    """Transaction id (24 bits) of the client/server message; None if no inner message."""
    client_duid: str | None
    """Client Identifier (option 1): the DUID, hex."""
    client_duid_type: int | None
    """DUID type of ``client_duid`` (1 LLT, 2 EN, 3 LL, 4 UUID)."""
    client_duid_type_name: str | None
    """Readable twin of ``client_duid_type``."""
    client_mac: str | None
    """Link-layer address inside a DUID-LLT/DUID-LL of hardware type 1 (Ethernet)."""
    server_duid: str | None
    """Server Identifier (option 2): the DUID, hex."""
    ia_addrs: tuple[str, ...]
    """Addresses (IAADDR) inside IA_NA/IA_TA options, in order."""
    assigned_addrs: tuple[str, ...]
    """For a REPLY: the ``ia_addrs`` with a non-zero valid lifetime (the leases granted)."""
    prefixes: tuple[str, ...]
    """Delegated prefixes (IAPREFIX inside IA_PD), ``addr/len``."""
    client_fqdn: str | None
    """Client FQDN (option 39, RFC 4704)."""
    vendor_class_enterprise: int | None
    """Vendor Class (option 16): IANA enterprise number."""
    vendor_class: tuple[str, ...]
    """Vendor Class data items, as text."""
    oro: tuple[int, ...]
    """Option Request Option (6): requested option codes, in order."""
    fingerprint: str | None
    """``oro`` joined by commas (the DHCPv6 fingerprint form)."""
    elapsed_time_cs: int | None
    """Elapsed Time (option 8), hundredths of a second."""
    status_code: int | None
    """First Status Code (option 13) found, top level or inside an IA."""
    status_code_name: str | None
    """Readable twin of ``status_code``."""
    status_message: str | None
    """Its status message."""
    dns_servers: tuple[str, ...]
    """DNS recursive name servers (option 23)."""
    domain_list: tuple[str, ...]
    """Domain search list (option 24)."""
    options: tuple[int, ...]
    """Top-level option codes of the innermost message, in order."""


class _Acc:
    """What is collected while walking one message's options."""

    def __init__(self) -> None:
        self.count = 0
        self.client_duid: bytes | None = None
        self.server_duid: bytes | None = None
        self.ia_addrs: list[tuple[str, int]] = []
        self.prefixes: list[str] = []
        self.fqdn: str | None = None
        self.vendor_en: int | None = None
        self.vendor: list[str] = []
        self.oro: tuple[int, ...] = ()
        self.elapsed: int | None = None
        self.status: tuple[int, str] | None = None
        self.dns: list[str] = []
        self.domains: list[str] = []
        self.codes: list[int] = []


def _options(buf: Buffer, acc: _Acc) -> list[tuple[int, bytes]]:
    """The options up to the end of ``buf``'s window: (code, data)."""
    out = []
    while not buf.eof():
        code = buf.pull_u16()
        with buf.pull_block(2) as length:
            data = buf.pull_bytes(length)
        acc.count += 1
        if acc.count > DHCPV6_MAX_OPTIONS:
            raise LimitExceeded(f"more than {DHCPV6_MAX_OPTIONS} options")
        out.append((code, data))
    return out


def _status(data: bytes) -> tuple[int, str]:
    buf = Buffer(data)
    code = buf.pull_u16()
    return code, buf.pull_rest().decode("utf-8", "backslashreplace")


def _names(data: bytes) -> list[str]:
    """A list of uncompressed wire-format names (RFC 8415 §10, RFC 3646 §4)."""
    out: list[str] = []
    pos = 0
    while pos < len(data) and len(out) < DHCPV6_MAX_KEPT:
        end = pos
        while end < len(data) and data[end] != 0:
            end += data[end] + 1
        end = min(end + 1, len(data))
        out.append(wire_name(data[pos:end]))
        pos = end
    return out


def _ia(code: int, data: bytes, acc: _Acc) -> None:
    """IA_NA/IA_PD (IAID, T1, T2, options) or IA_TA (IAID, options), §21.4-21.5, §21.21."""
    buf = Buffer(data)
    buf.skip(4 if code == Dhcpv6Option.IA_TA else 12)
    for sub, sdata in _options(buf, acc):
        if sub == Dhcpv6Option.IAADDR and code != Dhcpv6Option.IA_PD:
            b = Buffer(sdata)  # §21.6: address, preferred-lifetime, valid-lifetime, options
            addr = str(ipaddress.IPv6Address(b.pull_bytes(16)))
            b.skip(4)
            valid = b.pull_u32()
            if len(acc.ia_addrs) < DHCPV6_MAX_KEPT:
                acc.ia_addrs.append((addr, valid))
            _walk_inner(b, acc)
        elif sub == Dhcpv6Option.IAPREFIX and code == Dhcpv6Option.IA_PD:
            b = Buffer(sdata)  # §21.22: preferred, valid, prefix-length, prefix, options
            b.skip(8)
            plen = b.pull_u8()
            if plen > 128:
                raise BadValue(f"prefix length {plen}")
            prefix = ipaddress.IPv6Address(b.pull_bytes(16))
            if len(acc.prefixes) < DHCPV6_MAX_KEPT:
                acc.prefixes.append(f"{prefix}/{plen}")
            _walk_inner(b, acc)
        elif sub == Dhcpv6Option.STATUS_CODE and acc.status is None:
            acc.status = _status(sdata)


def _walk_inner(buf: Buffer, acc: _Acc) -> None:
    """Options inside an IAADDR/IAPREFIX: only a status code is kept."""
    for sub, sdata in _options(buf, acc):
        if sub == Dhcpv6Option.STATUS_CODE and acc.status is None:
            acc.status = _status(sdata)


def _message(data: bytes, acc: _Acc) -> None:
    """Options of a client/server message, from offset 4 (RFC 8415 §8)."""
    buf = Buffer(data, 4)
    for code, value in _options(buf, acc):
        acc.codes.append(code)
        if code == Dhcpv6Option.CLIENTID:
            acc.client_duid = value
        elif code == Dhcpv6Option.SERVERID:
            acc.server_duid = value
        elif code in (Dhcpv6Option.IA_NA, Dhcpv6Option.IA_TA, Dhcpv6Option.IA_PD):
            _ia(code, value, acc)
        elif code == Dhcpv6Option.ORO:
            if len(value) % 2:
                raise BadValue(f"option request option of {len(value)} bytes")
            acc.oro = tuple(
                int.from_bytes(value[i : i + 2], "big")
                for i in range(0, min(len(value), 2 * DHCPV6_MAX_KEPT), 2)
            )
        elif code == Dhcpv6Option.ELAPSED_TIME:
            if len(value) != 2:
                raise BadValue(f"elapsed time option of {len(value)} bytes")
            acc.elapsed = int.from_bytes(value, "big")
        elif code == Dhcpv6Option.STATUS_CODE:
            acc.status = _status(value)
        elif code == Dhcpv6Option.VENDOR_CLASS:
            b = Buffer(value)  # §21.16: enterprise-number, then (len u16, data) items
            acc.vendor_en = b.pull_u32()
            while not b.eof():
                with b.pull_block(2) as n:
                    item = b.pull_bytes(n)
                if len(acc.vendor) < DHCPV6_MAX_KEPT:
                    acc.vendor.append(item.decode("utf-8", "backslashreplace"))
        elif code == Dhcpv6Option.CLIENT_FQDN:
            if not value:  # RFC 4704 §4: flags, then the name
                raise BadValue("empty client FQDN option")
            acc.fqdn = wire_name(value[1:])
        elif code == Dhcpv6Option.DNS_SERVERS:
            if len(value) % 16:
                raise BadValue(f"DNS servers option of {len(value)} bytes")
            n = min(len(value) // 16, DHCPV6_MAX_KEPT)
            acc.dns = [str(ipaddress.IPv6Address(value[16 * i : 16 * i + 16])) for i in range(n)]
        elif code == Dhcpv6Option.DOMAIN_LIST:
            acc.domains = _names(value)


def _duid_mac(duid: bytes) -> str | None:
    """The Ethernet address in a DUID-LLT (type 1: hw type, time, address) or DUID-LL
    (type 3: hw type, address), RFC 8415 §11.2, §11.4."""
    if len(duid) < 4 or duid[2:4] != b"\x00\x01":
        return None
    start = {1: 8, 3: 4}.get(int.from_bytes(duid[:2], "big"))
    if start is None or len(duid) != start + 6:
        return None
    return ":".join(f"{b:02x}" for b in duid[start:])


def parse_dhcpv6(data: bytes, ts_ns: int = 0) -> Dhcpv6Record:
    """Parse one DHCPv6 message (one UDP datagram)."""
    acc = _Acc()
    outer = Buffer(data).pull_u8()
    hop = link = peer = None
    inner = data
    inner_type = outer
    depth = 0
    while inner_type in _RELAYS:  # §9: relay header, then options with the Relay Message
        depth += 1
        if depth > DHCPV6_MAX_RELAY_DEPTH:
            raise LimitExceeded(f"relay messages nested over {DHCPV6_MAX_RELAY_DEPTH} deep")
        buf = Buffer(inner)
        buf.skip(1)
        h = buf.pull_u8()
        la = str(ipaddress.IPv6Address(buf.pull_bytes(16)))
        pa = str(ipaddress.IPv6Address(buf.pull_bytes(16)))
        if hop is None:
            hop, link, peer = h, la, pa
        relayed = [v for code, v in _options(buf, acc) if code == Dhcpv6Option.RELAY_MSG]
        if not relayed:
            inner = b""
            break
        inner = relayed[0]
        inner_type = Buffer(inner).pull_u8()
    trans_id = None
    if inner:
        buf = Buffer(inner)
        buf.skip(1)
        trans_id = buf.pull_u24()
        _message(inner, acc)
    relayed_type = inner_type if depth and inner else None
    cd = acc.client_duid
    duid_type = int.from_bytes(cd[:2], "big") if cd is not None and len(cd) >= 2 else None
    status = acc.status
    reply = (relayed_type if relayed_type is not None else outer) == Dhcpv6MsgType.REPLY
    return Dhcpv6Record(
        ts_ns=ts_ns,
        msg_type=outer,
        msg_type_name=_MSG_NAMES.get(outer, f"TYPE{outer}"),
        relayed_msg_type=relayed_type,
        relayed_msg_type_name=msg_type_name(relayed_type),
        hop_count=hop,
        link_addr=link,
        peer_addr=peer,
        trans_id=trans_id,
        client_duid=cd.hex() if cd is not None else None,
        client_duid_type=duid_type,
        client_duid_type_name=(
            None if duid_type is None else _DUID_NAMES.get(duid_type, f"DUID{duid_type}")
        ),
        client_mac=_duid_mac(cd) if cd is not None else None,
        server_duid=acc.server_duid.hex() if acc.server_duid is not None else None,
        ia_addrs=tuple(a for a, _ in acc.ia_addrs),
        assigned_addrs=tuple(a for a, valid in acc.ia_addrs if valid) if reply else (),
        prefixes=tuple(acc.prefixes),
        client_fqdn=acc.fqdn,
        vendor_class_enterprise=acc.vendor_en,
        vendor_class=tuple(acc.vendor),
        oro=acc.oro,
        fingerprint=",".join(map(str, acc.oro)) if acc.oro else None,
        elapsed_time_cs=acc.elapsed,
        status_code=status[0] if status else None,
        status_code_name=_STATUS_NAMES.get(status[0], f"STATUS{status[0]}") if status else None,
        status_message=status[1] if status else None,
        dns_servers=tuple(acc.dns),
        domain_list=tuple(acc.domains),
        options=tuple(acc.codes[:DHCPV6_MAX_KEPT]),
    )


class Dhcpv6Dissector(Dissector):
    """DHCPv6 over UDP: one :class:`Dhcpv6Record` per datagram."""

    name: ClassVar[str] = "dhcpv6"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
    datagrams_stand_alone: ClassVar[bool] = True
    ports: ClassVar[frozenset[int]] = frozenset((546, 547))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(1, 14))
    """``matches``: msg-type ``1 <= payload[0] <= 13`` (RFC 8415 §7.3)."""
    name_source: ClassVar[str | None] = None

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """UDP, msg-type 1-13, and top-level options (non-zero codes) that use up the
        datagram exactly (at most a few dozen 4-byte reads)."""
        if proto != IPPROTO_UDP or len(payload) < 8:
            return False
        kind = payload[0]
        if not 1 <= kind <= 13:
            return False
        pos = 34 if kind >= 12 else 4
        end = len(payload)
        if pos + 4 > end:
            return False
        for _ in range(_MATCH_MAX_OPTIONS):
            if pos + 4 > end:
                return False
            code = (payload[pos] << 8) | payload[pos + 1]
            if code == 0:
                return False
            pos += 4 + ((payload[pos + 2] << 8) | payload[pos + 3])
            if pos >= end:
                return pos == end
        return False

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """One datagram: one record."""
        return [parse_dhcpv6(data, ts_ns)]
