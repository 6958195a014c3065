"""``hf:MODEL_OR_PATH[@REVISION]``: a Hugging Face transformers seq2seq translation model.

Families, detected from ``config.json`` (``model_type``) and the tokenizer
class in ``tokenizer_config.json``, each with its own language codes taken
from every segment's ``src_lang``/``tgt_lang`` and ``script``:

=========  ====================================  ==================================
family     examples                              zh source → en target
=========  ====================================  ==================================
marian     Helsinki-NLP/opus-mt-zh-en            none: the model is the pair
nllb       facebook/nllb-200-distilled-600M      zho_Hans / zho_Hant → eng_Latn
m2m100     facebook/m2m100_418M                  zh → en
mbart50    facebook/mbart-large-50-many-to-many  zh_CN → en_XX
seq2seq    any other encoder-decoder             none
=========  ====================================  ==================================

The source code goes to the tokenizer (``src_lang``), the target code is the
forced first decoder token (``forced_bos_token_id``). NLLB and mBART-50 are
``model_type`` m2m100/mbart like their siblings, so the tokenizer class
decides. ``language_pairs`` is the model's pair for Marian (from the
tokenizer's ``source_lang``/``target_lang`` or an ``opus-mt-SRC-TGT`` name;
unknown → any), zh↔en for the multilingual families.

Options (``build_system(spec, **options)``, a suite's ``options:``):

* ``num_beams`` (default **4**: the published models are evaluated with beam
  search and opus-mt's own generation config uses 4; set 1 for greedy, which
  is 2-3x faster on CPU),
* ``max_new_tokens`` (default 256) or ``max_length`` (not both),
  ``min_new_tokens`` (default none; benchmarks fix the output length with it),
* ``dtype`` ``fp32`` (default) | ``bf16`` | ``fp16`` (CUDA only),
* ``device`` ``auto`` (CUDA when available, else CPU) | ``cpu`` | ``cuda[:N]``,
* ``max_tokens`` (default 4096: padded source tokens per generate call) and
  ``batch_size`` (default 64: segments per generate call),
* ``revision`` (a branch, tag or commit of a hub model; same as ``@REV``).

Batching: within a ``translate`` call the segments are grouped by language
codes, sorted by source token length (longest first) and cut into batches
that respect both limits, so padding is small; outputs are put back in input
order. Greedy outputs do not depend on the batching (tested). On out-of-memory
the batch is split in halves and retried, and later batches use the halved
limits. ``batch_size``/``max_tokens`` and ``device`` change speed, not the
translation (up to floating-point noise), so they are not part of ``describe()``
and a cache filled on a GPU serves a CPU re-run.

Loading: the model is resolved at build time (``evals.models.hub``: revision =
cache snapshot commit, or sha256 of a local directory; offline and not cached
raises ``Unavailable`` so ``mteval run`` stops before any work), but weights
load on the first ``translate`` — a fully cached re-run never loads them.
``describe()`` records the model id, revision, transformers and torch
versions, dtype, language codes and the effective generation config.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError, did_you_mean
from evals.systems.base import System, SystemInfo, TranslationContext, package_version

if TYPE_CHECKING:
    from evals.models.hub import ModelRef
    from evals.systems.registry import Registry

FAMILIES = ("marian", "nllb", "m2m100", "mbart50", "seq2seq")
DTYPES = ("fp32", "bf16", "fp16")
DEFAULT_NUM_BEAMS = 4
DEFAULT_MAX_NEW_TOKENS = 256
DEFAULT_MAX_TOKENS = 4096
DEFAULT_BATCH_SIZE = 64
# Languages of this project's corpora (``evals.corpora.model.LANGS``) per family.
NLLB_CODES = {("zh", "zh-Hans"): "zho_Hans", ("zh", "zh-Hant"): "zho_Hant", ("zh", None): "zho_Hans",
              ("en", None): "eng_Latn"}
M2M100_CODES = {("zh", None): "zh", ("en", None): "en"}
MBART50_CODES = {("zh", None): "zh_CN", ("en", None): "en_XX"}
FAMILY_CODES: dict[str, dict[tuple[str, str | None], str]] = {
    "nllb": NLLB_CODES, "m2m100": M2M100_CODES, "mbart50": MBART50_CODES,
}
_LANG_ALIASES = {"zh": "zh", "zho": "zh", "chi": "zh", "cmn": "zh", "zh_cn": "zh", "zh-cn": "zh",
                 "zhs": "zh", "zht": "zh", "en": "en", "eng": "en"}
_OPUS_NAME = re.compile(r"opus-mt-(?:tc-(?:big|base)-)?([a-z]{2,3})(?:_[a-z]+)?-([a-z]{2,3})(?:[-_]|$)",
                        re.IGNORECASE)


# --- families and language codes ------------------------------------------------------------

def detect_family(config: dict[str, Any], tokenizer_config: dict[str, Any], where: str = "") -> str:
    """The translation family of a model from its config and tokenizer class (no weights)."""
    model_type = str(config.get("model_type", "")).lower().replace("-", "_")
    tokenizer_class = str(tokenizer_config.get("tokenizer_class") or config.get("tokenizer_class") or "")
    if model_type == "marian" or tokenizer_class.startswith("MarianTokenizer"):
        return "marian"
    if tokenizer_class.startswith("Nllb"):
        return "nllb"
    if tokenizer_class.startswith("M2M100") or model_type == "m2m_100":
        return "m2m100"
    if tokenizer_class.startswith("MBart") or model_type == "mbart":
        return "mbart50"
    if config and not config.get("is_encoder_decoder", False):
        raise InputError(
            f"'{where}' is not an encoder-decoder model (model_type '{model_type or '?'}')",
            field="system", hint="decoder-only chat models go through 'llm:'",
        )
    return "seq2seq"


def language_code(family: str, lang: str, script: str | None = None) -> str | None:
    """The family's code for a language (script matters for NLLB's zho_Hans/zho_Hant)."""
    codes = FAMILY_CODES.get(family)
    if codes is None:
        return None
    return codes.get((lang, script)) or codes.get((lang, None))


def segment_codes(family: str, segment: Segment) -> tuple[str | None, str | None]:
    """(source code for the tokenizer's ``src_lang``, target *token* to force first) for one segment.

    The two differ only for M2M100, whose tokenizer takes ``zh`` but whose
    language tokens are ``__zh__``. A Chinese target is Simplified.
    """
    if family not in FAMILY_CODES:
        return None, None
    source = language_code(family, segment.src_lang, segment.script)
    target = language_code(family, segment.tgt_lang)
    if source is None or target is None:
        missing = segment.src_lang if source is None else segment.tgt_lang
        raise InputError(f"no {family} language code for '{missing}' (segment '{segment.seg_id}')",
                         field="src_lang" if source is None else "tgt_lang")
    return source, (f"__{target}__" if family == "m2m100" else target)


def marian_pair(tokenizer_config: dict[str, Any], name: str) -> tuple[str, str] | None:
    """A Marian model's (source, target) language from its tokenizer config or opus-mt name."""
    source = _LANG_ALIASES.get(str(tokenizer_config.get("source_lang") or "").lower())
    target = _LANG_ALIASES.get(str(tokenizer_config.get("target_lang") or "").lower())
    if source and target:
        return source, target
    match = _OPUS_NAME.search(name)
    if match:
        source, target = _LANG_ALIASES.get(match.group(1).lower()), _LANG_ALIASES.get(match.group(2).lower())
        if source and target:
            return source, target
    return None


def language_pairs(family: str, tokenizer_config: dict[str, Any], name: str) -> frozenset[tuple[str, str]] | None:
    """What the runner may send: the pair of a Marian model, zh↔en for multilingual ones."""
    if family == "marian":
        pair = marian_pair(tokenizer_config, name)
        return frozenset({pair}) if pair else None
    if family in FAMILY_CODES:
        langs = sorted({lang for lang, _ in FAMILY_CODES[family]})
        return frozenset((a, b) for a in langs for b in langs if a != b)
    return None


def family_codes_table(family: str) -> dict[str, str] | None:
    """The codes a family uses, for provenance: {"zh/zh-Hant": "zho_Hant", "en": "eng_Latn", ...}."""
    codes = FAMILY_CODES.get(family)
    if codes is None:
        return None
    return {(f"{lang}/{script}" if script else lang): code for (lang, script), code in sorted(
        codes.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))}


