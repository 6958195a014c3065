"""Plugin tables: names → implementations imported on first use, checked the same way.

Systems (``evals.systems.registry``) and metrics (``evals.metrics``) are
plugins looked up by name. Both kinds need the same three things, which live
here once:

* **lazy targets** -- an entry names its implementation as
  ``"module:attribute"``, imported only when that name is used, so
  ``mteval --help``, validating a suite and lexical scoring never import
  torch, transformers or comet (plugin modules keep heavy imports inside
  functions). An entry's ``extra`` names the ``pip install 'mteval-zh[extra]'``
  that provides a target's packages, so a missing one is the user's to fix;
* **"did you mean" errors** for unknown names;
* **one option check**: options are the implementation's keyword arguments,
  and one it does not take is refused by name, with a hint, instead of a
  ``TypeError`` escaping from deep inside a constructor.

Every error is a ``UsageError`` (an ``InputError``: the CLI prints one line
and exits with code 2).

What a plugin *can do* -- load a model, see document context, name its model
checkpoint, rank higher-is-better -- is a class attribute of the plugin, read
from ``PluginTable.load(name)``: that imports the plugin's module but builds
nothing, so callers ask the plugin instead of keeping lists of plugin names.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from evals.errors import UsageError, did_you_mean

_NAME_RE = re.compile(r"^[a-z][a-z0-9_+-]*$")


@dataclass(frozen=True)
class Plugin:
    """One registered name.

    ``target`` is the implementation, or ``"module:attribute"`` to import on
    first use; ``extra`` the pip extra that provides the packages it imports
    (``None``: they are core dependencies, and an ImportError is a bug).
    """

    name: str
    target: Any
    extra: str | None = None


P = TypeVar("P", bound=Plugin)


class PluginTable(Generic[P]):
    """A read-only map from names to plugins of one kind (``kind`` names it in errors).

    Built whole from its entries, so a table can be a module constant without
    being global mutable state; a registry that grows builds a new table.
    """

    def __init__(self, kind: str, entries: Iterable[P], *, field: str) -> None:
        self.kind = kind
        self.field = field
        table: dict[str, P] = {}
        for entry in entries:
            if not _NAME_RE.match(entry.name):
                raise ValueError(f"{kind} name {entry.name!r} must match {_NAME_RE.pattern}")
            if entry.name in table:
                raise ValueError(f"{kind} {entry.name!r} is already registered")
            if isinstance(entry.target, str) and ":" not in entry.target:
                raise ValueError(f"lazy target {entry.target!r} must be 'module:attribute'")
            table[entry.name] = entry
        self._entries: Mapping[str, P] = MappingProxyType(table)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def names(self) -> list[str]:
        """Every name, sorted."""
        return sorted(self._entries)

    def entries(self) -> list[P]:
        """Every entry, in registration order."""
        return list(self._entries.values())

    def entry(self, name: str, *, shown: str | None = None) -> P:
        """The entry registered as ``name``; an unknown name is a "did you mean" error.

        ``shown`` is the name as the user wrote it, when lookup normalised it.
        """
        try:
            return self._entries[name]
        except KeyError:
            known = self.names()
            raise UsageError(
                f"unknown {self.kind} '{name if shown is None else shown}'",
                field=self.field,
                hint=did_you_mean(name, known) or f"available: {', '.join(known)}",
            ) from None

    def load(self, name: str) -> Any:
        """The implementation of ``name``, importing its module now if it was registered lazily.

        Builds nothing: this is how callers read a plugin's capabilities.
        """
        entry = self.entry(name)
        if not isinstance(entry.target, str):
            return entry.target
        module_name, _, attribute = entry.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            if entry.extra is None:
                raise
            raise UsageError(
                f"{self.kind} '{name}' needs packages that are not installed ({error.name})",
                field=self.field,
                hint=f"pip install 'mteval-zh[{entry.extra}]'",
            ) from error
        return getattr(module, attribute)

    def check_options(
        self,
        name: str,
        factory: Callable[..., Any],
        options: Mapping[str, Any],
        *,
        fixed: Mapping[str, Any] = MappingProxyType({}),
        reserved: Iterable[str] = (),
    ) -> None:
        """Refuse options ``factory`` does not take, or that contradict the entry's ``fixed`` ones.

        ``fixed`` options define an entry (chrF++ is chrF with
        ``word_order=2``): restating one is fine, changing it is not.
        ``reserved`` are parameters the registry itself passes (a system's
        ``spec``). A factory taking ``**kwargs`` checks its own options.
        """
        try:
            parameters = inspect.signature(factory).parameters.values()
        except (TypeError, ValueError):
            return
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            return
        accepted = sorted(
            {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
            - set(reserved) - set(fixed)
        )
        for option in sorted(options):
            if option in fixed:
                if options[option] != fixed[option]:
                    raise UsageError(
                        f"{self.kind} '{name}' is defined by {option}={fixed[option]!r}",
                        field=option,
                        hint=f"drop the {option} option or pick another {self.kind} name",
                    )
            elif option not in accepted:
                raise UsageError(
                    f"{self.kind} '{name}' has no option '{option}'",
                    field=option,
                    hint=did_you_mean(option, accepted) or f"options: {', '.join(accepted) or 'none'}",
                )
