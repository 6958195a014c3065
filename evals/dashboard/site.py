"""Write the dashboard as a self-contained static site.

The site is the app from ``static/`` plus data chunks written as JavaScript
(``data/*.js``): browsers refuse ``fetch()`` of local files under ``file://``,
but load ``<script>`` files, so the same folder works opened from disk, as a
CI artifact or on GitHub Pages, and asks no other host for anything.

The site is built in a sibling temporary folder and swapped in at the end, so
an interrupted build never leaves a half-written site. An existing ``--out``
folder is replaced only when it holds a site this module wrote (it carries a
marker file); anything else is refused rather than deleted.

Rebuilding into the same folder is incremental: ``data/manifest.json`` records
each run's fingerprint (``payloads.run_fingerprint``: status, score and
translation counts...) and the files written for it, and a run whose
fingerprint and payload code are unchanged is copied from the previous build
instead of recomputed (its significance tests and, for runs with human
metrics, the meta-evaluation's bootstrap are the slow part; a human metric
imported or replaced changes the fingerprint).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.dashboard import payloads, urls
from evals.dashboard.analysis import analysis_payload
from evals.dashboard.humans import humans_payload
from evals.dashboard.significance import significance_payload
from evals.errors import InputError

if TYPE_CHECKING:
    from evals.store import Store

MARKER = ".mteval-site"
MANIFEST = "data/manifest.json"


@dataclass
class SiteReport:
    """What ``write_site`` wrote: where, how many files and bytes, and which runs."""

    out: Path
    runs: list[int]
    files: int = 0
    bytes: int = 0
    reused: int = 0  # runs copied unchanged from the previous build
    largest: list[tuple[str, int]] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def static_files() -> Iterator[tuple[str, bytes]]:
    """(relative path, content) of every file of the app, from the installed package."""
    root = resources.files("evals.dashboard") / "static"

    def walk(node, prefix: str) -> Iterator[tuple[str, bytes]]:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name.startswith(".") or child.name == "__pycache__":
                continue
            path = f"{prefix}{child.name}"
            if child.is_dir():
                yield from walk(child, path + "/")
            else:
                yield path, child.read_bytes()

    yield from walk(root, "")


def write_site(store: "Store", out: str | os.PathLike[str], runs: Iterable[int | str] | None = None) -> SiteReport:
    """Write the app and the data of ``runs`` (all runs when None) into ``out``."""
    out = Path(out)
    _check_target(out)
    run_ids = _resolve_runs(store, runs)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    building.chmod(0o755)  # mkdtemp makes it private; a published site must be readable
    try:
        report = _build(store, building, run_ids, _previous_build(out))
        _swap(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    report.out = out
    return report


def _build(store: "Store", root: Path, run_ids: list[int], previous: dict[str, Any]) -> SiteReport:
    report = SiteReport(out=root, runs=run_ids)
    sizes: dict[str, int] = {}

    def put(relative: str, content: bytes | str) -> None:
        raw = content.encode("utf-8") if isinstance(content, str) else content
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        sizes[relative] = len(raw)

    for relative, content in static_files():
        put(relative, content)
    put(urls.index_url(), urls.chunk_script(urls.index_url(), payloads.index_payload(store, run_ids)))
    manifest: dict[str, Any] = {"code": _code_version(), "runs": {}}
    for run_id in run_ids:
        fingerprint = json.dumps(payloads.run_fingerprint(store, run_id), default=str)
        reused = _reusable(previous, run_id, fingerprint)
        if reused is not None:
            for relative, content in reused.items():
                if relative not in sizes:
                    put(relative, content)
            report.reused += 1
            written = list(reused)
        else:
            written = _write_run(store, run_id, put, sizes)
        manifest["runs"][str(run_id)] = {"fingerprint": fingerprint, "files": sorted(written)}
    put(MANIFEST, json.dumps(manifest, indent=1))
    put(MARKER, "This folder was written by `mteval dashboard`; it is replaced on the next build.\n")
    put(".nojekyll", "")  # GitHub Pages: serve the files as they are
    report.files = len(sizes)
    report.bytes = sum(sizes.values())
    report.largest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
    return report


def _write_run(store: "Store", run_id: int, put: Callable[[str, str], None], sizes: dict[str, int]) -> list[str]:
    """Compute and write one run's chunks; return the paths written (or shared) for it."""
    run = payloads.RunData(store, run_id)
    segments = run.segments_payload()
    url = _segments_url(segments)
    if url not in sizes:  # runs over the same segments share one chunk
        put(url, urls.chunk_script(url, segments))
    payload = run.run_payload()
    payload["chunks"]["segments"] = url
    put(urls.run_url(run_id), urls.chunk_script(urls.run_url(run_id), payload))
    significance = urls.significance_url(run_id)
    put(significance, urls.chunk_script(significance, significance_payload(run)))
    analysis = urls.analysis_url(run_id)
    put(analysis, urls.chunk_script(analysis, analysis_payload(store, run_id)))
    files = [url, urls.run_url(run_id), significance, analysis]
    if run.human_names:
        humans = urls.humans_url(run_id)
        put(humans, urls.chunk_script(humans, humans_payload(run)))
        files.append(humans)
    for system_id in run.system_names:
        system_url = urls.system_url(run_id, system_id)
        put(system_url, urls.chunk_script(system_url, run.system_payload(system_id)))
        files.append(system_url)
    return files


