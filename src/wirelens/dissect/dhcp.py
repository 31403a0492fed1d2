"""DHCP for IPv4 (RFC 2131, options RFC 2132) over UDP: one :class:`DhcpRecord` per message.

Layout (RFC 2131 §2, the BOOTP layout of RFC 951): ``op htype hlen hops xid secs flags
ciaddr yiaddr siaddr giaddr chaddr[16] sname[64] file[128]`` (236 bytes), then the magic
cookie 99.130.83.99 (RFC 2131 §3) and the options (RFC 2132 §2: code, length, data; 0 is
pad, 255 is end).

Defined behaviour:

- One row per message, not per exchange (Zeek folds a DISCOVER..ACK exchange into one
  row; a per-message row is simpler and says exactly what each side sent).
- Option overload (option 52, RFC 2132 §9.3): when present in the options field, the
  ``file`` field (value 1), the ``sname`` field (2) or both (3) hold more options; they are
  read after the options field, ``file`` before ``sname`` (RFC 2131 §4.1), and the
  overloaded fields are then not reported as names.
- An option that appears several times is one option whose data are the parts
  concatenated in order (RFC 3396 §5), across the overloaded fields too.
- Bytes after the end option (padding up to the BOOTP minimum of 300 bytes, RFC 1542 §2.1)
  are ignored; a missing end option is tolerated (the area simply ends).
- A known option with a length its definition does not allow (a 3-byte address, a 2-byte
  message type) is a :class:`~wirelens.wire.errors.BadValue`. Unknown options are kept only
  as codes (``options``).

The client's hostname (option 12) names the client, not the server, so
:attr:`~wirelens.dissect.base.Dissector.server_name` stays ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Dissector, Event, Screen
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, Truncated

__all__ = [
    "DHCP_MAGIC_COOKIE",
    "DHCP_MAX_MESSAGE_BYTES",
    "DHCP_MAX_OPTION_BYTES",
    "DhcpDissector",
    "DhcpMsgType",
    "DhcpOption",
    "DhcpRecord",
    "parse_dhcp",
    "wire_name",
]

DHCP_MAGIC_COOKIE = bytes((99, 130, 83, 99))
"""The first four octets of the options field (RFC 2131 §3, RFC 2132 §2)."""

DHCP_FIXED_BYTES = 236
"""Size of the fixed BOOTP header before the magic cookie (RFC 2131 §2)."""

DHCP_MAX_MESSAGE_BYTES = 65_535
"""A message is one UDP datagram; IPv4 bounds its size."""

DHCP_MAX_OPTION_BYTES = 16 * 1024
"""Concatenated data of one option (RFC 3396) kept at most; a datagram holds at most one
64 KiB of options anyway, this bounds what one message can make us keep."""

DHCP_MAX_NAMES = 64
"""Addresses kept from one list option (routers, DNS servers)."""


class DhcpMsgType(IntEnum):
    """DHCP message types, option 53 (RFC 2132 §9.6, RFC 3203, RFC 4388, RFC 6926, RFC 7724)."""

    DISCOVER = 1
    OFFER = 2
    REQUEST = 3
    DECLINE = 4
    ACK = 5
    NAK = 6
    RELEASE = 7
    INFORM = 8
    FORCERENEW = 9
    LEASEQUERY = 10
    LEASEUNASSIGNED = 11
    LEASEUNKNOWN = 12
    LEASEACTIVE = 13
    BULKLEASEQUERY = 14
    LEASEQUERYDONE = 15
    ACTIVELEASEQUERY = 16
    LEASEQUERYSTATUS = 17
    TLS = 18


class DhcpOption(IntEnum):
    """Option codes read here (RFC 2132 unless noted)."""

    PAD = 0
    SUBNET_MASK = 1
    ROUTER = 3
    DOMAIN_NAME_SERVER = 6
    HOST_NAME = 12
    DOMAIN_NAME = 15
    REQUESTED_ADDRESS = 50
    LEASE_TIME = 51
    OVERLOAD = 52
    MESSAGE_TYPE = 53
    SERVER_ID = 54
    PARAMETER_REQUEST_LIST = 55
    MESSAGE = 56
    MAX_MESSAGE_SIZE = 57
    RENEWAL_TIME = 58
    REBINDING_TIME = 59
    VENDOR_CLASS_ID = 60
    CLIENT_ID = 61
    CLIENT_FQDN = 81  # RFC 4702
    RELAY_AGENT_INFO = 82  # RFC 3046
    END = 255


_MSG_NAMES = {m.value: m.name for m in DhcpMsgType}
_OP_NAMES = {1: "BOOTREQUEST", 2: "BOOTREPLY"}


def msg_type_name(code: int | None) -> str | None:
    """Readable twin of a message type (``TYPE<n>`` when unknown)."""
    if code is None:
        return None
    return _MSG_NAMES.get(code, f"TYPE{code}")


@dataclass(slots=True)
class DhcpRecord(Event):
    """One DHCP (or plain BOOTP-with-cookie) message."""

    table: ClassVar[str | None] = "dhcp"

    op: int
    """BOOTP op: 1 request (client to server), 2 reply."""
    op_name: str
    """Readable twin of ``op`` (BOOTREQUEST, BOOTREPLY)."""
    msg_type: int | None
    """DHCP message type (option 53); None for BOOTP without it."""
    msg_type_name: str | None
    """Readable twin of ``msg_type`` (DISCOVER, OFFER, REQUEST, ACK, ...)."""
    xid: int
    """Transaction id chosen by the client."""
    htype: int
    """Hardware address type (1 = Ethernet, ARP hardware types)."""
    client_mac: str | None
    """chaddr: the first ``hlen`` bytes, colon-separated hex (a MAC for htype 1); None when
    hlen is 0."""
    broadcast: bool
    """The BROADCAST flag (RFC 2131 §2, flags bit 0)."""
    ciaddr: str
    """Client address (filled by a client that has one)."""
    yiaddr: str
    """'Your' address: the address the server offers or assigns."""
    siaddr: str
    """Next server (e.g. TFTP) address."""
    giaddr: str
    """Relay agent address."""
    requested_addr: str | None
    """Option 50: the address the client asks for."""
    assigned_addr: str | None
    """yiaddr of an ACK (the address actually leased); None for other messages, and for an
    ACK that leases nothing (yiaddr 0.0.0.0: the answer to an INFORM, RFC 2131 §4.3.5)."""
    server_id: str | None
    """Option 54: the server's identifier (its address)."""
    lease_time: int | None
    """Option 51: lease time in seconds."""
    renewal_time: int | None
    """Option 58: T1 in seconds."""
    rebinding_time: int | None
    """Option 59: T2 in seconds."""
    subnet_mask: str | None
    """Option 1."""
    routers: tuple[str, ...]
    """Option 3, in order."""
    dns_servers: tuple[str, ...]
    """Option 6, in order."""
    hostname: str | None
    """Option 12: the client's name."""
    domain: str | None
    """Option 15: domain name for the client."""
    client_fqdn: str | None
    """Option 81 (RFC 4702): the client's fully qualified name."""
    vendor_class: str | None
    """Option 60: vendor class identifier (e.g. ``MSFT 5.0``, ``android-dhcp-13``)."""
    client_id: str | None
    """Option 61: client identifier, hex (type byte first)."""
    message: str | None
    """Option 56: error or status text."""
    param_req_list: tuple[int, ...]
    """Option 55: requested option codes, in the client's order."""
    fingerprint: str | None
    """Option 55 as the usual DHCP fingerprint string: codes joined by commas."""
    options: tuple[int, ...]
    """Every option code present, in order of first appearance (pad and end left out)."""
    overload: int | None
    """Option 52: 1 file, 2 sname, 3 both fields carry options."""
    sname: str | None
    """Server host name field, when it holds a name (not overloaded, not empty)."""
    file: str | None
    """Boot file name field, when it holds a name (not overloaded, not empty)."""
    agent_circuit_id: str | None
    """Option 82 sub-option 1 (RFC 3046 §3.1): the relay's circuit id, hex."""
    agent_remote_id: str | None
    """Option 82 sub-option 2 (RFC 3046 §3.2): the relay's remote id, hex."""
    subscriber_id: str | None
    """Option 82 sub-option 6 (RFC 3993 §3): subscriber id, as text."""


