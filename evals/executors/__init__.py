"""Where translation and metric statistics are computed: here, or on a Ray cluster.

The runner owns the caches and the store; an executor only turns batches of
segments into hypotheses and hypotheses into statistics rows. Keeping that
seam narrow is what lets ``--executor ray`` shard the heavy work across a
cluster while every write still goes through one process and one store.
"""

from __future__ import annotations

from typing import Any

from evals.executors.base import Executor, MetricJob, SystemJob
from evals.executors.local import LocalExecutor

EXECUTORS = ("local", "ray")

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "MetricJob", "SystemJob", "get_executor"]


def get_executor(name: str = "local", **options: Any) -> Executor:
    """The executor called ``name``; Ray is imported only when asked for."""
    from evals.errors import UsageError, did_you_mean

    if name == "local":
        return LocalExecutor(**options)
    if name == "ray":
        from evals.executors.ray import RayExecutor

        return RayExecutor(**options)
    raise UsageError(f"unknown executor {name!r}", field="--executor",
                     hint=did_you_mean(name, EXECUTORS) or f"choose one of {', '.join(EXECUTORS)}")
