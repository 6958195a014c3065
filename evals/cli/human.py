"""``mteval human import|list|extract``: human judgements (WMT DA, MQM, ESA, TSV, JSONL) in the store.

``import`` writes the store (a new human metric of a run); ``list`` only reads; ``extract`` writes
files, not the store.
"""

from __future__ import annotations

import json

import click

from evals.cli.run import emit, format_option
from evals.cli.stores import READS, WRITES, store_option



def register(cli: click.Group) -> None:
    cli.add_command(human)


@click.group()
def human() -> None:
    """Human judgements: import them into a run, list them, build a suite from an MQM file."""


@human.command("import")
@click.argument("path", metavar="FILE")
@click.option("--format", "fmt", required=True, metavar="FORMAT",
              help="wmt-da (WMT ad-seg-scores), mqm (Google MQM TSV), esa (ESA JSONL), tsv, jsonl.")
@click.option("--name", default=None, metavar="NAME", help="Name of the human metric (default: the format).")
@click.option("--run", "run_ref", default="latest", show_default=True, metavar="RUN", help="Run id or 'latest'.")
@click.option("--corpus", default=None, metavar="NAME",
              help="The run's corpus the segment ids refer to (default: the run's only corpus).")
@click.option("--map", "mapping", multiple=True, metavar="HUMAN=SYSTEM",
              help="Map a human system name to a run system (repeatable).")
@click.option("--system-scores", "system_path", default=None, metavar="FILE",
              help="wmt-da: the ad-sys-scores file (default: the one beside an ad-seg-scores file, if any).")
@click.option("--replace", is_flag=True, help="Replace a human metric of the same name in the run.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Format option (repeatable): wmt-da field=z|raw; mqm weight.SEVERITY[:CATEGORY]=W, "
                   "severity.X=Y, category.X=Y.")
@store_option(WRITES)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_(path, fmt, name, run_ref, corpus, mapping, system_path, replace, options, db, as_json) -> None:
    """Import a human-score FILE into a run as a human metric (segment and system level).

    \b
    Systems match by exact name, then WMT's NAME.K without .K, then the format's aliases
    (MQM ref-A/ref-B = ref/refB), then WMT file names (file:…hyp.NAME.en); --map overrides.
    Segments match by seg_id within --corpus. Unmatched systems and segments are listed;
    a file where nothing matches is an error and nothing is stored.
    """
    from evals.human.formats import get_format
    from evals.human.importer import import_human
    from evals.human.matching import parse_map
    from evals.human.options import parse_options

    get_format(fmt)
    parsed_options, parsed_map = parse_options(options), parse_map(mapping)
    with db.open() as store:
        summary = import_human(store, path, fmt, name=name, run=run_ref, corpus=corpus, mapping=parsed_map,
                               replace=replace, options=parsed_options, system_path=system_path)
    if as_json:
        click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in summary.lines():
            click.echo(line)


@human.command("list")
@click.option("--run", "run_ref", default="latest", show_default=True, metavar="RUN", help="Run id or 'latest'.")
@store_option(READS)
@format_option
def list_(run_ref, db, fmt) -> None:
    """The human metrics imported into a run."""
    with db.open() as store:
        frame = store.human_metrics(run_ref)
    frame = frame.drop(columns=["options", "source_sha256"])
    emit(frame, fmt, title=f"human metrics of run {run_ref}")


@human.command("extract")
@click.argument("path", metavar="FILE")
@click.option("--format", "fmt", default="mqm", show_default=True, metavar="FORMAT", help="Only mqm.")
@click.option("--out", required=True, metavar="DIR", help="Folder for corpus.jsonl, systems/, suite.yaml.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="Format option (repeatable).")
def extract(path, fmt, out, options) -> None:
    """Write a run-ready suite from an MQM file's own text (corpus, one file: system per MT system)."""
    from evals.human.extract import extract_suite
    from evals.human.formats import get_format
    from evals.human.options import parse_options

    get_format(fmt)
    done = extract_suite(path, out, fmt, parse_options(options))
    click.echo(f"{done['out']}: {done['segments']} segments, {len(done['systems'])} MT systems "
               f"({', '.join(done['systems'])}) + references {', '.join(done['references'])}; "
               f"run it with `mteval run {done['out']}/suite.yaml`")
