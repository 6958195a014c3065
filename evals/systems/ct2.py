"""``ct2:PATH``: a CTranslate2 ``Translator`` on a converted model directory.

Layout of ``PATH`` (what ``mteval models convert SRC OUT`` writes):

* ``model.bin``, ``config.json``, ``shared_vocabulary.json`` (or
  ``source_vocabulary.json``/``target_vocabulary.json``) -- CTranslate2's files;
* the Hugging Face tokenizer files of the source model, copied next to them
  (``tokenizer_config.json``, ``special_tokens_map.json`` and ``source.spm``/
  ``target.spm``/``vocab.json`` for Marian, ``sentencepiece.bpe.model`` or
  ``tokenizer.json`` for NLLB/M2M100/mBART-50) -- tokenisation and detokenisation
  use ``AutoTokenizer.from_pretrained(PATH)``, exactly as for ``hf:``;
* ``mteval-convert.json`` (optional) -- the source model id and revision, the
  quantization and the converter versions, recorded in ``describe()``.

The family and its language codes are found as for ``hf:`` (see
``evals.systems.hf``): the source code goes through the tokenizer, the target
code is the ``target_prefix``.

Options:

* ``compute_type`` ``default`` (the type the model was saved with) | ``int8`` |
  ``int8_float32`` | ``int8_float16`` | ``int8_bfloat16`` | ``int16`` |
  ``float32`` | ``float16`` | ``bfloat16``,
* ``beam_size`` (default **4**, as ``hf:``'s ``num_beams``),
  ``max_decoding_length`` (default 256, as ``hf:``'s ``max_new_tokens``),
  ``min_decoding_length`` (default 0),
* ``max_tokens`` (default 4096: CTranslate2's ``batch_type="tokens"``) or
  ``max_batch_size`` (segments per batch, ``batch_type="examples"``) -- not
  both; CTranslate2 sorts by length within a call and restores the order,
* ``inter_threads`` (default 1) and ``intra_threads`` (default 0: CTranslate2's
  choice), ``device`` ``auto`` | ``cpu`` | ``cuda``.

Batching, threads and device change speed, not outputs, so ``describe()``
leaves them out; ``compute_type`` is in. The revision is the sha256 of the
model directory's files.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError
from evals.systems.base import System, SystemInfo, TranslationContext, package_version
from evals.systems.hf import (
    choice, detect_family, family_codes_table, language_pairs, positive_int, segment_codes,
)

if TYPE_CHECKING:
    from evals.systems.registry import Registry

COMPUTE_TYPES = ("default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                 "float32", "float16", "bfloat16")
DEFAULT_BEAM_SIZE = 4
DEFAULT_MAX_DECODING_LENGTH = 256
DEFAULT_MAX_TOKENS = 4096
CONVERT_INFO = "mteval-convert.json"
TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json")


class Ct2System(System):
    """A CTranslate2-converted seq2seq model with its Hugging Face tokenizer."""

    backend = "ct2"
    loads_model = True
    model_source = "local"
    local_model_note = "a local CTranslate2 model (make it with `mteval models convert`)"

    def __init__(
        self,
        arg: str | None = None,
        /,
        *,
        spec: str = "ct2",
        name: str | None = None,
        compute_type: str = "default",
        beam_size: int = DEFAULT_BEAM_SIZE,
        max_decoding_length: int = DEFAULT_MAX_DECODING_LENGTH,
        min_decoding_length: int = 0,
        max_tokens: int | None = None,
        max_batch_size: int | None = None,
        inter_threads: int = 1,
        intra_threads: int = 0,
        device: str = "auto",
    ) -> None:
        from evals.models.hub import directory_revision

        super().__init__(spec, name)
        if not arg:
            raise UsageError("system 'ct2' needs a model directory", field="system", hint="write it as 'ct2:PATH'")
        self.compute_type = choice(compute_type, "compute_type", COMPUTE_TYPES)
        self.beam_size = positive_int(beam_size, "beam_size")
        self.max_decoding_length = positive_int(max_decoding_length, "max_decoding_length")
        if isinstance(min_decoding_length, bool) or not isinstance(min_decoding_length, int) or min_decoding_length < 0:
            raise UsageError(f"option 'min_decoding_length' must be a non-negative integer, got "
                             f"{min_decoding_length!r}", field="min_decoding_length")
        self.min_decoding_length = min_decoding_length
        if max_tokens is not None and max_batch_size is not None:
            raise UsageError("give either 'max_tokens' or 'max_batch_size', not both", field="max_batch_size")
        if max_batch_size is not None:
            self.batch_type, self.batch_limit = "examples", positive_int(max_batch_size, "max_batch_size")
        else:
            self.batch_type = "tokens"
            self.batch_limit = positive_int(DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens, "max_tokens")
        self.inter_threads = positive_int(inter_threads, "inter_threads")
        if isinstance(intra_threads, bool) or not isinstance(intra_threads, int) or intra_threads < 0:
            raise UsageError(f"option 'intra_threads' must be a non-negative integer, got {intra_threads!r}",
                             field="intra_threads")
        self.intra_threads = intra_threads
        self.device = _ct2_device(device)
        # CTranslate2 sorts and re-batches within a call, so hand it a good chunk at once.
        self.max_batch_size = 512

        self.path = Path(arg).expanduser()
        self._check_layout()
        self.revision = directory_revision(self.path)
        self.convert_info = _read_json(self.path / CONVERT_INFO)
        self.tokenizer_config = _read_json(self.path / "tokenizer_config.json")
        family = self.convert_info.get("family")
        if family is None:
            family = detect_family({"is_encoder_decoder": True}, self.tokenizer_config, str(self.path))
        self.family = family
        source_name = str(self.convert_info.get("source") or self.path.name)
        self.language_pairs = language_pairs(self.family, self.tokenizer_config, source_name)
        self._translator: Any = None
        self._tokenizer: Any = None

    def _check_layout(self) -> None:
        if not self.path.is_dir():
            raise InputError("CTranslate2 model directory not found", path=self.path,
                             hint="make one with `mteval models convert SRC OUT`")
        if not (self.path / "model.bin").is_file():
            raise InputError("not a CTranslate2 model directory (no model.bin)", path=self.path,
                             hint="make one with `mteval models convert SRC OUT`")
        if not any((self.path / name).is_file() for name in TOKENIZER_FILES):
            raise InputError(
                "no tokenizer files next to the CTranslate2 model (tokenizer_config.json or tokenizer.json)",
                path=self.path, hint="`mteval models convert SRC OUT` copies them from the source model",
            )

    # provenance ---------------------------------------------------------------------------

    def describe(self) -> SystemInfo:
        params: dict[str, Any] = {
            "family": self.family,
            "compute_type": self.compute_type,
            "beam_size": self.beam_size,
            "max_decoding_length": self.max_decoding_length,
            "min_decoding_length": self.min_decoding_length,
            "language_codes": family_codes_table(self.family),
        }
        for key in ("source", "source_revision", "quantization"):
            if key in self.convert_info:
                params[key] = self.convert_info[key]
        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=f"ctranslate2 {package_version('ctranslate2')}; transformers {package_version('transformers')}",
            revision=self.revision,
            params=params,
        )

    # loading ------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._translator is not None

    def load(self) -> tuple[Any, Any]:
        if self._translator is None:
            import ctranslate2
            from transformers import AutoTokenizer

            with warnings.catch_warnings():  # MarianTokenizer nags about sacremoses, which it does not use here
                warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
                tokenizer = AutoTokenizer.from_pretrained(self.path)
            try:
                translator = ctranslate2.Translator(
                    str(self.path), device=self.device, compute_type=self.compute_type,
                    inter_threads=self.inter_threads, intra_threads=self.intra_threads,
                )
            except ValueError as error:  # e.g. a compute type this device does not support
                raise InputError(f"cannot load the CTranslate2 model: {error}", path=self.path,
                                 field="compute_type") from None
            self._tokenizer, self._translator = tokenizer, translator
        return self._tokenizer, self._translator

    # translation --------------------------------------------------------------------------

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        tokenizer, translator = self.load()
        groups: dict[tuple[str | None, str | None], list[int]] = {}
        for index, segment in enumerate(segments):
            groups.setdefault(segment_codes(self.family, segment), []).append(index)
        outputs = [""] * len(segments)
        for (source_code, target_code), indices in groups.items():
            if source_code is not None:
                tokenizer.src_lang = source_code
            encoded = tokenizer([segments[i].source for i in indices], add_special_tokens=True)["input_ids"]
            sources = [tokenizer.convert_ids_to_tokens(ids) for ids in encoded]
            prefix = [[target_code]] * len(sources) if target_code else None
            results = translator.translate_batch(
                sources, target_prefix=prefix, beam_size=self.beam_size,
                max_decoding_length=self.max_decoding_length, min_decoding_length=self.min_decoding_length,
                max_batch_size=self.batch_limit, batch_type=self.batch_type,
            )
            for index, result in zip(indices, results):
                tokens = [t for t in result.hypotheses[0] if t != target_code]
                ids = tokenizer.convert_tokens_to_ids(tokens)
                outputs[index] = tokenizer.decode(ids, skip_special_tokens=True).strip()
        return outputs


def _ct2_device(device: Any) -> str:
    if device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"option 'device' must be auto, cpu or cuda, got {device!r}", field="device")
    if device == "auto":
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read: {error}", path=path) from None
    return data if isinstance(data, dict) else {}


def register(registry: "Registry") -> None:
    registry.register("ct2", "evals.systems.ct2:Ct2System", arg="required", arg_help="PATH",
                      description="CTranslate2 converted model (mteval models convert)")