# -- helpers ----------------------------------------------------------------------------------


def _ip4(raw: bytes | memoryview) -> str:
    return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"


def _text(raw: bytes) -> str:
    """Option text: trailing NULs dropped (often sent), undecodable bytes escaped."""
    return raw.rstrip(b"\x00").decode("utf-8", "backslashreplace")


def _cstring(raw: bytes) -> str | None:
    """A NUL-terminated BOOTP field (sname, file), or None when empty."""
    text = raw.split(b"\x00", 1)[0]
    return text.decode("utf-8", "backslashreplace") if text else None


def wire_name(raw: bytes) -> str:
    """A domain name in DNS wire format without compression (RFC 1035 §3.1), as DHCP's FQDN
    options carry it (RFC 4702 §2.3.1, RFC 4704 §4.2). A partial name (no terminating zero
    label) is allowed; a compression pointer or label type is a :class:`BadValue`."""
    labels: list[str] = []
    pos = 0
    while pos < len(raw):
        n = raw[pos]
        if n == 0:
            if pos + 1 != len(raw):
                raise BadValue("bytes after the root label of a name", pos)
            break
        if n > 63:
            raise BadValue(f"label length {n} in an uncompressed name", pos)
        if pos + 1 + n > len(raw):
            raise Truncated("label runs past the option", pos)
        labels.append(raw[pos + 1 : pos + 1 + n].decode("utf-8", "backslashreplace"))
        pos += 1 + n
    return ".".join(labels)


