"""The top layer: the ``mash`` CLI, the demo, the benchmarks, the local broker and the worker
supervisor. Nothing else of MASH Hub's imports it (import-linter checks it)."""

__all__: list[str] = []
