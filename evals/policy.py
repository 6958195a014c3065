"""The gate policy: what counts as a regression (``evals/policy.yaml`` documents every knob).

Read like a suite (``evals.yamlcheck``): an unknown key gets a "did you mean",
a key written twice is refused, and every error names the file and line —
a misspelt ``tolerence`` that silently fell back to the default would let a
regression through the gate.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from evals.errors import InputError, did_you_mean
from evals.inputs import read_text
from evals.yamlcheck import compose, is_null, line_of, mapping, plain, scalar, sequence

if TYPE_CHECKING:
    from evals.compare import PairedSettings
    from evals.stats.resolution import Resolution

POLICY_KEYS = ("version", "defaults", "metrics", "test", "samples", "margin", "max_samples", "seed", "resampling",
               "min_documents", "correction", "pooled", "documents", "untranslated", "report", "validated")
VALIDATED_KEYS = ("metrics", "evidence")
METRIC_POLICY_KEYS = ("tolerance", "alpha")
CORRECTIONS = ("holm", "none")
POLICY_TESTS = ("bootstrap", "randomization")
RESAMPLING = ("auto", "segment", "document")
BUILTIN = "builtin:policy.yaml"
#: The most resamples (or trials) a policy may ask for: the paired tests hold arrays of this
#: length, so 10**12 would be an allocation failure, not a slow gate.
SAMPLES_LIMIT = 10_000_000


@dataclass(frozen=True)
class MetricPolicy:
    tolerance: float = 1.0
    alpha: float = 0.05


@dataclass(frozen=True)
class Policy:
    """What counts as a regression (see ``evals/policy.yaml``)."""

    defaults: MetricPolicy = MetricPolicy()
    metrics: Mapping[str, MetricPolicy] = field(default_factory=dict)
    test: str = "bootstrap"
    samples: int | None = None  # None: "auto", enough for the number of tests (evals.stats.resolution)
    margin: float = 10.0
    max_samples: int = 200_000
    seed: int = 12345
    resampling: str = "auto"
    min_documents: int = 10
    correction: str = "holm"
    pooled: bool = True
    floors: Mapping[str, float] = field(default_factory=dict)
    forbid_new_untranslated: bool = True
    report_segments: int = 5
    #: The metrics the team validated against human judgements (``mteval meta --write-policy``): when
    #: set, the gate checks only these; empty: every metric both sides have.
    validated: tuple[str, ...] = ()
    validated_evidence: str | None = None
    source: str = BUILTIN

    def for_metric(self, name: str) -> MetricPolicy:
        """The rule for a metric; ``comet:MODEL`` falls back to ``comet``'s, then to the defaults."""
        return self.metrics.get(name) or self.metrics.get(name.partition(":")[0]) or self.defaults

    def resolution(self, tests: int) -> Resolution:
        """Resamples (or trials) for a check of ``tests`` tests: ``samples``, or enough for them when auto.

        The family is every test of the check under Holm, one test without
        correction; the smallest alpha of the policy's metrics is the one that
        must stay reachable.
        """
        from evals.stats.resolution import MIN_RESAMPLES, fixed_resamples, resamples_for

        family = tests if self.correction == "holm" else 1
        alpha = min([self.defaults.alpha, *(m.alpha for m in self.metrics.values())])
        if self.samples is not None:
            return fixed_resamples(self.samples, family, alpha, self.margin)
        return resamples_for(max(1, family), alpha, margin=self.margin,
                             minimum=min(MIN_RESAMPLES, self.max_samples), maximum=self.max_samples)

    def settings(self, tests: int = 1) -> PairedSettings:
        """The paired-test settings for a check of ``tests`` tests (see ``resolution``)."""
        from evals.compare import PairedSettings

        resolution = self.resolution(tests)
        return PairedSettings(test=self.test, n_resamples=resolution.n, n_trials=resolution.n, seed=self.seed,
                              unit=self.resampling, min_documents=self.min_documents, resolution=resolution)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "test": self.test, "samples": "auto" if self.samples is None else self.samples,
            "margin": self.margin, "max_samples": self.max_samples, "seed": self.seed,
            "resampling": self.resampling, "min_documents": self.min_documents, "correction": self.correction,
            "pooled": self.pooled,
            "defaults": vars(self.defaults), "metrics": {k: vars(v) for k, v in self.metrics.items()},
            "floors": dict(self.floors), "forbid_new_untranslated": self.forbid_new_untranslated,
            "report_segments": self.report_segments,
            "validated": {"metrics": list(self.validated), "evidence": self.validated_evidence}
            if self.validated else None,
        }


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """The policy in ``path``, or the built-in ``evals/policy.yaml``."""
    if path is None:
        return parse_policy((resources.files("evals") / "policy.yaml").read_text(encoding="utf-8"), BUILTIN)
    return parse_policy(read_text(path, what="policy file"), str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Validate a policy document strictly; an empty document is the all-defaults policy."""
    root = compose(text, source)
    if is_null(root):
        root = yaml.MappingNode("tag:yaml.org,2002:map", [])
    if not isinstance(root, yaml.MappingNode):
        raise InputError("a policy must be a YAML mapping", path=source, line=line_of(root))
    read = _Fields(source)
    top = mapping(root, POLICY_KEYS, source, "policy")
    version = read.value(top.get("version"), 1)
    if version != 1:
        raise InputError(f"unsupported policy version {version!r}", path=source, line=line_of(top["version"]),
                         field="version")
    defaults = read.metric_policy(top.get("defaults"), "defaults", MetricPolicy())
    metrics = {name: read.metric_policy(node, f"metrics.{name}", defaults)
               for name, node in read.mapping(top.get("metrics"), None, "metrics").items()}
    documents = read.mapping(top.get("documents"), ("floors",), "documents")
    floors = {name: read.number(node, f"documents.floors.{name}", None)
              for name, node in read.mapping(documents.get("floors"), None, "documents.floors").items()}
    untranslated = read.mapping(top.get("untranslated"), ("forbid_new",), "untranslated")
    report = read.mapping(top.get("report"), ("segments",), "report")
    validated = read.mapping(top.get("validated"), VALIDATED_KEYS, "validated")
    validated_metrics = read.names(validated.get("metrics"), "validated.metrics")
    if validated and not validated_metrics:
        raise read.fail("names no metric", validated.get("metrics") or top.get("validated"), "validated.metrics",
                        hint="list the metrics the gate checks, e.g. metrics: [chrf, comet]")
    evidence = validated.get("evidence")
    return Policy(
        defaults=defaults, metrics=metrics,
        test=read.choice(top.get("test"), POLICY_TESTS, "test", "bootstrap"),
        samples=read.samples(top.get("samples")),
        margin=read.number(top.get("margin"), "margin", 10.0, minimum=1.0),
        max_samples=read.integer(top.get("max_samples"), "max_samples", 200_000, minimum=1, maximum=SAMPLES_LIMIT),
        seed=read.integer(top.get("seed"), "seed", 12345, minimum=0),
        resampling=read.choice(top.get("resampling"), RESAMPLING, "resampling", "auto"),
        min_documents=read.integer(top.get("min_documents"), "min_documents", 10, minimum=2),
        correction=read.choice(top.get("correction"), CORRECTIONS, "correction", "holm"),
        pooled=read.boolean(top.get("pooled"), "pooled", True),
        floors=floors,
        forbid_new_untranslated=read.boolean(untranslated.get("forbid_new"), "untranslated.forbid_new", True),
        report_segments=read.integer(report.get("segments"), "report.segments", 5, minimum=0),
        validated=validated_metrics,
        validated_evidence=None if is_null(evidence) else scalar(evidence, source, "validated.evidence"),
        source=source,
    )


class _Fields:
    """Typed values of one policy document; each error names the line of the value at fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, node: yaml.Node | None, field: str, hint: str | None = None) -> InputError:
        return InputError(message, path=self.source, line=None if node is None else line_of(node), field=field,
                          hint=hint)

    def mapping(self, node: yaml.Node | None, allowed: Sequence[str] | None, field: str) -> dict[str, yaml.Node]:
        """An optional section (absent or empty is ``{}``) with distinct, known keys."""
        if is_null(node):
            return {}
        return mapping(node, allowed, self.source, field)

    def value(self, node: yaml.Node | None, default: Any) -> Any:
        return default if node is None else plain(node, self.source)

    def number(self, node: yaml.Node | None, field: str, default: float | None,
               minimum: float | None = None) -> float:
        value = self.value(node, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(f"must be a number, got {value!r}", node, field)
        if minimum is not None and value < minimum:
            raise self.fail(f"must be >= {minimum:g}, got {value!r}", node, field)
        return float(value)

    def samples(self, node: yaml.Node | None) -> int | None:
        """``auto`` (None: enough for the number of tests) or a fixed count >= 1."""
        if node is not None and self.value(node, None) == "auto":
            return None
        if node is None:
            return None
        value = self.value(node, None)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SAMPLES_LIMIT:
            raise self.fail(f"must be auto or an integer from 1 to {SAMPLES_LIMIT}, got {value!r}", node, "samples",
                            hint="auto picks enough resamples for the number of tests")
        return value

    def integer(self, node: yaml.Node | None, field: str, default: int, minimum: int,
                maximum: int | None = None) -> int:
        value = self.value(node, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"must be an integer >= {minimum}, got {value!r}", node, field)
        if maximum is not None and value > maximum:
            raise self.fail(f"must be an integer from {minimum} to {maximum}, got {value!r}", node, field)
        return value

    def boolean(self, node: yaml.Node | None, field: str, default: bool) -> bool:
        value = self.value(node, default)
        if not isinstance(value, bool):
            raise self.fail(f"must be true or false, got {value!r}", node, field)
        return value

    def choice(self, node: yaml.Node | None, choices: Sequence[str], field: str, default: str) -> str:
        value = self.value(node, default)
        if value not in choices:
            raise self.fail(f"unknown value {value!r}", node, field,
                            did_you_mean(str(value), choices) or f"use one of {', '.join(choices)}")
        return value

    def names(self, node: yaml.Node | None, field: str) -> tuple[str, ...]:
        """An optional list of distinct names (absent is empty)."""
        if is_null(node):
            return ()
        out: list[str] = []
        for item in sequence(node, self.source, field):
            name = scalar(item, self.source, field)
            if name in out:
                raise self.fail(f"{name!r} is listed twice", item, field)
            out.append(name)
        return tuple(out)

    def metric_policy(self, node: yaml.Node | None, field: str, defaults: MetricPolicy) -> MetricPolicy:
        entries = self.mapping(node, METRIC_POLICY_KEYS, field)
        tolerance = self.number(entries.get("tolerance"), f"{field}.tolerance", defaults.tolerance)
        alpha = self.number(entries.get("alpha"), f"{field}.alpha", defaults.alpha)
        if tolerance < 0:
            raise self.fail(f"must be >= 0, got {tolerance}", entries["tolerance"], f"{field}.tolerance")
        if not 0 < alpha < 1:
            raise self.fail(f"must be between 0 and 1, got {alpha}", entries["alpha"], f"{field}.alpha")
        return MetricPolicy(tolerance, alpha)
