"""Benchmark: HF transformers vs CTranslate2 on an opus-mt-zh-en-shaped model, raw and through mteval.

The model is a random-weight ``MarianMTModel`` with the shape of
Helsinki-NLP/opus-mt-zh-en (d_model 512, 6+6 layers, 8 heads, FFN 2048,
65,001-entry vocabulary with ``<pad>`` last) and the seeds' sentencepiece
model; it is converted to CTranslate2 int8 and float32 with
``evals.models.convert``. The sources are the first ``--sentences`` Chinese
segments of ``corpora/*.jsonl``. Decoding is greedy with a fixed output length
(``min_new_tokens = max_new_tokens = --tokens`` in transformers,
``min_decoding_length = max_decoding_length`` in CTranslate2), so every
configuration does the same amount of work whatever the random weights say.

Measured side by side, each after a warm-up, best of ``--repeat`` rounds in which every
configuration runs once (round robin, so a burst of load from elsewhere hits all alike):

* raw HF ``generate``, batches of ``--batch`` in corpus order (unsorted),
* raw HF ``generate``, batches of ``--batch`` after sorting by source length,
* raw CTranslate2 ``translate_batch`` on the int8 and float32 conversions
  (``max_batch_size=--batch``; CTranslate2 sorts by length itself),
* mteval ``hf:`` and ``ct2:`` (int8) through the System API with the same batch
  size, plus what the runner adds: describe/cache keys and the store writes
  (translation cache + translations table in a fresh SQLite store),
* mteval ``hf:``/``ct2:`` with their default batching (token budget 4096).

Raw timings include tokenisation and detokenisation, as a user's script would.
Goals: mteval within 10% of the raw calls, CT2 int8 ≥ 2x HF fp32 through
mteval, sorted ≥ 1.2x unsorted.

    python scripts/bench_backends.py                    # 200 sentences, batch 16, 24 tokens, 2 threads
    python scripts/bench_backends.py --sentences 100 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")

OPUS_MT_VOCAB = 65001


def chinese_segments(count: int):
    """The first ``count`` Chinese-source segments of the built corpora (deterministic order)."""
    from evals.corpora.loaders import load_segments

    found = []
    for name in ("paired.zh-Hans", "mono-zh", "paired.zh-Hant"):
        found += [s for s in load_segments(str(REPO / "corpora" / f"{name}.jsonl")) if s.src_lang == "zh"]
    if len(found) < count:
        raise SystemExit(f"only {len(found)} Chinese segments in corpora/; ask for fewer with --sentences")
    return found[:count]


def build_models(work: Path, log: Callable[[str], None]) -> dict[str, Path]:
    from evals.models.convert import convert_model
    from scripts.tiny_models.seq2seq import Shape, build_marian
    from scripts.tiny_models.spm import train_spm

    paths = {"hf": work / "opus-mt-shaped", "ct2_int8": work / "ct2-int8", "ct2_fp32": work / "ct2-float32"}
    if all((path / "config.json").is_file() for path in paths.values()):
        log(f"reusing models in {work}")
        return paths
    started = time.perf_counter()
    train_spm(work / "spm")
    build_marian(paths["hf"], work / "spm", shape=Shape.opus_mt(), vocab_size=OPUS_MT_VOCAB)
    log(f"built the random-weight opus-mt-shaped model ({time.perf_counter() - started:.1f}s)")
    convert_model(str(paths["hf"]), paths["ct2_int8"], quantization="int8", force=True)
    convert_model(str(paths["hf"]), paths["ct2_fp32"], quantization="float32", force=True)
    log(f"converted to CTranslate2 int8 and float32 ({time.perf_counter() - started:.1f}s)")
    return paths


# --- raw library calls ----------------------------------------------------------------------------

def raw_hf(model_dir: Path, texts: list[str], batch: int, tokens: int, sort: bool) -> Callable[[], list[str]]:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()

    def run() -> list[str]:
        order = list(range(len(texts)))
        if sort:
            lengths = [len(ids) for ids in tokenizer(texts)["input_ids"]]
            order.sort(key=lambda i: -lengths[i])
        out: list[str] = [""] * len(texts)
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            encoded = tokenizer([texts[i] for i in chunk], return_tensors="pt", padding=True)
            with torch.inference_mode():
                generated = model.generate(**encoded, num_beams=1, do_sample=False, min_new_tokens=tokens,
                                           max_new_tokens=tokens)
            for i, text in zip(chunk, tokenizer.batch_decode(generated, skip_special_tokens=True)):
                out[i] = text
        return out

    return run


def raw_ct2(model_dir: Path, texts: list[str], batch: int, tokens: int, threads: int,
            compute_type: str) -> Callable[[], list[str]]:
    import ctranslate2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    translator = ctranslate2.Translator(str(model_dir), device="cpu", compute_type=compute_type,
                                        inter_threads=1, intra_threads=threads)

    def run() -> list[str]:
        sources = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(texts)["input_ids"]]
        results = translator.translate_batch(sources, beam_size=1, max_batch_size=batch,
                                             min_decoding_length=tokens, max_decoding_length=tokens)
        return [tokenizer.decode(tokenizer.convert_tokens_to_ids(r.hypotheses[0]), skip_special_tokens=True)
                for r in results]

    return run


# --- through mteval -------------------------------------------------------------------------------

def through_mteval(spec: str, options: dict, segments, work: Path) -> Callable[[], list[str]]:
    """What the runner does for one system and corpus, minus language flags and metrics."""
    from evals.runner import translation_key
    from evals.store import cache_key, open_store
    from evals.systems import build_system

    system = build_system(spec, **options)
    system.translate(segments[:4])  # load the model (a run pays this once)
    counter = iter(range(1_000_000))

    def run() -> list[str]:
        db = work / f"bench-{next(counter)}-{os.getpid()}.db"
        with open_store(f"sqlite:///{db}") as store:
            info = system.describe()
            run_id = store.create_run("bench", {}, {}, {}, [])
            ids = store.add_segments(segments)
            system_id = store.add_system(run_id, system.name, system.spec, info.revision, info.params,
                                         info.to_json())
            key = info.cache_key()
            keys = [cache_key(translation_key(key, s)) for s in segments]
            outputs: list[str] = []
            size = system.max_batch_size or len(segments)
            for start in range(0, len(segments), size):
                chunk, chunk_keys = segments[start:start + size], keys[start:start + size]
                hypotheses = system.translate(chunk)
                store.translation_cache.put_many([(k, spec, h) for k, h in zip(chunk_keys, hypotheses)])
                store.add_translations(run_id, system_id, [
                    (ids[(s.corpus, s.seg_id)], h, k, []) for s, h, k in zip(chunk, hypotheses, chunk_keys)])
                outputs += hypotheses
            store.finish_run(run_id, "done")
        db.unlink()
        return outputs

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=24, help="output tokens per sentence (fixed)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per configuration (best is kept)")
    parser.add_argument("--work", type=Path, default=None, help="keep/reuse the models here (default: temp)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    load = os.getloadavg()
    log(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs; "
        f"torch {torch.__version__}, {args.threads} threads")
    temp = None
    if args.work is None:
        temp = tempfile.TemporaryDirectory(prefix="bench-backends-")
        work = Path(temp.name)
    else:
        work = args.work
        work.mkdir(parents=True, exist_ok=True)
    paths = build_models(work, log)
    segments = chinese_segments(args.sentences)
    texts = [s.source for s in segments]
    batch, tokens, threads = args.batch, args.tokens, args.threads
    hf_options = {"num_beams": 1, "max_new_tokens": tokens, "min_new_tokens": tokens, "device": "cpu"}
    ct2_options = {"beam_size": 1, "max_decoding_length": tokens, "min_decoding_length": tokens, "device": "cpu",
                   "intra_threads": threads}
    configs: list[tuple[str, Callable[[], Callable[[], list[str]]]]] = [
        ("raw HF fp32 unsorted", lambda: raw_hf(paths["hf"], texts, batch, tokens, sort=False)),
        ("raw HF fp32 sorted", lambda: raw_hf(paths["hf"], texts, batch, tokens, sort=True)),
        ("raw CT2 int8", lambda: raw_ct2(paths["ct2_int8"], texts, batch, tokens, threads, "int8")),
        ("raw CT2 fp32", lambda: raw_ct2(paths["ct2_fp32"], texts, batch, tokens, threads, "float32")),
        ("mteval hf: fp32", lambda: through_mteval(
            f"hf:{paths['hf']}", hf_options | {"batch_size": batch, "max_tokens": 1 << 20}, segments, work)),
        ("mteval ct2: int8", lambda: through_mteval(
            f"ct2:{paths['ct2_int8']}", ct2_options | {"compute_type": "int8", "max_batch_size": batch},
            segments, work)),
        ("mteval ct2: fp32", lambda: through_mteval(
            f"ct2:{paths['ct2_fp32']}", ct2_options | {"compute_type": "float32", "max_batch_size": batch},
            segments, work)),
        ("mteval hf: fp32 default batching", lambda: through_mteval(f"hf:{paths['hf']}", hf_options, segments, work)),
        ("mteval ct2: int8 default batching", lambda: through_mteval(
            f"ct2:{paths['ct2_int8']}", ct2_options | {"compute_type": "int8"}, segments, work)),
    ]
    runs: dict[str, Callable[[], list[str]]] = {}
    for label, make in configs:
        runs[label] = make()
        runs[label]()  # warm-up (first-call allocations, lazy imports)
        log(f"ready: {label}")
    # Round robin, best of --repeat: a burst of load from elsewhere hits one round of every
    # configuration instead of all rounds of one.
    results: dict[str, dict] = {label: {"times": [], "outputs": []} for label in runs}
    for round_ in range(args.repeat):
        for label, run in runs.items():
            started = time.perf_counter()
            results[label]["outputs"] = run()
            results[label]["times"].append(time.perf_counter() - started)
        log(f"round {round_ + 1}/{args.repeat} done (load {os.getloadavg()[0]:.2f})")
    for label, result in results.items():
        result["seconds"] = seconds = min(result["times"])
        log(f"{label:36s} {seconds:7.2f} s  ({len(texts) / seconds:6.1f} sent/s; runs "
            f"{', '.join(f'{t:.2f}' for t in result['times'])})")

    def t(label: str) -> float:
        return results[label]["seconds"]

    def stripped(label: str) -> list[str]:
        return [text.strip() for text in results[label]["outputs"]]

    same = stripped("raw HF fp32 sorted") == stripped("mteval hf: fp32")
    same_ct2 = stripped("raw CT2 int8") == stripped("mteval ct2: int8")
    ratios = [
        ("HF sorted vs unsorted (raw)", t("raw HF fp32 unsorted") / t("raw HF fp32 sorted"), "≥ 1.20x"),
        ("CT2 int8 vs HF fp32 sorted (raw)", t("raw HF fp32 sorted") / t("raw CT2 int8"), "ref 2.14x"),
        ("CT2 fp32 vs HF fp32 sorted (raw)", t("raw HF fp32 sorted") / t("raw CT2 fp32"), "ref 0.79x"),
        ("mteval hf: vs raw HF sorted", t("raw HF fp32 sorted") / t("mteval hf: fp32"), "≥ 0.90x"),
        ("mteval ct2: int8 vs raw CT2 int8", t("raw CT2 int8") / t("mteval ct2: int8"), "≥ 0.90x"),
        ("mteval ct2: fp32 vs raw CT2 fp32", t("raw CT2 fp32") / t("mteval ct2: fp32"), "≥ 0.90x"),
        ("mteval ct2: int8 vs mteval hf: fp32", t("mteval hf: fp32") / t("mteval ct2: int8"), "≥ 2.00x"),
        ("mteval hf: default vs batch-16 setting", t("mteval hf: fp32") / t("mteval hf: fp32 default batching"),
         "info"),
        ("mteval ct2: default vs batch-16 setting",
         t("mteval ct2: int8") / t("mteval ct2: int8 default batching"), "info"),
    ]
    print(f"\n{len(texts)} sentences, batch {batch}, {tokens} output tokens, {threads} threads, greedy; "
          f"best of {args.repeat}")
    for label, value, goal in ratios:
        print(f"  {label:42s} {value:5.2f}x   (goal/reference {goal})")
    print(f"  mteval hf: outputs identical to raw HF sorted: {same}; mteval ct2: identical to raw CT2: {same_ct2}")
    lengths = statistics.mean(len(o.split()) for o in results["raw CT2 int8"]["outputs"])
    print(f"  (mean output words, CT2 int8: {lengths:.1f})")
    load = os.getloadavg()
    print(f"  load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        print(json.dumps({k: {"seconds": v["seconds"], "times": v["times"]} for k, v in results.items()}
                         | {"ratios": {label: value for label, value, _ in ratios}}, indent=2))
    if temp is not None:
        temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
