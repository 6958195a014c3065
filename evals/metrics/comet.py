"""COMET and CometKiwi through ``unbabel-comet``, scored as per-segment statistics.

``comet`` (default checkpoint ``Unbabel/wmt22-comet-da``) and ``cometkiwi``
(default ``Unbabel/wmt22-cometkiwi-da``, reference-free) take any COMET
checkpoint: a Hub id that is in the local Hugging Face cache, a legacy COMET
name in ``~/.cache/torch/unbabel_comet``, a model directory (the one holding
``hparams.yaml`` and ``checkpoints/``) or a ``.ckpt`` file. In a suite or on
the command line: ``comet``, ``comet:Unbabel/XCOMET-XL``,
``comet:/models/wmt22-comet-da/checkpoints/model.ckpt``, ``cometkiwi``.

Statistics and levels
---------------------
Each segment's row is ``[score, 1.0, truncated]`` (float64): pooling sums
rows, so every pooled level is ``sum(score) / count`` -- document = mean of its
segments, system = mean of all segments, which is how COMET reports a system
score. ``truncated`` is 1.0 when one of the segment's inputs was longer than
the encoder takes (see *Limits*); pooled it counts such segments, and the
runner stores that count in the system-level score ``details``
(``system_details``). Caching the row keeps that count on re-runs.

How it is fast (``evals.metrics.comet_encode``)
-----------------------------------------------
The runner builds one metric instance per run and calls ``segment_stats`` once
per system and corpus. The instance loads the model on first use, then

- for regression models (``wmt22-comet-da``): encodes every distinct text --
  source, reference or hypothesis -- once per run into a sentence-embedding
  cache keyed by a hash of the text, and feeds cached embeddings to the
  model's own ``estimate`` (what ``comet-mbr`` does), so sources and references
  are encoded once for all systems;
- for unified models (CometKiwi, xCOMET), which encode source, hypothesis and
  reference jointly: deduplicates identical input tuples and runs the model's
  own ``prepare_sample`` and ``predict_step`` on them;
- sorts inputs by token length and fills batches up to ``token_budget``
  padded tokens (and at most ``batch_size`` inputs), under
  ``torch.inference_mode()``, in fp32 on CPU (``precision: bf16`` opts in to
  bfloat16 autocast) and fp16 on GPU (``model.half()``, as ``comet-score`` does).

Per-segment scores equal ``model.predict`` in fp32 within 1e-5
(``tests/test_metrics_comet.py``).

Options
-------
``model``            checkpoint (``comet:ARG`` sets it)
``precision``        ``auto`` (fp32 on CPU, fp16 on GPU), ``fp32``, ``bf16``, ``fp16``
``device``           ``auto``, ``cpu``, ``cuda`` or ``cuda:N``
``batch_size``       most inputs per encoder batch (default 64)
``token_budget``     most padded tokens per encoder batch (default 4096)
``doc_context``      document-context COMET (below); default false
``context_sentences`` previous segments used as context (default 2)
``revision``         Hub branch, tag or commit (same as ``comet:ID@REV``)

Document context
----------------
``doc_context: true`` is the document-level extension of Vernikos et al.
(WMT 2022), which unbabel-comet 2.2.7 supports as ``model.enable_context()``
(``comet-score --enable-context``): for each segment the previous
``context_sentences`` segments of the same document are prepended, joined by
the encoder's separator token -- previous sources to the source, previous
*references* to the hypothesis and to the reference (the paper's choice; for a
reference-free model, previous hypotheses to the hypothesis) -- and average
pooling then covers the current sentence only. In a suite:
``metrics: [{name: comet, options: {doc_context: true}}]``. The runner asks for this text
through ``add_context`` before it computes cache keys, so the context is part
of each cached segment's key. Only regression models with average pooling
support it (as in COMET); other checkpoints are refused with a clear error.

Error spans
-----------
xCOMET checkpoints tag error spans in the hypothesis. ``segment_details``
returns them per segment (``{"error_spans": [{"text", "start", "end",
"severity", "confidence"}, ...]}``) and the runner stores them in the segment
score ``details``. The score cache keeps those details beside the segment's
statistics row (``score_cache.details_json``, store migration 6), so a re-run --
the same run resumed or another run -- that finds a segment in the cache stores
the same spans without scoring it again. An entry cached before migration 6
has no details: a hit on it gives the score without spans, as before (the
first entry written for a key is kept; a new store, or a changed signature,
computes them). The dashboard marks
the spans in the segment explorer and counts them per system and severity on
the leaderboard (``Store.error_span_counts``), as it does MQM/ESA errors.

Limits, said out loud
---------------------
COMET truncates what its encoder cannot take: each text to ``max_positions - 2``
tokens including specials (510 for XLM-R) and a joint input to
``max_positions`` (512). We score exactly as COMET does, but count: the rows'
``truncated`` column, ``system_details`` and one ``notices()`` line per run.

A checkpoint, or the encoder it names, that is not on this machine raises
``evals.errors.Unavailable`` from the constructor: nothing is downloaded during
a run, the runner prints one line and goes on with the other metrics. A model
that fails to load on first use raises ``Unavailable`` too.

Signature
---------
``signature()`` is ``key:value`` pairs joined by ``|`` (as sacrebleu's), e.g.
``metric:comet|model:Unbabel/wmt22-comet-da|rev:<commit>|enc:xlm-roberta-large|
class:regression_metric|inputs:ref|unbabel-comet:2.2.7|prec:fp32|device:cpu|bs:64|
tok:4096|ctx:no|level:mean``. It names the checkpoint id and revision (the Hub snapshot commit,
or ``sha256:`` of a local checkpoint file), the encoder, the model class, the
unbabel-comet version, precision, device, batch size, token budget and the
document-context setting, so a cached score is reused only under the same
conditions.

Several references
------------------
A segment with several references is scored against each of them and its
score is the **mean over its references** -- what COMET's authors advise
(Unbabel/COMET issues #20 and #140: "a simple average is what works best",
from their WMT20 experiments; COMET itself takes one reference per input). The
truncation flag is set when any of those inputs was truncated, and xCOMET's
error spans are those against the first reference. A metric built for more
than one reference (``n_refs``) adds ``|nrefs:N|refs:mean`` to its signature
(``nrefs:var`` for a corpus of mixed counts); a single-reference signature is
unchanged, so existing caches stay valid.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from evals.errors import InputError, Unavailable, did_you_mean
from evals.metrics.base import VARIABLE_REFS, Metric, reference_tuples
from evals.metrics.options import bool_option as _bool
from evals.metrics.options import positive_int as _positive_int

if TYPE_CHECKING:
    import numpy as np

DEFAULT_COMET = "Unbabel/wmt22-comet-da"
DEFAULT_COMETKIWI = "Unbabel/wmt22-cometkiwi-da"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEFAULT_BATCH_SIZE = 64
DEFAULT_TOKEN_BUDGET = 4096
SCORING_CLASSES = ("regression_metric", "referenceless_regression_metric", "unified_metric", "xcomet_metric")
#: Separator token of each COMET encoder family (``hparams.encoder_model``), for document context.
SEPARATORS = MappingProxyType({"XLM-RoBERTa": "</s>", "XLM-RoBERTa-XL": "</s>", "BERT": "[SEP]",
                               "MiniLM": "[SEP]", "RemBERT": "[SEP]"})
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


# -- checkpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A COMET checkpoint found on this machine.

    ``model_id`` is the Hub id as given, or the model directory's name for a
    local checkpoint; ``revision`` is the Hub snapshot commit or
    ``sha256:HEX`` of the checkpoint file (computed on first use: hashing a
    2 GB file takes seconds, and a run that never scores should not pay it).
    """

    spec: str
    path: Path
    model_id: str
    hparams: dict[str, Any]
    commit: str | None

    @property
    def class_identifier(self) -> str:
        return str(self.hparams.get("class_identifier", ""))

    @property
    def input_segments(self) -> tuple[str, ...]:
        """What the model reads: regression models src/mt(/ref), unified models as configured."""
        kind = self.class_identifier
        if kind == "regression_metric":
            return ("mt", "src", "ref")
        if kind == "referenceless_regression_metric":
            return ("mt", "src")
        if kind == "xcomet_metric":
            return ("mt", "src", "ref")
        return tuple(self.hparams.get("input_segments") or ("mt", "src", "ref"))

    @property
    def encoder_name(self) -> str:
        """The encoder the checkpoint names; a local directory by its folder name."""
        name = str(self.hparams.get("pretrained_model", ""))
        return Path(name).name if os.path.isabs(name) else name


