"""Column layout of the flow table's structure-of-arrays state.

Each open flow owns one *slot*: one row of ``U`` (uint64), ``I`` (int64) and ``F`` (float64)
plus rows of the small per-flow arrays (first packets, history). Rows of one flow sit next
to each other in memory, so a packet touches a handful of cache lines. Module-level integers
are compile-time constants inside numba kernels.
"""

from __future__ import annotations

# --- U: uint64 columns -------------------------------------------------------------------
U_OHI, U_OLO, U_RHI, U_RLO, U_OMAC, U_RMAC, U_FID, U_HASH = range(8)
NU = 8

# --- I: int64 columns --------------------------------------------------------------------
I_OP = 0  # originator port
I_RP = 1
I_PROTO = 2
I_IPVER = 3
I_VLAN = 4
I_VLAN2 = 5
I_TUN = 6
I_TUNID = 7
I_TS = 8  # effective time of the first packet (ns)
I_LAST = 9  # effective time of the last packet
I_LAST0 = 10  # last packet orig->resp (for per-direction inter-arrival times)
I_LAST1 = 11
I_PKTS = 12  # +dir
I_WB = 14  # wire bytes, +dir
I_IPB = 16  # IP bytes, +dir
I_PB = 18  # payload bytes, +dir
I_FLAGS = 20  # 8 counters per direction: I_FLAGS + 8*dir + k (k in FLAG_ORDER)
I_MINPS = 36  # +dir, +2 = bidirectional
I_MAXPS = 39  # +dir, +2 = bidirectional
I_ICMPT = 42
I_ICMPC = 43
I_HBITS = 44  # bitset of history letters already recorded
I_HLEN = 45
I_OST = 46  # TCP endpoint state of the originator (EP_*)
I_RST = 47
I_CLOSED = 48  # 0 open, END_FIN or END_RST once closed (then lingering)
I_DPIN = 49  # payload packets already handed to DPI
I_DPIOFF = 50  # 1 once stop_dpi() was called for the flow
I_FIRSTN = 51
I_PREV = 52  # activity list (idle or linger list, see I_LIST)
I_NEXT = 53
I_LIST = 54  # 0 idle list, 1 linger list
I_APREV = 55  # age list (creation order), for the active timeout
I_ANEXT = 56
I_TOUCH = 57  # global touch sequence number of the last packet
NI = 58

# --- F: float64 columns (Welford accumulators) -------------------------------------------
F_PSMEAN = 0  # +dir (2 = bidirectional)
F_PSM2 = 3
F_IATMEAN = 6
F_IATM2 = 9
F_IATMIN = 12
F_IATMAX = 15
NF = 18

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
S_ENDED = 17  # + END_* reason: flows ended per reason
NS = 24

# --- params: int64 ------------------------------------------------------------------------
P_IDLE = 0
P_ACTIVE = 1
P_LINGER = 2
P_MAXF = 3
P_DPI = 4
NP = 5

# --- end reasons (index into END_REASONS) -------------------------------------------------
END_IDLE, END_ACTIVE, END_FIN, END_RST, END_EVICTED, END_EOF = range(6)
END_REASONS: tuple[str, ...] = ("idle", "active", "fin", "rst", "evicted", "eof")

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

# --- history letters: bit index = letter index + 6*dir; ASCII upper (orig) / lower (resp) --
HIST_LETTERS = "SHADFR"
H_S, H_H, H_A, H_D, H_F, H_R = range(6)
HIST_LEN = 16

# --- TCP flags (RFC 9293 section 3.1; ECE/CWR RFC 3168 section 6.1) ----------------------
TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK, TH_URG, TH_ECE, TH_CWR = 1, 2, 4, 8, 16, 32, 64, 128
FLAG_NAMES: tuple[str, ...] = ("syn", "ack", "fin", "rst", "psh", "urg", "ece", "cwr")
FLAG_BITS: tuple[int, ...] = (TH_SYN, TH_ACK, TH_FIN, TH_RST, TH_PSH, TH_URG, TH_ECE, TH_CWR)

FIRST_N = 10  # == core.limits.FIRST_PACKETS (checked at import in table.py)
