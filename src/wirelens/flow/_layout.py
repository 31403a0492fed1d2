"""Column layout of the flow table's structure-of-arrays state.

Each open flow owns one *slot*: one row of ``U`` (uint64: the lookup key, exactly one
64-byte row), ``I`` (int64, hot columns first) and ``F`` (float64) plus rows of the small
per-flow arrays (first packets, history). Rows of one flow sit next to each other in memory,
so a packet touches a handful of cache lines. Module-level integers are compile-time
constants inside numba kernels.

Statistics are kept as *shifted sums* (shift = the first value seen, so constant series give
exactly zero variance and there is no cancellation): per packet only additions and one
multiplication, no division; means and standard deviations are computed at emission.
"""

from __future__ import annotations

# --- U: uint64 columns: the lookup key, one 64-byte row (a probe reads nothing else) -----
U_HASH, U_OHI, U_OLO, U_RHI, U_RLO, U_K1, U_K2, U_FID = range(8)
NU = 8
# U_K1 = orig port | resp port << 16 | proto << 32 | tunnel << 40
# U_K2 = vlan | inner vlan << 16 | tunnel id << 32

# --- I: int64 columns, ordered hot first (8 columns = one 64-byte cache line) ------------
# line 0-1: touched by every packet
I_LAST = 0  # effective time of the last packet (ns)
I_LAST0 = 1  # last packet orig->resp (for per-direction inter-arrival times); +dir
I_PKTS = 3  # +dir
I_TOUCH = 5  # global touch sequence number of the last packet
I_LIST = 6  # 0 idle list, 1 linger list (a free slot has U_FID 0)
I_CLOSED = 7  # 0 open, END_FIN or END_RST once closed (then lingering)
I_PREV = 8  # activity list (idle or linger list, see I_LIST)
I_NEXT = 9
I_WB = 10  # wire bytes, +dir
I_IPB = 12  # IP bytes, +dir
I_PB = 14  # payload bytes, +dir
# line 2-6: packet-size and inter-arrival statistics (shifted sums: no division per packet)
I_MINPS = 16  # +dir, +2 = bidirectional
I_MAXPS = 19  # +dir, +2 = bidirectional
I_HBITS = 22  # bitset of history letters already recorded
I_FIRSTN = 23
I_PSK = 24  # shift of the size sums: first size seen (+dir, +2 bidirectional)
I_PSS1 = 27  # sum of (size - shift)
I_OST = 30  # TCP endpoint state of the originator (EP_*)
I_RST = 31
I_PSS2 = 32  # sum of (size - shift)^2 (exact integers)
I_IATK = 35  # shift of the inter-arrival sums: first inter-arrival time (ns)
I_DPIN = 38  # payload packets already handed to DPI
I_DPIOFF = 39  # 1 once stop_dpi() was called for the flow
I_IATS1 = 40  # sum of (iat - shift), ns
I_IATMIN = 43  # ns
I_HLEN = 46
I_TS = 47  # effective time of the first packet (ns)
I_IATMAX = 48  # ns
# line 6-7: set once when the flow is created (cold)
I_OP = 51  # originator port
I_RP = 52
I_PROTO = 53
I_VLAN = 54
I_VLAN2 = 55
I_TUN = 56
I_TUNID = 57
I_IPVER = 58
I_ICMPT = 59
I_ICMPC = 60
I_APREV = 61  # age list (creation order), for the active timeout
I_ANEXT = 62
I_OMAC = 63  # originator MAC (48 bits)
I_RMAC = 64
# lines 8-9: TCP flag counters
I_FLAGS = 65  # 8 counters per direction: I_FLAGS + 8*dir + k (k in FLAG_ORDER)
# line 10: cold
I_FINTS = 81  # effective time of the packet that completed the FIN exchange (both sides FIN)
# lines 10-11: TCP sequence space, touched by TCP segments that carry data, SYN or FIN
I_SEQF = 82  # bit d: direction d's next sequence number is known; bit 2+d: a pure ACK opened its hole
I_NXT = 83  # next sequence number expected (mod 2**32), +dir
I_HOLE = 85  # start of the open hole (sequence numbers skipped, maybe still to come), +dir
I_HOLEN = 87  # its length (0: none), +dir
I_MISSED = 89  # bytes of holes given up (a new hole opened past it, or the flow ended), +dir
I_RETX = 91  # retransmitted segments (their payload all at or before I_NXT, not in the hole)
I_RETXB = 93  # their payload bytes, +dir
# line 11-12: cold, set when the flow is created
I_OTUN = 95  # outer addresses of the first packet's outermost tunnel, originator side (hi,
# lo), then the responder side's (hi, lo): uint64 halves stored as int64; 0 without a tunnel
I_OISN = 99  # sequence number of the originator's first segment seen, | 1 << 32 (0: none yet)
NI = 100

# --- F: float64 columns ------------------------------------------------------------------
F_IATS2 = 0  # sum of (iat - shift)^2 in ns^2 (+dir, +2 bidirectional)
NF = 3

