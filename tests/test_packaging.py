"""The main job from anywhere: a wheel built from the checkout runs the default suite in an empty directory.

The wheel must carry the built-in corpora (``corpora/`` mapped to
``evals.builtin_corpora``) and the built-in suites must find them there, not
in the working directory. The venv sees the shared environment's packages
through a ``.pth`` file (the dependencies; nothing is downloaded), but not
the checkout: the test runs from an empty directory without PYTHONPATH and
checks where ``evals`` was imported from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path


from tests.conftest import REPO


def _checkout_copy(target: Path) -> Path:
    """The files a wheel is built from, copied, so building leaves no build/ or egg-info in the checkout."""
    target.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, target / name)
    for name in ("evals", "corpora"):
        shutil.copytree(REPO / name, target / name, ignore=ignore)
    return target


def test_wheel_runs_the_default_suite_in_an_empty_directory(tmp_path):
    source = _checkout_copy(tmp_path / "src")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(wheels)], check=True, capture_output=True, text=True)
    (wheel,) = wheels.glob("mteval-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Install before the venv can see the shared environment: pip must not find (and replace) its mteval,
    # nor take the checkout on PYTHONPATH (with its editable install's egg-info) for an installed one.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "MTEVAL_DB")}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, capture_output=True, text=True, env=env)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    empty = tmp_path / "empty"
    empty.mkdir()
    env["HF_HUB_OFFLINE"] = "1"
    where = subprocess.run([str(python), "-c", "import evals; print(evals.__file__)"], cwd=empty, env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(venv), f"evals imported from {where}, not the installed wheel"
    run = subprocess.run([str(python), "-m", "evals", "run", "--db", str(tmp_path / "db.sqlite"), "-q"],
                         cwd=empty, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for corpus in ("paired.zh-Hans", "paired.zh-Hant", "mono-zh", "mono-en"):
        assert corpus in run.stdout
    assert "gloss" in run.stdout and "bleu" in run.stdout
    assert list(empty.iterdir()) == []  # nothing written to the working directory
