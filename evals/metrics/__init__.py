"""The metric registry: build a metric by name.

``get_metric("bleu", target_lang="zh")`` returns an ``evals.metrics.base.Metric``.
Each entry names its implementation as ``"module:attribute"`` and is imported
only when asked for, so listing metrics stays cheap and neural metrics
(``comet``, ``cometkiwi``) can register here without importing torch: their
module imports heavy packages inside its functions, and an entry's ``extra``
names the ``pip install 'mteval-zh[extra]'`` that provides them.

Options are the implementation's keyword arguments; unknown ones are refused
with a "did you mean" hint rather than ignored. Lookup, lazy import and that
check are ``evals.plugins``'s, shared with the system backends.

A name may carry one argument after a colon, ``NAME:ARG``, for entries that
declare which option it sets (``argument``): ``comet:Unbabel/XCOMET-XL`` is
``comet`` with ``model="Unbabel/XCOMET-XL"``. Only the name part is
case-insensitive; the argument (a path, a Hub id) is kept as written.

What a metric can do (direction, whether it loads a model, which option names
its checkpoint and its default one, whether it starts worker processes) is a
class attribute of its class (``evals.metrics.base.Metric``);
``metric_class(name)`` reads it without building the metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from evals.errors import UsageError
from evals.plugins import Plugin, PluginTable

if TYPE_CHECKING:
    from evals.metrics.base import Metric


@dataclass(frozen=True, kw_only=True)
class MetricEntry(Plugin):
    """How to build one registered metric (``target`` is its class).

    ``fixed`` options define the entry (chrF++ is chrF with ``word_order=2``);
    a caller may not override them. ``argument`` names the option that a
    ``NAME:ARG`` spec sets (``None``: the entry takes no argument).
    """

    fixed: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    argument: str | None = None


#: Registration order is display order (``metric_order``).
_METRICS: PluginTable[MetricEntry] = PluginTable(
    "metric",
    [
        MetricEntry(name="bleu", target="evals.metrics.lexical:BLEU"),
        MetricEntry(name="chrf", target="evals.metrics.lexical:ChrF", fixed=MappingProxyType({"word_order": 0})),
        MetricEntry(name="chrf++", target="evals.metrics.lexical:ChrF", fixed=MappingProxyType({"word_order": 2})),
        MetricEntry(name="ter", target="evals.metrics.lexical:TER"),
        MetricEntry(name="comet", target="evals.metrics.comet:Comet", extra="comet", argument="model"),
        MetricEntry(name="cometkiwi", target="evals.metrics.comet:CometKiwi", extra="comet", argument="model"),
        # zh→en phenomena (evals.phenomena): accuracy of one check each, 100·matched/items.
        MetricEntry(name="numbers", target="evals.phenomena.metric:Phenomenon", fixed=MappingProxyType({"check": "numbers"})),
        MetricEntry(name="dates", target="evals.phenomena.metric:Phenomenon", fixed=MappingProxyType({"check": "dates"})),
        MetricEntry(name="names", target="evals.phenomena.metric:Phenomenon", fixed=MappingProxyType({"check": "names"})),
        MetricEntry(name="copies", target="evals.phenomena.metric:Phenomenon", fixed=MappingProxyType({"check": "copies"})),
        MetricEntry(name="quotes", target="evals.phenomena.metric:Phenomenon", fixed=MappingProxyType({"check": "quotes"})),
    ],
    field="metric",
)


def available_metrics() -> list[str]:
    """Registered metric names, sorted."""
    return _METRICS.names()


def _split(name: str) -> tuple[str, str, bool, str]:
    """``NAME[:ARG]`` → (registry key, name as written, has ':', argument)."""
    if not isinstance(name, str):
        raise UsageError(f"metric name must be a string, got {name!r}", field="metric")
    base, colon, argument = name.strip().partition(":")
    return base.strip().lower(), base.strip(), bool(colon), argument


def get_metric(name: str, /, **options: Any) -> Metric:
    """Build the metric registered as ``name`` (case-insensitive) with ``options``.

    ``name`` may be ``NAME:ARG`` (see the module docstring).
    """
    key, options = _checked(name, options)
    return _METRICS.load(key)(**{**_METRICS.entry(key).fixed, **options})


def check_metric_options(name: str, options: Mapping[str, Any]) -> None:
    """Refuse an unknown name or option of ``name`` without building it (a metric that loads a model
    is built on first use; its option names can be checked before a run starts all the same)."""
    _checked(name, dict(options))


def _checked(name: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(registry key, options with ``NAME:ARG``'s argument) after the option check."""
    key, shown, colon, argument = _split(name)
    entry = _METRICS.entry(key, shown=shown)
    if colon:
        options = _with_argument(entry, argument, options)
    _METRICS.check_options(key, _METRICS.load(key), options, fixed=entry.fixed)
    return key, options


def metric_order(names: "Iterable[str]") -> list[str]:
    """Metric names in display order: registered ones in registry order, then the rest alphabetically.

    Stored names may carry an argument (``comet:PATH``); they sort with their entry.
    """
    names = list(dict.fromkeys(names))
    order = {entry.name: index for index, entry in enumerate(_METRICS.entries())}

    def rank(name: str) -> tuple[int, str]:
        base = name.partition(":")[0].lower()
        return (order.get(base, len(order)), name)

    return sorted(names, key=rank)


def higher_is_better(name: str) -> bool:
    """The direction of a (possibly stored, possibly unregistered) metric name; unknown ones: higher."""
    base = name.partition(":")[0].strip().lower()
    if base not in _METRICS:
        return True
    try:
        return bool(_METRICS.load(base).higher_is_better)
    except UsageError:  # its optional packages are missing here
        return True


def metric_class(name: str) -> "type[Metric]":
    """The class registered as ``name`` (``NAME:ARG`` allowed): its capabilities, without building it."""
    key, shown, _, _ = _split(name)
    _METRICS.entry(key, shown=shown)  # an unknown name: the "did you mean" error
    return _METRICS.load(key)


def build_metric(name: str, options: Mapping[str, Any], *, target_lang: str, jobs: int | None = None,
                 n_refs: int = 1) -> "Metric":
    """The metric ``name`` with ``options`` for outputs in ``target_lang``, as every caller builds it.

    The metric's own ``configure`` adds what depends on the target language,
    the worker count and the references per segment (``n_refs``), so runner, comparisons and executors agree.
    """
    configured = metric_class(name).configure(dict(options), target_lang=target_lang, jobs=jobs, n_refs=n_refs)
    return get_metric(name, **configured)


def _with_argument(entry: MetricEntry, argument: str, options: dict[str, Any]) -> dict[str, Any]:
    """Options with ``NAME:ARG``'s argument set, refusing it where it means nothing or conflicts."""
    name = entry.name
    if entry.argument is None:
        with_arg = sorted(e.name for e in _METRICS.entries() if e.argument)
        raise UsageError(
            f"metric {name!r} takes no ':' argument",
            field="metric",
            hint=f"drop ':{argument}'" + (f"; {', '.join(with_arg)} take one" if with_arg else ""),
        )
    argument = argument.strip()
    if not argument:
        raise UsageError(f"empty argument after '{name}:'", field="metric",
                         hint=f"use '{name}' or '{name}:{entry.argument.upper()}'")
    if entry.argument in options and options[entry.argument] != argument:
        raise UsageError(
            f"metric '{name}:{argument}' also has {entry.argument}={options[entry.argument]!r}",
            field=entry.argument,
            hint=f"give the {entry.argument} once",
        )
    return {**options, entry.argument: argument}
