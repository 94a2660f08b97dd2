"""The hub: pure, typed stages over batches of events, wired to topics by ``streams.app``."""

__all__: list[str] = []
