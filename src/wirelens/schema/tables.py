"""One declared, documented Arrow schema per table. ``wirelens schema TABLE`` prints them.

Naming follows Zeek logs for connection-style columns (``orig_``/``resp_``) and NFStream for
statistical features (``src2dst_mean_piat_ms``: direction, statistic, quantity, unit).
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema import dhcp, enterprise, infra, mail, quic, ssh, x509
from wirelens.schema.fields import TS, f, key_fields


def _dir_stats() -> list[pa.Field]:
    out: list[pa.Field] = []
    names = {"src2dst": "originator to responder", "dst2src": "responder to originator",
             "bidirectional": "both directions"}
    for d, words in names.items():
        out += [
            f(f"{d}_min_ps", pa.uint32(), f"Smallest IP packet size, {words} (bytes)."),
            f(f"{d}_mean_ps", pa.float64(), f"Mean IP packet size, {words} (bytes)."),
            f(f"{d}_stddev_ps", pa.float64(), f"Population std. dev. of IP packet size, {words} (bytes)."),
            f(f"{d}_max_ps", pa.uint32(), f"Largest IP packet size, {words} (bytes)."),
            f(f"{d}_min_piat_ms", pa.float64(), f"Smallest packet inter-arrival time, {words} (ms)."),
            f(f"{d}_mean_piat_ms", pa.float64(), f"Mean packet inter-arrival time, {words} (ms)."),
            f(f"{d}_stddev_piat_ms", pa.float64(), f"Population std. dev. of inter-arrival time, {words} (ms)."),
            f(f"{d}_max_piat_ms", pa.float64(), f"Largest packet inter-arrival time, {words} (ms)."),
        ]
    return out


def _flag_counts() -> list[pa.Field]:
    out: list[pa.Field] = []
    for side, words in (("orig", "originator"), ("resp", "responder")):
        for flag in ("syn", "ack", "fin", "rst", "psh", "urg", "ece", "cwr"):
            out.append(f(f"{side}_{flag}_pkts", pa.uint32(),
                         f"TCP packets from the {words} with {flag.upper()} set."))
    return out


CONN = pa.schema(
    key_fields("Time of the connection's first packet (UTC).")
    + [
        f("last_ts", TS, "Time of the connection's last packet (UTC)."),
        f("duration", pa.float64(), "last_ts - ts, in seconds."),
        f("proto", pa.uint8(), "IP protocol number of the innermost transport."),
        f("proto_name", pa.string(), "Readable twin of proto (tcp, udp, icmp, ...)."),
        f("community_id", pa.string(), "Community ID v1 of the flow (the hash of its "
          "addresses, protocol and ports Zeek, Suricata, Wireshark and Arkime write: a join "
          "key across tools; seed --community-id-seed, 0 by default)."),
        f("ip_version", pa.uint8(), "4 or 6 (innermost IP header)."),
        f("orig_mac", pa.string(), "Originator's link-layer address as seen on its packets (null if none)."),
        f("resp_mac", pa.string(), "Responder's link-layer address."),
        f("vlan", pa.uint16(), "Outermost 802.1Q VLAN id (0 when untagged)."),
        f("vlan_inner", pa.uint16(), "Inner VLAN id of QinQ (0 when none)."),
        f("tunnel", pa.string(), "Outermost encapsulation (gre, erspan, vxlan, geneve, gtpu, ipip, teredo, pppoe, capwap, ayiya, mpls_udp, l2tp, pbb) or null."),
        f("tunnel_id", pa.uint32(), "VXLAN/Geneve VNI, GTP TEID, GRE key or ERSPAN session (0 when none)."),
        f("tunnel_orig_h", pa.string(), "Originator-side address of the IP header carrying that "
          "tunnel (the VTEP, GTP or GRE endpoint on the originator's side), from the flow's "
          "first packet; null without a tunnel or one not carried by IP (PPPoE)."),
        f("tunnel_resp_h", pa.string(), "Responder-side address of that IP header."),
        f("service", pa.string(), "Protocol identified by content (dns, http, tls, ...), null if unknown."),
        f("service_source", pa.string(), "How the flow was identified: content (a dissector recognised "
          "its payload), expected (announced by another flow: an FTP data connection, a TFTP "
          "transfer), port (no content match; service guessed from the responder's well-known "
          "port), dns-cache (no service; application named from earlier DNS answers for the "
          "responder address), catalogue (no service; application from the catalogue's address "
          "ranges), continued (the flow continues one the active timeout ended, on the same "
          "endpoints within the idle timeout and without a SYN: its service, when this flow's "
          "own content named none), or null."),
        f("server_name", pa.string(), "Name the client asked for: TLS SNI, HTTP Host, DNS query name, ... "
          "(name_source says which)."),
        f("conn_state", pa.string(), "Zeek-style connection state (S0, S1, SF, REJ, RSTO, RSTR, SH, OTH, ...)."),
        f("history", pa.string(), "Zeek-style history letters, each once per side in order of first "
          "occurrence; upper case = originator (S syn, h syn-ack, A ack, D data, F fin, R rst, "
          "T retransmission, G gap, W zero window)."),
        f("end_reason", pa.string(), "Why the flow ended: idle, active, fin, rst, evicted (table full), eof, or reuse (a SYN from the originator with a new initial sequence number: a new connection on the same ports)."),
        f("orig_pkts", pa.uint64(), "Packets from the originator."),
        f("resp_pkts", pa.uint64(), "Packets from the responder."),
        f("orig_ip_bytes", pa.uint64(), "IP bytes (IP total length) from the originator."),
        f("resp_ip_bytes", pa.uint64(), "IP bytes from the responder."),
        f("orig_bytes", pa.uint64(), "Transport payload bytes from the originator (as captured)."),
        f("resp_bytes", pa.uint64(), "Transport payload bytes from the responder."),
        f("orig_wire_bytes", pa.uint64(), "Link-layer frame bytes (original length) from the originator."),
        f("resp_wire_bytes", pa.uint64(), "Link-layer frame bytes from the responder."),
        f("missed_bytes", pa.uint64(), "TCP bytes never seen, both directions: holes in the "
          "sequence space no later segment filled (packet loss in the capture, as Zeek's)."),
        f("orig_retrans_pkts", pa.uint64(), "TCP segments from the originator whose payload "
          "had all been sent before (retransmissions; reordered segments filling a hole are "
          "not)."),
        f("resp_retrans_pkts", pa.uint64(), "Retransmitted TCP segments from the responder."),
        f("orig_retrans_bytes", pa.uint64(), "Payload bytes of orig_retrans_pkts."),
        f("resp_retrans_bytes", pa.uint64(), "Payload bytes of resp_retrans_pkts."),
    ]
    + _flag_counts()
    + _dir_stats()
    + [
        f("icmp_type", pa.uint8(), "ICMP/ICMPv6 type of the first ICMP packet (null for other protocols)."),
        f("icmp_code", pa.uint8(), "ICMP/ICMPv6 code of the first ICMP packet."),
        f("first_ps", pa.list_(pa.uint16()), "IP sizes of the first 10 packets (bytes)."),
        f("first_dir", pa.list_(pa.uint8()), "Directions of the first 10 packets (0 = from originator, 1 = from responder)."),
        f("first_piat_ms", pa.list_(pa.float32()), "Inter-arrival times of the first 10 packets (ms; first is 0)."),
        f("application", pa.string(), "Application of server_name in the catalogue (wirelens.apps: "
          "longest listed domain suffix, e.g. YouTube), null when unnamed or not listed."),
        f("category", pa.string(), "Category of application (search, video, social, messaging, "
          "cloud_storage, updates, cdn, ads, vpn, ...; the fixed list of wirelens.apps.CATEGORIES)."),
        f("name_source", pa.string(), "How server_name was found: sni (TLS ClientHello), http_host "
          "(HTTP Host), dns_query (the flow's own DNS question), smtp_greeting (the domain of an "
          "SMTP server's 220 greeting), smb_tree (the server of an SMB tree connect path), netbios_name (the NetBIOS "
          "name a name-service packet asks for or registers, or a datagram is sent to), certificate (no SNI: the first "
          "name of the server's TLS certificate), stun_realm (a STUN/TURN REALM), socks_host (the host a "
          "SOCKS 4A/5 request asks for), rtsp_host (an RTSP request URI's host), xmpp_to (an XMPP "
          "stream header's to), git_host (a Git request's host=), mgcp_gateway (the domain of an MGCP "
          "endpoint name), opcua_endpoint (the host of an OPC UA Hello's endpoint URL), coap_host (a "
          "CoAP Uri-Host), fastcgi_host (a FastCGI request's HTTP_HOST or SERVER_NAME), dicom_called_ae "
          "(the called AE title of a DICOM association request), iscsi_target (an iSCSI login's "
          "TargetName), mipush_host (the server a Xiaomi push client's CONN names), dns_cache (an earlier DNS answer held the responder's address), continued (the name of the flow this one continues, as service_source), or null."),
    ]
)

DNS = pa.schema(
    key_fields("Time of the query (or of the response when no query was seen).")
    + [
        f("proto", pa.string(), "Transport: udp or tcp."),
        f("trans_id", pa.uint16(), "DNS transaction id."),
        f("query", pa.string(), "Queried name; for a dynamic update (RFC 2136) the owner of its first "
          "prerequisite or update record (as Zeek), not the zone."),
        f("qclass", pa.uint16(), "Query class."),
        f("qclass_name", pa.string(), "Readable twin of qclass."),
        f("qtype", pa.uint16(), "Query type."),
        f("qtype_name", pa.string(), "Readable twin of qtype (A, AAAA, TXT, ...)."),
        f("rcode", pa.uint8(), "Response code (null without a response)."),
        f("rcode_name", pa.string(), "Readable twin of rcode (NOERROR, NXDOMAIN, ...)."),
        f("AA", pa.bool_(), "Authoritative answer flag."),
        f("TC", pa.bool_(), "Truncation flag."),
        f("RD", pa.bool_(), "Recursion desired flag."),
        f("RA", pa.bool_(), "Recursion available flag."),
        f("Z", pa.uint8(), "The header's three bits between RA and the response code, as "
          "Zeek's Z: the reserved Z bit (4), AD, authentic data (2), CD, checking disabled "
          "(1; RFC 4035 section 3.2); from the query, else the response."),
        f("answers", pa.list_(pa.string()), "Answer record data, in order, as Zeek's dns.log "
          "writes it (addresses, names, TXT strings, 'RRSIG <type> <signer>', 'DS <alg> "
          "<digest type>', 'SSHFP: <hex>', ...; other types as hex); for a dynamic update the "
          "data of its prerequisite and update records, from the request."),
        f("TTLs", pa.list_(pa.float64()), "Answer TTLs in seconds, matching answers."),
        f("rtt", pa.float64(), "Seconds from query to response (null when unpaired)."),
        f("opcode", pa.uint8(), "Header OPCODE of the query (or response)."),
        f("opcode_name", pa.string(), "Readable twin of opcode (QUERY, NOTIFY, UPDATE, ...)."),
        f("answer_types", pa.list_(pa.string()), "Type of each answer (A, CNAME, ...), matching answers."),
        f("answer_names", pa.list_(pa.string()), "Owner name of each answer, matching answers (the "
          "query's name, or after a CNAME its target)."),
        f("edns_udp_size", pa.uint16(), "UDP payload size of the query's EDNS OPT record (RFC 6891), else "
          "the response's; null without EDNS."),
        f("edns_version", pa.uint8(), "EDNS version of that OPT record."),
        f("edns_dnssec_ok", pa.bool_(), "Its DO bit (RFC 3225: DNSSEC records wanted)."),
        f("authorities", pa.list_(pa.string()), "Record data of the response's authority section, "
          "in order, written as answers are (the zone's SOA of a negative answer gives its "
          "primary server, a referral's NS records the servers)."),
        f("authority_names", pa.list_(pa.string()), "Owner name of each authority record (the "
          "zone), matching authorities."),
        f("authority_types", pa.list_(pa.string()), "Type of each authority record (SOA, NS, "
          "NSEC, ...), matching authorities."),
        f("authority_TTLs", pa.list_(pa.float64()), "TTL of each authority record in seconds, "
          "matching authorities."),
        f("partial", pa.string(), "Why a message of the transaction was read in part: it ended "
          "inside a record (a datagram cut by the capture's snap length, or whose header counts "
          "more records than it holds); the records before the cut are kept."),
    ]
)

HTTP = pa.schema(
    key_fields("Time of the request (or of the response when no request was seen).")
    + [
        f("trans_depth", pa.uint32(), "Position of this request/response pair in the connection (1-based)."),
        f("method", pa.string(), "Request method."),
        f("host", pa.string(), "Host header."),
        f("uri", pa.string(), "Request target."),
        f("version", pa.string(), "HTTP version of the request (or response): 0.9, 1.0, 1.1, or 2 (a cleartext HTTP/2 stream)."),
        f("user_agent", pa.string(), "User-Agent header."),
        f("referrer", pa.string(), "Referer header."),
        f("status_code", pa.uint16(), "Response status code."),
        f("status_msg", pa.string(), "Response reason phrase."),
        f("request_content_type", pa.string(), "Content-Type of the request."),
        f("response_content_type", pa.string(), "Content-Type of the response."),
        f("request_body_len", pa.uint64(), "Request body bytes seen (as sent: a gzip or "
          "deflate body counts its encoded bytes)."),
        f("response_body_len", pa.uint64(), "Response body bytes seen (as sent)."),
        f("server", pa.string(), "Server header of the response."),
        f("request_mime_type", pa.string(), "File type of the request body from its first bytes "
          "(magic numbers, e.g. application/x-dosexec), whatever its Content-Type says."),
        f("response_mime_type", pa.string(), "File type of the response body from its first bytes "
          "(e.g. text/html, image/png, application/pdf); for a gzip- or deflate-encoded body "
          "(Content-Encoding), of what its first bytes decode to."),
        f("location", pa.string(), "Location header of the response: where a redirect (3xx) or "
          "a created resource (201) points."),
        f("auth_mechanism", pa.string(), "Scheme of the request's Authorization (else "
          "Proxy-Authorization) header: Basic, Digest, NTLM, Negotiate, Bearer, ..."),
        f("user", pa.string(), "Who authenticated: Basic's user, Digest's username, NTLM's "
          "DOMAIN\\user."),
        f("password", pa.string(), "Basic authentication's password: '<redacted>' unless the "
          "run shows passwords."),
        f("credentials_clear", pa.bool_(), "A password crossed the connection in clear text "
          "(Basic: base64); null without credentials."),
    ]
)

TLS = pa.schema(
    key_fields("Time of the ClientHello (or of the first handshake message seen).")
    + [
        f("version", pa.string(), "Negotiated version (ServerHello, supported_versions aware), e.g. TLSv1.3."),
        f("client_version", pa.string(), "Highest version the client offered."),
        f("cipher", pa.string(), "Cipher suite chosen by the server (IANA name, or hex code)."),
        f("cipher_code", pa.uint16(), "Code of cipher (IANA TLS Cipher Suites registry)."),
        f("curve", pa.string(), "Key exchange group the server chose: its ServerHello's key_share "
          "(TLS 1.3) or the named curve of its ECDHE ServerKeyExchange (TLS <= 1.2); null for RSA "
          "or finite-field DHE key exchange."),
        f("server_name", pa.string(), "SNI from the ClientHello (RFC 6066 section 3)."),
        f("alpn", pa.list_(pa.string()), "ALPN protocols offered by the client."),
        f("alpn_selected", pa.string(), "ALPN protocol selected by the server."),
        f("established", pa.bool_(), "A ServerHello was seen."),
        f("resumed", pa.bool_(), "The server resumed an earlier session: up to TLS 1.2 it echoed "
          "the client's non-empty session ID (also how a session ticket is accepted); in TLS "
          "1.3 it selected a pre-shared key."),
        f("ja3", pa.string(), "JA3 string of the ClientHello: version,ciphers,extensions,groups,"
          "point formats (decimal, '-'-joined, GREASE removed)."),
        f("ja3_hash", pa.string(), "JA3 fingerprint: MD5 of ja3, lower-case hex; null (as ja3 and ja4) for a ClientHello cut short (hello_damage)."),
        f("ja3s", pa.string(), "JA3S string of the ServerHello: version,cipher,extensions."),
        f("ja3s_hash", pa.string(), "JA3S fingerprint: MD5 of ja3s, lower-case hex; null without ServerHello, and (as ja3s and ja4s) for one cut short."),
        f("ja4", pa.string(), "JA4 fingerprint of the ClientHello (FoxIO), e.g. t13d1516h2_8daaf6152771_e5627efa2ab1."),
        f("ja4s", pa.string(), "JA4S fingerprint of the ServerHello (FoxIO), e.g. t120400_c030_4e8089b08790."),
        f("cipher_suites", pa.list_(pa.string()), "Cipher suites offered by the client, in offer order (IANA names, hex when unknown, GREASE kept)."),
        f("cipher_suite_codes", pa.list_(pa.uint16()), "Codes of cipher_suites."),
        f("extensions", pa.list_(pa.uint16()), "Extension types of the ClientHello, in wire order."),
        f("extension_names", pa.list_(pa.string()), "Readable twin of extensions (server_name, key_share, ...)."),
        f("server_extensions", pa.list_(pa.uint16()), "Extension types of the ServerHello, in wire order."),
        f("groups", pa.list_(pa.uint16()), "supported_groups offered by the client (RFC 8446 section 4.2.7)."),
        f("group_names", pa.list_(pa.string()), "Readable twin of groups (x25519, secp256r1, ...)."),
        f("signature_algorithms", pa.list_(pa.uint16()), "signature_algorithms offered by the client (RFC 8446 section 4.2.3)."),
        f("signature_algorithm_names", pa.list_(pa.string()), "Readable twin of signature_algorithms."),
        f("cert_status", pa.string(), "Server certificate: parsed, encrypted (TLS 1.3), absent (flight ended without one), "
          "too_long (over the size limit), malformed, or null (server flight not seen)."),
        f("cert_chain_len", pa.uint16(), "Certificates in the server's chain."),
        f("cert_subject", pa.string(), "Subject of the server's leaf certificate (RFC 4514)."),
        f("cert_issuer", pa.string(), "Issuer of the server's leaf certificate (RFC 4514)."),
        f("cert_sans", pa.list_(pa.string()), "subjectAltName DNS names of the leaf certificate."),
        f("cert_not_after", pa.timestamp("s", tz="UTC"), "End of validity of the leaf certificate."),
        f("cert_sha256", pa.string(), "SHA-256 of the leaf certificate's DER, lower-case hex (joins x509.sha256)."),
        f("cert_self_signed", pa.bool_(), "The leaf certificate is self-signed (names equal, own signature verifies)."),
        f("cert_expired", pa.bool_(), "The leaf certificate was expired at the time of the packet carrying it."),
        f("sni_matches_cert", pa.bool_(), "The SNI is one of the leaf certificate's names (SANs or "
          "subject CN; a wildcard in the left-most label, RFC 6125 section 6.4.3); null without "
          "an SNI or a certificate read (TLS 1.3 encrypts it)."),
        f("client_cert_chain_len", pa.uint16(), "Certificates sent by the client (client authentication); null if none."),
        f("alert_level", pa.uint8(), "Level of the first clear-text alert, either direction (RFC 8446 section 6)."),
        f("alert_level_name", pa.string(), "Readable twin of alert_level (warning, fatal)."),
        f("alert_description", pa.uint8(), "Description code of that alert."),
        f("alert_description_name", pa.string(), "Readable twin of alert_description (handshake_failure, ...)."),
        f("alert_sender", pa.string(), "Who sent that alert: client or server."),
        f("late_error", pa.string(), "Why reading stopped after the ServerHello when the bytes there were not TLS; null otherwise."),
        f("hello_damage", pa.list_(pa.string()), "What did not parse in a ClientHello kept anyway (as nDPI and tshark read it): an extension running past the list's end ends the list, the ones before it kept and fingerprinted; an extension whose content does not parse reads as absent; 'hello cut short: N of M bytes seen' for a hello whose rest was never seen (a hole, a snap length, the end of the flow): the fields whole before the cut are kept, no fingerprint is made."),
    ]
)

WEIRD = pa.schema(
    [
        f("ts", TS, "Time of the first occurrence.", nullable=False),
        f("uid", pa.string(), "Connection id when the weird belongs to a connection."),
        f("orig_h", pa.string(), "Source/originator address, when known."),
        f("resp_h", pa.string(), "Destination/responder address, when known."),
        f("name", pa.string(), "Stable snake_case name of the anomaly (see wirelens.core.weirds)."),
        f("source", pa.string(), "What noticed it: capture, decode, fragments, flow, or a dissector name."),
        f("count", pa.uint64(), "Occurrences folded into this row (same name, input file and endpoints within 16 MiB of input, the stretch whose output is handed over at once)."),
        f("detail", pa.string(), "Extra detail, e.g. a parser message."),
    ]
)

RUN = pa.schema(
    [
        f("ts", TS, "When the run started (wall clock, UTC).", nullable=False),
        f("run_id", pa.string(), "Identifier of the run; part of every Parquet file name it wrote."),
        f("version", pa.string(), "wirelens version."),
        f("inputs", pa.list_(pa.string()), "Capture sources read."),
        f("first_packet_ts", TS, "Earliest packet time seen."),
        f("last_packet_ts", TS, "Latest packet time seen."),
        f("packets", pa.uint64(), "Records read from the inputs."),
        f("bytes", pa.uint64(), "Captured bytes of those records."),
        f("ip_packets", pa.uint64(), "Packets that reached the flow table."),
        f("non_ip_packets", pa.uint64(), "Frames with no IP inside (counted, not decoded further)."),
        f("arp_packets", pa.uint64(), "ARP packets."),
        f("malformed_packets", pa.uint64(), "Packets that could not be decoded (see weird)."),
        f("unknown_link_packets", pa.uint64(), "Records of link types wirelens does not decode."),
        f("fragments", pa.uint64(), "IP fragments handed to reassembly."),
        f("flows", pa.uint64(), "Flows emitted."),
        f("flows_evicted", pa.uint64(), "Flows emitted early because the flow table was full."),
        f("problems", pa.list_(pa.string()), "Damage found in the inputs, one line each."),
        f("notices", pa.list_(pa.string()), "Remarks on the inputs that damaged nothing, one "
          "line each (a file whose packets start before the end of those read before it: "
          "flows spanning them are distorted)."),
        f("elapsed_s", pa.float64(), "Wall time of the run in seconds."),
        f("config", pa.string(), "The run's settings as JSON."),
        f("interrupted", pa.bool_(), "Stopped on request (Ctrl-C, SIGTERM) before the end of "
          "its inputs: the tables hold what was read until then, the flows open then ended "
          "there (a notice says where)."),
        f("uid_salt", pa.int64(), "Key of the run's uids (each a keyed hash of the flow's "
          "number in the run): from its first packet's time, moved on when a run already in "
          "the lake has a key whose uids could meet these, so uids stay unique across the "
          "runs of a lake (the same capture appended twice, or with other settings)."),
        f("error", pa.string(), "What ended the run before the end of its inputs (the disk "
          "full, the lake's writer process killed, memory exhausted, a second Ctrl-C): its "
          "tables hold the files completed before it, not the rest; null for a run that "
          "ended as it should (or was interrupted: see interrupted)."),
    ]
)

WEBSOCKET = pa.schema(
    key_fields("Time of the upgrade request.")
    + [
        f("host", pa.string(), "Host header of the upgrade request."),
        f("uri", pa.string(), "Request target of the upgrade request."),
        f("user_agent", pa.string(), "User-Agent of the upgrade request."),
        f("subprotocol", pa.string(), "Subprotocol the server chose (Sec-WebSocket-Protocol, RFC 6455 "
          "section 4.2.2)."),
        f("client_protocols", pa.list_(pa.string()), "Subprotocols the client offered, in order."),
        f("server_extensions", pa.list_(pa.string()), "Extensions the server accepted "
          "(Sec-WebSocket-Extensions)."),
        f("client_extensions", pa.list_(pa.string()), "Extensions the client offered."),
    ]
)

_CORE_DOCS: dict[str, tuple[pa.Schema, str]] = {
    "conn": (CONN, "One row per bidirectional flow (connection), emitted when it ends."),
    "dns": (DNS, "One row per DNS transaction (query paired with its response within the flow)."),
    "http": (HTTP, "One row per HTTP/1.x request/response pair or cleartext HTTP/2 stream."),
    "websocket": (WEBSOCKET, "One row per WebSocket handshake (an upgrade the server accepted)."),
    "tls": (TLS, "One row per TLS or DTLS handshake (ClientHello and ServerHello)."),
}
_TAIL_DOCS: dict[str, tuple[pa.Schema, str]] = {
    "weird": (WEIRD, "Anomalies: malformed packets, protocol violations, resource limits hit."),
    "run": (RUN, "One row per analysis run: inputs, counts, damage found, settings."),
}
_ALL = {**_CORE_DOCS, **x509.TABLES, **quic.TABLES, **ssh.TABLES, **dhcp.TABLES, **mail.TABLES,
        **enterprise.TABLES, **infra.TABLES, **_TAIL_DOCS}

SCHEMAS: dict[str, pa.Schema] = {name: schema for name, (schema, _) in _ALL.items()}
"""Every table, in the order they are documented (conn, the protocol tables, weird, run)."""

TABLE_DOCS: dict[str, str] = {name: doc for name, (_, doc) in _ALL.items()}
