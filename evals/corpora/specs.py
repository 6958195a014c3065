"""A suite's corpus entries → segments: where each entry's files are, and which loader reads them.

The one place corpus entries are resolved, for suites and ``mteval run
--corpus`` alike, so every spec the loaders know (``evals.corpora.loaders.
load_segments``: corpus JSONL, text sets, WMT XML, sacrebleu, ``hf:``,
``flores:``) works from both. Relative paths are resolved against the
entry's ``base``:

* an entry of a suite file: the suite file's directory, so a suite and its
  data can move together;
* ``--corpus`` on the command line: the working directory;
* an entry of a built-in suite (``base="builtin"``): the corpora shipped with
  the package (``builtin_corpora_dir``), so ``mteval run`` works from any
  directory of an installed mteval.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

from evals.corpora.loaders import load_segments, resolve_path
from evals.corpora.model import Segment
from evals.corpora.textset import text_set_segments
from evals.suite import BUILTIN, CorpusRef, Suite

#: Where a wheel carries the checkout's ``corpora/`` (pyproject: ``package-dir``).
PACKAGED = "builtin_corpora"


def builtin_corpora_dir() -> Path:
    """The built-in corpora: inside the installed package, else the checkout's ``corpora/``.

    A wheel maps ``corpora/`` to the package directory ``evals/builtin_corpora``
    (one copy in git, one in the wheel); running from a checkout (or an
    editable install) there is no such directory, and the corpora are the
    checkout's own, next to the ``evals`` package -- the directory ``mteval
    corpus build`` writes.
    """
    packaged = resources.files("evals") / PACKAGED
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(str(resources.files("evals"))).parent / "corpora"


def load_suite_corpora(suite: Suite) -> dict[str, list[Segment]]:
    """Every corpus of the suite, by name, in suite order (entries naming one corpus are merged)."""
    corpora: dict[str, list[Segment]] = {}
    for ref in suite.corpora:
        for segment in load_corpus_ref(ref):
            corpora.setdefault(segment.corpus, []).append(segment)
    return corpora


def load_corpus_ref(ref: CorpusRef) -> list[Segment]:
    """One suite entry's segments: a spec string (``path``) or a text-set mapping (``source``)."""
    base = _base(ref.base)
    if ref.source is not None:
        segments = text_set_segments(
            resolve_path(ref.source, base), [resolve_path(path, base) for path in ref.references],
            docids=None if ref.docids is None else resolve_path(ref.docids, base), corpus=ref.name,
            src_lang=ref.src_lang or "zh", tgt_lang=ref.tgt_lang or "en",
        )
        return segments
    segments = load_segments(ref.path, base=base)
    if ref.name:
        segments = [replace(s, corpus=ref.name) for s in segments]
    return segments


def _base(base: str | None) -> Path | None:
    if base == BUILTIN:
        return builtin_corpora_dir()
    return None if base is None else Path(base)
