"""WMT XML test sets: one file with documents, sources, every reference and system outputs.

The format of ``wmt-conference/wmt-format-tools`` (``schema/wmt-schema.rnc``),
used by WMT since 2021 and by sacrebleu's ``wmt21``/``wmt22`` sets::

    dataset[id] > collection[id] > doc[id, origlang, domain?, testsuite?]
        > src[lang] | ref[lang, translator?] | hyp[lang, system] > p > seg[id]

Why a loader of its own rather than unwrapping to text first: the XML is the
only form that keeps what document-level scores and WMT's split reporting
need -- document ids, paragraphs, ``origlang`` (source- vs target-original
halves) and ``domain`` -- and it carries every reference and every
submission in one file.

What a file becomes:

* one ``Segment`` per ``src`` segment, in file order; ``doc_id`` is the
  document's id, ``seg_id`` is ``"{doc_id}:{seg id}"`` (seg ids count within a
  document), ``para`` the index of the segment's ``<p>`` in its document;
* every ``ref`` of the document, ordered by ``translator`` (``A`` before
  ``B``; a ref without translator first), the first as ``reference``; a
  document without refs gives segments without a reference;
* ``origlang`` and ``domain`` from the document;
* each ``hyp`` keyed by its ``system`` (``WmtXml.hypotheses``), served by the
  ``xml:FILE#SYSTEM`` system backend (``evals.systems.xml``).

Documents with a ``testsuite`` attribute are left out, as sacrebleu and the
WMT tools do: they are challenge sets, not part of the test set.

Strict, with one-line errors naming the file and line: malformed XML (the
parser's line and column), bytes that are not UTF-8 (the one input reader), a
``ref`` or ``hyp`` that lacks segments its ``src`` has or has segments it
lacks, a system missing from a document, duplicate document, segment,
translator or system ids, an empty source segment. Parsing uses lxml, which
sacrebleu already requires (it is how sacrebleu reads these files), because
its elements know their source line.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evals.corpora.language import resolve_script
from evals.corpora.model import LANGS, Segment
from evals.errors import InputError, UsageError, did_you_mean
from evals.inputs import decode, read_bytes


@dataclass(frozen=True)
class WmtXml:
    """A parsed file: its segments and, per system, hypotheses by ``seg_id``."""

    path: str
    segments: list[Segment]
    hypotheses: dict[str, dict[str, str]]

    @property
    def systems(self) -> list[str]:
        """Every system with a ``<hyp>``, in the order of their first appearance."""
        return list(self.hypotheses)


def load_wmt_xml(path: str | Path, *, corpus: str | None = None, src_lang: str | None = None,
                 tgt_lang: str | None = None, script: str | None = None) -> list[Segment]:
    """The segments of a WMT XML file (see the module doc); languages default to the file's."""
    return parse_wmt_xml(path, corpus=corpus, src_lang=src_lang, tgt_lang=tgt_lang, script=script).segments


def parse_wmt_xml(path: str | Path, *, corpus: str | None = None, src_lang: str | None = None,
                  tgt_lang: str | None = None, script: str | None = None,
                  hypotheses_only: bool = False) -> WmtXml:
    """Parse a WMT XML file into segments and every system's hypotheses.

    ``hypotheses_only`` (the ``xml:`` systems) checks the whole file but makes
    no segments: script detection over every source is most of the time, and
    twelve systems of one file would do it twelve times.
    """
    where = str(path)
    root = _parse(where)
    corpus = corpus or Path(where).stem
    documents = [doc for doc in root.iter("doc") if doc.get("testsuite") is None]
    if not documents:
        raise InputError("no <doc> elements: not a WMT XML test set", path=where, line=root.sourceline)
    langs = _Languages(where, src_lang, tgt_lang)
    records: list[dict[str, Any]] = []
    references: list[tuple[str, ...]] = []
    hypotheses: dict[str, dict[str, str]] = {}
    doc_lines: dict[str, int] = {}
    for doc in documents:
        doc_id = _attribute(doc, "id", where)
        if doc_id in doc_lines:
            raise InputError(f"duplicate document id '{doc_id}' (lines {doc_lines[doc_id]} and {doc.sourceline})",
                             path=where, line=doc.sourceline, field="id")
        doc_lines[doc_id] = doc.sourceline
        _read_document(doc, doc_id, where, corpus, langs, records, references, hypotheses, len(doc_lines) == 1)
    langs.finish()
    if hypotheses_only:
        return WmtXml(where, [], hypotheses)
    sources = "\n".join(record["source"] for record in records)
    script = resolve_script(script, langs.src, sources, where)
    segments = []
    for record, refs in zip(records, references):
        line = record.pop("line")
        record.update(src_lang=langs.src, tgt_lang=langs.tgt, script=script,
                      reference=refs[0] if refs else None)
        segment = Segment.from_json(record, path=where, line=line)
        segments.append(replace(segment, more_references=refs[1:]))
    return WmtXml(where, segments, hypotheses)


