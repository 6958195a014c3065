"""sacrebleu's ``13a`` and ``zh`` BLEU tokenizers with the same output, several times faster.

Why: both end in sacrebleu's ``TokenizerRegexp``, whose first rule,
``([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])`` -> ``' \\1 '``, puts spaces around
every ASCII symbol and every space. Python 3.11 expands a group reference in
a replacement template with a Python-level call per match, and spaces match,
so the rule costs ~1 microsecond per word: most of BLEU's time once n-gram
counting is compiled (``evals.metrics.ngram_match``).

The rule matches one character at a time, so it maps each such character
``c`` to ``' c '`` independently: one ``str.replace`` per character of the
class (read from the rule's own compiled pattern), spaces first. The other three rules (periods
and commas after or before a non-digit, a dash after a digit) match two
characters, a fixed one of which is ``.``, ``,`` or ``-``: they are applied
by visiting those characters left to right with the regex engine's rule for
non-overlapping matches (a match resumes the scan after its second
character), in sacrebleu's order, then sacrebleu's ``' '.join(line.split())``.
Lines without those characters skip them.
Everything before (13a's ``<skipped>``/entity handling, zh's splitting of
Chinese characters) stays sacrebleu's own code: ``faster`` hands back a
sacrebleu tokenizer whose post-tokenizer is replaced.

If a sacrebleu release changes the rules, ``faster`` returns the tokenizer
unchanged (the rules are compared with the ones this equivalence was proven
for).
"""

from __future__ import annotations

import copy
from typing import Any

# sacrebleu 2.x ``TokenizerRegexp._re``: (pattern, replacement) in order.
_RULES = (
    (r"([\{-\~\[-\` -\&\(-\+\:-\@\/])", r" \1 "),
    (r"([^0-9])([\.,])", r"\1 \2 "),
    (r"([\.,])([^0-9])", r" \1 \2"),
    (r"([0-9])(-)", r"\1 \2 "),
)


_DIGITS = "0123456789"  # the regexes' ``0-9``: ASCII digits only


class _FastRegexp:
    """sacrebleu's ``TokenizerRegexp`` (same rules, same output) without a Python call per regex match."""

    def __init__(self, rules: list[tuple[Any, str]]) -> None:
        import re

        first = rules[0][0]
        # The class is ASCII-only (tests check every code point). Space first: see ``_spaced``.
        self._symbols = sorted((chr(code) for code in range(128) if first.fullmatch(chr(code))),
                               key=lambda char: char != " ")
        self._marks = re.compile(r"[.,]")
        self._dashes = re.compile(r"-")

    def signature(self) -> str:
        return "re"

    def __call__(self, line: str) -> str:
        line = self._spaced(line)
        if "." in line or "," in line:
            line = self._split_before(line)
            line = self._split_after(line)
        if "-" in line:
            line = self._split_dashes(line)
        return " ".join(line.split())

    def _spaced(self, line: str) -> str:
        r"""``([\{-\~\[-\` -\&\(-\+\:-\@\/])`` -> ``' \1 '``: each such character ``c`` becomes ``' c '``.

        One ``str.replace`` per character present: the space's comes first,
        so the spaces the others add are not tripled, and no replacement
        touches what another put in -- the result is the one-pass regex's.
        """
        for char in self._symbols:
            if char in line:
                line = line.replace(char, f" {char} ")
        return line

    def _split_before(self, line: str) -> str:
        r"""``([^0-9])([\.,])`` -> ``'\1 \2 '``: scanning left to right, a mark after a non-digit, unless
        that non-digit was the mark of the previous match (a match takes two characters)."""
        out, copied, end = [], 0, 0
        for found in self._marks.finditer(line):
            mark = found.start()
            if mark - 1 >= end and line[mark - 1] not in _DIGITS:
                out += (line[copied:mark], " ", line[mark], " ")
                copied = end = mark + 1
        return "".join(out) + line[copied:] if out else line

    def _split_after(self, line: str) -> str:
        r"""``([\.,])([^0-9])`` -> ``' \1 \2'``: a mark before a non-digit, unless the mark was the second
        character of the previous match."""
        out, copied, end = [], 0, 0
        for found in self._marks.finditer(line):
            mark = found.start()
            if mark >= end and mark + 1 < len(line) and line[mark + 1] not in _DIGITS:
                out += (line[copied:mark], " ", line[mark], " ", line[mark + 1])
                copied = end = mark + 2
        return "".join(out) + line[copied:] if out else line

    def _split_dashes(self, line: str) -> str:
        r"""``([0-9])(-)`` -> ``'\1 \2 '`` (two matches cannot overlap: each starts with a digit)."""
        out, copied = [], 0
        for found in self._dashes.finditer(line):
            dash = found.start()
            if dash >= 1 and line[dash - 1] in _DIGITS:
                out += (line[copied:dash], " - ")
                copied = dash + 1
        return "".join(out) + line[copied:] if out else line


def faster(tokenizer: Any) -> Any:
    """A copy of a sacrebleu tokenizer whose ``TokenizerRegexp`` post-tokenizer is the translation-table one.

    Tokenizers without that post-tokenizer (``intl``, ``char``, ``none``,
    ...) or with other rules come back unchanged.
    """
    post = getattr(tokenizer, "_post_tokenizer", None)
    rules = getattr(post, "_re", None)
    if not isinstance(rules, list) or [(p.pattern, r) for p, r in rules] != list(_RULES):
        return tokenizer
    fast = copy.copy(tokenizer)
    fast._post_tokenizer = _FastRegexp(rules)
    return fast
