"""The report's JSON as tables (the terminal, via rich) and as Markdown.

Everything is rendered from the JSON ``evals.analysis.report`` builds, so a
table cell is the JSON's number printed with two decimals. ``RENDERERS`` maps
a section key to the function giving its tables; a section without one is
in the JSON only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _score(score: dict[str, Any]) -> str:
    ci = score.get("ci")
    text = _num(score.get("value"))
    return f"{text} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else text


def bucket_tables(section: list[dict[str, Any]], report: dict[str, Any], corpus: str) -> list[Table]:
    systems, baseline = report["systems"], report["baseline"]
    pair = len(systems) == 2
    out = []
    for cut in section:
        columns = ["bucket", "n", *(f"{s} ({report['metric']}, 95% CI)" for s in systems)] + (["Δ"] if pair else [])
        table = Table(f"{corpus} · by {cut['title']}", columns)
        for b in cut["buckets"]:
            cells = [b["label"], str(b["n"]), *(_score(b["scores"][s]) for s in systems)]
            if pair:
                a, c = b["scores"][baseline]["value"], b["scores"][systems[1]]["value"]
                cells.append("–" if a is None or c is None else f"{c - a:+.2f}")
            table.rows.append(cells)
        out.append(table)
    return out


def word_tables(section: dict[str, Any], report: dict[str, Any], corpus: str) -> list[Table]:
    systems = report["systems"]
    by = "word frequency" if section["by"] == "frequency" else "part of speech"
    table = Table(f"{corpus} · word accuracy (F-measure of words) by {by} (frequencies from {section['source']})",
                  [section["by"], "ref words", *(f"{s} F (P/R)" for s in systems)])
    for b in section["buckets"]:
        cells = [b["label"], str(b["n"])]
        for s in systems:
            score = b["scores"][s]
            cells.append(f"{_num(score['value'])} ({_num(score['precision'])}/{_num(score['recall'])})")
        table.rows.append(cells)
    return [table]


def salient_tables(section: list[dict[str, Any]], report: dict[str, Any], corpus: str) -> list[Table]:
    out = []
    for entry in section:
        table = Table(f"{corpus} · n-grams {entry['better']} matches and {entry['worse']} misses most",
                      ["n-gram", "n", entry["better"], entry["worse"], "score", "e.g. segments"])
        for g in entry["ngrams"]:
            table.rows.append([g["ngram"], str(g["n"]), str(g["better"]), str(g["worse"]), f"{g['score']:.3f}",
                               ", ".join(g["examples"])])
        out.append(table)
    return out


def difference_tables(section: list[dict[str, Any]], report: dict[str, Any], corpus: str) -> list[Table]:
    out = []
    if not section:
        return out
    table = Table(f"{corpus} · segment-level differences against {report['baseline']}",
                  ["system", "metric", "segments W/T/L", "documents W/T/L", "mean Δ"])
    for d in section:
        s, docs = d["segments"], d["documents"]
        table.rows.append([d["system"], d["metric"], f"{s['win']}/{s['tie']}/{s['loss']}",
                           f"{docs['win']}/{docs['tie']}/{docs['loss']}", _num(d["mean_difference"])])
    out.append(table)
    for d in section:
        edges, counts = d["histogram"]["edges"], d["histogram"]["counts"]
        peak = max(counts) or 1
        hist = Table(f"{corpus} · {d['system']} − {d['baseline']}: sentence {d['metric']} differences",
                     ["Δ range", "segments", ""])
        for j, count in enumerate(counts):
            close = "]" if j == len(counts) - 1 else ")"
            hist.rows.append([f"[{edges[j]:g}, {edges[j + 1]:g}{close}", str(count), "█" * round(30 * count / peak)])
        out.append(hist)
    return out


def phenomena_tables(section: list[dict[str, Any]], report: dict[str, Any], corpus: str) -> list[Table]:
    systems = report["systems"]
    table = Table(f"{corpus} · zh→en phenomena: accuracy of the source's items (95% CI)",
                  ["check", "segments", "items", *systems])
    examples = Table(f"{corpus} · phenomena: examples of missed items", ["check", "system", "segment", "missed",
                                                                          "hypothesis"])
    for entry in section:
        cells = [entry["check"], str(entry["segments"]), str(entry["items"])]
        for name in systems:
            score = entry["scores"][name]
            cells.append(f"{_score(score)} ({score['items'] - score['matched']} missed)")
        table.rows.append(cells)
        for name in systems:
            for miss in entry["scores"][name]["missed"]:
                examples.rows.append([entry["check"], name, miss["seg_id"], ", ".join(miss["missed"]),
                                      _clip(miss["hypothesis"])])
    return [table, examples] if examples.rows else [table]


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


RENDERERS: dict[str, Callable[[Any, dict[str, Any], str], list[Table]]] = {
    "buckets": bucket_tables,
    "word_accuracy": word_tables,
    "word_accuracy_pos": word_tables,
    "salient": salient_tables,
    "differences": difference_tables,
    "phenomena": phenomena_tables,
}


def tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the report, corpus by corpus, section by section."""
    out = []
    for corpus, sections in report["corpora"].items():
        for key, value in sections.items():
            render = RENDERERS.get(key)
            if render is not None and value:
                out.extend(render(value, report, corpus))
    return out


def heading(report: dict[str, Any]) -> str:
    run = f"run {report['run']}: " if report.get("run") is not None else ""
    others = ", ".join(s for s in report["systems"] if s != report["baseline"])
    s = report["settings"]
    return (f"{run}{others} against {report['baseline']} (baseline); {report['metric']} by bucket, "
            f"{s['level']:.0%} CIs from {s['n_resamples']} bootstrap resamples of each bucket's segments "
            f"(seed {s['seed']})")


def markdown(report: dict[str, Any]) -> str:
    lines = [f"**{_md(heading(report))}**", ""]
    for table in tables(report):
        lines += [f"#### {_md(table.title)}", "", "| " + " | ".join(_md(c) for c in table.columns) + " |",
                  "|" + "|".join("---" if k == 0 else "---:" for k in range(len(table.columns))) + "|"]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table.rows]
        lines.append("")
    return "\n".join(lines)


def print_tables(report: dict[str, Any], console) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table as RichTable

    console.print(f"[bold]{escape(heading(report))}[/]", highlight=False)
    for table in tables(report):
        rich_table = RichTable(title=escape(table.title), title_justify="left", box=box.SIMPLE_HEAD)
        for k, column in enumerate(table.columns):
            rich_table.add_column(escape(column), justify="left" if k == 0 or column == "" else "right")
        for row in table.rows:
            rich_table.add_row(*(escape(c) for c in row))
        console.print(rich_table)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")
