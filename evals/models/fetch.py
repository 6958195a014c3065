"""Download every model and metric checkpoint a suite names into the Hugging Face cache.

``mteval models fetch SUITE`` runs where the Hub is reachable; afterwards the
suite runs air-gapped (``HF_HUB_OFFLINE=1``), because every backend resolves
its model from the cache (``evals.models.hub``).

What a suite names:

* systems ``hf:ID[@REV]`` and ``llm:ID[@REV]`` (``revision`` option too) — the
  model's config, tokenizer and weights: safetensors when the repository has
  them, else ``pytorch_model*.bin`` (never both, never TF/Flax/ONNX/Rust
  copies). ``ct2:PATH`` is a local converted model and local directories are
  used as they are: nothing to fetch, and the report says so.
* metrics ``comet[:ID]`` and ``cometkiwi[:ID]`` (or a ``model`` option) — the
  COMET checkpoint, then the config and tokenizer of the encoder its
  ``hparams.yaml`` names (COMET builds the encoder from them; its weights are
  in the checkpoint).

Each model is fetched on its own; one that fails is reported in one line
(``cannot fetch 'ID': why``) and the others still go ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.errors import Unavailable
from evals.models.hub import WEIGHT_FILES, hub_cache_dir, hub_offline, split_revision

if TYPE_CHECKING:
    from evals.models.hub import ModelRef

#: Config, tokenizer and safetensors weights: the first pass for a model.
MODEL_PATTERNS = ("*.json", "*.model", "*.spm", "*.txt", "*.tiktoken", "*.safetensors")
#: PyTorch pickles: fetched only when the first pass found no safetensors.
BIN_PATTERNS = ("pytorch_model*.bin", "*.json")
#: A COMET checkpoint repository.
COMET_PATTERNS = ("*.yaml", "*.json", "*.txt", "checkpoints/*")
#: An encoder COMET instantiates from its config (weights come from the checkpoint).
ENCODER_PATTERNS = ("*.json", "*.model", "*.txt", "*.spm")

SnapshotDownload = Callable[..., str]


@dataclass(frozen=True)
class FetchItem:
    """One repository to download and why."""

    repo_id: str
    revision: str | None
    kind: str  # "model" | "comet" | "encoder"
    wanted_by: str  # the spec or metric that names it


@dataclass(frozen=True)
class FetchResult:
    item: FetchItem
    path: Path | None = None
    revision: str | None = None  # the commit hash now in the cache
    error: str | None = None  # one line, when it failed

    @property
    def ok(self) -> bool:
        return self.error is None


def _snapshot_download() -> SnapshotDownload:
    from huggingface_hub import snapshot_download

    return snapshot_download


def _has_weights(path: Path) -> bool:
    return any((path / name).is_file() for name in WEIGHT_FILES)


def failure_reason(error: BaseException) -> str:
    """A short, single-line reason for a failed download."""
    from huggingface_hub import errors

    if isinstance(error, errors.GatedRepoError):
        return "the model is gated: accept its licence on the Hub, then log in with `hf auth login`"
    if isinstance(error, errors.RepositoryNotFoundError):
        return "no such model on the Hub (or it is private: log in with `hf auth login`)"
    if isinstance(error, errors.RevisionNotFoundError):
        return "no such revision"
    if isinstance(error, (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, ConnectionError)):
        return "the Hugging Face Hub cannot be reached"
    text = " ".join(str(error).split())
    return (text[:200] + "…") if len(text) > 200 else (text or type(error).__name__)


def _download_errors() -> tuple[type[BaseException], ...]:
    from huggingface_hub.errors import HfHubHTTPError

    return (HfHubHTTPError, OSError, ValueError)


def download(item: FetchItem, snapshot_download: SnapshotDownload | None = None) -> Path:
    """Download one item into the cache and return its snapshot directory.

    Raises ``Unavailable`` with a one-line reason on any failure.
    """
    if hub_offline():
        raise Unavailable(f"cannot fetch '{item.repo_id}': HF_HUB_OFFLINE is set (unset it to download)")
    get = snapshot_download or _snapshot_download()
    cache = str(hub_cache_dir())
    try:
        if item.kind == "comet":
            return Path(get(item.repo_id, revision=item.revision, allow_patterns=list(COMET_PATTERNS),
                            cache_dir=cache))
        if item.kind == "encoder":
            return Path(get(item.repo_id, revision=item.revision, allow_patterns=list(ENCODER_PATTERNS),
                            cache_dir=cache))
        path = Path(get(item.repo_id, revision=item.revision, allow_patterns=list(MODEL_PATTERNS),
                        cache_dir=cache))
        if not _has_weights(path):  # an older repository: PyTorch pickles only
            path = Path(get(item.repo_id, revision=path.name, allow_patterns=list(BIN_PATTERNS),
                            cache_dir=cache))
        if not _has_weights(path):
            raise Unavailable(f"cannot fetch '{item.repo_id}': the repository has no "
                              "model.safetensors or pytorch_model.bin")
        return path
    except _download_errors() as error:
        raise Unavailable(f"cannot fetch '{item.repo_id}': {failure_reason(error)}") from None


def obtain_model(spec: str, revision: str | None = None,
                 snapshot_download: SnapshotDownload | None = None) -> "ModelRef":
    """A model from the local cache, downloaded into it first when it is missing and the Hub may be used.

    What the ``hf:`` and ``llm:`` systems load through: one command
    (``mteval run --system hf:ID``) works where the Hub is reachable, and the
    same command works air-gapped once the model is cached. Lookup itself
    (``evals.models.hub.resolve_model``) never downloads.
    """
    from evals.models.hub import fetch_command, resolve_model

    try:
        return resolve_model(spec, revision)
    except Unavailable:
        if hub_offline():
            raise
    name, spec_revision = split_revision(spec)
    revision = revision or spec_revision
    try:
        download(FetchItem(name, revision, "model", name), snapshot_download)
    except Unavailable as error:
        model = f"{name}@{revision}" if revision else name
        reason = str(error).split(": ", 1)[-1]
        raise Unavailable(f"model '{model}' is not in the local cache and {reason}; "
                          f"run: {fetch_command(name, revision)}") from None
    return resolve_model(spec, revision)


def suite_items(suite: Any) -> tuple[list[FetchItem], list[str]]:
    """What a suite needs from the Hub, and notes on what it names but needs nothing for."""
    from evals.metrics import metric_class
    from evals.systems.registry import parse_spec, system_class

    items: list[FetchItem] = []
    notes: list[str] = []
    for ref in suite.systems:
        _, arg = parse_spec(ref.spec)
        system = system_class(ref.spec)  # the plugin says where its model comes from; nothing is built
        if system.model_source == "local":
            notes.append(f"{ref.spec}: {system.local_model_note}")
            continue
        if system.model_source != "hub" or not arg:
            continue
        name, revision = split_revision(arg)
        revision = ref.options.get("revision") or revision
        if Path(name).expanduser().is_dir():
            notes.append(f"{ref.spec}: a local directory, nothing to fetch")
            continue
        items.append(FetchItem(name, revision, "model", ref.spec))
    for ref in suite.metrics:
        metric = metric_class(ref.name)
        if metric.model_option is None:
            continue
        _, _, arg = ref.name.partition(":")
        model = arg or ref.options.get(metric.model_option) or metric.default_model
        name, revision = split_revision(str(model))
        if Path(name).expanduser().exists():
            notes.append(f"{ref.name}: a local checkpoint, nothing to fetch")
            continue
        items.append(FetchItem(name, ref.options.get("revision") or revision, "comet", ref.name))
    return _unique(items), notes


def _unique(items: Iterable[FetchItem]) -> list[FetchItem]:
    seen: dict[tuple[str, str | None, str], FetchItem] = {}
    for item in items:
        seen.setdefault((item.repo_id, item.revision, item.kind), item)
    return list(seen.values())


def comet_encoder(checkpoint_dir: Path, wanted_by: str) -> FetchItem | None:
    """The encoder a COMET checkpoint is built on (``pretrained_model`` in its hparams.yaml)."""
    import yaml

    hparams = checkpoint_dir / "hparams.yaml"
    if not hparams.is_file():
        return None
    try:
        data = yaml.safe_load(hparams.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    encoder = data.get("pretrained_model") if isinstance(data, dict) else None
    return FetchItem(str(encoder), None, "encoder", wanted_by) if encoder else None


#: The extra that brings ``huggingface_hub`` for what a FetchItem is (its ``kind``).
_EXTRA_FOR_KIND = {"comet": "comet", "encoder": "comet", "model": "models"}


def _require_hub_client(items: list[FetchItem]) -> None:
    """One line, not an ImportError traceback, on a core install (no extras): a CI job that forgot ``extras``."""
    import importlib.util

    if importlib.util.find_spec("huggingface_hub") is not None:
        return
    extras = sorted({_EXTRA_FOR_KIND.get(item.kind, "models") for item in items})
    wanted = ", ".join(dict.fromkeys(item.wanted_by for item in items))
    raise Unavailable(f"cannot fetch models for {wanted}: huggingface_hub is not installed",
                      hint=f"pip install 'mteval-zh[{','.join(extras)}]'")


def fetch_items(items: Iterable[FetchItem], snapshot_download: SnapshotDownload | None = None,
                report: Callable[[FetchResult], None] | None = None) -> list[FetchResult]:
    """Download each item (and each COMET checkpoint's encoder); never stops at a failure."""
    results: list[FetchResult] = []
    queue = list(items)
    if queue and snapshot_download is None:
        _require_hub_client(queue)
    done: set[tuple[str, str | None, str]] = set()
    while queue:
        item = queue.pop(0)
        key = (item.repo_id, item.revision, item.kind)
        if key in done:
            continue
        done.add(key)
        try:
            path = download(item, snapshot_download)
        except Unavailable as error:
            result = FetchResult(item, error=str(error))
        else:
            result = FetchResult(item, path=path, revision=path.name)
            if item.kind == "comet":
                encoder = comet_encoder(path, item.wanted_by)
                if encoder is not None:
                    queue.insert(0, encoder)
        results.append(result)
        if report is not None:
            report(result)
    return results


def fetch_suite(suite: Any, snapshot_download: SnapshotDownload | None = None,
                report: Callable[[FetchResult], None] | None = None) -> tuple[list[FetchResult], list[str]]:
    """Fetch everything ``suite`` names; returns the results and the notes of ``suite_items``."""
    items, notes = suite_items(suite)
    return fetch_items(items, snapshot_download, report), notes
