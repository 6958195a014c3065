"""``--db``: the one place a command declares whether it reads or writes the results store.

A command takes ``@store_option(READS)`` or ``@store_option(WRITES)``; its
``db`` parameter is then a ``StoreRef`` that opens the store the declared way,
so no command chooses again where it opens. Readers (``runs``, ``show``,
``export``, ``compare``, ``check``, ``baseline save``, ``human list``, ``dashboard``, ``serve``)
open read-only and never create, migrate or change the database (its bytes
and journal mode stay as they are, read-only storage works); writers
(``run``, ``score``, ``human import``, ``upgrade``) create it and apply pending migrations.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import click


class Access(enum.Enum):
    """What a command does with the store."""

    READS = "reads"
    WRITES = "writes"


READS, WRITES = Access.READS, Access.WRITES


@dataclass(frozen=True)
class StoreRef:
    """The store a command named (``--db``, $MTEVAL_DB or the default) and how the command may use it."""

    db: str | None
    access: Access

    @property
    def writes(self) -> bool:
        return self.access is WRITES

    def open(self):
        """The store, opened as the command declared (read-only unless it writes)."""
        from evals.store import open_store

        return open_store(self.db, readonly=not self.writes)


class StoreOption(click.Option):
    """``--db``, knowing whether its command reads or writes (``access``), so anyone can ask the command."""

    def __init__(self, *args, access: Access, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.access = access


def store_option(access: Access):
    """The ``--db`` option of a command that ``access``-es the store; the command receives a ``StoreRef``."""

    def to_ref(_ctx: click.Context, _param: click.Parameter, value: str | None) -> StoreRef:
        return StoreRef(value, access)

    help_text = "Results database (default: results/mteval.db; env MTEVAL_DB)" + (
        "; created or upgraded as needed." if access is WRITES else "; only read, never changed.")
    return click.option("--db", cls=StoreOption, access=access, envvar="MTEVAL_DB", default=None, metavar="URL",
                        callback=to_ref, help=help_text)
