"""Model files: where a model is, which revision it is, how to get it and convert it.

* ``hub`` — resolve ``MODEL_OR_PATH[@REVISION]`` to a local directory and a
  revision (the commit hash of a Hugging Face cache snapshot, or a sha256 over
  a local directory's files), without loading weights or downloading. Not
  cached is ``evals.errors.Unavailable`` with the command that fixes it. The
  one lookup for the hf/llm/ct2 systems and the COMET checkpoints.
* ``fetch`` — download everything a suite names (systems and metric
  checkpoints) into the Hugging Face cache, so later runs work air-gapped
  (imports ``hub``; ``hub`` never imports it).
* ``convert`` — Transformers → CTranslate2 conversion, tokenizer files copied
  next to the converted model.

Every module keeps ``huggingface_hub``, ``transformers`` and ``ctranslate2``
imports inside its functions.
"""
