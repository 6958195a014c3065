"""Loaders: evaluation segments from the corpus format and other common formats.

Every loader returns ``list[Segment]`` in file order with stable ``seg_id``s,
and every problem with the input is an ``InputError`` that names the file, the
line (or dataset row) and, where it applies, the field. Nothing is dropped
silently: an empty line in a line-aligned text file is an error, not a skip,
because skipping it would shift every later reference against its source.

Formats:

* ``load_jsonl`` — the corpus format, one ``Segment.to_json()`` object a line.
* ``load_text_set`` (``evals.corpora.textset``) — line-aligned source, references (several) and
  document-id files of any extension; ``load_text_pair`` is its one-reference form.
* ``load_tsv`` — tab-separated source/reference (and optional id) columns.
* ``load_hf_dataset`` — anything ``datasets.load_dataset`` reads: local
  ``.jsonl``/``.parquet``/``.csv`` files, a local dataset directory, or a hub id
  already in the local cache (the hub itself may be unreachable).
* ``load_flores_plus`` / ``load_paired_configs`` — FLORES+-style datasets that
  keep each language in its own config, joined on ``id``.
* WMT XML (``evals.corpora.wmtxml``) and sacrebleu's cached test sets
  (``evals.corpora.sacrebleu_sets``) have modules of their own.
* ``load_segments`` — picks one of the above from a path or spec string; suites
  and ``--corpus`` reach it through ``evals.corpora.specs``.

``corpus_hash`` fingerprints a list of segments for run provenance.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.corpora.language import check_langs, resolve_script
from evals.corpora.model import Segment
from evals.corpora.reading import read_text
from evals.corpora.textset import load_text_set, text_set_segments
from evals.errors import InputError, UsageError, did_you_mean
from evals.inputs import require_regular_file
from evals.jsoncheck import JsonReader

__all__ = ["corpus_hash", "load_flores_plus", "load_hf_dataset", "load_jsonl", "load_paired_configs",
           "load_segments", "load_text_pair", "load_text_set", "load_tsv", "resolve_path"]

# Local data files load_hf_dataset hands to a packaged ``datasets`` builder.
_HF_FILE_BUILDERS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
# FLORES+ language codes (ISO 639-3) that mean "zh" or "en" to mteval.
_FLORES_LANGS = {"cmn": "zh", "zho": "zh", "yue": "zh", "eng": "en"}
_FLORES_SCRIPTS = {"Hans": "zh-Hans", "Hant": "zh-Hant", "Latn": "Latn"}
_FLORES_HUB_ID = "openlanguagedata/flores_plus"
_SPEC_PREFIXES = ("hf:", "flores:", "xml:", "sacrebleu:")
_SPEC_SUFFIXES = (".jsonl", ".tsv", ".txt", ".parquet", ".csv", ".json", ".xml")


# --- the corpus format --------------------------------------------------------


def load_jsonl(path: str | Path) -> list[Segment]:
    """Load a corpus file: one Segment JSON object a line, blank lines allowed."""
    decoded = read_text(path)
    where = decoded.path
    segments: list[Segment] = []
    seen = _DuplicateIds(where)
    reader = JsonReader(where)
    for number, line in enumerate(decoded.iter_lines(), start=1):
        if not line.strip():
            continue
        obj = reader.parse(line, number)
        segment = Segment.from_json(obj, path=where, line=number)
        seen.add((segment.corpus, segment.seg_id), number, "seg_id")
        segments.append(segment)
    return segments


class _DuplicateIds:
    """Remembers where each id was first seen, to name both lines of a duplicate."""

    def __init__(self, where: str, unit: str = "line") -> None:
        self.where = where
        self.unit = unit
        self.first: dict[Any, int] = {}

    def add(self, key: Any, number: int, field: str) -> None:
        if key in self.first:
            seg_id = key[1] if isinstance(key, tuple) else key
            raise InputError(
                f"duplicate {field} '{seg_id}' ({self.unit}s {self.first[key]} and {number})",
                path=self.where,
                line=number if self.unit == "line" else None,
                field=field,
            )
        self.first[key] = number


# --- line-aligned text and TSV ------------------------------------------------


def load_text_pair(
    src_path: str | Path,
    ref_path: str | Path | None = None,
    *,
    corpus: str | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
    script: str | None = None,
) -> list[Segment]:
    """Load line-aligned source (and reference) text files; line N pairs with line N.

    The one-reference case of ``load_text_set``, kept for its ``corpus`` and
    ``script`` keywords.
    """
    return text_set_segments(src_path, [] if ref_path is None else [ref_path], corpus=corpus, src_lang=src_lang,
                     tgt_lang=tgt_lang, script=script)


def load_tsv(
    path: str | Path,
    *,
    source_col: int | str = 0,
    reference_col: int | str | None = 1,
    id_col: int | str | None = None,
    has_header: bool | None = None,
    corpus: str | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
    script: str | None = None,
) -> list[Segment]:
    """Load a tab-separated file; columns are 0-based indices or header names.

    ``has_header=None`` means "if any column is given by name". Fields are
    split on tabs only (no CSV quoting: quotes are text). Every row must have
    as many fields as the first; blank lines are skipped. Without ``id_col``
    the ``seg_id`` is ``"{corpus}:{line}"``.
    """
    check_langs(src_lang, tgt_lang)
    decoded = read_text(path)
    where = decoded.path
    rows = [(number, line.split("\t")) for number, line in enumerate(decoded.lines, start=1) if line.strip()]
    if has_header is None:
        has_header = any(isinstance(col, str) for col in (source_col, reference_col, id_col))
    header: list[str] | None = rows[0][1] if has_header else None
    width = len(rows[0][1])
    body = rows[1:] if has_header else rows
    if not body:
        raise InputError("no data rows after the header", path=where)
    columns = {
        name: _column_index(col, header, width, where, name)
        for name, col in (("source", source_col), ("reference", reference_col), ("id", id_col))
        if col is not None
    }
    labels = {name: _column_label(index, header) for name, index in columns.items()}
    corpus = corpus or Path(where).stem
    sources = [fields[columns["source"]] for _, fields in body if len(fields) == width]
    script = resolve_script(script, src_lang, "\n".join(sources), where)
    ids = _DuplicateIds(where)
    segments = []
    for number, fields in body:
        if len(fields) != width:
            raise InputError(
                f"expected {width} tab-separated fields (as on line {rows[0][0]}), found {len(fields)}",
                path=where,
                line=number,
            )
        for name in ("source", "reference", "id"):
            if name in columns and not fields[columns[name]].strip():
                raise InputError("empty field", path=where, line=number, field=labels[name])
        seg_id = fields[columns["id"]] if "id" in columns else f"{corpus}:{number}"
        ids.add(seg_id, number, labels.get("id", "seg_id"))
        record = {
            "corpus": corpus,
            "doc_id": corpus,
            "seg_id": seg_id,
            "para": len(segments),
            "source": fields[columns["source"]],
            "reference": fields[columns["reference"]] if "reference" in columns else None,
            "src_lang": src_lang,
            "tgt_lang": tgt_lang,
            "script": script,
        }
        segments.append(_segment(record, where, number))
    return segments


def _column_index(col: int | str, header: list[str] | None, width: int, where: str, name: str) -> int:
    if isinstance(col, bool) or not isinstance(col, (int, str)):
        raise UsageError(f"{name} column must be an index or a header name, got {col!r}")
    if isinstance(col, str):
        if header is None:
            raise UsageError(f"{name} column '{col}' is a name, but has_header=False")
        if col not in header:
            raise InputError(
                f"no column named '{col}' in the header (columns: {', '.join(header)})",
                path=where,
                line=1,
                hint=did_you_mean(col, header),
            )
        return header.index(col)
    if not 0 <= col < width:
        raise InputError(f"{name} column {col} is out of range: rows have {width} fields", path=where)
    return col


def _column_label(index: int, header: list[str] | None) -> str:
    return header[index] if header else f"column {index}"


# --- Hugging Face datasets ------------------------------------------------------


def load_hf_dataset(
    name_or_path: str | Path,
    *,
    config: str | None = None,
    split: str = "devtest",
    source_field: str = "source",
    reference_field: str | None = "reference",
    id_field: str | None = None,
    corpus: str | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
    script: str | None = None,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
) -> list[Segment]:
    """Load one split of a dataset through ``datasets.load_dataset``.

    ``name_or_path`` is a local data file (``.jsonl``/``.json``/``.parquet``/
    ``.csv``; its rows become the split named ``split``), a local dataset
    directory, or a hub id, which must already be cached when the hub is
    unreachable. Without ``id_field`` the ``seg_id`` is ``"{corpus}:{row}"``
    (1-based row).
    """
    check_langs(src_lang, tgt_lang)
    rows, where = _load_rows(name_or_path, config, split, revision=revision, cache_dir=cache_dir)
    wanted = [f for f in (source_field, reference_field, id_field) if f is not None]
    _require_columns(rows, wanted, where)
    corpus = corpus or _corpus_name(name_or_path, config, split)
    sources = [row[source_field] for row in rows if isinstance(row[source_field], str)]
    script = resolve_script(script, src_lang, "\n".join(sources), where)
    ids = _DuplicateIds(where, unit="row")
    segments = []
    for number, row in enumerate(rows, start=1):
        seg_id = _row_id(row, id_field, corpus, number, where)
        ids.add(seg_id, number, id_field or "seg_id")
        record = {
            "corpus": corpus,
            "doc_id": corpus,
            "seg_id": seg_id,
            "para": number - 1,
            "source": row[source_field],
            "reference": row[reference_field] if reference_field else None,
            "src_lang": src_lang,
            "tgt_lang": tgt_lang,
            "script": script,
        }
        segments.append(_dataset_segment(record, where, number, source_field, reference_field))
    return segments


def load_paired_configs(
    path: str | Path,
    src_config: str,
    tgt_config: str,
    *,
    split: str = "devtest",
    id_field: str = "id",
    text_field: str = "text",
    corpus: str | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
    script: str | None = None,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
) -> list[Segment]:
    """Pair two configs of one dataset (one language each) on ``id_field``.

    Segments follow the source config's row order; every id must be present
    in both configs exactly once, otherwise nothing would say which sentences
    went missing from the evaluation.
    """
    check_langs(src_lang, tgt_lang)
    src_rows, src_where = _load_rows(path, src_config, split, revision=revision, cache_dir=cache_dir)
    tgt_rows, tgt_where = _load_rows(path, tgt_config, split, revision=revision, cache_dir=cache_dir)
    _require_columns(src_rows, [id_field, text_field], src_where)
    _require_columns(tgt_rows, [id_field, text_field], tgt_where)
    targets = _rows_by_id(tgt_rows, id_field, tgt_where)
    sources = _rows_by_id(src_rows, id_field, src_where)
    missing = [key for key in sources if key not in targets]
    extra = [key for key in targets if key not in sources]
    if missing or extra:
        raise InputError(
            f"configs do not pair up on '{id_field}': "
            f"{len(missing)} id(s) only in {src_config} {_preview(missing)}, "
            f"{len(extra)} only in {tgt_config} {_preview(extra)}",
            path=src_where,
            field=id_field,
        )
    corpus = corpus or f"{Path(str(path)).name}-{src_config}-{tgt_config}-{split}"
    texts = [row[text_field] for row in src_rows if isinstance(row[text_field], str)]
    script = resolve_script(script, src_lang, "\n".join(texts), src_where)
    segments = []
    for number, (key, row) in enumerate(sources.items(), start=1):
        record = {
            "corpus": corpus,
            "doc_id": corpus,
            "seg_id": f"{corpus}:{key}",
            "para": number - 1,
            "source": row[text_field],
            "reference": targets[key][text_field],
            "src_lang": src_lang,
            "tgt_lang": tgt_lang,
            "script": script,
        }
        segments.append(_dataset_segment(record, src_where, number, text_field, text_field))
    return segments


def load_flores_plus(
    src_config: str = "cmn_Hans",
    tgt_config: str = "eng_Latn",
    split: str = "devtest",
    path: str | Path = _FLORES_HUB_ID,
    *,
    corpus: str | None = None,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
) -> list[Segment]:
    """Load a FLORES+ direction: two language configs joined on ``id``.

    Languages and script come from the config names (``cmn_Hans`` → zh,
    zh-Hans; ``eng_Latn`` → en). ``path`` may be the hub id (cached) or a
    local copy of the dataset.
    """
    src_lang, src_script = _flores_lang(src_config)
    tgt_lang, _ = _flores_lang(tgt_config)
    return load_paired_configs(
        path,
        src_config,
        tgt_config,
        split=split,
        corpus=corpus or f"flores_plus-{src_config}-{tgt_config}-{split}",
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        script=src_script,
        revision=revision,
        cache_dir=cache_dir,
    )


def _flores_lang(config: str) -> tuple[str, str]:
    lang, _, script = config.partition("_")
    if lang not in _FLORES_LANGS or script not in _FLORES_SCRIPTS:
        known = [f"{lg}_{sc}" for lg in _FLORES_LANGS for sc in _FLORES_SCRIPTS]
        raise UsageError(
            f"FLORES+ config '{config}' is not a Chinese or English config mteval evaluates",
            hint=did_you_mean(config, known) or "use e.g. cmn_Hans, cmn_Hant or eng_Latn",
        )
    return _FLORES_LANGS[lang], _FLORES_SCRIPTS[script]


def _load_rows(
    name_or_path: str | Path,
    config: str | None,
    split: str,
    *,
    revision: str | None,
    cache_dir: str | Path | None,
) -> tuple[list[dict[str, Any]], str]:
    """Rows of one split as dicts, and a label naming where they came from.

    Every failure of ``datasets`` that is about the input (missing files,
    unknown config or split, unreadable data, a hub id that is not cached
    while offline) becomes one ``InputError``.
    """
    import datasets
    from datasets.exceptions import DatasetsError

    name = str(name_or_path)
    where = f"{name}[{config}/{split}]" if config else f"{name}[{split}]"
    local = Path(name)
    require_regular_file(local, what="dataset file")
    builder = _HF_FILE_BUILDERS.get(local.suffix.lower()) if os.path.isfile(local) else None
    if local.suffix.lower() in _HF_FILE_BUILDERS and not os.path.exists(local):
        raise InputError("file not found", path=name)
    try:
        if builder is not None:
            dataset = datasets.load_dataset(
                builder, data_files={split: str(local)}, split=split, cache_dir=_str(cache_dir)
            )
        else:
            dataset = datasets.load_dataset(
                name, config, split=split, revision=revision, cache_dir=_str(cache_dir)
            )
    except ConnectionError as exc:  # also huggingface_hub's OfflineModeIsEnabled
        raise _unreachable(name, exc) from None
    except (OSError, ValueError, DatasetsError) as exc:
        raise _dataset_error(name, where, exc) from None
    return [dict(row) for row in dataset], where


def _unreachable(name: str, exc: Exception) -> InputError:
    if name.startswith((".", "/", "~")) or os.sep in name.rstrip(os.sep).partition(os.sep)[2]:
        return InputError("no such file or dataset directory", path=name)
    offline = _hub_offline() or "offline" in str(exc).lower()
    if offline:
        message = (
            f"dataset '{name}' is not available offline: it is not a local path and not in "
            "the Hugging Face cache (HF_HUB_OFFLINE=1)"
        )
    else:
        message = f"dataset '{name}' is not a local path and the Hugging Face Hub cannot be reached"
    return InputError(
        message,
        hint=(
            f"fetch it once where the hub is reachable with `hf download {name} --repo-type dataset` "
            "(log in and accept its terms first if it is gated), or pass a local copy's path"
        ),
    )


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _dataset_error(name: str, where: str, exc: Exception) -> InputError:
    """One line from a ``datasets`` exception; the cause often carries the real reason."""
    message = _first_line(str(exc)) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and _first_line(str(cause)):
        message = f"{message}: {_first_line(str(cause))}"
    if isinstance(exc, FileNotFoundError) and not os.path.exists(name) and _hub_offline():
        return _unreachable(name, exc)  # e.g. a hub dataset only partly in the cache
    return InputError(f"cannot load dataset: {message}", path=where)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _require_columns(rows: list[dict[str, Any]], wanted: Sequence[str], where: str) -> None:
    if not rows:
        raise InputError("the split has no rows", path=where)
    columns = list(rows[0])
    for name in wanted:
        if name not in columns:
            raise InputError(
                f"no such field (fields: {', '.join(columns)})",
                path=where,
                field=name,
                hint=did_you_mean(name, columns),
            )


def _rows_by_id(rows: list[dict[str, Any]], id_field: str, where: str) -> dict[str, dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    seen = _DuplicateIds(where, unit="row")
    for number, row in enumerate(rows, start=1):
        key = _id_text(row[id_field], where, number, id_field)
        seen.add(key, number, id_field)
        by_id[key] = row
    return by_id


def _row_id(row: Mapping[str, Any], id_field: str | None, corpus: str, number: int, where: str) -> str:
    if id_field is None:
        return f"{corpus}:{number}"
    return _id_text(row[id_field], where, number, id_field)


def _id_text(value: Any, where: str, number: int, field: str) -> str:
    """Ids may be ints (FLORES+) or strings; both become strings, anything else is an error."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() == "":
        message = f"row {number}: id must be a non-empty string or integer, got {value!r}"
        raise InputError(message, path=where, field=field)
    return str(value)


