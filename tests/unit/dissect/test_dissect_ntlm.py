"""NTLMSSP messages found in security blobs (MS-NLMP §2.2.1): AUTHENTICATE names (Unicode and
OEM), CHALLENGE target information (with and without MsvAvEOL), damage and bounds; LDAP binds
carrying them (Zeek's ntlm.log values for its ldap traces)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_der import integer, tlv
from wl_dissect_builders import NTLM_NEGOTIATE, feed_all, ntlm_authenticate, ntlm_challenge

from wirelens.dissect.ldap import LdapDissector, LdapRecord
from wirelens.dissect.ntlm import (
    NTLM_MAX_AV_PAIRS,
    NtlmAuthenticate,
    NtlmChallenge,
    authenticate,
    challenge,
)
from wirelens.wire import LimitExceeded, ParseError

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ZEEK_LDAP = DATA / "zeek" / "testing" / "btest" / "Traces" / "ldap"
SERVER = [(1, "DC1"), (2, "CORP"), (3, "dc1.corp.example"), (4, "corp.example"),
          (5, "example"), (7, "\x00\x00\x00\x00")]


def test_authenticate_names_unicode_and_oem_inside_any_wrapping() -> None:
    wrapped = b"\x60\x82junk-spnego" + ntlm_authenticate("alice", "CORP", "PC1") + b"mic"
    assert authenticate(wrapped) == NtlmAuthenticate("alice", "CORP", "PC1")
    assert authenticate(ntlm_authenticate("bob", "", "WS", unicode=False)) == NtlmAuthenticate(
        "bob", None, "WS")
    assert authenticate(b"NTLMSSP\x00\x01\x00\x00\x00negotiate") is None
    assert authenticate(b"") is None


def test_challenge_target_information() -> None:
    assert challenge(b"spnego" + ntlm_challenge(SERVER)) == NtlmChallenge(
        "DC1", "CORP", "dc1.corp.example", "corp.example", "example")
    # some servers end the list without MsvAvEOL; missing names are None
    assert challenge(ntlm_challenge([(1, "DC1")], eol=False)) == NtlmChallenge(
        "DC1", None, None, None, None)


def test_target_information_declared_longer_than_sent_is_read() -> None:
    """Zeek's ntlm-unterminated-av-sequence trace: TargetInfo declared 4 bytes longer than
    the message, without MsvAvEOL; the pairs that are there name the server."""
    msg = ntlm_challenge([(2, "CNAMIS"), (1, "SATURN")], eol=False)
    info_len = struct.unpack_from("<H", msg, 40)[0]
    longer = msg[:40] + struct.pack("<HH", info_len + 4, info_len + 4) + msg[44:]
    assert challenge(longer) == NtlmChallenge("SATURN", "CNAMIS", None, None, None)
    with pytest.raises(ParseError):  # but a field starting past the message is damage
        challenge(msg[:40] + msg[40:44] + struct.pack("<I", 4000) + msg[48:])


def test_damage_raises_parse_errors_and_av_pairs_are_bounded() -> None:
    whole = ntlm_authenticate("alice", "CORP", "PC1")
    with pytest.raises(ParseError):  # the names lie past the end
        authenticate(whole[:-4])
    with pytest.raises(ParseError):  # an AV_PAIR longer than the target information
        challenge(ntlm_challenge([(1, "DC1")])[:-6])
    with pytest.raises(LimitExceeded):
        challenge(ntlm_challenge([(9, "x")] * NTLM_MAX_AV_PAIRS))


def _octets(s: bytes, tag: int = 0x04) -> bytes:
    return tlv(tag, s)


def test_ldap_binds_with_ntlm() -> None:
    """A SASL GSS-SPNEGO bind: the server's challenge in the first response (serverSaslCreds),
    the client's authentication in the second request; a Sicily negotiate whose challenge
    comes in matchedDN (MS-ADTS 5.1.1.1.3), which then reads as no DN."""
    def bind(mid: int, auth: bytes) -> bytes:
        return tlv(0x30, integer(mid) + tlv(0x60, integer(3) + _octets(b"") + auth))

    def response(mid: int, code: int, dn: bytes = b"", creds: bytes = b"") -> bytes:
        body = integer(code, 0x0A) + _octets(dn) + _octets(b"")
        return tlv(0x30, integer(mid) + tlv(0x61, body + (tlv(0x87, creds) if creds else b"")))

    sasl = lambda blob: tlv(0xA3, _octets(b"GSS-SPNEGO") + _octets(blob))  # noqa: E731
    chunks = [(True, bind(1, sasl(b"neg"))),
              (False, response(1, 14, creds=b"spnego" + ntlm_challenge(SERVER))),
              (True, bind(2, sasl(b"spnego" + ntlm_authenticate("alice", "CORP", "PC1")))),
              (False, response(2, 0)),
              (True, bind(3, tlv(0x8A, NTLM_NEGOTIATE))),
              (False, response(3, 0, dn=ntlm_challenge(SERVER[:1])))]
    rows = [e for e in feed_all(LdapDissector, chunks, TCP) if isinstance(e, LdapRecord)]
    assert [(r.ntlm_user, r.ntlm_domain, r.ntlm_host, r.ntlm_server_nb_name,
             r.ntlm_server_dns_name, r.ntlm_server_tree, r.matched_dn) for r in rows] == [
        (None, None, None, "DC1", "dc1.corp.example", "example", ""),
        ("alice", "CORP", "PC1", None, None, None, ""),
        (None, None, None, "DC1", None, None, None)]


@pytest.mark.skipif(not ZEEK_LDAP.is_dir(), reason=f"shared captures not found at {DATA}")
def test_real_zeek_ldap_ntlm() -> None:
    """Zeek's ntlm.log: sasl-ntlm (sasladmin@slapd.ldap, LOCALHOST), the ctu trace's server
    STRATOLAB-DC / Stratolab-DC.StratoLab.org / StratoLab.org; aduser1-ntlm (Sicily); and
    krb5-sign-seal-01's Kerberos bind (its ticket as tshark shows it)."""
    import wirelens

    def ntlm_rows(name: str) -> list[tuple[object, ...]]:
        rows = wirelens.analyze(ZEEK_LDAP / name).tables["ldap"].to_pylist()
        keys = ("ntlm_user", "ntlm_domain", "ntlm_server_nb_name", "ntlm_server_dns_name",
                "ntlm_server_tree")
        return [tuple(r[k] for k in keys) for r in rows if any(r[k] for k in keys)]

    assert ntlm_rows("sasl-ntlm.pcap") == [("sasladmin@slapd.ldap", "LOCALHOST", None, None, None)]
    assert set(ntlm_rows("ctu-60387-63723-ldap.pcap")) == {
        (None, None, "STRATOLAB-DC", "Stratolab-DC.StratoLab.org", "StratoLab.org")}
    krb = wirelens.analyze(ZEEK_LDAP / "krb5-sign-seal-01.pcap").tables["kerberos"].to_pylist()
    assert [(k["request_type"], k["realm"], k["sname"], k["success"]) for k in krb] == [
        ("AP", "W2K3.VMNET1.VM.BASE", "ldap/w2k3-101.w2k3.vmnet1.vm.base/w2k3.vmnet1.vm.base",
         True)]  # a Kerberos bind: its AP exchange
    assert ntlm_rows("aduser1-ntlm.pcap") == [
        (None, None, "WIN-VGO56I95EAK", "WIN-VGO56I95EAK.ADHACKING.local", "ADHACKING.local"),
        ("User1", "ADHACKING.LOCAL", None, None, None)]


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([0, 1]), st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)),
                                          max_size=6), st.integers(0, 300))
def test_fuzz(which: int, edits: list[tuple[int, int]], cut: int) -> None:
    """Invariant: a mutated message gives a result or a ParseError, nothing else."""
    buf = bytearray(ntlm_authenticate("alice", "CORP", "PC1") if which
                    else ntlm_challenge(SERVER))
    for pos, value in edits:
        buf[pos % len(buf)] = value
    try:
        authenticate(bytes(buf[:cut]))
        challenge(bytes(buf[:cut]))
    except ParseError:
        pass
