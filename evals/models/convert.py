"""Transformers → CTranslate2 conversion for the ``ct2:`` backend.

``convert_model(SRC, OUT, quantization="int8")`` resolves ``SRC`` like every
backend does (a local directory, or a hub id from the local cache -- fetched
first when the Hub is reachable), runs ``ctranslate2.converters.
TransformersConverter`` on that directory and writes, into ``OUT``:

* CTranslate2's ``model.bin``, ``config.json`` and vocabulary files,
* the source model's tokenizer files (``TOKENIZER_FILES`` that exist), so
  ``ct2:OUT`` tokenises exactly like ``hf:SRC``,
* ``mteval-convert.json``: source id, source revision, family, quantization,
  ctranslate2/transformers versions -- recorded in the ``ct2:`` provenance.

Marian note: CTranslate2 drops a trailing ``<pad>`` from Marian vocabularies
(decoding starts from a zero embedding instead), as opus-mt has it last.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from evals.errors import InputError, UsageError, did_you_mean

QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16",
                 "float32")
TOKENIZER_FILES = (
    "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json", "added_tokens.json",
    "vocab.json", "target_vocab.json", "source.spm", "target.spm", "sentencepiece.bpe.model",
    "sentencepiece.model", "spiece.model", "merges.txt", "vocab.txt",
)
INFO_FILE = "mteval-convert.json"


@dataclass(frozen=True)
class Conversion:
    output: Path
    source: str
    source_revision: str
    family: str
    quantization: str
    copied: tuple[str, ...]


def convert_model(source: str, output: str | Path, quantization: str = "int8", force: bool = False,
                  revision: str | None = None) -> Conversion:
    """Convert ``source`` (directory or hub id) into a CTranslate2 model directory ``output``."""
    from evals.models.hub import require_weights, resolve_model
    from evals.systems.hf import detect_family

    if quantization not in QUANTIZATIONS:
        raise UsageError(f"unknown quantization '{quantization}' (choose from {', '.join(QUANTIZATIONS)})",
                         field="quantization", hint=did_you_mean(str(quantization), QUANTIZATIONS))
    output = Path(output)
    if output.exists() and not force:
        raise InputError("output directory already exists", path=output, hint="use --force to replace it")
    ref = resolve_model(source, revision)
    require_weights(ref)
    if output.resolve() == ref.path.resolve():
        raise UsageError("output directory is the source model directory", field="out")
    config = ref.read_json("config.json")
    family = detect_family(config, ref.read_json("tokenizer_config.json"), ref.name)
    copied = tuple(name for name in TOKENIZER_FILES if (ref.path / name).is_file())

    import ctranslate2
    from ctranslate2.converters import TransformersConverter

    converter = TransformersConverter(str(ref.path), copy_files=list(copied))
    try:
        with warnings.catch_warnings():  # MarianTokenizer nags about sacremoses, which it does not use here
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            converter.convert(str(output), quantization=quantization, force=force)
    except (ValueError, NotImplementedError, AttributeError, KeyError) as error:  # unsupported model/config
        raise InputError(f"CTranslate2 cannot convert this model: {' '.join(str(error).split())}",
                         path=ref.path) from None
    from evals.systems.base import package_version

    info = {
        "source": ref.repo_id or str(ref.path),
        "source_revision": ref.revision,
        "model_type": config.get("model_type"),
        "family": family,
        "quantization": quantization,
        "ctranslate2": ctranslate2.__version__,
        "transformers": package_version("transformers"),
        "copied_files": list(copied),
    }
    (output / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return Conversion(output, info["source"], ref.revision, family, quantization, copied)
