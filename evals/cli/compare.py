"""``mteval compare``, ``mteval check`` and ``mteval baseline save``: systems against each other.

``compare`` reports deltas with confidence intervals and p-values; ``check``
is the CI gate (exit 0 pass, 1 regression, 2 usage or input error);
``baseline save`` writes the file ``check --baseline`` reads.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from evals.annotations import FORMATS as ANNOTATION_FORMATS
from evals.cli.analyze import analysis_options, analysis_settings, print_report
from evals.cli.run import emit
from evals.cli.stores import READS, store_option


def register(cli: click.Group) -> None:
    cli.add_command(compare)
    cli.add_command(check)
    cli.add_command(baseline)


def _stdout_console():
    from rich.console import Console

    return Console(width=max(120, Console().width))


# ---- compare ----------------------------------------------------------------------------------------


@click.command()
@click.argument("specs", nargs=-1, metavar="[BASELINE SYSTEM...]")
@click.option("--run", "run_ref", default=None, metavar="RUN",
              help="Compare systems of this run (id or 'latest'); use with --baseline/--system.")
@click.option("--baseline", "baseline_name", default=None, metavar="NAME",
              help="With --run: the baseline system.")
@click.option("--system", "systems", multiple=True, metavar="NAME",
              help="With --run: a system to compare (repeatable; default: every other system).")
@click.option("--metric", "metrics", multiple=True, metavar="NAME", help="Only these metrics (repeatable).")
@click.option("--corpus", "corpora", multiple=True, metavar="NAME", help="Only these corpora (repeatable).")
@click.option("--test", type=click.Choice(["bootstrap", "randomization", "both"]), default="bootstrap",
              show_default=True, help="Paired test: bootstrap resampling, approximate randomization, or both.")
@click.option("--resamples", default="auto", show_default=True, metavar="N|auto",
              help="Bootstrap resamples; auto: at least 1000 (sacrebleu's), more when many tests are "
                   "corrected together, so the smallest adjusted p stays at alpha/10.")
@click.option("--trials", default="auto", show_default=True, metavar="N|auto",
              help="Approximate-randomization trials; auto: at least 10000, more for many tests.")
@click.option("--clusters", is_flag=True,
              help="With --run: rank every system per corpus and metric with significance clusters "
                   "(WMT style; every pair bootstrapped, Holm over the pairs). No --baseline needed.")
@click.option("--seed", type=click.IntRange(min=0), default=12345, show_default=True, help="Random seed.")
@click.option("--resampling", type=click.Choice(["auto", "segment", "document"]), default="auto",
              show_default=True, help="Resampling unit (auto: documents when there are >= 10).")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Significance level (after Holm correction across systems).")
@click.option("--segments", "n_segments", type=click.IntRange(min=0), default=5, show_default=True,
              help="Segments that changed most, per system and corpus.")
@click.option("--rank-by", default=None, metavar="METRIC",
              help="Metric that ranks changed segments (default: chrf).")
@click.option("--analyze", "analyze", is_flag=True,
              help="Append `mteval analyze`'s sections (scores by bucket, word accuracy, salient n-grams, "
                   "segment differences) for the systems compared.")
@analysis_options
@store_option(READS)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="Output format (csv: the score table only).")
def compare(specs, run_ref, baseline_name, systems, metrics, corpora, test, resamples, trials, clusters, seed,
            resampling, alpha, n_segments, rank_by, analyze, frequencies, n_buckets, top, pos, db, fmt) -> None:
    """Compare systems with a baseline: deltas, 95% CIs, p-values, documents, changed segments.

    \b
    Name systems as RUN[:SYSTEM] (RUN is an id or "latest") or a baseline file; the first is
    the baseline:
      mteval compare 3:gloss 3:copy             two systems of run 3
      mteval compare 3:gloss 4:gloss            the same system across runs
      mteval compare baselines/main.json latest:my-model
      mteval compare --run 3 --baseline gloss   every other system of run 3 against gloss
      mteval compare --run 3 --clusters         every system of run 3 ranked, with clusters
    Systems compared across runs must be on the same segments; different metric signatures
    are an error.
    """
    from evals.compare import PairedSettings, SideSpec, compare_systems, load_side, parse_side

    resamples, trials = _count(resamples, "--resamples"), _count(trials, "--trials")
    auto = resamples is None or trials is None
    settings = PairedSettings(test=test, n_resamples=resamples or 1000, n_trials=trials or 10000, seed=seed,
                              unit=resampling, auto_samples=auto)
    if clusters:
        if run_ref is None or specs or baseline_name:
            raise click.UsageError("--clusters ranks the systems of --run RUN (no baseline; --system to choose)")
        _print_clusters(run_ref, systems, settings, alpha, corpora, metrics, db, fmt)
        return
    if run_ref is not None:
        if specs:
            raise click.UsageError("give either --run with --baseline/--system or RUN:SYSTEM arguments, not both")
        if baseline_name is None:
            raise click.UsageError("--run needs --baseline NAME (or --clusters to rank every system)")
    elif baseline_name or systems:
        raise click.UsageError("--baseline/--system name systems of --run RUN")
    elif len(specs) < 2:
        raise click.UsageError("name a baseline and at least one system, e.g. `mteval compare 3:gloss 3:copy`")
    needs_store = run_ref is not None or any(parse_side(s).path is None for s in specs)
    with db.open() if needs_store else contextlib.nullcontext() as store:
        if run_ref is not None:
            info = store.get_run(run_ref)
            names = [s["name"] for s in info["systems"]]
            chosen = list(systems) or [n for n in names if n != baseline_name]
            base_spec = SideSpec(run=str(info["id"]), system=baseline_name)
            side_specs = [SideSpec(run=str(info["id"]), system=n) for n in chosen]
        else:
            base_spec, *side_specs = [parse_side(s) for s in specs]
        filters = dict(corpora=corpora or None, metrics=metrics or None)
        base = load_side(base_spec, store, corpora=filters["corpora"])
        others = [load_side(spec, store, corpora=filters["corpora"]) for spec in side_specs]
        # The analysis first: a side it cannot read (no texts stored) fails before the paired tests run.
        report = _analysis(base, others, corpora, metrics, frequencies, n_buckets, top, pos, resamples or 1000,
                           seed) if analyze else None
        result = compare_systems(base, others, settings=settings, segments=n_segments, rank_metric=rank_by,
                                 alpha=alpha, **filters)
    if fmt == "json":
        click.echo(json.dumps(result.to_json() | ({"analysis": report} if report else {}), ensure_ascii=False,
                              indent=2))
    elif fmt == "csv":
        emit(result.rows(), "csv")
    else:
        _print_comparison(result)
        if report:
            click.echo()
            print_report(report, "table")


def _analysis(base, others, corpora, metrics, frequencies, n_buckets, top, pos, resamples, seed) -> dict:
    """``--analyze``: the analysis report of the compared sides (by label where system names repeat)."""
    from evals.analysis import analyse_sides

    sides = [base, *others]
    repeated = len({s.system for s in sides}) < len(sides)
    names = {id(s): s.label for s in sides} if repeated else None
    metric = metrics[0] if len(metrics) == 1 else None
    return analyse_sides(base, others, metric=metric, corpora=corpora or None, names=names,
                         settings=analysis_settings(frequencies, n_buckets, top, pos, resamples, seed),
                         run=base.run_id if {s.run_id for s in sides} == {base.run_id} else None)


def _count(value: str, option: str) -> int | None:
    """A count option: a positive integer, or None for auto."""
    if str(value).strip().lower() == "auto":
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise click.BadParameter(f"must be auto or an integer >= 1, got {value!r}", param_hint=option)
    return number


def _print_clusters(run_ref, systems, settings, alpha, corpora, metrics, db, fmt) -> None:
    """``--clusters``: every system of the run ranked per corpus and metric, with significance clusters."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from evals.compare import digits_for, load_run_systems, rank_systems

    with db.open() as store:
        info = store.get_run(run_ref)
        names = list(systems) or [s["name"] for s in info["systems"]]
        sides = load_run_systems(store, info["id"], names, corpora=list(corpora) or None)
    ordered = [sides[n] for n in names]
    for side in ordered:
        if systems and isinstance(side, Exception):
            raise side  # a system the user named
    usable = [(n, s) for n, s in zip(names, ordered) if not isinstance(s, Exception)]
    tables, notes = rank_systems([s for _, s in usable], settings=settings, alpha=alpha, corpora=corpora or None,
                                 metrics=metrics or None, names=[n for n, _ in usable])
    notes += [f"{n}: left out ({s})" for n, s in zip(names, ordered) if isinstance(s, Exception)]
    if fmt == "json":
        click.echo(json.dumps({"run": info["id"], "alpha": alpha, "settings": settings.to_json(),
                               "matrices": [t.to_json() for t in tables], "notes": notes},
                              ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        emit([{"corpus": t.corpus, "metric": t.metric} | r.to_json() for t in tables for r in t.ranking], "csv")
        return
    console = _stdout_console()
    console.print(f"[bold]run {info['id']}[/]: systems ranked with significance clusters", highlight=False)
    console.print("[dim]a new cluster starts where a system is significantly worse than any system of the "
                  "current one (mt-metrics-eval's rule); ↓: lower is better[/]", highlight=False)
    for t in tables:
        d = digits_for(*(r.score for r in t.ranking))
        title = f"{t.corpus} · {t.metric}{'' if t.higher_is_better else ' ↓'}: {t.n_clusters} clusters"
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        for column in ("cluster", "rank", "system", "score", "p (Holm) to next"):
            table.add_column(column, justify="left" if column == "system" else "right")
        for k, r in enumerate(t.ranking):
            after = t.ranking[k + 1] if k + 1 < len(t.ranking) else None
            p = t.p(r.name, after.name) if after else None
            first = k == 0 or t.ranking[k - 1].cluster != r.cluster
            table.add_row(str(r.cluster) if first else "", str(r.rank), escape(r.name), f"{r.score:.{d}f}",
                          "–" if p is None else f"{p:.4f}", end_section=after is not None and after.cluster != r.cluster)
        console.print(table)
        console.print(f"[dim]paired bootstrap, {escape(t.resolution.describe())}, seed {settings.seed}; "
                      f"{escape(t.correction)}; alpha {alpha:g}[/]\n", highlight=False)
    for note in notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)


def _print_comparison(result) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from evals.compare import digits_for

    console = _stdout_console()
    s = result.settings
    tests = {"bootstrap": f"paired bootstrap ({s.n_resamples} resamples)",
             "randomization": f"approximate randomization ({s.n_trials} trials)",
             "both": f"paired bootstrap ({s.n_resamples}) and approximate randomization ({s.n_trials})"}[s.test]
    console.print(f"[bold]baseline[/]: {escape(result.baseline.label)}", highlight=False)
    holm_note = "; p-values Holm-corrected across systems" if len(result.systems) > 1 else ""
    console.print(f"[dim]{tests}, seed {s.seed}{holm_note}; alpha {result.alpha:g}; ↓: lower is better[/]",
                  highlight=False)
    several = len(result.systems) > 1
    rows = list(zip(result.rows(), result.results))
    for system in result.systems:
        table = Table(title=f"{system.label} against {result.baseline.label}", title_justify="left",
                      box=box.SIMPLE_HEAD)
        columns = ["corpus", "metric", "baseline", "system", "Δ", "Δ 95% CI"]
        columns += (["p (bs)"] if s.test != "randomization" else []) + (["p (ar)"] if s.test != "bootstrap" else [])
        columns += (["p (Holm)"] if several else []) + ["", "docs W/T/L"]
        for column in columns:
            table.add_column(column, justify="left" if column in ("corpus", "metric", "") else "right")
        for row, r in rows:
            if row["system"] != system.label:
                continue
            d = digits_for(row["baseline"], row["score"])
            ci = f"[{row['ci_low']:+.{d}f}, {row['ci_high']:+.{d}f}]" if row["ci_low"] is not None else "–"
            improvement = r.analysis.improvement()
            verdict = ("[green]better[/]" if improvement > 0 else "[red]worse[/]") if row["significant"] else "n.s."
            cells = [escape(row["corpus"]), escape(row["metric"]) + ("" if r.analysis.higher_is_better else " ↓"),
                     f"{row['baseline']:.{d}f}", f"{row['score']:.{d}f}", f"{row['delta']:+.{d}f}", ci]
            if s.test != "randomization":
                cells.append(f"{row['p_bs']:.4f}")
            if s.test != "bootstrap":
                cells.append(f"{row['p_ar']:.4f}")
            cells += ([f"{row['p_holm']:.4f}"] if several else []) + [verdict, row["docs_w/t/l"]]
            table.add_row(*cells)
        console.print(table)
    for (label, corpus), changes in result.changes.items():
        if not changes:
            continue
        metric = result.rank_metric[corpus]
        console.print(f"\n[bold]{escape(label)}[/] · {escape(corpus)}: segments that changed most "
                      f"({escape(metric)})", highlight=False)
        for c in changes:
            deltas = ", ".join(f"{m} {c.delta(m):+.{digits_for(*c.scores[m])}f}" for m in c.scores)
            console.print(f"  [bold]{escape(c.seg_id)}[/] ({escape(c.doc_id)}): {escape(deltas)}", highlight=False)
            for name, text in (("src", c.source), ("ref", c.reference), ("baseline", c.baseline_hypothesis),
                               ("system", c.system_hypothesis)):
                console.print(f"    {name:>8}: {escape(text if text is not None else '(not stored)')}",
                              highlight=False)
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)


