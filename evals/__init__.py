"""mteval: a machine-translation evaluation harness for Chinese→English.

The package is a library first; ``evals.cli`` is a thin layer over it. Importing
``evals`` is cheap on purpose: heavy dependencies (torch, transformers, comet)
are imported only inside the functions that need them.
"""

__version__ = "0.1.0"
