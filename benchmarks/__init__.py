"""Benchmarks: a synthetic case generator and the loader comparison (see README.md here)."""
