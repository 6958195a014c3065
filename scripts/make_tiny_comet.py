"""Build tiny, random-weight COMET checkpoints that load offline.

Tests and benchmarks need real ``unbabel-comet`` models -- loaded by
``comet.load_from_checkpoint`` and scored by ``model.predict`` -- without the
Hugging Face Hub. A COMET checkpoint names the encoder it was trained on
(``pretrained_model`` in ``hparams.yaml`` and in the checkpoint's own
hyper-parameters) and COMET rebuilds that encoder with ``from_pretrained`` on
load; a local directory works there. So this script writes:

``OUT/encoder/``
    an XLM-R encoder: ``XLMRobertaConfig`` of the requested size with seeded
    random weights, and a tokenizer built from a SentencePiece model trained on
    ``seeds/*.txt`` (saved as both ``XLMRobertaTokenizer`` files and the fast
    ``tokenizer.json`` COMET loads);
``OUT/regression/``  (``checkpoints/model.ckpt`` + ``hparams.yaml``)
    a ``RegressionMetric`` shaped like ``Unbabel/wmt22-comet-da`` (mix of all
    layers with sparsemax, average pooling, feed-forward estimator);
``OUT/unified/``
    a ``UnifiedMetric`` shaped like ``Unbabel/wmt22-cometkiwi-da``
    (``input_segments: [mt, src]``, so reference-free);
``OUT/xcomet/``
    an ``XCOMETMetric`` (word-level tags, so it returns error spans).

Every ``pretrained_model`` is the absolute path of ``OUT/encoder``. Weights are
seeded (``--seed``), so a rebuild gives the same scores. Loading needs no
network: ``comet.load_from_checkpoint(OUT/regression/checkpoints/model.ckpt,
local_files_only=True)``.

    python scripts/make_tiny_comet.py --out /tmp/tiny-comet
    python scripts/make_tiny_comet.py --out /tmp/bench-comet --layers 12 --hidden 384 --heads 6

``OUT/tiny.json`` records the build options; a second call with the same
options and an intact ``OUT`` returns at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
MODELS = ("regression", "unified", "xcomet")
BUILD_VERSION = 1  # bump when the layout or the recipe changes


def build_tiny_comet(
    out: str | Path,
    *,
    layers: int = 2,
    hidden: int = 32,
    heads: int = 2,
    max_positions: int = 514,
    vocab_size: int = 3000,
    estimator: tuple[int, ...] = (64, 32),
    seed: int = 0,
) -> dict[str, Path]:
    """Write the encoder and the three checkpoints under ``out``; return their paths.

    Keys: ``encoder`` (directory) and ``regression``/``unified``/``xcomet``
    (``.../checkpoints/model.ckpt`` files).
    """
    out = Path(out).resolve()
    options = {
        "version": BUILD_VERSION, "layers": layers, "hidden": hidden, "heads": heads,
        "max_positions": max_positions, "vocab_size": vocab_size, "estimator": list(estimator),
        "seed": seed,
    }
    paths = {"encoder": out / "encoder"} | {m: out / m / "checkpoints" / "model.ckpt" for m in MODELS}
    manifest = out / "tiny.json"
    if manifest.is_file() and json.loads(manifest.read_text()) == options and all(p.exists() for p in paths.values()):
        return paths
    if hidden % heads:
        raise SystemExit(f"--hidden ({hidden}) must be a multiple of --heads ({heads})")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    _build_encoder(paths["encoder"], layers, hidden, heads, max_positions, vocab_size, seed)
    for offset, kind in enumerate(MODELS):
        _build_checkpoint(kind, paths["encoder"], out / kind, list(estimator), seed + 1 + offset)
    manifest.write_text(json.dumps(options, indent=2) + "\n")
    return paths


def _build_encoder(folder: Path, layers: int, hidden: int, heads: int, max_positions: int,
                   vocab_size: int, seed: int) -> None:
    import sentencepiece as spm
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer, XLMRobertaTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "seeds.txt"
        corpus.write_text(
            "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))), encoding="utf-8"
        )
        prefix = Path(tmp) / "spm"
        # XLM-R's layout: pieces 0..2 are <unk>, <s>, </s>; the tokenizer adds
        # <pad> and shifts by one (fairseq offset), and appends <mask>.
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size, model_type="unigram",
            character_coverage=1.0, hard_vocab_limit=False, num_threads=1, seed_sentencepiece_size=100000,
            shuffle_input_sentence=False, unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2,
        )
        slow = XLMRobertaTokenizer(vocab_file=str(prefix) + ".model", model_max_length=max_positions - 2)
        slow.save_pretrained(folder)
    fast = XLMRobertaTokenizerFast.from_pretrained(folder)  # converts the SentencePiece model once
    fast.save_pretrained(folder)
    config = XLMRobertaConfig(
        vocab_size=len(fast), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=4 * hidden, max_position_embeddings=max_positions, type_vocab_size=1,
        initializer_range=0.2,  # 10x BERT's: random tokens must move [CLS], or every score is the same
        pad_token_id=fast.pad_token_id, bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
    )
    torch.manual_seed(seed)
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(folder)


def _hparams(kind: str, encoder: Path, estimator: list[int]) -> dict:
    common = {
        "encoder_model": "XLM-RoBERTa", "pretrained_model": str(encoder), "layer_transformation": "sparsemax",
        "hidden_sizes": estimator, "activations": "Tanh", "final_activation": None, "dropout": 0.1,
        "batch_size": 16, "nr_frozen_epochs": 0.3, "keep_embeddings_frozen": True, "optimizer": "AdamW",
        "load_pretrained_weights": True, "train_data": [], "validation_data": [],
    }
    if kind == "regression":  # like Unbabel/wmt22-comet-da
        return common | {"class_identifier": "regression_metric", "pool": "avg", "layer": "mix",
                         "layer_norm": False}
    if kind == "unified":  # like Unbabel/wmt22-cometkiwi-da
        return common | {"class_identifier": "unified_metric", "sent_layer": "mix", "layer_norm": True,
                         "word_layer": 1, "input_segments": ["mt", "src"], "word_level_training": False}
    return common | {  # like Unbabel/XCOMET-XL, at toy size
        "class_identifier": "xcomet_metric", "sent_layer": "mix", "layer_norm": True, "word_layer": 1,
        "word_level_training": True,
        "error_labels": ["minor", "major", "critical"], "loss_lambda": 0.055,
    }


def _build_checkpoint(kind: str, encoder: Path, folder: Path, estimator: list[int], seed: int) -> None:
    import pytorch_lightning as ptl
    import torch
    import yaml
    from comet.models import str2model

    hparams = _hparams(kind, encoder, estimator)
    model_class = str2model[hparams["class_identifier"]]
    torch.manual_seed(seed)
    model = model_class(**{k: v for k, v in hparams.items() if k != "class_identifier"})
    with torch.no_grad():
        # Layer-mix weights rising with depth: sparsemax then mixes the upper layers, not the
        # embedding layer alone (whose [CLS] vector is the same for every input).
        weights = model.layerwise_attention.scalar_parameters
        for index, parameter in enumerate(weights):
            parameter.fill_(index / max(1, len(weights) - 1))
    (folder / "checkpoints").mkdir(parents=True, exist_ok=True)
    saved = {k: v for k, v in dict(model.hparams).items()}
    torch.save(
        {"state_dict": model.state_dict(), "hyper_parameters": saved, "epoch": 0, "global_step": 0,
         "pytorch-lightning_version": ptl.__version__},
        folder / "checkpoints" / "model.ckpt",
    )
    (folder / "hparams.yaml").write_text(yaml.safe_dump(_plain(saved), sort_keys=True), encoding="utf-8")


def _plain(value):
    """Hyper-parameters as YAML-safe builtins (COMET saves some as tuples or AttributeDicts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="Output directory.")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--max-positions", type=int, default=514,
                        help="max_position_embeddings (XLM-R: 514, i.e. 512 tokens).")
    parser.add_argument("--vocab-size", type=int, default=3000)
    parser.add_argument("--estimator", default="64,32", help="Hidden sizes of the estimator feed-forward.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = build_tiny_comet(
        args.out, layers=args.layers, hidden=args.hidden, heads=args.heads, max_positions=args.max_positions,
        vocab_size=args.vocab_size, estimator=tuple(int(x) for x in args.estimator.split(",")), seed=args.seed,
    )
    for name, path in paths.items():
        print(f"{name}\t{path}")


if __name__ == "__main__":
    sys.exit(main())
