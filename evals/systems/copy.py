"""``copy``: returns every source unchanged.

The sanity check for metrics and flags: untranslated output must score badly
and be flagged ``untranslated``. A harness that rates ``copy`` well is broken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evals.corpora.model import Segment
from evals.systems.base import System, SystemInfo, TranslationContext

if TYPE_CHECKING:
    from evals.systems.registry import Registry

COPY_VERSION = "1"


class CopySystem(System):
    """Echo the source text as the hypothesis."""

    backend = "copy"
    max_batch_size = 4096

    def __init__(self, arg: str | None = None, /, *, spec: str = "copy", name: str | None = None) -> None:
        super().__init__(spec, name)

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        return [segment.source for segment in segments]

    def describe(self) -> SystemInfo:
        import evals

        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=evals.__version__,
            revision=f"copy-{COPY_VERSION}",
            params={},
        )


def register(registry: "Registry") -> None:
    registry.register("copy", CopySystem, description="echo the source unchanged (sanity baseline)")
