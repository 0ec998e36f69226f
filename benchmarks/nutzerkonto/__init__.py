"""Nutzerkonto token benchmark next to oidc-provider: ``python -m benchmarks.nutzerkonto`` (benchmarks/README.md)."""
