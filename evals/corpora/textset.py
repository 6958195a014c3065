"""Text sets: a test set as sacrebleu users keep it, one segment a line in line-aligned files.

WMT distributes ``generaltest2022.zh-en.src.zh``, ``….ref.A.en``,
``….ref.B.en`` and (via ``sacrebleu --echo docid``) one document id a line:
any file extension, several references, documents on the side. A text set is
those files read with the one input reader and checked against each other --
every file as many lines as the source (a mismatch names both files and
both counts), no empty source or reference line (it would shift every later
line; named by file and line), no reference file twice -- and turned into
segments. ``load_text_set`` is the library call (``mteval score`` uses it);
``text_set_segments`` is the builder behind it, ``load_text_pair`` and
sacrebleu's cached test sets.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.corpora.language import check_langs, resolve_script
from evals.corpora.model import Segment
from evals.corpora.reading import read_text
from evals.errors import InputError, UsageError


def load_text_set(
    source: str | Path | None,
    references: Sequence[str | Path],
    *,
    docids: str | Path | None = None,
    name: str | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
) -> list[Segment]:
    """A test set as sacrebleu users keep it: one segment a line, any file extension.

    ``references`` are line-aligned with the source, the first one becoming
    ``Segment.reference`` and the others ``more_references`` in the order
    given (the same file twice is an error: it would count one translator
    double). ``docids`` is a file with one document id a line (the layout of
    ``sacrebleu --echo docid``): segments then carry those documents, so
    document-level scores mean something, and ``para`` counts lines within
    each document. Without it the whole file is one document named after the
    corpus, as ``load_text_pair`` has always done.

    ``source=None`` means no source text was given (``mteval score`` without
    ``-s``): every segment's ``source`` is then ``""`` -- the one place an
    empty source is allowed -- and the script is taken to be ``zh-Hans`` for
    a Chinese source (there is no text to detect it from). The corpus name is
    ``name``, else the source file's stem, else the first reference's.

    Every file is read with the one input reader; a line-count mismatch names
    both files and both counts, an empty line names its file and line.
    """
    return text_set_segments(source, references, docids=docids, corpus=name, src_lang=src_lang, tgt_lang=tgt_lang)


def text_set_segments(
    source: str | Path | None,
    references: Sequence[str | Path],
    *,
    docids: str | Path | None = None,
    corpus: str | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
    script: str | None = None,
    missing_references: str = "error",
) -> list[Segment]:
    """The text-set builder behind ``load_text_set``, ``load_text_pair`` and sacrebleu's test sets.

    ``missing_references="drop"`` (sacrebleu's files, where a translator who
    skipped a segment leaves an empty line) drops an empty reference line
    from that segment instead of refusing it.
    """
    check_langs(src_lang, tgt_lang)
    if source is None and not references:
        raise UsageError("a text set needs a source or at least one reference", field="references")
    _reject_repeated_files(references)
    source_text = read_text(source) if source is not None else None
    refs = [read_text(path) for path in references]
    first = source_text or refs[0]
    if source_text is not None:
        _reject_empty_lines(source_text.lines, source_text.path)
    for reference in refs:
        _check_line_count(first, reference)
        if missing_references == "error":
            _reject_empty_lines(reference.lines, reference.path)
    documents = _docids(docids, first) if docids is not None else None
    corpus = corpus or Path(first.path).stem
    if source_text is None:
        script = script or ("Latn" if src_lang == "en" else "zh-Hans")
        resolve_script(script, src_lang, "", first.path)
    else:
        script = resolve_script(script, src_lang, source_text.text, source_text.path)
    count = len(first.lines)
    sources = source_text.lines if source_text is not None else [""] * count
    paras: dict[str, int] = {}
    segments = []
    for index in range(count):
        number = index + 1
        texts = [ref.lines[index] for ref in refs]
        if missing_references == "drop":
            texts = [text for text in texts if text.strip()]
        doc_id = documents[index] if documents is not None else corpus
        para = paras.get(doc_id, 0) if documents is not None else index
        paras[doc_id] = para + 1
        # Without a source, a placeholder passes from_json's non-empty check and is then replaced.
        record = {"corpus": corpus, "doc_id": doc_id, "seg_id": f"{corpus}:{number}", "para": para,
                  "source": sources[index] or "-", "reference": texts[0] if texts else None,
                  "src_lang": src_lang, "tgt_lang": tgt_lang, "script": script}
        segment = _segment(record, source_text.path if source_text is not None else first.path, number)
        if source_text is None:
            segment = replace(segment, source="")
        if len(texts) > 1:
            # Two translators may write the same sentence ("Thank you."), so more_references is set
            # directly: from_json's "same reference twice" check is about a list written by hand.
            segment = replace(segment, more_references=tuple(texts[1:]))
        segments.append(segment)
    return segments


def _reject_repeated_files(references: Sequence[str | Path]) -> None:
    """The same reference file twice would weigh one translator double in every multi-reference metric."""
    seen: dict[Path, str] = {}
    for path in references:
        key = Path(path).expanduser().resolve()
        if key in seen:
            raise InputError(
                f"reference file given twice (as '{seen[key]}' and '{path}')",
                path=str(path), field="references",
                hint="list each translator's file once",
            )
        seen[key] = str(path)


def _check_line_count(first: Any, other: Any) -> None:
    if len(other.lines) != len(first.lines):
        raise InputError(
            f"line counts differ: {first.path} has {len(first.lines)} lines, "
            f"{other.path} has {len(other.lines)}",
            path=other.path,
            hint="every file of a text set must be line-aligned with the source",
        )


def _docids(path: str | Path, first: Any) -> list[str]:
    """One document id a line, as many lines as the source (``sacrebleu --echo docid``)."""
    decoded = read_text(path)
    _check_line_count(first, decoded)
    ids = []
    for number, line in enumerate(decoded.lines, start=1):
        if not line.strip():
            raise InputError("empty document id", path=decoded.path, line=number, field="docids")
        ids.append(sys.intern(line.strip()))
    return ids


def _reject_empty_lines(lines: list[str], where: str) -> None:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise InputError(
                "empty line: line-aligned files need text on every line",
                path=where,
                line=number,
                hint="remove the line from both files, or fill it in",
            )


def _segment(record: dict[str, Any], where: str, number: int) -> Segment:
    return Segment.from_json(record, path=where, line=number)
