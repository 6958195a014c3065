"""``mteval dashboard`` and ``mteval serve``: the results store as web pages."""

from __future__ import annotations

from pathlib import Path

import click

from evals.cli.stores import READS, store_option


def register(cli: click.Group) -> None:
    cli.add_command(dashboard)
    cli.add_command(serve)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


@click.command()
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("site"), show_default=True,
              help="Folder for the site (an earlier `mteval dashboard` build there is replaced).")
@click.option("--run", "run_refs", multiple=True, metavar="RUN",
              help="Publish only this run in full (id or 'latest'; repeatable). History covers every run.")
@store_option(READS)
def dashboard(out, run_refs, db) -> None:
    """Write the results as a static web site (open OUT/index.html; no server or network needed).

    Pages: leaderboard with confidence intervals, history across runs,
    per-document scores, a segment explorer with word-level differences,
    significance matrices, analyses (bucket charts, phenomena, histograms,
    a two-system scatter), script robustness and provenance.
    """
    from evals.dashboard.site import write_site

    with db.open() as store:
        report = write_site(store, out, run_refs or None)
    runs = ", ".join(str(r) for r in report.runs) or "none"
    reused = f" ({report.reused} unchanged, reused)" if report.reused else ""
    click.echo(f"wrote {report.index} · {report.files} files, {_size(report.bytes)} · runs {runs}{reused}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address exposes the results to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0: any free port; the address is printed).")
@click.option("--quiet", "-q", is_flag=True, help="Do not log requests (nor clients that leave mid-request).")
@store_option(READS)
def serve(host, port, quiet, db) -> None:
    """Serve the dashboard live from the results store (read-only; Ctrl-C stops).

    The same pages as `mteval dashboard`, computed on request: a run that
    finishes while the server is up appears on the next page load.
    """
    from evals.dashboard.server import _is_loopback, make_server
    from evals.errors import InputError

    with db.open() as store:
        try:
            server = make_server(store, host, port, quiet=quiet)
        except OSError as error:
            raise InputError(f"cannot listen on {host}:{port}: {error.strerror or error}", field="--port",
                             hint="pick another --port (0 picks a free one)") from error
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        click.echo(f"serving http://{shown}:{bound_port}/ from {store.url} (read-only; Ctrl-C to stop)")
        if not _is_loopback(bound_host):
            click.echo(f"warning: listening on {bound_host}: anyone who can reach this machine can read the results",
                       err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
        finally:
            server.server_close()
