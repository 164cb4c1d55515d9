"""Benchmarks: each prints, as its last line, figures and a ratio against a baseline measured in the same run."""
