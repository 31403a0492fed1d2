"""Tables of the infrastructure and ICS dissectors: ntp, modbus, dnp3, ldap, kerberos.

Each table is ``key_fields(...)`` plus one field per field of the dissector's event (same
names; the event's ``ts_ns`` becomes ``ts``). Registered by the lead through :data:`TABLES`.
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import TS, f, key_fields, ntlm_fields

__all__ = ["DNP3", "KERBEROS", "LDAP", "MODBUS", "NTP", "TABLES"]

NTP = pa.schema(
    key_fields("Time of the datagram.")
    + [
        f("version", pa.uint8(), "NTP version number (1-4)."),
        f("mode", pa.uint8(), "Association mode (RFC 5905 §7.3): 3 client, 4 server, 6 control, 7 private."),
        f("mode_name", pa.string(), "Readable twin of mode (client, server, broadcast, control, private, ...)."),
        f("leap", pa.uint8(), "Leap indicator (null for mode 7)."),
        f("stratum", pa.uint8(), "Stratum: 0 unspecified (kiss-o'-death), 1 primary, 2-15 secondary, 16 unsynchronised."),
        f("poll", pa.int8(), "Poll exponent: log2 of the maximum poll interval in seconds."),
        f("precision", pa.int8(), "Precision exponent: log2 of the clock precision in seconds."),
        f("root_delay", pa.float64(), "Round-trip delay to the reference clock, seconds."),
        f("root_disp", pa.float64(), "Dispersion to the reference clock, seconds."),
        f("ref_id", pa.string(), "Reference ID: 4 ASCII characters for stratum 0/1 (GPS, kiss codes), else an IPv4 address."),
        f("ref_time", TS, "Reference timestamp (UTC; null when zero)."),
        f("org_time", TS, "Origin timestamp (UTC; null when zero)."),
        f("rec_time", TS, "Receive timestamp (UTC; null when zero)."),
        f("xmt_time", TS, "Transmit timestamp (UTC; null when zero)."),
        f("num_exts", pa.uint16(), "Extension fields after the 48-byte header (RFC 7822)."),
        f("has_mac", pa.bool_(), "A message authentication code (key id + digest) follows."),
        f("is_response", pa.bool_(), "Modes 6 and 7: the response bit (null for time packets)."),
        f("opcode", pa.uint8(), "Mode 6 control opcode."),
        f("opcode_name", pa.string(), "Readable twin of opcode (READSTAT, READVAR, ...)."),
        f("req_code", pa.uint8(), "Mode 7 request code (ntpd)."),
        f("req_code_name", pa.string(), "Readable twin of req_code (MON_GETLIST_1 is monlist)."),
        f("mode7_err", pa.uint8(), "Mode 7 error code (0 none)."),
        f("mode7_items", pa.uint16(), "Mode 7 number of data items."),
        f("amplification", pa.bool_(), "A mode 7 monlist request or response: the NTP reflection/amplification vector."),
    ]
)

MODBUS = pa.schema(
    key_fields("Time of the request (or of the response when no request was seen).")
    + [
        f("trans_id", pa.uint16(), "MBAP transaction identifier."),
        f("unit_id", pa.uint8(), "MBAP unit identifier."),
        f("func", pa.uint8(), "Function code (without the exception bit)."),
        f("func_name", pa.string(), "Readable twin of func (READ_COILS, WRITE_MULTIPLE_REGISTERS, ...; FC<n> if unknown)."),
        f("exception", pa.uint8(), "Exception code of an exception response, null otherwise."),
        f("exception_name", pa.string(), "Readable twin of exception (ILLEGAL_FUNCTION, ILLEGAL_DATA_ADDRESS, ...)."),
        f("read_address", pa.uint16(), "First coil/input/register read (functions 1-4, 23)."),
        f("read_quantity", pa.uint16(), "Number of coils/inputs/registers read."),
        f("write_address", pa.uint16(), "First coil/register written (functions 5, 6, 15, 16, 22, 23)."),
        f("write_quantity", pa.uint16(), "Number of coils/registers written."),
        f("has_request", pa.bool_(), "The request was seen."),
        f("has_response", pa.bool_(), "The response was seen."),
        f("rtt", pa.float64(), "Seconds from request to response (null when unpaired)."),
    ]
)

DNP3 = pa.schema(
    key_fields("Time of the packet carrying the fragment's first transport segment.")
    + [
        f("source", pa.uint16(), "Link layer source address."),
        f("destination", pa.uint16(), "Link layer destination address."),
        f("from_master", pa.bool_(), "DIR bit: sent by the master (False: by an outstation)."),
        f("app_seq", pa.uint8(), "Application sequence number (0-15)."),
        f("con", pa.bool_(), "CON bit: an application confirm is requested."),
        f("uns", pa.bool_(), "UNS bit: unsolicited response (or its confirm)."),
        f("func", pa.uint8(), "Application function code."),
        f("func_name", pa.string(), "Readable twin of func (READ, SELECT, OPERATE, RESPONSE, UNSOLICITED_RESPONSE, ...)."),
        f("is_response", pa.bool_(), "Function code 129-131: a response carrying IIN."),
        f("iin", pa.uint16(), "Internal indications of a response (IIN1 << 8 | IIN2); null for requests."),
        f("iin_names", pa.list_(pa.string()), "Readable twin of iin: names of the set bits (DEVICE_RESTART, ...)."),
        f("object_bytes", pa.uint32(), "Bytes of object headers and data after the application header (not decoded)."),
        f("segments", pa.uint16(), "Transport segments that carried the fragment."),
    ]
)

LDAP = pa.schema(
    key_fields("Time of the request (or of the response when no request was seen).")
    + [
        f("message_id", pa.int32(), "LDAP messageID."),
        f("opcode", pa.uint8(), "protocolOp APPLICATION tag of the request (of the response if unpaired)."),
        f("opcode_name", pa.string(), "Readable twin of opcode (bind_request, search_request, unbind_request, ...)."),
        f("version", pa.uint8(), "Bind: protocol version."),
        f("bind_name", pa.string(), "Bind: DN or user name."),
        f("auth_type", pa.string(), "Bind: simple, sasl or sicily_* (Microsoft NTLM)."),
        f("password", pa.string(), "Simple bind password: <redacted> unless show_passwords; empty for an unauthenticated bind."),
        f("sasl_mechanism", pa.string(), "SASL bind mechanism (GSSAPI, GSS-SPNEGO, NTLM, ...)."),
        f("base_object", pa.string(), "Search: base DN."),
        f("scope", pa.uint8(), "Search: scope (0 base, 1 one level, 2 subtree)."),
        f("scope_name", pa.string(), "Readable twin of scope."),
        f("filter", pa.string(), "Search: filter in RFC 4515 string form (summary, capped)."),
        f("search_entries", pa.uint32(), "Search: result entries returned."),
        f("extended_name", pa.string(), "Extended request OID (1.3.6.1.4.1.1466.20037 is StartTLS)."),
        f("result_code", pa.uint16(), "resultCode of the response (null without a response)."),
        f("result_name", pa.string(), "Readable twin of result_code (success, invalid_credentials, ...)."),
        f("matched_dn", pa.string(), "matchedDN of the response."),
        f("diagnostic_message", pa.string(), "diagnosticMessage of the response."),
        *ntlm_fields("Bind with NTLM (SASL NTLM or GSS-SPNEGO, Sicily)", "Bind response"),
        f("has_request", pa.bool_(), "The request was seen."),
        f("has_response", pa.bool_(), "The (final) response was seen."),
        f("rtt", pa.float64(), "Seconds from request to response (null when unpaired)."),
    ]
)

KERBEROS = pa.schema(
    key_fields("Time of the request (or of the reply when no request was seen).")
    + [
        f("request_type", pa.string(), "AS or TGS (null when only a reply was seen)."),
        f("msg_type", pa.uint8(), "Message type of the request (of the reply if unpaired)."),
        f("msg_type_name", pa.string(), "Readable twin of msg_type (AS-REQ, TGS-REQ, ...)."),
        f("reply_msg_type", pa.uint8(), "Message type of the reply (11 AS-REP, 13 TGS-REP, 30 KRB-ERROR)."),
        f("reply_msg_type_name", pa.string(), "Readable twin of reply_msg_type."),
        f("realm", pa.string(), "Realm of the request."),
        f("cname", pa.string(), "Client principal, components joined by /."),
        f("sname", pa.string(), "Service principal, components joined by / (krbtgt/REALM for a TGT)."),
        f("etypes", pa.list_(pa.int32()), "Encryption types requested, client's order of preference."),
        f("etype_names", pa.list_(pa.string()), "Readable twins of etypes (aes256-cts-hmac-sha1-96, rc4-hmac, ...)."),
        f("forwardable", pa.bool_(), "KDC option forwardable requested."),
        f("renewable", pa.bool_(), "KDC option renewable requested."),
        f("from_time", TS, "Requested ticket start time (UTC), when given."),
        f("till_time", TS, "Requested ticket expiry (UTC)."),
        f("ticket_etype", pa.int32(), "Encryption type of the returned ticket (Zeek's cipher)."),
        f("ticket_etype_name", pa.string(), "Readable twin of ticket_etype."),
        f("success", pa.bool_(), "True for a ticket, False for a KRB-ERROR, null when unanswered."),
        f("error_code", pa.int32(), "KRB-ERROR error code."),
        f("error_name", pa.string(), "Readable twin of error_code (KDC_ERR_PREAUTH_REQUIRED, ...)."),
        f("error_text", pa.string(), "KRB-ERROR e-text, when sent."),
        f("has_request", pa.bool_(), "The request was seen."),
        f("has_response", pa.bool_(), "The reply or error was seen."),
        f("rtt", pa.float64(), "Seconds from request to reply (null when unpaired)."),
    ]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "dnp3": (DNP3, "One row per DNP3 application fragment (request or response), after link CRC checks and transport reassembly."),
    "kerberos": (KERBEROS, "One row per Kerberos KDC exchange (AS/TGS request paired with its reply or KRB-ERROR)."),
    "ldap": (LDAP, "One row per LDAP/CLDAP operation (request paired with its final response by message id)."),
    "modbus": (MODBUS, "One row per Modbus/TCP transaction (request paired with its response by transaction id)."),
    "ntp": (NTP, "One row per NTP datagram (time packet, mode 6 control or mode 7 private message)."),
}
"""Table name -> (schema, one-line doc)."""
