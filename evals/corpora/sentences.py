"""Sentence splitters for Chinese and English paragraphs.

The aligner (``evals.corpora.align``) pairs sentences inside a paragraph pair,
so the two splitters aim to cut the *same* places in a text and its
translation: after a sentence terminator, with closing quotes and brackets kept
on the sentence they close, and never inside an abbreviation or an elision.

No text is lost. Both splitters are built on span functions
(``zh_sentence_spans`` / ``en_sentence_spans``) that return ordered,
non-overlapping ``(start, end)`` offsets into the input such that:

* every piece ``text[start:end]`` is non-empty and has no leading or trailing
  whitespace;
* everything *between* consecutive spans, before the first and after the last,
  is whitespace only.

So re-joining the pieces with the whitespace that separated them reproduces the
input exactly, and ``re.sub(r"\\s+", "", text) == re.sub(r"\\s+", "",
"".join(pieces))``. In addition, if the text contains at least one letter,
digit or CJK character, every piece does: punctuation is never split off into
a fragment of its own (a stray closing quote or ``。`` joins its neighbour).

Ellipses, decided once for both languages:

* An ellipsis (``...``, ``…``, ``……``) right after a sentence terminator, as in
  ``"I think we had a great call. ... Talked about"`` or ``电话。...谈了``,
  marks words elided between two sentences. The terminator ends the sentence,
  the ellipsis stays on that sentence, and the next sentence starts after it.
* A bare ellipsis ends a sentence only when a closing quote or bracket follows
  it (the speaker trails off and the quotation ends). Otherwise it marks an
  elision or a pause inside the sentence and is not a break.
"""

from __future__ import annotations

import re
from itertools import pairwise

from evals.zh.script import is_han

# --- shared ------------------------------------------------------------------

Span = tuple[int, int]

# Unambiguous closers: they always belong to the sentence before them.
_CLOSERS = "”’」』）》〉】〕］)]}»"
_OPENERS = "“‘「『（《〈【〔［([{«"
# ASCII quotes open or close; which one is decided from context.
_ASCII_QUOTES = "\"'"


def _has_content(piece: str) -> bool:
    return any(ch.isalnum() for ch in piece)


def _spans_from_breaks(text: str, breaks: list[int]) -> list[Span]:
    """Cut ``text`` at ``breaks``; trim whitespace; fold punctuation-only chunks.

    Folding keeps the invariants in the module docstring even for odd input:
    a chunk without letters/digits/CJK joins the chunk before it (or the next
    one, if it is first), so no piece is a lone quote or terminator.
    """
    cuts = [0, *sorted(set(b for b in breaks if 0 < b < len(text))), len(text)]
    spans: list[Span] = []
    for start, end in pairwise(cuts):
        chunk = text[start:end]
        stripped = chunk.strip()
        if not stripped:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))
    merged: list[Span] = []
    pending_start: int | None = None  # leading punctuation-only chunks
    for start, end in spans:
        if pending_start is not None:
            start, pending_start = pending_start, None
        if _has_content(text[start:end]):
            merged.append((start, end))
        elif merged:
            merged[-1] = (merged[-1][0], end)
        else:
            pending_start = start
    if pending_start is not None:  # no content anywhere: one piece
        merged.append((pending_start, spans[-1][1]))
    return merged


def _keep_attributions(text: str, breaks: list[int], attribution: re.Pattern[str]) -> list[int]:
    """Drop a break between a closing quote and a bare attribution after it.

    ``"Is it over?" Trump asked.`` and ``“让这个过程开始吧!”特朗普写道。`` are
    one sentence each: a quotation that ends in ? or ! is followed by its
    speaker, and the attribution alone is no sentence to align.
    """
    kept: list[int] = []
    for k, brk in enumerate(breaks):
        nxt = breaks[k + 1] if k + 1 < len(breaks) else len(text)
        after_quote = text[brk - 1] in _CLOSERS or text[brk - 1] in _ASCII_QUOTES
        if after_quote and attribution.fullmatch(text[brk:nxt].strip()):
            continue
        kept.append(brk)
    return kept


def _next_nonspace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


# --- Chinese -----------------------------------------------------------------

_ZH_STOPS = "。！？；!?;．"
_ZH_CONTINUATION = "，,、:：)）"
_DOTS = re.compile(r"\.+")


class _ZhQuotes:
    """Open-quote bookkeeping, used only to tell an ASCII closer from an opener."""

    def __init__(self) -> None:
        self.depth = 0  # curly quotes and CJK brackets
        self.ascii_open = {'"': False, "'": False}

    def see(self, text: str, i: int) -> None:
        ch = text[i]
        if ch in _OPENERS:
            self.depth += 1
        elif ch in _CLOSERS:
            self.depth = max(0, self.depth - 1)
        elif ch in _ASCII_QUOTES and not _is_apostrophe(text, i):
            self.ascii_open[ch] = not self.ascii_open[ch]

    def closes(self, ch: str) -> bool:
        """Would an ASCII quote right after a terminator close something?"""
        return self.ascii_open[ch] or self.depth > 0

    def close(self, ch: str) -> None:
        if self.ascii_open[ch]:
            self.ascii_open[ch] = False
        else:
            self.depth = max(0, self.depth - 1)