# --- batching ---------------------------------------------------------------------------------

def sorted_batches(lengths: Sequence[int], limits: Any) -> Iterator[list[int]]:
    """Indices in batches: longest first, each batch within ``limits.max_tokens`` padded
    tokens (length of its longest member × size) and ``limits.batch_size`` members.

    ``limits`` is read before every batch, so a caller that lowers it (after an
    out-of-memory error) changes the batches still to come. A segment longer
    than the token budget gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    start = 0
    while start < len(order):
        longest = max(1, lengths[order[start]])
        size = max(1, min(limits.batch_size, limits.max_tokens // longest))
        yield order[start:start + size]
        start += size


def is_out_of_memory(error: BaseException) -> bool:
    """True for torch's out-of-memory errors (CUDA, MPS or a failed CPU allocation)."""
    try:
        import torch

        oom_types = tuple(t for t in (getattr(torch, "OutOfMemoryError", None),
                                      getattr(torch.cuda, "OutOfMemoryError", None)) if t is not None)
    except ImportError:  # pragma: no cover - torch is there whenever a model ran
        oom_types = ()
    if oom_types and isinstance(error, oom_types):
        return True
    text = str(error).lower()
    return isinstance(error, (RuntimeError, MemoryError)) and (
        "out of memory" in text or "can't allocate memory" in text or isinstance(error, MemoryError)
    )


