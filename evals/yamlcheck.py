"""Strict YAML for the files users write (suites, the gate policy): every error names its line.

``yaml.safe_load`` loses what a user needs to fix a file: where a value is,
and that a key was written twice (YAML keeps the last one silently). So
documents are *composed* into nodes, which keep their marks, and read through
these helpers; each raises ``InputError`` with the file, the 1-based line,
the field and, for an unknown key, a "did you mean" hint. A misspelt key that
is silently ignored produces numbers nobody asked for.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import yaml

from evals.errors import InputError, did_you_mean


def compose(text: str, source: str) -> yaml.Node | None:
    """The document's root node (None for an empty document); invalid YAML is one-line ``InputError``."""
    try:
        return yaml.compose(text)
    except yaml.YAMLError as error:
        raise yaml_error(error, source) from None


def line_of(node: yaml.Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1


def yaml_error(error: yaml.YAMLError, source: str) -> InputError:
    """One line from PyYAML's multi-line message: the problem and where it is."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context = f"{context} started on line {context_mark.line + 1}"
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is not None:
        message += f" at column {mark.column + 1}"
    return InputError(" ".join(message.split()), path=source, line=mark.line + 1 if mark else None)


def is_null(node: yaml.Node | None) -> bool:
    """An absent value or an explicit ``null``/empty value (``key:`` with nothing after it)."""
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null")


def check_keys(node: yaml.Node, allowed: Collection[str] | None, source: str, where: str) -> None:
    """``node`` is a mapping of plain, distinct keys, each in ``allowed`` (any name when None)."""
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"'{where}' must be a mapping", path=source, line=line_of(node), field=where)
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        key = key_node.value
        if not isinstance(key_node, yaml.ScalarNode):
            raise InputError(f"keys in {where} must be plain names", path=source, line=line_of(key_node),
                             field=where)
        if key in seen:  # YAML would keep the last one silently
            raise InputError(f"key '{key}' appears twice in {where} (lines {seen[key]} and {line_of(key_node)})",
                             path=source, line=line_of(key_node), field=key)
        seen[key] = line_of(key_node)
        if allowed is not None and key not in allowed:
            raise InputError(
                f"unknown key '{key}' in {where} (allowed: {', '.join(sorted(allowed))})",
                path=source, line=line_of(key_node), field=key, hint=did_you_mean(key, list(allowed)),
            )


def mapping(node: yaml.Node, allowed: Collection[str] | None, source: str, where: str) -> dict[str, yaml.Node]:
    """The entries of a checked mapping (``check_keys``), key → value node."""
    check_keys(node, allowed, source, where)
    return {k.value: v for k, v in node.value}


def sequence(node: yaml.Node | None, source: str, where: str) -> list[yaml.Node]:
    """A required list; a single non-empty scalar counts as a list of one."""
    if node is None:
        raise InputError("missing required key", path=source, field=where)
    if isinstance(node, yaml.ScalarNode) and node.value:
        return [node]
    if not isinstance(node, yaml.SequenceNode):
        raise InputError(f"'{where}' must be a list", path=source, line=line_of(node), field=where)
    return list(node.value)


def scalar(node: yaml.Node, source: str, where: str) -> str:
    """A non-empty string."""
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise InputError("must be a non-empty string", path=source, line=line_of(node), field=where)
    return str(node.value)


def plain(node: yaml.Node, source: str) -> Any:
    """The Python value of a node, as ``yaml.safe_load`` would give it."""
    try:
        return yaml.safe_load(yaml.serialize(node))
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"invalid value: {' '.join(str(problem).split())}", path=source,
                         line=line_of(node)) from None
