"""Fuzzing the loaders through the real CLI (issue 16, "make the campaign permanent").

Each loader gets a VALID input file that hypothesis damages: structure-aware
mutations first (a value replaced by a hostile one -- a lone surrogate, 10**30,
NaN, 100-deep nesting, a wrong type, a huge string, NUL, U+2028, bidi
controls --, a key dropped, added, unknown or written twice, a YAML tag,
alias or anchor), then byte-level ones (a flipped byte, truncation, a BOM at
the start or in the middle, CRLF or CR line ends, NUL, invalid UTF-8, UTF-16).
So most inputs get past the decoder and reach deep validation.

The contract asserted for every input, through ``evals.cli.main`` in-process:

* exit 0 (``check`` may also exit 1: a regression, which is its verdict), or
  exit 2 with exactly one line on stderr, ``error: ...``; never a traceback;
* the store byte-identical to before when the command failed (``run``), and
  always for ``check`` (a reader).

Loaders: corpus JSONL, ``file:`` JSONL, ``file:`` plain text, suite YAML,
baseline JSON, policy YAML, and the human-score files of ``mteval human import``
(WMT DA, MQM TSV, TSV, JSONL, ESA JSONL), imported into the good run: a failed
import leaves the store byte-identical.

Bounded and reproducible: the ``fuzz-loaders`` hypothesis profile
(``derandomize=True``, ``FUZZ_EXAMPLES`` examples per loader, default 50, no
example database). ``MTEVAL_FUZZ_EXAMPLES=500`` runs a longer campaign and
``MTEVAL_FUZZ_RANDOM=1`` draws new inputs each time. Each test prints how many
inputs its loader survived and how they ended (also appended to the file
``$MTEVAL_FUZZ_REPORT`` when set), and requires both endings to occur: a
fuzzer whose inputs all fail at the decoder, or all pass, tests nothing.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_bad_input import CORPUS, HYP_JSONL, HYP_TXT, cli, scored_store

FUZZ_EXAMPLES = int(os.environ.get("MTEVAL_FUZZ_EXAMPLES", "50"))
settings.register_profile(  # MTEVAL_FUZZ_RANDOM=1: new inputs each time (a hunt, not CI)
    "fuzz-loaders", max_examples=FUZZ_EXAMPLES, derandomize=not os.environ.get("MTEVAL_FUZZ_RANDOM"),
    deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("fuzz-loaders")


# ---- a tree that can hold what json/yaml dumpers cannot: duplicate keys and raw tokens ----------


class Obj(list):
    """A mapping as a list of [key, value] pairs (so a key can be written twice)."""


class Raw:
    """A literal written as-is: ``json`` in JSON files, ``yaml`` in YAML files."""

    def __init__(self, json_text: str | None, yaml_text: str | None) -> None:
        self.json, self.yaml = json_text, yaml_text

    def __repr__(self) -> str:
        return f"Raw({self.json!r}, {self.yaml!r})"


def tree(value):
    if isinstance(value, dict):
        return Obj([k, tree(v)] for k, v in value.items())
    if isinstance(value, list):
        return [tree(v) for v in value]
    return value


HOSTILE = [
    "\ud800", "\udfff", "x\ud83d", 10**30, -10**30, 2**63, -1, 0, 1.5, True, False, None, "", " ", "\u3000",
    "a\x00b", "a\u2028b", "a\u2029b", "\u202eevil\u202c", "\u200f\u2066x\u2069", "e" + "\u0301" * 3000,
    "x" * 200_000, "\ufeffs1", "s1\r", "\uff53\uff11", "s\u30001", "你好。", [], {}, [1, "a"], Obj([["k", "v"]]),
    "../missing/x.jsonl", "file:missing.jsonl", "x" * 300, "file:" + "y" * 300, "%s%n{0}",  # no system file or device
    Raw("NaN", ".nan"), Raw("-Infinity", "-.inf"), Raw("1e400", "1e400"), Raw("1" + "0" * 5000, "1" + "0" * 5000),
    Raw("[" * 100 + "]" * 100, "[" * 40 + "]" * 40), Raw("{" * 70 + "}" * 70, None),
    Raw(None, "!!python/object:os.system x"), Raw(None, "*nowhere"), Raw(None, "!!binary aGVsbG8="),
    Raw(None, "2001-12-14"), Raw(None, "!!set {a, b}"), Raw(None, "&anchor [1, 2]"), Raw(None, "!custom x"),
    Raw(None, "0x1F"), Raw(None, "yes"), Raw(None, "~"), Raw(None, "'unterminated"), Raw(None, "!!int 1" + "0" * 30),
    Raw(None, "? [a, b]"), Raw(None, "|\n  block\n  text"),
]
NEW_KEYS = ["refrence", "seg_id", "source", "name", "", "\ud800", "k" * 5000, "__proto__", "x\ny", "corpus"]


def nodes(root) -> list[tuple[object, object]]:
    """Every (container, index) whose value can be changed: an Obj's pairs by position, a list's items."""
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Obj):
            for i, pair in enumerate(node):
                found.append((node, i))
                stack.append(pair[1])
        elif isinstance(node, list):
            for i, item in enumerate(node):
                found.append((node, i))
                stack.append(item)
    return found


def get(container, i):
    return container[i][1] if isinstance(container, Obj) else container[i]


def put(container, i, value) -> None:
    if isinstance(container, Obj):
        container[i][1] = value
    else:
        container[i] = value


@st.composite
def structural(draw, root, fmt: str):
    """``root`` (deep-copied) with 0-3 structure-aware mutations."""
    root = copy.deepcopy(root)
    hostile = [h for h in HOSTILE if not isinstance(h, Raw) or getattr(h, fmt) is not None]
    for _ in range(draw(st.integers(0, 3))):
        places = nodes(root)
        if not places:
            break
        container, i = places[draw(st.integers(0, len(places) - 1))]
        op = draw(st.sampled_from(["replace", "replace", "delete", "add", "duplicate", "wrap"]))
        if op == "replace":
            put(container, i, copy.deepcopy(draw(st.sampled_from(hostile))))
        elif op == "delete":
            del container[i]
        elif op == "wrap":
            put(container, i, [get(container, i)])
        else:
            target = get(container, i)
            target = target if isinstance(target, Obj) else container if isinstance(container, Obj) else None
            if target is None:
                continue
            if op == "add":
                target.append([draw(st.sampled_from(NEW_KEYS)), copy.deepcopy(draw(st.sampled_from(hostile)))])
            elif target:
                target.append(copy.deepcopy(target[draw(st.integers(0, len(target) - 1))]))
    return root


def to_json(value, ascii_only: bool) -> str:
    if isinstance(value, Raw):
        return value.json
    if isinstance(value, Obj):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {to_json(v, ascii_only)}"
                               for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


_PLAIN = re.compile(r"[A-Za-z][\w.+-]*(:[\w./+-]+)?")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def yaml_scalar(value) -> str:
    if isinstance(value, Raw):
        return value.yaml
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS
        return value if plain else json.dumps(value)  # JSON escapes are YAML double-quoted escapes
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else repr(value)


def yaml_leaf(value) -> str:
    """A scalar, or an empty container in flow style."""
    if isinstance(value, Obj):
        return "{}"
    return "[]" if isinstance(value, list) else yaml_scalar(value)


def to_yaml(value, indent: int = 0) -> list[str]:
    """Block-style YAML lines for a mapping or list (flow ``{}``/``[]`` when empty)."""
    pad, lines = " " * indent, []
    if isinstance(value, Obj):
        for key, item in value:
            if isinstance(item, (Obj, list)) and item:
                lines += [f"{pad}{yaml_scalar(key)}:", *to_yaml(item, indent + 2)]
            else:
                lines.append(f"{pad}{yaml_scalar(key)}: {yaml_leaf(item)}")
    else:
        for item in value:
            if isinstance(item, (Obj, list)) and item:
                inner = to_yaml(item, indent + 2)
                lines += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
            else:
                lines.append(f"{pad}- {yaml_leaf(item)}")
    return lines


INSERTS = [b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\n", b"\xed\xa0\x80", b"\xe2\x80\xa8",
           b"\t", b"\x1b[31m", b"\xe3\x80\x80", b"\n\n\n"]


@st.composite
def byte_level(draw, data: bytes) -> bytes:
    """``data`` with 0-2 byte-level mutations (none most of the time, so structure damage gets through)."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "bom", "crlf", "cr", "utf16"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
        elif op == "truncate":
            data = data[:at]
        elif op == "insert":
            data = data[:at] + draw(st.sampled_from(INSERTS)) + data[at:]
        elif op == "bom":
            data = b"\xef\xbb\xbf" + data
        elif op == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif op == "cr":
            data = data.replace(b"\n", b"\r")
        elif op == "utf16":
            data = data.decode("utf-8", "surrogateescape").encode("utf-16", "surrogatepass")
    return data


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8 bytes


