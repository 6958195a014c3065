"""The bad-input campaign: every malformed input is one clear line, exit code 2, and loses nothing.

Each table case writes its input files to a temporary directory holding a
store that already has a good run, drives the real CLI (``evals.cli.main``,
the console script's own entry point, in-process for speed; a few cases also
run ``python -m evals`` in a subprocess), and checks

* exit code 2 and no traceback;
* the message names what and where: the file, the line where there is one,
  and the field or segment id;
* nothing already stored is lost: the good run's scores and translations are
  unchanged, and a run the bad input started is marked ``failed``, never left
  ``running`` (read back with ``mteval runs --format json``).

Decisions on empty text (the issue asks to choose and say why):

* an empty or whitespace-only **source** is an error naming the file, line and
  field: there is nothing to translate, so no score would mean anything;
* an empty or whitespace-only **reference** is accepted and scored exactly as
  sacrebleu scores it. The corpus format round-trips any string (``null`` is
  "no reference"), and sacrebleu defines the result, so nothing is invented;
* an empty or whitespace-only **hypothesis** is a legitimate system output
  (a model that gave up): it is scored like sacrebleu does and flagged
  ``empty``, never a crash.

Property-based tests (hypothesis) then throw random bytes and JSON-ish lines at
the corpus loader and the ``file:`` reader, random unknown keys at suites, and
arbitrary Unicode at the four lexical metrics.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evals.cli import main
from evals.corpora.loaders import load_jsonl
from evals.errors import InputError
from evals.store import open_store

# --- the good inputs --------------------------------------------------------------------

SEGMENTS = [  # (doc_id, seg_id, source, reference)
    ("d1", "s1", "今天天气很好，我们去公园散步。", "The weather is nice today, so we went for a walk in the park."),
    ("d1", "s2", "公园里有很多人在跑步。", "Many people were running in the park."),
    ("d2", "s3", "他在北京的一家银行工作。", "He works at a bank in Beijing."),
    ("d2", "s4", "这本书很有意思，我读了两遍。", "This book is very interesting; I read it twice."),
]
HYPS = [
    "The weather is good today, we went to the park for a walk.",
    "There are many people running in the park.",
    "He works in a bank of Beijing.",
    "This book is interesting, I have read it two times.",
]
METRICS = ["bleu", "chrf", "chrf++", "ter"]


def segment_obj(doc_id, seg_id, source, reference, corpus="news", script="zh-Hans"):
    return {"corpus": corpus, "doc_id": doc_id, "seg_id": seg_id, "para": 0, "source": source,
            "reference": reference, "src_lang": "zh", "tgt_lang": "en", "script": script}


def jline(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


CORPUS_LINES = [jline(segment_obj(*row)) for row in SEGMENTS]
CORPUS = "\n".join(CORPUS_LINES) + "\n"
HYP_LINES = [jline({"seg_id": row[1], "hypothesis": hyp}) for row, hyp in zip(SEGMENTS, HYPS)]
HYP_JSONL = "\n".join(HYP_LINES) + "\n"
HYP_TXT = "\n".join(HYPS) + "\n"


def suite_yaml(corpus="news.jsonl", system="{spec: 'file:good.jsonl', name: model}", metrics="[bleu, chrf, chrf++, ter]",
               extra="") -> str:
    return f"name: campaign\ncorpora: [{corpus}]\nsystems:\n  - {system}\nmetrics: {metrics}\n{extra}"


GOOD_FILES = {"news.jsonl": CORPUS, "good.jsonl": HYP_JSONL, "good.yaml": suite_yaml()}


# --- driving the CLI ----------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


# A small scored store shared by the CLI tests that need a run and a baseline to point at.
SCORED_REF = "the cat sat on the mat\na dog ran in the park\nbirds sing in the morning\n"
SCORED_HYPS = {"a.txt": "the cat sat on a mat\na dog ran in a park\nbirds sing at morning\n",
               "b.txt": "a cat sat on the mat\nthe dog ran in the park\nbirds sang in the morning\n"}


def scored_store(folder: Path) -> Path:
    """``folder`` with a store ``s.db`` holding run 1 (systems a.txt, b.txt; BLEU) and ``base.json``, a baseline of a.txt."""
    (folder / "ref.txt").write_text(SCORED_REF, encoding="utf-8")
    for name, text in SCORED_HYPS.items():
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for args in (["score", "ref.txt", "-i", "a.txt", "-i", "b.txt", "-m", "bleu"],
                     ["baseline", "save", "1:a.txt", "--out", "base.json"]):
            with pytest.raises(SystemExit) as done:
                main([*args, "--db", "s.db"])
            assert done.value.code in (0, None)
    return folder


def copy_files(source: Path, target: Path) -> Path:
    """Every file directly in ``source`` copied into ``target`` (a fresh store per test)."""
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    return target


def cli(args: list[str], capsys) -> Outcome:
    """``mteval ARGS`` through the console script's entry point; an escaped exception is a traceback."""
    capsys.readouterr()
    code = 0
    trace = ""
    try:
        main([str(a) for a in args])
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - anything else reaching here is what the campaign hunts
        trace = traceback.format_exc()
        code = 1
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err + trace)


