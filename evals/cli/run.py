"""``mteval run``, ``runs``, ``show`` and ``export``: the evaluation job and its results."""

from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path

import click

from evals.cli.stores import READS, WRITES, store_option

FORMATS = click.Choice(["table", "json", "csv"])
format_option = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
                             help="Output format.")


class RichProgress:
    """Runner progress as rich progress bars on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._console = None

    @property
    def console(self):
        """The stderr console, made on first use: a quiet, fully cached re-run never imports rich."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, quiet=self.quiet)
        return self._console

    @contextlib.contextmanager
    def task(self, description: str, total: int):
        if total <= 0 or self.quiet:
            yield lambda advance: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=self.console, transient=True) as progress:
            task = progress.add_task(description, total=total)
            yield lambda advance: progress.advance(task, advance)

    def notice(self, message: str) -> None:
        if not self.quiet:
            # The message is text, not markup: rich would drop "[comet]" from "pip install 'mteval-zh[comet]'".
            self.console.print(f"[yellow]note:[/] {_plain(message)}", highlight=False)

    def summary(self, message: str) -> None:
        if not self.quiet:
            self.console.print(_plain(message), highlight=False)


def _fmt(value) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _plain(text: str) -> str:
    """``text`` escaped for rich, which reads ``[...]`` as markup."""
    from rich.markup import escape

    return escape(text)


def emit(frame, fmt: str, title: str | None = None, percent: tuple[str, ...] = ()) -> None:
    """Print a DataFrame or a list of row dicts as a rich table, JSON records or CSV."""
    columns, records = _columns_and_records(frame)
    if fmt == "json":
        click.echo(json.dumps([_jsonable(r) for r in records], ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if _missing(v) else v) for k, v in r.items()} for r in records)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    numeric = {c for c in columns if any(isinstance(r.get(c), (int, float)) for r in records)}
    for column in columns:
        table.add_column(str(column), justify="right" if column in numeric else "left")
    previous = None
    for record in records:
        cells = [
            f"{record.get(c):.0%}" if c in percent and not _missing(record.get(c)) else _fmt(record.get(c))
            for c in columns
        ]
        if previous is not None and cells[0] != previous[0] and "level" in columns:
            table.add_section()
        previous = cells
        table.add_row(*cells)
    Console(width=max(100, Console().width)).print(table)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _jsonable(record: dict) -> dict:
    out = {}
    for key, value in record.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "item"):
            value = value.item()
        out[key] = None if _missing(value) else value
    return out


def _columns_and_records(frame) -> tuple[list[str], list[dict]]:
    if isinstance(frame, list):
        columns = list(dict.fromkeys(k for r in frame for k in r))
        return columns, frame
    return [str(c) for c in frame.columns], frame.to_dict(orient="records")


def print_leaderboard(store, run_id: int, fmt: str) -> None:
    from evals.report import leaderboard_table

    board = leaderboard_table(store, run_id)
    if fmt != "table":
        emit(board, fmt)
        return
    if not board:
        click.echo("no scores")
        return
    for corpus in dict.fromkeys(r["corpus"] for r in board):
        rows = [{k: v for k, v in r.items() if k != "corpus"} for r in board if r["corpus"] == corpus]
        emit(rows, fmt, title=f"run {run_id} · {corpus}", percent=("untranslated", "off-target"))


def register(cli: click.Group) -> None:
    cli.add_command(run)
    cli.add_command(runs)
    cli.add_command(show)
    cli.add_command(export)
    cli.add_command(upgrade)


@click.command()
@store_option(WRITES)
def upgrade(db) -> None:
    """Create the results database, or upgrade one an older mteval wrote (the commands that only read never do)."""
    with db.open() as store:
        click.echo(f"{store.url} is at schema version {store.schema_version()}")


@click.command()
@click.argument("suite", required=False, default="default")
@click.option("--corpus", "corpora", multiple=True, metavar="SPEC",
              help="Add a corpus: corpus.jsonl, SRC:REF[,REF2…] (text, any extension), xml:FILE, "
                   "sacrebleu:TEST:SRC-TGT, hf:…, flores:…; relative to the working directory; repeatable.")
@click.option("--system", "systems", multiple=True, metavar="SPEC",
              help="Add a system (gloss, copy, file:PATH, xml:FILE#SYSTEM, xml:FILE#* …); repeatable.")
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              help="Add a metric (bleu, chrf, chrf++, ter, …); repeatable.")
@click.option("--only", is_flag=True,
              help="Use only the --corpus/--system/--metric given, not the suite's own.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes for TER.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or notes.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where translation and scoring run: this process, or a Ray cluster.")
@click.option("--ray-address", default=None, metavar="ADDRESS",
              help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray).")
@click.option("--actors", type=click.IntRange(min=1), default=None,
              help="Ray actors per system or metric (default: one per CPU of the cluster).")
@click.option("--gpus-per-actor", type=click.FloatRange(min=0), default=0, show_default=True,
              help="GPUs each Ray actor asks for (fractions share a GPU).")