def _parse(where: str) -> Any:
    """The root element; bad bytes and malformed XML are one-line errors with line (and column)."""
    from lxml import etree

    decoded = decode(read_bytes(where, what="WMT XML file"), where)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                             remove_pis=True, encoding="utf-8")
    try:
        return etree.fromstring(decoded.text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        line, column = error.position
        message = str(error.msg).split(", line ")[0]
        raise InputError(f"malformed XML at column {column}: {message}", path=where, line=line) from None


class _Languages:
    """The file's source and target language, checked once against what mteval evaluates."""

    def __init__(self, where: str, src: str | None, tgt: str | None) -> None:
        self.where = where
        self.given = (src, tgt)
        self.src = src
        self.tgt = tgt

    def see(self, element: Any, side: str) -> None:
        lang = element.get("lang")
        if lang is None:
            return
        lang = lang.split("-")[0].lower()
        current = self.src if side == "src" else self.tgt
        given = self.given[0] if side == "src" else self.given[1]
        if given is not None:
            return
        if lang not in LANGS:
            raise InputError(f"language '{lang}' is not one mteval evaluates (known: {', '.join(LANGS)})",
                             path=self.where, line=element.sourceline, field="lang",
                             hint=did_you_mean(lang, LANGS))
        if current is not None and current != lang:
            raise InputError(f"<{element.tag}> has lang '{lang}', earlier ones '{current}'",
                             path=self.where, line=element.sourceline, field="lang")
        if side == "src":
            self.src = lang
        else:
            self.tgt = lang

    def finish(self) -> None:
        if self.src is None:
            raise InputError("no <src lang=...> to tell the source language", path=self.where)
        if self.tgt is None:
            self.tgt = "en" if self.src == "zh" else "zh"
        if self.src == self.tgt:
            raise UsageError(f"source and target language are both '{self.src}'", field="lang")


def _read_document(doc: Any, doc_id: str, where: str, corpus: str, langs: _Languages,
                   records: list[dict[str, Any]], references: list[tuple[str, ...]],
                   hypotheses: dict[str, dict[str, str]], first: bool) -> None:
    """Append one document's segments, references and hypotheses (checked against its source)."""
    sources = doc.findall("src")
    if len(sources) != 1:
        raise InputError(f"document '{doc_id}' has {len(sources)} <src> elements, expected 1", path=where,
                         line=doc.sourceline)
    src = sources[0]
    langs.see(src, "src")
    source_segs = _segments(src, where, f"<src> of document '{doc_id}'")
    for seg_number, (text, para, line) in source_segs.items():
        if not text.strip():
            raise InputError(f"empty source segment {seg_number} in document '{doc_id}'", path=where, line=line)
    refs = _keyed(doc, "ref", "translator", where, doc_id)
    for ref in refs.values():
        langs.see(ref, "ref")
    ref_texts = [_aligned(ref, source_segs, where, f"<ref translator='{key}'> of document '{doc_id}'",
                          allow_empty=False) for key, ref in sorted(refs.items())]
    hyps = _keyed(doc, "hyp", "system", where, doc_id)
    if not first and set(hyps) != set(hypotheses):
        missing = sorted(set(hypotheses) - set(hyps)) or sorted(set(hyps) - set(hypotheses))
        which = "has no" if set(hypotheses) - set(hyps) else "is the first with a"
        raise InputError(f"document '{doc_id}' {which} <hyp system='{missing[0]}'>: every document needs "
                         f"the same systems", path=where, line=doc.sourceline, field="system")
    for system, hyp in hyps.items():
        langs.see(hyp, "hyp")
        texts = _aligned(hyp, source_segs, where, f"<hyp system='{system}'> of document '{doc_id}'",
                         allow_empty=True)
        target = hypotheses.setdefault(system, {})
        for seg_number, text in zip(source_segs, texts):
            target[f"{doc_id}:{seg_number}"] = text
    origlang, domain = doc.get("origlang"), doc.get("domain")
    for index, (seg_number, (text, para, line)) in enumerate(source_segs.items()):
        records.append({
            "corpus": corpus, "doc_id": doc_id, "seg_id": f"{doc_id}:{seg_number}", "para": para,
            "source": text, "origlang": sys.intern(origlang) if origlang else None,
            "domain": sys.intern(domain) if domain else None, "line": line,
        })
        references.append(tuple(texts[index] for texts in ref_texts))


def _keyed(doc: Any, tag: str, key: str, where: str, doc_id: str) -> dict[str, Any]:
    """A document's ``ref`` (by translator) or ``hyp`` (by system) elements; a key twice is an error."""
    found: dict[str, Any] = {}
    for element in doc.findall(tag):
        name = element.get(key) or ""
        if tag == "hyp" and not name:
            raise InputError(f"<hyp> without a system name in document '{doc_id}'", path=where,
                             line=element.sourceline, field="system")
        if name in found:
            raise InputError(f"duplicate <{tag} {key}='{name}'> in document '{doc_id}' (lines "
                             f"{found[name].sourceline} and {element.sourceline})", path=where,
                             line=element.sourceline, field=key)
        found[name] = element
    return found


def _segments(element: Any, where: str, what: str) -> dict[str, tuple[str, int, int]]:
    """seg id → (text, paragraph index, line) of one src/ref/hyp, in file order; ids must be unique."""
    segs: dict[str, tuple[str, int, int]] = {}
    for para, paragraph in enumerate(element.findall("p")):
        for seg in paragraph.findall("seg"):
            seg_id = seg.get("id")
            if seg_id is None or not seg_id.strip():
                raise InputError(f"<seg> without an id in {what}", path=where, line=seg.sourceline, field="id")
            if seg_id in segs:
                raise InputError(f"duplicate segment id '{seg_id}' in {what} (lines {segs[seg_id][2]} and "
                                 f"{seg.sourceline})", path=where, line=seg.sourceline, field="id")
            segs[seg_id] = ("".join(seg.itertext()).strip(), para, seg.sourceline)
    return segs


def _aligned(element: Any, source: dict[str, tuple[str, int, int]], where: str, what: str,
             allow_empty: bool) -> list[str]:
    """The element's segment texts in source order; a missing or extra segment is an error."""
    segs = _segments(element, where, what)
    missing = [seg_id for seg_id in source if seg_id not in segs]
    extra = [seg_id for seg_id in segs if seg_id not in source]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks segment(s) {_preview(missing)} that the <src> has")
        if extra:
            parts.append(f"has segment(s) {_preview(extra)} that the <src> lacks")
        raise InputError(f"{what} {' and '.join(parts)}", path=where, line=element.sourceline)
    if not allow_empty:
        for seg_id, (text, _, line) in segs.items():
            if not text:
                raise InputError(f"empty segment {seg_id} in {what}", path=where, line=line)
    return [segs[seg_id][0] for seg_id in source]


def _attribute(element: Any, name: str, where: str) -> str:
    value = element.get(name)
    if value is None or not value.strip():
        raise InputError(f"<{element.tag}> needs a non-empty '{name}' attribute", path=where,
                         line=element.sourceline, field=name)
    return value


def _preview(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
