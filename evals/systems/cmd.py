"""``cmd:COMMAND``: any external program that translates stdin lines to stdout lines.

The protocol is the one of most MT command-line tools (``marian-decoder``,
``fairseq-interactive``-style wrappers, a shell pipeline): the program is run
once per batch, reads the batch's source segments on stdin as UTF-8, one
segment per line, and must write exactly one translation per line on stdout,
in the same order, then exit with code 0.

* Line breaks inside a segment (``\\n``, ``\\r`` and every other character
  ``str.splitlines`` breaks on, such as U+2028) are replaced by a space before
  writing, so one segment is always one line. The output is split on ``\\n``
  (a trailing ``\\r`` is dropped, so CRLF output works); a final newline is
  optional; output that is not UTF-8 is an error, never silently replaced.
* ``COMMAND`` is split with ``shlex`` and run without a shell, unless option
  ``shell: true`` (then ``/bin/sh -c COMMAND``, pipes and redirections work).
  ``PYTHONIOENCODING=utf-8`` is set for the child unless already set, so a
  Python script speaks UTF-8 on any locale.
* ``batch_size`` (128): segments per run of the program; ``timeout`` (600 s)
  per run. On timeout the program's whole process group is killed.
* A non-zero exit code, a timeout or a wrong number of output lines is an
  ``InputError`` naming the command, the exit code and the first stderr line:
  a missing or extra line would shift every later hypothesis against its
  reference.

``describe()`` records the command string and the sha256 of every file the
command names: the executable (resolved on ``PATH``) and each argument that
is an existing file (a script, a model), so editing the script or replacing
the model invalidates cached translations. Files over 256 MiB are identified
by size plus the sha256 of their first and last MiB (hashing a multi-GB
model on every run would cost more than the run). ``batch_size``, ``timeout``
and the shell setting change how the program is run, not its output, and are
left out of the cache key.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError
from evals.systems.base import System, SystemInfo, TranslationContext, file_sha256

if TYPE_CHECKING:
    from evals.systems.registry import Registry

CMD_PROTOCOL_VERSION = "1"
LARGE_FILE = 256 << 20
EDGE = 1 << 20


def one_line(text: str) -> str:
    """A segment as one protocol line: every line break becomes a space."""
    return " ".join(text.splitlines())


def file_identity(path: Path) -> str:
    """sha256 of a file, or for a very large one, its size and the sha256 of its two ends."""
    size = path.stat().st_size
    if size <= LARGE_FILE:
        return f"sha256:{file_sha256(path)}"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        digest.update(handle.read(EDGE))
        handle.seek(size - EDGE)
        digest.update(handle.read(EDGE))
    return f"size:{size}+ends-sha256:{digest.hexdigest()}"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 200 else line[:197] + "..."
    return ""


class CmdSystem(System):
    """Run a translation program on each batch (stdin lines in, stdout lines out)."""

    backend = "cmd"

    def __init__(
        self,
        arg: str | None,
        /,
        *,
        spec: str,
        name: str | None = None,
        batch_size: int = 128,
        timeout: float = 600.0,
        shell: bool = False,
    ) -> None:
        super().__init__(spec, name)
        self.command = (arg or "").strip()
        if not self.command:
            raise UsageError("cmd: needs a command", field="system", hint="e.g. 'cmd:python translate.py'")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise UsageError(f"option 'batch_size' must be an integer >= 1, got {batch_size!r}", field="batch_size")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
            raise UsageError(f"option 'timeout' must be a positive number of seconds, got {timeout!r}",
                             field="timeout")
        if not isinstance(shell, bool):
            raise UsageError(f"option 'shell' must be true or false, got {shell!r}", field="shell")
        self.max_batch_size = batch_size
        self.timeout = float(timeout)
        self.shell = shell
        try:
            self.argv = shlex.split(self.command)
        except ValueError as error:
            if not shell:
                raise UsageError(f"cannot split command '{self.command}': {error}", field="system") from None
            self.argv = []
        if not self.argv and not shell:
            raise UsageError("cmd: needs a command", field="system")
        self.executable = self._resolve_executable()
        self._files: dict[str, str] | None = None

    def _resolve_executable(self) -> Path | None:
        """The program's file (on PATH or as a path); a missing program is an error up front."""
        if not self.argv:
            return None
        program = self.argv[0]
        found = shutil.which(program)
        if found:
            return Path(found).resolve()
        if self.shell:
            return None  # a shell builtin, alias or function: nothing to hash
        raise InputError(f"cmd: program '{program}' not found (not on PATH and not an executable file)",
                         field="system", hint=f"command: {self.command}")

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        if not segments:
            return []
        stdin = "".join(one_line(s.source) + "\n" for s in segments)
        code, raw, stderr = self._run(stdin)
        if code != 0:
            detail = _first_line(stderr)
            raise InputError(
                f"cmd '{self.command}' exited with code {code}" + (f": {detail}" if detail else " (no stderr)"),
                field="system",
            )
        try:
            stdout = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            raise InputError(
                f"cmd '{self.command}' wrote invalid UTF-8 on output line {line}",
                field="system", hint="the program must write UTF-8 (set its output encoding)",
            ) from None
        lines = stdout.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        if len(lines) != len(segments):
            detail = _first_line(stderr)
            raise InputError(
                f"cmd '{self.command}' wrote {len(lines)} lines for {len(segments)} input lines "
                f"(exit code {code})" + (f"; stderr: {detail}" if detail else ""),
                field="system",
                hint="the program must write exactly one line per input line, in order",
            )
        return lines

    def _run(self, stdin: str) -> tuple[int, bytes, str]:
        """Run the program once: (exit code, stdout bytes, stderr text)."""
        env = dict(os.environ)
        env.setdefault("PYTHONIOENCODING", "utf-8")
        try:
            process = subprocess.Popen(
                self.command if self.shell else self.argv,
                shell=self.shell, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, start_new_session=True,
            )
        except OSError as error:
            raise InputError(f"cmd '{self.command}' could not be started: {error.strerror or error}",
                             field="system") from None
        try:
            stdout, stderr = process.communicate(stdin.encode("utf-8"), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._kill(process)
            _, stderr = process.communicate()
            detail = _first_line(stderr.decode("utf-8", "replace"))
            raise InputError(
                f"cmd '{self.command}' timed out after {self.timeout:g} s and was killed"
                + (f"; stderr: {detail}" if detail else ""),
                field="system", hint="raise the system option 'timeout' or lower 'batch_size'",
            ) from None
        except BaseException:
            self._kill(process)
            process.communicate()
            raise
        return process.returncode, stdout, stderr.decode("utf-8", "replace")

    @staticmethod
    def _kill(process: subprocess.Popen) -> None:
        """Kill the program and anything it started (its own process group)."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()

    def describe(self) -> SystemInfo:
        files = self._file_hashes()
        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=f"cmd-protocol-{CMD_PROTOCOL_VERSION}",
            revision=hashlib.sha256(repr(sorted(files.items())).encode("utf-8")).hexdigest()[:16]
            if files else "no-files",
            params={"command": self.command, "files": files, "newlines": "replaced by spaces"},
        )

    def _file_hashes(self) -> dict[str, str]:
        """sha256 of the executable and of every argument naming an existing file."""
        if self._files is None:
            files: dict[str, str] = {}
            if self.executable is not None and self.executable.is_file():
                files[self.argv[0]] = file_identity(self.executable)
            for argument in self.argv[1:]:
                for candidate in _path_candidates(argument):
                    try:
                        if candidate.is_file():
                            files[argument] = file_identity(candidate)
                            break
                    except (OSError, ValueError):  # not a usable path (too long, NUL byte, no access)
                        continue
            self._files = files
        return dict(self._files)


def _path_candidates(argument: str) -> list[Path]:
    """An argument as a path, and the value of ``--opt=path`` forms."""
    candidates = [Path(argument).expanduser()]
    if argument.startswith("-") and "=" in argument:
        candidates.append(Path(argument.split("=", 1)[1]).expanduser())
    return candidates


def register(registry: "Registry") -> None:
    registry.register(
        "cmd", "evals.systems.cmd:CmdSystem", arg="required", arg_help="COMMAND",
        description="external program: source lines on stdin, one translation per line on stdout",
    )
