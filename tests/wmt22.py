"""The shared WMT22 zh→en data (``../shared/data/wmt22-zh-en``) as corpora, `file:` systems and suites.

Tests that need it call ``require_wmt22()``, which skips with the reason when
the data is not next to the checkout. Nothing here edits the shared files:
corpora and system files are written to the test's own folder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

WMT22 = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmt22-zh-en"
PREFIX = "generaltest2022.zh-en."
SYSTEMS = ("AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
           "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y")


def require_wmt22() -> Path:
    if not WMT22.is_dir():
        pytest.skip(f"the shared WMT22 data is not here ({WMT22})")
    return WMT22


def lines(name: str) -> list[str]:
    """One file of the set by its suffix: ``src.zh``, ``ref.A.en``, ``hyp.SYSTEM.en``."""
    return (require_wmt22() / f"{PREFIX}{name}").read_text("utf-8").splitlines()


def hypotheses(system: str) -> list[str]:
    return lines(f"hyp.{system}.en")


def slices(n_slices: int, total: int = 1875) -> list[range]:
    """``n_slices`` consecutive line ranges covering ``total`` lines, sizes differing by at most one."""
    bounds = [round(i * total / n_slices) for i in range(n_slices + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]


def write_corpora(folder: Path, n_slices: int, prefix: str = "wmt22") -> dict[str, range]:
    """The test set (reference A) cut into consecutive slices, one JSONL corpus per slice; {name: lines}."""
    from evals.corpora.model import Segment

    sources, references = lines("src.zh"), lines("ref.A.en")
    out = {}
    parts = slices(n_slices, len(sources))
    for k, part in enumerate(parts, 1):
        name = f"{prefix}-s{k:02d}" if n_slices > 1 else prefix
        path = folder / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            for i in part:
                segment = Segment(corpus=name, doc_id=name, seg_id=f"{i + 1}", para=0, source=sources[i],
                                  reference=references[i], src_lang="zh", tgt_lang="en", script="zh-Hans")
                stream.write(json.dumps(segment.to_json(), ensure_ascii=False) + "\n")
        out[name] = part
    return out


def write_system(path: Path, corpora: Mapping[str, range], hyps: Sequence[str]) -> str:
    """A `file:` system (JSONL ``{"corpus", "seg_id", "hypothesis"}``) of ``hyps`` over ``corpora``."""
    with path.open("w", encoding="utf-8") as stream:
        for name, part in corpora.items():
            for i in part:
                stream.write(json.dumps({"corpus": name, "seg_id": f"{i + 1}", "hypothesis": hyps[i]},
                                        ensure_ascii=False) + "\n")
    return f"file:{path}"


def write_suite(folder: Path, name: str, corpora: Mapping[str, range], systems: Mapping[str, str],
                metrics: Sequence[str]) -> Path:
    """A suite of the corpora written by ``write_corpora`` and named ``file:`` systems."""
    entries = "\n".join(f"  - {{spec: {json.dumps(spec)}, name: {json.dumps(label)}}}"
                        for label, spec in systems.items())
    paths = ", ".join(json.dumps(str(folder / f"{c}.jsonl")) for c in corpora)
    suite = folder / f"{name}.yaml"
    suite.write_text(f"name: {name}\ncorpora: [{paths}]\nsystems:\n{entries}\nmetrics: [{', '.join(metrics)}]\n",
                     encoding="utf-8")
    return suite


def twelve_systems_run(folder: Path, metrics: Sequence[str] = ("bleu", "chrf"), *,
                       human_b: bool = False) -> tuple[Path, int]:
    """A store with one run: the 12 WMT22 systems on the whole test set (reference A); (db, run id).

    ``human_b``: reference B is a 13th system, ``HUMAN-B``, as in WMT's human evaluation.
    """
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite
    from tests.conftest import Quiet

    corpora = write_corpora(folder, 1)
    systems = {name: write_system(folder / f"{name}.jsonl", corpora, hypotheses(name)) for name in SYSTEMS}
    if human_b:
        systems["HUMAN-B"] = write_system(folder / "HUMAN-B.jsonl", corpora, lines("ref.B.en"))
    suite = write_suite(folder, "wmt22-12", corpora, systems, metrics)
    db = folder / "mteval.db"
    with open_store(str(db)) as store:
        run = Runner(store, progress=Quiet()).run(load_suite(suite)).run_id
    return db, run
