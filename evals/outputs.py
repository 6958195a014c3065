"""The one writer of files a user names (``export --out``, ``baseline save --out``, the gate's reports).

A file is written to a new temporary file beside its target and renamed over
it when complete, so a reader never sees half a file and a failed write
leaves the old one. What the rename replaces is always a regular file:

* a symlink is written *through*: the file it points to is replaced (the link
  stays a link), as ``>`` in a shell would;
* a folder, FIFO, device or socket is refused (renaming over a FIFO or a
  device would silently replace it with a regular file);
* a new file gets the mode the umask allows (the temporary file is created
  with 0o666, which the kernel masks, so no umask is read or changed); an
  existing file keeps its mode.

Missing folders in the named path are created (``--junit results/x.xml`` in a
fresh CI checkout); a path that cannot be written is one ``InputError`` naming
it, never a traceback.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evals.errors import InputError

#: Mode bits an existing target keeps (permissions, setgid on shared folders' files, sticky).
_MODE_BITS = 0o7777


def output_target(path: str | os.PathLike[str], *, field: str | None = None) -> Path:
    """The regular file that writing ``path`` replaces: ``path`` or, through symlinks, the file it points to.

    Missing folders of ``path`` are created. Raises ``InputError`` for a
    folder, a FIFO, a device or a socket, a link whose folder does not
    exist, or a folder that cannot be created. Call it before expensive work
    so a bad target fails first.
    """
    named = Path(path)
    try:
        named.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next((p for p in reversed(named.parents) if p.exists() and not p.is_dir()), named.parent)
        raise InputError(f"cannot create its folder: {blocking} is not a folder", path=named,
                         field=field) from None
    except OSError as error:
        raise InputError(f"cannot create its folder: {_reason(error)}", path=named, field=field) from None
    target = Path(os.path.realpath(named))
    try:
        info = target.stat()
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise InputError(f"is a link to {target}, whose folder does not exist", path=named,
                             field=field) from None
        return target
    except OSError as error:
        raise InputError(f"cannot write: {_reason(error)}", path=named, field=field) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, not a file", path=named, field=field, hint="name a file in it")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"is a {_kind(info.st_mode)}, not a regular file; mteval writes only regular files",
                         path=named, field=field)
    return target


@contextmanager
def replacing(path: str | os.PathLike[str], *, field: str | None = None) -> Iterator[Path]:
    """A new temporary path beside the target of ``path``; it replaces the target if the block succeeds.

    The block writes the temporary path (by name: pandas, pyarrow and
    ``Path.write_text`` all take one). An ``OSError`` while writing (a full
    disk, a permission) becomes an ``InputError`` naming ``path``.
    """
    target = output_target(path, field=field)
    try:
        existing = target.stat().st_mode & _MODE_BITS
    except FileNotFoundError:
        existing = None
    try:
        temporary = _create_beside(target)
    except OSError as error:
        raise InputError(f"cannot write: {_reason(error)}", path=path, field=field) from None
    try:
        yield temporary
        if existing is not None:
            os.chmod(temporary, existing)
        os.replace(temporary, target)
    except OSError as error:
        raise InputError(f"cannot write: {_reason(error)}", path=path, field=field) from None
    finally:
        temporary.unlink(missing_ok=True)


def write_output(path: str | os.PathLike[str], text: str, *, field: str | None = None) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` as ``replacing`` does; returns ``path``."""
    with replacing(path, field=field) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="\n")
    return Path(path)


def _create_beside(target: Path) -> Path:
    """A new empty file next to ``target``, created with 0o666 so the umask decides its mode."""
    for _ in range(100):
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free temporary name beside {target}")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
