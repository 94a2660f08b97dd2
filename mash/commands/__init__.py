"""The larger `mash` command groups, each a Typer app that `mash.cli` mounts under its name."""

__all__: list[str] = []
