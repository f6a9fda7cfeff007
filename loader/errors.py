"""Errors a user can cause, as one tree. The CLI turns each into one line and an exit code.

CasegraphError                  exit 1 unless said otherwise
 ├── UsageError                 exit 2: a bad flag value or combination
 ├── SettingError               exit 1: a CASEGRAPH_* variable of the wrong kind
 ├── InputError                 exit 1: YAML or ontology problems, all of them at once
 ├── ServerError                exit 1: the local Neo4j server could not be managed
 │    ├── JavaError             no Java, or one too old for the Neo4j version
 │    ├── PortInUseError        a port the server needs is taken
 │    ├── DownloadError         the jars could not be fetched, or a cached one changed
 │    └── StartError            the server did not come up
 ├── DatabaseUnavailableError   exit 3: unreachable, authentication failed, no such database
 ├── LoadError                  exit 1: the load was refused or failed; the message says
 │    │                         what the database holds now
 │    ├── TransactionMemoryError  a transaction needed more memory than the server allows
 │    └── LoadInterrupted       exit 130 (SIGINT) or 143 (SIGTERM): stopped by a signal
 ├── QueryError                 exit 1: a saved query failed on the server
 ├── SchemaNameError            a name not in the schema on its way into Cypher text (a bug)
 └── ValueProblem               a value's text is not of its type; reported as a Problem,
                                with its place, by the checks that catch it

``Terminated`` is not one of them: the command line's SIGTERM handler raises it, as
Python raises ``KeyboardInterrupt`` on SIGINT, so that a load stops the same way for both.
"""

from __future__ import annotations

from dataclasses import dataclass


class CasegraphError(Exception):
    """Root of every error casegraph raises on purpose."""

    exit_code = 1


class UsageError(CasegraphError):
    exit_code = 2


class SettingError(CasegraphError):
    """A ``CASEGRAPH_*`` variable is set to a value of the wrong kind."""


SHOWN = 80  # characters of a value that a message shows


def shown(value: object, quoted: bool = True) -> str:
    """``value`` for a message (its repr, or a string as it is when not ``quoted``), its
    middle cut out when long: a megabyte value makes a line, not a megabyte, of output."""
    text = value if isinstance(value, str) and not quoted else repr(value)
    if len(text) <= SHOWN:
        return text
    half = SHOWN // 2
    size = len(value) if isinstance(value, str) else len(text)
    return f"{text[:half]}...{text[-half:]} ({size:,} characters)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, at a place in a file; line 0 is the path as a
    whole (a file that does not exist or cannot be read has no line to point at)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class InputError(CasegraphError):
    """The input (seed YAML or ontology) has problems; ``problems`` holds every one found."""

    def __init__(self, problems: list[Problem], skipped: str = "") -> None:
        self.problems = sorted(set(problems))
        self.skipped = skipped  # what was not checked, and why
        count = len(self.problems)
        message = f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(f"{message} ({skipped})" if skipped else message)


class ServerError(CasegraphError):
    """The local Neo4j server could not be fetched, configured, started or stopped."""


class JavaError(ServerError):
    pass


class PortInUseError(ServerError):
    pass


class DownloadError(ServerError):
    pass


class StartError(ServerError):
    pass


class DatabaseUnavailableError(CasegraphError):
    """Neo4j cannot be reached or refused our credentials or database name."""

    exit_code = 3


class LoadError(CasegraphError):
    """A load was refused or failed after validation passed."""


class TransactionMemoryError(LoadError):
    """A transaction needed more memory than the server allows (not worth retrying as is)."""


class LoadInterrupted(LoadError):
    """A load stopped by SIGINT (exit 130) or SIGTERM (exit 143); the message says what
    the database holds and that the same load run again completes it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Terminated(BaseException):
    """SIGTERM, raised in the main thread by the command line's handler."""


def signal_exit_code(exc: BaseException) -> int:
    """The exit code of a process stopped by the signal behind ``exc``: 128 + its number."""
    return 143 if isinstance(signal_in(exc) or exc, Terminated) else 130


def signal_in(exc: BaseException | None) -> BaseException | None:
    """The signal (``KeyboardInterrupt``, ``Terminated``) ``exc`` is, or was raised while
    handling. The command line's handlers raise inside the driver's socket read; the
    driver's own clean-up of that connection may then fail with another error (a
    ``BufferError`` of its buffer) whose context is the signal: still an interruption."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt | Terminated):
            return exc
        seen.add(id(exc))
        exc = exc.__context__ or exc.__cause__
    return None


class SchemaNameError(CasegraphError):
    """A name that is not in the schema was about to be written into Cypher text (a bug:
    ``loader.cypher.quote`` refuses it before any query runs)."""


class ValueProblem(CasegraphError, ValueError):
    """A text is not a valid value of its type; the message says why. Raised by the value
    parsers and caught by the checks, which report it as a ``Problem`` at its place."""


class QueryError(CasegraphError):
    """A saved query failed on the server (syntax, timeout, a refused write)."""