def _is_apostrophe(text: str, i: int) -> bool:
    return text[i] == "'" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def _zh_terminator_at(text: str, i: int) -> bool:
    ch = text[i]
    if ch in _ZH_STOPS or ch == "…":
        return True
    if ch != ".":
        return False
    if text.startswith("..", i):  # an ASCII ellipsis
        return True
    prev = text[i - 1] if i else ""
    return bool(prev) and (is_han(prev) or prev in _CLOSERS or prev in _ASCII_QUOTES)


def _zh_run_end(text: str, i: int, quotes: _ZhQuotes) -> tuple[int, bool, bool]:
    """Extend a terminator at ``i`` over further terminators and closers.

    Returns (end, has_stop, has_closer): whether the run holds a real stop
    (not just an ellipsis) and whether it ended with a closing quote/bracket.
    """
    n = len(text)
    has_stop = has_closer = False
    pos = i
    while pos < n:
        ch = text[pos]
        if ch in _ZH_STOPS:
            has_stop = True
            pos += 1
        elif ch == "…":
            pos += 1
        elif ch == ".":
            dots = _DOTS.match(text, pos).end() - pos
            has_stop = has_stop or dots == 1  # one dot is a full stop, more an ellipsis
            pos += dots
        elif ch in _CLOSERS:
            quotes.see(text, pos)
            has_closer = True
            pos += 1
        elif ch in _ASCII_QUOTES and (quotes.closes(ch) or not _has_content(text[pos + 1 :])):
            quotes.close(ch)
            has_closer = True
            pos += 1
        else:
            ahead = _next_nonspace(text, pos)
            if ahead > pos and ahead < n and text[ahead] in _CLOSERS:
                pos = ahead  # "。 ”": the closer still belongs here
                continue
            break
    return pos, has_stop, has_closer


_ZH_ATTRIBUTION = re.compile(
    r"[^。！？!?；;“”「」\"]{1,20}?"
    r"(?:说|說|道|表示|称|稱|指出|强调|強調|问|問|告诉记者|告訴記者)[。.!！]?"
)


def _zh_breaks(text: str) -> list[int]:
    quotes = _ZhQuotes()
    breaks: list[int] = []
    i, n = 0, len(text)
    while i < n:
        if not _zh_terminator_at(text, i):
            quotes.see(text, i)
            i += 1
            continue
        end, has_stop, has_closer = _zh_run_end(text, i, quotes)
        ahead = _next_nonspace(text, end)
        ends_sentence = has_stop or has_closer
        if ends_sentence and ahead < n and text[ahead] not in _ZH_CONTINUATION:
            breaks.append(end)
        i = end
    return _keep_attributions(text, breaks, _ZH_ATTRIBUTION)


def zh_sentence_spans(text: str) -> list[Span]:
    """Sentence spans of a Chinese paragraph (invariants: module docstring).

    A sentence ends after 。！？；… and ASCII ! ? ; and after a "." that follows
    a Han character or a closing quote (Chinese typed with ASCII punctuation).
    Closing quotes and brackets — curly, CJK and ASCII ones — stay with the
    sentence they close, so ``说：“……结束。”“各国……`` breaks between ``”`` and
    ``“``. An ASCII quote after a terminator is a closer when a quote is open
    (``。"`` closing ``“...``), else it opens the next sentence (``称。"这包括``).
    No break is made before a comma, colon or enumeration comma.
    """
    return _spans_from_breaks(text, _zh_breaks(text))


def split_zh(text: str) -> list[str]:
    """Split a Chinese paragraph into sentences; see ``zh_sentence_spans``."""
    return [text[s:e] for s, e in zh_sentence_spans(text)]


# --- English -----------------------------------------------------------------

