"""Benchmarks that print measured numbers; speed and memory targets live here, not in tests."""
