"""``cmd:`` with small Python translator scripts written to a temp directory."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError
from evals.systems import build_system
from evals.systems.cmd import one_line
from tests.llm_helpers import corpus_segments, mteval, query, translations, write_corpora, write_suite

SCRIPTS = {
    # Prefix every line, so the output is visibly a "translation" of its own line.
    "mark.py": """
import sys
for line in sys.stdin:
    sys.stdout.write("EN " + line.rstrip("\\n").upper() + "\\n")
""",
    "drop.py": """
import sys
lines = sys.stdin.read().splitlines()
print("dropping the last line", file=sys.stderr)
sys.stdout.write("".join(l + "\\n" for l in lines[:-1]))
""",
    "fail.py": """
import sys
sys.stdin.read()
print("\\nmodel file is corrupt", file=sys.stderr)
print("more detail", file=sys.stderr)
sys.exit(3)
""",
    "slow.py": """
import os, sys, time
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(30)
""",
    "latin1.py": """
import sys
for line in sys.stdin.buffer:
    sys.stdout.buffer.write(b"ok\\n" if line.startswith(b"a") else "caf\\u00e9\\n".encode("latin-1"))
""",
    "crlf.py": """
import sys
data = sys.stdin.buffer.read().decode("utf-8").split("\\n")[:-1]
sys.stdout.buffer.write("".join("T:" + l + "\\r\\n" for l in data).encode("utf-8"))
""",
}


@pytest.fixture
def scripts(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "bin"
    folder.mkdir()
    paths = {}
    for name, text in SCRIPTS.items():
        paths[name] = folder / name
        paths[name].write_text(text.lstrip(), encoding="utf-8")
    return paths


def command(script: Path, *args: str) -> str:
    return shlex.join([sys.executable, str(script), *args])


def seg(seg_id: str, source: str) -> Segment:
    return Segment(corpus="c", doc_id="d", seg_id=seg_id, para=0, source=source, reference=None,
                   src_lang="zh", tgt_lang="en", script="zh-Hans")


def test_one_segment_is_one_line():
    assert one_line("a\nb") == "a b" and one_line("a\r\nb\u2028c") == "a b c" and one_line("ab") == "ab"


def test_translates_line_by_line(scripts):
    system = build_system(f"cmd:{command(scripts['mark.py'])}")
    segments = [seg("1", "你好 world"), seg("2", "two\nlines"), seg("3", "中文")]
    assert system.translate(segments) == ["EN 你好 WORLD", "EN TWO LINES", "EN 中文"]


def test_crlf_output_and_shell_pipelines(scripts):
    assert build_system(f"cmd:{command(scripts['crlf.py'])}").translate([seg("1", "一"), seg("2", "二")]) == [
        "T:一", "T:二"]
    piped = build_system(f"cmd:{command(scripts['mark.py'])} | tr E e", shell=True)
    assert piped.translate([seg("1", "abc")]) == ["eN ABC"]


def test_output_that_is_not_utf8_is_an_error(scripts):
    system = build_system(f"cmd:{command(scripts['latin1.py'])}")
    with pytest.raises(InputError, match="invalid UTF-8 on output line 2"):
        system.translate([seg("1", "a"), seg("2", "b")])


def test_line_count_mismatch_is_an_error(scripts):
    system = build_system(f"cmd:{command(scripts['drop.py'])}")
    with pytest.raises(InputError) as caught:
        system.translate([seg("1", "a"), seg("2", "b"), seg("3", "c")])
    message = str(caught.value)
    assert str(scripts["drop.py"]) in message and "wrote 2 lines for 3 input lines" in message
    assert "exit code 0" in message and "dropping the last line" in message


def test_nonzero_exit_names_command_code_and_first_stderr_line(scripts):
    system = build_system(f"cmd:{command(scripts['fail.py'])}")
    with pytest.raises(InputError) as caught:
        system.translate([seg("1", "a")])
    message = str(caught.value)
    assert str(scripts["fail.py"]) in message and "exited with code 3: model file is corrupt" in message
    assert "more detail" not in message and "\n" not in message


def test_timeout_kills_the_program(scripts, tmp_path):
    pid_file = tmp_path / "pid"
    system = build_system(f"cmd:{command(scripts['slow.py'], str(pid_file))}", timeout=1)
    started = time.monotonic()
    with pytest.raises(InputError, match=r"timed out after 1 s and was killed"):
        system.translate([seg("1", "a")])
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_missing_program_and_bad_options():
    with pytest.raises(InputError, match="'no-such-translator' not found"):
        build_system("cmd:no-such-translator --fast")
    with pytest.raises(UsageError, match="needs an argument"):
        build_system("cmd:")
    with pytest.raises(UsageError, match="cannot split"):
        build_system("cmd:echo 'unclosed")
    for options, field in (({"batch_size": 0}, "batch_size"), ({"timeout": -1}, "timeout"),
                           ({"shell": "yes"}, "shell")):
        with pytest.raises(UsageError) as caught:
            build_system("cmd:cat", **options)
        assert caught.value.field == field


def test_describe_hashes_the_script_so_edits_invalidate_the_cache(scripts):
    spec = f"cmd:{command(scripts['mark.py'])}"
    info = build_system(spec, batch_size=5, timeout=9).describe()
    assert info.params["command"] == command(scripts["mark.py"])
    assert set(info.params["files"]) == {sys.executable, str(scripts["mark.py"])}
    assert all(value.startswith("sha256:") for value in info.params["files"].values())
    assert build_system(spec).describe().cache_key() == info.cache_key()  # batch_size, timeout: not outputs
    scripts["mark.py"].write_text(SCRIPTS["mark.py"].replace("EN ", "FR "), encoding="utf-8")
    assert build_system(spec).describe().cache_key() != info.cache_key()


def test_mteval_run_end_to_end(scripts, tmp_path):
    corpora = write_corpora(tmp_path / "corpora", per_doc=2, traditional=1)
    segments = corpus_segments(corpora)
    suite = write_suite(tmp_path / "cmd.yaml", corpora, [
        {"spec": f"cmd:{command(scripts['mark.py'])}", "name": "marker", "options": {"batch_size": 2}},
    ])
    db = tmp_path / "results.db"
    done = mteval("run", str(suite), db=db)
    assert done.returncode == 0, done.stderr
    stored = {(corpus, seg_id): hyp for _, corpus, seg_id, hyp in translations(db)}
    assert stored == {(s.corpus, s.seg_id): "EN " + s.source.upper() for s in segments}
    ((revision, params),) = query(db, "SELECT revision, params_json FROM systems")
    assert revision != "no-files" and str(scripts["mark.py"]).replace("\\", "\\\\") in params


def test_mteval_run_failing_command_exits_2_with_one_line(scripts, tmp_path):
    corpora = write_corpora(tmp_path / "corpora", per_doc=1, traditional=0)
    suite = write_suite(tmp_path / "cmd.yaml", corpora, [f"cmd:{command(scripts['fail.py'])}"])
    done = mteval("run", str(suite), db=tmp_path / "results.db")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "exited with code 3: model file is corrupt" in errors[0]
    assert "Traceback" not in done.stderr
