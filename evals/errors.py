"""Errors that reach users.

Every failure caused by what a user gave us (a file, a flag, a suite) is an
``InputError`` that names *where* the problem is: file, line and field. The CLI
prints ``str(error)`` on one line and exits with code 2; no traceback. Library
code never calls ``sys.exit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


# Line breaks and other control characters a message may quote from the input (a JSON key
# "\n", a line of a file) are shown escaped: an error is always exactly one line.
_ONE_LINE = {code: repr(chr(code))[1:-1] for code in [*range(0x20), 0x7F, 0x85, 0x2028, 0x2029]}


class MtevalError(Exception):
    """Base class for errors mteval reports to users without a traceback."""

    exit_code = 1


@dataclass(eq=False)
class InputError(MtevalError):
    """Bad input: a file, a suite, a spec or an option that cannot be used."""

    message: str
    path: str | Path | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    exit_code = 2

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
        if self.field:
            where = f"{where} [{self.field}]" if where else f"[{self.field}]"
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text.translate(_ONE_LINE)


class NonFiniteScore(InputError):
    """A metric gave NaN or infinity for some segments (see ``evals.metrics.base.check_finite``).

    Storing such a score as "no value" would make a broken metric look like a
    segment without a reference; the run stops instead, naming metric, system,
    corpus and segments, with exit code 2 like any other input it cannot use.
    """


class UsageError(InputError):
    """A command-line or API misuse (unknown name, conflicting options)."""


def did_you_mean(name: str, choices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """Return a "did you mean 'x'?" hint for a misspelt name, or None."""
    import difflib

    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


@dataclass(eq=False)
class Unavailable(MtevalError):
    """A model, checkpoint or dataset that cannot be had here (offline and not cached).

    For systems this stops the run before it starts (exit 2); for metrics the
    run goes on without that metric and says so in one line.
    """

    message: str
    hint: str | None = None

    exit_code = 2

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class StoreError(InputError):
    """A results database that cannot be used as it is: damaged, foreign, too new, read-only, missing.

    An input error like any other (the user named the database with ``--db``,
    ``$MTEVAL_DB`` or by default): exit 2, one line, ``results database
    DATABASE: message (hint)``. ``database`` is the path or URL as the user
    would recognise it (passwords masked).
    """

    def __init__(self, database: str, message: str, hint: str | None = None) -> None:
        self.database = database
        super().__init__(message, field="--db", hint=hint)

    def __str__(self) -> str:
        text = f"results database {self.database}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text.translate(_ONE_LINE)
