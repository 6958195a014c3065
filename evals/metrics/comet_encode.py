"""The COMET fast path: encode each distinct input once per run, in length-sorted batches.

Imported only when a COMET metric first scores (``Comet.scorer``), so torch and
comet load then and not when ``evals.metrics`` is imported.

Why not ``model.predict`` per system: ``comet-score -t a b c`` and a loop of
``predict`` calls re-encode every source and reference for every system
(unbabel-comet 2.2.7's embedding LRU cache never hits: the tensors reach it
as keyword arguments, which its key function ignores), run a Lightning
Trainer per call, and ``comet-score`` casts the model to fp16 even on CPU,
where fp16 matmuls are several times slower than fp32.

``CometScorer`` keeps, for the whole run (the runner shares one metric
instance across systems):

- the token count of every text it has seen, keyed by a 128-bit BLAKE2 hash
  of the text, with a flag saying whether COMET's tokenisation truncates it;
- for regression models (``class_identifier: regression_metric``): the
  sentence embedding of every text, same key. Scoring a segment is then the
  model's own ``estimate(src, mt, ref)`` on cached embeddings, the way
  ``comet-mbr`` reuses them. Memory: one fp32 vector per distinct text
  (4 KB for XLM-R large, so about 400 MB per 100k distinct texts);
- for every other scoring model (unified: CometKiwi, xCOMET; referenceless
  regression): the result of every distinct input tuple, computed by the
  model's own ``prepare_sample`` + ``predict_step``, i.e. exactly what
  ``predict`` runs per batch, minus the Trainer.

Inputs are sorted by token length (longest first) and packed into batches of
at most ``batch_size`` inputs and ``token_budget`` padded tokens.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch

from evals.errors import Unavailable

#: Weight dtype per precision. bf16 keeps fp32 weights and runs under ``torch.autocast``: COMET's
#: pooling and layer mix return fp32 whatever the encoder's dtype, and only fp16 inputs are cast back
#: for the estimator (``comet.modules.FeedForward``), so a bf16-cast model fails on its own.
WEIGHT_DTYPES = MappingProxyType({"fp32": torch.float32, "bf16": torch.float32, "fp16": torch.float16})
ESTIMATOR_ROWS = 2048  # rows per estimator call; the feed-forward is cheap next to the encoder
_QUIET_LOGGERS = ("comet", "pytorch_lightning", "lightning", "lightning_fabric", "lightning.pytorch",
                  "transformers")


def text_key(text: str) -> bytes:
    """Cache key of one text: 128-bit BLAKE2b of its UTF-8 bytes."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def tuple_key(parts: Sequence[str | None]) -> bytes:
    """Cache key of a joint input; ``None`` (a side the model does not read) differs from ``""``."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        if part is None:
            digest.update(b"\x00N")
        else:
            encoded = part.encode("utf-8")
            digest.update(b"\x00S" + len(encoded).to_bytes(8, "little") + encoded)
    return digest.digest()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence import chatter (pkg_resources deprecation, Lightning tips, "Encoder model frozen.")."""
    levels = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    try:
        for name in _QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def load_model(path: Path, *, device: str, precision: str, doc_context: bool, label: str) -> Any:
    """``comet.load_from_checkpoint`` offline, in eval mode on ``device`` in ``precision``."""
    with _quiet():
        root = logging.getLogger()
        level, handlers = root.level, list(root.handlers)
        try:
            from comet import load_from_checkpoint
        except ImportError as error:  # a broken install; the metric module checked presence already
            raise Unavailable(f"unbabel-comet cannot be imported for {label} ({error})",
                              hint="pip install 'mteval-zh[comet]'") from error
        finally:  # importing comet calls logging.basicConfig(level=INFO) for the whole process
            for handler in [h for h in root.handlers if h not in handlers]:
                root.removeHandler(handler)
            root.setLevel(level)
        try:
            model = load_from_checkpoint(str(path), local_files_only=True)
        except Exception as error:  # noqa: BLE001 -- any load failure is one line, never a crash
            text = str(error).strip()
            first_line = f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__
            raise Unavailable(f"checkpoint {path} could not be loaded offline ({first_line})") from error
    model.eval()
    model.to(device=torch.device(device), dtype=WEIGHT_DTYPES[precision])
    if doc_context:
        model.enable_context()
    return model


