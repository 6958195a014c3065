"""``python -m evals`` is the same program as the ``mteval`` console script."""

from evals.cli import main

if __name__ == "__main__":
    main()
