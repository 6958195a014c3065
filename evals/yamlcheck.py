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
from evals.inputs import first_surrogate, int_out_of_range, printable_name, surrogate_message

#: Deeper documents are refused: suites and policies nest a few levels, and PyYAML's composer
#: and constructor recurse (a 20,000-deep ``[[[`` would end in RecursionError).
MAX_DEPTH = 32
#: At most this many values, counting each use of an alias: a handful of anchors can otherwise
#: expand to billions of values ("billion laughs") in every later copy of the document.
MAX_NODES = 100_000
_INT_TAG = "tag:yaml.org,2002:int"


def compose(text: str, source: str) -> yaml.Node | None:
    """The document's root node (None for an empty document); invalid YAML is one-line ``InputError``.

    Beyond YAML syntax, the values must be usable: no lone surrogate (a
    ``"\\ud800"`` escape), no integer beyond 64 bits, no deeper nesting than
    ``MAX_DEPTH``, no more than ``MAX_NODES`` values once aliases are expanded.
    """
    try:
        _check_depth(text, source)
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise yaml_error(error, source) from None
    except RecursionError:  # _check_depth keeps the composer shallow; this is the last guard
        raise InputError(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)", path=source) from None
    if root is not None:
        _check_values(root, source)
    return root


_OPENS = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken, yaml.BlockSequenceStartToken,
          yaml.BlockMappingStartToken)
_CLOSES = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


def _check_depth(text: str, source: str) -> None:
    """Refuse deep nesting from the tokens, before composing.

    The scanner stops at the first level too deep, so a 20,000-deep ``[[[``
    costs a few dozen tokens instead of PyYAML's quadratic scan and then a
    RecursionError in its recursive composer.
    """
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)", path=source,
                                 line=token.start_mark.line + 1)
        elif isinstance(token, _CLOSES):
            depth -= 1


def _check_values(root: yaml.Node, source: str) -> None:
    """Walk the node tree (iteratively, aliases expanded) and refuse what later stages cannot use."""
    stack: list[tuple[yaml.Node, int, str | None]] = [(root, 1, None)]
    seen = 0
    while stack:
        node, depth, field = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise InputError(f"invalid YAML: more than {MAX_NODES} values (aliases included)", path=source,
                             line=line_of(node), field=field,
                             hint="write the values out instead of repeating aliases")
        if depth > MAX_DEPTH:  # aliases can nest what the tokens did not
            raise InputError(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)", path=source,
                             line=line_of(node), field=field)
        if isinstance(node, yaml.ScalarNode):
            problem = _scalar_problem(node)
            if problem:
                raise InputError(problem, path=source, line=line_of(node),
                                 field=None if field is None else printable_name(field))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1, field) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                name = key.value if isinstance(key, yaml.ScalarNode) else field
                stack.append((value, depth + 1, name))
                stack.append((key, depth + 1, name))


def _scalar_problem(node: yaml.ScalarNode) -> str | None:
    char = first_surrogate(node.value)
    if char is not None:
        return surrogate_message(char)
    if node.tag == _INT_TAG and len(node.value) > 18:  # 18 digits always fit in 64 bits
        try:
            value = yaml.constructor.SafeConstructor().construct_yaml_int(node)
        except ValueError:  # more digits than int() converts
            value = 10**40
        return int_out_of_range(value)
    return None


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
    except RecursionError:  # compose refuses deep documents; this is the last guard
        raise InputError(f"invalid value: nested too deeply (more than {MAX_DEPTH} levels)", path=source,
                         line=line_of(node)) from None
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"invalid value: {' '.join(str(problem).split())}", path=source,
                         line=line_of(node)) from None
