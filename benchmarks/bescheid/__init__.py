"""Bescheid sealing benchmark: ``python -m benchmarks.bescheid`` (see benchmarks/bescheid/README.md)."""
