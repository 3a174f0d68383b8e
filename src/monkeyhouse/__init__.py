"""monkeyhouse: model, simulate, visualize and break microservice architectures.

The small public API mirrors the command line::

    import monkeyhouse
    arch = monkeyhouse.load("netflixoss")          # catalog name, spigo file or native file
    result = monkeyhouse.run(arch, duration=10, seed=1, out="runs/demo")
    print(result.summary.instances, result.summary.messages)

The API is imported on first use, so ``import monkeyhouse.engine`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monkeyhouse.api import RunResult, load, run

__all__ = ["RunResult", "__version__", "load", "run"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("RunResult", "load", "run"):
        from monkeyhouse import api

        return getattr(api, name)
    raise AttributeError(f"module 'monkeyhouse' has no attribute {name!r}")
