"""Resolve a model name to local files and a revision, without loading weights.

A backend's spec names a model as ``MODEL_OR_PATH[@REVISION]``:

* an existing **local directory** (``/models/opus-mt-zh-en``, ``./tiny/marian``)
  is used as it is; its revision is ``sha256:<hex>`` over the relative paths,
  sizes and bytes of every file in it (hidden files and folders such as
  ``.cache/`` left out), so a changed file changes the revision;
* anything else must be a **Hugging Face model id** (``org/name``). It is looked
  up in the local Hugging Face cache (``HF_HUB_CACHE``/``HF_HOME``); the
  revision is the commit hash of the cached snapshot (``snapshots/<hash>``),
  found for ``main`` (or a branch/tag given after ``@``) through ``refs/``.
  A commit hash after ``@`` selects that snapshot.

Using the cached snapshot directory as the model path means the revision that
``describe()`` records is exactly the one that gets loaded. Lookup never
downloads and never talks to the Hub: a hub model that is not cached is
``evals.errors.Unavailable`` whose single line names the command that fixes
it (``mteval models fetch``; ``evals.models.fetch`` downloads, and imports
this module, never the reverse). The hf, llm and ct2 systems and the COMET
metric all find their files through here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.errors import InputError, Unavailable, UsageError

COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
WEIGHT_FILES = (
    "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
)


@dataclass(frozen=True)
class ModelRef:
    """A model resolved to a directory: what to load and which revision it is."""

    name: str  # the hub id, or the local path as written
    path: Path  # directory holding config, tokenizer and weights
    revision: str  # snapshot commit hash, or "sha256:<hex>" for a local directory
    local: bool  # True for a directory the user named, False for a hub cache snapshot

    @property
    def repo_id(self) -> str | None:
        """The Hugging Face id, or None for a local directory."""
        return None if self.local else self.name

    def read_json(self, filename: str) -> dict[str, Any]:
        """A JSON file of the model ({} when absent) -- config, tokenizer config, ..."""
        path = self.path / filename
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(f"cannot read {filename}: {error}", path=path) from None
        return data if isinstance(data, dict) else {}

    def has_weights(self) -> bool:
        return any((self.path / name).is_file() for name in WEIGHT_FILES)


def split_revision(text: str) -> tuple[str, str | None]:
    """``org/model@rev`` → (``org/model``, ``rev``); an existing path keeps any ``@`` it has."""
    text = text.strip()
    if Path(text).expanduser().exists():
        return text, None
    name, at, revision = text.rpartition("@")
    if at and name and revision and "/" not in revision:
        return name, revision
    return text, None


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` forbids talking to the Hub (read at call time)."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def hub_cache_dir() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def fetch_command(repo_id: str | None = None, revision: str | None = None) -> str:
    """The command that puts ``repo_id`` into the cache (for error messages).

    Without a ``repo_id`` only the suite form: a metric checkpoint is fetched
    through the suite that names it (``--model`` fetches translation models).
    """
    if repo_id is None:
        return "mteval models fetch SUITE"
    model = f"{repo_id}@{revision}" if revision else repo_id
    return f"mteval models fetch SUITE (or: mteval models fetch --model {model})"


def not_available(repo_id: str, revision: str | None = None, *, what: str = "model",
                  fetch_by_id: bool = True) -> Unavailable:
    """The one-line error for a hub model (or COMET ``checkpoint``) that is not in the local cache."""
    model = f"{repo_id}@{revision}" if revision else repo_id
    command = fetch_command(repo_id, revision) if fetch_by_id else fetch_command()
    return Unavailable(f"{what} '{model}' is not available offline; run: {command}")


def one_revision(name: str, spec_revision: str | None, revision: str | None) -> str | None:
    """The revision of ``name@spec_revision`` given a separate ``revision`` option too; both must agree."""
    if revision is not None and not isinstance(revision, str):
        raise UsageError(f"revision must be a string, got {type(revision).__name__}", field="revision")
    if spec_revision and revision and spec_revision != revision:
        raise UsageError(f"two revisions for '{name}': '@{spec_revision}' and revision '{revision}'",
                         field="revision")
    return revision or spec_revision


def directory_revision(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` over a directory's files: relative path, size and bytes, in path order."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(_visible_files(root), key=lambda p: p.relative_to(root).as_posix()):
        relative = file.relative_to(root).as_posix()
        digest.update(f"{relative}\0{file.stat().st_size}\0".encode("utf-8"))
        with open(file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def _visible_files(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        files.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
    return [f for f in files if f.is_file()]


def cached_snapshot(repo_id: str, revision: str | None = None) -> Path | None:
    """The cached snapshot directory of ``repo_id`` at ``revision`` (default ``main``), or None.

    A repository with no folder in the cache costs a stat, not an import of
    huggingface_hub's client (the common case offline: a default COMET
    checkpoint that was never fetched).
    """
    if not (hub_cache_dir() / ("models--" + repo_id.replace("/", "--"))).is_dir():
        return None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(repo_id, revision=revision, local_files_only=True,
                                   cache_dir=str(hub_cache_dir()))
    except LocalEntryNotFoundError:
        return None
    except ValueError:  # e.g. an invalid revision name
        return None
    return Path(folder)


def snapshot_of(path: str | os.PathLike[str]) -> tuple[str | None, str] | None:
    """(hub id, commit) of the cache snapshot ``path`` lies in, or None outside the Hugging Face cache.

    The id is None when the snapshot's repository folder is not named the way
    the cache names them (``models--ORG--NAME``).
    """
    for parent in Path(os.path.abspath(path)).parents:
        if parent.parent.name == "snapshots" and COMMIT_RE.match(parent.name):
            repo = parent.parent.parent.name
            repo_id = repo.removeprefix("models--").replace("--", "/") if repo.startswith("models--") else None
            return repo_id, parent.name
    return None


def check_repo_id(name: str) -> None:
    """A clear error for something that is neither a directory nor a valid model id."""
    if _looks_like_path(name):
        raise InputError("model directory not found", path=name,
                         hint="give an existing directory or a Hugging Face id such as 'org/model'")
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        raise InputError(f"'{name}' is neither a local directory nor a Hugging Face model id",
                         hint="a model id looks like 'Helsinki-NLP/opus-mt-zh-en'") from None


def _looks_like_path(name: str) -> bool:
    return (
        name.startswith(("/", "./", "../", "~", ".\\")) or name in (".", "..") or "\\" in name
        or name.count("/") > 1 or Path(name).parent.name != "" and Path(name).parent.is_dir()
    )


def resolve_model(spec: str, revision: str | None = None) -> ModelRef:
    """Resolve ``MODEL_OR_PATH[@REVISION]`` (plus an optional ``revision``) to a ``ModelRef``, offline.

    Reads no weights and downloads nothing: a hub model that is not cached
    raises ``Unavailable`` naming ``mteval models fetch``.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise UsageError("empty model name", hint="give a Hugging Face id or a model directory")
    name, spec_revision = split_revision(spec)
    revision = one_revision(name, spec_revision, revision)
    path = Path(name).expanduser()
    if path.is_dir():
        if revision:
            raise UsageError(f"'{name}' is a local directory; it has no revision '{revision}'",
                             field="revision", hint="drop '@REV' / the revision option")
        return ModelRef(name, path.resolve(), directory_revision(path), local=True)
    if path.exists():
        raise InputError("expected a model directory, found a file", path=name)
    check_repo_id(name)
    snapshot = cached_snapshot(name, revision)
    if snapshot is None:
        raise not_available(name, revision)
    return ModelRef(name, snapshot, snapshot.name, local=False)


def require_weights(ref: ModelRef) -> None:
    """A model directory must hold weights; a half-cached snapshot is ``Unavailable``."""
    if ref.has_weights():
        return
    if ref.local:
        raise InputError(f"no model weights ({', '.join(WEIGHT_FILES)}) in the directory", path=ref.path)
    raise Unavailable(f"model '{ref.name}' is only partly in the local cache (no weights); "
                      f"run: {fetch_command(ref.name)}")
