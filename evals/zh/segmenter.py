"""The jieba word segmenter, private and quiet.

Each caller gets its own ``jieba.Tokenizer`` rather than jieba's module-level
default one: that is global mutable state (user dictionaries added by one
caller would change another's words). jieba logs "Building prefix dict ..."
at INFO on stderr whenever a tokenizer initialises, which would interleave
with progress output; nothing it logs below WARNING is ever of use to us, so
the ``jieba`` logger is set to WARNING (and left there: a later tokenizer, in
this process or another caller, stays quiet too).
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

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer
