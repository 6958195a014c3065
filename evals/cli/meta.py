"""``mteval meta``: which of a run's metrics agree with the humans (a thin layer over ``evals.meta``)."""

from __future__ import annotations

import json

import click

from evals.cli.stores import READS, store_option


def register(cli: click.Group) -> None:
    cli.add_command(meta)


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--human", "human", required=True, metavar="NAME",
              help="The human metric (`mteval human import`, listed by `mteval human list`).")
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              help="Only these automatic metrics (repeatable; default: every metric of the run).")
@click.option("--corpus", default=None, metavar="NAME", help="The corpus (default: the one the humans judged).")
@click.option("--unit", type=click.Choice(["segment", "document"]), default="segment", show_default=True,
              help="Bootstrap resampling unit.")
@click.option("--resamples", type=click.IntRange(min=10, max=100_000), default=1000, show_default=True,
              help="Bootstrap resamples.")
@click.option("--seed", type=click.IntRange(min=0), default=12345, show_default=True, help="Random seed.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Significance level of the metric-vs-best tests.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True)
@click.option("--write-policy", "policy_path", default=None, metavar="FILE",
              help="Write the recommended metrics into this gate policy's `validated` section "
                   "(created from the built-in policy if missing).")
@store_option(READS)
def meta(run_ref, human, metrics, corpus, unit, resamples, seed, alpha, fmt, policy_path, db) -> None:
    """How well each automatic metric of RUN agrees with imported human judgements.

    \b
    System level: Pearson, Kendall τ-b and pairwise accuracy of the systems'
    corpus scores against the humans' system scores; segment level: tie-
    calibrated pairwise accuracy (acc_eq, grouped by segment) and Kendall τ-b
    by segment; 95% bootstrap intervals, and a paired test of every metric
    against the best one. The metrics not significantly worse than the best by
    system-level pairwise accuracy are the ones to gate on (--write-policy).
    """
    from evals.meta import meta_report
    from evals.meta import render

    with db.open() as store:
        report = meta_report(store, run_ref, human, metrics=list(metrics) or None, corpus=corpus, unit=unit,
                             n_resamples=resamples, seed=seed, alpha=alpha)
    if policy_path:
        from evals.meta.policy import write_policy

        written = write_policy(report, policy_path)
        click.echo(f"wrote {written}: validated metrics {', '.join(report.recommended())}", err=True)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    if fmt == "markdown":
        click.echo(render.markdown(report), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=render.heading(report), title_justify="left")
    table_rows = render.rows(report)
    for column in table_rows[0]:
        table.add_column(column, justify="left" if column == "metric" else "right", no_wrap=True)
    for row in table_rows:
        table.add_row(*row.values())
    console = Console(width=max(180, Console().width))
    console.print(table)
    for line in render.footer(report) + render.discordant_lines(report):
        console.print(line, highlight=False, markup=False)
