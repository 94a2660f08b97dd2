"""Synthetic data for demos, tests and benchmarks: a population of invented children, the
calibrated year of every agency's exports, and labelled sets for measuring linkage."""

__all__: list[str] = []
