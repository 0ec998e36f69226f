"""Benchmarks for Basisdienste (not run in CI)."""
