"""Content tests are strict: random payloads and other protocols' first payloads are not
taken (the Python identification runs every registered content test on every unidentified
flow, so a loose one steals flows)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import OTHER_FIRST_PAYLOADS
from wl_strategies import uniform_bytes

from wirelens.dissect.base import Dissector
from wirelens.dissect.mqtt import MqttDissector
from wirelens.dissect.rdp import RdpDissector
from wirelens.dissect.sip import SipDissector
from wirelens.dissect.smb import SmbDissector
from wirelens.dissect.snmp import SnmpDissector

TCP, UDP = 6, 17


@pytest.mark.parametrize("cls", [MqttDissector, RdpDissector, SipDissector, SmbDissector,
                                 SnmpDissector], ids=lambda c: c.name)
@settings(max_examples=500, deadline=250)
@given(uniform_bytes(300), st.sampled_from([TCP, UDP]), st.booleans())
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Invariant: ``matches`` refuses random payloads and other protocols' first payloads
    (except MQTT's two-byte keep-alives, PINGREQ ``c0 00`` and PINGRESP ``d0 00``, which it
    takes by design: a session seen from its middle)."""
    assume(not (cls is MqttDissector and payload in (b"\xc0\x00", b"\xd0\x00")))
    assert not cls.matches(payload, proto, from_orig)
    for other in OTHER_FIRST_PAYLOADS:
        assert not cls.matches(other, proto, from_orig)
