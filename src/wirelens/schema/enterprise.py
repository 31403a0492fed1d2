"""Schemas of the enterprise-protocol tables: smb, dce_rpc, rdp, snmp, sip, mqtt.

One documented Arrow schema per table; each table = the join keys (``key_fields``) plus one
field per field of the dissector's event class (same names; ``ts_ns`` becomes ``ts``).
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import TS, f, key_fields, ntlm_fields

__all__ = ["DCE_RPC", "MQTT", "RDP", "SIP", "SMB", "SNMP", "TABLES"]

_STRS = pa.list_(pa.string())

SNMP = pa.schema(
    key_fields("Time of the datagram carrying the PDU.")
    + [
        f("from_orig", pa.bool_(), "The PDU was sent by the flow's originator."),
        f("version", pa.uint8(), "SNMP message version: 0 = v1, 1 = v2c, 3 = v3."),
        f("version_name", pa.string(), "Readable twin of version (v1, v2c, v3)."),
        f(
            "community",
            pa.string(),
            "Community string (the v1/v2c credential): '<redacted>' unless "
            "the run was made with show_passwords; null for v3.",
        ),
        f(
            "community_default",
            pa.bool_(),
            "The community is a factory default ('public' or 'private'); null for v3.",
        ),
        f("v3_user", pa.string(), "SNMPv3 USM user name (null for v1/v2c)."),
        f(
            "pdu_type",
            pa.uint8(),
            "PDU tag (0xA0 get_request .. 0xA8 report); null when encrypted (v3).",
        ),
        f(
            "pdu_type_name",
            pa.string(),
            "Readable twin of pdu_type (get_request, get_next_request, "
            "response, set_request, trap_v1, get_bulk_request, inform_request, snmpv2_trap, report).",
        ),
        f(
            "request_id",
            pa.int64(),
            "request-id (pairs a request with its response); null for v1 traps.",
        ),
        f("error_status", pa.int64(), "error-status (non-repeaters for get_bulk_request)."),
        f(
            "error_status_name",
            pa.string(),
            "Readable twin of error_status (noError, noSuchName, ...); "
            "null for get_bulk_request and traps.",
        ),
        f("error_index", pa.int64(), "error-index (max-repetitions for get_bulk_request)."),
        f("oids", _STRS, "Names (dotted OIDs) of the first 8 varbinds."),
        f("values", _STRS, "Readable values of the same varbinds ('' for NULL)."),
        f("n_varbinds", pa.uint32(), "Varbinds in the PDU."),
        f("trap_enterprise", pa.string(), "SNMPv1 trap: enterprise OID."),
        f("trap_agent_addr", pa.string(), "SNMPv1 trap: agent address."),
        f(
            "trap_generic",
            pa.int64(),
            "SNMPv1 trap: generic-trap (0 coldStart .. 6 enterpriseSpecific).",
        ),
        f(
            "trap_generic_name",
            pa.string(),
            "Readable twin of trap_generic (coldStart, warmStart, linkDown, linkUp, authenticationFailure, egpNeighborLoss, enterpriseSpecific).",
        ),
        f("trap_specific", pa.int64(), "SNMPv1 trap: specific-trap."),
    ]
)

SIP = pa.schema(
    key_fields("Time of the request (or of the response when its request was not seen).")
    + [
        f(
            "trans_depth",
            pa.uint32(),
            "Position of the request in the flow (1-based; 0 if unseen).",
        ),
        f("method", pa.string(), "Request method (INVITE, REGISTER, ACK, ...)."),
        f("uri", pa.string(), "Request-URI."),
        f("date", pa.string(), "Date header of the request."),
        f("request_from", pa.string(), "From header of the request."),
        f("request_to", pa.string(), "To header of the request."),
        f("response_from", pa.string(), "From header of the response."),
        f("response_to", pa.string(), "To header of the response (with the callee's tag)."),
        f("reply_to", pa.string(), "Reply-To header of the request."),
        f("call_id", pa.string(), "Call-ID (with CSeq, pairs a request and its responses)."),
        f("seq", pa.string(), "CSeq: sequence number and method."),
        f("subject", pa.string(), "Subject header of the request."),
        f("request_path", _STRS, "Via values of the request, in order."),
        f("response_path", _STRS, "Via values of the response, in order."),
        f("user_agent", pa.string(), "User-Agent of the request (else of the response)."),
        f("server", pa.string(), "Server header of the response."),
        f(
            "status_code",
            pa.uint16(),
            "Response status code; null for a request never answered (always for ACK).",
        ),
        f("status_msg", pa.string(), "Response reason phrase."),
        f("warning", pa.string(), "Warning header of the response."),
        f("request_body_len", pa.uint64(), "Body bytes of the request."),
        f("response_body_len", pa.uint64(), "Body bytes of the response."),
        f("content_type", pa.string(), "Content-Type of the response (else of the request)."),
    ]
)

MQTT = pa.schema(
    key_fields("Time of the connection's first MQTT bytes (normally the CONNECT).")
    + [
        f(
            "protocol_name",
            pa.string(),
            "CONNECT protocol name: MQTT (3.1.1, 5.0) or MQIsdp (3.1).",
        ),
        f("protocol_level", pa.uint8(), "CONNECT protocol level: 3, 4 or 5."),
        f("protocol_version", pa.string(), "Readable twin of protocol_level: 3.1, 3.1.1 or 5.0."),
        f("client_id", pa.string(), "CONNECT client identifier ('' = server-assigned)."),
        f("username", pa.string(), "CONNECT user name (null when the flag is not set)."),
        f(
            "password",
            pa.string(),
            "CONNECT password: '<redacted>' unless the run was made with "
            "show_passwords; null when the flag is not set.",
        ),
        f("clean_session", pa.bool_(), "Clean Session (5.0: Clean Start) flag."),
        f("keep_alive", pa.uint16(), "Keep alive interval in seconds."),
        f("will_topic", pa.string(), "Will topic (null without a will)."),
        f("connack_code", pa.uint8(), "CONNACK return code (3.1/3.1.1) or reason code (5.0)."),
        f(
            "connack_name",
            pa.string(),
            "Readable twin of connack_code (accepted, not_authorized, "
            "success, bad_user_name_or_password, ...).",
        ),
        f("session_present", pa.bool_(), "CONNACK Session Present flag."),
        f("subscribe_topics", _STRS, "Topic filters subscribed to (distinct, first 16)."),
        f("publish_topics", _STRS, "Topics published to, either direction (distinct, first 16)."),
        f("n_publish", pa.uint32(), "PUBLISH packets seen (of the packets dissected)."),
        f(
            "packet_types",
            _STRS,
            "Control packet types seen, in first-seen order (connect, connack, "
            "publish, subscribe, pingreq, ...).",
        ),
    ]
)

RDP = pa.schema(
    key_fields("Time of the X.224 Connection Request.")
    + [
        f(
            "cookie",
            pa.string(),
            "User name of the 'Cookie: mstshash=' routing cookie (clients often truncate it).",
        ),
        f(
            "routing_token",
            pa.string(),
            "Other routing token line of the request (load balancers).",
        ),
        f(
            "requested_flags",
            pa.uint32(),
            "requestedProtocols of the RDP Negotiation Request "
            "(MS-RDPBCGR 2.2.1.1.1); null without one (legacy RDP security).",
        ),
        f(
            "requested_protocols",
            _STRS,
            "Readable twin of requested_flags: SSL, HYBRID, RDSTLS, HYBRID_EX, RDSAAD (RDP for 0).",
        ),
        f(
            "selected_code",
            pa.uint32(),
            "selectedProtocol of the server's Negotiation Response "
            "(0 also when the server answered without negotiation data).",
        ),
        f(
            "selected_protocol",
            pa.string(),
            "Readable twin of selected_code (RDP, SSL, HYBRID, ...).",
        ),
        f("failure_code", pa.uint32(), "Failure code of an RDP Negotiation Failure."),
        f(
            "result",
            pa.string(),
            "success, the failure's name (SSL_REQUIRED_BY_SERVER, ...), or "
            "null when no Connection Confirm was seen.",
        ),
        f(
            "encrypted",
            pa.bool_(),
            "The connection continues in TLS/CredSSP (a protocol other "
            "than standard RDP security was selected).",
        ),
        f(
            "client_name",
            pa.string(),
            "Client computer name (MCS client core data; standard RDP security only).",
        ),
        f(
            "client_build",
            pa.uint32(),
            "Client build number (2600 = RDP 5.1, 6000 = 6.0, 9600 = 8.1, ...).",
        ),
        f("desktop_width", pa.uint16(), "Requested desktop width in pixels."),
        f("desktop_height", pa.uint16(), "Requested desktop height in pixels."),
        f("client_dig_product_id", pa.string(), "Client digital product id, when sent."),
        f(
            "client_channels",
            _STRS,
            "Static virtual channels requested (rdpdr, cliprdr, rdpsnd, drdynvc, ...).",
        ),
        f("encryption_method", pa.string(), "Standard RDP security's encryption method chosen "
          "by the server (None, 40bit, 56bit, 128bit, FIPS; MCS Connect Response)."),
        f("encryption_level", pa.string(), "Its encryption level (None, Low, Client "
          "compatible, High, FIPS)."),
        f("cert_type", pa.string(), "The server certificate's kind: RSA (proprietary) or "
          "X.509 (whose certificates are x509 rows)."),
        f("cert_count", pa.uint8(), "X.509 certificates in the server's chain (0 for a "
          "proprietary certificate)."),
        f("cert_permanent", pa.bool_(), "The server certificate was issued permanently "
          "(false: a temporary one)."),
        f("late_error", pa.string(), "Damage in the server's MCS Connect Response, which "
          "ended reading (the row keeps what was read before it)."),
    ]
)

SMB = pa.schema(
    key_fields("Time of the request.")
    + [
        f(
            "version",
            pa.string(),
            "Header family: SMB1 (0xFF 'SMB') or SMB2 (0xFE 'SMB', also SMB 3.x).",
        ),
        f(
            "command",
            pa.int16(),
            "Command code in the numbering of version (-1: an encrypted SMB3 transform message).",
        ),
        f(
            "command_name",
            pa.string(),
            "Readable twin of command: NEGOTIATE, SESSION_SETUP(_ANDX), "
            "TREE_CONNECT(_ANDX), CREATE / NT_CREATE_ANDX, or ENCRYPTED.",
        ),
        f("status", pa.uint32(), "NTSTATUS of the response (null when none was seen)."),
        f(
            "status_name",
            pa.string(),
            "Readable twin of status (STATUS_SUCCESS, STATUS_ACCESS_DENIED, ...; hex when unlisted).",
        ),
        f("message_id", pa.uint64(), "SMB2 MessageId (SMB1: MID) pairing request and response."),
        f("session_id", pa.uint64(), "SMB2 SessionId (SMB1: UID)."),
        f(
            "tree_id",
            pa.uint32(),
            "Tree id of the request (tree connects: the one the server assigned).",
        ),
        f(
            "dialects_offered",
            _STRS,
            "NEGOTIATE: dialects offered by the client (2.0.2 .. 3.1.1, or "
            "SMB1 dialect strings such as 'NT LM 0.12').",
        ),
        f(
            "dialect",
            pa.string(),
            "NEGOTIATE: dialect chosen by the server (2.??? = the SMB2 "
            "wildcard answer to an SMB1 multi-protocol negotiate).",
        ),
        f(
            "path",
            pa.string(),
            "TREE_CONNECT: \\\\server\\share; CREATE: the share path of its tree, when seen.",
        ),
        f(
            "share_type",
            pa.string(),
            "TREE_CONNECT: DISK, PIPE or PRINT (SMB1: the service string, e.g. IPC, A:).",
        ),
        f(
            "filename",
            pa.string(),
            "CREATE: file (or pipe) name relative to the share ('' = the share root).",
        ),
        *ntlm_fields("SESSION_SETUP (without extended security, SMB1's AccountName and "
                     "PrimaryDomain, no workstation)", "SESSION_SETUP response"),
        f("create_action", pa.string(), "CREATE answered: what the server did (superseded, opened, created, overwritten)."),
        f("file_size", pa.uint64(), "CREATE answered: the file's size (EndOfFile), bytes."),
        f("is_directory", pa.bool_(), "CREATE answered: the name is a directory."),
        f("created", TS, "CREATE answered: the file's creation time (UTC; null when zero)."),
        f("accessed", TS, "Its last access time."),
        f("modified", TS, "Its last write time."),
        f("changed", TS, "Its last change time."),
    ]
)

DCE_RPC = pa.schema(
    key_fields("Time of the request (of the answer when no request was seen).")
    + [
        f("rpc_version", pa.string(), "5.0 / 5.1 (connection-oriented) or 4.0 (connectionless, UDP)."),
        f("request", pa.string(), "The client's PDU type: REQUEST (a call), BIND or ALTER_CONTEXT (a context negotiation); null when only the answer was seen."),
        f("response", pa.string(), "The answer's PDU type: RESPONSE, FAULT, BIND_ACK, BIND_NAK, ALTER_CONTEXT_RESP, REJECT; null when unanswered."),
        f("call_id", pa.uint32(), "Call id (connectionless: the sequence number)."),
        f("context_id", pa.uint16(), "Presentation context of the call (of the first one offered, for a negotiation)."),
        f("uuid", pa.string(), "Interface UUID."),
        f("if_version", pa.string(), "Interface version major.minor."),
        f("endpoint", pa.string(), "The interface's common name (svcctl, samr, lsarpc, drsuapi, netlogon, winreg, IRemUnknown2, ...); null when not a known one."),
        f("opnum", pa.uint16(), "Operation number of a call."),
        f("operation", pa.string(), "The operation's name (CreateServiceW, DRSGetNCChanges, NetrServerAuthenticate3, ...); null when not known."),
        f("named_pipe", pa.string(), "The endpoint as the server's bind answer names it (its secondary address: \\PIPE\\lsass over an SMB named pipe, the port over TCP, as Zeek logs it); before that answer, the SMB pipe's opened name (samr, \\lsarpc); null over UDP."),
        f("request_frags", pa.uint32(), "Fragments of the request."),
        f("request_stub_len", pa.uint64(), "Stub bytes of the request (auth padding and verifier not counted)."),
        f("response_frags", pa.uint32(), "Fragments of the response."),
        f("response_stub_len", pa.uint64(), "Stub bytes of the response."),
        f("fault_status", pa.uint32(), "Status of a FAULT or REJECT (0x1c010002 nca_s_op_rng_error, 5 access denied, ...)."),
        f("bind_result", pa.string(), "Negotiation: the result for the first context offered (acceptance, user_rejection, provider_rejection, negotiate_ack), nak for a BIND_NAK."),
        f("contexts_offered", pa.uint8(), "Negotiation: presentation contexts offered."),
        f("auth_type", pa.string(), "Security provider of the association (ntlmssp, spnego, kerberos, netlogon, schannel, ...)."),
        f("auth_level", pa.string(), "Its authentication level (connect, call, packet, integrity, privacy: privacy encrypts the stubs)."),
        *ntlm_fields("The association's auth3, bind or alter_context", "A bind answer"),
        f("rtt", pa.float64(), "Seconds from request to answer (null when unpaired)."),
        f("arguments", pa.map_(pa.string(), pa.string()), "A few operations' arguments, read from a request sent in the clear (not at packet privacy): service, display_name, binary_path, service_type, start_type of a service created or changed (svcctl); server, command, job_time of a job (atsvc NetrJobAdd); task and command of a task registered (SchRpcRegisterTask); key, value, value_type, data of the registry (winreg). Query one with arguments['binary_path']."),
    ]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "dce_rpc": (
        DCE_RPC,
        "One row per DCE/RPC call (request paired with its response or fault by call id), "
        "named by interface and operation, and per presentation-context negotiation (bind, "
        "alter_context); the association's authentication (NTLM user, server names).",
    ),
    "mqtt": (
        MQTT,
        "One row per MQTT connection: CONNECT, CONNACK, topics subscribed and "
        "published (of the packets dissected); password redacted by default.",
    ),
    "rdp": (
        RDP,
        "One row per RDP connection negotiation: cookie, requested and selected security "
        "protocols, result; with standard RDP security the client's data and the server's "
        "encryption and certificate.",
    ),
    "sip": (
        SIP,
        "One row per SIP response with the request it answers (Call-ID + CSeq); "
        "unanswered requests and ACKs alone.",
    ),
    "smb": (
        SMB,
        "One row per SMB request of interest (negotiate, session setup, tree "
        "connect, create) with its response; encrypted SMB3 noted once per flow.",
    ),
    "snmp": (SNMP, "One row per SNMP PDU (v1/v2c, v3 recognised); community redacted by default."),
}
"""Table name -> (schema, one-line doc)."""
