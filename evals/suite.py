"""Suites: YAML files that name corpora, systems, metrics and options.

A suite is the unit of "benchmark this": ``mteval run SUITE``. Validation is
strict — an unknown or repeated key, an unknown system backend or metric name,
an option that is not a positive integer, or bytes that are not UTF-8 are
errors with the line they are on (and a "did you mean" hint) — because a
misspelt option that is silently ignored produces numbers nobody asked for.

Corpus entries are resolved by ``evals.corpora.specs`` (every spec
``evals.corpora.loaders.load_segments`` knows); a built-in suite's relative
entries name the corpora shipped with the package.

Schema::

    name: default                # required
    description: text
    corpora:                     # specs or mappings; relative paths are relative to this file
      - corpora/paired.zh-Hans.jsonl
      - {path: corpora/mono-zh.jsonl, name: mono}
      - newstest.src.zh:newstest.ref.A.en,newstest.ref.B.en    # a text set, any extension
      - xml:wmttest2022.zh-en.all.xml                          # WMT XML
      - sacrebleu:wmt22:zh-en                                  # sacrebleu's cache
      - source: generaltest2022.zh-en.src.zh                   # a text set as a mapping
        references: [generaltest2022.zh-en.ref.A.en, generaltest2022.zh-en.ref.B.en]
        docids: generaltest2022.zh-en.docid                    # optional, one id a line
        name: wmt22                                            # optional, like src_lang/tgt_lang
    systems:                     # spec strings or mappings
      - gloss
      - {spec: "file:hyps.jsonl", name: my-model}
    metrics: [bleu, chrf, chrf++, ter]
    options:
      batch_size: 32
      jobs: 2
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evals.errors import InputError, did_you_mean
from evals.inputs import read_text
from evals.yamlcheck import check_keys, compose, line_of, mapping, plain, scalar, sequence

TOP_KEYS = {"name", "description", "corpora", "systems", "metrics", "options"}
CORPUS_KEYS = {"path", "name", "source", "references", "docids", "src_lang", "tgt_lang"}
#: ``CorpusRef.base`` of a built-in suite's entries: the corpora shipped with the package
#: (``evals.corpora.specs.builtin_corpora_dir``).
BUILTIN = "builtin"
#: Keys only a text-set mapping (``source:``) may have.
TEXT_SET_KEYS = ("references", "docids", "src_lang", "tgt_lang")
SYSTEM_KEYS = {"spec", "name", "options"}
METRIC_KEYS = {"name", "options"}
OPTION_KEYS = {"batch_size", "jobs"}


@dataclass(frozen=True)
class Origin:
    """Where a suite entry is written: the suite file, the entry's line and the line of each key in it.

    Kept with the entry (never stored with a run) because some mistakes are
    only found after the suite is read -- a system option its backend does
    not take, a metric option of the wrong type, two systems with one name --
    and the error must still name the file, the line and the field.
    ``lines`` maps a field (``name``, ``spec``, an option's name) to its line.
    """

    source: str
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)

    def locate(self, error: InputError) -> InputError:
        """``error`` placed in the suite, unless it already names a file of its own (a corpus, a
        hypotheses file): at the line of its field when the entry has one, else at the entry's."""
        if error.path is not None:
            return error
        return replace(error, path=self.source, line=self.lines.get(error.field or "", self.line))

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class CorpusRef:
    """One corpus entry: a spec (``path``) or a text set (``source`` and ``references``).

    ``base`` is the directory relative paths are resolved against (the
    suite's, the working directory for ``--corpus``, or ``"builtin"`` for the
    packaged corpora); ``None`` means the working directory.
    """

    path: str | None = None
    name: str | None = None
    source: str | None = None
    references: tuple[str, ...] = ()
    docids: str | None = None
    src_lang: str | None = None
    tgt_lang: str | None = None
    base: str | None = None
    origin: Origin | None = field(default=None, compare=False, repr=False)  # None: not from a suite file

    def to_json(self) -> dict[str, Any]:
        """The entry as stored with a run: unset fields left out (and where it was written: not a setting)."""
        out = {key: value for key, value in vars(self).items() if value not in (None, ()) and key != "origin"}
        if self.references:
            out["references"] = list(self.references)
        return out


@dataclass(frozen=True)
class SystemRef:
    spec: str
    name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    origin: Origin | None = field(default=None, compare=False, repr=False)  # None: --system


@dataclass(frozen=True)
class MetricRef:
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    origin: Origin | None = field(default=None, compare=False, repr=False)  # None: --metric


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
            "corpora": [c.to_json() for c in self.corpora],
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
    if path.suffix in (".yaml", ".yml") or os.path.exists(path):  # False, not OSError, for too long a name
        return parse_suite(read_text(path, what="suite file"), str(path), base=str(path.resolve().parent))
    names = builtin_suites()
    if str(name_or_path) not in names:
        raise InputError(
            f"no built-in suite '{name_or_path}' (built-in: {', '.join(names)})",
            hint=did_you_mean(str(name_or_path), names),
        )
    text = (resources.files("evals") / "suites" / f"{name_or_path}.yaml").read_text(encoding="utf-8")
    return parse_suite(text, f"builtin:{name_or_path}", base=BUILTIN)


def parse_suite(text: str, source: str, base: str | None = None) -> Suite:
    """A suite from its YAML; ``base`` is where its relative corpus paths are (``CorpusRef.base``)."""
    root = compose(text, source)
    if root is None or not isinstance(root, yaml.MappingNode):
        raise InputError("a suite must be a YAML mapping", path=source, line=1)
    data = mapping(root, TOP_KEYS, source, "suite")
    if "name" not in data:
        raise InputError("missing required key", path=source, line=1, field="name")
    corpora = tuple(_corpus(node, source, base) for node in sequence(data.get("corpora"), source, "corpora"))
    systems = expand_systems(tuple(_system(node, source) for node in sequence(data.get("systems"), source,
                                                                              "systems")))
    metrics = tuple(_metric(node, source) for node in sequence(data.get("metrics"), source, "metrics"))
    options = {}
    if "options" in data:
        check_keys(data["options"], OPTION_KEYS, source, "options")
        options = _options(data["options"], source)
    for label, items in (("corpora", corpora), ("systems", systems), ("metrics", metrics)):
        if not items:
            raise InputError("must list at least one entry", path=source, field=label)
    return Suite(
        name=scalar(data["name"], source, "name"),
        description=scalar(data["description"], source, "description") if "description" in data else "",
        corpora=corpora, systems=systems, metrics=metrics, options=options, source=source, text=text,
    )


def _options(node: yaml.Node, source: str) -> dict[str, Any]:
    """The suite's ``options``: each a positive integer, checked here so a typo fails before any work."""
    options = plain(node, source)
    for key_node, value_node in node.value:
        value = options[key_node.value]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"must be a positive integer, got {value!r}", path=source,
                             line=line_of(value_node), field=key_node.value)
    return options


