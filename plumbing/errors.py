"""The exception tree of MASH Hub.

MashError
├── UsageError               what the user asked cannot work (an unknown kind, a binary file)
├── ConfigError              settings that cannot work together
│   └── PortInUse            a port a server needs is taken
├── BrokerError              the local Kafka broker could not be resolved, started or stopped
├── KafkaAccessError         no usable credentials, or a topic a process needs is missing
│   └── KafkaUnreachable     no Kafka answered within the connect timeout
├── ContractError            (schemas) a record breaks its contract
│   ├── DecodeError          bytes that are not a framed Avro record we know
│   └── InvalidRecord        a decoded record that fails validation
├── PublishError             (producers) an export could not be published
├── SinkError                (sinks) a store could not be written or read
│   └── NoFigures            the store holds no board figures yet
├── AuditError               an audit chain's head cannot be verified (forged or replayed)
├── ConsoleError             (console) a user, session or access-log request that cannot be served
│   └── ConsoleUnavailable   Kafka did not acknowledge an access record or an action in time
├── LinkageModelError        (streams) a linkage model file is unreadable or inconsistent
└── UnreadableEntry          (streams) a linkage table value of no known format

Exit statuses of the `mash` command, one per kind of failure (``EXIT_CODES``, `exit_code`):
0 done; 1 some rows rejected or a check failed; 2 usage (a bad argument, kind, file or
header); 3 cannot connect or configuration (no Kafka, a bad setting, a busy port, the local
broker); 4 nothing to show yet (no figures); 5 any other failure; 130 interrupted.
"""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NO_DATA",
    "EXIT_REJECTED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "AuditError",
    "BrokerError",
    "ConfigError",
    "ConsoleError",
    "ConsoleUnavailable",
    "ContractError",
    "DecodeError",
    "Interrupted",
    "InvalidRecord",
    "KafkaAccessError",
    "KafkaUnreachable",
    "LinkageModelError",
    "MashError",
    "NoFigures",
    "NotAMember",
    "PortInUse",
    "PublishError",
    "SinkError",
    "UnreadableEntry",
    "UsageError",
    "exit_code",
]

EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_NO_DATA = 4
EXIT_FAILED = 5
EXIT_INTERRUPTED = 130


class MashError(Exception):
    """Root of every error MASH Hub raises on purpose."""


class UsageError(MashError):
    """What the user asked cannot work: an unknown kind, a binary file, a bad header."""


class ConfigError(MashError):
    """Settings that cannot work together."""


class PortInUse(ConfigError):
    """A port a server needs is taken (the message names the setting that moves it)."""


class BrokerError(MashError):
    """The local Kafka broker could not be resolved, started or stopped."""


class KafkaAccessError(MashError):
    """No usable Kafka credentials, or a topic a process needs does not exist."""


class KafkaUnreachable(KafkaAccessError):
    """No Kafka broker answered within the connect timeout."""


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


class NoFigures(SinkError):
    """The store holds no board figures yet (nothing has been computed)."""


class AuditError(MashError):
    """An audit chain's head cannot be verified under the audit key (forged or replayed)."""


class LinkageModelError(MashError):
    """A linkage model file is unreadable or inconsistent (its message is one line)."""


class UnreadableEntry(MashError):
    """A linkage table value of no known format (the message says why; it never quotes the
    value, which may hold a name)."""


class NotAMember(MashError):
    """The consumer group no longer counts this worker a member: it must not take over state."""


class ConsoleError(MashError):
    """The console could not do what was asked (a bad user, role or password; a busy port)."""


class ConsoleUnavailable(ConsoleError):
    """Kafka did not acknowledge an access record or an action in time: nothing is shown."""


class Interrupted(MashError):
    """Stopped by the user (Ctrl-C); the message says what was done before."""


EXIT_CODES: dict[type[MashError], int] = {
    Interrupted: EXIT_INTERRUPTED,
    UsageError: EXIT_USAGE,
    ConsoleError: EXIT_USAGE,
    ConfigError: EXIT_UNAVAILABLE,
    LinkageModelError: EXIT_UNAVAILABLE,
    BrokerError: EXIT_UNAVAILABLE,
    KafkaAccessError: EXIT_UNAVAILABLE,
    NoFigures: EXIT_NO_DATA,
    MashError: EXIT_FAILED,
}
"""The exit status of each kind of error (the most specific class that is listed wins)."""


def exit_code(error: MashError) -> int:
    """The exit status the `mash` command ends with for ``error``."""
    return next(EXIT_CODES[c] for c in type(error).__mro__ if c in EXIT_CODES)