def resolve_checkpoint(spec: str, revision: str | None = None) -> Checkpoint:
    """Find ``spec`` (Hub id[@REV], legacy name, model directory or ``.ckpt`` file) offline.

    Hub ids are looked up like every model (``evals.models.hub``). Raises
    ``Unavailable`` when it is not here, ``InputError`` when it is here but is
    not a COMET checkpoint or the revision makes no sense.
    """
    from evals.models.hub import one_revision, snapshot_of, split_revision

    name, spec_revision = split_revision(spec)
    revision = one_revision(name, spec_revision, revision)
    path = Path(name).expanduser()
    if path.exists() or name.endswith(".ckpt") or name.startswith((".", "/", "~")) or not _HUB_ID.match(name):
        if revision:
            raise InputError(f"'{name}' is a local checkpoint; it has no revision '{revision}'",
                             field="revision", hint="drop '@REV' / the revision option")
        checkpoint, snapshot = _local_checkpoint(path, name), snapshot_of(path)
        commit = None if snapshot is None else snapshot[1]
        model_id = checkpoint.parents[1].name if snapshot is None else snapshot[0] or name
    else:
        checkpoint, commit = _cached_checkpoint(name, revision)
        model_id = name
    hparams = _read_hparams(checkpoint, name)
    _check_encoder_available(hparams, name)
    return Checkpoint(spec=spec, path=checkpoint, model_id=model_id, hparams=hparams, commit=commit)