def _dataset_segment(
    record: dict[str, Any], where: str, number: int, source_field: str, reference_field: str | None
) -> Segment:
    """Validate a row-built record, naming the dataset's own field on failure."""
    try:
        return Segment.from_json(record)
    except InputError as exc:
        renamed = {"source": source_field, "reference": reference_field}.get(exc.field or "", exc.field)
        raise InputError(f"row {number}: {exc.message}", path=where, field=renamed) from None


def _corpus_name(name_or_path: str | Path, config: str | None, split: str) -> str:
    base = Path(str(name_or_path))
    stem = base.stem if base.suffix.lower() in _HF_FILE_BUILDERS else base.name
    return "-".join(part for part in (stem, config, split) if part)


def _preview(keys: list[str], limit: int = 5) -> str:
    if not keys:
        return ""
    shown = ", ".join(keys[:limit])
    return f"({shown}{', ...' if len(keys) > limit else ''})"


def _str(path: str | Path | None) -> str | None:
    return None if path is None else str(path)


# --- shared helpers -------------------------------------------------------------


def _segment(record: dict[str, Any], where: str, number: int) -> Segment:
    return Segment.from_json(record, path=where, line=number)


# --- dispatch and provenance ------------------------------------------------------


def load_segments(path_or_spec: str | Path, *, base: str | Path | None = None, **kw: Any) -> list[Segment]:
    """Load segments from a path or spec, choosing the loader by prefix or suffix.

    * ``corpus.jsonl`` -- the corpus format (``load_jsonl``)
    * ``data.tsv`` -- ``load_tsv``
    * ``data.parquet`` / ``data.csv`` / ``data.json`` -- ``load_hf_dataset`` on a local file
    * ``test.xml`` or ``xml:FILE`` -- WMT XML (``evals.corpora.wmtxml.load_wmt_xml``)
    * ``sacrebleu:TEST:SRC-TGT`` (e.g. ``sacrebleu:wmt22:zh-en``) -- a test set from sacrebleu's
      cache (``evals.corpora.sacrebleu_sets.load_sacrebleu``)
    * ``hf:NAME_OR_PATH`` or ``hf:NAME_OR_PATH:CONFIG`` -- ``load_hf_dataset``
    * ``flores:`` or ``flores:SRC-TGT`` or ``flores:SRC-TGT:SPLIT`` (e.g.
      ``flores:cmn_Hans-eng_Latn:dev``) -- ``load_flores_plus``
    * any other file -- line-aligned text, whatever its extension (WMT's are ``.zh``/``.en``):
      ``SRC`` alone, ``SRC:REF`` or ``SRC:REF1,REF2,...`` (``load_text_set``). The source is
      the longest prefix before a ``:`` that is an existing file, so paths may contain ``:``.

    Relative paths are resolved against ``base`` (a suite's directory) when given, else the
    working directory. Keyword arguments go to the chosen loader.
    """
    spec = str(path_or_spec)
    if spec.startswith("hf:"):
        rest = spec[3:]
        name, _, config = rest.rpartition(":") if _has_config(rest, base) else (rest, "", "")
        if config:
            kw.setdefault("config", config)
        local = resolve_path(name, base)
        return load_hf_dataset(local if os.path.exists(local) else name, **kw)
    if spec.startswith("flores:") or spec == "flores":
        return _load_flores_spec(spec.partition(":")[2], kw)
    if spec.startswith("xml:"):
        from evals.corpora.wmtxml import load_wmt_xml

        return load_wmt_xml(resolve_path(spec[4:], base), **kw)
    if spec.startswith("sacrebleu:"):
        from evals.corpora.sacrebleu_sets import load_sacrebleu_spec

        return load_sacrebleu_spec(spec, **kw)
    path = resolve_path(spec, base)
    # os.path.exists, not Path.exists: a name too long for the OS is no file, not an OSError (a traceback)
    if os.path.exists(path):
        return _load_file(path, kw)
    if ":" in spec:
        src, refs = _split_text_set(spec, base)
        if not os.path.exists(src):
            prefix = spec.partition(":")[0]
            hint = did_you_mean(prefix + ":", _SPEC_PREFIXES)
            if hint:
                raise UsageError(f"unknown source spec prefix '{prefix}:'", hint=hint)
        return text_set_segments(src, refs, **_text_options(kw))
    suffix = path.suffix.lower()
    hint = did_you_mean(suffix, _SPEC_SUFFIXES) if suffix and suffix not in _SPEC_SUFFIXES else None
    if hint:
        raise UsageError(f"unknown format '{suffix}' for '{spec}', and no such file", hint=hint)
    raise InputError(
        "corpus file not found", path=str(path),
        hint="build the seed corpora with `mteval corpus build`" if path.parent.name == "corpora" else None,
    )


