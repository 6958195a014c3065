"""Scores split by origlang and domain: pooled from the corpus's statistics, equal to sacrebleu on each part."""

from __future__ import annotations

import json

import pytest
import sacrebleu

from evals.compare.runs import load_run_system
from evals.report import leaderboard_table
from evals.runner import Runner
from evals.scoring.splits import corpus_splits, split_name
from evals.store import open_store
from evals.suite import load_suite
from tests.conftest import REPO, Quiet


def _rows():
    return [json.loads(line) for line in (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def split_run(tmp_path_factory):
    """The paired seed corpus with WMT fields: documents alternate zh/en origlang, two domains; one system."""
    tmp = tmp_path_factory.mktemp("splits")
    rows = _rows()
    docs = list(dict.fromkeys(r["doc_id"] for r in rows))
    corpus, hyps = [], []
    for r in rows:
        k = docs.index(r["doc_id"])
        corpus.append({**r, "corpus": "wmt", "origlang": "zh" if k % 2 == 0 else "en",
                       "domain": "news" if k < len(docs) // 2 else "social"})
        hyps.append({"seg_id": r["seg_id"], "hypothesis": " ".join(r["reference"].split()[::2])})
    (tmp / "wmt.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in corpus), "utf-8")
    (tmp / "hyp.jsonl").write_text("".join(json.dumps(h, ensure_ascii=False) + "\n" for h in hyps), "utf-8")
    (tmp / "suite.yaml").write_text(
        f"name: splits\ncorpora: [{tmp / 'wmt.jsonl'}]\nsystems: [{{spec: 'file:{tmp / 'hyp.jsonl'}', name: sys}}]\n"
        "metrics: [bleu, chrf]\n", "utf-8")
    store = open_store(str(tmp / "mteval.db"))
    result = Runner(store, progress=Quiet()).run(load_suite(tmp / "suite.yaml"))
    yield store, result.run_id, corpus, hyps, tmp
    store.close()


def _part(corpus, hyps, field, value):
    keep = [i for i, c in enumerate(corpus) if c[field] == value]
    return [hyps[i]["hypothesis"] for i in keep], [corpus[i]["reference"] for i in keep]


@pytest.mark.parametrize("field,value", [("origlang", "zh"), ("origlang", "en"), ("domain", "news"),
                                         ("domain", "social")])
def test_split_scores_equal_sacrebleu_on_the_part(split_run, field, value):
    store, run_id, corpus, hyps, _ = split_run
    board = {(r["corpus"], r["metric"]): r for r in store.leaderboard(run_id, level="system")}
    h, r = _part(corpus, hyps, field, value)
    name = split_name("wmt", field, value)
    assert board[(name, "bleu")]["value"] == pytest.approx(sacrebleu.corpus_bleu(h, [r]).score, abs=1e-9)
    assert board[(name, "chrf")]["value"] == pytest.approx(sacrebleu.corpus_chrf(h, [r]).score, abs=1e-9)
    details = board[(name, "bleu")]["details"]
    assert details["segments"] == len(h)
    low, high = details["ci"]
    assert low < board[(name, "bleu")]["value"] < high
    assert board[(name, "bleu")]["signature"] == board[("wmt", "bleu")]["signature"]


def test_splits_are_only_system_rows_and_compare_ignores_them(split_run):
    store, run_id, *_ = split_run
    scores = store.scores_df(run_id)
    splits = scores[scores["corpus"] != "wmt"]
    assert set(splits["level"]) == {"system"}
    assert len(splits) == 4 * 2  # four parts, two metrics
    side = load_run_system(store, run_id, "sys")
    assert list(side.corpora) == ["wmt"]


def test_leaderboard_table_lists_splits_after_their_corpus_by_name(split_run):
    store, run_id, corpus, *_ = split_run
    rows = leaderboard_table(store, run_id)
    names = list(dict.fromkeys(r["corpus"] for r in rows))
    assert names == ["wmt", "wmt · domain=news", "wmt · domain=social", "wmt · origlang=en", "wmt · origlang=zh"]
    zh = [r for r in rows if r["corpus"] == "wmt · origlang=zh"]
    assert [r["level"] for r in zh] == ["system"]
    assert zh[0]["segments"] == sum(c["origlang"] == "zh" for c in corpus)


def test_show_and_dashboard_read_a_run_with_splits(split_run):
    import subprocess
    import sys

    from evals.dashboard.payloads import RunData

    store, run_id, _, _, tmp = split_run
    shown = subprocess.run([sys.executable, "-m", "evals", "show", str(run_id), "--db", str(tmp / "mteval.db"),
                            "--format", "json"], capture_output=True, text=True, check=True)
    assert "wmt · origlang=en" in {r["corpus"] for r in json.loads(shown.stdout)}
    from evals.dashboard.site import write_site

    data = RunData(store, run_id)
    payload = data.run_payload()
    assert {"wmt · origlang=zh", "wmt"} <= {c["name"] for c in payload["corpora"]}
    assert any(r["corpus"] == "wmt · domain=news" for r in payload["leaderboard"])
    data.segments_payload()
    data.system_payload(store.get_run(run_id)["systems"][0]["id"])
    write_site(store, tmp / "site")


def test_one_value_everywhere_is_no_split():
    from evals.corpora.model import Segment

    seg = Segment(corpus="c", doc_id="d", seg_id="1", para=0, source="s", reference="r", src_lang="zh",
                  tgt_lang="en", script="zh-Hans", origlang="zh")
    assert corpus_splits("c", [seg, seg]) == {}
    assert corpus_splits("c", [seg, Segment(**{**{f: getattr(seg, f) for f in seg.__slots__}, "origlang": None})]) \
        == {"c · origlang=zh": [0]}
