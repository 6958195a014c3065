"""Backend names → factories, and the spec grammar that selects them.

Spec grammar: ``NAME`` or ``NAME:ARG``. ``NAME`` is a registered backend
(``gloss``, ``copy``, ``file``); everything after the first ``:`` is the
backend's argument, passed through verbatim (a path, a model id, a command).
Examples: ``gloss``, ``copy``, ``file:runs/hyps.jsonl``.

There is no ``@display-name`` suffix: ``@`` is legal in paths and is the
conventional revision separator for model ids (``hf:org/model@rev``), so it is
left to backends. A display name is given with ``build_system(spec,
name=...)`` (a suite's ``name:`` key); it defaults to the spec.

Adding a backend: write ``evals/systems/<name>.py`` with a module-level
function ``register(registry)`` that makes one call such as::

    registry.register("hf", "evals.systems.hf:HfSystem",
                      description="Hugging Face seq2seq model", arg="required")

and add its name and module to ``BACKENDS``. A factory given as
``"module:attribute"`` is imported only when a spec naming it is built, so
``mteval --help`` and lexical scoring never import torch. Backend modules
themselves must keep heavy imports inside functions. Lookup, lazy import and
the option check are ``evals.plugins``'s, shared with the metrics.

What a backend can do (load a model, where its model comes from) is declared
on its system class (``evals.systems.base.System``); ``system_class(name)``
reads it without building a system.

There is no global registry object: ``default_registry()`` assembles a fresh
one from ``BACKEND_MODULES`` (cheap: module imports are cached by Python), and
``build_system`` one holding just the backend it builds.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from evals.errors import UsageError
from evals.plugins import Plugin, PluginTable
from evals.systems.base import System

#: Backend name → the module whose ``register`` adds it. Spelled out so that a
#: suite's systems can be checked, and one backend built, without importing
#: every backend module (a test checks this matches what the modules register).
BACKENDS: dict[str, str] = {
    "gloss": "evals.systems.gloss",
    "copy": "evals.systems.copy",
    "file": "evals.systems.file",
    "hf": "evals.systems.hf",
    "ct2": "evals.systems.ct2",
    "llm": "evals.systems.llm",
    "openai": "evals.systems.openai",
    "cmd": "evals.systems.cmd",
    "xml": "evals.systems.wmtxml",
    "reference": "evals.systems.reference",
}
BACKEND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(BACKENDS.values()))

ArgPolicy = Literal["none", "optional", "required"]
#: Parameters the registry passes itself; never user options.
_RESERVED = ("spec", "arg")


class SystemFactory(Protocol):
    """Builds a system: ``factory(arg, spec=..., name=..., **options)``."""

    def __call__(self, arg: str | None, /, *, spec: str, name: str | None = None, **options: Any) -> System: ...


@dataclass(frozen=True, kw_only=True)
class Backend(Plugin):
    """One registered backend: a plugin (``target`` is its factory) and how its spec takes an argument."""

    description: str
    arg: ArgPolicy = "none"
    arg_help: str = "ARG"

    def usage(self) -> str:
        if self.arg == "none":
            return self.name
        if self.arg == "optional":
            return f"{self.name}[:{self.arg_help}]"
        return f"{self.name}:{self.arg_help}"


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split ``NAME[:ARG]`` into (name, arg); arg is None when there is no ``:``."""
    if not isinstance(spec, str) or not spec.strip():
        raise UsageError("empty system spec", field="system", hint="e.g. 'gloss' or 'file:hyps.jsonl'")
    text = spec.strip()
    name, colon, arg = text.partition(":")
    return name.strip(), (arg if colon else None)


class Registry:
    """Backends being registered: each ``register`` call makes a new ``PluginTable``."""

    def __init__(self) -> None:
        self._table: PluginTable[Backend] = _table([])

    def register(
        self,
        name: str,
        factory: SystemFactory | str,
        *,
        description: str,
        arg: ArgPolicy = "none",
        arg_help: str = "ARG",
    ) -> None:
        """Add a backend. Registering a name twice is a programming error."""
        if arg not in ("none", "optional", "required"):
            raise ValueError(f"arg must be 'none', 'optional' or 'required', not {arg!r}")
        backend = Backend(name=name, target=factory, description=description, arg=arg, arg_help=arg_help)
        self._table = _table([*self._table.entries(), backend])

    def names(self) -> list[str]:
        return self._table.names()

    def available(self) -> list[tuple[str, str]]:
        """(usage, description) pairs for ``--help``, sorted by name."""
        return [(b.usage(), b.description) for b in sorted(self._table.entries(), key=lambda b: b.name)]

    def backend(self, name: str) -> Backend:
        return self._table.entry(name)

    def system_class(self, name: str) -> type[System]:
        """The class a backend builds, imported but not instantiated: its capabilities."""
        return self._table.load(name)

    def build(self, spec: str, /, **options: Any) -> System:
        """Build a system from a spec; options go to the backend's factory."""
        name, arg = parse_spec(spec)
        backend = self.backend(name)
        if backend.arg == "required" and not arg:
            raise UsageError(
                f"system '{name}' needs an argument",
                field="system",
                hint=f"write it as '{backend.usage()}'",
            )
        if backend.arg == "none" and arg is not None:
            raise UsageError(
                f"system '{name}' takes no argument, got '{spec.strip()}'",
                field="system",
                hint=f"write it as '{name}'",
            )
        factory = self._table.load(name)
        self._table.check_options(name, factory, options, reserved=_RESERVED)
        return factory(arg, spec=spec.strip(), **options)


def _table(backends: list[Backend]) -> PluginTable[Backend]:
    return PluginTable("system backend", backends, field="system")


def default_registry() -> Registry:
    """A registry holding every backend listed in ``BACKEND_MODULES``."""
    registry = Registry()
    for module_name in BACKEND_MODULES:
        importlib.import_module(module_name).register(registry)
    return registry


def backend_names() -> list[str]:
    """Every backend name, sorted, without importing a backend module."""
    return sorted(BACKENDS)


def _registry_for(name: str) -> Registry:
    """A registry holding just backend ``name`` (only its module is imported), or every backend.

    An unknown name gets the full registry, for its "did you mean" error.
    """
    if name not in BACKENDS:
        return default_registry()
    registry = Registry()
    importlib.import_module(BACKENDS[name]).register(registry)
    return registry


def build_system(spec: str, /, **options: Any) -> System:
    """Build a system from ``NAME[:ARG]`` (e.g. ``gloss``, ``file:hyps.jsonl``).

    Only the named backend's module is imported.
    """
    name, _ = parse_spec(spec)
    return _registry_for(name).build(spec, **options)


def system_class(spec: str) -> type[System]:
    """The class ``spec``'s backend builds, without building it (e.g. ``loads_model``, ``model_source``).

    Works where the system could not be built yet: ``mteval models fetch``
    asks it before the model is on this machine.
    """
    name, _ = parse_spec(spec)
    return _registry_for(name).system_class(name)


def expand_spec(spec: str) -> tuple[str, ...]:
    """The specs ``spec`` stands for (``System.expand_spec``): usually just ``spec``."""
    name, arg = parse_spec(spec)
    return system_class(spec).expand_spec(spec.strip(), arg)


def available_backends() -> list[tuple[str, str]]:
    """(usage, description) of every backend, for ``--help``."""
    return default_registry().available()
