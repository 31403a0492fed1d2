"""SMB2 message builders shared by the SMB and DCE/RPC tests (MS-SMB2 §2.2: the 64-byte
header, TREE_CONNECT and CREATE requests, the direct-TCP framing of §2.1)."""

from __future__ import annotations

import struct

__all__ = ["create_req", "nbss", "smb2", "tree_connect_req", "tree_connect_resp", "u16s"]


def nbss(msg: bytes) -> bytes:
    return b"\x00" + len(msg).to_bytes(3, "big") + msg


def smb2(cmd: int, mid: int, body: bytes, *, resp: bool = False, status: int = 0,
         tree: int = 7, flags: int = 0, next_command: int = 0) -> bytes:  # fmt: skip
    flags |= 1 if resp else 0
    header = struct.pack("<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 1, status, cmd, 1, flags,
                         next_command, mid, 0, tree, 0x1122, b"\x00" * 16)  # fmt: skip
    return header + body


def u16s(text: str) -> bytes:
    return text.encode("utf-16-le")


def tree_connect_req(mid: int, path: str) -> bytes:
    raw = u16s(path)
    return smb2(3, mid, struct.pack("<HHHH", 9, 0, 64 + 8, len(raw)) + raw, tree=0)


def tree_connect_resp(mid: int, tree: int, share_type: int = 1) -> bytes:
    return smb2(
        3, mid, struct.pack("<HBBIII", 16, share_type, 0, 0, 0, 0x1F01FF), resp=True, tree=tree
    )


def create_req(mid: int, name: str, tree: int = 7, flags: int = 0) -> bytes:
    raw = u16s(name)
    body = struct.pack(
        "<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x80, 0, 7, 1, 0, 64 + 56, len(raw), 0, 0
    )
    return smb2(5, mid, body + (raw or b"\x00"), tree=tree, flags=flags)
