"""The exception tree of MASH Hub.

MashError
├── ConfigError              settings that cannot work together
├── BrokerError              the local Kafka broker could not be resolved, started or stopped
├── KafkaAccessError         no usable credentials, or a topic a process needs is missing
├── ContractError            (schemas) a record breaks its contract
│   ├── DecodeError          bytes that are not a framed Avro record we know
│   └── InvalidRecord        a decoded record that fails validation
├── PublishError             (producers) an export could not be published
├── SinkError                (sinks) a store could not be written or read
├── AuditError               an audit chain's head cannot be verified (forged or replayed)
└── ConsoleError             (console) a user, session or access-log request that cannot be served
    └── ConsoleUnavailable   Kafka did not acknowledge an access record or an action in time
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "BrokerError",
    "ConfigError",
    "ConsoleError",
    "ConsoleUnavailable",
    "ContractError",
    "DecodeError",
    "InvalidRecord",
    "KafkaAccessError",
    "MashError",
    "PublishError",
    "SinkError",
]


class MashError(Exception):
    """Root of every error MASH Hub raises on purpose."""


class ConfigError(MashError):
    """Settings that cannot work together."""


class BrokerError(MashError):
    """The local Kafka broker could not be resolved, started or stopped."""


class KafkaAccessError(MashError):
    """No usable Kafka credentials, or a topic a process needs does not exist."""


class ContractError(MashError):
    """A record breaks the contract of its topic."""


class DecodeError(ContractError):
    """Bytes that are not a framed Avro record of a known schema."""


class InvalidRecord(ContractError):
    """A record that decodes but fails validation."""


class PublishError(MashError):
    """An agency export could not be published."""


class SinkError(MashError):
    """A sink store could not be written or read."""


class AuditError(MashError):
    """An audit chain's head cannot be verified under the audit key (forged or replayed)."""


class ConsoleError(MashError):
    """The console could not do what was asked (a bad user, role or password; a busy port)."""


class ConsoleUnavailable(ConsoleError):
    """Kafka did not acknowledge an access record or an action in time: nothing is shown."""