def _local_checkpoint(path: Path, spec: str) -> Path:
    if path.is_file():
        return path.resolve()
    if path.is_dir():
        folder = path / "checkpoints"
        found = sorted(folder.glob("*.ckpt")) if folder.is_dir() else []
        if (folder / "model.ckpt").is_file():
            return (folder / "model.ckpt").resolve()
        if len(found) == 1:
            return found[0].resolve()
        if found:
            raise InputError(f"{spec}: several checkpoints in {folder}; name one of them",
                             field="model", hint=", ".join(p.name for p in found))
    raise Unavailable(f"checkpoint '{spec}' is not available offline (no such file or model "
                      "directory with checkpoints/*.ckpt)")


def _cached_checkpoint(spec: str, revision: str | None) -> tuple[Path, str | None]:
    """The checkpoint of a Hub id: its cache snapshot, else unbabel-comet's own legacy download folder."""
    from evals.models.hub import cached_snapshot, not_available

    snapshot = cached_snapshot(spec, revision)
    if snapshot is not None and (snapshot / "checkpoints" / "model.ckpt").is_file():
        return snapshot / "checkpoints" / "model.ckpt", snapshot.name
    legacy = Path.home() / ".cache" / "torch" / "unbabel_comet" / spec / "checkpoints"
    found = sorted(legacy.glob("*.ckpt")) if legacy.is_dir() and revision is None else []
    if found:
        return found[-1], None  # the file comet's download_model picks
    raise not_available(spec, revision, what="checkpoint", fetch_by_id=False)


