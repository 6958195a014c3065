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
from evals.errors import InputError
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
    """Every corpus of the suite, by name, in suite order (entries naming one corpus are merged).

    Merged entries must not share a segment id (the same file listed twice, or two
    files given one ``name``): that is an error at the later entry's line.
    """
    corpora: dict[str, list[Segment]] = {}
    first_entry: dict[str, tuple[int, CorpusRef]] = {}  # corpus name -> the entry that started it
    for number, ref in enumerate(suite.corpora, start=1):
        try:
            segments = load_corpus_ref(ref)
        except InputError as error:
            raise ref.origin.locate(error) if ref.origin else error from None
        for name in dict.fromkeys(s.corpus for s in segments):
            if name in corpora:  # rare: only then are ids compared
                _check_merge(name, first_entry[name], (number, ref), corpora[name], segments)
            first_entry.setdefault(name, (number, ref))
        for segment in segments:
            corpora.setdefault(segment.corpus, []).append(segment)
    return corpora


def _check_merge(name: str, first: tuple[int, CorpusRef], later: tuple[int, CorpusRef], have: list[Segment],
                 adding: list[Segment]) -> None:
    """An entry adding to corpus ``name`` brings none of the segment ids it already has."""
    ids = {s.seg_id for s in have}
    repeated = next((s.seg_id for s in adding if s.corpus == name and s.seg_id in ids), None)
    if repeated is None:
        return
    (i, a), (j, b) = first, later
    lines = f" (lines {a.origin.line} and {b.origin.line})" if a.origin and b.origin else ""
    error = InputError(f"corpus '{name}' is given twice: corpora entries {i} and {j}{lines} both have "
                       f"segment '{repeated}'", field="corpora",
                       hint="list each corpus once, or give the entries different names (name: ...)")
    raise b.origin.locate(error) if b.origin else error


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
