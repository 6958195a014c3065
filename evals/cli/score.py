"""``mteval score``: sacrebleu's quick path (reference and hypothesis files in, scores out), with mteval's rigour.

``mteval score REF... -i HYP... [-s SRC] [-m bleu chrf ter comet ...]`` or
``cat hyp | mteval score REF``. The files become an in-memory suite (one
corpus, one ``file:`` system per hypothesis file, named after the file) run
through ``evals.runner.Runner`` like any suite: caches, signatures, bootstrap
intervals, flags and provenance all apply, and the run is stored unless
``--no-store`` (then it lives in an in-memory store for the command only).
Several references are passed through to the metrics as the segments'
``more_references``.

Like sacrebleu's CLI, ``-i`` and ``-m`` take several values each
(``-i a.en b.en -m bleu chrf``); repeating the option works too.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import tempfile
from pathlib import Path

import click

from evals.cli.run import FORMATS, RichProgress, emit
from evals.cli.stores import WRITES, store_option
from evals.corpora.textset import load_text_set

#: Options that take every following value up to the next option, as in sacrebleu's CLI.
MULTI_VALUE = {"-i": "--input", "--input": "--input", "-m": "--metrics", "--metrics": "--metrics"}


class _SacrebleuStyle(click.Command):
    """``-i A B C`` and ``-m bleu chrf`` as sacrebleu spells them: rewritten to ``-i A -i B -i C``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_values(args))


def spread_values(args: list[str]) -> list[str]:
    """Repeat a multi-value option before each of its values; ``--`` ends option parsing as usual."""
    out: list[str] = []
    option = None
    for position, arg in enumerate(args):
        if arg == "--":
            out += args[position:]
            return out
        if arg in MULTI_VALUE:
            option = MULTI_VALUE[arg]
            continue
        if arg.startswith("-") and arg != "-":
            option = None
            out.append(arg)
            continue
        if option is not None:
            out += [option, arg]
        else:
            out.append(arg)
    return out


def register(cli: click.Group) -> None:
    cli.add_command(score)


@click.command(cls=_SacrebleuStyle)
@click.argument("references", nargs=-1, required=True, metavar="REF...")
@click.option("-i", "--input", "inputs", multiple=True, metavar="HYP...",
              help="Hypothesis files, one segment per line (default: standard input).")
@click.option("-s", "--source", default=None, metavar="SRC",
              help="Source file, line-aligned; metrics that read the source (COMET) need it.")
@click.option("-m", "--metrics", "metrics", multiple=True, metavar="NAME...",
              help="Metrics (bleu, chrf, chrf++, ter, comet, …; default: bleu).")
@click.option("-l", "--language-pair", "pair", default="zh-en", show_default=True, metavar="SRC-TGT",
              help="Languages of source and references (sets tokenizers, as in sacrebleu).")
@click.option("--docids", default=None, metavar="FILE",
              help="One document id per line (sacrebleu --echo docid): document-level scores and resampling.")
@click.option("--name", default=None, help="Corpus name (default: from the files).")
@click.option("--no-store", is_flag=True, help="Score without recording a run in the results database.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or notes.")
@store_option(WRITES)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="Output format.")
def score(references, inputs, source, metrics, pair, docids, name, no_store, quiet, db, fmt) -> None:
    """Score hypothesis files against reference files: systems × metrics with 95% CIs and signatures.

    REF... are reference files (several references: give them all). Each
    hypothesis file is a system named after the file. The run is stored like
    any `mteval run` (see `mteval show`) unless --no-store.
    """
    from evals.runner import Runner
    from evals.store import open_store

    src_lang, tgt_lang = _language_pair(pair)
    segments = load_text_set(source, list(references), docids=docids, name=name, src_lang=src_lang,
                             tgt_lang=tgt_lang)
    progress = RichProgress(quiet=quiet)
    with contextlib.ExitStack() as stack:
        hypotheses = list(inputs) or [stack.enter_context(_stdin_file())]
        for path in hypotheses:
            _check_line_count(path, len(segments), references[0])
        names = _system_names(inputs)
        suite = score_suite(source, references, docids, hypotheses, names, metrics or ("bleu",), segments)
        store = stack.enter_context(open_store("sqlite://") if no_store else db.open())
        corpus = segments[0].corpus if segments else (name or "")
        result = Runner(store, progress=progress).run(suite, argv=sys.argv[1:], corpora={corpus: segments})
        records = score_records(store, result.run_id, stored=not no_store)
    if fmt != "table":
        emit(records, fmt)
        return
    _print_table(records, corpus, None if no_store else result.run_id)


