"""The integration tests' fixtures (the session broker, ``hub_env``, ``database_url``) live in
``tests/conftest.py``, shared with tests/faults so that one pytest process starts one broker."""

__all__: list[str] = []
