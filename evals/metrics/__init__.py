"""The metric registry: build a metric by name.

``get_metric("bleu", target_lang="zh")`` returns an ``evals.metrics.base.Metric``.
Each entry names its implementation as ``"module:attribute"`` and is imported
only when asked for, so listing metrics stays cheap and neural metrics
(``comet``, ``cometkiwi``) can register here without importing torch: their
module imports heavy packages inside its functions, and an entry's ``extra``
names the ``pip install 'mteval[extra]'`` that provides them.

Options are the implementation's keyword arguments; unknown ones are refused
with a "did you mean" hint rather than ignored.

A name may carry one argument after a colon, ``NAME:ARG``, for entries that
declare which option it sets (``argument``): ``comet:Unbabel/XCOMET-XL`` is
``comet`` with ``model="Unbabel/XCOMET-XL"``. Only the name part is
case-insensitive; the argument (a path, a Hub id) is kept as written.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from evals.errors import InputError, did_you_mean

if TYPE_CHECKING:
    from evals.metrics.base import Metric


@dataclass(frozen=True)
class MetricEntry:
    """How to build one registered metric.

    ``fixed`` options define the entry (chrF++ is chrF with ``word_order=2``);
    a caller may not override them. ``argument`` names the option that a
    ``NAME:ARG`` spec sets (``None``: the entry takes no argument).
    """

    target: str
    fixed: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    extra: str | None = None
    argument: str | None = None


_REGISTRY: Mapping[str, MetricEntry] = MappingProxyType(
    {
        "bleu": MetricEntry("evals.metrics.lexical:BLEU"),
        "chrf": MetricEntry("evals.metrics.lexical:ChrF", MappingProxyType({"word_order": 0})),
        "chrf++": MetricEntry("evals.metrics.lexical:ChrF", MappingProxyType({"word_order": 2})),
        "ter": MetricEntry("evals.metrics.lexical:TER"),
        "comet": MetricEntry("evals.metrics.comet:Comet", extra="comet", argument="model"),
        "cometkiwi": MetricEntry("evals.metrics.comet:CometKiwi", extra="comet", argument="model"),
    }
)


def available_metrics() -> list[str]:
    """Registered metric names, sorted."""
    return sorted(_REGISTRY)


def get_metric(name: str, **options: Any) -> Metric:
    """Build the metric registered as ``name`` (case-insensitive) with ``options``.

    ``name`` may be ``NAME:ARG`` (see the module docstring).
    """
    names = available_metrics()
    if not isinstance(name, str):
        raise InputError(f"metric name must be a string, got {name!r}", field="metric")
    base, colon, argument = name.strip().partition(":")
    key = base.strip().lower()
    entry = _REGISTRY.get(key)
    if entry is None:
        raise InputError(
            f"unknown metric {base.strip()!r}",
            field="metric",
            hint=did_you_mean(key, names) or f"available: {', '.join(names)}",
        )
    if colon:
        options = _with_argument(key, entry, argument, options)
    factory = _load(key, entry)
    _check_options(key, entry, factory, options)
    return factory(**{**entry.fixed, **options})


def metric_order(names: "Iterable[str]") -> list[str]:
    """Metric names in display order: registered ones in registry order, then the rest alphabetically.

    Stored names may carry an argument (``comet:PATH``); they sort with their entry.
    """
    names = list(dict.fromkeys(names))
    order = {name: index for index, name in enumerate(_REGISTRY)}

    def rank(name: str) -> tuple[int, str]:
        base = name.partition(":")[0].lower()
        return (order.get(base, len(order)), name)

    return sorted(names, key=rank)


def higher_is_better(name: str) -> bool:
    """The direction of a (possibly stored, possibly unregistered) metric name; unknown ones: higher."""
    base = name.partition(":")[0].strip().lower()
    entry = _REGISTRY.get(base)
    if entry is None:
        return True
    try:
        return bool(_load(base, entry).higher_is_better)
    except InputError:  # its optional packages are missing here
        return True


def metric_class(name: str) -> "type[Metric]":
    """The class registered as ``name`` (``NAME:ARG`` allowed): its capabilities, without building it."""
    base = name.strip().partition(":")[0].strip().lower() if isinstance(name, str) else name
    entry = _REGISTRY.get(base)
    if entry is None:
        get_metric(name)  # raises the "unknown metric" error with its suggestion
    return _load(base, entry)


def build_metric(name: str, options: Mapping[str, Any], *, target_lang: str, jobs: int | None = None) -> "Metric":
    """The metric ``name`` with ``options`` for outputs in ``target_lang``, as every caller builds it.

    The metric's own ``configure`` adds what depends on the target language
    and the worker count, so runner, comparisons and executors agree.
    """
    configured = metric_class(name).configure(dict(options), target_lang=target_lang, jobs=jobs)
    return get_metric(name, **configured)


def _with_argument(name: str, entry: MetricEntry, argument: str, options: dict[str, Any]) -> dict[str, Any]:
    """Options with ``NAME:ARG``'s argument set, refusing it where it means nothing or conflicts."""
    with_arg = sorted(n for n, e in _REGISTRY.items() if e.argument)
    if entry.argument is None:
        raise InputError(
            f"metric {name!r} takes no ':' argument",
            field="metric",
            hint=f"drop ':{argument}'" + (f"; {', '.join(with_arg)} take one" if with_arg else ""),
        )
    argument = argument.strip()
    if not argument:
        raise InputError(f"empty argument after '{name}:'", field="metric",
                         hint=f"use '{name}' or '{name}:{entry.argument.upper()}'")
    if entry.argument in options and options[entry.argument] != argument:
        raise InputError(
            f"metric '{name}:{argument}' also has {entry.argument}={options[entry.argument]!r}",
            field=entry.argument,
            hint=f"give the {entry.argument} once",
        )
    return {**options, entry.argument: argument}


def _load(name: str, entry: MetricEntry) -> Any:
    """Import an entry's implementation; a missing optional package is the user's to fix."""
    module_name, attribute = entry.target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        if entry.extra is None:
            raise
        raise InputError(
            f"metric {name!r} needs packages that are not installed ({error.name})",
            field="metric",
            hint=f"pip install 'mteval[{entry.extra}]'",
        ) from error
    return getattr(module, attribute)


def _check_options(name: str, entry: MetricEntry, factory: Any, options: Mapping[str, Any]) -> None:
    """Refuse options the implementation does not take or the entry fixes."""
    parameters = inspect.signature(factory).parameters
    accepted = sorted(
        p for p, spec in parameters.items()
        if spec.kind in (spec.KEYWORD_ONLY, spec.POSITIONAL_OR_KEYWORD) and p not in entry.fixed
    )
    for option, value in options.items():
        if option in entry.fixed and value != entry.fixed[option]:
            raise InputError(
                f"metric {name!r} is defined by {option}={entry.fixed[option]!r}",
                field=option,
                hint=f"drop the {option} option or pick another metric name",
            )
        if option not in accepted and option not in entry.fixed:
            raise InputError(
                f"unknown option {option!r} for metric {name!r}",
                field=option,
                hint=did_you_mean(option, accepted) or f"options: {', '.join(accepted)}",
            )