def _read_hparams(checkpoint: Path, spec: str) -> dict[str, Any]:
    import yaml

    hparams_file = checkpoint.parents[1] / "hparams.yaml"
    if not hparams_file.is_file():
        raise InputError(f"{spec}: not a COMET checkpoint ({hparams_file} is missing)", field="model")
    try:  # COMET reads it with FullLoader too
        hparams = yaml.load(hparams_file.read_text(encoding="utf-8"), Loader=yaml.FullLoader)
    except yaml.YAMLError as error:
        raise InputError(f"{spec}: unreadable hparams.yaml ({error})", path=hparams_file) from None
    if not isinstance(hparams, dict) or "class_identifier" not in hparams:
        raise InputError(f"{spec}: hparams.yaml has no class_identifier", path=hparams_file)
    return hparams


def _check_encoder_available(hparams: dict[str, Any], spec: str) -> None:
    """COMET rebuilds the encoder (config and tokenizer) from ``pretrained_model``: it must be here."""
    from evals.models.hub import cached_snapshot, fetch_command

    name = str(hparams.get("pretrained_model", ""))
    if not name or Path(name).is_dir():
        return
    if os.path.isabs(name) or name.startswith(("./", "../", "~")):
        raise Unavailable(f"encoder directory '{name}' of checkpoint '{spec}' does not exist")
    snapshot = cached_snapshot(name)
    tokenizer_files = ("tokenizer.json", "sentencepiece.bpe.model", "vocab.txt", "spiece.model")
    if snapshot is not None and (snapshot / "config.json").is_file() and any(
        (snapshot / f).is_file() for f in tokenizer_files
    ):
        return
    raise Unavailable(f"encoder '{name}' of checkpoint '{spec}' is not available offline; run: {fetch_command()}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- the metric ------------------------------------------------------------------------------


class Comet(Metric):
    """COMET with a reference when the checkpoint reads one (``comet``).

    Stats row: ``[score, 1.0, truncated]``; every pooled level is the mean
    segment score. See the module docstring for options, speed and limits.
    """

    name = "comet"
    model_option = "model"
    default_model = DEFAULT_COMET
    reference_free = False
    stats_dtype = "float64"
    higher_is_better = True
    loads_model = True

    def __init__(
        self,
        *,
        model: str | None = None,
        precision: str = "auto",
        device: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        doc_context: bool = False,
        context_sentences: int = 2,
        revision: str | None = None,
        n_refs: int = 1,
    ) -> None:
        if not (_installed("comet") and _installed("torch")):
            raise Unavailable(f"{self.name} needs unbabel-comet and torch, which are not installed",
                              hint="pip install 'mteval-zh[comet]'")
        spec = self.default_model if model is None else _text(model, "model")
        self.precision_option = _choice(precision, PRECISIONS, "precision")
        self.device_option = _device(device)
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.token_budget = _positive_int(token_budget, "token_budget")
        self.doc_context = _bool(doc_context, "doc_context")
        self.context_sentences = _positive_int(context_sentences, "context_sentences")
        if revision is not None:
            revision = _text(revision, "revision")
        self.checkpoint = resolve_checkpoint(spec, revision)
        self._check_model_kind()
        if isinstance(n_refs, bool) or not isinstance(n_refs, int) or (n_refs < 1 and n_refs != VARIABLE_REFS):
            raise InputError(f"must be a number of references >= 1, or {VARIABLE_REFS} for a varying number, "
                             f"got {n_refs!r}", field="n_refs")
        self.n_refs = n_refs if self.needs_reference else 1
        self._scorer: Any = None
        self._signature: str | None = None
        self._resolved: tuple[str, str] | None = None
        self._seen = self._truncated = 0

    def _check_model_kind(self) -> None:
        kind, segments = self.checkpoint.class_identifier, self.checkpoint.input_segments
        spec = self.checkpoint.spec
        if kind not in SCORING_CLASSES:
            raise InputError(f"{spec}: a {kind or 'unknown'} checkpoint does not score translations",
                             field="model", hint=f"{self.name} takes {', '.join(SCORING_CLASSES)} checkpoints")
        uses_ref = "ref" in segments
        if self.reference_free:
            if "src" not in segments or kind == "regression_metric":
                raise InputError(f"{spec}: {self.name} is reference-free but this {kind} checkpoint needs "
                                 "references", field="model", hint=f"use it as 'comet:{spec}'")
            self.needs_reference = False
        else:
            self.needs_reference = uses_ref
        self.needs_source = "src" in segments
        if self.doc_context:
            if kind not in ("regression_metric", "referenceless_regression_metric") or \
                    self.checkpoint.hparams.get("pool", "avg") != "avg":
                raise InputError(f"{spec}: doc_context needs a regression COMET checkpoint with average "
                                 f"pooling (COMET's enable_context); this is a {kind}", field="doc_context")
            if str(self.checkpoint.hparams.get("encoder_model")) not in SEPARATORS:
                raise InputError(f"{spec}: doc_context: unknown separator for encoder "
                                 f"{self.checkpoint.hparams.get('encoder_model')!r}", field="doc_context")

    # -- identity ---------------------------------------------------------------------------

    @classmethod
    def configure(cls, options: dict[str, Any], *, target_lang: str, jobs: int | None = None,
                  n_refs: int = 1) -> dict[str, Any]:
        """A reference-based COMET records the corpus's references per segment (``n_refs``) when not 1."""
        options = dict(options)
        options.pop("n_refs", None)
        if n_refs != 1 and not cls.reference_free:
            options["n_refs"] = n_refs
        return options

    @property
    def n_stats(self) -> int:
        return 3

    def _device_and_precision(self) -> tuple[str, str]:
        """``auto`` settings made concrete (imports torch, once)."""
        if self._resolved is None:
            import torch

            device = self.device_option
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            elif device.startswith("cuda") and not torch.cuda.is_available():
                raise Unavailable(f"{self.name}: device {device!r} requested but CUDA is not available")
            precision = self.precision_option
            if precision == "auto":
                precision = "fp32" if device == "cpu" else "fp16"
            self._resolved = (device, precision)
        return self._resolved

    def signature(self) -> str:
        if self._signature is None:
            from importlib import metadata

            checkpoint = self.checkpoint
            revision = checkpoint.commit or "sha256:" + file_sha256(checkpoint.path)
            device, precision = self._device_and_precision()
            context = f"yes,{self.context_sentences}" if self.doc_context else "no"
            refs = "none" if not self.needs_reference else "ref"
            self._signature = "|".join([
                f"metric:{self.name}", f"model:{checkpoint.model_id}", f"rev:{revision}",
                f"enc:{checkpoint.encoder_name}", f"class:{checkpoint.class_identifier}", f"inputs:{refs}",
                f"unbabel-comet:{metadata.version('unbabel-comet')}", f"prec:{precision}",
                f"device:{device.split(':')[0]}", f"bs:{self.batch_size}", f"tok:{self.token_budget}",
                f"ctx:{context}", "level:mean",
            ] + ([f"nrefs:{'var' if self.n_refs == VARIABLE_REFS else self.n_refs}", "refs:mean"]
                 if self.n_refs != 1 else []))
        return self._signature

    # -- scoring ----------------------------------------------------------------------------

    @property
    def scorer(self):
        """The loaded model and its caches (``comet_encode.CometScorer``), built on first use."""
        if self._scorer is None:
            from evals.metrics.comet_encode import CometScorer

            device, precision = self._device_and_precision()
            self._scorer = CometScorer.load(
                self.checkpoint.path, kind=self.checkpoint.class_identifier,
                segments=self.checkpoint.input_segments, device=device, precision=precision,
                batch_size=self.batch_size, token_budget=self.token_budget, doc_context=self.doc_context,
                label=self.name,
            )
        return self._scorer

    def segment_stats(
        self,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        *,
        sources: Sequence[str] | None = None,
    ) -> np.ndarray:
        import numpy as np

        hyps = _strings(hyps, "hypothesis", self.name)
        n = len(hyps)
        srcs = _strings(sources, "source", self.name, n) if self.needs_source else None
        if self.needs_source and srcs is None:
            raise InputError(f"{self.name} needs sources", field="source")
        if self.needs_reference and refs is None:
            raise InputError(f"{self.name} needs references", field="reference")
        references = self._reference_tuples(refs, n) if self.needs_reference else None
        if n == 0:
            return np.zeros((0, self.n_stats), dtype=self.stats_dtype)
        if references is None or all(len(item) == 1 for item in references):
            scores, truncated = self.scorer.score(srcs, hyps, None if references is None else
                                                  [item[0] for item in references])
            return np.column_stack([np.asarray(scores, dtype=np.float64), np.ones(n),
                                    np.asarray(truncated, dtype=np.float64)])
        # Each (source, hypothesis, reference k) is one model input; the scorer deduplicates them.
        owner = [i for i, item in enumerate(references) for _ in item]
        scores, truncated = self.scorer.score(None if srcs is None else [srcs[i] for i in owner],
                                              [hyps[i] for i in owner], [r for item in references for r in item])
        total, cut = np.zeros(n), np.zeros(n)
        np.add.at(total, owner, np.asarray(scores, dtype=np.float64))
        np.maximum.at(cut, owner, np.asarray(truncated, dtype=np.float64))
        counts = np.asarray([len(item) for item in references], dtype=np.float64)
        return np.column_stack([total / counts, np.ones(n), cut])

    def _reference_tuples(self, refs: Sequence[Any], n: int) -> list[tuple[str, ...]]:
        """Each segment's references (see ``evals.metrics.base``), as many as the signature says."""
        references = reference_tuples(self.name, refs, n)
        if self.n_refs != VARIABLE_REFS:
            for index, item in enumerate(references):
                if len(item) != self.n_refs:
                    raise InputError(f"{self.name}: segment {index + 1} has {len(item)} references, but the "
                                     f"metric was built for {self.n_refs}", field="reference")
        return references

    def _score_pooled(self, pooled: np.ndarray) -> float:
        return float(pooled[0] / pooled[1])

    def segment_score(self, stats_row: Any) -> float:
        import numpy as np

        return float(self._check_row(np.asarray(stats_row, dtype=np.float64))[0])

    def segment_scores(self, stats: Any) -> list[float]:
        return [float(v) for v in self.check_stats(stats)[:, 0]]

    # -- runner hooks -----------------------------------------------------------------------

    def add_context(
        self,
        sources: Sequence[str],
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        doc_ids: Sequence[str],
    ) -> tuple[list[str], list[str], list[str] | None]:
        """Texts with their document context prepended (``doc_context``; identity otherwise).

        Rows of one document are taken in the given order; each gets the
        previous ``context_sentences`` rows of its document, joined by the
        encoder's separator token. Hypotheses get the previous *references*
        (Vernikos et al.), or previous hypotheses when there are none.
        """
        sources, hyps = list(sources), list(hyps)
        refs = None if refs is None else list(refs)
        if not self.doc_context:
            return sources, hyps, refs
        if len(doc_ids) != len(hyps):
            raise InputError(f"{self.name}: got {len(doc_ids)} document ids for {len(hyps)} segments",
                             field="doc_id")
        separator = f" {SEPARATORS[str(self.checkpoint.hparams.get('encoder_model'))]} "
        # Reference k of a segment gets reference k of the earlier ones (their first when they have fewer).
        tuples = None if refs is None else reference_tuples(self.name, refs, len(hyps))
        hyp_context = [item[0] for item in tuples] if tuples is not None else hyps
        earlier: dict[str, list[int]] = {}
        out_src, out_hyp, out_ref = [], [], []
        for index, doc_id in enumerate(doc_ids):
            previous = earlier.setdefault(doc_id, [])[-self.context_sentences:]
            out_src.append(separator.join([sources[i] for i in previous] + [sources[index]]))
            out_hyp.append(separator.join([hyp_context[i] for i in previous] + [hyps[index]]))
            if tuples is not None:
                with_context = tuple(
                    separator.join([tuples[i][k] if k < len(tuples[i]) else tuples[i][0] for i in previous] + [ref])
                    for k, ref in enumerate(tuples[index]))
                out_ref.append(with_context[0] if len(with_context) == 1 else with_context)
            earlier[doc_id].append(index)
        return out_src, out_hyp, (out_ref if tuples is not None else None)

    def segment_details(
        self,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        *,
        sources: Sequence[str] | None = None,
    ) -> list[dict[str, Any] | None] | None:
        """Per-segment details of segments scored by this instance: xCOMET error spans.

        ``None`` when the model produces none (so the runner stores nothing).
        """
        if self._scorer is None or not self._scorer.has_spans:
            return None
        srcs = list(sources) if self.needs_source and sources is not None else None
        references = ([item[0] for item in reference_tuples(self.name, refs, len(hyps))]
                      if self.needs_reference and refs is not None else None)
        spans = self._scorer.error_spans(srcs, list(hyps), references)
        return [None if s is None else {"error_spans": s} for s in spans]

    def system_details(self, stats: Any) -> dict[str, Any]:
        """What the system-level score row records beyond the value: truncated segments.

        Also tallies them for ``notices()``.
        """
        rows = self.check_stats(stats)
        truncated = int(rows[:, 2].sum())
        self._seen += len(rows)
        self._truncated += truncated
        return {"truncated": truncated}

    def notices(self) -> list[str]:
        """One line per thing the user should know about this run's scores."""
        messages = []
        if self._truncated:
            limit = f" ({self._scorer.text_limit} tokens per text)" if self._scorer is not None else ""
            messages.append(
                f"{self._truncated} of {self._seen} scored segments had an input longer than the encoder "
                f"takes{limit} and were scored on its first tokens, as COMET does "
                "(count per system: 'truncated' in the system score details)"
            )
        if self._resolved is not None and self._resolved == ("cpu", "fp16"):
            messages.append("fp16 on CPU is several times slower than fp32 (precision: fp32 is the default)")
        return messages

    @property
    def counters(self) -> dict[str, int]:
        """Work done so far (encoded texts, batches, cache hits): for tests and benchmarks."""
        return dict(self._scorer.counters) if self._scorer is not None else {}


class CometKiwi(Comet):
    """Reference-free COMET (CometKiwi): source and hypothesis only (``cometkiwi``).

    Scores every corpus, the monolingual Chinese ones included. Any checkpoint
    that reads the source works (CometKiwi, COMET-QE, xCOMET in QE mode).
    """

    name = "cometkiwi"
    default_model = DEFAULT_COMETKIWI
    reference_free = True


# -- option checks ---------------------------------------------------------------------------


def _installed(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(name) is not None


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError("must be a non-empty string", field=field)
    return value.strip()


def _choice(value: Any, choices: Sequence[str], field: str) -> str:
    if value not in choices:
        raise InputError(f"unknown value {value!r}", field=field,
                         hint=did_you_mean(str(value), list(choices)) or f"use one of {', '.join(choices)}")
    return value


def _device(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"auto|cpu|cuda(:\d+)?", value):
        raise InputError(f"unknown device {value!r}", field="device", hint="use auto, cpu, cuda or cuda:N")
    return value


def _strings(values: Sequence[str] | None, side: str, metric: str, n: int | None = None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InputError(f"{metric}: {side} segments must be a list of strings", field=side)
    if n is not None and len(values) != n:
        raise InputError(f"{metric}: {n} hypotheses but {len(values)} {side} segments", field=side)
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise InputError(f"{metric}: {side} {index + 1} is {type(value).__name__}, not a string",
                             field=side)
    return list(values)
