"""Tiny random-weight models of the real architectures, built offline for tests and benchmarks.

The Hugging Face Hub cannot be reached from the test machines, so the code
paths that load real models (``from_pretrained``, the CTranslate2 converter,
the tokenizers with their language codes) are exercised on models built here:
the real classes, a few thousand parameters per layer, seeded random weights.
Their translations are nonsense; everything around them is the real thing.

* ``spm.train_spm`` — a sentencepiece model trained on ``seeds/*.txt``.
* ``seq2seq.build_marian`` / ``build_m2m100`` / ``build_nllb`` / ``build_mbart50``
  — encoder-decoder models with their own tokenizers.
* ``causal_lm.build_causal_lm`` (written separately) — a decoder-only model.

``scripts/make_tiny_models.py --out DIR`` builds all of them.
"""
