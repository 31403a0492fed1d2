"""The traffic simulator: realistic, reproducible pcaps with ground-truth labels.

>>> from wirelens.sim import SimConfig, simulate
>>> result = simulate("demo.pcap", SimConfig(seed=7))  # doctest: +SKIP

Stands alone: imports only ``wirelens.core`` and ``wirelens.capture.writer``.
"""

from wirelens.sim.engine import (
    ALL_SCENARIOS,
    ATTACK_SCENARIOS,
    BENIGN_SCENARIOS,
    DEFAULT_START_TS,
    SCENARIOS,
    SimConfig,
    SimResult,
    simulate,
)
from wirelens.sim.world import SimNetwork

__all__ = [
    "ALL_SCENARIOS",
    "ATTACK_SCENARIOS",
    "BENIGN_SCENARIOS",
    "DEFAULT_START_TS",
    "SCENARIOS",
    "SimConfig",
    "SimNetwork",
    "SimResult",
    "simulate",
]
