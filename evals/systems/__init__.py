"""MT systems: one module per backend, selected by a spec string.

``build_system("gloss")``, ``build_system("file:hyps.jsonl", name="baseline")``
return a ``System``; ``available_backends()`` lists what can be built. The spec
grammar and how to add a backend are in ``registry.py``; the ``System``
contract is in ``base.py``. Importing this package imports no backend: each is
imported when a spec naming it is built.
"""

from evals.systems.base import System, SystemInfo, TranslationContext, check_outputs
from evals.systems.registry import Registry, available_backends, build_system, default_registry, parse_spec

__all__ = [
    "Registry",
    "System",
    "SystemInfo",
    "TranslationContext",
    "available_backends",
    "build_system",
    "check_outputs",
    "default_registry",
    "parse_spec",
]
