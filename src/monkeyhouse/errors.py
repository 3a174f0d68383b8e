"""The one small exception hierarchy for mistakes a user can cause.

Every error carries enough to print a single clear line: the file, the line and column where
known, the field path, the offending value and the fix. The command line prints ``str(error)``
to stderr and exits non-zero; no traceback is shown for these.
"""

from __future__ import annotations

from typing import Any


class MonkeyhouseError(Exception):
    """Base class of every error a user can cause (bad file, bad option, bad run folder)."""

    exit_status = 2


class ArchitectureError(MonkeyhouseError):
    """A problem in an architecture file: names file, position, field, value and fix."""

    def __init__(
        self,
        file: str,
        field: str,
        problem: str,
        *,
        value: Any = None,
        fix: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        self.value = value
        self.fix = fix
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = (
            f"{where}: {self.field}: {self.problem}" if self.field else f"{where}: {self.problem}"
        )
        if self.fix:
            text += f" ({self.fix})"
        return text


class UsageError(MonkeyhouseError):
    """A bad command-line option or API argument: names the option, the value and the fix."""


class RunFolderError(MonkeyhouseError):
    """A run folder that cannot be read (missing, incomplete or not a monkeyhouse run)."""