class CometScorer:
    """A loaded COMET model plus the run-wide caches that make re-scoring cheap."""

    def __init__(self, model: Any, *, kind: str, segments: Sequence[str], device: str, batch_size: int,
                 token_budget: int, precision: str = "fp32") -> None:
        self.model = model
        self.precision = precision
        self.kind = kind
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.token_budget = token_budget
        encoder = model.encoder
        self.tokenizer = encoder.tokenizer
        self.max_positions = int(encoder.max_positions)
        #: COMET tokenises each text with ``max_length = max_positions - 2`` (specials included).
        self.text_limit = self.max_positions - 2
        self.size_separator = int(encoder.size_separator)
        self.pad_id = int(self.tokenizer.pad_token_id)
        self.dtype = next(model.parameters()).dtype
        self.uses_embeddings = kind == "regression_metric"
        self.has_spans = bool(getattr(model, "word_level", False))
        self.reads_src, self.reads_ref = "src" in segments, "ref" in segments
        self._tokens: dict[bytes, tuple[int, bool]] = {}  # text -> (token count, truncated)
        self._embeddings: dict[bytes, torch.Tensor] = {}
        self._joint: dict[bytes, tuple[float, bool, list | None]] = {}
        self.counters: Counter[str] = Counter()

    @classmethod
    def load(cls, path: Path, *, kind: str, segments: Sequence[str], device: str, precision: str,
             batch_size: int, token_budget: int, doc_context: bool, label: str) -> CometScorer:
        """Load the checkpoint (``kind``: its ``class_identifier``; ``segments``: what it reads)."""
        model = load_model(path, device=device, precision=precision, doc_context=doc_context, label=label)
        return cls(model, kind=kind, segments=segments, device=device, batch_size=batch_size,
                   token_budget=token_budget, precision=precision)

    @contextlib.contextmanager
    def _computing(self) -> Iterator[None]:
        """No autograd, and bf16 autocast when asked for."""
        with torch.inference_mode():
            if self.precision == "bf16":
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16):
                    yield
            else:
                yield

    # -- public -------------------------------------------------------------------------------

    def score(
        self, sources: list[str] | None, hyps: list[str], refs: list[str] | None
    ) -> tuple[list[float], list[bool]]:
        """Segment scores and truncation flags, in input order."""
        sources = sources if self.reads_src else None
        refs = refs if self.reads_ref else None
        if self.uses_embeddings:
            if sources is None or refs is None:
                raise ValueError("a regression COMET model needs sources and references")
            return self._score_by_embeddings(sources, hyps, refs)
        return self._score_joint(sources, hyps, refs)

    def error_spans(
        self, sources: list[str] | None, hyps: list[str], refs: list[str] | None
    ) -> list[list[dict] | None]:
        """Cached xCOMET error spans of already scored segments (``None`` when unknown)."""
        sources = sources if self.reads_src else None
        refs = refs if self.reads_ref else None
        out = []
        for i, hyp in enumerate(hyps):
            found = self._joint.get(self._tuple(sources, hyps, refs, i))
            out.append(None if found is None else found[2])
        return out

    # -- tokens -------------------------------------------------------------------------------

    def _tokenize(self, texts: dict[bytes, str]) -> dict[bytes, list[int]]:
        """Token ids of ``texts``, exactly as ``encoder.prepare_sample`` makes them.

        Only the count and the truncation flag are kept (in ``_tokens``); ids
        are handed back for immediate use, so a long run does not hold them all.
        """
        if not texts:
            return {}
        keys, values = list(texts), list(texts.values())
        # One token past the limit tells "fits" from "was cut" without tokenising long texts whole.
        ids = self.tokenizer(values, truncation=True, max_length=self.text_limit + 1)["input_ids"]
        long = [i for i, row in enumerate(ids) if len(row) > self.text_limit]
        if long:
            cut = self.tokenizer([values[i] for i in long], truncation=True, max_length=self.text_limit)["input_ids"]
            for i, row in zip(long, cut):
                ids[i] = row
        was_cut = set(long)
        for i, key in enumerate(keys):
            self._tokens[key] = (len(ids[i]), i in was_cut)
        self.counters["tokenized_texts"] += len(keys)
        self.counters["truncated_texts"] += len(long)
        return dict(zip(keys, ids))

    def _batches(self, lengths: list[tuple[Any, int]]) -> Iterator[list[Any]]:
        """Items packed longest first into batches within ``batch_size`` and ``token_budget``."""
        order = sorted(lengths, key=lambda item: -item[1])
        batch: list[Any] = []
        width = 0
        for item, length in order:
            if batch and (len(batch) >= self.batch_size or (len(batch) + 1) * max(width, length) > self.token_budget):
                yield batch
                batch, width = [], 0
            batch.append(item)
            width = max(width, length)
        if batch:
            yield batch

    def _padded(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        return ids.to(self.device), mask.to(self.device)

    # -- regression models: sentence embeddings, reused ---------------------------------------

    def _score_by_embeddings(
        self, sources: list[str], hyps: list[str], refs: list[str]
    ) -> tuple[list[float], list[bool]]:
        keys = {side: [text_key(t) for t in texts] for side, texts in
                (("src", sources), ("mt", hyps), ("ref", refs))}
        texts: dict[bytes, str] = {}
        for side, values in (("src", sources), ("mt", hyps), ("ref", refs)):
            for key, text in zip(keys[side], values):
                texts.setdefault(key, text)
        missing = {k: t for k, t in texts.items() if k not in self._embeddings}
        self.counters["embedding_hits"] += len(texts) - len(missing)
        self._encode(missing)
        scores: list[float] = []
        with self._computing():
            for start in range(0, len(hyps), ESTIMATOR_ROWS):
                rows = slice(start, start + ESTIMATOR_ROWS)
                # COMET's average pooling returns fp32 even from an fp16 encoder; the estimator
                # takes its own dtype.
                stacked = [torch.stack([self._embeddings[k] for k in keys[side][rows]]).to(self.dtype)
                           for side in ("src", "mt", "ref")]
                prediction = self.model.estimate(*stacked)
                scores.extend(prediction["score"].float().cpu().tolist())
        self.counters["estimated_rows"] += len(hyps)
        truncated = [any(self._tokens[keys[side][i]][1] for side in ("src", "mt", "ref"))
                     for i in range(len(hyps))]
        return scores, truncated

    def _encode(self, texts: dict[bytes, str]) -> None:
        """Sentence embeddings of ``texts`` into the cache, via the model's own pooling."""
        if not texts:
            return
        token_ids = self._tokenize(texts)
        lengths = [(key, len(ids)) for key, ids in token_ids.items()]
        with self._computing():
            for batch in self._batches(lengths):
                ids, mask = self._padded([token_ids[key] for key in batch])
                embeddings = self.model.compute_sentence_embedding(ids, mask)
                for key, row in zip(batch, embeddings):
                    self._embeddings[key] = row
                self.counters["encoder_batches"] += 1
                self.counters["encoded_texts"] += len(batch)

    # -- everything else: joint inputs, deduplicated ------------------------------------------

    def _tuple(self, sources, hyps, refs, i) -> bytes:
        return tuple_key((sources[i] if sources is not None else None, hyps[i],
                          refs[i] if refs is not None else None))

    def _score_joint(
        self, sources: list[str] | None, hyps: list[str], refs: list[str] | None
    ) -> tuple[list[float], list[bool]]:
        keys = [self._tuple(sources, hyps, refs, i) for i in range(len(hyps))]
        todo: dict[bytes, dict[str, str]] = {}
        for i, key in enumerate(keys):
            if key not in self._joint and key not in todo:
                sample = {"mt": hyps[i]}
                if sources is not None:
                    sample["src"] = sources[i]
                if refs is not None:
                    sample["ref"] = refs[i]
                todo[key] = sample
        self.counters["joint_hits"] += len(keys) - len(todo)
        if todo:
            texts = {text_key(t): t for s in todo.values() for t in s.values()}
            self._tokenize({k: t for k, t in texts.items() if k not in self._tokens})  # counts only
            lengths = []
            cut: dict[bytes, bool] = {}
            for key, sample in todo.items():
                parts = [self._tokens[text_key(sample[side])] for side in ("mt", "src", "ref") if side in sample]
                content = sum(count - 2 for count, _ in parts)
                total = content + 2 + self.size_separator * (len(parts) - 1)
                cut[key] = any(flag for _, flag in parts) or total > self.max_positions
                lengths.append((key, min(total, self.max_positions)))
            with self._computing():
                for batch in self._batches(lengths):
                    self._predict([todo[key] for key in batch], batch, cut)
        scores = [self._joint[key][0] for key in keys]
        truncated = [self._joint[key][1] for key in keys]
        return scores, truncated

    def _predict(self, samples: list[dict[str, str]], keys: list[bytes], cut: dict[bytes, bool]) -> None:
        """One batch through the model's own ``prepare_sample`` and ``predict_step``."""
        batch = _to_device(self.model.prepare_sample(samples, stage="predict"), self.device)
        prediction = self.model.predict_step(batch)
        scores = prediction["scores"].float().cpu().tolist()
        spans = None
        metadata = prediction.get("metadata") if hasattr(prediction, "get") else None
        if metadata is not None and "error_spans" in metadata:
            spans = metadata["error_spans"]
        for i, key in enumerate(keys):
            self._joint[key] = (scores[i], cut[key], _plain_spans(spans[i]) if spans is not None else None)
        self.counters["encoder_batches"] += 1
        self.counters["joint_inputs"] += len(keys)


def _to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: _to_device(v, device) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_to_device(v, device) for v in value)
    return value


def _plain_spans(spans: list[dict]) -> list[dict]:
    """Error spans as JSON-safe builtins (token ids and tensors dropped)."""
    out = []
    for span in spans:
        out.append({
            "text": str(span.get("text", "")),
            "start": int(span["start"]),
            "end": int(span["end"]),
            "severity": str(span.get("severity", "")),
            "confidence": float(span.get("confidence", float("nan"))),
        })
    return out
