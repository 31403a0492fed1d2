"""Stable weird names (Zeek ``weird.log`` style). Kernels use the numeric codes; tables show
the names. Codes are append-only: never renumber."""

from __future__ import annotations

from enum import IntEnum


class Weird(IntEnum):
    NONE = 0
    # link / capture
    truncated_link_header = 1
    unknown_link_type = 2
    timestamp_out_of_line = 3  # a packet stamped far after both neighbours: counted earlier
    captured_length_exceeds_wire_length = 4  # a record's caplen above its wire length
    # IP
    truncated_ip_header = 10
    bad_ip_version = 11
    bad_ip_header_length = 12
    ip_total_length_exceeds_capture = 13
    bad_ipv6_extension_header = 14
    ip_total_length_too_small = 15
    # fragments
    fragment_overlap = 20
    fragment_inconsistent_overlap = 21
    fragment_too_large = 22
    fragment_timeout = 23
    fragment_table_full = 24
    fragment_incomplete_at_end = 25  # datagrams still missing fragments when the input ends
    # L4
    truncated_tcp_header = 30
    bad_tcp_header_length = 31
    truncated_udp_header = 32
    bad_udp_length = 33
    truncated_icmp_header = 34
    truncated_sctp_header = 35
    # tunnels
    truncated_tunnel_header = 40
    tunnel_depth_exceeded = 41
    # flows
    flow_table_full_eviction = 50
    syn_after_close = 51
    active_connection_reuse = 52  # a SYN with a new initial sequence number: a new flow
    syn_seq_jump = 53  # the same, on a connection whose SYN was never answered
    # dissectors (the dissector name is kept in the weird table's ``source`` column)
    dissector_error = 60
    # decode (L2-L4)
    truncated_arp = 70
    encrypted_wifi_frame = 71
    fragment_evicted = 72
    # TCP stream reassembly (flow/reassembly.py)
    tcp_overlap_conflict = 80
    tcp_gap = 81
    tcp_reassembly_limit = 82
    tcp_seq_out_of_window = 83
    tcp_data_after_fin = 84


def weird_name(code: int) -> str:
    try:
        return Weird(code).name
    except ValueError:
        return f"weird_{code}"
