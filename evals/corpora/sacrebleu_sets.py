"""sacrebleu's test sets by name (``sacrebleu:wmt22:zh-en``), read from sacrebleu's own cache.

Why through sacrebleu rather than a copy of its data: the numbers people
quote are ``sacrebleu -t wmt22 -l zh-en``'s, so the segments must be exactly
the ones sacrebleu extracts (its whitespace cleaning, its choice of
segments), and its registry (``sacrebleu.dataset.DATASETS``) already knows
every test set and language pair.

The cache is sacrebleu's: the directory ``$SACREBLEU`` (default
``~/.sacrebleu``), read when the set is loaded -- not when sacrebleu was
imported, so a test can point it elsewhere. ``sacrebleu -t TEST -l PAIR
--echo src`` downloads a set and writes one text file per field::

    $SACREBLEU/wmt22/wmt22.zh-en.src        sources
    $SACREBLEU/wmt22/wmt22.zh-en.ref-A      references, one file per translator
    $SACREBLEU/wmt22/wmt22.zh-en.ref-B      ("ref:A" with ':' written '-')
    $SACREBLEU/wmt22/wmt22.zh-en.docid      document id per line
    $SACREBLEU/wmt22/wmt22.zh-en.origlang   original language per line
    $SACREBLEU/wmt22/wmt22.zh-en.domain     domain per line, where the set has one
    $SACREBLEU/wmt22/wmt22.zh-en.SYSTEM     system outputs (not read here)

Every reference file is used, sacrebleu's default reference for the pair
first (``reference``), then the others by translator; a translator's empty
line (a segment they did not translate) leaves that segment with the other
references. mteval never downloads: without the files the error says how to
fetch them (one line, exit 2).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from evals.corpora.model import LANGS, Segment
from evals.corpora.textset import text_set_segments
from evals.errors import InputError, UsageError, did_you_mean

_META_FIELDS = ("docid", "origlang", "domain")


def cache_dir() -> Path:
    """sacrebleu's cache directory now: ``$SACREBLEU``, else ``~/.sacrebleu`` (as sacrebleu.utils)."""
    return Path(os.environ.get("SACREBLEU") or Path("~/.sacrebleu").expanduser())


def load_sacrebleu_spec(spec: str, **kw: Any) -> list[Segment]:
    """``sacrebleu:TEST:SRC-TGT`` → ``load_sacrebleu(TEST, SRC-TGT)``."""
    rest = spec.removeprefix("sacrebleu:")
    test_set, sep, langpair = rest.rpartition(":")
    if not sep or not test_set or not langpair:
        raise UsageError(f"bad sacrebleu spec '{spec}'", hint="write sacrebleu:TEST:SRC-TGT, e.g. sacrebleu:wmt22:zh-en")
    return load_sacrebleu(test_set, langpair, **kw)


def load_sacrebleu(test_set: str, langpair: str, *, corpus: str | None = None) -> list[Segment]:
    """One language pair of one of sacrebleu's test sets, from its cache (see the module doc)."""
    src_lang, tgt_lang = _languages(langpair)
    dataset = _dataset(test_set)
    if langpair not in dataset.langpairs:
        known = sorted(dataset.langpairs)
        raise UsageError(f"sacrebleu test set '{test_set}' has no language pair '{langpair}' "
                         f"(it has: {', '.join(known)})", hint=did_you_mean(langpair, known))
    folder = cache_dir() / dataset.name
    stem = f"{dataset.name.replace('/', '_')}.{langpair}"
    source = folder / f"{stem}.src"
    if not source.is_file():
        raise InputError(
            f"sacrebleu test set {test_set} {langpair} is not in sacrebleu's cache ({folder}; $SACREBLEU)",
            hint=f"fetch it once with `sacrebleu -t {test_set} -l {langpair} --echo src`",
        )
    references = _reference_files(folder, stem, _default_translators(dataset, langpair))
    if not references:
        raise InputError(f"sacrebleu's cache has no reference file {stem}.ref* for {test_set} {langpair}",
                         path=str(folder), hint=f"fetch it again with `sacrebleu -t {test_set} -l {langpair} "
                         "--echo ref`")
    docids = folder / f"{stem}.docid"
    segments = text_set_segments(source, references, docids=docids if docids.is_file() else None,
                         corpus=corpus or f"sacrebleu-{test_set.replace('/', '_')}-{langpair}",
                         src_lang=src_lang, tgt_lang=tgt_lang, missing_references="drop")
    return _with_metadata(segments, folder, stem)


def _languages(langpair: str) -> tuple[str, str]:
    src, sep, tgt = langpair.partition("-")
    if not sep or src not in LANGS or tgt not in LANGS or src == tgt:
        raise UsageError(f"language pair '{langpair}' is not one mteval evaluates", field="langpair",
                         hint="mteval evaluates zh-en and en-zh")
    return src, tgt


def _dataset(test_set: str) -> Any:
    from sacrebleu.dataset import DATASETS

    if test_set not in DATASETS:
        raise UsageError(f"sacrebleu knows no test set '{test_set}'",
                         hint=did_you_mean(test_set, list(DATASETS)) or "list them with `sacrebleu --list`")
    return DATASETS[test_set]


def _default_translators(dataset: Any, langpair: str) -> list[str]:
    """The references sacrebleu scores against by default for this pair (WMT22 zh-en: ["A"])."""
    meta = dataset.langpairs[langpair]
    refs = meta.get("refs") if isinstance(meta, dict) else None
    return list(refs if refs is not None else dataset.kwargs.get("refs", []))


def _reference_files(folder: Path, stem: str, defaults: list[str]) -> list[Path]:
    """``ref`` / ``ref-X`` files: sacrebleu's default ones first, then the rest by name."""
    found = {path.name[len(stem) + 1:]: path for path in folder.glob(f"{stem}.ref*")
             if path.is_file() and (path.name == f"{stem}.ref" or path.name.startswith(f"{stem}.ref-"))}
    wanted = [("ref" if not name else f"ref-{name}") for name in defaults]
    order = [field for field in wanted if field in found] + sorted(set(found) - set(wanted))
    return [found[field] for field in order]


def _with_metadata(segments: list[Segment], folder: Path, stem: str) -> list[Segment]:
    """``origlang`` and ``domain`` from their per-line files, when sacrebleu wrote them."""
    from dataclasses import replace

    from evals.corpora.reading import read_text

    values: dict[str, list[str]] = {}
    for name in ("origlang", "domain"):
        path = folder / f"{stem}.{name}"
        if path.is_file():
            decoded = read_text(path)
            if len(decoded.lines) != len(segments):
                raise InputError(f"line counts differ: {path} has {len(decoded.lines)} lines, the source has "
                                 f"{len(segments)}", path=str(path))
            values[name] = [sys.intern(line.strip()) if line.strip() else None for line in decoded.lines]
    if not values:
        return segments
    return [replace(segment, **{name: column[index] for name, column in values.items()})
            for index, segment in enumerate(segments)]
