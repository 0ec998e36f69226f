"""Nutzerkonto token benchmark: ``python -m benchmarks.nutzerkonto`` (see benchmarks/README.md)."""
from benchmarks.nutzerkonto.bench import main

main()