# --- ended buffer: the U and I columns copied when a flow ends (the others are not emitted)
OUT_U: tuple[int, ...] = (U_FID, U_OHI, U_OLO, U_RHI, U_RLO)
OUT_I: tuple[int, ...] = (
    I_TS, I_LAST, I_OP, I_RP, I_PROTO, I_IPVER, I_VLAN, I_VLAN2, I_TUN, I_TUNID, I_OMAC,
    I_RMAC, I_PKTS, I_PKTS + 1, I_WB, I_WB + 1, I_IPB, I_IPB + 1, I_PB, I_PB + 1,
    I_MINPS, I_MINPS + 1, I_MINPS + 2, I_MAXPS, I_MAXPS + 1, I_MAXPS + 2, I_ICMPT, I_ICMPC,
    I_FIRSTN, *range(I_FLAGS, I_FLAGS + 16), I_MISSED, I_MISSED + 1, I_RETX, I_RETX + 1,
    I_RETXB, I_RETXB + 1, *range(I_OTUN, I_OTUN + 4),
)

# --- ended buffer: final statistics (float64 rows of the column-major EF, + series 0/1/2) --
E_PSMEAN = 0
E_PSSTD = 3
E_IATMIN = 6  # ms
E_IATMEAN = 9
E_IATSTD = 12
E_IATMAX = 15
NE = 18

# --- st: int64 table scalars -------------------------------------------------------------
S_HEAD_IDLE = 0
S_TAIL_IDLE = 1
S_HEAD_LING = 2
S_TAIL_LING = 3
S_HEAD_AGE = 4
S_TAIL_AGE = 5
S_NOW = 6
S_OPEN = 7
S_NFREE = 8
S_NEXT_FID = 9
S_CAP = 10
S_MASK = 11
S_CREATED = 12
S_EVICTED = 13
S_MAX_OPEN = 14
S_NENDED = 15  # rows used in the ended buffer
S_TOUCH = 16
S_ENDED = 17  # + END_* reason: flows ended per reason (17..23)
S_DEADLINE = 24  # lower bound of the next expiry time (no list head expires before it)
NS = 25

# --- params: int64 ------------------------------------------------------------------------
P_IDLE = 0
P_ACTIVE = 1
P_LINGER = 2
P_MAXF = 3
P_DPI = 4
P_PREFETCH = 5  # flow slots from which the per-packet loop prefetches (see flow._kernels)
P_VLAN_KEY = 6  # 1: VLAN ids are part of the flow key; 0: they are not (recorded only)
NP = 7

# --- end reasons (index into END_REASONS) -------------------------------------------------
END_IDLE, END_ACTIVE, END_FIN, END_RST, END_EVICTED, END_EOF, END_REUSE = range(7)
END_REASONS: tuple[str, ...] = ("idle", "active", "fin", "rst", "evicted", "eof", "reuse")

# --- TCP endpoint states (simplified Zeek TCP_Endpoint states) ---------------------------
EP_INACTIVE, EP_SYN_SENT, EP_SYN_ACK_SENT, EP_PARTIAL, EP_ESTABLISHED, EP_CLOSED, EP_RESET = (
    range(7)
)

# --- conn_state (index into CONN_STATES) --------------------------------------------------
CONN_STATES: tuple[str, ...] = (
    "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
)
CS_S0, CS_S1, CS_SF, CS_REJ, CS_S2, CS_S3, CS_RSTO, CS_RSTR, CS_RSTOS0, CS_RSTRH, CS_SH, CS_SHR, CS_OTH = (
    range(13)
)

# --- history letters: bit index = letter index + len(HIST_LETTERS)*dir; ASCII upper (orig) /
# lower (resp). T: a retransmission, G: a gap in the sequence space, W: a zero window
HIST_LETTERS = "SHADFRTGW"
H_S, H_H, H_A, H_D, H_F, H_R, H_T, H_G, H_W = range(9)
HIST_LEN = 16
HANDSHAKE_BITS = ((1 << H_S) | (1 << H_H)) * (1 | (1 << len(HIST_LETTERS)))
"""History bits of a SYN or SYN-ACK from either side: the flow's roles come from TCP."""
DPI_MARK, DPI_HANDSHAKE = 1, 2
"""``FlowStep.pkt_dpi`` bits: hand the payload to DPI; the flow's handshake was seen."""

# --- TCP flags (RFC 9293 section 3.1; ECE/CWR RFC 3168 section 6.1) ----------------------
TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK, TH_URG, TH_ECE, TH_CWR = 1, 2, 4, 8, 16, 32, 64, 128
FLAG_NAMES: tuple[str, ...] = ("syn", "ack", "fin", "rst", "psh", "urg", "ece", "cwr")
FLAG_BITS: tuple[int, ...] = (TH_SYN, TH_ACK, TH_FIN, TH_RST, TH_PSH, TH_URG, TH_ECE, TH_CWR)

FIRST_N = 10  # == core.limits.FIRST_PACKETS (checked at import in table.py)
