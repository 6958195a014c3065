"""Build the evaluation corpora from seed files.

``build_corpora(seeds_dir, out_dir)`` reads every ``*.txt`` seed, cleans it,
finds and pairs its halves, splits and aligns sentences, and writes:

* ``paired.zh-Hans.jsonl`` / ``paired.zh-Hant.jsonl`` — paired documents in
  both scripts (one of them converted with OpenCC), same segment ids and
  references;
* ``mono-zh.jsonl`` — Chinese-only documents (script as detected), and with
  ``hant_to_hans`` also ``mono-zh.zh-Hans.jsonl`` where Traditional documents
  are converted to Simplified;
* ``mono-en.jsonl`` — English-only documents (English source, no reference);
* ``documents.jsonl`` — one record per document: title, paragraphs, origin,
  pairing report and cleaning log;
* ``manifest.json`` and ``README.md`` — hashes, counts and the schema.

The output is a pure function of the seed bytes: same seeds, byte-identical
files (no timestamps, stable ordering, rounded floats).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from evals import __version__
from evals.corpora.cleaning import Paragraph, clean_lines
from evals.corpora.halves import Halves, find_halves
from evals.corpora.language import LanguageIdentifier
from evals.corpora.model import Document, Segment
from evals.corpora.script import ScriptConverter
from evals.errors import InputError

BUILDER_VERSION = "1"
SEED_SUFFIXES = (".txt",)


@dataclass
class BuildOptions:
    #: Also write ``mono-zh.zh-Hans.jsonl`` with Traditional documents converted to Simplified.
    hant_to_hans: bool = False
    #: Skip seeds that cannot be read (and report them) instead of failing the build.
    skip_bad: bool = False


@dataclass
class BuildReport:
    documents: list[Document] = field(default_factory=list)
    corpora: dict[str, list[Segment]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


class _Tools:
    """Expensive helpers (lexicon, language ID, OpenCC), loaded once per build."""

    def __init__(self) -> None:
        self.identifier = LanguageIdentifier()
        self.converter = ScriptConverter()
        self._lexicon = None

    @property
    def lexicon(self):
        if self._lexicon is None:
            from evals.corpora.lexicon import Lexicon

            self._lexicon = Lexicon.load()
        return self._lexicon


def seed_files(seeds_dir: Path) -> list[Path]:
    if not seeds_dir.is_dir():
        raise InputError("seed directory does not exist", path=seeds_dir)
    files = sorted(p for p in seeds_dir.iterdir() if p.is_file() and p.suffix in SEED_SUFFIXES)
    if not files:
        raise InputError(f"no seed files ({', '.join(SEED_SUFFIXES)}) found", path=seeds_dir)
    return files


def build_corpora(
    seeds_dir: Path,
    out_dir: Path,
    options: BuildOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    options = options or BuildOptions()
    tools = _Tools()
    report = BuildReport()
    for path in seed_files(Path(seeds_dir)):
        if progress:
            progress(path.name)
        try:
            report.documents.extend(documents_from_seed(path, tools))
        except InputError as error:
            if not options.skip_bad:
                raise
            report.problems.append(str(error))
    for document in report.documents:
        if document.pairing and not document.pairing.paired and document.doc_id.endswith("-zh"):
            report.problems.append(
                f"{document.origin}: halves not paired ({document.pairing.reason}); "
                "kept as monolingual documents"
            )
    report.corpora = corpora_from_documents(report.documents, tools, options)
    report.written = write_corpora(Path(out_dir), report)
    return report


# --- one seed → documents -------------------------------------------------------------------


def documents_from_seed(path: Path, tools: _Tools) -> list[Document]:
    from evals.corpora.reading import detect_script, read_text

    decoded = read_text(path)
    cleaned = clean_lines(decoded.lines, tools.identifier)
    if not cleaned.paragraphs:
        raise InputError(
            f"no article text left after cleaning ({len(cleaned.log)} lines dropped as boilerplate)",
            path=path,
        )
    halves = find_halves(cleaned.paragraphs)
    stem = path.stem
    common = dict(origin=path.name, origin_sha256=decoded.sha256, encoding=decoded.encoding)

    def zh_document(doc_id: str, kind: str) -> Document:
        text = "".join(p.text for p in halves.zh)
        return Document(
            doc_id=doc_id, kind=kind, src_lang="zh", script=detect_script(text),
            title=_text(halves.zh_title), paragraphs=[p.text for p in halves.zh], **common,
        )

    def en_document(doc_id: str) -> Document:
        return Document(
            doc_id=doc_id, kind="mono-en", src_lang="en", script="Latn",
            title=_text(halves.en_title), paragraphs=[p.text for p in halves.en], **common,
        )

    if halves.kind == "paired":
        document = zh_document(stem, "paired")
        document.ref_title = _text(halves.en_title)
        document.ref_paragraphs = [p.text for p in halves.en]
        document.pairing = halves.report
        documents = [document]
    elif halves.kind == "split":
        documents = [zh_document(f"{stem}-zh", "mono-zh"), en_document(f"{stem}-en")]
        for document in documents:
            document.pairing = halves.report
    elif halves.kind == "mono-zh":
        documents = [zh_document(stem, "mono-zh")]
    else:
        documents = [en_document(stem)]
    for document in documents:
        document.cleaning_log = list(cleaned.log)
    _check_lines_kept(halves, path)
    return documents


def _text(paragraph: Paragraph | None) -> str | None:
    return paragraph.text if paragraph else None


def _check_lines_kept(halves: Halves, path: Path) -> None:
    if not halves.zh and not halves.en:
        raise InputError("no paragraphs left after removing titles", path=path)


# --- documents → segments -------------------------------------------------------------------


def corpora_from_documents(
    documents: list[Document], tools: _Tools, options: BuildOptions
) -> dict[str, list[Segment]]:
    corpora: dict[str, list[Segment]] = {}
    paired = [d for d in documents if d.kind == "paired"]
    if paired:
        for script in ("zh-Hans", "zh-Hant"):
            name = f"paired.{script}"
            corpora[name] = [
                seg for d in paired for seg in _paired_segments(d, name, script, tools)
            ]
    mono_zh = [d for d in documents if d.kind == "mono-zh"]
    if mono_zh:
        corpora["mono-zh"] = [seg for d in mono_zh for seg in _mono_segments(d, "mono-zh", d.script, tools)]
        if options.hant_to_hans:
            name = "mono-zh.zh-Hans"
            corpora[name] = [seg for d in mono_zh for seg in _mono_segments(d, name, "zh-Hans", tools)]
    mono_en = [d for d in documents if d.kind == "mono-en"]
    if mono_en:
        corpora["mono-en"] = [seg for d in mono_en for seg in _mono_segments(d, "mono-en", "Latn", tools)]
    return corpora


def _seg_id(doc_id: str, para: int, index: int) -> str:
    return f"{doc_id}:p{para:03d}.s{index:02d}"


def _paired_segments(document: Document, corpus: str, script: str, tools: _Tools) -> list[Segment]:
    from evals.corpora.align import align_paragraph, estimate_ratio

    references = document.ref_paragraphs or []
    ratio = estimate_ratio(document.paragraphs, references)
    segments = []
    for para, (zh_text, en_text) in enumerate(zip(document.paragraphs, references)):
        result = align_paragraph(zh_text, en_text, tools.lexicon, ratio=ratio)
        zh_sents, en_sents = result.zh_sentences, result.en_sentences
        if result.reliable:
            units = [
                ("".join(zh_sents[i] for i in zh_idx), " ".join(en_sents[j] for j in en_idx), kind, score)
                for zh_idx, en_idx, kind, score in merge_null_beads(result.beads)
            ]
        else:
            units = [(zh_text, en_text, "para", result.score)]
        for index, (source, reference, bead, score) in enumerate(units):
            segments.append(Segment(
                corpus=corpus, doc_id=document.doc_id, seg_id=_seg_id(document.doc_id, para, index),
                para=para,
                source=tools.converter.convert(source, document.script, script),
                reference=reference, src_lang="zh", tgt_lang="en", script=script,
                bead=bead, score=round(float(score), 4),
            ))
    return segments


def merge_null_beads(beads) -> list[tuple[tuple[int, ...], tuple[int, ...], str, float]]:
    """Fold 1-0 and 0-1 beads into a neighbour so every segment has both sides.

    A sentence the translator dropped (or added) still has to be scored: it
    joins the preceding bead (or the following one at the start of a
    paragraph), and the merged bead's type says how many sentences it holds.
    """
    merged: list[list] = []
    pending_zh: list[int] = []
    pending_en: list[int] = []
    for bead in beads:
        if not bead.zh or not bead.en:
            if merged:
                merged[-1][0] += list(bead.zh)
                merged[-1][1] += list(bead.en)
                merged[-1][3] = min(merged[-1][3], bead.score)
            else:
                pending_zh += list(bead.zh)
                pending_en += list(bead.en)
            continue
        merged.append([pending_zh + list(bead.zh), pending_en + list(bead.en), None, bead.score])
        pending_zh, pending_en = [], []
    if pending_zh or pending_en:  # a paragraph made only of null beads
        merged.append([pending_zh, pending_en, None, 0.0])
    return [
        (tuple(sorted(zh)), tuple(sorted(en)), f"{len(zh)}-{len(en)}", score)
        for zh, en, _, score in merged
    ]


def _mono_segments(document: Document, corpus: str, script: str, tools: _Tools) -> list[Segment]:
    from evals.corpora.sentences import split_en, split_zh

    split = split_zh if document.src_lang == "zh" else split_en
    tgt_lang = "en" if document.src_lang == "zh" else "zh"
    segments = []
    for para, text in enumerate(document.paragraphs):
        for index, sentence in enumerate(split(text)):
            segments.append(Segment(
                corpus=corpus, doc_id=document.doc_id, seg_id=_seg_id(document.doc_id, para, index),
                para=para, source=tools.converter.convert(sentence, document.script, script),
                reference=None, src_lang=document.src_lang, tgt_lang=tgt_lang, script=script,
                bead="mono", score=None,
            ))
    return segments


# --- writing ----------------------------------------------------------------------------------


def _jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_corpora(out_dir: Path, report: BuildReport) -> list[Path]:
    from evals.corpora.loaders import corpus_hash

    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for name, segments in report.corpora.items():
        files[f"{name}.jsonl"] = _jsonl(s.to_json() for s in segments)
    files["documents.jsonl"] = _jsonl(d.to_json() for d in report.documents)
    manifest = {
        "builder_version": BUILDER_VERSION,
        "mteval_version": __version__,
        "seeds": {d.origin: d.origin_sha256 for d in report.documents},
        "corpora": {
            name: {
                "file": f"{name}.jsonl",
                "documents": len({s.doc_id for s in segments}),
                "segments": len(segments),
                "corpus_hash": corpus_hash(segments),
                "file_sha256": hashlib.sha256(files[f"{name}.jsonl"].encode("utf-8")).hexdigest(),
            }
            for name, segments in report.corpora.items()
        },
    }
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    files["README.md"] = render_readme(report, manifest)
    stale = [p for p in out_dir.glob("*.jsonl") if p.name not in files]
    for path in stale:
        path.unlink()
    written = []
    for name in sorted(files):
        path = out_dir / name
        path.write_text(files[name], encoding="utf-8", newline="\n")
        written.append(path)
    return written


def build_stats(report: BuildReport) -> dict:
    """Counts for the README and the CLI summary."""
    kinds = Counter(d.kind for d in report.documents)
    paired = [d for d in report.documents if d.kind == "paired"]
    dropped = Counter()
    seen = set()
    for d in report.documents:
        for action in d.cleaning_log:
            key = (d.origin, action.line, action.action)
            if key in seen:
                continue
            seen.add(key)
            dropped[(action.action, action.reason)] += 1
    beads = Counter()
    for name, segments in report.corpora.items():
        if name == "paired.zh-Hans":
            beads.update(s.bead for s in segments)
    return {
        "documents": dict(sorted(kinds.items())),
        "paragraph_pairs": sum(len(d.paragraphs) for d in paired),
        "segments": {name: len(segs) for name, segs in report.corpora.items()},
        "beads": dict(sorted(beads.items())),
        "cleaning": {f"{a}: {r}": n for (a, r), n in sorted(dropped.items())},
    }


_SCHEMA = """\
## Segment files (`*.jsonl`)