def _code_version() -> str:
    """Changes whenever the payloads could: the mteval version and the payload code itself."""
    from evals import __version__, analysis, phenomena
    from evals.dashboard import analysis as analysis_chunk
    from evals.dashboard import humans, significance, values
    from evals.meta import report
    from evals.stats import agreement, agreement_bootstrap, multiple, paired
    from evals.store import human, queries

    sha = hashlib.sha256()
    for module in (payloads, significance, humans, values, urls, paired, multiple, queries, human, report, agreement,
                   agreement_bootstrap, analysis_chunk):
        sha.update(Path(module.__file__).read_bytes())
    for package in (analysis, phenomena):  # the analyses and the checks they run, every module
        for path in sorted(Path(package.__file__).parent.glob("*.py")):
            sha.update(path.read_bytes())
    digest = sha.hexdigest()[:16]
    return f"{__version__}+{payloads.SCHEMA_VERSION}+{digest}"


def _previous_build(out: Path) -> dict[str, Any]:
    """The manifest of the site already in ``out`` (empty when there is none or it is stale)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("code") != _code_version():
        return {}
    return {"root": out, **manifest}


def _reusable(previous: dict[str, Any], run_id: int, fingerprint: str) -> dict[str, bytes] | None:
    """The previous build's files for this run, if the run has not changed since; else None."""
    entry = (previous.get("runs") or {}).get(str(run_id))
    if not entry or entry.get("fingerprint") != fingerprint:
        return None
    files = {}
    for relative in entry.get("files", []):
        path = previous["root"] / relative
        if not _inside(previous["root"], path) or not path.is_file():
            return None
        files[relative] = path.read_bytes()
    return files or None


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _segments_url(payload: dict[str, Any]) -> str:
    digest = hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    ).hexdigest()[:16]
    return f"data/segments/{digest}.js"


def _resolve_runs(store: "Store", runs: Iterable[int | str] | None) -> list[int]:
    if runs is None:
        return [int(r) for r in store.list_runs()["id"]]
    resolved = list(dict.fromkeys(store.resolve_run(r) for r in runs))
    return sorted(resolved, reverse=True)


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder", path=out, field="--out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise InputError(
            "folder is not empty and was not written by `mteval dashboard`; refusing to replace it",
            path=out, field="--out", hint="pick an empty or new folder",
        )


def _swap(built: Path, out: Path) -> None:
    """Replace ``out`` with ``built``; the old site (if any) is removed only after the move."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    built.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
