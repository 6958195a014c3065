"""The jieba word segmenter, private and quiet.

Each caller gets its own ``jieba.Tokenizer`` rather than jieba's module-level
default one: that is global mutable state (user dictionaries added by one
caller would change another's words). Initialising it logs "Building prefix
dict ..." at INFO on stderr, which would interleave with progress output, so
the ``jieba`` logger is held at WARNING while it loads and restored after.
"""

from __future__ import annotations

import logging
from typing import Any


def quiet_jieba() -> Any:
    """A private jieba tokenizer, initialised now (about a second), without jieba's INFO chatter."""
    import warnings

    with warnings.catch_warnings():  # jieba 0.42 imports the deprecated pkg_resources
        warnings.simplefilter("ignore", UserWarning)
        import jieba

    tokenizer = jieba.Tokenizer()
    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        tokenizer.initialize()
    finally:
        logger.setLevel(level)
    return tokenizer
