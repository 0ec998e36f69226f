"""Bezahlplattform benchmark: ``python -m benchmarks.bezahlplattform`` (see benchmarks/bezahlplattform/README.md)."""
from benchmarks.bezahlplattform.bench import main

main()
