"""Importers: formats in (spigo graph JSON for ``-r``)."""
