"""``mteval analyze``: where and why systems of a run differ (a thin layer over ``evals.analysis``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evals.cli.stores import READS, store_option


def register(cli: click.Group) -> None:
    cli.add_command(analyze)


def analysis_options(function):
    """The options ``analyze`` and ``compare --analyze`` share (one definition, one settings value)."""
    options = [
        click.option("--frequencies", "frequencies", type=click.Path(path_type=Path), default=None, metavar="FILE",
                     help="Word frequencies for word accuracy: one 'WORD COUNT' a line "
                          "(default: counted in the corpus's references)."),
        click.option("--buckets", "n_buckets", type=click.IntRange(2, 20), default=5, show_default=True,
                     help="Quantile buckets of lengths and baseline sentence scores."),
        click.option("--top", type=click.IntRange(1, 100), default=10, show_default=True,
                     help="Salient n-grams shown in each direction."),
        click.option("--pos", is_flag=True,
                     help="Word accuracy by part of speech too (needs the `pos` extra and NLTK's tagger model)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def analysis_settings(frequencies, n_buckets, top, pos, resamples: int, seed: int):
    from evals.analysis import AnalysisSettings
    from evals.analysis.words import read_frequencies

    if pos:
        from evals.analysis.pos import tagger_available
        from evals.errors import Unavailable

        why = tagger_available()
        if why is not None:
            raise Unavailable(why)
    counts = read_frequencies(frequencies) if frequencies is not None else None
    return AnalysisSettings(n_buckets=n_buckets, n_resamples=resamples, seed=seed, top=top, frequencies=counts,
                            frequency_source="references" if frequencies is None else f"file {frequencies.name}",
                            pos=pos)


def print_report(report: dict, fmt: str) -> None:
    from evals.analysis import render

    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo(render.markdown(report), nl=False)
    else:
        from rich.console import Console

        render.print_tables(report, Console(width=max(120, Console().width)))


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.argument("systems", nargs=-1, metavar="[SYSTEM...]")
@click.option("--baseline", default=None, metavar="SYSTEM",
              help="The baseline (default: the first SYSTEM named; with none named, the run's best system).")
@click.option("--corpus", "corpora", multiple=True, metavar="NAME", help="Only these corpora (repeatable).")
@click.option("--metric", default=None, metavar="NAME",
              help="The metric scored by bucket (default: the run's metric whose sentence scores rank best, chrF).")
@analysis_options
@click.option("--resamples", type=click.IntRange(min=10, max=100_000), default=1000, show_default=True,
              help="Bootstrap resamples of each bucket.")
@click.option("--seed", type=click.IntRange(min=0), default=12345, show_default=True, help="Random seed.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True)
@store_option(READS)
def analyze(run_ref, systems, baseline, corpora, metric, frequencies, n_buckets, top, pos, resamples, seed, fmt,
            db) -> None:
    """Why one system beats another: scores by bucket, word accuracy, salient n-grams, segment differences.

    \b
    RUN is a run id or "latest"; SYSTEMs are its systems (default: all), the
    first the baseline unless --baseline names one:
      mteval analyze 7 Online-W JDExploreAcademy     JDExploreAcademy against Online-W
      mteval analyze latest --baseline Online-W      every system against Online-W
    Buckets: source length (characters), reference length (words), the
    baseline's sentence score, and documents, domains and origlang where the
    corpus has them; each bucket's score is the metric's corpus score over the
    bucket's segments, with a 95% bootstrap CI.
    """
    from evals.analysis import analyse_run

    settings = analysis_settings(frequencies, n_buckets, top, pos, resamples, seed)
    with db.open() as store:
        report = analyse_run(store, run_ref, systems, baseline=baseline, metric=metric, corpora=corpora or None,
                             settings=settings)
    print_report(report, fmt)
