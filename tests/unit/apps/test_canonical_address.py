"""canonical_address's fast path (no parser for dotted quads) equals ipaddress's answer."""

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from wirelens.apps.dns_cache import canonical_address


def reference(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


@settings(max_examples=500)
@given(st.one_of(st.text(alphabet="0123456789.:abcdefx ", max_size=20),
                 st.ip_addresses().map(str)))
def test_equals_ipaddress(text):
    assert canonical_address(text) == reference(text)