# ---- check --------------------------------------------------------------------------------------------


@click.command()
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Baseline file written by `mteval baseline save`.")
@click.option("--baseline-run", default=None, metavar="RUN[:SYSTEM]", help="A stored run as the baseline.")
@click.option("--baseline-system", default=None, metavar="NAME",
              help="Another system of the candidate's run as the baseline.")
@click.option("--run", "run_ref", default="latest", show_default=True, metavar="RUN",
              help="The candidate's run (id or 'latest').")
@click.option("--system", default=None, metavar="NAME",
              help="The candidate system (default: the run's only system).")
@click.option("--policy", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Policy YAML (default: the built-in evals/policy.yaml).")
@click.option("--metric", "metrics", multiple=True, metavar="NAME", help="Only these metrics (repeatable).")
@click.option("--corpus", "corpora", multiple=True, metavar="NAME", help="Only these corpora (repeatable).")
@click.option("--markdown", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Write a Markdown report (also appended to $GITHUB_STEP_SUMMARY when set).")
@click.option("--junit", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Write JUnit XML: one test case per metric, per document, per flag check.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Write the report as JSON.")
@click.option("--annotations", type=click.Choice(sorted(ANNOTATION_FORMATS)), default=None,
              help="Also print one CI annotation per regression: `github` = GitHub Actions `::error` workflow "
                   "commands (on the baseline file, or --annotation-file).")
@click.option("--annotation-file", default=None, metavar="PATH",
              help="The file the annotations point at (default: the --baseline file).")
@store_option(READS)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="What to print on stdout.")
def check(baseline_file, baseline_run, baseline_system, run_ref, system, policy, metrics, corpora, markdown,
          junit, json_path, annotations, annotation_file, db, fmt) -> None:
    """The CI gate: fail when a candidate regresses significantly against a baseline.

    \b
    A metric regresses when its score drops by more than the policy's tolerance
    AND the paired bootstrap says the drop is significant (p < alpha, Holm-corrected
    across the metrics and corpora checked). A segment newly flagged untranslated
    fails too; optional per-document floors come from the policy.
    Exit codes: 0 pass, 1 regression, 2 usage or input error (e.g. mismatched
    metric signatures or segments).
    """
    from evals.gate import check as run_check
    from evals.gate import write_outputs
    from evals.outputs import output_target

    for path, option in ((markdown, "--markdown"), (junit, "--junit"), (json_path, "--json")):
        if path is not None:
            output_target(path, field=option)  # a folder or a FIFO fails before the gate runs
    with db.open() as store:
        report = run_check(
            baseline=baseline_file, baseline_run=baseline_run, baseline_system=baseline_system, run=run_ref,
            system=system, policy=policy, store=store, corpora=corpora or None, metrics=metrics or None,
        )
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        report.render(_stdout_console())
    write_outputs(report, markdown=markdown, junit=junit, json_path=json_path)
    if annotations is not None:
        target = annotation_file or (str(baseline_file) if baseline_file is not None else None)
        for line in ANNOTATION_FORMATS[annotations](report, file=target):
            click.echo(line)
    if not report.passed:
        # click's non-standalone mode swallows Exit codes, so leave with the gate's code directly.
        sys.stdout.flush()
        sys.exit(report.exit_code)


# ---- baseline ----------------------------------------------------------------------------------------


@click.group()
def baseline() -> None:
    """Baseline files for `mteval check --baseline`."""


@baseline.command("save")
@click.argument("spec", metavar="RUN[:SYSTEM]")
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FILE",
              help="Where to write the baseline (e.g. baselines/main.json).")
@click.option("--no-hypotheses", is_flag=True, help="Leave the system's outputs out of the file.")
@store_option(READS)
def save(spec, out, no_hypotheses, db) -> None:
    """Write a run's system as a baseline file: scores, CIs, per-segment statistics, flags, hashes."""
    from evals.compare.baseline import save_baseline
    from evals.compare import parse_side

    side = parse_side(spec)
    if side.path is not None:
        raise click.UsageError(f"baseline save takes RUN[:SYSTEM], got {spec!r}")
    with db.open() as store:
        summary = save_baseline(store, side.run, side.system, out, include_hypotheses=not no_hypotheses)
    click.echo(json.dumps(summary, ensure_ascii=False))