def _origin(node: yaml.Node, source: str, data: dict[str, yaml.Node] | None = None,
            aliases: Mapping[str, str] | None = None) -> Origin:
    """Where an entry is: its line, each key's line, each option's line (``aliases``: field → key,
    for the fields errors name that are written under another key, e.g. ``system`` for ``spec``)."""
    lines: dict[str, int] = {}
    options = (data or {}).get("options")
    if isinstance(options, yaml.MappingNode):
        lines.update({key.value: line_of(key) for key, _ in options.value})
    lines.update({key: line_of(value) for key, value in (data or {}).items()})
    lines.update({alias: lines[key] for alias, key in (aliases or {}).items() if key in lines})
    return Origin(source, line_of(node), lines)


def _corpus(node: yaml.Node, source: str, base: str | None) -> CorpusRef:
    if isinstance(node, yaml.ScalarNode):
        return CorpusRef(path=scalar(node, source, "corpora"), base=base, origin=_origin(node, source))
    data = mapping(node, CORPUS_KEYS, source, "corpora entry")
    if ("path" in data) == ("source" in data):
        raise InputError("corpus entry needs either a path (a spec) or a source (a text set)", path=source,
                         line=line_of(node), field="path")
    values = {key: scalar(data[key], source, key) for key in ("path", "name", "source", "docids", "src_lang",
                                                               "tgt_lang") if key in data}
    if "path" in data:
        extra = [key for key in TEXT_SET_KEYS if key in data]
        if extra:
            raise InputError(f"'{extra[0]}' belongs to a text set: write 'source:' instead of 'path:'",
                             path=source, line=line_of(data[extra[0]]), field=extra[0])
        return CorpusRef(base=base, origin=_origin(node, source, data), **values)
    references = _references(data["references"], source) if "references" in data else ()
    return CorpusRef(references=references, base=base, origin=_origin(node, source, data), **values)


