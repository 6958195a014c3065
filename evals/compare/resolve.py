"""A side from what the user named: a stored run's system or a baseline file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evals.compare.baseline import load_baseline
from evals.compare.runs import load_run_system
from evals.compare.sides import SideSpec, SystemData
from evals.errors import UsageError

if TYPE_CHECKING:
    from evals.store.api import Store


def load_side(spec: SideSpec, store: "Store | None", *, corpora: Sequence[str] | None = None,
              metrics: Sequence[str] | None = None) -> SystemData:
    """Load a side named by ``spec`` (``store`` is needed for runs only)."""
    if spec.path is not None:
        return load_baseline(spec.path, system=spec.system)
    if store is None:
        raise UsageError("comparing runs needs a results database", hint="pass --db")
    return load_run_system(store, spec.run, spec.system, corpora=corpora, metrics=metrics)