@st.composite
def jsonl_file(draw, lines: list) -> bytes:
    mutated = draw(structural(lines, "json"))
    ascii_only = draw(st.booleans())
    return draw(byte_level(encode("".join(to_json(line, ascii_only) + "\n" for line in mutated))))


@st.composite
def json_file(draw, document) -> bytes:
    return draw(byte_level(encode(to_json(draw(structural(document, "json")), draw(st.booleans())))))


@st.composite
def yaml_file(draw, document) -> bytes:
    mutated = draw(structural(document, "yaml"))
    return draw(byte_level(encode("\n".join(to_yaml(mutated)) + "\n")))


@st.composite
def text_file(draw, lines: list[str]) -> bytes:
    lines = list(lines)
    texts = [h for h in HOSTILE if isinstance(h, str)]
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "insert"]))
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        if op == "replace" and lines:
            lines[at] = draw(st.sampled_from(texts))
        elif op == "delete" and lines:
            del lines[at]
        elif op == "duplicate" and lines:
            lines.insert(at, lines[at])
        else:
            lines.insert(at, draw(st.sampled_from(texts)))
    return draw(byte_level(encode("".join(line + "\n" for line in lines))))


# ---- the inputs and the store -------------------------------------------------------------------

SUITE = {"name": "fuzz", "corpora": ["news.jsonl"],
         "systems": ["copy", {"spec": "file:good.jsonl", "name": "model"}],
         "metrics": ["bleu", {"name": "chrf", "options": {}}], "options": {"batch_size": 8}}