def _references(node: yaml.Node, source: str) -> tuple[str, ...]:
    """A text set's reference files: a list (or one path), none twice."""
    paths: list[str] = []
    for item in sequence(node, source, "references"):
        path = scalar(item, source, "references")
        if path in paths:
            raise InputError(f"reference file '{path}' is listed twice", path=source, line=line_of(item),
                             field="references", hint="list each translator's file once")
        paths.append(path)
    return tuple(paths)


def _known_system(spec: str, node: yaml.Node, source: str, field: str) -> str:
    """A spec whose backend exists, else an error at its line (the registry lists names cheaply)."""
    from evals.systems.registry import backend_names, parse_spec

    name, _ = parse_spec(spec)
    known = backend_names()
    if name not in known:
        raise InputError(f"unknown system backend '{name}' (known: {', '.join(known)})", path=source,
                         line=line_of(node), field=field, hint=did_you_mean(name, known))
    return spec


def _known_metric(name: str, node: yaml.Node, source: str, field: str) -> str:
    """A metric name the registry has, else an error at its line."""
    from evals.metrics import available_metrics

    base = name.partition(":")[0].strip().lower()
    known = available_metrics()
    if base not in known:
        raise InputError(f"unknown metric '{base}' (known: {', '.join(known)})", path=source,
                         line=line_of(node), field=field, hint=did_you_mean(base, known))
    return name


def _system(node: yaml.Node, source: str) -> SystemRef:
    if isinstance(node, yaml.ScalarNode):
        return SystemRef(spec=_known_system(scalar(node, source, "systems"), node, source, "systems"),
                         origin=_origin(node, source))
    data = mapping(node, SYSTEM_KEYS, source, "systems entry")
    if "spec" not in data:
        raise InputError("system entry needs a spec", path=source, line=line_of(node), field="spec")
    options = plain(data["options"], source) if "options" in data else {}
    if not isinstance(options, dict):
        raise InputError("system options must be a mapping", path=source, line=line_of(data["options"]),
                         field="options")
    return SystemRef(
        spec=_known_system(scalar(data["spec"], source, "spec"), data["spec"], source, "spec"),
        name=scalar(data["name"], source, "name") if "name" in data else None,
        options=options,
        origin=_origin(node, source, data, {"system": "spec"}),
    )


def expand_systems(refs: tuple[SystemRef, ...]) -> tuple[SystemRef, ...]:
    """Each system entry as the specs it stands for (``xml:FILE#*`` → one per system of the file)."""
    from evals.systems.registry import expand_spec

    out: list[SystemRef] = []
    for ref in refs:
        try:
            specs = expand_spec(ref.spec)
            if specs != (ref.spec.strip(),) and ref.name:
                raise InputError(f"'{ref.spec}' stands for {len(specs)} systems, so it cannot have one name",
                                 field="name", hint="drop the name: each system is named after its <hyp>")
        except InputError as error:
            raise ref.origin.locate(error) if ref.origin else error from None
        if specs == (ref.spec.strip(),):
            out.append(ref)
            continue
        out.extend(SystemRef(spec=spec, options=dict(ref.options), origin=ref.origin) for spec in specs)
    return tuple(out)


def _metric(node: yaml.Node, source: str) -> MetricRef:
    if isinstance(node, yaml.ScalarNode):
        return MetricRef(name=_known_metric(scalar(node, source, "metrics"), node, source, "metrics"),
                         origin=_origin(node, source))
    data = mapping(node, METRIC_KEYS, source, "metrics entry")
    if "name" not in data:
        raise InputError("metric entry needs a name", path=source, line=line_of(node), field="name")
    options = plain(data["options"], source) if "options" in data else {}
    if not isinstance(options, dict):
        raise InputError("metric options must be a mapping", path=source, line=line_of(data["options"]),
                         field="options")
    return MetricRef(name=_known_metric(scalar(data["name"], source, "name"), data["name"], source, "name"),
                     options=options, origin=_origin(node, source, data, {"metric": "name"}))
