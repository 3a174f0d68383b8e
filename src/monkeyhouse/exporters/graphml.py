"""GraphML of the dependency graph (spigo's ``-g``), readable by yEd, Gephi and NetworkX.

Unlike spigo's file, every data key is declared: ``package``, ``ip`` and ``timestamp`` (the time
it appeared) on nodes, ``timestamp`` on edges, one key per element kind so every reader keeps
them. GraphML describes a graph, not its history: forgotten edges and departed nodes stay in it
(graph.json records when they went).
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from monkeyhouse.exporters.atomicfile import AtomicTextFile


class GraphMLExporter:
    """Writes ``graph.graphml`` as the run goes."""

    def __init__(self, path: Path, *, arch: str) -> None:
        self.path = path
        self._target = AtomicTextFile(path)
        self._file = self._target.file
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
        return self._target.close()

    def abandon(self) -> None:
        """Drop the partial file (the run failed)."""
        self._target.abandon()