def subprocess_cli(args: list[str], cwd: Path) -> Outcome:
    done = subprocess.run([sys.executable, "-m", "evals", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)
    return Outcome(done.returncode, done.stdout, done.stderr)


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, data in files.items():
        path = folder / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def snapshot(db: Path, run_id: int) -> dict:
    """Everything the good run stored: scores (value, signature) and translations, in a stable order."""
    with open_store(db) as store:
        scores = store.scores_df(run_id)
        hyps = store.translations_df(run_id)
    score_rows = sorted(
        (r.system, r.metric, r.level, r.corpus, str(r.doc_id), str(r.segment_id), r.value, r.signature)
        for r in scores.itertuples(index=False)
    )
    hyp_rows = sorted((r.system, r.corpus, r.seg_id, r.hypothesis) for r in hyps.itertuples(index=False))
    return {"scores": score_rows, "translations": hyp_rows}


def runs(capsys, db: Path) -> list[dict]:
    listed = cli(["runs", "--db", db, "--format", "json"], capsys)
    assert listed.code == 0, listed.text
    return json.loads(listed.out)


@pytest.fixture(scope="module")
def good_store(tmp_path_factory):
    """A store holding one good run of the good suite (built once, copied per test)."""
    folder = tmp_path_factory.mktemp("good-store")
    write_files(folder, GOOD_FILES)
    done = subprocess_cli(["run", "good.yaml", "--db", folder / "r.db", "--quiet", "--format", "json"], folder)
    assert done.code == 0, done.err
    assert "Traceback" not in done.err
    return folder


@pytest.fixture
def workdir(good_store, tmp_path, monkeypatch):
    """A fresh copy of the good store and files; the working directory for relative paths."""
    copy_files(good_store, tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the table ------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]
    args: list[str]
    fragments: list[str]


def corpus_with(line2: str | None = None, append: str | None = None) -> str:
    lines = list(CORPUS_LINES)
    if line2 is not None:
        lines[1] = line2
    if append is not None:
        lines.append(append)
    return "\n".join(lines) + "\n"


def seg2(**changes) -> str:
    obj = segment_obj(*SEGMENTS[1])
    for key, value in changes.items():
        if value is ...:
            del obj[key]
        else:
            obj[key] = value
    return jline(obj)


def hyps_with(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


RUN_BAD_CORPUS = ["run", "bad.yaml"]
BAD_CORPUS_SUITE = suite_yaml(corpus="bad.jsonl")
RUN_HYPS = ["run", "good.yaml", "--only", "--system"]
LATIN1_HYPS = HYP_TXT.replace("weather", "w\u00e9ather").encode("latin-1")
SHORT_CMD = "import sys; lines = sys.stdin.read().splitlines(); print('\\n'.join(lines[:-1]))"
LONG_CMD = "import sys; lines = sys.stdin.read().splitlines(); print('\\n'.join(lines + ['extra']))"


def corpus_case(case_id: str, data: str | bytes, fragments: list[str]) -> Case:
    return Case(case_id, {"bad.jsonl": data, "bad.yaml": BAD_CORPUS_SUITE}, RUN_BAD_CORPUS, fragments)


def suite_case(case_id: str, text: str | bytes, fragments: list[str]) -> Case:
    return Case(case_id, {"bad.yaml": text}, ["run", "bad.yaml"], fragments)


def hyp_case(case_id: str, name: str, data: str | bytes, fragments: list[str]) -> Case:
    return Case(case_id, {name: data}, [*RUN_HYPS, f"file:{name}"], fragments)


CASES = [
    # corpus JSONL
    corpus_case("corpus-bad-json", corpus_with(append='{"corpus": "news", bad'),
                ["bad.jsonl:5", "malformed JSON", "column"]),
    corpus_case("corpus-not-an-object", corpus_with(line2="[1, 2]"), ["bad.jsonl:2", "expected a JSON object"]),
    corpus_case("corpus-missing-field", corpus_with(line2=seg2(source=...)),
                ["bad.jsonl:2", "[source]", "missing required field"]),
    corpus_case("corpus-wrong-type", corpus_with(line2=seg2(seg_id=5)), ["bad.jsonl:2", "[seg_id]", "must be a string"]),
    corpus_case("corpus-wrong-type-para", corpus_with(line2=seg2(para="two")), ["bad.jsonl:2", "[para]", "integer"]),
    corpus_case("corpus-unknown-field", corpus_with(line2=seg2(refrence="x")), ["bad.jsonl:2", "[refrence]", "unknown"]),
    corpus_case("corpus-key-twice", corpus_with(line2=seg2()[:-1] + ', "source": "别的"}'),
                ["bad.jsonl:2", "[source]", "twice"]),
    corpus_case("corpus-duplicate-seg-id", corpus_with(append=jline(segment_obj("d2", "s1", "又一句。", "Again."))),
                ["bad.jsonl:5", "duplicate seg_id 's1'", "lines 1 and 5"]),
    corpus_case("corpus-empty-source", corpus_with(line2=seg2(source="")), ["bad.jsonl:2", "[source]", "empty"]),
    corpus_case("corpus-whitespace-source", corpus_with(line2=seg2(source=" \u3000\t ")),
                ["bad.jsonl:2", "[source]", "whitespace"]),
    corpus_case("corpus-utf16-without-bom", CORPUS.encode("utf-16-le"), ["bad.jsonl:1", "NUL", "UTF-16"]),
    corpus_case("corpus-latin1-bytes", corpus_with(line2=seg2(reference="Cafe life.")).encode().replace(b"Cafe", b"Caf\xe9"),
                ["bad.jsonl:2", "cannot decode", "0xe9"]),
    corpus_case("corpus-control-character", CORPUS.replace("d2", "d\x012", 1), ["bad.jsonl:3", "control character"]),
    corpus_case("corpus-empty-file", b"", ["bad.jsonl", "empty"]),
    corpus_case("corpus-whitespace-only-file", "\n  \n\t\n", ["bad.jsonl", "empty"]),
    Case("corpus-not-found", {"bad.yaml": suite_yaml(corpus="missing.jsonl")}, ["run", "bad.yaml"],
         ["missing.jsonl", "not found"]),
    # suite YAML
    suite_case("suite-syntax-error", "name: s\ncorpora: [news.jsonl\nsystems: [copy]\nmetrics: [bleu]\n",
               ["bad.yaml:3", "invalid YAML", "started on line 2"]),
    suite_case("suite-tab-indent", "name: s\ncorpora: [news.jsonl]\n\tsystems: [copy]\nmetrics: [bleu]\n",
               ["bad.yaml:3", "invalid YAML", "'\\t'"]),
    suite_case("suite-unknown-top-key", suite_yaml().replace("systems:", "system:"),
               ["bad.yaml:3", "[system]", "unknown key 'system'", "did you mean 'systems'?"]),
    suite_case("suite-unknown-system-key", suite_yaml(system="{spec: 'file:good.jsonl', nmae: model}"),
               ["bad.yaml:4", "[nmae]", "did you mean 'name'?"]),
    suite_case("suite-unknown-metric-key", suite_yaml(metrics="[{name: bleu, optons: {}}]"),
               ["bad.yaml:5", "[optons]", "did you mean 'options'?"]),
    suite_case("suite-unknown-corpus-key", suite_yaml(corpus="{pth: news.jsonl}"),
               ["bad.yaml:2", "[pth]", "did you mean 'path'?"]),
    suite_case("suite-unknown-option", suite_yaml(extra="options: {batchsize: 8}\n"),
               ["bad.yaml:6", "[batchsize]", "did you mean 'batch_size'?"]),
    suite_case("suite-key-twice", suite_yaml(extra="metrics: [ter]\n"), ["bad.yaml:6", "[metrics]", "twice", "lines 5 and 6"]),
    suite_case("suite-unknown-metric", suite_yaml(metrics="[chrf, bleuu]"),
               ["bad.yaml:5", "unknown metric 'bleuu'", "did you mean 'bleu'?"]),
    suite_case("suite-unknown-system", suite_yaml(system="cpy"), ["bad.yaml:4", "unknown system backend 'cpy'",
                                                                  "did you mean 'copy'?"]),
    suite_case("suite-not-a-mapping", "- name: s\n- corpora: []\n", ["bad.yaml:1", "must be a YAML mapping"]),
    suite_case("suite-empty", "", ["bad.yaml:1", "must be a YAML mapping"]),
    suite_case("suite-type-systems-mapping", suite_yaml().replace("systems:\n  - ", "systems:\n  x: "),
               ["bad.yaml:4", "[systems]", "must be a list"]),
    suite_case("suite-type-name-list", suite_yaml().replace("name: campaign", "name: [a, b]"),
               ["bad.yaml:1", "[name]", "non-empty string"]),
    suite_case("suite-type-batch-size-text", suite_yaml(extra="options: {batch_size: many}\n"),
               ["bad.yaml:6", "[batch_size]", "positive integer", "'many'"]),
    suite_case("suite-type-batch-size-zero", suite_yaml(extra="options:\n  jobs: 2\n  batch_size: 0\n"),
               ["bad.yaml:8", "[batch_size]", "positive integer"]),
    suite_case("suite-type-options-scalar", suite_yaml(extra="options: 5\n"), ["bad.yaml:6", "[options]", "mapping"]),
    suite_case("suite-type-metric-options-list", suite_yaml(metrics="[{name: bleu, options: [1]}]"),
               ["bad.yaml:5", "[options]", "mapping"]),
    suite_case("suite-latin1-bytes", suite_yaml().replace("campaign", "caf\u00e9").encode("latin-1"),
               ["bad.yaml:1", "not valid UTF-8", "0xe9"]),
    suite_case("suite-python-tag", suite_yaml(extra="options: {batch_size: !!python/object:os.system x}\n"),
               ["bad.yaml:6", "invalid value", "python/object"]),
    suite_case("suite-undefined-alias", suite_yaml(extra="options: {batch_size: *n}\n"),
               ["bad.yaml:6", "invalid YAML", "alias"]),
    Case("suite-metric-unknown-option", {"bad.yaml": suite_yaml(metrics="[{name: bleu, options: {smoth_method: exp}}]")},
         ["run", "bad.yaml"], ["smoth_method", "bleu", "did you mean 'smooth_method'?"]),
    Case("suite-not-found", {}, ["run", "nothere.yaml"], ["nothere.yaml", "not found"]),
    # file: hypotheses
    hyp_case("hyps-missing-id", "bad.jsonl", hyps_with(HYP_LINES[:3]), ["bad.jsonl", "[seg_id]", "1 missing id: 's4'"]),
    hyp_case("hyps-extra-id", "bad.jsonl", hyps_with([*HYP_LINES, jline({"seg_id": "s9", "hypothesis": "x"})]),
             ["bad.jsonl:5", "[seg_id]", "extra id", "'s9'"]),
    hyp_case("hyps-duplicate-id", "bad.jsonl", hyps_with([*HYP_LINES, HYP_LINES[1]]),
             ["bad.jsonl:5", "[seg_id]", "duplicate id", "'s2' (lines 2, 5)"]),
    hyp_case("hyps-bad-json", "bad.jsonl", hyps_with([*HYP_LINES[:2], '{"seg_id": "s3", "hypothesis": ', HYP_LINES[3]]),
             ["bad.jsonl:3", "malformed JSON"]),
    hyp_case("hyps-not-an-object", "bad.jsonl", hyps_with([*HYP_LINES[:2], '"s3"', HYP_LINES[3]]),
             ["bad.jsonl:3", "expected a JSON object"]),
    hyp_case("hyps-wrong-type", "bad.jsonl", hyps_with([*HYP_LINES[:2], '{"seg_id": "s3", "hypothesis": 3}', HYP_LINES[3]]),
             ["bad.jsonl:3", "[hypothesis]", "must be a string"]),
    hyp_case("hyps-missing-key", "bad.jsonl", hyps_with([*HYP_LINES[:2], '{"seg_id": "s3"}', HYP_LINES[3]]),
             ["bad.jsonl:3", "[hypothesis]", "missing required key"]),
    hyp_case("hyps-unknown-key", "bad.jsonl", hyps_with([*HYP_LINES[:2], '{"seg_id": "s3", "hypotesis": "x"}', HYP_LINES[3]]),
             ["bad.jsonl:3", "[hypotesis]", "did you mean 'hypothesis'?"]),
    hyp_case("hyps-doc-id-mismatch", "bad.jsonl",
             hyps_with([*HYP_LINES[:2], jline({"seg_id": "s3", "hypothesis": "x", "doc_id": "d1"}), HYP_LINES[3]]),
             ["bad.jsonl:3", "[doc_id]", "'s3'"]),
    hyp_case("hyps-utf16-without-bom", "bad.jsonl", HYP_JSONL.encode("utf-16-le"), ["bad.jsonl:1", "NUL", "UTF-16"]),
    hyp_case("hyps-latin1-txt", "bad.txt", LATIN1_HYPS, ["bad.txt:1", "not valid UTF-8", "0xe9"]),
    hyp_case("hyps-gb18030-txt", "bad.txt", HYP_TXT.replace("Beijing", "北京").encode("gb18030"),
             ["bad.txt:3", "not valid UTF-8"]),
    hyp_case("hyps-txt-one-line-too-few", "bad.txt", "\n".join(HYPS[:3]) + "\n",
             ["bad.txt", "3 lines", "4 segments in corpus 'news'"]),
    hyp_case("hyps-txt-one-line-too-many", "bad.txt", HYP_TXT + "one more\n",
             ["bad.txt", "5 lines", "4 segments in corpus 'news'"]),
    Case("hyps-not-found", {}, [*RUN_HYPS, "file:nothere.jsonl"], ["nothere.jsonl", "not found"]),
    # a system that returns the wrong number of outputs
    Case("cmd-one-output-too-few", {"short.py": SHORT_CMD}, [*RUN_HYPS, f"cmd:{sys.executable} short.py"],
         ["short.py", "wrote 3 lines for 4 input lines"]),
    Case("cmd-one-output-too-many", {"long.py": LONG_CMD}, [*RUN_HYPS, f"cmd:{sys.executable} long.py"],
         ["long.py", "wrote 5 lines for 4 input lines"]),
]


def check_nothing_lost(capsys, db: Path, before: dict, runs_before: int) -> list[dict]:
    """The good run is intact and 'done'; any run the bad input started is 'failed'."""
    listed = runs(capsys, db)
    by_id = {r["id"]: r for r in listed}
    assert by_id[1]["status"] == "done"
    assert snapshot(db, 1) == before
    new = [r for r in listed if r["id"] > runs_before]
    assert all(r["status"] == "failed" for r in new), new
    return new


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_and_loses_nothing(case, workdir, capsys):
    db = workdir / "r.db"
    before = snapshot(db, 1)
    runs_before = len(runs(capsys, db))
    write_files(workdir, case.files)
    outcome = cli([*case.args, "--db", db, "--quiet", "--format", "json"], capsys)
    assert "Traceback" not in outcome.text, outcome.text
    assert outcome.code == 2, outcome.text
    message = outcome.err.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    for fragment in case.fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    check_nothing_lost(capsys, db, before, runs_before)


@pytest.mark.parametrize("case_id", ["corpus-bad-json", "hyps-duplicate-id", "suite-latin1-bytes", "cmd-one-output-too-few"])
def test_console_script_in_a_subprocess(case_id, workdir):
    """The same through ``python -m evals``: the exit code and stderr a shell or CI sees."""
    case = next(c for c in CASES if c.id == case_id)
    write_files(workdir, case.files)
    outcome = subprocess_cli([*case.args, "--db", workdir / "r.db", "--quiet"], workdir)
    assert outcome.code == 2 and "Traceback" not in outcome.err, outcome.err
    assert all(fragment in outcome.err for fragment in case.fragments), outcome.err
    assert len(outcome.err.strip().splitlines()) == 1, outcome.err


# --- accepted inputs that must be scored correctly -----------------------------------------


def sacrebleu_scores(hyps: list[str], refs: list[str]) -> dict[str, tuple[list[float], float]]:
    """Segment and system scores straight from sacrebleu, as the sacrebleu CLI computes them."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    makers = {"bleu": (BLEU, {}), "chrf": (CHRF, {}), "chrf++": (CHRF, {"word_order": 2}), "ter": (TER, {})}
    scores = {}
    for name, (cls, kw) in makers.items():
        sentence = cls(**kw, **({"effective_order": True} if cls is BLEU else {}))
        segment = [sentence.sentence_score(h, [r]).score for h, r in zip(hyps, refs)]
        scores[name] = (segment, cls(**kw).corpus_score(hyps, [refs]).score)
    return scores


def stored_scores(db: Path, run_id: int) -> dict[str, tuple[dict[str, float], float]]:
    with open_store(db) as store:
        frame = store.scores_df(run_id)
        hyps = store.translations_df(run_id)
    seg_of = dict(zip(hyps["segment_id"], hyps["seg_id"]))
    out = {}
    for metric in METRICS:
        rows = frame[frame["metric"] == metric]
        segment = {seg_of[r.segment_id]: r.value for r in rows[rows["level"] == "segment"].itertuples()}
        (system,) = rows[rows["level"] == "system"]["value"]
        out[metric] = (segment, system)
    return out


def assert_matches_sacrebleu(db, run_id, seg_ids, hyps, refs):
    stored = stored_scores(db, run_id)
    expected = sacrebleu_scores(hyps, refs)
    for metric in METRICS:
        segment, system = stored[metric]
        want_segment, want_system = expected[metric]
        assert [segment[s] for s in seg_ids] == pytest.approx(want_segment, abs=1e-9), metric
        assert system == pytest.approx(want_system, abs=1e-9), metric


def test_empty_and_whitespace_hypotheses_and_references_are_scored_like_sacrebleu(workdir, capsys):
    """Empty/whitespace hypotheses and references are scored (see the module docstring), never a crash."""
    refs = [SEGMENTS[0][3], "", " \t ", SEGMENTS[3][3]]
    hyps = ["", "   ", "He works at a bank.", HYPS[3]]
    rows = [segment_obj(d, s, src, ref) for (d, s, src, _), ref in zip(SEGMENTS, refs)]
    write_files(workdir, {
        "blank.jsonl": "\n".join(map(jline, rows)) + "\n",
        "blank-hyps.jsonl": hyps_with([jline({"seg_id": s, "hypothesis": h}) for (_, s, _, _), h in zip(SEGMENTS, hyps)]),
        "blank.yaml": suite_yaml(corpus="blank.jsonl", system="{spec: 'file:blank-hyps.jsonl', name: blank}"),
    })
    outcome = cli(["run", "blank.yaml", "--db", workdir / "r.db", "--quiet", "--format", "json"], capsys)
    assert outcome.code == 0 and "Traceback" not in outcome.text, outcome.text
    run_id = max(r["id"] for r in runs(capsys, workdir / "r.db"))
    assert_matches_sacrebleu(workdir / "r.db", run_id, [s[1] for s in SEGMENTS], hyps, refs)
    with open_store(workdir / "r.db") as store:
        flags = {r.seg_id: r.flags for r in store.translations_df(run_id).itertuples()}
    assert "empty" in flags["s1"] and "empty" in flags["s2"] and "empty" not in flags["s4"]


def test_a_10000_character_segment_is_scored_whole(workdir, capsys):
    """10,000-character source, reference and hypothesis: stored whole and scored exactly as sacrebleu does."""
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    reference = " ".join(words[i % 10] + str(i % 97) for i in range(2000))[:10_000]
    # A light edit of the reference (every 7th word replaced), as a real system would give: a scrambled or
    # padded 10,000-character hypothesis is scored correctly too, but sacrebleu's TER shift search takes minutes.
    hypothesis = " ".join(w if i % 7 else "z" * len(w) for i, w in enumerate(reference.split(" ")))
    source = ("今天天气很好，我们去公园散步。" * 700)[:10_000]
    assert len(reference) == len(hypothesis) == len(source) == 10_000
    rows = [segment_obj("d1", "long", source, reference), segment_obj(*SEGMENTS[1])]
    write_files(workdir, {
        "long.jsonl": "\n".join(map(jline, rows)) + "\n",
        "long-hyps.txt": hypothesis + "\n" + HYPS[1] + "\n",
        "long.yaml": suite_yaml(corpus="long.jsonl", system="{spec: 'file:long-hyps.txt', name: long}"),
    })
    outcome = cli(["run", "long.yaml", "--db", workdir / "r.db", "--quiet", "--format", "json"], capsys)
    assert outcome.code == 0 and "Traceback" not in outcome.text, outcome.text
    run_id = max(r["id"] for r in runs(capsys, workdir / "r.db"))
    with open_store(workdir / "r.db") as store:
        stored = {r.seg_id: r for r in store.translations_df(run_id).itertuples()}
    assert (stored["long"].hypothesis, stored["long"].source, stored["long"].reference) == (hypothesis, source, reference)
    assert_matches_sacrebleu(workdir / "r.db", run_id, ["long", "s2"], [hypothesis, HYPS[1]],
                             [reference, SEGMENTS[1][3]])


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
def test_legacy_chinese_corpus_encodings_read_as_the_utf8_file(encoding, workdir, capsys):
    """GB18030/Big5 corpora are decoded strictly (see evals/corpora/reading.py), not rejected:
    the run scores exactly what the UTF-8 file gives, so the encoding cannot change a number."""
    script = "zh-Hant" if encoding == "big5" else "zh-Hans"
    sources = ["今天天氣很好，我們去公園散步。", "公園裡有很多人在跑步。", "他在北京的一家銀行工作。", "這本書很有意思，我讀了兩遍。"]
    rows = [segment_obj(d, s, src, ref, script=script) for (d, s, _, ref), src in zip(SEGMENTS, sources)]
    text = "\n".join(map(jline, rows)) + "\n"
    write_files(workdir, {"utf8.jsonl": text, "legacy.jsonl": text.encode(encoding),
                          "utf8.yaml": suite_yaml(corpus="utf8.jsonl"),
                          "legacy.yaml": suite_yaml(corpus="legacy.jsonl")})
    boards = []
    for suite in ("utf8.yaml", "legacy.yaml"):
        outcome = cli(["run", suite, "--db", workdir / "r.db", "--quiet", "--format", "json"], capsys)
        assert outcome.code == 0 and "Traceback" not in outcome.text, outcome.text
        boards.append(json.loads(outcome.out))
    assert boards[0] == boards[1]


# --- a metric that returns NaN ---------------------------------------------------------------


@pytest.fixture(scope="module")
def nan_comet(tmp_path_factory):
    """A tiny COMET checkpoint whose estimator outputs NaN: a real metric that returns NaN in a real run."""
    pytest.importorskip("comet")
    torch = pytest.importorskip("torch")
    from tests.tiny_comet import build

    built = build(tmp_path_factory.getbasetemp() / "tiny-comet-bad-input")
    target = tmp_path_factory.mktemp("nan-comet") / "regression"
    shutil.copytree(built["regression"].parent.parent, target)
    checkpoint = target / "checkpoints" / "model.ckpt"
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    last_bias = [k for k in state["state_dict"] if k.startswith("estimator.") and k.endswith(".bias")][-1]
    state["state_dict"][last_bias].fill_(float("nan"))
    torch.save(state, checkpoint)
    return checkpoint


def test_a_metric_returning_nan_is_an_error_naming_metric_system_corpus_and_segments(nan_comet, workdir, capsys):
    """Wanted: exit 2 naming metric, system, corpus and segment ids; the good run intact; the run failed.

    Needs the runner to call ``evals.metrics.base.check_finite`` on fresh
    segment scores before caching them (today it stores NaN as NULL).
    """
    db = workdir / "r.db"
    before = snapshot(db, 1)
    runs_before = len(runs(capsys, db))
    outcome = cli(["run", "good.yaml", "--only", "--metric", f"comet:{nan_comet}", "--db", db, "--quiet"], capsys)
    assert "Traceback" not in outcome.text, outcome.text
    assert outcome.code == 2, outcome.text
    message = outcome.err.strip().splitlines()[-1]
    for fragment in ("comet", "non-finite", "'model'", "'news'", "'s1'"):
        assert fragment in message, message
    new = check_nothing_lost(capsys, db, before, runs_before)
    assert len(new) == 1


# --- properties ---------------------------------------------------------------------------------

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


def assert_located(error: InputError, path: Path, file_level: tuple[str, ...] = ("empty",)) -> None:
    """An InputError naming the file, and its line unless the problem is the file as a whole."""
    assert error.path is not None and str(error.path) == str(path), error
    assert error.line is not None or any(word in error.message for word in file_level), error
    assert "\n" not in str(error)


# Integers a store can hold: one beyond 64 bits is refused on its own (tests/test_hostile_loaders.py).
_JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=8)


@st.composite
def corpus_lines(draw) -> str:
    """Mostly valid segment objects with random damage: a field dropped, retyped, added, or the line cut."""
    obj = segment_obj("d", draw(st.text(min_size=1, max_size=6)), draw(st.text(max_size=20)),
                      draw(st.none() | st.text(max_size=20)))
    kind = draw(st.sampled_from(["valid", "drop", "retype", "add", "cut", "value"]))
    return _damaged_line(draw, obj, kind, ensure_ascii=draw(st.booleans()))


def _damaged_line(draw, obj: dict, kind: str, ensure_ascii: bool = True) -> str:
    """``obj`` as one JSONL line, damaged by ``kind``: a field dropped, retyped or added, another JSON
    value instead of the object, the line cut short (or "valid": no damage)."""
    if kind == "drop":
        del obj[draw(st.sampled_from(sorted(obj)))]
    elif kind == "retype":
        obj[draw(st.sampled_from(sorted(obj)))] = draw(_JSON_VALUE)
    elif kind == "add":
        obj[draw(st.text(max_size=8))] = draw(_JSON_VALUE)
    elif kind == "value":
        return json.dumps(draw(_JSON_VALUE))
    line = json.dumps(obj, ensure_ascii=ensure_ascii)
    return line[: draw(st.integers(0, len(line)))] if kind == "cut" else line


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


@PROPERTY
@given(data=st.binary(max_size=300) | st.lists(corpus_lines(), min_size=1, max_size=4).map(
    lambda lines: "\n".join(lines).encode("utf-8")))
def test_corpus_loader_gives_segments_or_a_located_input_error(scratch, data):
    path = scratch / "corpus.jsonl"
    path.write_bytes(data)
    try:
        segments = load_jsonl(path)
    except InputError as error:
        assert_located(error, path)
    else:
        assert all(s.source.strip() for s in segments)


@st.composite
def hypothesis_lines(draw) -> str:
    seg_id = draw(st.sampled_from(["s1", "s2", "s3", "s4", "news/s1", "x"]))
    obj = {"seg_id": seg_id, "hypothesis": draw(st.text(max_size=20))}
    kind = draw(st.sampled_from(["valid", "valid", "drop", "retype", "add", "cut", "value"]))
    return _damaged_line(draw, obj, kind)


@PROPERTY
@given(data=st.binary(max_size=300) | st.lists(hypothesis_lines(), max_size=6).map(
    lambda lines: "\n".join(lines).encode("utf-8")), suffix=st.sampled_from([".jsonl", ".txt"]))
def test_file_system_gives_hypotheses_or_a_located_input_error(scratch, data, suffix):
    from evals.corpora.model import Segment
    from evals.systems.base import TranslationContext
    from evals.systems.registry import build_system

    path = scratch / f"hyps{suffix}"
    path.write_bytes(data)
    segments = [Segment.from_json(segment_obj(*row)) for row in SEGMENTS]
    try:
        outputs = build_system(f"file:{path}").translate(segments, TranslationContext(segments))
    except InputError as error:
        # A missing id or a wrong line count is about the file as a whole: no single line to name.
        assert_located(error, path, file_level=("missing id", "lines but there are"))
    else:
        assert len(outputs) == len(segments) and all(isinstance(h, str) for h in outputs)


_KEY = st.text(st.characters(categories=["L", "N"], include_characters="_-"), min_size=1, max_size=12)
_PLACES = {  # where an unknown key goes, and the keys allowed there
    "top": {"name", "description", "corpora", "systems", "metrics", "options"},
    "corpus": {"path", "name"},
    "system": {"spec", "name", "options"},
    "metric": {"name", "options"},
    "options": {"batch_size", "jobs"},
}


@PROPERTY
@given(place=st.sampled_from(sorted(_PLACES)), key=_KEY, value=_JSON_VALUE)
def test_unknown_suite_keys_are_named_with_their_line(place, key, value):
    from evals.suite import parse_suite

    if key in _PLACES[place]:
        return
    suite = {"name": "s", "corpora": [{"path": "news.jsonl"}], "systems": [{"spec": "copy"}],
             "metrics": [{"name": "bleu"}], "options": {"batch_size": 8}}
    target = {"top": suite, "corpus": suite["corpora"][0], "system": suite["systems"][0],
              "metric": suite["metrics"][0], "options": suite["options"]}[place]
    target[key] = value
    text = yaml.safe_dump(suite, allow_unicode=True, sort_keys=False)
    with pytest.raises(InputError) as caught:
        parse_suite(text, "suite.yaml")
    error = caught.value
    assert error.field == key and f"'{key}'" in error.message
    assert error.path == "suite.yaml" and error.line is not None
    assert key in text.splitlines()[error.line - 1]


_TEXT = (st.text(max_size=60)  # any code point but surrogates: empty, whitespace, controls, CJK, emoji
         | st.text(st.sampled_from(" \t\n\r\x0b\x0c\x85\u2028\u3000\u200b"), max_size=10)
         | st.builds(lambda s, n: (s or "x") * n, st.text(min_size=1, max_size=5), st.integers(300, 1500)))


@pytest.fixture(scope="module")
def lexical_metrics():
    from evals.metrics import get_metric

    return [get_metric(name, target_lang=lang, n_jobs=1) for name in METRICS for lang in ("en", "zh")]


@PROPERTY
@given(pairs=st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=3))
def test_lexical_metrics_score_any_unicode_with_finite_values(lexical_metrics, pairs):
    from evals.metrics.base import check_finite, score_levels

    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    for metric in lexical_metrics:
        levels = score_levels(metric, metric.segment_stats(hyps, refs), ["d"] * len(pairs))
        values = [*levels.segment, *levels.document.values(), levels.system]
        assert all(math.isfinite(v) for v in values), (metric.signature(), values)
        check_finite(metric.name, levels.segment, [f"s{i}" for i in range(len(pairs))])
