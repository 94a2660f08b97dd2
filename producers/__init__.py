"""The agency edge: read each agency's export, validate it against its contract, publish it."""

__all__: list[str] = []
