"""Build corpora/ from seeds/ — the same code as ``mteval corpus build``."""

import sys

from evals.cli import main

if __name__ == "__main__":
    main(["corpus", "build", *sys.argv[1:]])
