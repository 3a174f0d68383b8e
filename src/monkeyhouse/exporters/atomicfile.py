"""A text file written under a temporary name and renamed into place when complete.

Readers never see half a file: an interrupted or failed write leaves either the previous file or
nothing, never a torn one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO


class AtomicTextFile:
    """Write to ``<path>.part``; :meth:`close` renames it to ``path``, :meth:`abandon` drops it."""

    def __init__(self, path: Path, *, buffering: int = 1 << 20) -> None:
        self.path = path
        self._temp = path.with_name(path.name + ".part")
        self.file: TextIO = open(self._temp, "w", encoding="utf-8", buffering=buffering)  # noqa: SIM115

    def close(self) -> Path:
        """Finish the file and move it into place."""
        self.file.close()
        os.replace(self._temp, self.path)
        return self.path

    def abandon(self) -> None:
        """Drop the partial file (the run failed)."""
        self.file.close()
        self._temp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    target = AtomicTextFile(path, buffering=-1)
    try:
        target.file.write(text)
    except BaseException:
        target.abandon()
        raise
    return target.close()
