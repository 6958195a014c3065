"""The ``mteval`` command line: a thin layer over the library.

Exit codes (documented in ``mteval --help``):
  0  success
  1  the command ran and found a problem (e.g. a regression, a failed run)
  2  usage or input error (bad flag, bad file, unknown name) — one line, no traceback
  130 interrupted
"""

from __future__ import annotations

import logging
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
    from evals.cli import analyze, compare, corpus, dashboard, human, meta, models, run, score

    cli.add_command(corpus.corpus)
    run.register(cli)
    score.register(cli)
    compare.register(cli)
    dashboard.register(cli)
    models.register(cli)
    human.register(cli)
    meta.register(cli)
    analyze.register(cli)


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


def redeliver_interrupts(fallback):
    """A ``sys.unraisablehook`` that turns a swallowed Ctrl-C back into a Ctrl-C.

    SIGINT raises ``KeyboardInterrupt`` in whatever Python code runs at that
    moment; when that is a finaliser or a weakref callback the garbage
    collector runs (SQLAlchemy has several), Python cannot raise it there: it
    prints "Exception ignored in …" with a traceback and drops the interrupt,
    so the command would go on as if nobody had pressed Ctrl-C. This hook
    sends SIGINT again from a helper thread a moment later, when the main
    thread is back in ordinary code (were it in a callback again, the same
    happens once more); anything else goes to ``fallback``. The signal
    cannot be raised from the hook itself: the main thread would handle it
    at once, inside the hook, and it would be swallowed again.
    """
    import signal
    import threading

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            timer = threading.Timer(REDELIVERY_DELAY_S, signal.raise_signal, (signal.SIGINT,))
            timer.daemon = True  # a command that is already exiting is not held up or signalled
            timer.start()
            return
        fallback(unraisable)

    return hook


#: How long after a swallowed Ctrl-C it is sent again (the collector's callbacks take microseconds).
REDELIVERY_DELAY_S = 0.01


class _OneLineHandler(logging.Handler):
    """SQLAlchemy's own error logs as one ``warning:`` line each, without their tracebacks.

    The pool logs (with a traceback) what it ignores or re-raises while closing
    or resetting a connection; with no logging configured Python prints that
    to stderr. A Ctrl-C that lands there is the command's "interrupted", not
    a warning, so it is not printed at all.
    """

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, KeyboardInterrupt):
            return
        why = f" ({type(error).__name__}: {error})" if error is not None else ""
        sys.stderr.write(f"warning: {record.name}: {record.getMessage()}{why}\n")


def _library_log_lines() -> logging.Handler | None:
    """Attach ``_OneLineHandler`` to SQLAlchemy's logger unless the user configured logging."""
    logger = logging.getLogger("sqlalchemy")
    if logger.handlers or logging.getLogger().handlers:
        return None
    handler = _OneLineHandler(logging.WARNING)
    logger.addHandler(handler)
    return handler


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the CLI and maps errors to exit codes."""
    _single_threaded_blas()
    _register_commands()
    previous_hook = sys.unraisablehook
    sys.unraisablehook = redeliver_interrupts(previous_hook)
    handler = _library_log_lines()
    try:
        _run(argv)
    finally:
        sys.unraisablehook = previous_hook
        if handler is not None:
            logging.getLogger("sqlalchemy").removeHandler(handler)


def _run(argv: list[str] | None) -> None:
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
