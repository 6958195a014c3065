"""Run ids that cannot name a run: too large for the database's integers, zero, negative, not ASCII digits.

Every command that takes a run id answers them with one line and exit 2
("no run N" or "a run is an id or 'latest'"), never ``OverflowError`` (SQLite
takes 64-bit integers only) or ``ValueError`` (``"²".isdigit()`` is true but
``int("²")`` fails). The one place a run reference is read is
``evals.store.queries._resolve_run``; ``storable_id`` says which integers
can be ids at all.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.errors import InputError
from evals.store import open_store
from tests.test_bad_input import cli, scored_store

HUGE = "99999999999999999999"
OVER_INT64 = str(2**63)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A store with run 1 (systems a.txt and b.txt, BLEU) and a baseline file of it."""
    folder = tmp_path_factory.mktemp("run-ids")
    return scored_store(folder)


COMMANDS = {  # what each command is given: RUN stands for the bad id
    "show": ["show", "RUN"],
    "export": ["export", "RUN", "--out", "x.jsonl"],
    "compare-spec": ["compare", "RUN:a.txt", "1:b.txt"],
    "compare-spec-2": ["compare", "1:a.txt", "RUN:b.txt"],
    "compare-run": ["compare", "--run", "RUN", "--baseline", "a.txt"],
    "compare-clusters": ["compare", "--run", "RUN", "--clusters"],
    "dashboard": ["dashboard", "--run", "RUN", "--out", "site"],
    "check-run": ["check", "--baseline", "base.json", "--run", "RUN", "--system", "b.txt"],
    "check-baseline-run": ["check", "--baseline-run", "RUN:a.txt", "--run", "1", "--system", "b.txt"],
    "baseline-save": ["baseline", "save", "RUN:a.txt", "--out", "b.json"],
}


@pytest.mark.parametrize("run_id", [HUGE, OVER_INT64, "0", "00"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_id_that_names_no_run_is_one_line(folder, monkeypatch, capsys, command, run_id):
    monkeypatch.chdir(folder)
    args = [a.replace("RUN", run_id) for a in COMMANDS[command]]
    outcome = cli([*args, "--db", "s.db"], capsys)
    assert outcome.code == 2, outcome.text
    assert "Traceback" not in outcome.text
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and f"no run {int(run_id)}" in lines[0], outcome.err
    assert not (folder / "site").exists() and not (folder / "x.jsonl").exists() and not (folder / "b.json").exists()


@pytest.mark.parametrize("run_id", ["-1", "-99999999999999999999", "²", "١", "1e3", "0x10"])
@pytest.mark.parametrize("command", ["show", "export", "compare-run", "dashboard", "check-run"])
def test_an_id_that_is_not_a_decimal_number_is_one_line(folder, monkeypatch, capsys, command, run_id):
    monkeypatch.chdir(folder)
    args = [a.replace("RUN", run_id) for a in COMMANDS[command]]
    if command in ("show", "export"):  # "-1" as a positional argument needs "--"
        args = [*args[:1], "--db", "s.db", *args[2:], "--", args[1]]
    else:
        args = [*args, "--db", "s.db"]
    outcome = cli(args, capsys)
    assert outcome.code == 2, outcome.text
    assert "Traceback" not in outcome.text
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and "a run is an id or 'latest'" in lines[0], outcome.err


@pytest.mark.parametrize("spec", ["²:a.txt", "١:a.txt"])
def test_a_side_spec_with_non_ascii_digits_is_refused(folder, monkeypatch, capsys, spec):
    monkeypatch.chdir(folder)
    outcome = cli(["compare", spec, "1:b.txt", "--db", "s.db"], capsys)
    assert outcome.code == 2 and "Traceback" not in outcome.text
    assert len(outcome.err.strip().splitlines()) == 1 and "cannot read" in outcome.err


def test_the_good_id_still_works(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    outcome = cli(["show", "1", "--db", "s.db", "--format", "json"], capsys)
    assert outcome.code == 0, outcome.text
    outcome = cli(["show", " 1 ", "--db", "s.db", "--format", "json"], capsys)
    assert outcome.code == 0, outcome.text


@settings(max_examples=150, deadline=None)
@given(run=st.integers() | st.text(max_size=25) | st.integers().map(str))
def test_any_run_reference_resolves_or_is_an_input_error(folder, run):
    """The library path every command uses: an id of run 1, or an InputError, nothing else."""
    with open_store(folder / "s.db", readonly=True) as store:
        try:
            assert store.resolve_run(run) == 1
        except InputError:
            pass
        try:
            store.get_run(run)
        except InputError:
            pass


@pytest.mark.parametrize("run_id", [2**31, 2**31 - 1, 10**20, 0, -1])
def test_postgresql_ids_out_of_its_integer_range_name_no_run(new_pg_database, run_id):
    """PostgreSQL's INTEGER is 32 bits: 2**31 there is "integer out of range" from the driver, unless bounded."""
    with open_store(new_pg_database()) as store:
        with pytest.raises(InputError, match=f"no run {run_id}"):
            store.resolve_run(run_id)
        with pytest.raises(InputError, match=f"no run {run_id}"):
            store.get_run(str(run_id) if run_id >= 0 else run_id)
