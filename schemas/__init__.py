"""The contracts: one Avro schema and one frozen pydantic model per topic, and their framing."""

__all__: list[str] = []