def _language_pair(pair: str) -> tuple[str, str]:
    from evals.errors import UsageError

    src, dash, tgt = pair.partition("-")
    if not (src and dash and tgt):
        raise UsageError(f"a language pair is SRC-TGT, got {pair!r}", field="--language-pair", hint="e.g. zh-en")
    return src, tgt


def _check_line_count(path: str, expected: int, reference: str) -> None:
    """A hypothesis file of the wrong length fails here, before a run is recorded, naming both files."""
    from evals.errors import InputError
    from evals.inputs import read_text
    from evals.systems.file import split_lines

    found = len(split_lines(read_text(path, what="hypotheses file")))
    if found != expected:
        raise InputError(f"{found} lines but the reference {reference} has {expected}", path=path,
                         hint="a hypothesis file has one line per segment, in the reference's order")


def _system_names(inputs: tuple[str, ...]) -> list[str]:
    """Each hypothesis file's name; the path as given where two files share a name."""
    if not inputs:
        return ["stdin"]
    names = [Path(path).name for path in inputs]
    return [path if names.count(n) > 1 else n for path, n in zip(inputs, names)]


@contextlib.contextmanager
def _stdin_file():
    """Standard input saved as a file for the ``file:`` system, named by its content (so caches hit again)."""
    from evals.errors import UsageError

    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no hypotheses: give -i HYP... or pipe them in (cat hyp | mteval score REF)")
    data = sys.stdin.buffer.read()
    with tempfile.TemporaryDirectory(prefix="mteval-score-") as folder:
        path = Path(folder) / f"stdin-{hashlib.sha256(data).hexdigest()[:16]}.txt"
        path.write_bytes(data)
        yield str(path)


def score_suite(source, references, docids, hypotheses, names, metrics, segments):
    """The in-memory suite a ``score`` run records: what was scored, spelt as a suite would spell it."""
    import yaml

    from evals.suite import CorpusRef, MetricRef, Suite, SystemRef

    spec = f"{source or ''}:{','.join(map(str, references))}"
    corpus = CorpusRef(path=spec, name=segments[0].corpus if segments else None)
    systems = tuple(SystemRef(spec=f"file:{path}", name=n) for path, n in zip(hypotheses, names))
    metric_refs = tuple(MetricRef(name=m) for m in metrics)
    suite = Suite(name="score", description="mteval score" + (f" (docids {docids})" if docids else ""),
                  corpora=(corpus,), systems=systems, metrics=metric_refs, options={}, source="mteval score",
                  text="")
    text = yaml.safe_dump({k: v for k, v in suite.to_json().items() if k != "source"}, sort_keys=False,
                          allow_unicode=True)
    return Suite(**{**vars(suite), "text": text})


def score_records(store, run_id: int, stored: bool) -> list[dict]:
    """One record per (corpus, system, metric): the system score, its interval and signature."""
    records = []
    for row in store.leaderboard(run_id, level="system"):
        details = row["details"] or {}
        low, high = (details.get("ci") or [None, None])[:2]
        records.append({"corpus": row["corpus"], "system": row["system"], "metric": row["metric"],
                        "score": row["value"], "ci_low": low, "ci_high": high,
                        "ci_level": details.get("ci_level"), "segments": details.get("segments"),
                        "signature": row["signature"], "run": run_id if stored else None})
    return records


def _print_table(records: list[dict], corpus: str, run_id: int | None) -> None:
    """Systems down, metrics across (score and interval), then one signature line per metric."""
    from evals.metrics import metric_order

    metrics = metric_order({r["metric"] for r in records})
    corpora = list(dict.fromkeys(r["corpus"] for r in records))
    for part in corpora:
        rows = []
        for system in dict.fromkeys(r["system"] for r in records if r["corpus"] == part):
            row = {"system": system}
            for metric in metrics:
                found = [r for r in records if (r["corpus"], r["system"], r["metric"]) == (part, system, metric)]
                if found:
                    r = found[0]
                    row[metric] = r["score"]
                    row[f"{metric} 95% CI"] = _interval(r)
            rows.append(row)
        where = f" · run {run_id}" if run_id is not None else " · not stored"
        emit(rows, "table", title=f"{part}{where if part == corpus else ''}")
    signatures = {r["metric"]: r["signature"] for r in records}
    for metric in metrics:
        click.echo(f"{metric}: {signatures[metric]}")


def _interval(record: dict) -> str:
    low, high = record["ci_low"], record["ci_high"]
    if low is None or high is None:
        return "–"
    return f"[{low:.2f}, {high:.2f}]"
