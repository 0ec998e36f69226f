"""Rechnungseingang validation benchmark: ``python -m benchmarks.rechnungseingang``."""

from benchmarks.rechnungseingang.bench import main

main()
