"""Gateway overhead benchmark: ``python -m benchmarks.gateway`` (see benchmarks/README.md)."""
