"""Plumbing every deployable shares: settings, logging, errors, Kafka helpers, keys.

The bottom layer: it imports nothing else of MASH Hub's (import-linter checks it)."""

__all__: list[str] = []
