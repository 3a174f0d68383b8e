"""analysis layer: queueing and USL models, lint, run comparison.

:mod:`monkeyhouse.analysis.queueing` holds the closed forms of queueing theory (Erlang B and C,
M/M/c, M/M/1 response quantiles, Jackson tandems, the tail at scale, server counts for a target)
that capacity planning uses and that the simulator is tested against.
"""

from monkeyhouse.analysis.queueing import (
    MMCResult,
    erlang_b,
    erlang_c,
    fan_out_slow_share,
    mm1_response_quantile,
    mmc,
    servers_for,
    tandem_response,
)

__all__ = [
    "MMCResult",
    "erlang_b",
    "erlang_c",
    "fan_out_slow_share",
    "mm1_response_quantile",
    "mmc",
    "servers_for",
    "tandem_response",
]