POLICY = {"version": 1, "defaults": {"tolerance": 1.0, "alpha": 0.05},
          "metrics": {"bleu": {"tolerance": 1.0, "alpha": 0.05}}, "test": "bootstrap", "samples": 1000,
          "seed": 12345, "resampling": "auto", "min_documents": 10, "correction": "holm", "pooled": True,
          "documents": {"floors": {"bleu": 0.0}}, "untranslated": {"forbid_new": True}, "report": {"segments": 2}}


def small_suite(corpus: str, system: str) -> str:
    return f"name: fuzz\ncorpora: [{corpus}]\nsystems: [{json.dumps(system)}]\nmetrics: [bleu]\n"


@pytest.fixture(scope="module")
def run_home(tmp_path_factory) -> Path:
    """A folder with the good corpus and hypotheses, the suites that point at the fuzzed files, and
    ``pristine.db``: a store holding one good run."""
    folder = tmp_path_factory.mktemp("fuzz-run")
    files = {"news.jsonl": CORPUS, "good.jsonl": HYP_JSONL, "good.txt": HYP_TXT,
             "good.yaml": "\n".join(to_yaml(tree(SUITE))) + "\n",
             "corpus.yaml": small_suite("fuzz.jsonl", "copy"),
             "hyps-jsonl.yaml": small_suite("news.jsonl", "file:fuzz.jsonl"),
             "hyps-text.yaml": small_suite("news.jsonl", "file:fuzz.txt")}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        from evals.cli import main

        with pytest.raises(SystemExit) as done:
            main(["run", "good.yaml", "--db", "pristine.db", "--quiet", "--format", "json"])
        assert done.value.code in (0, None)
    return folder


