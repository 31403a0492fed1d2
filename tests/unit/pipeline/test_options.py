"""AnalyzeOptions refuses a value of the wrong type or range, naming its field (the Python
API hands its keyword arguments straight to it)."""

from __future__ import annotations

import numpy as np
import pytest

from wirelens.core import limits
from wirelens.pipeline.runner import AnalyzeOptions


@pytest.mark.parametrize(("field", "value", "error", "words"), [
    ("max_flows", 1.5, TypeError, "max_flows must be an integer, not 1.5"),
    ("max_flows", True, TypeError, "max_flows must be an integer"),
    ("idle_timeout_s", "10", TypeError, "idle_timeout_s must be a number of seconds"),
    ("active_timeout_s", None, TypeError, "active_timeout_s must be a number"),
    ("vlan_key", "no", TypeError, "vlan_key must be True or False, not 'no'"),
    ("show_passwords", 1, TypeError, "show_passwords must be True or False"),
    ("batch_bytes", 0, ValueError, "batch_bytes must be from 1 to"),
    ("batch_bytes", limits.MAX_BATCH_BYTES + 1, ValueError, "batch_bytes must be from 1"),
    ("batch_bytes", 4096.0, TypeError, "batch_bytes must be an integer"),
    ("emit_bytes", -1, ValueError, "emit_bytes must be >= 0, not -1"),
    ("dpi", "deep", ValueError, "dpi must be one of full, fast, off, not 'deep'"),
    ("community_id_seed", 65536, ValueError, "community_id_seed must be from 0 to 65535"),
    ("community_id_seed", -1, ValueError, "community_id_seed must be from 0 to 65535"),
    ("community_id_seed", "1", TypeError, "community_id_seed must be an integer"),
])
def test_wrong_values_refused_by_name(field: str, value: object, error: type, words: str,
                                      ) -> None:
    with pytest.raises(error, match=words):
        AnalyzeOptions(**{field: value})


def test_numbers_of_any_kind_taken() -> None:
    opts = AnalyzeOptions(idle_timeout_s=30, active_timeout_s=np.float32(600.0),
                          max_flows=np.int64(1000), batch_bytes=1, emit_bytes=0,
                          vlan_key=np.bool_(False), show_passwords=True, dpi="fast")
    assert opts.max_flows == 1000 and not opts.vlan_key