def _load_file(path: Path, kw: dict[str, Any]) -> list[Segment]:
    """An existing file (or directory) by its extension; an unknown extension is a text source."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise UsageError(f"'{path}' is a directory", hint=f"for a dataset directory use 'hf:{path}'")
    if suffix == ".jsonl":
        return load_jsonl(path, **kw)
    if suffix == ".tsv":
        return load_tsv(path, **kw)
    if suffix == ".xml":
        from evals.corpora.wmtxml import load_wmt_xml

        return load_wmt_xml(path, **kw)
    if suffix in _HF_FILE_BUILDERS:
        return load_hf_dataset(path, **kw)
    return text_set_segments(path, [], **_text_options(kw))


def _text_options(kw: dict[str, Any]) -> dict[str, Any]:
    """A text set's keywords: ``name`` is the corpus name (``corpus`` too, as for the other loaders)."""
    options = dict(kw)
    if "name" in options:
        options["corpus"] = options.pop("name")
    unknown = sorted(set(options) - {"corpus", "docids", "src_lang", "tgt_lang", "script"})
    if unknown:
        raise UsageError(f"a text set has no option '{unknown[0]}'", field=unknown[0],
                         hint="options: name, docids, src_lang, tgt_lang, script")
    return options


def resolve_path(path: str | Path, base: str | Path | None) -> Path:
    """``path`` as given, or under ``base`` when it is relative."""
    resolved = Path(path).expanduser()
    if base is not None and not resolved.is_absolute():
        return Path(base) / resolved
    return resolved


