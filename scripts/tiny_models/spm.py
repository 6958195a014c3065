"""A small sentencepiece model trained on the seed articles, deterministically.

Every tiny model shares it, so their tokenizers see real Chinese and English
pieces. The Chinese lines are added a second time converted to Traditional
(OpenCC ``s2twp``) so that the Traditional corpus is not mostly ``<unk>``.

Determinism: the input is sorted and de-duplicated, training runs on one
thread with a fixed random seed, and ``input_sentence_size=0`` (no sampling),
so the same seeds give a byte-identical ``spm.model``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
MODEL_NAME = "spm.model"
VOCAB_SIZE = 3000
SEED = 1234
_HAN = re.compile(r"[\u4e00-\u9fff]")


def seed_lines(seeds: Path = SEEDS) -> list[str]:
    """Non-empty lines of every seed (any encoding the corpus reader accepts), plus Traditional copies."""
    from evals.corpora.reading import read_text

    lines: set[str] = set()
    for path in sorted(seeds.glob("*.txt")):
        for line in read_text(path).lines:
            line = line.strip()
            if line:
                lines.add(line)
    lines |= _traditional([line for line in lines if _HAN.search(line)])
    return sorted(lines)


def _traditional(lines: list[str]) -> set[str]:
    try:
        import opencc
    except ImportError:  # only a coverage nicety
        return set()
    converter = opencc.OpenCC("s2twp")
    return {converter.convert(line) for line in lines}


def train_spm(out_dir: Path, seeds: Path = SEEDS, vocab_size: int = VOCAB_SIZE) -> Path:
    """Train ``out_dir/spm.model`` (unigram) and return its path.

    Standard ids (``<unk>`` 0, ``<s>`` 1, ``</s>`` 2, no ``<pad>``): the
    fairseq-style tokenizers (M2M100, NLLB, mBART-50) expect this layout and
    Marian maps pieces through its own ``vocab.json``.
    """
    import sentencepiece as spm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = "\n".join(seed_lines(seeds)) + "\n"
    model = io.BytesIO()
    spm.set_random_generator_seed(SEED)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text.splitlines()),
        model_writer=model,
        model_type="unigram",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=0.9995,
        num_threads=1,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        max_sentence_length=8192,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        minloglevel=2,
    )
    path = out_dir / MODEL_NAME
    path.write_bytes(model.getvalue())
    return path
