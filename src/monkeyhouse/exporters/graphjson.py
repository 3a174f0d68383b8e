"""spigo's graph JSON (version ``spigo-0.4``), written as the run goes.

The file opens with a header (arch, version, args, date) and a ``graph`` list holding one entry
per line: node, edge, forget and done entries, keys in spigo's order. Entries stream to a
temporary file which is renamed into place when the run closes it, so a reader never sees half a
file. Names are checked by the model to need no JSON escaping beyond what is done here.
"""

from __future__ import annotations

import json
from pathlib import Path

from monkeyhouse.exporters.atomicfile import AtomicTextFile


class GraphJsonExporter:
    """Writes ``graph.json`` in spigo's format."""

    suffix = ".json"

    def __init__(self, path: Path, *, arch: str, args: str, date: str) -> None:
        self.path = path
        self._target = AtomicTextFile(path)
        self._file = self._target.file
        self._first = True
        self._file.write(
            "{\n"
            f'  "arch":{json.dumps(arch)},\n'
            '  "version":"spigo-0.4",\n'
            f'  "args":{json.dumps(args)},\n'
            f'  "date":{json.dumps(date)},\n'
            '  "graph":['
        )

    def _line(self, text: str) -> None:
        if self._first:
            self._file.write("\n    " + text)
            self._first = False
        else:
            self._file.write(",\n    " + text)

    def node(self, name: str, package: str, timestamp: str, address: str) -> None:
        """A node entry."""
        self._line(
            f'{{"node":"{name}","package":"{package}","timestamp":"{timestamp}",'
            f'"metadata":"IP/{address}"}}'
        )

    def edge(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """An edge entry."""
        self._line(
            f'{{"edge":"e{ident}","source":"{source}","target":"{target}",'
            f'"timestamp":"{timestamp}"}}'
        )

    def forget(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """A forget entry naming the earlier edge."""
        self._line(
            f'{{"forget":"e{ident}","source":"{source}","target":"{target}",'
            f'"timestamp":"{timestamp}"}}'
        )

    def done(self, name: str, timestamp: str) -> None:
        """A done entry."""
        self._line(f'{{"done":"{name}","exit":"normal","timestamp":"{timestamp}"}}')

    def close(self) -> Path:
        """Finish the file and move it into place."""
        self._file.write("\n  ]\n}\n")
        return self._target.close()

    def abandon(self) -> None:
        """Drop the partial file (the run failed)."""
        self._target.abandon()
