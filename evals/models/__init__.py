"""Model files: where a model is, which revision it is, how to get it and convert it.

* ``hub`` — resolve ``MODEL_OR_PATH[@REVISION]`` to a local directory and a
  revision (the commit hash of a Hugging Face cache snapshot, or a sha256 over
  a local directory's files), without loading any weights. Offline and not
  cached is ``evals.errors.Unavailable`` with the command that fixes it.
* ``fetch`` — download everything a suite names (systems and metric
  checkpoints) into the Hugging Face cache, so later runs work air-gapped.
* ``convert`` — Transformers → CTranslate2 conversion, tokenizer files copied
  next to the converted model.

Every module keeps ``huggingface_hub``, ``transformers`` and ``ctranslate2``
imports inside its functions.
"""
