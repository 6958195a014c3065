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

    registry.register("hf", "evals.systems.hf_model:HfSystem",
                      description="Hugging Face seq2seq model", arg="required")

and add its name and module to ``BACKENDS``. A factory given as
``"module:attribute"`` is imported only when a spec naming it is built, so
``mteval --help`` and lexical scoring never import torch. Backend modules
themselves must keep heavy imports inside functions.

There is no global registry object: ``default_registry()`` assembles a fresh
one from ``BACKEND_MODULES`` (cheap: module imports are cached by Python), and
``build_system`` one holding just the backend it builds.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from evals.errors import UsageError, did_you_mean
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
}
BACKEND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(BACKENDS.values()))

ArgPolicy = Literal["none", "optional", "required"]
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


class SystemFactory(Protocol):
    """Builds a system: ``factory(arg, spec=..., name=..., **options)``."""

    def __call__(self, arg: str | None, /, *, spec: str, name: str | None = None, **options: Any) -> System: ...


@dataclass(frozen=True)
class Backend:
    """One registered backend."""

    name: str
    factory: SystemFactory | str
    description: str
    arg: ArgPolicy = "none"
    arg_help: str = "ARG"

    def usage(self) -> str:
        if self.arg == "none":
            return self.name
        if self.arg == "optional":
            return f"{self.name}[:{self.arg_help}]"
        return f"{self.name}:{self.arg_help}"

    def resolve(self) -> SystemFactory:
        """The factory, importing it now if it was registered by name."""
        if not isinstance(self.factory, str):
            return self.factory
        module_name, _, attribute = self.factory.partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, attribute)


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split ``NAME[:ARG]`` into (name, arg); arg is None when there is no ``:``."""
    if not isinstance(spec, str) or not spec.strip():
        raise UsageError("empty system spec", field="system", hint="e.g. 'gloss' or 'file:hyps.jsonl'")
    text = spec.strip()
    name, colon, arg = text.partition(":")
    return name.strip(), (arg if colon else None)


class Registry:
    """A typed map from backend names to factories."""

    def __init__(self) -> None:
        self._backends: dict[str, Backend] = {}

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
        if not _NAME_RE.match(name):
            raise ValueError(f"backend name {name!r} must match {_NAME_RE.pattern}")
        if name in self._backends:
            raise ValueError(f"backend {name!r} is already registered")
        if arg not in ("none", "optional", "required"):
            raise ValueError(f"arg must be 'none', 'optional' or 'required', not {arg!r}")
        if isinstance(factory, str) and ":" not in factory:
            raise ValueError(f"lazy factory {factory!r} must be 'module:attribute'")
        self._backends[name] = Backend(name, factory, description, arg, arg_help)

    def names(self) -> list[str]:
        return sorted(self._backends)

    def available(self) -> list[tuple[str, str]]:
        """(usage, description) pairs for ``--help``, sorted by name."""
        return [(b.usage(), b.description) for _, b in sorted(self._backends.items())]

    def backend(self, name: str) -> Backend:
        try:
            return self._backends[name]
        except KeyError:
            known = self.names()
            raise UsageError(
                f"unknown system backend '{name}'",
                field="system",
                hint=did_you_mean(name, known) or f"available: {', '.join(known)}",
            ) from None

    def build(self, spec: str, **options: Any) -> System:
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
        factory = backend.resolve()
        _check_options(name, factory, options)
        return factory(arg, spec=spec.strip(), **options)


def _check_options(backend: str, factory: Callable[..., Any], options: dict[str, Any]) -> None:
    """Reject unknown options by name instead of letting a TypeError escape."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return
    params = signature.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    accepted = {
        p.name
        for p in params.values()
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    } - {"spec", "arg"}
    for option in sorted(options):
        if option not in accepted:
            raise UsageError(
                f"system '{backend}' has no option '{option}'",
                field=option,
                hint=did_you_mean(option, accepted) or f"options: {', '.join(sorted(accepted)) or 'none'}",
            )


def default_registry() -> Registry:
    """A registry holding every backend listed in ``BACKEND_MODULES``."""
    registry = Registry()
    for module_name in BACKEND_MODULES:
        importlib.import_module(module_name).register(registry)
    return registry


def backend_names() -> list[str]:
    """Every backend name, sorted, without importing a backend module."""
    return sorted(BACKENDS)


def build_system(spec: str, **options: Any) -> System:
    """Build a system from ``NAME[:ARG]`` (e.g. ``gloss``, ``file:hyps.jsonl``).

    Only the named backend's module is imported; an unknown name goes to the
    full registry for its "did you mean" error.
    """
    name, _ = parse_spec(spec)
    if name not in BACKENDS:
        return default_registry().build(spec, **options)
    registry = Registry()
    importlib.import_module(BACKENDS[name]).register(registry)
    return registry.build(spec, **options)


def available_backends() -> list[tuple[str, str]]:
    """(usage, description) of every backend, for ``--help``."""
    return default_registry().available()
