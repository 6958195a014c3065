"""``mteval human extract FILE --format mqm --out DIR``: a run-ready suite from an MQM file's own text.

An MQM file carries every segment's source, each system's output (``target`` with ``<v>`` marks) and
both references (the "systems" ``ref`` and ``refB``). Extracted into ``DIR``:

* ``corpus.jsonl``: one segment per MQM ``seg_id`` (``doc_id`` = the ``doc`` column), ``references`` =
  [``ref``'s target, ``refB``'s target], marks removed;
* ``systems/NAME.jsonl``: one ``file:`` system per MT system (``{"seg_id", "hypothesis"}``);
* ``suite.yaml``: the MT systems plus ``reference:1`` named ``ref`` and ``reference:2`` named ``refB``
  (each reference scored as a system against the other), BLEU and chrF;
* ``suite-mt.yaml``: the MT systems only.

Every row of a (system, segment) must carry the same text once the marks are removed, and every
segment the same source and document: a file where they differ is an error naming the line.
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.errors import InputError
from evals.human.formats import read_human
from evals.outputs import write_output

REFERENCES = ("ref", "refB")  # the MQM file's names of reference A and B, in that order
CORPUS = "mqm-ted"


def extract_suite(path: str | Path, out: str | Path, fmt: str = "mqm", options: dict[str, str] | None = None,
                  name: str = CORPUS) -> dict[str, object]:
    """Write the suite described in the module docstring; return what was written."""
    if fmt != "mqm":
        raise InputError(f"only MQM files carry their own text; got --format {fmt}", field="--format")
    path, out = Path(path), Path(out)
    human = read_human(path, fmt, dict(options or {}))
    conflicts = human.extra.get("conflicts", [])
    if conflicts:
        (system, seg_id), line = conflicts[0]
        raise InputError(f"system {system!r}, segment {seg_id!r}: the target differs from an earlier row's once the "
                         f"<v> marks are removed", path=path, line=line, field="target")
    rows = human.extra.get("rows", {})
    systems = sorted({s for s, _ in human.texts if s not in REFERENCES})
    segments = sorted({g for _, g in human.texts}, key=_seg_order)
    corpus_lines = []
    for seg_id in segments:
        first = _consistent(rows, seg_id, path)
        references = []
        for ref in REFERENCES:
            text = human.texts.get((ref, seg_id))
            if text is None or not text.strip():
                raise InputError(f"segment {seg_id!r} has no {ref!r} text, so no reference", path=path,
                                 line=first["line"], field="target")
            references.append(text)
        corpus_lines.append({"corpus": name, "doc_id": first["doc"], "seg_id": seg_id, "para": 0,
                             "source": first["source"], "references": references, "src_lang": "zh",
                             "tgt_lang": "en", "script": "zh-Hans"})
    try:
        (out / "systems").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the folder: {error.strerror}", path=out, field="--out") from None
    write_output(out / "corpus.jsonl", _jsonl(corpus_lines), field="--out")
    for system in systems:
        hyps = []
        for seg_id in segments:
            if (system, seg_id) not in human.texts:
                raise InputError(f"system {system!r} has no row for segment {seg_id!r}", path=path, field="seg_id")
            hyps.append({"seg_id": seg_id, "hypothesis": human.texts[(system, seg_id)]})
        write_output(out / "systems" / f"{system}.jsonl", _jsonl(hyps), field="--out")
    # ``file:`` paths are absolute: a suite resolves its corpora against its folder, systems against the cwd.
    mt = [{"spec": f"file:{(out / 'systems' / f'{s}.jsonl').resolve()}", "name": s} for s in systems]
    refs = [{"spec": f"reference:{k}", "name": ref} for k, ref in enumerate(REFERENCES, 1)]
    write_output(out / "suite.yaml", _suite(name, mt + refs), field="--out")
    write_output(out / "suite-mt.yaml", _suite(f"{name}-mt", mt), field="--out")
    return {"out": str(out), "segments": len(segments), "systems": systems, "references": list(REFERENCES)}


def _consistent(rows, seg_id: str, path: Path) -> dict:
    found = [info for (_, g), info in rows.items() if g == seg_id]
    first = min(found, key=lambda info: info["line"])
    for info in found:
        for key in ("doc", "source"):  # the source without the <v> marks of source errors
            if info[key] != first[key]:
                raise InputError(f"segment {seg_id!r}: {key} differs from line {first['line']}", path=path,
                                 line=info["line"], field=key)
    return first


def _seg_order(seg_id: str) -> tuple:
    return (0, int(seg_id), "") if seg_id.isascii() and seg_id.isdigit() else (1, 0, seg_id)


def _jsonl(objs: list[dict]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


def _suite(name: str, systems: list[dict]) -> str:
    entries = "".join(f"  - {{spec: {json.dumps(s['spec'])}, name: {json.dumps(s['name'])}}}\n" for s in systems)
    return f"name: {name}\ncorpora: [corpus.jsonl]\nsystems:\n{entries}metrics: [bleu, chrf]\n"