@store_option(WRITES)
@format_option
def run(suite, corpora, systems, metrics, only, jobs, quiet, executor, ray_address, actors, gpus_per_actor, db,
        fmt) -> None:
    """Translate a suite's corpora with its systems, score, store, print a leaderboard.

    SUITE is a built-in suite name (default: "default") or a YAML file. A re-run
    reuses cached translations and metric statistics, so it recomputes nothing.
    """
    from dataclasses import replace

    from evals.executors import get_executor
    from evals.preflight import prepare
    from evals.runner import Runner
    from evals.suite import CorpusRef, MetricRef, SystemRef, expand_systems, load_suite

    loaded = load_suite(suite)
    extra_corpora = tuple(CorpusRef(path=c, base=str(Path.cwd())) for c in corpora)
    extra_systems = expand_systems(tuple(SystemRef(spec=s) for s in systems))
    extra_metrics = tuple(MetricRef(name=m) for m in metrics)
    if only and not (corpora or systems or metrics):
        raise click.UsageError("--only needs at least one --corpus, --system or --metric")
    loaded = replace(
        loaded,
        corpora=(extra_corpora if only and corpora else loaded.corpora + extra_corpora),
        systems=(extra_systems if only and systems else loaded.systems + extra_systems),
        metrics=(extra_metrics if only and metrics else loaded.metrics + extra_metrics),
    )
    plan = prepare(loaded)  # before the store is opened: a suite that cannot run leaves none behind
    progress = RichProgress(quiet=quiet)
    options = {"address": ray_address, "actors": actors, "gpus_per_actor": gpus_per_actor} \
        if executor == "ray" else {}
    with db.open() as store, contextlib.closing(get_executor(executor, **options)) as workers:
        result = Runner(store, progress=progress, jobs=jobs, executor=workers).run(plan, argv=sys.argv[1:])
        stats = result.stats
        progress.summary(
            f"run {result.run_id}: translated {stats.translated} segments "
            f"({stats.translations_cached} cached), scored {stats.scored} "
            f"({stats.scores_cached} cached) · store {store.url}"
        )
        print_leaderboard(store, result.run_id, fmt)


@click.command()
@store_option(READS)
@format_option
def runs(db, fmt) -> None:
    """List the runs in the store, newest first."""
    with db.open() as store:
        frame = store.list_runs()
        if fmt == "table":
            frame = frame.assign(created_at=frame["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                                 git_commit=frame["git_commit"].str.slice(0, 12))
            frame = frame.drop(columns=["finished_at"])
        emit(frame, fmt, title="runs")


@click.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@click.option("--docs", is_flag=True, help="Scores per document.")
@click.option("--worst", type=click.IntRange(min=1), default=None, metavar="N",
              help="The N worst segments (source, reference, hypothesis).")
@click.option("--metric", default="chrf", show_default=True, help="Metric for --worst.")
@click.option("--system", default=None, help="Only this system (for --worst).")
@store_option(READS)
@format_option
def show(run_ref, docs, worst, metric, system, db, fmt) -> None:
    """Show a run: leaderboard (default), per-document scores, or worst segments.

    RUN is a run id or "latest".
    """
    from evals.report import document_scores, worst_segments

    with db.open() as store:
        run_id = store.resolve_run(run_ref)
        if worst:
            frame = worst_segments(store, run_id, metric, worst, system)
            if fmt == "table":
                _print_segments(frame, metric)
            else:
                emit(frame, fmt)
        elif docs:
            emit(document_scores(store, run_id), fmt, title=f"run {run_id} · documents")
        else:
            info = store.get_run(run_id)
            if fmt == "table":
                click.echo(f"run {run_id} · suite {info['suite_name']} · {info['status']} · "
                           f"commit {str(info['git_commit'])[:12]} · mteval {info['mteval_version']}")
            print_leaderboard(store, run_id, fmt)


def _print_segments(frame, metric: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    for row in frame.itertuples(index=False):
        console.print(f"[bold]{escape(row.system)}[/] · {escape(row.corpus)} · {escape(row.seg_id)} · "
                      f"{metric} {row.value:.2f}", highlight=False)
        console.print(f"  src: {escape(row.source)}", highlight=False)
        references = list(row.references) if len(row.references) else [row.reference]
        for index, reference in enumerate(references):
            label = "ref" if len(references) == 1 else f"ref {chr(ord('A') + index)}"
            console.print(f"  {label}: {escape(str(reference))}", highlight=False)
        console.print(f"  hyp: {escape(str(row.hypothesis))}", highlight=False)


@click.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output file (default: results/run-<id>.<format>).")
@store_option(READS)
def export(run_ref, fmt, out, db) -> None:
    """Export a run's translations and segment scores (JSONL, CSV or Parquet)."""
    from evals.store.export import export_run, meta_path

    with db.open() as store:
        run_id = store.resolve_run(run_ref)
        out = out or Path("results") / f"run-{run_id}.{fmt}"
        written = export_run(store, run_id, out, fmt)
        click.echo(json.dumps({"run": run_id, "written": str(written), "meta": str(meta_path(written))}))
