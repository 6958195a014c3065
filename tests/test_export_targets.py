"""What a user-named output file may be: every writer goes through ``evals.outputs``.

``mteval export --out``, ``mteval baseline save --out`` and ``mteval check
--markdown/--junit/--json`` write a temporary file renamed over the target.
A symlink is written through (the link stays, the file it points to is
replaced); a folder, a FIFO (the stand-in here for devices and sockets,
created in tmp_path: the system's own devices are never touched) or a parent
that is a file is one line, exit 2, before any work; a new file's mode is what
the umask allows, an existing file keeps its mode.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from evals.errors import InputError
from evals.outputs import output_target, write_output
from tests.test_bad_input import cli, scored_store


WRITERS = {  # the command writing TARGET
    "export": ["export", "1", "--out", "TARGET"],
    "export-csv": ["export", "1", "--format", "csv", "--out", "TARGET"],
    "baseline": ["baseline", "save", "1:a.txt", "--out", "TARGET"],
    "check-junit": ["check", "--baseline", "base.json", "--run", "1", "--system", "b.txt", "--junit", "TARGET"],
    "check-json": ["check", "--baseline", "base.json", "--run", "1", "--system", "b.txt", "--json", "TARGET"],
}


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory):
    """A store with run 1 (systems a.txt, b.txt; BLEU) and a baseline of a.txt."""
    folder = tmp_path_factory.mktemp("export-targets")
    return scored_store(folder)


@pytest.fixture
def workdir(store_folder, tmp_path, monkeypatch):
    for name in ("s.db", "base.json"):
        (tmp_path / name).write_bytes((store_folder / name).read_bytes())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(capsys, writer: str, target: str):
    args = [a.replace("TARGET", target) for a in WRITERS[writer]]
    return cli([*args, "--db", "s.db"], capsys)


def one_line_error(outcome, *fragments: str) -> None:
    assert outcome.code == 2, outcome.text
    assert "Traceback" not in outcome.text
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def no_temporaries(folder) -> None:
    assert not [p.name for p in folder.rglob("*.tmp")]


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_symlink_is_written_through(workdir, capsys, writer):
    real = workdir / "real.out"
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    (workdir / "link.out").symlink_to("real.out")
    outcome = write(capsys, writer, "link.out")
    assert outcome.code in (0, 1), outcome.text  # check: 1 is a regression verdict, still written
    assert (workdir / "link.out").is_symlink() and os.readlink(workdir / "link.out") == "real.out"
    assert real.read_text(encoding="utf-8") != "old\n" and real.stat().st_size > 10
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # an existing file keeps its mode
    no_temporaries(workdir)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_fifo_is_refused_and_stays_a_fifo(workdir, capsys, writer):
    fifo = workdir / "pipe.out"
    os.mkfifo(fifo)
    one_line_error(write(capsys, writer, "pipe.out"), "pipe.out", "FIFO", "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    no_temporaries(workdir)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_symlink_to_a_fifo_is_refused(workdir, capsys, writer):
    os.mkfifo(workdir / "pipe")
    (workdir / "link.out").symlink_to("pipe")
    one_line_error(write(capsys, writer, "link.out"), "link.out", "FIFO")
    assert stat.S_ISFIFO(os.stat(workdir / "link.out").st_mode)


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("target", ["folder", "folder/", "."])
def test_a_folder_is_refused(workdir, capsys, writer, target):
    (workdir / "folder").mkdir()
    (workdir / "folder" / "keep").write_text("x", encoding="utf-8")
    one_line_error(write(capsys, writer, target), "is a folder, not a file")
    assert (workdir / "folder" / "keep").read_text(encoding="utf-8") == "x"
    no_temporaries(workdir)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_parent_that_is_a_file_is_refused(workdir, capsys, writer):
    (workdir / "plain").write_text("x", encoding="utf-8")
    one_line_error(write(capsys, writer, "plain/sub/out.json"), "plain/sub/out.json", "plain is not a folder")


@pytest.mark.parametrize("writer", ["export", "baseline", "check-junit"])
def test_a_dangling_link_into_a_missing_folder_is_refused(workdir, capsys, writer):
    (workdir / "link.out").symlink_to("nowhere/file.out")
    one_line_error(write(capsys, writer, "link.out"), "link.out", "whose folder does not exist")
    assert not (workdir / "nowhere").exists()


@pytest.mark.parametrize("writer", ["export", "baseline", "check-junit"])
def test_missing_folders_of_the_named_path_are_created(workdir, capsys, writer):
    outcome = write(capsys, writer, "reports/new/out.file")
    assert outcome.code in (0, 1), outcome.text
    assert (workdir / "reports" / "new" / "out.file").stat().st_size > 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("writer", ["export", "baseline", "check-junit"])
def test_an_unwritable_folder_is_one_line(workdir, capsys, writer):
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        one_line_error(write(capsys, writer, "locked/out.file"), "locked/out.file", "cannot write")
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
@pytest.mark.parametrize("writer", ["export", "baseline", "check-json"])
def test_a_new_file_gets_the_umask_mode(workdir, capsys, writer, umask):
    old = os.umask(umask)
    try:
        outcome = write(capsys, writer, "new.out")
    finally:
        os.umask(old)
    assert outcome.code in (0, 1), outcome.text
    assert stat.S_IMODE((workdir / "new.out").stat().st_mode) == 0o666 & ~umask
    if writer == "export":
        assert stat.S_IMODE((workdir / "new.meta.json").stat().st_mode) == 0o666 & ~umask


def test_export_refuses_a_fifo_sidecar_before_writing_the_table(workdir, capsys):
    os.mkfifo(workdir / "run.meta.json")
    one_line_error(write(capsys, "export", "run.jsonl"), "run.meta.json", "FIFO")
    assert not (workdir / "run.jsonl").exists()


def test_the_exported_file_is_complete(workdir, capsys):
    outcome = write(capsys, "export", "run.jsonl")
    assert outcome.code == 0, outcome.text
    rows = [json.loads(line) for line in (workdir / "run.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6 and {r["system"] for r in rows} == {"a.txt", "b.txt"}


def test_the_helper_directly(tmp_path):
    """``write_output`` replaces, ``output_target`` names the file a link resolves to."""
    target = tmp_path / "file.txt"
    write_output(target, "one\n")
    (tmp_path / "link").symlink_to(target)
    assert output_target(tmp_path / "link") == target.resolve()
    write_output(tmp_path / "link", "two\n")
    assert target.read_text(encoding="utf-8") == "two\n" and (tmp_path / "link").is_symlink()
    with pytest.raises(InputError, match="is a folder"):
        write_output(tmp_path, "x")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match="cannot write"):
        write_output(loop, "x")
