"""Build the tiny random-weight models the tests (and curious users) run offline.

    python scripts/make_tiny_models.py --out /tmp/tiny

writes, under ``--out``:

=============  ====================================================================
``spm/``       ``spm.model``: sentencepiece (unigram, 3000 pieces) on ``seeds/*.txt``
``marian/``    ``MarianMTModel`` + ``MarianTokenizer`` (zh→en, ``<pad>`` last)
``m2m100/``    ``M2M100ForConditionalGeneration`` + ``M2M100Tokenizer``
``nllb/``      the M2M100 architecture + ``NllbTokenizer``/``NllbTokenizerFast``
``mbart50/``   ``MBartForConditionalGeneration`` + ``MBart50Tokenizer``
``marian_ct2/``  CTranslate2 conversion of ``marian`` (float32; quantize at load
               time with ``compute_type``), tokenizer files copied next to it
``causal_lm/``   a tiny chat model (``scripts/tiny_models/causal_lm.py``), when
               that module exists
``manifest.json``  the keys above → absolute paths (``causal_lm``: null when skipped)
=============  ====================================================================

Deterministic (seeded weights, single-threaded sentencepiece training) and
offline. The translations are nonsense; the loading code paths are the real ones.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

KEYS = ("spm", "marian", "m2m100", "nllb", "mbart50", "marian_ct2", "causal_lm")


def build(out: Path, quiet: bool = False) -> dict[str, str | None]:
    """Build every tiny model into ``out`` and return the manifest (key → path or None)."""
    import warnings

    import transformers

    from scripts.tiny_models.seq2seq import build_m2m100, build_marian, build_mbart50, build_nllb
    from scripts.tiny_models.spm import train_spm

    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")

    def say(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr)

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths: dict[str, str | None] = {}
    spm_dir = out / "spm"
    train_spm(spm_dir)
    paths["spm"] = str(spm_dir.resolve())
    for key, builder in (("marian", build_marian), ("m2m100", build_m2m100), ("nllb", build_nllb),
                         ("mbart50", build_mbart50)):
        target = out / key
        if target.exists():
            shutil.rmtree(target)
        paths[key] = str(builder(target, spm_dir).resolve())
        say(f"built {key} ({time.perf_counter() - started:.1f}s)")

    from evals.models.convert import convert_model

    convert_model(paths["marian"], out / "marian_ct2", quantization="float32", force=True)
    paths["marian_ct2"] = str((out / "marian_ct2").resolve())
    say(f"built marian_ct2 ({time.perf_counter() - started:.1f}s)")

    paths["causal_lm"] = None
    if importlib.util.find_spec("scripts.tiny_models.causal_lm") is None:
        say("note: scripts/tiny_models/causal_lm.py is not there; skipped the causal LM")
    else:
        from scripts.tiny_models.causal_lm import build_causal_lm

        target = out / "causal_lm"
        if target.exists():
            shutil.rmtree(target)
        built = build_causal_lm(target, spm_dir)
        paths["causal_lm"] = str(Path(built or target).resolve())
        say(f"built causal_lm ({time.perf_counter() - started:.1f}s)")
    (out / "manifest.json").write_text(json.dumps(paths, indent=2) + "\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--quiet", action="store_true", help="print only the manifest")
    args = parser.parse_args(argv)
    paths = build(args.out, quiet=args.quiet)
    print(json.dumps(paths, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
