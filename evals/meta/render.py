"""``mteval meta`` as text: one row per metric, every statistic with its interval, and what to gate on."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evals.meta.report import MetaReport

#: Column titles of the statistics, in report order.
TITLES = {
    "pearson": "sys Pearson",
    "kendall": "sys Kendall τ",
    "pairwise_accuracy": "sys pairwise acc.",
    "acc_eq": "seg acc_eq",
    "item_kendall": "seg τ by item",
}


def _cell(value: float, low: float | None, high: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.2f}, {high:.2f}]"


def rows(report: "MetaReport") -> list[dict[str, str]]:
    """One dict per metric: its statistics as ``value [low, high]`` and its p against the best metric."""
    best = report.best("pairwise_accuracy")
    p_of = {c.metric_b: c.p_value for c in report.comparisons
            if c.statistic == "pairwise_accuracy" and best is not None and c.metric_a == best.metric}
    recommended = set(report.recommended())
    out = []
    for m in report.metrics:
        row = {"metric": m.metric}
        for statistic in report.statistics:
            interval = m.agreement[statistic]
            row[TITLES[statistic]] = _cell(interval.value, interval.low, interval.high)
        epsilon = m.agreement.epsilon
        row["ε"] = "–" if epsilon is None else f"{epsilon:.3g}"
        p = p_of.get(m.metric)
        row["p vs best (pairwise)"] = "best" if best is not None and m.metric == best.metric else (
            "–" if p is None or not math.isfinite(p) else f"{p:.3f}")
        row["gate"] = "✓" if m.metric in recommended else ""
        out.append(row)
    return out


def heading(report: "MetaReport") -> str:
    human = report.human
    return (f"run {report.run_id} · {report.corpus} · {len(report.metrics)} metrics vs {human['name']} "
            f"({human['format']}) · {len(report.systems)} systems, {report.n_judged_items} of "
            f"{report.n_items} segments judged")


def footer(report: "MetaReport") -> list[str]:
    """Settings, what was left out, the warnings and the recommendation, one line each."""
    lines = [
        f"{int(report.level * 100)}% bootstrap intervals over {report.unit}s: {report.n_resamples} resamples, "
        f"seed {report.seed}; p: paired bootstrap against the best metric by system-level pairwise accuracy "
        f"(two-sided); metrics oriented higher = better",
        f"human: {report.human['signature']}",
    ]
    lines += [f"left out: {item.get('system') or item.get('metric')} ({item['reason']})" for item in report.left_out]
    lines += [f"warning: {w}" for w in report.warnings]
    recommended = report.recommended()
    if recommended:
        lines.append(f"gate on: {', '.join(recommended)} (best system-level pairwise accuracy, and every metric "
                     f"not significantly worse at α = {report.alpha:g})")
    return lines


def discordant_lines(report: "MetaReport", limit: int = 10) -> list[str]:
    """Per metric, the system pairs it orders against the humans (largest human difference first)."""
    out = []
    for m in report.metrics:
        system = m.agreement.system
        if system is None or not system.discordant:
            continue
        pairs = sorted(system.discordant, key=lambda p: -abs(p.human_delta))
        sign = 1.0 if m.higher_is_better else -1.0  # deltas in the metric's own direction
        shown = ", ".join(f"{p.better} > {p.worse} (human {p.human_delta:+.3f}, {m.metric} {sign * p.metric_delta:+.2f})"
                          for p in pairs[:limit])
        more = f" and {len(pairs) - limit} more" if len(pairs) > limit else ""
        direction = "" if m.higher_is_better else " (lower is better)"
        out.append(f"{m.metric}{direction} orders {len(pairs)} of {system.n_pairs} system pairs against the humans "
                   f"(humans' better system first): {shown}{more}")
    return out


def markdown(report: "MetaReport") -> str:
    """The report as a Markdown section (for a CI summary or a README)."""
    table = rows(report)
    columns = list(table[0]) if table else ["metric"]
    lines = [f"### {heading(report)}", "", "| " + " | ".join(columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(r[c] for c in columns) + " |" for r in table]
    lines.append("")
    lines += [f"- {line}" for line in footer(report) + discordant_lines(report)]
    return "\n".join(lines) + "\n"
