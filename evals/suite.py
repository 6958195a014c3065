"""Suites: YAML files that name corpora, systems, metrics and options.

A suite is the unit of "benchmark this": ``mteval run SUITE``. Validation is
strict — an unknown or repeated key, an unknown system backend or metric name,
an option that is not a positive integer, or bytes that are not UTF-8 are
errors with the line they are on (and a "did you mean" hint) — because a
misspelt option that is silently ignored produces numbers nobody asked for.

Schema::

    name: default                # required
    description: text
    corpora:                     # paths (relative to the working directory) or mappings
      - corpora/paired.zh-Hans.jsonl
      - {path: corpora/mono-zh.jsonl, name: mono}
    systems:                     # spec strings or mappings
      - gloss
      - {spec: "file:hyps.jsonl", name: my-model}
    metrics: [bleu, chrf, chrf++, ter]
    options:
      batch_size: 32
      jobs: 2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evals.errors import InputError, did_you_mean
from evals.inputs import read_text

TOP_KEYS = {"name", "description", "corpora", "systems", "metrics", "options"}
CORPUS_KEYS = {"path", "name"}
SYSTEM_KEYS = {"spec", "name", "options"}
METRIC_KEYS = {"name", "options"}
OPTION_KEYS = {"batch_size", "jobs"}


@dataclass(frozen=True)
class CorpusRef:
    path: str
    name: str | None = None


@dataclass(frozen=True)
class SystemRef:
    spec: str
    name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricRef:
    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    corpora: tuple[CorpusRef, ...]
    systems: tuple[SystemRef, ...]
    metrics: tuple[MetricRef, ...]
    options: dict[str, Any]
    source: str  # where it was read from (file path or "builtin:NAME")
    text: str  # the YAML as written, stored with each run

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "corpora": [vars(c) for c in self.corpora],
            "systems": [{"spec": s.spec, "name": s.name, "options": s.options} for s in self.systems],
            "metrics": [{"name": m.name, "options": m.options} for m in self.metrics],
            "options": self.options,
            "source": self.source,
        }


def builtin_suites() -> list[str]:
    folder = resources.files("evals") / "suites"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_suite(name_or_path: str | Path) -> Suite:
    """Load a suite from a file path or by built-in name (``default``)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return parse_suite(read_text(path, what="suite file"), str(path))
    names = builtin_suites()
    if str(name_or_path) not in names:
        raise InputError(
            f"no built-in suite '{name_or_path}' (built-in: {', '.join(names)})",
            hint=did_you_mean(str(name_or_path), names),
        )
    text = (resources.files("evals") / "suites" / f"{name_or_path}.yaml").read_text(encoding="utf-8")
    return parse_suite(text, f"builtin:{name_or_path}")


def parse_suite(text: str, source: str) -> Suite:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise _yaml_error(error, source) from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise InputError("a suite must be a YAML mapping", path=source, line=1)
    data = _mapping(root, TOP_KEYS, source, "suite")
    if "name" not in data:
        raise InputError("missing required key", path=source, line=1, field="name")
    corpora = tuple(_corpus(node, source) for node in _sequence(data.get("corpora"), source, "corpora"))
    systems = tuple(_system(node, source) for node in _sequence(data.get("systems"), source, "systems"))
    metrics = tuple(_metric(node, source) for node in _sequence(data.get("metrics"), source, "metrics"))
    options = {}
    if "options" in data:
        _check_keys(data["options"], OPTION_KEYS, source, "options")
        options = _options(data["options"], source)
    for label, items in (("corpora", corpora), ("systems", systems), ("metrics", metrics)):
        if not items:
            raise InputError("must list at least one entry", path=source, field=label)
    return Suite(
        name=_scalar(data["name"], source, "name"),
        description=_scalar(data["description"], source, "description") if "description" in data else "",
        corpora=corpora, systems=systems, metrics=metrics, options=options, source=source, text=text,
    )


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _yaml_error(error: yaml.YAMLError, source: str) -> InputError:
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


def _check_keys(node: yaml.Node, allowed: set[str], source: str, where: str) -> None:
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"'{where}' must be a mapping", path=source, line=_line(node), field=where)
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        key = key_node.value
        if not isinstance(key_node, yaml.ScalarNode):
            raise InputError(f"keys in {where} must be plain names", path=source, line=_line(key_node),
                             field=where)
        if key in seen:  # YAML would keep the last one silently
            raise InputError(f"key '{key}' appears twice in {where} (lines {seen[key]} and {_line(key_node)})",
                             path=source, line=_line(key_node), field=key)
        seen[key] = _line(key_node)
        if key not in allowed:
            raise InputError(
                f"unknown key '{key}' in {where} (allowed: {', '.join(sorted(allowed))})",
                path=source, line=_line(key_node), field=key, hint=did_you_mean(key, allowed),
            )


