"""Bescheid sealing benchmark: ``python -m benchmarks.bescheid`` (see benchmarks/bescheid/README.md)."""
from benchmarks.bescheid.bench import main

main()
