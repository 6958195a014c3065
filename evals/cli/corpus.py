"""``mteval corpus …``: build and inspect the evaluation corpora."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def corpus() -> None:
    """Build and inspect evaluation corpora."""


@corpus.command("build")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=Path("seeds"),
              show_default=True, help="Directory of seed articles (*.txt).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("corpora"),
              show_default=True, help="Where to write the corpus files.")
@click.option("--hant-to-hans", is_flag=True,
              help="Also write mono-zh.zh-Hans.jsonl with Traditional-only documents converted to Simplified.")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable seeds (reported) instead of failing.")
def build(seeds_dir: Path, out_dir: Path, hant_to_hans: bool, skip_bad: bool) -> None:
    """Clean, pair, split and align the seeds into corpora/*.jsonl (deterministic)."""
    from rich.console import Console

    from evals.corpora.builder import BuildOptions, build_corpora, build_stats

    console = Console(stderr=True)
    with console.status("building corpora…") as status:
        report = build_corpora(
            seeds_dir, out_dir, BuildOptions(hant_to_hans=hant_to_hans, skip_bad=skip_bad),
            progress=lambda name: status.update(f"building corpora: {name}"),
        )
    for problem in report.problems:
        console.print(f"[yellow]warning:[/] {problem}")
    stats = build_stats(report)
    docs = ", ".join(f"{n} {k}" for k, n in stats["documents"].items())
    click.echo(f"documents: {docs}; paragraph pairs: {stats['paragraph_pairs']}")
    for name, count in stats["segments"].items():
        click.echo(f"  {name}: {count} segments")
    click.echo("beads (paired): " + ", ".join(f"{k}={v}" for k, v in stats["beads"].items()))
    dropped = sum(n for reason, n in stats["cleaning"].items() if reason.startswith("dropped"))
    click.echo(f"cleaning: {dropped} lines dropped (see {out_dir}/README.md)")
    click.echo(f"wrote {len(report.written)} files to {out_dir}")