def _has_config(rest: str, base: str | Path | None = None) -> bool:
    """``hf:NAME:CONFIG``: a trailing ``:word`` that is not part of an existing path."""
    head, sep, tail = rest.rpartition(":")
    return bool(sep and head and tail and "/" not in tail and not os.path.exists(resolve_path(rest, base)))


def _split_text_set(spec: str, base: str | Path | None) -> tuple[Path, list[Path]]:
    """``SRC:REF1,REF2`` → (SRC, [REF1, REF2]).

    The source ends at the first ``:`` whose left side is an existing file
    (else at the first ``:``); the rest is one reference if it is an existing
    file, else a comma-separated list.
    """
    cuts = [index for index, char in enumerate(spec) if char == ":"]
    cut = next((index for index in cuts if os.path.isfile(resolve_path(spec[:index], base))), cuts[0])
    source, rest = spec[:cut], spec[cut + 1:]
    if not rest:
        raise UsageError(f"no reference after ':' in '{spec}'", hint="write SRC:REF or SRC:REF1,REF2")
    whole = resolve_path(rest, base)
    parts = [rest] if os.path.exists(whole) else rest.split(",")
    if any(not part for part in parts):
        raise UsageError(f"empty reference path in '{spec}'", hint="write SRC:REF1,REF2 without spaces or "
                         "empty entries")
    return resolve_path(source, base), [resolve_path(part, base) for part in parts]


def _load_flores_spec(rest: str, kw: dict[str, Any]) -> list[Segment]:
    pair, _, split = rest.partition(":")
    if pair:
        src_config, sep, tgt_config = pair.partition("-")
        if not sep or not src_config or not tgt_config:
            raise UsageError(
                f"bad FLORES+ spec 'flores:{rest}'",
                hint="use flores:SRC-TGT[:SPLIT], e.g. flores:cmn_Hans-eng_Latn:devtest",
            )
        kw.setdefault("src_config", src_config)
        kw.setdefault("tgt_config", tgt_config)
    if split:
        kw.setdefault("split", split)
    return load_flores_plus(**kw)


def corpus_hash(segments: Iterable[Segment]) -> str:
    """sha256 (hex) of the segments in order, one canonical JSON line each.

    Canonical: sorted keys, UTF-8 (``ensure_ascii=False``), no spaces, each
    line ending in ``\\n`` — so it equals ``sha256sum`` of a corpus file
    written that way. Any change to any field or to the order changes it.
    """
    digest = hashlib.sha256()
    for segment in segments:
        line = json.dumps(
            segment.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
