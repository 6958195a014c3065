"""Human judgements: ``mteval human import|list|extract`` on the real WMT22 DA and TED MQM files.

* MQM (reader level): the documented weights reproduce the publishers' ``mqm_avg_score`` for every
  one of the 7,935 rated segments (exact to 1e-9).
* WMT22 DA into a run of the 12 WMT22 systems on the first 188 lines (BLEU only, to stay fast): one
  stored value per rated (system, segment) of those lines, equal to ``Z.SCR``; the 12 system values
  of ``ad-sys-scores``; ``HUMAN-B`` unmatched without such a system, matched with one.
* MQM end to end: ``human extract`` → ``mteval run`` of its MT systems → ``human import``: every
  segment score and every error span stored, offsets into the run's hypotheses.
* Bad input: one line naming file, line and field; exit 2; nothing stored.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from evals.human.formats import read_human
from evals.human.mqm import read_averages, strip_marks
from evals.human.wmt_da import da_name
from evals.store import open_store
from tests import wmt22
from tests.test_bad_input import cli

MQM = Path(__file__).resolve().parents[2] / "shared" / "data" / "mqm-ted-zh-en"
DA_SEG = wmt22.WMT22 / "ad-seg-scores-zh-en.csv"
DA_SYS = wmt22.WMT22 / "ad-sys-scores-zh-en.csv"


def require_mqm() -> Path:
    if not MQM.is_dir():
        pytest.skip(f"the shared MQM data is not here ({MQM})")
    return MQM


def human_metric_count(db: Path) -> int:
    with open_store(str(db), readonly=True) as store:
        return sum(len(store.human_metrics(r)) for r in store.list_runs()["id"])


# ---- MQM: the published averages ----------------------------------------------------------------


def test_mqm_reproduces_the_published_segment_averages():
    folder = require_mqm()
    human = read_human(folder / "mqm_ted_zhen.tsv", "mqm", {})
    ours = {(s.system, s.seg_id): s.value for s in human.segment_scores()}
    published = {k: v for k, v in read_averages(folder / "mqm_ted_zhen.avg_seg_scores.tsv").items() if v is not None}
    assert len(published) == 7935
    assert set(ours) == set(published)
    worst = max(abs(ours[k] - v) for k, v in published.items())
    assert worst <= 1e-9, worst
    assert "Minor:Fluency/Punctuation=0.1" in human.signature and "*:Non-translation=25" in human.signature


def test_mqm_weights_are_options_recorded_in_the_signature():
    folder = require_mqm()
    default = {(s.system, s.seg_id): s.value for s in read_human(folder / "mqm_ted_zhen.tsv", "mqm", {}).segment_scores()}
    heavier = read_human(folder / "mqm_ted_zhen.tsv", "mqm", {"weight.Major": "10"})
    assert "Major=10" in heavier.signature
    changed = {(s.system, s.seg_id): s.value for s in heavier.segment_scores()}
    assert any(changed[k] < v for k, v in default.items())


def test_mqm_spans_are_offsets_without_the_marks():
    assert strip_marks("I want you to <v>take a moment</v> to consider") == (
        "I want you to take a moment to consider", 14, 27)
    assert strip_marks("no span here") == ("no span here", None, None)
    assert strip_marks("<v>unclosed to the end") == ("unclosed to the end", 0, 19)


# ---- WMT22 DA ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def da_store(tmp_path_factory):
    """A store with run 1 (the 12 WMT22 systems) and run 2 (the same + HUMAN-B = reference B) on lines 1-188."""
    from evals.runner import Runner
    from evals.suite import load_suite
    from tests.conftest import Quiet

    wmt22.require_wmt22()
    folder = tmp_path_factory.mktemp("human-da")
    first = dict(list(wmt22.write_corpora(folder, 10).items())[:1])
    systems = {name: wmt22.write_system(folder / f"{name}.jsonl", first, wmt22.hypotheses(name))
               for name in wmt22.SYSTEMS}
    with_b = {**systems, "HUMAN-B": wmt22.write_system(folder / "HUMAN-B.jsonl", first, wmt22.lines("ref.B.en"))}
    db = folder / "mteval.db"
    with open_store(str(db)) as store:
        for name, chosen in (("wmt22-12", systems), ("wmt22-13", with_b)):
            Runner(store, progress=Quiet()).run(load_suite(wmt22.write_suite(folder, name, first, chosen, ["bleu"])))
    return folder, db, first


@pytest.fixture
def da_db(da_store, tmp_path):
    folder, db, first = da_store
    copy = tmp_path / "mteval.db"
    shutil.copyfile(db, copy)
    return copy, first


def _da_rows(lines: range) -> dict[tuple[str, str], float]:
    rows = [line.split() for line in DA_SEG.read_text("utf-8").splitlines()[1:]]
    wanted = {str(i + 1) for i in lines}
    return {(da_name(r[0]), r[1]): float(r[3]) for r in rows if r[1] in wanted}


def test_da_import_stores_every_rated_segment_and_the_twelve_system_scores(da_db, capsys):
    db, first = da_db
    lines = next(iter(first.values()))
    done = cli(["human", "import", DA_SEG, "--format", "wmt-da", "--name", "da", "--run", "1", "--db", db, "--json"],
               capsys)
    assert done.code == 0, done.err
    summary = json.loads(done.out)
    assert summary["unmatched_systems"] == ["HUMAN-B"]
    assert summary["system_source"] == "file" and summary["system_scores"] == 12
    assert summary["unmatched_segments"] and summary["unmatched_segments"][0] == str(lines.stop + 1)
    expected = {k: v for k, v in _da_rows(lines).items() if k[0] != "HUMAN-B"}
    with open_store(str(db), readonly=True) as store:
        seg = store.human_scores(1, "da", "segment")
        sys_ = store.human_scores(1, "da", "system")
        listed = store.human_metrics(1)
    assert len(seg) == len(expected) == summary["segment_scores"]
    assert {(r.system, r.seg_id): r.value for r in seg.itertuples()} == expected
    published = {da_name(r.split()[3]): float(r.split()[1]) for r in DA_SYS.read_text("utf-8").splitlines()[1:]}
    assert {r.system: r.value for r in sys_.itertuples()} == {k: v for k, v in published.items() if k != "HUMAN-B"}
    assert list(listed["name"]) == ["da"] and listed["segments"][0] == len(expected) and listed["systems"][0] == 12


def test_da_human_b_matches_a_system_named_so_and_raw_scores_are_an_option(da_db, capsys):
    db, first = da_db
    done = cli(["human", "import", DA_SEG, "--format", "wmt-da", "--run", "2", "--option", "field=raw", "--db", db,
                "--json"], capsys)
    assert done.code == 0, done.err
    summary = json.loads(done.out)
    assert summary["unmatched_systems"] == [] and summary["system_scores"] == 13
    assert summary["matched_systems"]["HUMAN-B"] == "HUMAN-B"
    with open_store(str(db), readonly=True) as store:
        sys_ = store.human_scores(2, "wmt-da", "system")
    assert sys_.set_index("system")["value"]["HUMAN-B"] == pytest.approx(73.4095208070618)


def test_replace_and_list(da_db, capsys):
    db, _ = da_db
    args = ["human", "import", DA_SEG, "--format", "wmt-da", "--name", "da", "--run", "1", "--db", db]
    assert cli(args, capsys).code == 0
    again = cli(args, capsys)
    assert again.code == 2 and "already has a human metric 'da'" in again.err and "--replace" in again.err
    assert cli([*args, "--replace"], capsys).code == 0
    listed = cli(["human", "list", "--run", "1", "--db", db, "--format", "json"], capsys)
    assert listed.code == 0 and [m["name"] for m in json.loads(listed.out)] == ["da"]


def test_system_names_by_wmt_file_pattern_and_map(tmp_path, capsys):
    """A plain-text run (`file:…hyp.NAME.en` systems, seg_ids CORPUS:LINE) matches by the file pattern; --map renames."""
    wmt22.require_wmt22()
    src = [wmt22.lines("src.zh")[i] for i in range(30)]
    ref = [wmt22.lines("ref.A.en")[i] for i in range(30)]
    (tmp_path / "t.src.zh").write_text("\n".join(src) + "\n", encoding="utf-8")
    (tmp_path / "t.ref.en").write_text("\n".join(ref) + "\n", encoding="utf-8")
    for name in ("DLUT", "NiuTrans"):
        (tmp_path / f"t.hyp.{name}.en").write_text("\n".join(wmt22.hypotheses(name)[:30]) + "\n", encoding="utf-8")
    db = tmp_path / "p.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        run = cli(["run", "--only", "--corpus", "t.src.zh:t.ref.en", "--system", "file:t.hyp.DLUT.en",
                   "--system", "file:t.hyp.NiuTrans.en", "--metric", "bleu", "--db", db, "--quiet"], capsys)
        assert run.code == 0, run.err
        done = cli(["human", "import", DA_SEG, "--format", "wmt-da", "--db", db, "--json"], capsys)
        assert done.code == 0, done.err
        summary = json.loads(done.out)
        assert summary["matched_systems"] == {"DLUT": "file:t.hyp.DLUT.en", "NiuTrans": "file:t.hyp.NiuTrans.en"}
        assert summary["segment_scores"] == len({k for k in _da_rows(range(30)) if k[0] in ("DLUT", "NiuTrans")})
        mapped = cli(["human", "import", DA_SEG, "--format", "wmt-da", "--name", "m", "--map",
                      "Online-W=file:t.hyp.DLUT.en", "--map", "DLUT=file:t.hyp.NiuTrans.en", "--db", db, "--json"],
                     capsys)
        assert mapped.code == 0, mapped.err
        assert json.loads(mapped.out)["matched_systems"]["Online-W"] == "file:t.hyp.DLUT.en"
        assert "NiuTrans" in json.loads(mapped.out)["unmatched_systems"]  # its file is taken by --map
        clash = cli(["human", "import", DA_SEG, "--format", "wmt-da", "--name", "c", "--map",
                     "Online-W=file:t.hyp.DLUT.en", "--map", "Online-A=file:t.hyp.DLUT.en", "--db", db], capsys)
        assert clash.code == 2 and "both match" in clash.err


# ---- MQM end to end ----------------------------------------------------------------------------


def test_mqm_extract_run_and_import(tmp_path, capsys):
    folder = require_mqm()
    out = tmp_path / "suite"
    done = cli(["human", "extract", folder / "mqm_ted_zhen.tsv", "--format", "mqm", "--out", out], capsys)
    assert done.code == 0, done.err
    corpus = [json.loads(line) for line in (out / "corpus.jsonl").read_text("utf-8").splitlines()]
    assert len(corpus) == 529 and all(len(s["references"]) == 2 for s in corpus)
    assert all("<v>" not in s["references"][0] for s in corpus)
    systems = sorted(p.stem for p in (out / "systems").glob("*.jsonl"))
    assert len(systems) == 13 and "ref" not in systems
    suite = (out / "suite.yaml").read_text("utf-8")
    assert '{spec: "reference:1", name: "ref"}' in suite and '{spec: "reference:2", name: "refB"}' in suite
    db = tmp_path / "m.db"
    mt = out / "suite-mt.yaml"  # the MT systems; BLEU only, to stay fast
    mt.write_text(mt.read_text("utf-8").replace("metrics: [bleu, chrf]", "metrics: [bleu]"), encoding="utf-8")
    run = cli(["run", mt, "--db", db, "--quiet"], capsys)
    assert run.code == 0, run.err
    imported = cli(["human", "import", folder / "mqm_ted_zhen.tsv", "--format", "mqm", "--db", db, "--json"], capsys)
    assert imported.code == 0, imported.err
    summary = json.loads(imported.out)
    assert summary["unmatched_systems"] == ["ref", "refB"] and summary["spans_off_hypothesis"] == 0
    published = read_averages(folder / "mqm_ted_zhen.avg_seg_scores.tsv")
    with open_store(str(db), readonly=True) as store:
        seg = store.human_scores("latest", "mqm", "segment")
        errors = store.human_errors("latest", "mqm")
        hyps = store.translations_df("latest").set_index(["system", "segment_id"])["hypothesis"]
    expected = {k: v for k, v in published.items() if v is not None and k[0] not in ("ref", "refB")}
    assert len(seg) == len(expected)
    assert all(abs(r.value - expected[(r.system, r.seg_id)]) <= 1e-9 for r in seg.itertuples())
    assert len(errors) == summary["errors"] > 0
    rows = [line.split("\t") for line in (folder / "mqm_ted_zhen.tsv").read_text("utf-8").splitlines()[1:]]
    marked = Counter(r[6][r[6].find("<v>") + 3:].split("</v>")[0] for r in rows
                     if r[0] not in ("ref", "refB") and r[8] != "No-error" and "<v>" in r[6])
    spans = Counter(hyps[(e.system, e.segment_id)][int(e.span_start):int(e.span_end)] for e in errors.itertuples()
                    if pd.notna(e.span_start))
    assert spans == marked


# ---- bad input ---------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path, capsys):
    """A run of two systems over four segments (s1..s4) and the paths of good human files."""
    from tests.test_bad_input import CORPUS, HYP_JSONL

    (tmp_path / "news.jsonl").write_text(CORPUS, encoding="utf-8")
    (tmp_path / "good.jsonl").write_text(HYP_JSONL, encoding="utf-8")
    db = tmp_path / "s.db"
    done = cli(["run", "--only", "--corpus", tmp_path / "news.jsonl", "--system", "copy", "--system",
                f"file:{tmp_path / 'good.jsonl'}", "--metric", "bleu", "--db", db, "--quiet"], capsys)
    assert done.code == 0, done.err
    return tmp_path, db


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tsv_jsonl_and_esa_import(small, capsys):
    folder, db = small
    tsv = _write(folder, "h.tsv", "system\tseg_id\tscore\trater\ncopy\ts1\t10\ta\ncopy\ts1\t20\tb\ncopy\ts2\t5\ta\n")
    done = cli(["human", "import", tsv, "--format", "tsv", "--db", db, "--json"], capsys)
    assert done.code == 0, done.err
    esa = _write(folder, "h.esa.jsonl", json.dumps({"system": "copy", "seg_id": "s1", "score": 40, "rater": "a",
                 "errors": [{"start": 0, "end": 3, "severity": "major", "category": "Accuracy"}]}) + "\n")
    assert cli(["human", "import", esa, "--format", "esa", "--db", db], capsys).code == 0
    jl = _write(folder, "h.jsonl", json.dumps({"system": "copy", "seg_id": "s3", "score": 1.5}) + "\n")
    assert cli(["human", "import", jl, "--format", "jsonl", "--db", db], capsys).code == 0
    with open_store(str(db), readonly=True) as store:
        seg = store.human_scores("latest", "tsv").set_index("seg_id")
        sys_ = store.human_scores("latest", "tsv", "system")
        errors = store.human_errors("latest", "esa")
    assert seg.loc["s1", "value"] == 15 and seg.loc["s1", "n"] == 2 and seg.loc["s1", "details"]["raters"] == {
        "a": 10.0, "b": 20.0}
    assert list(sys_["value"]) == [10.0] and sys_["details"][0]["from"] == "mean of segment scores"
    assert list(errors["severity"]) == ["major"] and errors["span_end"][0] == 3


BAD = {
    "unknown format": ("h.tsv", "system\tseg_id\tscore\ncopy\ts1\t1\n", ["--format", "tvs"],
                       ["unknown human-score format 'tvs'", "did you mean 'tsv'"]),
    "DA missing columns": ("ad-seg-scores-x.csv", "SYS SID RAW.SCR N\ncopy.1 s1 50 1\n", ["--format", "wmt-da"],
                           ["ad-seg-scores-x.csv:1 [Z.SCR]", "missing column"]),
    "DA score not a number": ("da.csv", "SYS SID RAW.SCR Z.SCR N\ncopy.1 s1 50 high 1\n", ["--format", "wmt-da"],
                              ["da.csv:2 [Z.SCR]", "not a number: 'high'"]),
    "tsv score not a number": ("h.tsv", "system\tseg_id\tscore\ncopy\ts1\tNaN\n", ["--format", "tsv"],
                               ["h.tsv:2 [score]", "not a finite number"]),
    "duplicate rating": ("h.tsv", "system\tseg_id\tscore\trater\ncopy\ts1\t1\tr\ncopy\ts1\t2\tr\n",
                         ["--format", "tsv"], ["h.tsv:3 [score]", "rated twice with different scores"]),
    "DA duplicate": ("da.csv", "SYS SID RAW.SCR Z.SCR N\ncopy.1 s1 50 0.1 1\ncopy.1 s1 50 0.1 1\ncopy.1 s1 60 0.2 1\n",
                     ["--format", "wmt-da"], ["da.csv:4 [score]", "rated twice with different scores (0.1 on line 2"]),
    "DA short row": ("da.csv", "SYS SID RAW.SCR Z.SCR N\ncopy.1 s1 50 0.1\n", ["--format", "wmt-da"],
                     ["da.csv:2 [N]", "4 columns, the header has 5"]),
    "unknown MQM severity": ("m.tsv", "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"
                             "copy\td1\t1\ts1\tr1\tx\ty\tAccuracy/Mistranslation\tCritical\n", ["--format", "mqm"],
                             ["m.tsv:2 [severity]", "unknown MQM severity 'Critical'"]),
    "unknown MQM category": ("m.tsv", "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"
                             "copy\td1\t1\ts1\tr1\tx\ty\tVibes/Bad\tMajor\n", ["--format", "mqm"],
                             ["m.tsv:2 [category]", "unknown MQM category 'Vibes/Bad'"]),
    "nothing matches": ("h.tsv", "system\tseg_id\tscore\nnobody\ts1\t1\n", ["--format", "tsv"],
                        ["h.tsv", "nothing in the file matches run 1", "nobody"]),
    "no segment matches": ("h.tsv", "system\tseg_id\tscore\ncopy\tzz\t1\n", ["--format", "tsv"],
                           ["nothing in the file matches run 1", "none of their segment ids"]),
    "unknown option": ("h.tsv", "system\tseg_id\tscore\ncopy\ts1\t1\n", ["--format", "tsv", "--option", "x=1"],
                       ["unknown option 'x' for format tsv"]),
    "unknown corpus": ("h.tsv", "system\tseg_id\tscore\ncopy\ts1\t1\n", ["--format", "tsv", "--corpus", "nwes"],
                       ["no corpus 'nwes'", "did you mean 'news'"]),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_one_line_exit_2_and_stores_nothing(case, small, capsys):
    folder, db = small
    name, text, args, fragments = BAD[case]
    path = _write(folder, name, text)
    done = cli(["human", "import", path, *args, "--db", db], capsys)
    assert done.code == 2, done.text
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert human_metric_count(db) == 0


def test_mqm_unknown_severity_can_be_mapped(small, capsys):
    folder, db = small
    path = _write(folder, "m.tsv", "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"
                  "copy\td1\t1\ts1\tr1\tx\t<v>y</v>\tVibes/Bad\tCritical\n")
    done = cli(["human", "import", path, "--format", "mqm", "--option", "severity.Critical=Major",
                "--option", "category.Vibes/Bad=Other", "--db", db, "--json"], capsys)
    assert done.code == 0, done.err
    with open_store(str(db), readonly=True) as store:
        assert list(store.human_scores("latest", "mqm")["value"]) == [-5.0]
        assert "severity.Critical=Major" in store.human_metrics("latest")["signature"][0]


def test_extract_refuses_a_segment_whose_rows_disagree_on_the_hypothesis(tmp_path, capsys):
    header = "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"
    rows = ["m1\td1\t1\t1\tr1\t源\tThe <v>cat</v> sat\tAccuracy/Mistranslation\tMajor",
            "m1\td1\t1\t1\tr2\t源\tThe dog sat\tNo-error\tNo-error",
            "ref\td1\t1\t1\tr1\t源\tThe cat sat.\tNo-error\tNo-error",
            "refB\td1\t1\t1\tr1\t源\tA cat sat.\tNo-error\tNo-error"]
    path = _write(tmp_path, "m.tsv", header + "\n".join(rows) + "\n")
    done = cli(["human", "extract", path, "--out", tmp_path / "out"], capsys)
    assert done.code == 2 and "m.tsv:3 [target]" in done.err and "differs" in done.err, done.err
    good = _write(tmp_path, "g.tsv", header + "\n".join([rows[0], rows[2], rows[3]]) + "\n")
    done = cli(["human", "extract", good, "--out", tmp_path / "out"], capsys)
    assert done.code == 0, done.err
    assert json.loads((tmp_path / "out" / "systems" / "m1.jsonl").read_text("utf-8")) == {
        "seg_id": "1", "hypothesis": "The cat sat"}
    assert json.loads((tmp_path / "out" / "corpus.jsonl").read_text("utf-8"))["references"] == [
        "The cat sat.", "A cat sat."]
