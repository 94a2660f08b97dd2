"""MASH Hub plumbing shared by every deployable: settings, logging, errors, local broker, CLI."""

__all__: list[str] = []
