"""Tiny random-weight encoder-decoder translation models of the real architectures.

Each builder takes the directory holding ``spm.model`` (see ``spm.py``), makes
the family's real tokenizer from it, a config of the real model class scaled
down (d_model 64, 2+2 layers), seeded random weights via ``from_config``, and
writes both with ``save_pretrained`` — exactly the files ``from_pretrained``
reads for the published checkpoints:

* ``build_marian`` — ``MarianMTModel`` + ``MarianTokenizer`` (``source.spm``,
  ``target.spm``, ``vocab.json``). The vocabulary is laid out like opus-mt:
  ``</s>`` 0, ``<unk>`` 1, the pieces, ``<pad>`` last (CTranslate2's Marian
  converter drops a trailing ``<pad>``; decoding starts from ``<pad>``).
* ``build_m2m100`` — ``M2M100ForConditionalGeneration`` + ``M2M100Tokenizer``
  (``__zh__``/``__en__`` language tokens).
* ``build_nllb`` — the same architecture with ``NllbTokenizer``/``NllbTokenizerFast``
  (``zho_Hans``, ``zho_Hant``, ``eng_Latn``): NLLB checkpoints are ``model_type:
  m2m100`` and differ only in their tokenizer.
* ``build_mbart50`` — ``MBartForConditionalGeneration`` + ``MBart50Tokenizer``
  (``zh_CN``/``en_XX``).

Weights are drawn after ``torch.manual_seed`` with a larger ``init_std`` than
the default, so logits are peaked and greedy outputs do not hinge on
floating-point ties (batching-invariance tests compare outputs exactly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 20240601
INIT_STD = 0.3


@dataclass(frozen=True)
class Shape:
    """Model size; ``tiny()`` for tests, ``opus_mt()`` for the benchmark."""

    d_model: int = 64
    layers: int = 2
    heads: int = 4
    ffn: int = 128
    max_positions: int = 256

    @classmethod
    def tiny(cls) -> "Shape":
        return cls()

    @classmethod
    def opus_mt(cls) -> "Shape":
        """Helsinki-NLP/opus-mt-zh-en: transformer-base, 6+6 layers."""
        return cls(d_model=512, layers=6, heads=8, ffn=2048, max_positions=512)

    def config_kwargs(self) -> dict[str, Any]:
        return {
            "d_model": self.d_model,
            "encoder_layers": self.layers,
            "decoder_layers": self.layers,
            "encoder_attention_heads": self.heads,
            "decoder_attention_heads": self.heads,
            "encoder_ffn_dim": self.ffn,
            "decoder_ffn_dim": self.ffn,
            "max_position_embeddings": self.max_positions,
            "dropout": 0.0,
            "attention_dropout": 0.0,
            "activation_dropout": 0.0,
        }


def _pieces(spm_path: Path) -> list[str]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(spm_path))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _save_model(model_class: Any, config: Any, out: Path, seed: int, **generation: Any) -> None:
    """Seeded weights; ``generation`` becomes ``generation_config.json`` (as on the Hub)."""
    import torch
    from transformers import GenerationConfig

    torch.manual_seed(seed)
    model = model_class(config)
    model.eval()
    model.generation_config = GenerationConfig.from_model_config(config)
    model.generation_config.update(**generation)
    model.save_pretrained(out)


def marian_vocab(spm_path: Path, size: int | None = None) -> dict[str, int]:
    """opus-mt layout: ``</s>`` 0, ``<unk>`` 1, pieces, filler up to ``size``, ``<pad>`` last."""
    tokens = ["</s>", "<unk>"] + [p for p in _pieces(spm_path) if p not in ("<unk>", "<s>", "</s>")]
    if size is not None:
        tokens += [f"<filler{i}>" for i in range(size - 1 - len(tokens))]
    tokens.append("<pad>")
    return {token: index for index, token in enumerate(tokens)}


def build_marian(out: Path, spm_dir: Path, shape: Shape = Shape(), vocab_size: int | None = None,
                 seed: int = SEED) -> Path:
    """A ``MarianMTModel`` zh→en with its ``MarianTokenizer``; returns ``out``."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spm_path = Path(spm_dir) / "spm.model"
    vocab = marian_vocab(spm_path, vocab_size)
    work = out / "_vocab.json"
    work.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(str(spm_path), str(spm_path), str(work), source_lang="zh", target_lang="en")
    work.unlink()
    tokenizer.save_pretrained(out)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab), decoder_vocab_size=len(vocab), pad_token_id=pad,
        decoder_start_token_id=pad, eos_token_id=vocab["</s>"], forced_eos_token_id=vocab["</s>"],
        init_std=INIT_STD, scale_embedding=True, share_encoder_decoder_embeddings=True,
        **shape.config_kwargs(),
    )
    # opus-mt's generation_config.json: beam 4, never emit <pad>, forced </s> at max_length.
    _save_model(MarianMTModel, config, out, seed, bad_words_ids=[[pad]], num_beams=4, max_length=shape.max_positions)
    return out


