"""Strict JSON for the files users hand us (corpus and ``file:`` JSONL lines, baseline files).

``json.loads`` accepts what no later stage can use, and fails in ways that are
not input errors: ``NaN``/``Infinity``, a key written twice (it keeps the last
one silently), a lone surrogate escape ``"\\ud800"`` (a string that cannot be
encoded for the database or a terminal), integers beyond 64 bits (SQLite and
numpy overflow on them), 4,300-digit integers (``ValueError``) and deep nesting
(``RecursionError``). ``parse_json`` is the one decoder of such input: every
one of these is an ``InputError`` naming the file, the line and the field
(``references[1]``, ``corpora.news.metrics``...), so a line is refused when it is
read, before anything is stored.

The extra checks cost almost nothing on ordinary lines: the tree is walked
only when the text has a surrogate escape, an out-of-range integer or a
non-standard constant was met, or it has enough brackets to be deep.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evals.errors import InputError
from evals.inputs import first_surrogate, int_out_of_range, printable_name, surrogate_message

#: Deeper JSON is refused: no mteval file nests more than a handful of levels, and the
#: stages after the parser (copying, hashing, writing JSON) recurse.
MAX_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Invalid:
    """Stands in for a value the parser met but must not return, until the walk names its field."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


def parse_json(text: str, where: str, line: int | None = None) -> Any:
    """The value of one JSON text (a JSONL line at ``line``, or a whole file when ``line`` is None)."""
    return JsonReader(where).parse(text, line)


class JsonReader:
    """``parse_json`` for the many lines of one file, with one decoder for all of them.

    ``json.loads`` with hooks builds a decoder per call, which costs as much
    as decoding a corpus line.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self._line: int | None = None
        self._flagged = False
        self._decoder = json.JSONDecoder(object_pairs_hook=self._pairs, parse_int=self._integer,
                                         parse_constant=self._constant)

    def parse(self, text: str, line: int | None = None) -> Any:
        """The value of ``text`` (the JSONL line ``line``, or the whole file when None)."""
        self._line, self._flagged = line, False
        try:
            value = self._decoder.decode(text)
        except json.JSONDecodeError as error:
            message = f"malformed JSON at column {error.colno}: {error.msg}"
            if text.startswith("\ufeff", error.pos):  # a byte-order mark inside a file: files joined together
                message = f"malformed JSON at column {error.colno}: a byte-order mark (U+FEFF); were files joined?"
            raise InputError(message, path=self.where, line=line if line is not None else error.lineno) from None
        except RecursionError:
            raise InputError(f"JSON nested too deeply (more than {MAX_DEPTH} levels)", path=self.where,
                             line=line) from None
        # Substring tests first: they are much cheaper than a regex on every line.
        surrogates = ("\\ud" in text or "\\uD" in text) and _SURROGATE_ESCAPE.search(text) is not None
        if self._flagged or surrogates or text.count("[") + text.count("{") > MAX_DEPTH:
            found = _first_problem(value, surrogates)
            if found is not None:
                path, problem = found
                raise InputError(problem, path=self.where, line=line, field=_field(path) or None)
        return value

    def _pairs(self, items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in items:
            if key in obj:  # json.loads would keep the last silently
                raise InputError("key appears twice in the same object", path=self.where, line=self._line,
                                 field=printable_name(key))
            obj[key] = value
        return obj

    def _integer(self, digits: str) -> Any:
        # int() refuses 4,300 digits (ValueError); past 40 digits the value is out of range anyway.
        value = int(digits) if len(digits) <= 40 else (-1 if digits.startswith("-") else 1) * 10**40
        problem = int_out_of_range(value)
        if problem is None:
            return value
        self._flagged = True
        return _Invalid(problem)

    def _constant(self, name: str) -> Any:
        self._flagged = True
        return _Invalid(f"{name} is not a JSON value (write null, or a finite number)")


def _first_problem(root: Any, surrogates: bool) -> tuple[list[Any], str] | None:
    """The path to the first value (in document order) that parse_json refuses, and why.

    Iterative (a recursive walk would fail on the depth it is checking); the
    path is the stack of keys, so nothing is built for the values that pass.
    """
    problem = _scalar_problem(root, surrogates)
    if problem is not None or not isinstance(root, (dict, list)):
        return None if problem is None else ([], problem)
    stack = [iter(root.items() if isinstance(root, dict) else enumerate(root))]
    path: list[Any] = [None]
    while stack:
        for key, value in stack[-1]:
            path[-1] = key
            if surrogates and isinstance(key, str):
                char = first_surrogate(key)
                if char is not None:
                    return path, surrogate_message(char, "a key")
            if isinstance(value, (dict, list)):
                if len(stack) >= MAX_DEPTH:
                    return path, f"JSON nested too deeply (more than {MAX_DEPTH} levels)"
                stack.append(iter(value.items() if isinstance(value, dict) else enumerate(value)))
                path.append(None)
                break
            problem = _scalar_problem(value, surrogates)
            if problem is not None:
                return path, problem
        else:
            stack.pop()
            path.pop()
    return None


def _scalar_problem(value: Any, surrogates: bool) -> str | None:
    if isinstance(value, _Invalid):
        return value.problem
    if surrogates and isinstance(value, str):
        char = first_surrogate(value)
        if char is not None:
            return surrogate_message(char)
    return None


def _field(path: list[Any]) -> str:
    """``["references", 1]`` → ``references[1]``; ``["corpora", "news"]`` → ``corpora.news``.

    A deep path is shortened to its first levels: the field only has to say where to look.
    """
    out = ""
    for depth, key in enumerate(path):
        if depth == 12:
            return out + "..."
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += ("." if out else "") + printable_name(key)
    return out
