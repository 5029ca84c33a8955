"""Benchmarks and other developer tools (not used by the report)."""
