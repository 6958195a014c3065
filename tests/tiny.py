"""The tiny random-weight models, built once per test session (offline, ~10 s).

Use it from a test module with::

    from tests.tiny import tiny_models  # noqa: F401  (a pytest fixture)

    def test_something(tiny_models):
        marian_dir = tiny_models["marian"]

``tiny_models`` is a dict of ``pathlib.Path`` (or None) by key:

=============  ==============================================================
``spm``        directory holding ``spm.model`` (sentencepiece on the seeds)
``marian``     ``MarianMTModel`` zh→en + ``MarianTokenizer`` (``hf:`` dir)
``m2m100``     ``M2M100ForConditionalGeneration`` + ``M2M100Tokenizer``
``nllb``       M2M100 architecture + ``NllbTokenizerFast`` (zho_Hans/zho_Hant)
``mbart50``    ``MBartForConditionalGeneration`` + ``MBart50TokenizerFast``
``marian_ct2`` CTranslate2 (float32) conversion of ``marian`` (``ct2:`` dir)
``causal_lm``  tiny chat LM (``llm:`` dir); None if its builder is missing
=============  ==============================================================

The models are built by running ``scripts/make_tiny_models.py --out DIR`` in a
subprocess (so a broken build shows its own error) into a fixed directory
under the session's base temp dir; a second module importing the fixture
finds the manifest there and does not rebuild.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "make_tiny_models.py"
KEYS = ("spm", "marian", "m2m100", "nllb", "mbart50", "marian_ct2", "causal_lm")


def build_tiny_models(out: Path) -> dict[str, Path | None]:
    """Build (or reuse, when ``out/manifest.json`` exists) the tiny models under ``out``."""
    manifest = out / "manifest.json"
    if not manifest.is_file():
        # One thread: the build is tiny, and on a busy machine OpenMP's spinning threads make it crawl.
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
        done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--quiet"],
                              capture_output=True, text=True, cwd=REPO, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"make_tiny_models.py failed:\n{done.stderr[-3000:]}")
    paths = json.loads(manifest.read_text(encoding="utf-8"))
    return {key: (Path(paths[key]) if paths.get(key) else None) for key in KEYS}


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path | None]:
    """Paths of the tiny models (see the module docstring for the keys)."""
    return build_tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")
