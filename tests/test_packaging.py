"""mteval from its wheel, outside the checkout: the main job, the GitHub Action's script, the pytest plugin.

The wheel (distribution ``mteval-zh``: ``mteval`` and ``evals`` are other
projects' names on PyPI) must carry the built-in corpora (``corpora/`` mapped
to ``evals.builtin_corpora``), suites, policy and dashboard assets, and the
built-in suites must find the corpora there, not in the working directory.
The venv sees the shared environment's packages through a ``.pth`` file (the
dependencies; nothing is downloaded), but not the checkout: commands run from
folders outside it without PYTHONPATH, and a test checks where ``evals`` was
imported from.

The example user repository (``examples/ci-repo``) is copied out and gated by
``scripts/ci_gate.sh`` -- the steps ``action.yml`` runs -- with the installed
command: exit 0 on its committed translations, 1 with ``::error`` annotations
on degraded ones, 2 against a baseline saved with another BLEU tokenizer.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "ci-repo"
GATE_SCRIPT = REPO / "scripts" / "ci_gate.sh"


#: Imported at the venv's start-up (a ``.pth`` line): with MTEVAL_TEST_CORE_ONLY set, the optional heavy packages
#: of the shared environment are not found, as in a core install (``pip install mteval-zh``, no extras).
CORE_ONLY = '''
import importlib.machinery
import os
import sys

EXTRAS = frozenset(("torch", "transformers", "comet", "ctranslate2", "sentencepiece", "pytorch_lightning",
                    "lightning", "ray", "numba", "psycopg", "datasets", "nltk", "huggingface_hub"))


class CoreOnly:
    """The path finder, blind to the extras' packages (None: not found here, so not found at all)."""

    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in EXTRAS:
            return None
        return self.finder.find_spec(name, path, target)

    def invalidate_caches(self):
        self.finder.invalidate_caches()