def build_m2m100(out: Path, spm_dir: Path, shape: Shape = Shape(), seed: int = SEED + 1) -> Path:
    """An ``M2M100ForConditionalGeneration`` with ``M2M100Tokenizer`` (``__zh__``, ``__en__``)."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spm_path = Path(spm_dir) / "spm.model"
    tokens = ["<s>", "<pad>", "</s>", "<unk>"] + [p for p in _pieces(spm_path) if p not in ("<unk>", "<s>", "</s>")]
    work = out / "_vocab.json"
    work.write_text(json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False), encoding="utf-8")
    # The published checkpoints list every language token as a special token (so decoding with
    # skip_special_tokens drops them); the constructor alone does not, so pass them as the hub files do.
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    languages = [f"__{code}__" for code in FAIRSEQ_LANGUAGE_CODES["m2m100"]]
    tokenizer = M2M100Tokenizer(str(work), str(spm_path), src_lang="zh", tgt_lang="en",
                                additional_special_tokens=languages)
    work.unlink()
    tokenizer.save_pretrained(out)
    # Language tokens follow the vocabulary, then fairseq's "madeup words" (as in the real 128112).
    vocab_size = tokenizer.encoder_size + len(tokenizer.lang_token_to_id) + tokenizer.num_madeup_words
    config = M2M100Config(
        vocab_size=vocab_size, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
        init_std=INIT_STD, scale_embedding=True, **shape.config_kwargs(),
    )
    _save_model(M2M100ForConditionalGeneration, config, out, seed, num_beams=5, max_length=shape.max_positions)
    return out


def build_nllb(out: Path, spm_dir: Path, shape: Shape = Shape(), seed: int = SEED + 2) -> Path:
    """The M2M100 architecture with NLLB's tokenizer (``zho_Hans``, ``zho_Hant``, ``eng_Latn``)."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer, NllbTokenizerFast

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    slow = NllbTokenizer(str(Path(spm_dir) / "spm.model"), src_lang="zho_Hans", tgt_lang="eng_Latn")
    slow.save_pretrained(out)
    fast = NllbTokenizerFast.from_pretrained(out)  # converts from the slow one; adds tokenizer.json
    fast.save_pretrained(out)
    config = M2M100Config(
        vocab_size=len(fast), pad_token_id=fast.pad_token_id, bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id, decoder_start_token_id=fast.eos_token_id,
        init_std=INIT_STD, scale_embedding=True, tokenizer_class="NllbTokenizer", **shape.config_kwargs(),
    )
    _save_model(M2M100ForConditionalGeneration, config, out, seed, max_length=shape.max_positions)
    return out


def build_mbart50(out: Path, spm_dir: Path, shape: Shape = Shape(), seed: int = SEED + 3) -> Path:
    """An ``MBartForConditionalGeneration`` with ``MBart50Tokenizer`` (``zh_CN``, ``en_XX``)."""
    from transformers import MBart50Tokenizer, MBart50TokenizerFast, MBartConfig, MBartForConditionalGeneration

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # bos_token as in the published special_tokens_map.json (the constructor has no default for it)
    tokenizer = MBart50Tokenizer(str(Path(spm_dir) / "spm.model"), src_lang="zh_CN", tgt_lang="en_XX",
                                 bos_token="<s>")
    tokenizer.save_pretrained(out)
    MBart50TokenizerFast.from_pretrained(out).save_pretrained(out)  # tokenizer.json: no conversion per load
    config = MBartConfig(
        vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id, init_std=INIT_STD, scale_embedding=True,
        tokenizer_class="MBart50Tokenizer", **shape.config_kwargs(),
        # fairseq-era keys the published mBART-50 config.json carries (CTranslate2's converter reads them)
        normalize_before=True, normalize_embedding=True, add_final_layer_norm=True,
    )
    _save_model(MBartForConditionalGeneration, config, out, seed, num_beams=5, max_length=shape.max_positions)
    return out
