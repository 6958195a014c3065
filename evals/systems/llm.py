"""``llm:MODEL_OR_PATH``: an instruction-tuned causal LM (Qwen2.5-Instruct, Tower, …) as a translator.

``MODEL_OR_PATH`` is a local model directory or a Hugging Face model id,
optionally pinned as ``org/name@revision`` (or option ``revision``). The model is asked through its
own **chat template** with the prompts of ``prompting.py`` (source language
named with its script, target language, "the translation only"), decoded
greedily, and each reply is reduced to one line by ``prompting.clean_output``.

Options (suite ``systems: - {spec: "llm:…", options: {…}}``):

* ``max_new_tokens`` (256) — generation limit per segment; a reply that hits
  it is logged as truncated.
* ``batch_size`` (8) — prompts per ``generate`` call; prompts are sorted by
  length inside a call's work to waste less padding. Padding is on the left,
  as decoder-only generation needs.
* ``dtype`` ``fp32`` (default) | ``bf16`` | ``fp16`` and ``device`` ``auto``
  (CUDA when available, else CPU) | ``cpu`` | ``mps`` | ``cuda[:N]``, as for ``hf:``.
* ``system_prompt`` — replaces ``prompting.DEFAULT_SYSTEM_PROMPT``; ``""``
  sends no system turn (for templates that reject one).
* ``context`` (0) — the previous N segments of the same document and this
  run's translations of them are given as earlier chat turns; documents are
  then translated in order, in waves across documents (``prompting``), and the
  runner hands the system a whole corpus per call so waves can span documents.

Build time resolves the model without loading it (``evals.models.hub``): a
local directory is identified by the sha256 of its files, a model id by the
commit hash of its snapshot in the local Hugging Face cache; a model id that
is not cached while the Hub is offline raises ``Unavailable`` naming
``mteval models fetch SUITE``, and a tokenizer without a chat template is an
``InputError``. Tokenizer and weights load on the first ``translate``, so a
fully cached re-run never loads them.

Decoding is greedy (``do_sample=False``, one beam); the sampling knobs a
checkpoint's ``generation_config.json`` ships (temperature, top_p, …) are
reset, its other settings (``repetition_penalty``, extra eos ids) apply.

``describe()`` holds the revision, the prompt texts and their hash, the
clean-up version, the checkpoint's non-sampling generation settings and ours
(``max_new_tokens``, greedy, ``dtype``, ``context``), so changing any of them
invalidates cached translations. ``batch_size`` and ``device`` are left out:
they change speed, not the translation (beyond floating-point noise).
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError, did_you_mean
from evals.systems import prompting
from evals.systems.base import System, SystemInfo, TranslationContext, package_version

if TYPE_CHECKING:
    from evals.models.hub import ModelRef
    from evals.systems.registry import Registry

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
# Sampling settings a checkpoint may ship; greedy decoding resets them to neutral values.
_SAMPLING_KEYS = ("do_sample", "temperature", "top_p", "top_k", "min_p", "typical_p", "num_beams",
                  "max_length", "max_new_tokens", "transformers_version", "_from_model_config")
_log = logging.getLogger(__name__)


def has_chat_template(path: Path) -> bool:
    """Whether the tokenizer files in ``path`` define a chat template (inline or as a file)."""
    import json

    if (path / "chat_template.jinja").is_file() or (path / "chat_template.json").is_file():
        return True
    config = path / "tokenizer_config.json"
    if not config.is_file():
        return False
    try:
        return bool(json.loads(config.read_text(encoding="utf-8")).get("chat_template"))
    except (ValueError, OSError):
        return False


def _positive_int(value: Any, option: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"option '{option}' must be an integer >= {minimum}, got {value!r}", field=option)
    return value


class LlmSystem(System):
    """A chat model from transformers, prompted to translate segment by segment."""

    backend = "llm"
    loads_model = True
    model_source = "hub"

    def __init__(
        self,
        arg: str | None,
        /,
        *,
        spec: str,
        name: str | None = None,
        max_new_tokens: int = 256,
        batch_size: int = 8,
        dtype: str = "fp32",
        device: str = "auto",
        system_prompt: str | None = None,
        context: int = 0,
        revision: str | None = None,
    ) -> None:
        from evals.models.fetch import obtain_model
        from evals.models.hub import require_weights

        super().__init__(spec, name)
        if not arg or not arg.strip():
            raise UsageError("system 'llm' needs a model", field="system",
                             hint="write it as 'llm:MODEL_OR_PATH', e.g. 'llm:Qwen/Qwen2.5-1.5B-Instruct'")
        self.max_new_tokens = _positive_int(max_new_tokens, "max_new_tokens")
        self.batch_size = _positive_int(batch_size, "batch_size")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise UsageError(f"option 'dtype' must be one of {', '.join(DTYPES)}, got {dtype!r}", field="dtype",
                             hint=did_you_mean(str(dtype), list(DTYPES)))
        self.dtype = dtype
        if not isinstance(device, str) or not _DEVICE.fullmatch(device):
            raise UsageError(f"option 'device' must be auto, cpu, mps or cuda[:N], got {device!r}", field="device")
        self.device = device
        if system_prompt is not None and not isinstance(system_prompt, str):
            raise UsageError("option 'system_prompt' must be a string", field="system_prompt")
        self.system_prompt = system_prompt
        self.context = prompting.check_context_option(context)
        # With context, a whole corpus per call lets a wave span all its documents.
        self.max_batch_size = None if self.context else self.batch_size
        self.model_ref: ModelRef = obtain_model(arg, revision)
        require_weights(self.model_ref)
        if not has_chat_template(self.model_ref.path):
            raise InputError("the model's tokenizer has no chat template; llm: needs an instruction-tuned "
                             "(chat) model", path=self.model_ref.path, field="system")
        self.checkpoint_generation = {
            k: v for k, v in self.model_ref.read_json("generation_config.json").items() if k not in _SAMPLING_KEYS
        }
        self._memory: dict[prompting.SegmentKey, str] = {}
        self._loaded: tuple[Any, Any, Any] | None = None  # tokenizer, model, generation config
        self._warned = False

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        return prompting.translate_segments(
            segments, context, n=self.context, system_prompt=self.system_prompt,
            memory=self._memory, complete=self._complete,
        )

    def describe(self) -> SystemInfo:
        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=f"transformers {package_version('transformers')}; torch {package_version('torch')}",
            revision=self.model_ref.revision,
            params={
                "model": self.model_ref.repo_id,  # None for a local directory: its revision pins it
                **prompting.prompt_params(self.system_prompt, self.context),
                "chat_template": "the model's own (pinned by the revision)",
                "do_sample": False,
                "num_beams": 1,
                "max_new_tokens": self.max_new_tokens,
                "checkpoint_generation_config": self.checkpoint_generation,
                "dtype": self.dtype,
                "padding_side": "left",
            },
        )

    # --- generation ----------------------------------------------------------------------------

    def _complete(self, conversations: list[list[prompting.Message]]) -> list[str]:
        """Raw replies, in order; prompts are batched by length to waste less padding."""
        import torch

        tokenizer, model, generation = self._load()
        texts = [self._chat_text(tokenizer, conversation) for conversation in conversations]
        lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        order = sorted(range(len(texts)), key=lambda i: (-lengths[i], i))
        replies: list[str] = [""] * len(texts)
        stops = set(generation.eos_token_id)
        truncated = 0
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            encoded = tokenizer([texts[i] for i in chunk], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(model.device)
            with torch.inference_mode():
                output = model.generate(**encoded, generation_config=generation)
            new_tokens = output[:, encoded["input_ids"].shape[1]:]
            truncated += sum(1 for row in new_tokens.tolist()
                             if len(row) >= self.max_new_tokens and not stops.intersection(row))
            for index, text in zip(chunk, tokenizer.batch_decode(new_tokens, skip_special_tokens=True)):
                replies[index] = text
        if truncated and not self._warned:
            self._warned = True
            _log.warning("%s: %d of %d replies stopped at max_new_tokens=%d and may be cut short "
                         "(reported once per run)", self.name, truncated, len(texts), self.max_new_tokens)
        return replies

    def _chat_text(self, tokenizer: Any, conversation: list[prompting.Message]) -> str:
        from jinja2.exceptions import TemplateError

        try:
            return tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        except (TemplateError, ValueError) as error:  # e.g. raise_exception('System role not supported')
            raise InputError(
                f"the model's chat template rejected the prompt: {_first_line(error)}",
                path=self.model_ref.path, field="system",
                hint="set option system_prompt: '' if the template allows no system turn",
            ) from None

    def _load(self) -> tuple[Any, Any, Any]:
        if self._loaded is not None:
            return self._loaded
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = getattr(torch, DTYPES[self.dtype])
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.model_ref.path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.model_ref.path, dtype=dtype, local_files_only=True)
        except (OSError, ValueError, KeyError) as error:
            raise InputError(f"cannot load the model: {_first_line(error)}", path=self.model_ref.path,
                             field="system") from None
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token if tokenizer.eos_token is not None else tokenizer.unk_token
        model.to(device)
        model.eval()
        generation = copy.deepcopy(model.generation_config)
        eos = generation.eos_token_id
        eos_ids = [] if eos is None else list(eos) if isinstance(eos, (list, tuple)) else [eos]
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in eos_ids:
            eos_ids.append(tokenizer.eos_token_id)
        # Greedy: the sampling knobs a checkpoint ships (temperature, top_p, …) are reset to
        # their neutral defaults so transformers does not warn that they are ignored.
        generation.update(
            do_sample=False, num_beams=1, max_new_tokens=self.max_new_tokens, max_length=None,
            temperature=1.0, top_p=1.0, top_k=50, min_p=None, typical_p=1.0,
            eos_token_id=eos_ids, pad_token_id=tokenizer.pad_token_id,
        )
        self._loaded = (tokenizer, model, generation)
        return self._loaded


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def register(registry: "Registry") -> None:
    registry.register(
        "llm", "evals.systems.llm:LlmSystem", arg="required", arg_help="MODEL_OR_PATH",
        description="instruction-tuned causal LM prompted through its chat template (transformers)",
    )
