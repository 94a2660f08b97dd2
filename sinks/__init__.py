"""Sinks: where the hub's outputs come to rest for the board and the analysts."""

__all__: list[str] = []