# Always followed by a name or a number: never a sentence end.
_EN_PREFIXES = frozenset(
    """Mr Mrs Ms Messrs Dr Prof Gen Sen Sens Rep Reps Gov Lt Col Capt Cmdr Cdr Sgt Maj Adm Brig Cpl Pvt
    Rev Hon Pres Supt Atty Insp St Mt Ft Gens Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec""".split()
)
# Usually not a sentence end, unless a typical sentence opener follows.
_EN_ABBREVIATIONS = frozenset("""etc vs v Jr Sr Inc Corp Ltd Co Bros al approx est dept govt ca cf""".split())
_EN_NUMBER_ABBREVIATIONS = frozenset("""No no Nos nos Nr Art""".split())
_EN_SENTENCE_OPENERS = frozenset(
    """The This That These Those There Then He She It They We I You But And However In On At A An As
    After Before His Her Its Their Our My If When While Meanwhile Still Yet So Also According Some
    Many Most Now What Why How Where Who Earlier Later Last Next Despite Although Though Since For
    From With Without By Under Over Asked Both Each Neither Nor Or Such Only Even""".split()
)
_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # U.S, J.D, a.m, e.g (final dot aside)
_EN_RUN = re.compile(r"[.!?…]+")
_EN_CLOSERS = _CLOSERS + _ASCII_QUOTES
_EN_ELLIPSIS = re.compile(r"(?:\.\s?\.\s?\.|…)[.…]*")
_EDGE_PUNCT = "\"'“‘”’([{«»)]}"


_EN_SPEECH_VERBS = (
    r"(?:said|says|added|adds|wrote|writes|asked|asks|told\s+\w+|tells\s+\w+|responded"
    r"|replied|stated|explained|continued|noted|posted|declared|insisted|argued|recalled)"
)
_EN_SPEAKER = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t|(?:[Tt]he\s+)?[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3})"
_EN_ATTRIBUTION = re.compile(
    rf"(?:{_EN_SPEAKER}\s+{_EN_SPEECH_VERBS}|{_EN_SPEECH_VERBS}\s+{_EN_SPEAKER})\s*[.!]?"
)


def _word_before(text: str, pos: int) -> str:
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:pos].lstrip(_EDGE_PUNCT)


def _word_after(text: str, pos: int) -> str:
    end = pos
    while end < len(text) and not text[end].isspace():
        end += 1
    return re.split(r"[^\w']", text[pos:end].lstrip(_EDGE_PUNCT), maxsplit=1)[0]


def _en_period_ends_sentence(text: str, dot: int, next_pos: int) -> bool:
    """Is the single "." at ``dot`` a sentence end (the next word is capitalised)?"""
    word = _word_before(text, dot)
    following = _word_after(text, next_pos)
    opener_follows = following in _EN_SENTENCE_OPENERS
    if word in _EN_PREFIXES:
        return False
    if word in _EN_NUMBER_ABBREVIATIONS and text[next_pos : next_pos + 1].isdigit():
        return False
    if word in _EN_ABBREVIATIONS or _ACRONYM.fullmatch(word) or re.fullmatch(r"[A-Z]", word):
        return opener_follows
    return True


def _en_can_start(text: str, pos: int) -> bool:
    ch = text[pos]
    return ch.isupper() or ch.isdigit() or ch in _OPENERS or ch in _ASCII_QUOTES


def _en_skip_closers(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _EN_CLOSERS:
        pos += 1
    return pos


def _en_breaks(text: str) -> list[int]:
    breaks: list[int] = []
    consumed = 0
    for match in _EN_RUN.finditer(text):
        start, end = match.span()
        if start < consumed:
            continue  # inside an elision already attached to a sentence
        run = match.group()
        after = _en_skip_closers(text, end)
        has_closer = after > end
        is_ellipsis = "…" in run or len(run) >= 2
        is_stop = "!" in run or "?" in run or run == "." or len(run.replace("…", "...")) >= 4
        if is_stop:
            elision = _EN_ELLIPSIS.match(text, _next_nonspace(text, after))
            if elision and _next_nonspace(text, after) > after:
                after = _en_skip_closers(text, elision.end())
        elif not (is_ellipsis and has_closer):
            continue  # a bare ellipsis inside a sentence
        consumed = after
        ahead = _next_nonspace(text, after)
        if ahead >= len(text) or ahead == after or not _en_can_start(text, ahead):
            continue
        if run == "." and not _en_period_ends_sentence(text, start, ahead):
            continue
        breaks.append(after)
    return _keep_attributions(text, breaks, _EN_ATTRIBUTION)


def en_sentence_spans(text: str) -> list[Span]:
    """Sentence spans of an English paragraph (invariants: module docstring).

    A sentence ends at . ! ? (or runs of them) plus any closing quotes or
    brackets, when whitespace and then a capital, a digit or an opening
    quote/bracket follow. A "." is not an end after a title or month
    abbreviation (Mr., Gen., Jan., Sept.), after "No." before a number, and —
    unless a typical sentence opener such as "The" or "He" follows — after
    acronyms and initials (U.S., J.D., a.m., e.g., D.) or etc., vs., Jr., Inc.
    """
    return _spans_from_breaks(text, _en_breaks(text))


def split_en(text: str) -> list[str]:
    """Split an English paragraph into sentences; see ``en_sentence_spans``."""
    return [text[s:e] for s, e in en_sentence_spans(text)]
