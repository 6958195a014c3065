"""``mteval models fetch|convert|list``: get models into the cache, convert them, see what is there."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def models() -> None:
    """Model files: download for offline runs, convert for CTranslate2, list the cache."""


@models.command()
@click.argument("suite", required=False)
@click.option("--model", "model_ids", multiple=True, metavar="ID[@REV]",
              help="Also fetch this Hugging Face model id (repeatable).")
def fetch(suite, model_ids) -> None:
    """Download every model and metric checkpoint SUITE names into the Hugging Face cache.

    SUITE is a built-in suite name or a YAML file. Afterwards the suite runs
    air-gapped (HF_HUB_OFFLINE=1). Each model that cannot be fetched gets one
    line; the exit code is then 2.
    """
    from evals.errors import Unavailable
    from evals.models.fetch import FetchItem, fetch_items, suite_items
    from evals.models.hub import split_revision
    from evals.suite import load_suite

    if not suite and not model_ids:
        raise click.UsageError("give a SUITE or at least one --model")
    items, notes = suite_items(load_suite(suite)) if suite else ([], [])
    for model_id in model_ids:
        name, revision = split_revision(model_id)
        items.append(FetchItem(name, revision, "model", f"--model {model_id}"))
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if not items:
        click.echo("nothing to fetch")
        return

    def report(result) -> None:
        if result.ok:
            click.echo(f"fetched {result.item.repo_id} @ {result.revision} ({result.item.wanted_by}) → {result.path}")
        else:
            click.echo(f"error: {result.error}", err=True)

    results = fetch_items(items, report=report)
    failed = [r for r in results if not r.ok]
    if failed:
        raise Unavailable(f"{len(failed)} of {len(results)} models could not be fetched")


@models.command()
@click.argument("source", metavar="SRC")
@click.argument("output", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--quantization", default="int8", show_default=True,
              type=click.Choice(["int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16",
                                 "bfloat16", "float32"]),
              help="Weight type of the converted model.")
@click.option("--revision", default=None, help="Revision of a hub model (same as SRC@REV).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def convert(source, output, quantization, revision, force) -> None:
    """Convert a transformers model (directory or cached hub id) to CTranslate2 for `ct2:OUT`.

    The tokenizer files are copied into OUT and mteval-convert.json records the
    source model, its revision and the quantization.
    """
    import json

    from evals.models.convert import convert_model

    done = convert_model(source, output, quantization=quantization, force=force, revision=revision)
    click.echo(json.dumps({
        "output": str(done.output), "source": done.source, "source_revision": done.source_revision,
        "family": done.family, "quantization": done.quantization, "spec": f"ct2:{done.output}",
    }, ensure_ascii=False))


@models.command(name="list")
def list_models() -> None:
    """List the models in the local Hugging Face cache (id, revision, size)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    from evals.models.hub import hub_cache_dir

    try:
        info = scan_cache_dir(hub_cache_dir())
    except CacheNotFound:
        click.echo(f"no Hugging Face cache at {hub_cache_dir()}")
        return
    rows = sorted(info.repos, key=lambda repo: repo.repo_id)
    if not rows:
        click.echo(f"no models in {hub_cache_dir()}")
        return
    for repo in rows:
        for revision in sorted(repo.revisions, key=lambda r: r.commit_hash):
            refs = ",".join(sorted(revision.refs)) or "-"
            click.echo(f"{repo.repo_id}\t{repo.repo_type}\t{revision.commit_hash}\t{refs}\t"
                       f"{revision.size_on_disk_str}")


def register(cli: click.Group) -> None:
    cli.add_command(models)
