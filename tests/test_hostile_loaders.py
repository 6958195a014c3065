"""Hostile text and streams at load time (issue 16, points 4, 7 and 9): one line, exit 2, nothing stored.

Each case runs the real CLI on a suite whose corpus or ``file:`` system holds
the hostile input, and checks the contract itself: exit 2, exactly one line
on stderr naming the file (and line and field where there is one), no
traceback, and no store created.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _segment(index: int, **changes) -> dict:
    return {"corpus": "c", "doc_id": "d", "seg_id": f"s{index}", "para": 0, "source": "你好。",
            "reference": "Hello.", "src_lang": "zh", "tgt_lang": "en", "script": "zh-Hans", **changes}


def _write_case(folder: Path, case: str) -> Path:
    good = folder / "good.jsonl"
    good.write_text("".join(json.dumps(_segment(i), ensure_ascii=False) + "\n" for i in range(3)), encoding="utf-8")
    corpus, system = good, "copy"
    if case == "surrogate-hypothesis":
        system_file = folder / "hyps.jsonl"
        system_file.write_text('{"seg_id": "s0", "hypothesis": "Hi"}\n{"seg_id": "s1", "hypothesis": "\\ud800"}\n'
                               '{"seg_id": "s2", "hypothesis": "x"}\n', encoding="utf-8")
        system = f"file:{system_file}"
    elif case == "surrogate-source":
        corpus = folder / "bad.jsonl"
        corpus.write_text(json.dumps(_segment(0)).replace("\\u4f60", "\\ud83d") + "\n", encoding="utf-8")
    elif case == "huge-para":
        corpus = folder / "bad.jsonl"
        corpus.write_text(json.dumps(_segment(0, para=10**30)) + "\n", encoding="utf-8")
    elif case == "deep-nesting":
        corpus = folder / "bad.jsonl"
        corpus.write_text("[" * 200_000 + "\n", encoding="utf-8")
    elif case == "french-target":
        corpus = folder / "bad.jsonl"
        corpus.write_text(json.dumps(_segment(0, tgt_lang="fr")) + "\n", encoding="utf-8")
    elif case == "cyrillic-script":
        corpus = folder / "bad.jsonl"
        corpus.write_text(json.dumps(_segment(0, script="Cyrl")) + "\n", encoding="utf-8")
    elif case == "fifo-hypotheses":
        fifo = folder / "hyps.jsonl"
        os.mkfifo(fifo)
        system = f"file:{fifo}"
    elif case == "fifo-corpus":
        corpus = folder / "stream.jsonl"
        os.mkfifo(corpus)
    suite = folder / "suite.yaml"
    suite.write_text(f"name: hostile\ncorpora: [{corpus}]\nsystems: [{system}]\nmetrics: [bleu]\n", encoding="utf-8")
    return suite


CASES = {
    "surrogate-hypothesis": ["hyps.jsonl:2", "[hypothesis]", "surrogate"],
    "surrogate-source": ["bad.jsonl:1", "[source]", "surrogate"],
    "huge-para": ["bad.jsonl:1", "[para]", "out of range"],
    "deep-nesting": ["bad.jsonl:1", "nested too deeply"],
    "french-target": ["bad.jsonl:1", "[tgt_lang]", "'fr'"],
    "cyrillic-script": ["bad.jsonl:1", "[script]", "'Cyrl'"],
    "fifo-hypotheses": ["hyps.jsonl", "FIFO"],
    "fifo-corpus": ["stream.jsonl", "FIFO"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_is_one_line_and_stores_nothing(tmp_path, case):
    suite = _write_case(tmp_path, case)
    db = tmp_path / "store.db"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "evals", "run", str(suite), "--db", str(db), "-q"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in CASES[case]:
        assert fragment in lines[0], lines[0]
    assert not db.exists()