One JSON object per line, one line per segment, in document order. Fields:

| field | type | meaning |
|---|---|---|
| `corpus` | string | corpus name = file stem (`paired.zh-Hans`, `paired.zh-Hant`, `mono-zh`, `mono-en`, …) |
| `doc_id` | string | document id, from the seed file name (`-zh`/`-en` appended when a file's halves could not be paired) |
| `seg_id` | string | `DOC:pPPP.sSS` — paragraph and segment index; identical across script variants |
| `para` | int ≥ 0 | index of the paragraph in the document (titles are not segments) |
| `source` | string | source text, never empty |
| `reference` | string or null | reference translation; null for monolingual documents |
| `src_lang`, `tgt_lang` | string | `zh`/`en` (English-only documents have `src_lang: en`, `tgt_lang: zh`) |
| `script` | string | script of `source`: `zh-Hans`, `zh-Hant` or `Latn` |
| `bead` | string | sentence-alignment bead `Z-E` (Chinese-English sentence counts, after folding 1-0/0-1 beads into a neighbour); `para` when the alignment was unreliable and the paragraph stayed one segment; `mono` for monolingual documents |
| `score` | number or null | alignment confidence in [0, 1] of the bead (or of the paragraph alignment for `para`) |

`documents.jsonl` holds one object per document: `doc_id`, `kind` (`paired`, `mono-zh`, `mono-en`),
`src_lang`, `script` (detected from the text), `title`, `paragraphs`, `ref_title`, `ref_paragraphs`,
`origin` (seed file name), `origin_sha256`, `encoding`, `pairing` (confidence, reason and checks) and
`cleaning_log` (every dropped or edited line: line number, action, reason, text).

`manifest.json` records the builder version, seed hashes and, per corpus, the segment count and the
`corpus_hash` that every evaluation run stores as provenance.
"""


def render_readme(report: BuildReport, manifest: dict) -> str:
    stats = build_stats(report)
    lines = [
        "# Corpora",
        "",
        "Built by `mteval corpus build` from `seeds/` — do not edit by hand; rebuild instead.",
        "A test fails when these files differ from a fresh build.",
        "",
        "## Contents",
        "",
        "| corpus | documents | segments | corpus hash |",
        "|---|---|---|---|",
    ]
    for name, info in sorted(manifest["corpora"].items()):
        lines.append(f"| `{name}` | {info['documents']} | {info['segments']} | `{info['corpus_hash'][:16]}` |")
    lines += ["", "| document | kind | script | paragraphs | origin | pairing |", "|---|---|---|---|---|---|"]
    for d in report.documents:
        pairing = ""
        if d.pairing:
            pairing = (f"paired, confidence {d.pairing.confidence:.2f}" if d.pairing.paired
                       else f"not paired: {d.pairing.reason}")
        lines.append(f"| `{d.doc_id}` | {d.kind} | {d.script} | {len(d.paragraphs)} | `{d.origin}` | {pairing} |")
    lines += ["", f"Paragraph pairs: {stats['paragraph_pairs']}.", "",
              "Bead types in `paired.zh-Hans`: "
              + ", ".join(f"{k}: {v}" for k, v in stats["beads"].items()) + ".", "",
              "## Cleaning", "", "| action: reason | lines |", "|---|---|"]
    for reason, count in stats["cleaning"].items():
        lines.append(f"| {reason} | {count} |")
    lines += ["", _SCHEMA]
    return "\n".join(lines)
