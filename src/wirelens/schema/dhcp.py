"""The ``dhcp`` and ``dhcpv6`` tables: one row per message.

Two tables rather than one with a ``version`` column: the formats share a purpose, not
their fields (see :mod:`wirelens.dissect.dhcp6`). Columns are the fields of
:class:`wirelens.dissect.dhcp.DhcpRecord` and :class:`wirelens.dissect.dhcp6.Dhcpv6Record`
after the join keys; names are shared where the meaning is the same.
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import f, key_fields

__all__ = ["DHCP", "DHCPV6", "TABLES"]

_STRS = pa.list_(pa.string())

DHCP = pa.schema(
    key_fields("Time of the message (UTC).")
    + [
        f(
            "op",
            pa.uint8(),
            "BOOTP op: 1 request (client to server), 2 reply (RFC 2131 section 2).",
        ),
        f("op_name", pa.string(), "Readable twin of op: BOOTREQUEST or BOOTREPLY."),
        f("msg_type", pa.uint8(), "DHCP message type, option 53 (null for BOOTP without it)."),
        f(
            "msg_type_name",
            pa.string(),
            "Readable twin of msg_type: DISCOVER, OFFER, REQUEST, "
            "DECLINE, ACK, NAK, RELEASE, INFORM, ... (TYPE<n> when unknown).",
        ),
        f("xid", pa.uint32(), "Transaction id chosen by the client."),
        f("htype", pa.uint8(), "Hardware address type (1 = Ethernet)."),
        f(
            "client_mac",
            pa.string(),
            "chaddr: first hlen bytes, colon-separated hex (a MAC for htype 1).",
        ),
        f("broadcast", pa.bool_(), "BROADCAST flag set (the client wants broadcast replies)."),
        f("ciaddr", pa.string(), "Client IP address field."),
        f("yiaddr", pa.string(), "'Your' address: the address offered or assigned."),
        f("siaddr", pa.string(), "Next server address (e.g. TFTP)."),
        f("giaddr", pa.string(), "Relay agent address (0.0.0.0 when not relayed)."),
        f("requested_addr", pa.string(), "Requested IP address, option 50."),
        f(
            "assigned_addr",
            pa.string(),
            "yiaddr of an ACK: the address leased (null for other messages, and for an ACK to an INFORM, which leases none).",
        ),
        f("server_id", pa.string(), "Server identifier, option 54."),
        f("lease_time", pa.uint32(), "IP address lease time in seconds, option 51."),
        f("renewal_time", pa.uint32(), "Renewal (T1) time in seconds, option 58."),
        f("rebinding_time", pa.uint32(), "Rebinding (T2) time in seconds, option 59."),
        f("subnet_mask", pa.string(), "Subnet mask, option 1."),
        f("routers", _STRS, "Routers, option 3, in order."),
        f("dns_servers", _STRS, "Domain name servers, option 6, in order."),
        f("hostname", pa.string(), "Client host name, option 12 (trailing NULs dropped)."),
        f("domain", pa.string(), "Domain name, option 15."),
        f("client_fqdn", pa.string(), "Client FQDN, option 81 (RFC 4702)."),
        f("vendor_class", pa.string(), "Vendor class identifier, option 60 (e.g. MSFT 5.0)."),
        f("client_id", pa.string(), "Client identifier, option 61, hex (type byte first)."),
        f("message", pa.string(), "Message text, option 56."),
        f("param_req_list", pa.list_(pa.uint8()), "Parameter request list, option 55, in order."),
        f(
            "fingerprint",
            pa.string(),
            "Option 55 codes joined by commas: the usual DHCP fingerprint.",
        ),
        f("options", pa.list_(pa.uint8()), "Option codes present, in order of first appearance."),
        f(
            "overload",
            pa.uint8(),
            "Option overload, option 52: 1 file, 2 sname, 3 both hold options.",
        ),
        f("sname", pa.string(), "Server host name field, when it holds a name (not overloaded)."),
        f("file", pa.string(), "Boot file name field, when it holds a name (not overloaded)."),
        f(
            "agent_circuit_id",
            pa.string(),
            "Relay agent circuit id, option 82 sub-option 1 (RFC 3046), hex.",
        ),
        f(
            "agent_remote_id",
            pa.string(),
            "Relay agent remote id, option 82 sub-option 2 (RFC 3046), hex.",
        ),
        f("subscriber_id", pa.string(), "Subscriber id, option 82 sub-option 6 (RFC 3993)."),
    ]
)

DHCPV6 = pa.schema(
    key_fields("Time of the message (UTC).")
    + [
        f("msg_type", pa.uint8(), "DHCPv6 message type of the datagram (RFC 8415 section 7.3)."),
        f(
            "msg_type_name",
            pa.string(),
            "Readable twin of msg_type: SOLICIT, ADVERTISE, REQUEST, "
            "REPLY, RELAY_FORW, ... (TYPE<n> when unknown).",
        ),
        f(
            "relayed_msg_type",
            pa.uint8(),
            "Type of the innermost relayed message (null when not relayed).",
        ),
        f("relayed_msg_type_name", pa.string(), "Readable twin of relayed_msg_type."),
        f("hop_count", pa.uint8(), "Outer relay hop-count (null when not relayed)."),
        f("link_addr", pa.string(), "Outer relay link-address."),
        f("peer_addr", pa.string(), "Outer relay peer-address."),
        f("trans_id", pa.uint32(), "Transaction id (24 bits) of the client/server message."),
        f("client_duid", pa.string(), "Client DUID (option 1), hex."),
        f("client_duid_type", pa.uint16(), "DUID type: 1 LLT, 2 EN, 3 LL, 4 UUID."),
        f("client_duid_type_name", pa.string(), "Readable twin of client_duid_type."),
        f(
            "client_mac",
            pa.string(),
            "Ethernet address inside a DUID-LLT/DUID-LL, when there is one.",
        ),
        f("server_duid", pa.string(), "Server DUID (option 2), hex."),
        f("ia_addrs", _STRS, "Addresses (IAADDR) inside IA_NA/IA_TA options, in order."),
        f("assigned_addrs", _STRS, "For a REPLY: the ia_addrs with a non-zero valid lifetime."),
        f("prefixes", _STRS, "Delegated prefixes (IAPREFIX inside IA_PD), addr/len."),
        f("client_fqdn", pa.string(), "Client FQDN, option 39 (RFC 4704)."),
        f(
            "vendor_class_enterprise",
            pa.uint32(),
            "Vendor class, option 16: IANA enterprise number.",
        ),
        f("vendor_class", _STRS, "Vendor class data items, as text."),
        f("oro", pa.list_(pa.uint16()), "Option Request Option (6): requested codes, in order."),
        f("fingerprint", pa.string(), "oro joined by commas: the DHCPv6 fingerprint form."),
        f("elapsed_time_cs", pa.uint16(), "Elapsed time, option 8, in hundredths of a second."),
        f(
            "status_code",
            pa.uint16(),
            "First status code (option 13) found, top level or in an IA.",
        ),
        f(
            "status_code_name",
            pa.string(),
            "Readable twin of status_code (Success, NoAddrsAvail, ...).",
        ),
        f("status_message", pa.string(), "Status message of that status code."),
        f("dns_servers", _STRS, "DNS recursive name servers, option 23."),
        f("domain_list", _STRS, "Domain search list, option 24."),
        f(
            "options",
            pa.list_(pa.uint16()),
            "Top-level option codes of the innermost message, in order.",
        ),
    ]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "dhcp": (
        DHCP,
        "One row per DHCP (IPv4) message: type, addresses, lease, client names, fingerprint.",
    ),
    "dhcpv6": (
        DHCPV6,
        "One row per DHCPv6 message: type, DUIDs, leased addresses and prefixes, fingerprint.",
    ),
}
