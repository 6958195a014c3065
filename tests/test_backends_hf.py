"""``hf:`` and ``ct2:`` on tiny random-weight models of the real architectures, offline.

End to end through ``mteval run``; batching (sorted, token budget, order,
invariance), out-of-memory halving, language codes per family and script,
model resolution (local directory, Hugging Face cache snapshot, offline and
missing), ``describe()`` without weights, ``mteval models fetch|convert``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.corpora.loaders import load_segments
from evals.errors import InputError, Unavailable, UsageError
from evals.models.hub import directory_revision, split_revision
from evals.systems import build_system
from evals.systems.hf import detect_family, marian_pair, sorted_batches
from tests.conftest import CORPORA, REPO, Quiet
from tests.tiny import tiny_models

__all__ = ["tiny_models"]  # the session fixture, imported for pytest

GREEDY = {"num_beams": 1, "max_new_tokens": 10}
CT2_GREEDY = {"beam_size": 1, "max_decoding_length": 9}  # HF forces </s> as the 10th token (opus-mt config)
FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def segments(name: str, count: int):
    return load_segments(str(CORPORA / f"{name}.jsonl"))[:count]


def mixed_lengths(count: int = 16):
    """Hans segments in an order where lengths go up and down."""
    pool = segments("paired.zh-Hans", 40)
    return sorted(pool, key=lambda s: (len(s.source) % 7, s.seg_id))[:count]


def mteval(*args, env=None, check=True):
    run = subprocess.run([sys.executable, "-m", "evals", *args], capture_output=True, text=True, cwd=REPO,
                         env=dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", **(env or {})))
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def torch_threads():
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def one_torch_thread(torch_threads):
    """Tiny models gain nothing from threads, and on a busy machine OpenMP spinning slows them 5-10x.

    Set before every test: loading a CTranslate2 model resets OpenMP's thread count.
    """
    import torch

    torch.set_num_threads(1)


def mteval_in_process(*args, capsys) -> tuple[int, str, str]:
    """``mteval ARGS`` through ``evals.cli.main`` in this process: (exit code, stdout, stderr)."""
    from evals.cli import main

    with pytest.raises(SystemExit) as done:
        main(list(args))
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def cli_in_process(*args):
    """The click command line without a new process (``main``'s error mapping is not involved)."""
    from click.testing import CliRunner

    from evals.cli import _register_commands, cli

    _register_commands()
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """An empty Hugging Face cache for this test (offline, as conftest sets it)."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


# --- end to end ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def e2e(tiny_models, tmp_path_factory):
    """`mteval models convert` (int8), then `mteval run` (a subprocess) on a suite of every backend."""
    work = tmp_path_factory.mktemp("e2e")
    corpora = []
    for name, count in (("paired.zh-Hans", 8), ("paired.zh-Hant", 8), ("mono-en", 4)):
        path = work / f"{name}.jsonl"
        path.write_text("".join(json.dumps(s.to_json(), ensure_ascii=False) + "\n"
                                for s in segments(name, count)), encoding="utf-8")
        corpora.append(str(path))
    int8 = work / "marian_ct2_int8"
    converted = cli_in_process("models", "convert", str(tiny_models["marian"]), str(int8), "--quantization", "int8")
    assert converted.exit_code == 0, converted.output
    suite = {
        "name": "tiny-backends",
        "corpora": corpora,
        "systems": [
            {"spec": f"hf:{tiny_models['marian']}", "name": "marian", "options": GREEDY},
            {"spec": f"hf:{tiny_models['nllb']}", "name": "nllb", "options": GREEDY},
            {"spec": f"hf:{tiny_models['m2m100']}", "name": "m2m100", "options": GREEDY},
            {"spec": f"ct2:{tiny_models['marian_ct2']}", "name": "marian-ct2", "options": CT2_GREEDY},
            {"spec": f"ct2:{int8}", "name": "marian-ct2-int8", "options": {**CT2_GREEDY, "compute_type": "int8"}},
        ],
        "metrics": ["bleu", "chrf"],
    }
    suite_path = work / "suite.yaml"
    suite_path.write_text(json.dumps(suite), encoding="utf-8")  # JSON is YAML
    db = work / "mteval.db"
    first = mteval("run", str(suite_path), "--db", str(db), "--format", "json")
    return {"db": db, "first": first, "converted": converted, "int8": int8, "suite": suite_path}


def test_mteval_run_end_to_end(e2e):
    rows = json.loads(e2e["first"].stdout)
    systems = {(r["corpus"], r["system"]) for r in rows if r["level"] == "system"}
    for corpus in ("paired.zh-Hans", "paired.zh-Hant"):
        for name in ("marian", "nllb", "m2m100", "marian-ct2", "marian-ct2-int8"):
            assert (corpus, name) in systems
    # en→zh: only the multilingual models take it; Marian zh-en is skipped with a note.
    assert {name for corpus, name in systems if corpus == "mono-en"} == {"nllb", "m2m100"}
    assert "marian: skipped 4 segments of mono-en" in " ".join(e2e["first"].stderr.split())


def test_cached_rerun_loads_no_model(e2e, monkeypatch):
    import ctranslate2
    import transformers

    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    def refuse(*args, **kwargs):
        raise AssertionError("a fully cached re-run loaded a model")

    monkeypatch.setattr(transformers.AutoModelForSeq2SeqLM, "from_pretrained", refuse)
    monkeypatch.setattr(ctranslate2, "Translator", refuse)
    with open_store(f"sqlite:///{e2e['db']}") as store:
        result = Runner(store, progress=Quiet()).run(load_suite(str(e2e["suite"])))
    assert result.stats.translated == 0 and result.stats.translations_cached > 0




def test_stored_systems_carry_revision_and_parameters(e2e, tiny_models):
    from evals.store import open_store

    with open_store(f"sqlite:///{e2e['db']}") as store:
        run = store.get_run(1)
    by_name = {s["name"]: s for s in run["systems"]}
    marian = by_name["marian"]
    assert marian["revision"] == directory_revision(tiny_models["marian"])
    generation = marian["params"]["generation"]
    assert generation["num_beams"] == 1 and generation["max_new_tokens"] == 10
    assert generation["do_sample"] is False and generation["bad_words_ids"] == [[2999]]
    assert marian["params"]["family"] == "marian" and marian["params"]["dtype"] == "fp32"
    assert marian["info"]["version"].startswith("transformers ") and "torch " in marian["info"]["version"]
    assert by_name["nllb"]["params"]["language_codes"]["zh/zh-Hant"] == "zho_Hant"
    int8 = by_name["marian-ct2-int8"]
    assert int8["revision"] == directory_revision(e2e["int8"])
    assert int8["params"]["compute_type"] == "int8" and int8["params"]["quantization"] == "int8"
    assert int8["params"]["source_revision"] == marian["revision"]
    assert by_name["marian-ct2"]["params"]["beam_size"] == 1
    converted = json.loads(e2e["converted"].output)
    assert converted["family"] == "marian" and converted["spec"] == f"ct2:{e2e['int8']}"
    assert {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json"} <= {
        p.name for p in e2e["int8"].iterdir()}


# --- batching -----------------------------------------------------------------------------------

def spy_generate(system):
    """Record the batches ``generate`` receives (token id lists)."""
    calls = []
    original = system.generate

    def generate(batch, forced_bos):
        calls.append(([len(ids) for ids in batch], forced_bos, [ids[0] for ids in batch]))
        return original(batch, forced_bos)

    system.generate = generate
    return calls


def test_sorted_batches_keep_order_and_match_one_by_one(tiny_models):
    data = mixed_lengths(16)
    batched = build_system(f"hf:{tiny_models['marian']}", **GREEDY, max_tokens=160, batch_size=6)
    calls = spy_generate(batched)
    outputs = batched.translate(data)
    lengths = [length for call in calls for length in call[0]]
    assert lengths == sorted(lengths, reverse=True)  # longest first across and within batches
    assert all(len(c[0]) <= 6 and (len(c[0]) == 1 or max(c[0]) * len(c[0]) <= 160) for c in calls)
    assert len(calls) > 2
    single = build_system(f"hf:{tiny_models['marian']}", **GREEDY, batch_size=1)
    assert outputs == [single.translate([segment])[0] for segment in data]


@pytest.mark.parametrize("options", [{"batch_size": 1}, {"batch_size": 3}, {"max_tokens": 90}, {}])
def test_hf_outputs_do_not_depend_on_batching(tiny_models, options):
    data = mixed_lengths(12)
    reference = build_system(f"hf:{tiny_models['marian']}", **GREEDY, batch_size=64).translate(data)
    assert build_system(f"hf:{tiny_models['marian']}", **GREEDY, **options).translate(data) == reference


def test_greedy_really_is_greedy(tiny_models):
    """The model's generation_config says num_beams 4; ours must win (transformers' model defaults don't)."""
    import torch

    data = mixed_lengths(4)
    system = build_system(f"hf:{tiny_models['marian']}", **GREEDY)
    tokenizer, model = system.load()
    encoded = tokenizer([s.source for s in data], return_tensors="pt", padding=True)
    with torch.inference_mode():
        manual = model.generate(**encoded, num_beams=1, do_sample=False, max_new_tokens=10)
    assert system.translate(data) == [t.strip() for t in tokenizer.batch_decode(manual, skip_special_tokens=True)]
    assert system.generation_config().num_beams == 1


def test_ct2_matches_hf_greedy_and_is_batch_invariant(tiny_models):
    data = mixed_lengths(12)
    hf = build_system(f"hf:{tiny_models['marian']}", **GREEDY).translate(data)
    whole = build_system(f"ct2:{tiny_models['marian_ct2']}", **CT2_GREEDY, compute_type="float32")
    assert whole.translate(data) == hf
    for options in ({"max_batch_size": 1}, {"max_batch_size": 5}, {"max_tokens": 64}):
        assert build_system(f"ct2:{tiny_models['marian_ct2']}", **CT2_GREEDY, **options).translate(data) == hf


@pytest.mark.parametrize("family, forced_eos", [("nllb", False), ("m2m100", False), ("mbart50", True)])
def test_ct2_language_codes_match_hf(tiny_models, tmp_path, family, forced_eos):
    """Converted multilingual models: source code via the tokenizer, target code as target_prefix."""
    from evals.models.convert import convert_model

    done = convert_model(str(tiny_models[family]), tmp_path / "ct2", quantization="float32")
    assert done.family == family
    data = segments("paired.zh-Hant", 4) + segments("mono-en", 2)
    hf = build_system(f"hf:{tiny_models[family]}", **GREEDY).translate(data)
    ct2 = build_system(f"ct2:{tmp_path / 'ct2'}", beam_size=1, max_decoding_length=9 if forced_eos else 10)
    assert ct2.language_pairs == {("zh", "en"), ("en", "zh")}
    assert ct2.translate(data) == hf


@given(st.lists(st.integers(1, 60), max_size=40), st.integers(1, 300), st.integers(1, 10))
@settings(max_examples=200, deadline=None)
def test_sorted_batches_property(lengths, max_tokens, batch_size):
    class Limits:
        pass

    limits = Limits()
    limits.max_tokens, limits.batch_size = max_tokens, batch_size
    batches = list(sorted_batches(lengths, limits))
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for batch in batches:
        assert 1 <= len(batch) <= batch_size
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= max_tokens


# --- out of memory ------------------------------------------------------------------------------

@pytest.mark.parametrize("make_error", [
    lambda: __import__("torch").OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (fake)"),
    lambda: RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes (fake)"),
])
def test_out_of_memory_halves_the_batch_and_goes_on(tiny_models, make_error):
    data = mixed_lengths(12)
    reference = build_system(f"hf:{tiny_models['marian']}", **GREEDY).translate(data)
    system = build_system(f"hf:{tiny_models['marian']}", **GREEDY, batch_size=8)
    original, sizes = system.generate, []

    def generate(batch, forced_bos):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise make_error()
        return original(batch, forced_bos)

    system.generate = generate
    assert system.translate(data) == reference
    assert sizes[:3] == [8, 4, 2]  # 8 fails, its first half (4) fails, then halves of 2 succeed
    assert system.oom_splits >= 2 and system.limits.batch_size <= 2
    assert max(sizes[sizes.index(2):]) <= 2  # later batches start from the halved limits


def test_other_errors_and_a_single_segment_oom_are_not_swallowed(tiny_models):
    import torch

    system = build_system(f"hf:{tiny_models['marian']}", **GREEDY)
    system.generate = lambda batch, forced: (_ for _ in ()).throw(RuntimeError("shape mismatch"))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        system.translate(mixed_lengths(3))
    system.generate = lambda batch, forced: (_ for _ in ()).throw(torch.OutOfMemoryError("out of memory"))
    with pytest.raises(InputError, match="out of memory translating a single segment"):
        system.translate(mixed_lengths(1))


# --- language codes -----------------------------------------------------------------------------

@pytest.mark.parametrize("family, corpus, source_code, target_code", [
    ("nllb", "paired.zh-Hant", "zho_Hant", "eng_Latn"),
    ("nllb", "paired.zh-Hans", "zho_Hans", "eng_Latn"),
    ("nllb", "mono-en", "eng_Latn", "zho_Hans"),
    ("m2m100", "paired.zh-Hant", "__zh__", "__en__"),
    ("m2m100", "mono-en", "__en__", "__zh__"),
    ("mbart50", "paired.zh-Hant", "zh_CN", "en_XX"),
])
def test_language_codes_follow_each_segment(tiny_models, family, corpus, source_code, target_code):
    system = build_system(f"hf:{tiny_models[family]}", **GREEDY)
    calls = spy_generate(system)
    outputs = system.translate(segments(corpus, 5))
    tokenizer, _ = system.load()
    assert calls and all(c[1] == tokenizer.convert_tokens_to_ids(target_code) for c in calls)
    assert {first for c in calls for first in c[2]} == {tokenizer.convert_tokens_to_ids(source_code)}
    assert not any(code in text for text in outputs for code in (source_code, target_code))


def test_mixed_scripts_in_one_call_get_their_own_codes(tiny_models):
    system = build_system(f"hf:{tiny_models['nllb']}", **GREEDY)
    calls = spy_generate(system)
    hans, hant = segments("paired.zh-Hans", 3), segments("paired.zh-Hant", 3)
    mixed = [hans[0], hant[0], hans[1], hant[1], hans[2], hant[2]]
    outputs = system.translate(mixed)
    tokenizer, _ = system.load()
    firsts = {first for c in calls for first in c[2]}
    assert firsts == set(tokenizer.convert_tokens_to_ids(["zho_Hans", "zho_Hant"]))
    alone = build_system(f"hf:{tiny_models['nllb']}", **GREEDY)
    assert outputs == [alone.translate([s])[0] for s in mixed]


def test_language_pairs_and_families(tiny_models):
    assert build_system(f"hf:{tiny_models['marian']}").language_pairs == {("zh", "en")}
    assert build_system(f"hf:{tiny_models['m2m100']}").language_pairs == {("zh", "en"), ("en", "zh")}
    assert build_system(f"ct2:{tiny_models['marian_ct2']}").language_pairs == {("zh", "en")}
    assert marian_pair({}, "Helsinki-NLP/opus-mt-zh-en") == ("zh", "en")
    assert marian_pair({}, "Helsinki-NLP/opus-mt-tc-big-zh-en") == ("zh", "en")
    assert marian_pair({"source_lang": "zho", "target_lang": "eng"}, "x") == ("zh", "en")
    assert marian_pair({}, "my-model") is None
    assert detect_family({"model_type": "m2m_100"}, {"tokenizer_class": "NllbTokenizer"}) == "nllb"
    assert detect_family({"model_type": "m2m_100"}, {"tokenizer_class": "M2M100Tokenizer"}) == "m2m100"
    assert detect_family({"model_type": "mbart"}, {"tokenizer_class": "MBart50TokenizerFast"}) == "mbart50"
    with pytest.raises(InputError, match="not an encoder-decoder"):
        detect_family({"model_type": "qwen2", "is_encoder_decoder": False}, {}, "Qwen/x")


def test_causal_lm_is_refused_with_a_pointer_to_llm(tiny_models):
    if tiny_models["causal_lm"] is None:
        pytest.skip("no tiny causal LM builder")
    with pytest.raises(InputError, match="llm:"):
        build_system(f"hf:{tiny_models['causal_lm']}")


# --- resolution, provenance, loading ------------------------------------------------------------

def test_describe_does_not_load_weights(tiny_models, monkeypatch):
    import ctranslate2
    import transformers

    def refuse(*args, **kwargs):
        raise AssertionError("weights loaded")

    monkeypatch.setattr(transformers.AutoModelForSeq2SeqLM, "from_pretrained", refuse)
    monkeypatch.setattr(ctranslate2, "Translator", refuse)
    hf = build_system(f"hf:{tiny_models['marian']}", **GREEDY)
    ct2 = build_system(f"ct2:{tiny_models['marian_ct2']}")
    assert hf.describe().revision == directory_revision(tiny_models["marian"])
    assert ct2.describe().revision == directory_revision(tiny_models["marian_ct2"])
    assert not hf.loaded and not ct2.loaded


def test_cache_key_follows_output_settings_only(tiny_models):
    def key(**options):
        return build_system(f"hf:{tiny_models['marian']}", **options).describe().cache_key()

    assert key(num_beams=1) == key(num_beams=1, batch_size=3, max_tokens=100)
    assert key(num_beams=1) != key(num_beams=2)
    assert key() != key(max_new_tokens=20)
    assert key() != key(dtype="bf16")


def fake_snapshot(cache: Path, repo_id: str, source: Path, commit: str = FAKE_COMMIT, weights: bool = True) -> Path:
    """Lay out ``source`` as the Hugging Face cache does: snapshots/<commit>, refs/main."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    shutil.copytree(source, snapshot, ignore=None if weights else shutil.ignore_patterns("*.safetensors"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_hub_id_resolves_to_the_cached_snapshot_commit(tiny_models, empty_hub):
    fake_snapshot(empty_hub, "Helsinki-NLP/opus-mt-zh-en", tiny_models["marian"])
    system = build_system("hf:Helsinki-NLP/opus-mt-zh-en", **GREEDY)
    info = system.describe()
    assert info.revision == FAKE_COMMIT and info.params["model"] == "Helsinki-NLP/opus-mt-zh-en"
    assert system.language_pairs == {("zh", "en")}
    data = mixed_lengths(3)
    assert system.translate(data) == build_system(f"hf:{tiny_models['marian']}", **GREEDY).translate(data)
    assert build_system(f"hf:Helsinki-NLP/opus-mt-zh-en@{FAKE_COMMIT}").describe().revision == FAKE_COMMIT
    assert build_system("hf:Helsinki-NLP/opus-mt-zh-en", revision="main").describe().revision == FAKE_COMMIT
    with pytest.raises(Unavailable, match="opus-mt-zh-en@v9"):
        build_system("hf:Helsinki-NLP/opus-mt-zh-en@v9")


def test_partly_cached_model_is_unavailable(tiny_models, empty_hub):
    fake_snapshot(empty_hub, "facebook/m2m100_418M", tiny_models["m2m100"], weights=False)
    with pytest.raises(Unavailable, match="only partly in the local cache"):
        build_system("hf:facebook/m2m100_418M")


def test_missing_model_offline_is_one_line_unavailable(empty_hub):
    with pytest.raises(Unavailable) as caught:
        build_system("hf:facebook/nllb-200-distilled-600M")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("model 'facebook/nllb-200-distilled-600M' is not available offline; "
                              "run: mteval models fetch")


def test_missing_model_fails_mteval_run_fast_with_exit_2(tmp_path):
    hf_home = tmp_path / "hf"
    run = mteval("run", "--only", "--system", "hf:facebook/nllb-200-distilled-600M", "--db",
                 str(tmp_path / "db.sqlite"), env={"HF_HOME": str(hf_home), "HF_HUB_CACHE": str(hf_home / "hub")},
                 check=False)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert lines[0] == ("error: model 'facebook/nllb-200-distilled-600M' is not available offline; run: mteval "
                        "models fetch SUITE (or: mteval models fetch --model facebook/nllb-200-distilled-600M)")
    assert not (tmp_path / "db.sqlite").exists() or "run 1" not in run.stdout


def test_bad_specs_and_options(tiny_models, tmp_path):
    marian = f"hf:{tiny_models['marian']}"
    with pytest.raises(UsageError, match="did you mean 'num_beams'"):
        build_system(marian, num_beam=2)
    with pytest.raises(UsageError, match="either 'max_new_tokens' or 'max_length'"):
        build_system(marian, max_new_tokens=5, max_length=5)
    with pytest.raises(UsageError, match="dtype"):
        build_system(marian, dtype="fp64")
    with pytest.raises(UsageError, match="positive integer"):
        build_system(marian, num_beams=0)
    with pytest.raises(UsageError, match="no revision"):
        build_system(marian, revision="main")
    with pytest.raises(InputError, match="model directory not found"):
        build_system(f"hf:{tmp_path / 'nowhere'}")
    with pytest.raises(UsageError, match="did you mean 'beam_size'"):
        build_system(f"ct2:{tiny_models['marian_ct2']}", beam_sizes=2)
    with pytest.raises(UsageError, match="either 'max_tokens' or 'max_batch_size'"):
        build_system(f"ct2:{tiny_models['marian_ct2']}", max_tokens=10, max_batch_size=2)
    with pytest.raises(InputError, match="no model.bin"):
        build_system(f"ct2:{tiny_models['marian']}")
    assert split_revision("org/model@v1.0") == ("org/model", "v1.0")
    assert split_revision("org/model") == ("org/model", None)


def test_too_long_segment_is_an_error_not_a_truncation(tiny_models):
    long = replace(segments("paired.zh-Hans", 1)[0], source="俄罗斯总统" * 200)
    with pytest.raises(InputError, match="never truncates"):
        build_system(f"hf:{tiny_models['marian']}", **GREEDY).translate([long])


def test_directory_revision_tracks_content(tmp_path):
    (tmp_path / "a.json").write_text("1")
    first = directory_revision(tmp_path)
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "lock").write_text("x")
    assert directory_revision(tmp_path) == first
    (tmp_path / "a.json").write_text("2")
    assert directory_revision(tmp_path) != first


# --- mteval models fetch ------------------------------------------------------------------------

class FakeHub:
    """Stands in for ``huggingface_hub.snapshot_download``: records calls, writes snapshot dirs."""

    def __init__(self, root: Path, bin_only=(), comet=()):
        self.root, self.bin_only, self.comet, self.calls = root, set(bin_only), set(comet), []

    def __call__(self, repo_id, revision=None, allow_patterns=None, cache_dir=None, **kwargs):
        self.calls.append({"repo_id": repo_id, "revision": revision, "allow_patterns": list(allow_patterns or [])})
        commit = revision if revision and len(revision) == 40 else FAKE_COMMIT
        folder = self.root / repo_id.replace("/", "--") / commit
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text("{}")
        patterns = allow_patterns or []
        if repo_id in self.comet:
            (folder / "hparams.yaml").write_text("pretrained_model: xlm-roberta-large\n")
        elif repo_id in self.bin_only and "pytorch_model*.bin" in patterns:
            (folder / "pytorch_model.bin").write_bytes(b"0")
        elif repo_id not in self.bin_only and "*.safetensors" in patterns:
            (folder / "model.safetensors").write_bytes(b"0")
        return str(folder)


def test_fetch_suite_requests_every_model_with_the_right_files(tmp_path, monkeypatch):
    from evals.models import fetch
    from evals.suite import load_suite

    monkeypatch.setattr(fetch, "hub_offline", lambda: False)
    hub = FakeHub(tmp_path, bin_only={"Helsinki-NLP/opus-mt-zh-en"})
    results, notes = fetch.fetch_suite(load_suite("zh-en-models"), snapshot_download=hub)
    assert all(r.ok and r.revision == FAKE_COMMIT for r in results)
    assert [r.item.repo_id for r in results] == [
        "Helsinki-NLP/opus-mt-zh-en", "facebook/nllb-200-distilled-600M", "facebook/m2m100_418M",
        "Qwen/Qwen2.5-1.5B-Instruct"]
    opus = [c for c in hub.calls if c["repo_id"] == "Helsinki-NLP/opus-mt-zh-en"]
    assert opus[0]["revision"] is None and "*.safetensors" in opus[0]["allow_patterns"]
    assert opus[1]["revision"] == FAKE_COMMIT and "pytorch_model*.bin" in opus[1]["allow_patterns"]
    assert all(len([c for c in hub.calls if c["repo_id"] == r]) == 1 for r in (
        "facebook/nllb-200-distilled-600M", "facebook/m2m100_418M", "Qwen/Qwen2.5-1.5B-Instruct"))
    assert not any("*.h5" in c["allow_patterns"] or "*.msgpack" in c["allow_patterns"] for c in hub.calls)


def test_fetch_pins_revisions_and_follows_comet_encoders(tmp_path, monkeypatch, tiny_models):
    from evals.models import fetch
    from evals.suite import load_suite

    suite_path = tmp_path / "suite.yaml"
    suite_path.write_text(json.dumps({
        "name": "fetch-test", "corpora": ["corpora/paired.zh-Hans.jsonl"],
        "systems": ["gloss", "hf:org/pinned@v1.2", {"spec": "hf:org/opt", "options": {"revision": "abc"}},
                    f"hf:{tiny_models['marian']}", f"ct2:{tiny_models['marian_ct2']}", "llm:org/chat"],
        "metrics": ["bleu", "comet", "cometkiwi:org/kiwi"],
    }))
    monkeypatch.setattr(fetch, "hub_offline", lambda: False)
    hub = FakeHub(tmp_path / "hub", comet={"Unbabel/wmt22-comet-da", "org/kiwi"})
    results, notes = fetch.fetch_suite(load_suite(str(suite_path)), snapshot_download=hub)
    requested = [(c["repo_id"], c["revision"]) for c in hub.calls]
    assert ("org/pinned", "v1.2") in requested and ("org/opt", "abc") in requested
    assert ("org/chat", None) in requested
    assert ("Unbabel/wmt22-comet-da", None) in requested and ("org/kiwi", None) in requested
    encoder = [c for c in hub.calls if c["repo_id"] == "xlm-roberta-large"]
    assert len(encoder) == 1 and "*.safetensors" not in encoder[0]["allow_patterns"]  # config + tokenizer
    assert any("local directory" in n for n in notes) and any("CTranslate2" in n for n in notes)
    assert len(results) == 6 and all(r.ok for r in results)


def test_fetch_failure_is_one_line_per_model(tmp_path, monkeypatch):
    from huggingface_hub.errors import LocalEntryNotFoundError

    from evals.models import fetch
    from evals.suite import load_suite

    def unreachable(*args, **kwargs):
        raise LocalEntryNotFoundError("An error happened while trying to locate the files on the Hub ...")

    monkeypatch.setattr(fetch, "hub_offline", lambda: False)
    results, _ = fetch.fetch_suite(load_suite("zh-en-models"), snapshot_download=unreachable)
    assert len(results) == 4
    assert all(r.error == f"cannot fetch '{r.item.repo_id}': the Hugging Face Hub cannot be reached" for r in results)


def test_a_missing_model_is_downloaded_on_first_use_when_the_hub_may_be_used(tiny_models, empty_hub, monkeypatch):
    """Lookup never downloads; ``obtain_model`` (what hf:/llm: load through) fetches a missing model once."""
    from huggingface_hub.errors import LocalEntryNotFoundError

    from evals.models import fetch
    from evals.models.hub import resolve_model

    calls = []

    def hub(repo_id, revision=None, allow_patterns=None, cache_dir=None, **kwargs):
        calls.append(repo_id)
        return str(fake_snapshot(Path(cache_dir), repo_id, tiny_models["marian"]))

    with pytest.raises(Unavailable, match="not available offline; run: mteval models fetch"):
        resolve_model("org/tiny-marian")
    with pytest.raises(Unavailable, match="not available offline"):  # HF_HUB_OFFLINE=1: no download tried
        fetch.obtain_model("org/tiny-marian", snapshot_download=hub)
    assert calls == []
    monkeypatch.setattr(fetch, "hub_offline", lambda: False)
    ref = fetch.obtain_model("org/tiny-marian", snapshot_download=hub)
    assert calls == ["org/tiny-marian"] and ref.revision == FAKE_COMMIT and ref.has_weights()
    assert fetch.obtain_model("org/tiny-marian", snapshot_download=hub) == ref and len(calls) == 1  # cached now

    def unreachable(*args, **kwargs):
        raise LocalEntryNotFoundError("An error happened while trying to locate the files on the Hub ...")

    with pytest.raises(Unavailable) as error:
        fetch.obtain_model("org/other", snapshot_download=unreachable)
    assert str(error.value) == ("model 'org/other' is not in the local cache and the Hugging Face Hub cannot be "
                                "reached; run: mteval models fetch SUITE (or: mteval models fetch --model org/other)")


def test_fetch_cli_offline_exits_2_without_traceback(capsys):
    code, _, err = mteval_in_process("models", "fetch", "zh-en-models", capsys=capsys)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 5  # one per model, then the summary
    assert lines[0] == "error: cannot fetch 'Helsinki-NLP/opus-mt-zh-en': HF_HUB_OFFLINE is set (unset it to download)"
    assert lines[-1] == "error: 4 of 4 models could not be fetched"


def test_models_list_shows_the_cache(tiny_models, empty_hub):
    fake_snapshot(empty_hub, "Helsinki-NLP/opus-mt-zh-en", tiny_models["marian"])
    listed = cli_in_process("models", "list")
    assert listed.exit_code == 0
    assert listed.output.split("\t")[:4] == ["Helsinki-NLP/opus-mt-zh-en", "model", FAKE_COMMIT, "main"]


def test_convert_refuses_to_overwrite_and_unknown_quantization(tiny_models, tmp_path, capsys):
    code, _, err = mteval_in_process("models", "convert", str(tiny_models["marian"]), str(tiny_models["spm"]),
                                     capsys=capsys)
    assert code == 2 and "already exists" in err and "--force" in err
    from evals.models.convert import convert_model

    with pytest.raises(UsageError, match="did you mean 'int8'"):
        convert_model(str(tiny_models["marian"]), tmp_path / "out", quantization="int9")
