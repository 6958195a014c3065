"""The ``mteval`` command line: a thin layer over the library.

Exit codes (documented in ``mteval --help``):
  0  success
  1  the command ran and found a problem (e.g. a regression, a failed run)
  2  usage or input error (bad flag, bad file, unknown name) — one line, no traceback
  130 interrupted
"""

from __future__ import annotations

import os
import sys

import click

from evals import __version__
from evals.errors import MtevalError

EPILOG = """\b
Exit codes: 0 success, 1 problem found (e.g. regression), 2 usage or input error,
130 interrupted.
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mteval")
def cli() -> None:
    """mteval — evaluate Chinese→English machine translation.

    Build corpora from seed articles, translate them with MT systems, score the
    translations with sacrebleu and COMET, and keep every result in a database.
    """


def _register_commands() -> None:
    from evals.cli import compare, corpus, dashboard, human, meta, models, run, score

    cli.add_command(corpus.corpus)
    run.register(cli)
    score.register(cli)
    compare.register(cli)
    dashboard.register(cli)
    models.register(cli)
    human.register(cli)
    meta.register(cli)


def _single_threaded_blas() -> None:
    """One OpenBLAS thread unless the user chose otherwise (before numpy loads it).

    mteval's BLAS work is the bootstrap's small products (1,000 resamples x
    a few thousand segments x a few statistics). OpenBLAS splits each over
    every core and its idle threads then spin (``sched_yield``) on the cores
    the rest of the run needs: on the WMT22 benchmark (12 systems, BLEU and
    chrF, 2 cores) that cost 2.7 s of system time and 1.9 s of wall-clock,
    more than the products themselves. Torch (COMET) has its own thread
    pool and is not affected.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the CLI and maps errors to exit codes."""
    _single_threaded_blas()
    _register_commands()
    try:
        code = cli.main(args=argv, prog_name="mteval", standalone_mode=False)
        if isinstance(code, int) and code:  # ctx.exit(n) returns n in non-standalone mode
            sys.exit(code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(2 if isinstance(error, click.UsageError) else error.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except MtevalError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    sys.exit(0)
