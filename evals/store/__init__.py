"""The results store: SQLite/PostgreSQL database of runs, translations, scores and caches.

``Store.open(db)`` (or ``open_store``) resolves ``--db`` / ``$MTEVAL_DB`` /
``./results/mteval.db``, applies pending migrations and returns the handle the
runner writes through (``writer``) and the reports read from (``queries``);
``open_store(db, readonly=True)`` opens an existing, current database without
creating or upgrading it.
"""

from evals.store.api import Store, open_store
from evals.store.cache import cache_key, canonical_json, text_cache_key
from evals.store.engine import interrupts_deferred

__all__ = ["Store", "open_store", "canonical_json", "cache_key", "text_cache_key", "interrupts_deferred"]