def _mapping(node: yaml.Node, allowed: set[str], source: str, where: str) -> dict[str, yaml.Node]:
    _check_keys(node, allowed, source, where)
    return {k.value: v for k, v in node.value}


def _sequence(node: yaml.Node | None, source: str, where: str) -> list[yaml.Node]:
    if node is None:
        raise InputError("missing required key", path=source, field=where)
    if isinstance(node, yaml.ScalarNode) and node.value:
        return [node]
    if not isinstance(node, yaml.SequenceNode):
        raise InputError(f"'{where}' must be a list", path=source, line=_line(node), field=where)
    return list(node.value)


def _scalar(node: yaml.Node, source: str, where: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise InputError("must be a non-empty string", path=source, line=_line(node), field=where)
    return str(node.value)


def _plain(node: yaml.Node, source: str) -> Any:
    try:
        return yaml.safe_load(yaml.serialize(node))
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"invalid value: {' '.join(str(problem).split())}", path=source,
                         line=_line(node)) from None


def _options(node: yaml.Node, source: str) -> dict[str, Any]:
    """The suite's ``options``: each a positive integer, checked here so a typo fails before any work."""
    options = _plain(node, source)
    for key_node, value_node in node.value:
        value = options[key_node.value]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"must be a positive integer, got {value!r}", path=source,
                             line=_line(value_node), field=key_node.value)
    return options


def _corpus(node: yaml.Node, source: str) -> CorpusRef:
    if isinstance(node, yaml.ScalarNode):
        return CorpusRef(path=_scalar(node, source, "corpora"))
    data = _mapping(node, CORPUS_KEYS, source, "corpora entry")
    if "path" not in data:
        raise InputError("corpus entry needs a path", path=source, line=_line(node), field="path")
    return CorpusRef(
        path=_scalar(data["path"], source, "path"),
        name=_scalar(data["name"], source, "name") if "name" in data else None,
    )


def _known_system(spec: str, node: yaml.Node, source: str, field: str) -> str:
    """A spec whose backend exists, else an error at its line (the registry lists names cheaply)."""
    from evals.systems.registry import backend_names, parse_spec

    name, _ = parse_spec(spec)
    known = backend_names()
    if name not in known:
        raise InputError(f"unknown system backend '{name}' (known: {', '.join(known)})", path=source,
                         line=_line(node), field=field, hint=did_you_mean(name, known))
    return spec


def _known_metric(name: str, node: yaml.Node, source: str, field: str) -> str:
    """A metric name the registry has, else an error at its line."""
    from evals.metrics import available_metrics

    base = name.partition(":")[0].strip().lower()
    known = available_metrics()
    if base not in known:
        raise InputError(f"unknown metric '{base}' (known: {', '.join(known)})", path=source,
                         line=_line(node), field=field, hint=did_you_mean(base, known))
    return name


def _system(node: yaml.Node, source: str) -> SystemRef:
    if isinstance(node, yaml.ScalarNode):
        return SystemRef(spec=_known_system(_scalar(node, source, "systems"), node, source, "systems"))
    data = _mapping(node, SYSTEM_KEYS, source, "systems entry")
    if "spec" not in data:
        raise InputError("system entry needs a spec", path=source, line=_line(node), field="spec")
    options = _plain(data["options"], source) if "options" in data else {}
    if not isinstance(options, dict):
        raise InputError("system options must be a mapping", path=source, line=_line(data["options"]),
                         field="options")
    return SystemRef(
        spec=_known_system(_scalar(data["spec"], source, "spec"), data["spec"], source, "spec"),
        name=_scalar(data["name"], source, "name") if "name" in data else None,
        options=options,
    )


def _metric(node: yaml.Node, source: str) -> MetricRef:
    if isinstance(node, yaml.ScalarNode):
        return MetricRef(name=_known_metric(_scalar(node, source, "metrics"), node, source, "metrics"))
    data = _mapping(node, METRIC_KEYS, source, "metrics entry")
    if "name" not in data:
        raise InputError("metric entry needs a name", path=source, line=_line(node), field="name")
    options = _plain(data["options"], source) if "options" in data else {}
    if not isinstance(options, dict):
        raise InputError("metric options must be a mapping", path=source, line=_line(data["options"]),
                         field="options")
    return MetricRef(name=_known_metric(_scalar(data["name"], source, "name"), data["name"], source, "name"),
                     options=options)
