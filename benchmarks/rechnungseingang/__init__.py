"""Rechnungseingang validation benchmark: ``python -m benchmarks.rechnungseingang`` (see README.md here)."""