if os.environ.get("MTEVAL_TEST_CORE_ONLY"):
    sys.meta_path[:] = [CoreOnly(f) if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
'''


def _checkout_copy(target: Path) -> Path:
    """The files a wheel is built from, copied, so building leaves no build/ or egg-info in the checkout."""
    target.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, target / name)
    for name in ("evals", "corpora"):
        shutil.copytree(REPO / name, target / name, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel, built from a copy of the checkout, installed into a fresh venv: (wheel, venv python, env)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = _checkout_copy(tmp / "src")
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(wheels)], check=True, capture_output=True, text=True)
    (wheel,) = wheels.glob("mteval_zh-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Install before the venv can see the shared environment: pip must not find (and replace) its mteval,
    # nor take the checkout on PYTHONPATH (with its editable install's egg-info) for an installed one.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "MTEVAL_DB")}
    # By its name, as `pip install mteval-zh` does (from the folder of built wheels instead of PyPI).
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--find-links", str(wheels), "-q", "mteval-zh"], check=True, capture_output=True, text=True,
                   env=env)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    (site / "_core_only.py").write_text(CORE_ONLY, encoding="utf-8")
    (site / "_core_only.pth").write_text("import _core_only\n", encoding="utf-8")
    env["HF_HUB_OFFLINE"] = "1"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return wheel, python, env


def test_the_wheel_holds_suites_policy_corpora_and_dashboard_and_core_needs_no_torch(installed):
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = archive.read(metadata).decode("utf-8")
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entries = archive.read(entry_points).decode("utf-8")
    for path in ("evals/suites/default.yaml", "evals/policy.yaml", "evals/builtin_corpora/paired.zh-Hans.jsonl",
                 "evals/builtin_corpora/manifest.json", "evals/dashboard/static/index.html",
                 "evals/dashboard/static/assets/app.css", "evals/dashboard/static/assets/js/charts.js",
                 "evals/dashboard/static/assets/js/views/analysis.js", "evals/phenomena/numbers.py"):
        assert path in names, path
    assert not any(n.startswith(("tests/", "examples/", "seeds/")) for n in names)
    # Every file of the package in git (assets a later change adds too), and the built corpora, as evals.builtin_corpora.
    tracked = subprocess.run(["git", "ls-files", "evals", "corpora"], cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.split()
    expected = {f"evals/builtin_corpora/{path[len('corpora/'):]}" if path.startswith("corpora/") else path
                for path in tracked}
    assert expected - names == set(), "in git, not in the wheel"
    assert re.search(r"^Name: mteval-zh$", meta, re.M)
    core = [line for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert core and not any(re.search(r"\b(torch|transformers|unbabel-comet|ray)\b", line) for line in core), core
    extras = set(re.findall(r"^Provides-Extra: (\S+)$", meta, re.M))
    assert {"comet", "models", "postgres", "test"} <= extras
    assert any(re.search(r"torch.*extra == \"models\"", line) for line in meta.splitlines())
    assert "mteval = evals.cli:main" in entries and "mteval = evals.pytest_plugin" in entries


def test_wheel_runs_the_default_suite_in_an_empty_directory(installed, tmp_path):
    _, python, env = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(python), "-c", "import evals; print(evals.__file__)"], cwd=empty, env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(python.parent.parent), f"evals imported from {where}, not the installed wheel"
    # A core install (no extras: no torch, COMET, numba): the default suite runs, COMET says what to install.
    core = {**env, "MTEVAL_TEST_CORE_ONLY": "1", "COLUMNS": "200"}
    absent = subprocess.run([str(python), "-c", "import torch"], cwd=empty, env=core, capture_output=True, text=True)
    assert absent.returncode == 1 and "No module named 'torch'" in absent.stderr
    run = subprocess.run(["mteval", "run", "--db", str(tmp_path / "db.sqlite")],
                         cwd=empty, env=core, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    notes = " ".join(run.stderr.split())
    assert "comet: not available" in notes and "pip install 'mteval-zh[comet]'" in notes, run.stderr
    assert "Traceback" not in run.stderr
    for corpus in ("paired.zh-Hans", "paired.zh-Hant", "mono-zh", "mono-en"):
        assert corpus in run.stdout
    assert "gloss" in run.stdout and "bleu" in run.stdout
    assert list(empty.iterdir()) == []  # nothing written to the working directory
    # The action's fetch step on a core install (a workflow that forgot `extras`): one line naming the extra.
    online = {k: v for k, v in core.items() if k != "HF_HUB_OFFLINE"} | {"HF_ENDPOINT": "http://127.0.0.1:9"}
    fetch = subprocess.run(["mteval", "models", "fetch", "default"], cwd=empty, env=online, capture_output=True,
                           text=True)
    assert fetch.returncode == 2 and "Traceback" not in fetch.stderr, fetch.stderr
    assert "huggingface_hub is not installed" in fetch.stderr and "pip install 'mteval-zh[comet]'" in fetch.stderr


def test_pip_resolves_the_name_with_its_extras(installed):
    """`pip install 'mteval-zh[comet,models]'`: the name, the extras and every requirement they pull in resolve."""
    wheel, python, env = installed
    wheels = wheel.parent
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    done = subprocess.run([*pip, "install", "--no-index", "--find-links", str(wheels), "mteval-zh[comet,models]"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"Requirement already satisfied: mteval-zh\[comet,models\] in \S*venv", done.stdout), done.stdout
    for requirement in ("torch", "unbabel-comet", "transformers", "ctranslate2"):
        assert f"Requirement already satisfied: {requirement}" in done.stdout, requirement
    consistent = subprocess.run([*pip, "check"], env=env, capture_output=True, text=True)
    assert consistent.returncode == 0, consistent.stdout + consistent.stderr


def _example(tmp_path: Path) -> Path:
    """A copy of the example repository, outside the checkout."""
    repo = tmp_path / "ci-repo"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", "mteval-reports"))
    return repo


def _gate(repo: Path, env: dict, python: Path, **extra: str) -> subprocess.CompletedProcess:
    """``scripts/ci_gate.sh`` as the action runs it (inputs as environment), with GitHub's files."""
    output, summary = repo / "github-output.txt", repo / "step-summary.md"
    for path in (output, summary):
        path.unlink(missing_ok=True)
    env = {**env, "MTEVAL_SUITE": "suite.yaml", "MTEVAL_BASELINE": "baselines/our-model.json",
           "MTEVAL_SYSTEM": "our-model", "MTEVAL_PYTHON": str(python), "MTEVAL_INSTALL": "", "MTEVAL_DB": "",
           "MTEVAL_REPORTS": "mteval-reports", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
           **extra}
    return subprocess.run(["bash", str(GATE_SCRIPT)], cwd=repo, env=env, capture_output=True, text=True)


def _outputs(repo: Path) -> dict[str, str]:
    lines = (repo / "github-output.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def _degrade(path: Path) -> None:
    """Our model, worse: every third word dropped, and the numbers of every other segment changed."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        words = [w for j, w in enumerate(line.split()) if j % 3 != 1]
        text = " ".join(words)
        if i % 2 == 0:
            text = re.sub(r"\d+", lambda m: str(int(m.group()) + 7), text)
        out.append(text)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_the_actions_script_gates_the_example_repository(installed, tmp_path):
    _, python, env = installed
    repo = _example(tmp_path)

    # As on GitHub: the repository is checked out in GITHUB_WORKSPACE and the action's working-directory is
    # a folder of it; the Hugging Face cache missed, so the script fetches the suite's models (none here).
    github = {"GITHUB_WORKSPACE": str(tmp_path), "MTEVAL_FETCH_MODELS": "true"}
    passed = _gate(repo, env, python, **github)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "nothing to fetch" in passed.stdout + passed.stderr
    outputs = _outputs(repo)
    assert outputs["result"] == "pass" and outputs["exit-code"] == "0"
    for key in ("markdown", "junit", "json"):
        assert (repo / outputs[key]).is_file(), key
    assert json.loads((repo / outputs["json"]).read_text(encoding="utf-8"))["passed"] is True
    assert "PASS" in (repo / "step-summary.md").read_text(encoding="utf-8")
    assert "::error" not in passed.stdout

    _degrade(repo / "translations" / "our-model.en")
    failed = _gate(repo, env, python, **github)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert _outputs(repo)["result"] == "fail"
    errors = [line for line in failed.stdout.splitlines() if line.startswith("::error")]
    # file= is the baseline's path from the repository root (GITHUB_WORKSPACE), where GitHub looks for it.
    pattern = re.compile(r"^::error file=ci-repo/baselines/our-model\.json,title=mteval%3A (\S+) regression on shop-news::"
                         r"[^\r\n]*dropped by [\d.]+ points")
    assert sorted(pattern.match(line).group(1) for line in errors) == ["bleu", "chrf", "numbers"], errors
    assert "FAIL" in (repo / "step-summary.md").read_text(encoding="utf-8")
    report = json.loads((repo / "mteval-reports" / "mteval-report.json").read_text(encoding="utf-8"))
    assert len(report["failures"]) == len(errors) == 3

    # A baseline saved with another BLEU tokenizer is not comparable: exit 2, no verdict.
    shutil.copy2(EXAMPLE / "translations" / "our-model.en", repo / "translations" / "our-model.en")
    suite = (repo / "suite.yaml").read_text(encoding="utf-8")
    other = repo / "suite-intl.yaml"
    other.write_text(suite.replace("metrics: [bleu, chrf, numbers]",
                                   "metrics: [{name: bleu, options: {tokenize: intl}}, chrf, numbers]"),
                     encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'intl.db'}"
    for args in (["run", str(other), "--db", db, "-q"],
                 ["baseline", "save", "latest:our-model", "--out", "baselines/intl.json", "--db", db]):
        subprocess.run(["mteval", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    mismatched = _gate(repo, env, python, MTEVAL_BASELINE="baselines/intl.json", **github)
    assert mismatched.returncode == 2, mismatched.stdout + mismatched.stderr
    assert _outputs(repo)["result"] == "error"
    assert "tok:intl" in mismatched.stderr and "tok:13a" in mismatched.stderr
    assert "Traceback" not in mismatched.stderr
    # The error is one annotation too: mteval's one-line message, so the job's page says why.
    (error,) = [line for line in mismatched.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith("::error title=mteval gate: check::") and "tok:intl" in error and "tok:13a" in error
    assert "\n" not in error and "\r" not in error
    summary = (repo / "step-summary.md").read_text(encoding="utf-8")  # and the job summary says why
    assert summary.startswith("### mteval gate: error (exit 2)") and "tok:intl" in summary, summary

    # A hypotheses file that lost a line cannot be scored: exit 2 from `mteval run`, annotated, no check.
    hyps = repo / "translations" / "our-model.en"
    hyps.write_text("\n".join(hyps.read_text(encoding="utf-8").splitlines()[:-1]) + "\n", encoding="utf-8")
    short = _gate(repo, env, python, **github)
    assert short.returncode == 2 and _outputs(repo)["result"] == "error", short.stdout + short.stderr
    (error,) = [line for line in short.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith("::error title=mteval gate: run::") and "our-model.en" in error, error
    assert "Traceback" not in short.stderr


@pytest.mark.parametrize("missing", ["MTEVAL_SUITE", "MTEVAL_BASELINE"])
def test_the_actions_script_without_a_required_input_is_an_error_with_outputs(tmp_path, missing):
    """Before anything is installed or run: one annotation, result=error in the outputs, why in the summary."""
    repo = _example(tmp_path)
    done = _gate(repo, dict(os.environ), Path(sys.executable), **{missing: ""})
    assert done.returncode == 2, done.stdout + done.stderr
    (error,) = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    wanted = {"MTEVAL_SUITE": "suite", "MTEVAL_BASELINE": "baseline"}[missing]
    assert error.startswith("::error title=mteval gate: input::") and f"(input '{wanted}')" in error, error
    assert _outputs(repo) == {"result": "error", "exit-code": "2",
                                   "markdown": "mteval-reports/mteval-report.md",
                                   "junit": "mteval-reports/mteval-junit.xml",
                                   "json": "mteval-reports/mteval-report.json"}
    assert f"(input '{wanted}')" in (repo / "step-summary.md").read_text(encoding="utf-8")


def test_the_actions_script_escapes_its_own_annotations_as_mteval_does(tmp_path):
    """The script's ``::error`` for a step it cannot do escapes %, CR and LF like ``evals.annotations``."""
    from evals.annotations import escape_data

    repo = _example(tmp_path)
    blocker = "100% done\r\nreally"
    (repo / blocker).write_text("a file, not a folder", encoding="utf-8")
    done = _gate(repo, dict(os.environ), Path(sys.executable), MTEVAL_REPORTS=f"{blocker}/reports")
    assert done.returncode == 2, done.stdout + done.stderr
    (error,) = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert error == f"::error title=mteval gate: input::{escape_data(f'cannot create the reports folder {blocker}/reports')}"
    assert "100%25 done%0D%0Areally" in error


def test_the_example_repositorys_own_tests_use_the_installed_plugin(installed, tmp_path):
    _, python, env = installed
    repo = _example(tmp_path)
    db = f"sqlite:///{tmp_path / 'results.db'}"
    subprocess.run(["mteval", "run", "suite.yaml", "--db", db, "-q"], cwd=repo, env=env, check=True,
                   capture_output=True, text=True)
    tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", "--mteval-db", db],
                           cwd=repo, env=env, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
    where = subprocess.run([str(python), "-c", "import evals.pytest_plugin as p; print(p.__file__)"], cwd=repo,
                           env=env, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(python.parent.parent)
    _degrade(repo / "translations" / "our-model.en")
    subprocess.run(["mteval", "run", "suite.yaml", "--db", db, "-q"], cwd=repo, env=env, check=True,
                   capture_output=True, text=True)
    failing = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
                              "--mteval-db", db], cwd=repo, env=env, capture_output=True, text=True)
    assert failing.returncode == 1 and "2 failed" in failing.stdout, failing.stdout
    assert "bleu dropped by" in failing.stdout


def test_action_yml_is_a_composite_action_whose_inputs_all_reach_the_script():
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    text = yaml.safe_dump(steps)
    for name, spec in action["inputs"].items():
        assert f"inputs.{name}" in text, f"input {name!r} is used by no step"
        assert spec.get("description")
        assert spec.get("required") or "default" in spec, name
    (gate,) = [s for s in steps if s.get("id") == "gate"]
    assert "scripts/ci_gate.sh" in gate["run"] and gate["shell"] == "bash"
    script = GATE_SCRIPT.read_text(encoding="utf-8")
    given = set(gate["env"])
    read = set(re.findall(r"\$\{?(MTEVAL_[A-Z_]+)", script))
    assert given == read, (given ^ read)
    written = set(re.findall(r'echo "([a-z-]+)=\$', script))
    for name, spec in action["outputs"].items():
        assert spec["value"] == f"${{{{ steps.gate.outputs.{name} }}}}" and name in written, name
    uses = {s["uses"].split("@")[0] for s in steps if "uses" in s}
    assert {"actions/setup-python", "actions/cache", "actions/upload-artifact"} <= uses
    caches = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/cache")]
    assert "~/.cache/pip" in caches and "~/.cache/huggingface" in caches
    assert "steps.hf-cache.outputs.cache-hit" in gate["env"]["MTEVAL_FETCH_MODELS"]
    # The upload runs after a failed gate too, and takes every report the script writes (not the database).
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["if"] == "always()" and upload["with"]["name"] == "${{ inputs.artifact-name }}"
    pattern = upload["with"]["path"].rsplit("/", 1)[1]
    reports = re.findall(r'^(?:markdown|junit|json)="\$reports/([^"]+)"$', script, re.M)
    assert len(reports) == 3 and all(fnmatch.fnmatch(name, pattern) for name in reports), (pattern, reports)
    assert not fnmatch.fnmatch("mteval.db", pattern)


@pytest.mark.parametrize("workflow, uses", [
    (EXAMPLE / ".github" / "workflows" / "translations.yml", r"[\w.-]+/[\w.-]+@\S+"),  # a user's: OWNER/REPO@REF
    (REPO / ".github" / "workflows" / "action-selftest.yml", r"\./"),  # mteval's own CI: this checkout's action
], ids=["example", "selftest"])
def test_workflows_give_the_action_inputs_it_has_and_files_that_exist(workflow, uses):
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    spec = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    steps = [step for job in spec["jobs"].values() for step in job["steps"]]
    (step,) = [s for s in steps if re.fullmatch(uses, str(s.get("uses", ""))) and not s["uses"].startswith("actions/")]
    given = step["with"]
    assert set(given) <= set(action["inputs"]), set(given) - set(action["inputs"])
    assert {name for name, s in action["inputs"].items() if s.get("required")} <= set(given)
    # The paths are relative to the working directory, from the root of the repository the workflow is in.
    root = workflow.parent.parent.parent
    where = root / given.get("working-directory", ".")
    for name in ("suite", "baseline"):
        assert (where / given[name]).is_file(), f"{workflow.name}: {name} {given[name]!r} not in {where}"
    suite = yaml.safe_load((where / given["suite"]).read_text(encoding="utf-8"))
    names = [s if isinstance(s, str) else s.get("name") for s in suite["systems"]]
    assert given.get("system", names[0]) in names
