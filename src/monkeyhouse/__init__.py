"""monkeyhouse: model, simulate, visualize and break microservice architectures.

The small public API mirrors the command line::

    import monkeyhouse
    arch = monkeyhouse.load("netflixoss")          # catalog name, spigo file or native file
    result = monkeyhouse.run(arch, duration=10, seed=1, out="runs/demo")
    print(result.summary.instances, result.summary.messages)
"""

from monkeyhouse.api import RunResult, load, run

__all__ = ["RunResult", "__version__", "load", "run"]
__version__ = "0.1.0"
