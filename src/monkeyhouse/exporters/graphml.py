"""GraphML of the dependency graph (spigo's ``-g``), readable by yEd, Gephi and NetworkX.

Unlike spigo's file, every data key is declared: ``package``, ``ip`` and ``timestamp`` (the time
it appeared) on nodes, ``timestamp`` on edges, one key per element kind so every reader keeps
them. GraphML describes a graph, not its history: forgotten edges and departed nodes stay in it
(graph.json records when they went).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import quoteattr


class GraphMLExporter:
    """Writes ``graph.graphml`` as the run goes."""

    def __init__(self, path: Path, *, arch: str) -> None:
        self.path = path
        self._temp = path.with_name(path.name + ".part")
        self._file: TextIO = open(self._temp, "w", encoding="utf-8", buffering=1 << 20)  # noqa: SIM115
        self._file.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
            'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
            '  <key id="package" for="node" attr.name="package" attr.type="string"/>\n'
            '  <key id="ip" for="node" attr.name="ip" attr.type="string"/>\n'
            '  <key id="node_timestamp" for="node" attr.name="timestamp" attr.type="string"/>\n'
            '  <key id="edge_timestamp" for="edge" attr.name="timestamp" attr.type="string"/>\n'
            f'  <graph id={quoteattr(arch)} edgedefault="directed">\n'
        )

    def node(self, name: str, package: str, timestamp: str, address: str) -> None:
        """A node element."""
        self._file.write(
            f'    <node id={quoteattr(name)}><data key="package">{package}</data>'
            f'<data key="ip">{address}</data><data key="node_timestamp">{timestamp}</data></node>\n'
        )

    def edge(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """An edge element."""
        self._file.write(
            f'    <edge id="e{ident}" source={quoteattr(source)} target={quoteattr(target)}>'
            f'<data key="edge_timestamp">{timestamp}</data></edge>\n'
        )

    def forget(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """GraphML keeps the edge; nothing to write."""

    def done(self, name: str, timestamp: str) -> None:
        """GraphML keeps the node; nothing to write."""

    def close(self) -> Path:
        """Finish the file and move it into place."""
        self._file.write("  </graph>\n</graphml>\n")
        self._file.close()
        os.replace(self._temp, self.path)
        return self.path

    def abandon(self) -> None:
        """Drop the partial file (the run failed)."""
        self._file.close()
        self._temp.unlink(missing_ok=True)
