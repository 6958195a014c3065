"""TEMPORARY stand-in for ``evals.corpora.loaders.load_text_set`` (written in another tree for issue 14).

Only what ``mteval score`` needs to be tested before the real loader is
merged: same name and signature, one segment per line, every reference line
aligned. Delete this file at merge and point ``evals/cli/score.py``'s one
import at ``evals.corpora.loaders``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evals.corpora.model import Segment
from evals.errors import InputError
from evals.inputs import read_text


def _lines(path: str | Path) -> list[str]:
    text = read_text(Path(path), what="text file")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def load_text_set(source: str | Path | None, references: Sequence[str | Path], *, docids=None,
                  name: str | None = None, src_lang: str = "zh", tgt_lang: str = "en") -> list[Segment]:
    refs = [_lines(path) for path in references]
    if not refs:
        raise InputError("a text set needs at least one reference file")
    sources = _lines(source) if source is not None else [""] * len(refs[0])
    for path, lines in zip(references, refs):
        if len(lines) != len(sources):
            raise InputError(f"{len(lines)} lines but the source has {len(sources)}", path=path)
    docs = _lines(docids) if docids is not None else ["1"] * len(sources)
    corpus = name or Path(source if source is not None else references[0]).name
    return [
        Segment(corpus=corpus, doc_id=docs[i], seg_id=str(i + 1), para=0, source=sources[i],
                reference=refs[0][i], more_references=tuple(r[i] for r in refs[1:]), src_lang=src_lang,
                tgt_lang=tgt_lang, script="zh-Hans" if src_lang == "zh" else "Latn")
        for i in range(len(sources))
    ]
