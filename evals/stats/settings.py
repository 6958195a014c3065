"""How bootstrap intervals are computed, as one value.

A module of its own: a run's input key and the interval cache key hash these
settings without loading numpy. ``BOOTSTRAP`` is what every run uses; the
``DEFAULT_*`` names are its fields, for signatures of functions that take
them one by one (``bootstrap_ci``, the paired tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BootstrapSettings:
    """Resamples, seed, interval level and the fewest documents that make document resampling."""

    n_resamples: int = 1000
    seed: int = 12345  # sacrebleu's default SACREBLEU_SEED
    level: float = 0.95
    min_documents: int = 10

    def key(self) -> list[Any]:
        """The settings as plain JSON, in a fixed order: what cache and input keys hash."""
        return [self.n_resamples, self.seed, self.level, self.min_documents]


BOOTSTRAP = BootstrapSettings()

DEFAULT_RESAMPLES = BOOTSTRAP.n_resamples
DEFAULT_SEED = BOOTSTRAP.seed
DEFAULT_LEVEL = BOOTSTRAP.level
MIN_DOCUMENTS = BOOTSTRAP.min_documents
