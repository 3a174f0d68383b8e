"""Where the spigo reference data lives: ../shared/fixtures/spigo beside the repository.

Tests that compare with spigo must never pass by skipping, so a missing folder is an error.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPIGO = REPO.parent / "shared" / "fixtures" / "spigo"

if not (SPIGO / "json_arch").is_dir():
    raise RuntimeError(
        f"spigo reference data not found at {SPIGO}: the tests need ../shared/fixtures/spigo "
        "beside the repository"
    )