def _exact(code: int, data: bytes, size: int) -> bytes:
    if len(data) != size:
        raise BadValue(f"option {code} of {len(data)} bytes, {size} expected")
    return data


def _addresses(code: int, data: bytes) -> tuple[str, ...]:
    if not data or len(data) % 4:
        raise BadValue(f"option {code} of {len(data)} bytes is not a list of addresses")
    n = min(len(data) // 4, DHCP_MAX_NAMES)
    return tuple(_ip4(data[4 * i : 4 * i + 4]) for i in range(n))


def _agent_info(data: bytes) -> dict[int, bytes]:
    """Relay agent information sub-options (RFC 3046 §2.0: code, length, data); the first
    of each code is kept."""
    buf = Buffer(data)
    subs: dict[int, bytes] = {}
    while not buf.eof():
        code = buf.pull_u8()
        with buf.pull_block(1) as length:
            value = buf.pull_bytes(length)
        subs.setdefault(code, value)
    return subs


def _read_area(buf: Buffer, found: dict[int, bytearray], order: list[int]) -> None:
    """Read options from ``buf`` to its end or the end option (RFC 2132 §2). Data of a
    repeated option are appended (RFC 3396 §5)."""
    while not buf.eof():
        code = buf.pull_u8()
        if code == DhcpOption.PAD:
            continue
        if code == DhcpOption.END:
            return
        if buf.eof():
            raise Truncated(f"option {code} without its length", buf.tell())
        length = buf.pull_u8()
        data = buf.pull_bytes(length)
        part = found.get(code)
        if part is None:
            found[code] = bytearray(data)
            order.append(code)
        else:
            if len(part) + length > DHCP_MAX_OPTION_BYTES:
                raise LimitExceeded(f"option {code} longer than {DHCP_MAX_OPTION_BYTES} bytes")
            part += data


# -- the message ------------------------------------------------------------------------------


def parse_dhcp(data: bytes, ts_ns: int = 0) -> DhcpRecord:
    """Parse one DHCP message (one UDP datagram), RFC 2131 §2 and §3."""
    if len(data) > DHCP_MAX_MESSAGE_BYTES:
        raise LimitExceeded(f"DHCP message of {len(data)} bytes")
    buf = Buffer(data)
    op = buf.pull_u8()
    if op not in _OP_NAMES:
        raise BadValue(f"BOOTP op {op}", 0)
    htype = buf.pull_u8()
    hlen = buf.pull_u8()
    if hlen > 16:
        raise BadValue(f"hardware address length {hlen} > 16", 2)
    buf.skip(1)  # hops
    xid = buf.pull_u32()
    buf.skip(2)  # secs
    flags = buf.pull_u16()
    ciaddr, yiaddr, siaddr, giaddr = (_ip4(buf.pull_bytes(4)) for _ in range(4))
    chaddr = buf.pull_bytes(16)[:hlen]
    sname_raw = buf.pull_bytes(64)
    file_raw = buf.pull_bytes(128)
    cookie = buf.pull_bytes(4)
    if cookie != DHCP_MAGIC_COOKIE:
        raise BadValue(f"magic cookie {cookie.hex()}", DHCP_FIXED_BYTES)

    found: dict[int, bytearray] = {}
    order: list[int] = []
    _read_area(buf, found, order)
    overload: int | None = None
    raw_overload = found.get(DhcpOption.OVERLOAD)
    if raw_overload is not None:
        overload = _exact(52, bytes(raw_overload), 1)[0]
        if overload not in (1, 2, 3):
            raise BadValue(f"option overload value {overload}")
        # RFC 2131 §4.1: options, then 'file', then 'sname'
        if overload & 1:
            _read_area(Buffer(file_raw), found, order)
        if overload & 2:
            _read_area(Buffer(sname_raw), found, order)
    opts = {code: bytes(value) for code, value in found.items()}

    def get(code: int) -> bytes | None:
        return opts.get(code)

    def addr(code: int) -> str | None:
        raw = get(code)
        return None if raw is None else _ip4(_exact(code, raw, 4))

    def seconds(code: int) -> int | None:
        raw = get(code)
        return None if raw is None else int.from_bytes(_exact(code, raw, 4), "big")

    def text(code: int) -> str | None:
        raw = get(code)
        return None if raw is None else _text(raw)

    raw_type = get(DhcpOption.MESSAGE_TYPE)
    msg_type = None if raw_type is None else _exact(53, raw_type, 1)[0]
    prl = tuple(get(DhcpOption.PARAMETER_REQUEST_LIST) or b"")
    fqdn = None
    raw_fqdn = get(DhcpOption.CLIENT_FQDN)
    if raw_fqdn is not None:
        # RFC 4702 §2: flags, RCODE1, RCODE2, then the name; flag E (0x04) = wire format
        if len(raw_fqdn) < 3:
            raise BadValue(f"client FQDN option of {len(raw_fqdn)} bytes")
        name = raw_fqdn[3:]
        fqdn = wire_name(name) if raw_fqdn[0] & 0x04 else _text(name)
    raw_client_id = get(DhcpOption.CLIENT_ID)
    raw_agent = get(DhcpOption.RELAY_AGENT_INFO)
    agent = _agent_info(raw_agent) if raw_agent is not None else {}
    circuit, remote, subscriber = agent.get(1), agent.get(2), agent.get(6)
    routers = get(DhcpOption.ROUTER)
    dns = get(DhcpOption.DOMAIN_NAME_SERVER)
    return DhcpRecord(
        ts_ns=ts_ns,
        op=op,
        op_name=_OP_NAMES[op],
        msg_type=msg_type,
        msg_type_name=msg_type_name(msg_type),
        xid=xid,
        htype=htype,
        client_mac=":".join(f"{b:02x}" for b in chaddr) if chaddr else None,
        broadcast=bool(flags & 0x8000),
        ciaddr=ciaddr,
        yiaddr=yiaddr,
        siaddr=siaddr,
        giaddr=giaddr,
        requested_addr=addr(DhcpOption.REQUESTED_ADDRESS),
        assigned_addr=yiaddr if msg_type == DhcpMsgType.ACK and yiaddr != "0.0.0.0" else None,
        server_id=addr(DhcpOption.SERVER_ID),
        lease_time=seconds(DhcpOption.LEASE_TIME),
        renewal_time=seconds(DhcpOption.RENEWAL_TIME),
        rebinding_time=seconds(DhcpOption.REBINDING_TIME),
        subnet_mask=addr(DhcpOption.SUBNET_MASK),
        routers=_addresses(3, routers) if routers is not None else (),
        dns_servers=_addresses(6, dns) if dns is not None else (),
        hostname=text(DhcpOption.HOST_NAME),
        domain=text(DhcpOption.DOMAIN_NAME),
        client_fqdn=fqdn,
        vendor_class=text(DhcpOption.VENDOR_CLASS_ID),
        client_id=raw_client_id.hex() if raw_client_id is not None else None,
        message=text(DhcpOption.MESSAGE),
        param_req_list=prl,
        fingerprint=",".join(map(str, prl)) if prl else None,
        options=tuple(order),
        overload=overload,
        sname=None if overload is not None and overload & 2 else _cstring(sname_raw),
        file=None if overload is not None and overload & 1 else _cstring(file_raw),
        agent_circuit_id=circuit.hex() if circuit is not None else None,
        agent_remote_id=remote.hex() if remote is not None else None,
        subscriber_id=_text(subscriber) if subscriber is not None else None,
    )


class DhcpDissector(Dissector):
    """DHCP for IPv4 over UDP: one :class:`DhcpRecord` per datagram."""

    name: ClassVar[str] = "dhcp"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
    datagrams_stand_alone: ClassVar[bool] = True
    ports: ClassVar[frozenset[int]] = frozenset((67, 68))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((1, 2))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (  # the magic cookie
        Screen(DHCP_FIXED_BYTES + 4, equals=((DHCP_FIXED_BYTES, DHCP_MAGIC_COOKIE),)),)}
    """``matches``: ``payload[0] in (1, 2)``, BOOTREQUEST/BOOTREPLY (RFC 2131 §2)."""
    name_source: ClassVar[str | None] = None

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """UDP, BOOTP op 1 or 2, hlen at most 16, the magic cookie at offset 236."""
        return (
            proto == IPPROTO_UDP
            and len(payload) >= DHCP_FIXED_BYTES + 4
            and payload[0] in (1, 2)
            and payload[2] <= 16
            and payload[DHCP_FIXED_BYTES : DHCP_FIXED_BYTES + 4] == DHCP_MAGIC_COOKIE
        )

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """One datagram: one record."""
        return [parse_dhcp(data, ts_ns)]