@pytest.fixture(scope="module")
def check_home(tmp_path_factory) -> Path:
    """``scored_store``: ``s.db`` (run 1, systems a.txt and b.txt) and ``base.json``, a baseline of a.txt."""
    return scored_store(tmp_path_factory.mktemp("fuzz-check"))


def store_bytes(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(db.parent.glob(db.name + "*"))}


def report(request, capsys, loader: str, counts: Counter) -> None:
    """Print (past pytest's capture) and record how many inputs the loader survived and how they ended."""
    total = sum(counts.values())
    ends = " / ".join(f"{counts[code]} exit {code}" for code in sorted(counts))
    line = f"fuzz {loader}: {total} survived, {ends}"
    with capsys.disabled():
        print(f"\n{line}")
    request.node.user_properties.append(("fuzz", line))
    out = os.environ.get("MTEVAL_FUZZ_REPORT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    assert counts[0] and counts[2], f"{loader}: the inputs reached only one outcome ({ends})"


def assert_contract(outcome, allowed: tuple[int, ...]) -> None:
    assert "Traceback" not in outcome.text, outcome.text[-3000:]
    assert outcome.code in allowed, (outcome.code, outcome.text[-3000:])
    if outcome.code == 2:
        lines = outcome.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err[-3000:]


def fuzz_run(request, capsys, home: Path, loader: str, target: str, files, args: list[str]) -> None:
    """Run ``mteval ARGS`` on every drawn ``target`` file; a failure leaves the store byte-identical."""
    counts: Counter = Counter()
    pristine = store_bytes(home / "pristine.db")

    @FUZZ
    @given(data=files)
    def one(data: bytes) -> None:
        db = home / "work.db"
        for stale in home.glob("work.db*"):
            stale.unlink()
        shutil.copyfile(home / "pristine.db", db)
        (home / target).write_bytes(data)
        outcome = cli([*args, "--db", db, "--quiet", "--format", "json"], capsys)
        assert_contract(outcome, (0, 2))
        if outcome.code != 0:
            after = store_bytes(db)
            assert after == {name.replace("pristine", "work"): b for name, b in pristine.items()}, \
                f"the store changed after: {outcome.err.strip()}"
        counts[outcome.code] += 1

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        one()
    report(request, capsys, loader, counts)


def fuzz_check(request, capsys, home: Path, loader: str, target: str, files, args: list[str]) -> None:
    """``mteval check`` on every drawn ``target`` file: 0 pass, 1 regression, 2 one-line error; store untouched."""
    counts: Counter = Counter()
    db = home / "s.db"

    @FUZZ
    @given(data=files)
    def one(data: bytes) -> None:
        before = store_bytes(db)
        (home / target).write_bytes(data)
        outcome = cli(["check", "--db", db, "--run", "1", "--system", "b.txt", "--format", "json", *args], capsys)
        assert_contract(outcome, (0, 1, 2))
        assert store_bytes(db) == before, f"check changed the store: {outcome.err.strip()}"
        counts[outcome.code] += 1

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        one()
    report(request, capsys, loader, counts)


# ---- one test per loader ------------------------------------------------------------------------


def test_fuzz_corpus_jsonl(request, capsys, run_home):
    lines = [tree(json.loads(line)) for line in CORPUS.splitlines()]
    fuzz_run(request, capsys, run_home, "corpus JSONL", "fuzz.jsonl", jsonl_file(lines), ["run", "corpus.yaml"])


def test_fuzz_file_system_jsonl(request, capsys, run_home):
    lines = [tree(json.loads(line)) for line in HYP_JSONL.splitlines()]
    fuzz_run(request, capsys, run_home, "file: JSONL", "fuzz.jsonl", jsonl_file(lines), ["run", "hyps-jsonl.yaml"])


def test_fuzz_file_system_text(request, capsys, run_home):
    fuzz_run(request, capsys, run_home, "file: text", "fuzz.txt", text_file(HYP_TXT.splitlines()),
             ["run", "hyps-text.yaml"])


def test_fuzz_suite_yaml(request, capsys, run_home):
    fuzz_run(request, capsys, run_home, "suite YAML", "fuzz.yaml", yaml_file(tree(SUITE)), ["run", "fuzz.yaml"])


def test_fuzz_baseline_json(request, capsys, check_home):
    document = tree(json.loads((check_home / "base.json").read_text(encoding="utf-8")))
    fuzz_check(request, capsys, check_home, "baseline JSON", "fuzz-base.json", json_file(document),
               ["--baseline", "fuzz-base.json"])


def test_fuzz_policy_yaml(request, capsys, check_home):
    fuzz_check(request, capsys, check_home, "policy YAML", "fuzz-policy.yaml", yaml_file(tree(POLICY)),
               ["--baseline", "base.json", "--policy", "fuzz-policy.yaml"])


# ---- human-score files (``mteval human import``) -------------------------------------------------

HUMAN_TSV = "system\tseg_id\tscore\trater\nmodel\ts1\t71.5\ta\nmodel\ts2\t40\tb\ncopy\ts3\t3\ta\n"
HUMAN_DA = "SYS SID RAW.SCR Z.SCR N\nmodel.1 s1 71.5 0.3 2\nmodel.1 s2 40 -0.5 1\ncopy.2 s4 3 -1.2 1\n"
HUMAN_MQM = ("system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"
             "model\td1\t1\ts1\tr1\t今天\tThe <v>weather</v> is good\tAccuracy/Mistranslation\tMajor\n"
             "model\td1\t1\ts2\tr1\t公园\tThere are many people\tNo-error\tNo-error\n"
             "copy\td2\t2\ts3\tr2\t他\t<v>他在</v>\tNon-translation\tMajor\n")
HUMAN_JSONL = [{"system": "model", "seg_id": "s1", "score": 71.5, "rater": "a"},
               {"system": "copy", "seg_id": "s2", "score": 10}]
HUMAN_ESA = [{"system": "model", "seg_id": "s1", "score": 71.5, "rater": "a",
              "errors": [{"start": 0, "end": 3, "severity": "minor", "category": "Fluency"}]},
             {"system": "copy", "seg_id": "s2", "score": 10, "errors": []}]


def fuzz_human(request, capsys, home: Path, loader: str, fmt: str, files) -> None:
    """``mteval human import FILE --format FMT`` into the good run; a failure leaves the store byte-identical."""
    counts: Counter = Counter()
    pristine = store_bytes(home / "pristine.db")
    target = f"fuzz-human.{fmt}"

    @FUZZ
    @given(data=files)
    def one(data: bytes) -> None:
        db = home / "work.db"
        for stale in home.glob("work.db*"):
            stale.unlink()
        shutil.copyfile(home / "pristine.db", db)
        (home / target).write_bytes(data)
        outcome = cli(["human", "import", target, "--format", fmt, "--db", db, "--json"], capsys)
        assert_contract(outcome, (0, 2))
        if outcome.code != 0:
            after = store_bytes(db)
            assert after == {name.replace("pristine", "work"): b for name, b in pristine.items()}, \
                f"the store changed after: {outcome.err.strip()}"
        counts[outcome.code] += 1

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        one()
    report(request, capsys, loader, counts)


@pytest.mark.parametrize("fmt, text", [("tsv", HUMAN_TSV), ("wmt-da", HUMAN_DA), ("mqm", HUMAN_MQM)])
def test_fuzz_human_text(request, capsys, run_home, fmt, text):
    fuzz_human(request, capsys, run_home, f"human {fmt}", fmt, text_file(text.splitlines()))


@pytest.mark.parametrize("fmt, rows", [("jsonl", HUMAN_JSONL), ("esa", HUMAN_ESA)])
def test_fuzz_human_jsonl(request, capsys, run_home, fmt, rows):
    fuzz_human(request, capsys, run_home, f"human {fmt}", fmt, jsonl_file([tree(row) for row in rows]))