class _Limits:
    """Current batch limits; halved on out-of-memory."""

    def __init__(self, max_tokens: int, batch_size: int) -> None:
        self.max_tokens = max_tokens
        self.batch_size = batch_size

    def halve(self, failed_size: int) -> None:
        self.batch_size = max(1, min(self.batch_size, failed_size) // 2)
        self.max_tokens = max(1, self.max_tokens // 2)


# --- option checks ----------------------------------------------------------------------------

def positive_int(value: Any, option: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"option '{option}' must be a positive integer, got {value!r}", field=option)
    return value


def choice(value: Any, option: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise UsageError(f"option '{option}' must be one of {', '.join(choices)}, got {value!r}", field=option,
                         hint=did_you_mean(str(value), list(choices)))
    return value


def resolve_device(device: Any) -> str:
    """``auto`` → ``cuda`` when available, else ``cpu``; an unusable device is an error."""
    if not isinstance(device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
        raise UsageError(f"option 'device' must be auto, cpu, mps or cuda[:N], got {device!r}", field="device")
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"device '{device}' requested but CUDA is not available", field="device",
                         hint="use device: auto or cpu")
    return device


# --- the system -------------------------------------------------------------------------------

class HfSystem(System):
    """A transformers encoder-decoder model (Marian, NLLB, M2M100, mBART-50, ...)."""

    backend = "hf"
    loads_model = True
    model_source = "hub"

    def __init__(
        self,
        arg: str | None = None,
        /,
        *,
        spec: str = "hf",
        name: str | None = None,
        num_beams: int = DEFAULT_NUM_BEAMS,
        max_new_tokens: int | None = None,
        max_length: int | None = None,
        min_new_tokens: int | None = None,
        dtype: str = "fp32",
        device: str = "auto",
        max_tokens: int = DEFAULT_MAX_TOKENS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        revision: str | None = None,
    ) -> None:
        from evals.models.fetch import obtain_model
        from evals.models.hub import require_weights

        super().__init__(spec, name)
        if not arg:
            raise UsageError("system 'hf' needs a model", field="system", hint="write it as 'hf:MODEL_OR_PATH'")
        self.num_beams = positive_int(num_beams, "num_beams")
        if max_new_tokens is not None and max_length is not None:
            raise UsageError("give either 'max_new_tokens' or 'max_length', not both", field="max_length")
        self.max_length = positive_int(max_length, "max_length", allow_none=True)
        self.max_new_tokens = positive_int(max_new_tokens, "max_new_tokens", allow_none=True)
        if self.max_new_tokens is None and self.max_length is None:
            self.max_new_tokens = DEFAULT_MAX_NEW_TOKENS
        self.min_new_tokens = positive_int(min_new_tokens, "min_new_tokens", allow_none=True)
        self.dtype = choice(dtype, "dtype", DTYPES)
        self.limits = _Limits(positive_int(max_tokens, "max_tokens"), positive_int(batch_size, "batch_size"))
        # The runner hands over up to this many segments per call; sorting happens within a call.
        self.max_batch_size = max(256, 4 * self.limits.batch_size)

        self.model_ref: ModelRef = obtain_model(arg, revision)
        require_weights(self.model_ref)
        self.config = self.model_ref.read_json("config.json")
        self.tokenizer_config = self.model_ref.read_json("tokenizer_config.json")
        self.family = detect_family(self.config, self.tokenizer_config, self.model_ref.name)
        self.language_pairs = language_pairs(self.family, self.tokenizer_config, self.model_ref.name)
        self.max_source_tokens = int(self.config.get("max_position_embeddings") or 0) or None
        self.device = resolve_device(device)  # imports torch: after the cheap checks above
        if self.dtype == "fp16" and not self.device.startswith("cuda"):
            raise UsageError("dtype fp16 needs a CUDA device", field="dtype", hint="use fp32 or bf16 on CPU")
        self.oom_splits = 0  # how often a batch was halved (for logs and tests)
        self._model: Any = None
        self._tokenizer: Any = None
        self._generation: Any = None

    # provenance ---------------------------------------------------------------------------

    def describe(self) -> SystemInfo:
        params: dict[str, Any] = {
            "model": self.model_ref.repo_id,  # None for a local directory: its revision pins it
            "family": self.family,
            "dtype": self.dtype,
            "language_codes": family_codes_table(self.family),
            "generation": self.generation_params(),
        }
        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=f"transformers {package_version('transformers')}; torch {package_version('torch')}",
            revision=self.model_ref.revision,
            params=params,
        )

    def generation_config(self) -> Any:
        """The model's generation config with ours applied -- exactly what ``generate`` gets."""
        if self._generation is None:
            from transformers import AutoConfig, GenerationConfig

            try:
                generation = GenerationConfig.from_pretrained(self.model_ref.path)
            except OSError:  # no generation_config.json: transformers derives one from config.json
                generation = GenerationConfig.from_model_config(AutoConfig.from_pretrained(self.model_ref.path))
            generation.do_sample = False
            generation.num_beams = self.num_beams
            if self.num_beams == 1:
                generation.early_stopping = False
            if self.max_new_tokens is not None:
                generation.max_new_tokens = self.max_new_tokens
            else:
                generation.max_length = self.max_length
                generation.max_new_tokens = None
            generation.min_new_tokens = self.min_new_tokens
            self._generation = generation
        return self._generation

    def generation_params(self) -> dict[str, Any]:
        """Every generation setting that differs from transformers' defaults."""
        params = self.generation_config().to_diff_dict()
        for key in ("transformers_version", "_from_model_config"):
            params.pop(key, None)
        params.setdefault("num_beams", self.num_beams)
        params.setdefault("do_sample", False)
        return params

    # loading ------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> tuple[Any, Any]:
        """Tokenizer and model, loaded once per instance from the resolved directory."""
        if self._model is None:
            import torch
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[self.dtype]
            with warnings.catch_warnings():  # MarianTokenizer nags about sacremoses, which it does not use here
                warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
                tokenizer = AutoTokenizer.from_pretrained(self.model_ref.path)
            model = AutoModelForSeq2SeqLM.from_pretrained(self.model_ref.path, dtype=dtype)
            model.to(self.device)
            model.eval()
            self._tokenizer, self._model = tokenizer, model
        return self._tokenizer, self._model

    # translation --------------------------------------------------------------------------

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        tokenizer, _ = self.load()
        outputs: list[str | None] = [None] * len(segments)
        for (source_code, target_code), indices in self._groups(segments).items():
            encoded = self.encode([segments[i].source for i in indices], source_code)
            self._check_lengths(encoded, [segments[i] for i in indices])
            forced = tokenizer.convert_tokens_to_ids(target_code) if target_code else None
            if forced is not None and forced == tokenizer.unk_token_id:
                raise InputError(f"the tokenizer of '{self.model_ref.name}' has no language token '{target_code}'",
                                 field="tgt_lang")
            for batch in sorted_batches([len(ids) for ids in encoded], self.limits):
                hypotheses = self._generate_or_split([encoded[j] for j in batch], forced)
                for j, hypothesis in zip(batch, hypotheses):
                    outputs[indices[j]] = hypothesis
        return [text if text is not None else "" for text in outputs]

    def _groups(self, segments: Sequence[Segment]) -> dict[tuple[str | None, str | None], list[int]]:
        groups: dict[tuple[str | None, str | None], list[int]] = {}
        for index, segment in enumerate(segments):
            groups.setdefault(segment_codes(self.family, segment), []).append(index)
        return groups

    def encode(self, texts: list[str], source_code: str | None) -> list[list[int]]:
        """Token ids of each text, with the family's special tokens (language code, ``</s>``)."""
        tokenizer, _ = self.load()
        if source_code is not None:
            tokenizer.src_lang = source_code
        return [list(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]

    def _check_lengths(self, encoded: list[list[int]], segments: list[Segment]) -> None:
        if not self.max_source_tokens:
            return
        for ids, segment in zip(encoded, segments):
            if len(ids) > self.max_source_tokens:
                raise InputError(
                    f"segment '{segment.seg_id}' of corpus '{segment.corpus}' is {len(ids)} tokens long, "
                    f"more than the {self.max_source_tokens} model '{self.model_ref.name}' accepts",
                    field="source", hint="split the segment; mteval never truncates silently",
                )

    def _generate_or_split(self, batch: list[list[int]], forced_bos: int | None) -> list[str]:
        """Generate; on out-of-memory halve the limits and redo the batch in smaller pieces."""
        try:
            return self.generate(batch, forced_bos)
        except (RuntimeError, MemoryError) as error:
            if not is_out_of_memory(error):
                raise
            if len(batch) == 1:
                raise InputError(
                    f"out of memory translating a single segment of {len(batch[0])} tokens with "
                    f"'{self.model_ref.name}' on {self.device}",
                    hint="lower num_beams or max_new_tokens, use dtype bf16, or another device",
                ) from None
            self.oom_splits += 1
            self.limits.halve(len(batch))
            self._free_memory()
            # Redo the batch in pieces of the (possibly further) lowered size.
            hypotheses: list[str] = []
            start = 0
            while start < len(batch):
                size = min(self.limits.batch_size, len(batch) - start)
                hypotheses += self._generate_or_split(batch[start:start + size], forced_bos)
                start += size
            return hypotheses

    def _free_memory(self) -> None:
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    def generate(self, batch: list[list[int]], forced_bos: int | None) -> list[str]:
        """One ``model.generate`` call on already-tokenised sources (right-padded)."""
        import torch

        tokenizer, model = self.load()
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        width = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention[row, :len(ids)] = 1
        extra = {} if forced_bos is None else {"forced_bos_token_id": forced_bos}
        with torch.inference_mode():
            output = model.generate(
                input_ids=input_ids.to(self.device), attention_mask=attention.to(self.device),
                generation_config=self.generation_config(), use_model_defaults=False, **extra,
            )
        rows = output.tolist()
        if forced_bos is not None:
            rows = [[token for token in row if token != forced_bos] for row in rows]
        return [text.strip() for text in tokenizer.batch_decode(rows, skip_special_tokens=True)]


def register(registry: "Registry") -> None:
    registry.register("hf", "evals.systems.hf:HfSystem", arg="required", arg_help="MODEL_OR_PATH[@REV]",
                      description="Hugging Face seq2seq model (Marian/opus-mt, NLLB, M2M100, mBART-50)")
