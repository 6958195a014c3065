"""Translation prompts for chat models, document-context scheduling, and output clean-up.

Shared by ``llm:`` (a local model through its chat template) and ``openai:``
(an OpenAI-compatible server), so the same suite asks both the same question
and their outputs are cleaned by the same rules.

Prompt
------
One conversation per segment::

    system:    SYSTEM_PROMPT                       (option ``system_prompt``; "" = no system turn)
    user:      USER_TEMPLATE with an earlier segment   ┐ option ``context: N``: the previous N
    assistant: this run's translation of it            ┘ segments of the same document
    …
    user:      USER_TEMPLATE with the segment to translate

``USER_TEMPLATE`` names the source language *with its script* (Simplified or
Traditional Chinese, from ``Segment.script``) and the target language, and
asks for the translation only. Earlier segments are given as earlier chat
turns answered with the translations this system produced for them, which is
how a chat model naturally sees "the conversation so far".

Context scheduling
------------------
With ``context: N`` a segment's prompt holds the translations of the N
segments before it, so a document is translated in order. ``plan_waves``
splits the work into waves: every segment in a wave has all its context
already translated, so one wave is one batch of independent prompts
(segments of different documents, or far enough apart, share a wave). A
context segment this system has not translated in this process (the runner
served it from the translation cache) is translated first, so a segment's
prompt does not depend on what happened to be cached.

Known limit: the runner's translation cache keys a translation by the
system's ``describe()`` and the segment's own source, not by its context, so
with ``context`` the same sentence at two places in a corpus shares one
cached translation.

Clean-up (``clean_output``)
----------------------------
A hypothesis is exactly one line. ``clean_output(text, source)`` applies
these rules until nothing changes (so it is idempotent):

1. ``<think>…</think>`` blocks (reasoning models) are removed; so is an
   unterminated ``<think>`` and everything after it.
2. A markdown code fence: the body of the first fenced block is kept, the
   rest dropped (models put the answer in the block and chat around it);
   stray ````` marks are removed.
3. Lines are stripped; blank lines, preamble lines ("Here is the
   translation:", "Sure! The English translation is:" — a line of at most 14
   words that mentions translating and ends with a colon) and trailing notes
   ("Note: …", "(Note …", "Explanation: …", "注：…" after the first line, and
   everything after them) are dropped; so are lines that repeat the source
   verbatim, bare or after a short label ("Chinese: …", "原文：…"), when
   another line remains (a reply that *only* repeats the source is kept: it
   is an untranslated output, and the flags should see it).
4. A leading label is removed: "Translation:", "English translation:",
   "English:", "Translated text:", "译文：", with or without ``**bold**``
   (at the start of the reply, and of every line of a multi-line reply),
   and an inline preamble ("Here is the translation: Hello." → "Hello.").
5. The remaining lines are joined with single spaces (a model that wraps
   one segment over several lines still produced one segment).
6. Quotes around the whole output ("…", “…”, ‘…’, '…', 「…」, 『…』, «…»)
   are removed when the source does not itself start with a quote and the
   inner text holds no other quote of that kind.
7. Whitespace runs (including Unicode line separators) become one space;
   the result is stripped.

Bump ``PROMPT_VERSION`` when the prompt wording changes and
``CLEANUP_VERSION`` when a clean-up rule changes: both are in every
backend's ``describe()``, so either change invalidates cached translations.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from evals.corpora.model import Segment
from evals.systems.base import TranslationContext

PROMPT_VERSION = "1"
CLEANUP_VERSION = "1"

DEFAULT_SYSTEM_PROMPT = "You are a professional translator."
USER_TEMPLATE = (
    "Translate the following {source_language} text into {target_language}. "
    "Reply with the {target_language} translation only: no explanations, notes or quotation marks "
    "that are not in the original.\n\n{text}"
)

LANGUAGE_NAMES = {"zh": "Chinese", "en": "English"}
SCRIPT_NAMES = {"zh-Hans": "Simplified Chinese", "zh-Hant": "Traditional Chinese"}

Message = dict[str, str]
SegmentKey = tuple[str, str]  # (corpus, seg_id)


# --- prompts ---------------------------------------------------------------------------------


def language_name(lang: str, script: str | None = None) -> str:
    """English name of a language; Chinese is named with its script when known."""
    base = lang.split("-", 1)[0].lower()
    if base == "zh" and script in SCRIPT_NAMES:
        return SCRIPT_NAMES[script]
    return LANGUAGE_NAMES.get(base, lang)


def user_message(segment: Segment) -> str:
    """The request to translate one segment (source language named with its script)."""
    return USER_TEMPLATE.format(
        source_language=language_name(segment.src_lang, segment.script),
        target_language=language_name(segment.tgt_lang),
        text=segment.source,
    )


def resolve_system_prompt(system_prompt: str | None) -> str:
    """None means the default; an empty string means "send no system turn"."""
    return DEFAULT_SYSTEM_PROMPT if system_prompt is None else system_prompt


def build_messages(
    segment: Segment,
    system_prompt: str | None = None,
    history: Sequence[tuple[Segment, str]] = (),
) -> list[Message]:
    """The chat for one segment: system turn, earlier (segment, translation) turns, the request."""
    messages: list[Message] = []
    system = resolve_system_prompt(system_prompt)
    if system:
        messages.append({"role": "system", "content": system})
    for earlier, translation in history:
        messages.append({"role": "user", "content": user_message(earlier)})
        messages.append({"role": "assistant", "content": translation})
    messages.append({"role": "user", "content": user_message(segment)})
    return messages


def prompt_params(system_prompt: str | None, context: int) -> dict[str, Any]:
    """The prompt's part of a backend's ``describe()``: texts, versions and a hash of them."""
    system = resolve_system_prompt(system_prompt)
    text = f"{PROMPT_VERSION}\n{system}\n{USER_TEMPLATE}\n{context}"
    return {
        "prompt_version": PROMPT_VERSION,
        "system_prompt": system,
        "user_template": USER_TEMPLATE,
        "context": context,
        "prompt_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "cleanup_version": CLEANUP_VERSION,
    }


# --- document context ------------------------------------------------------------------------


def segment_key(segment: Segment) -> SegmentKey:
    return (segment.corpus, segment.seg_id)


def plan_waves(
    segments: Sequence[Segment],
    context: TranslationContext,
    n: int,
    known: set[SegmentKey] | dict[SegmentKey, str],
) -> list[list[Segment]]:
    """Order the work so that every segment's previous ``n`` segments are translated first.

    Returns waves of segments, each wave in corpus order: all context of a
    segment in wave ``k`` is in ``known`` or in a wave before ``k``. Context
    segments that are neither known nor requested are added, recursively (a
    requested segment is always planned, known or not).
    """
    needed: dict[SegmentKey, Segment] = {segment_key(s): s for s in segments}
    stack = list(segments)
    while stack:
        segment = stack.pop()
        for earlier in context.previous(segment, n) if n > 0 else ():
            key = segment_key(earlier)
            if key not in known and key not in needed:
                needed[key] = earlier
                stack.append(earlier)
    order = _corpus_order(context, needed.values())
    wave_of: dict[SegmentKey, int] = {}
    for segment in sorted(needed.values(), key=lambda s: order[segment_key(s)]):
        earlier_waves = [
            wave_of[segment_key(p)] for p in (context.previous(segment, n) if n > 0 else ())
            if segment_key(p) in wave_of
        ]
        wave_of[segment_key(segment)] = 1 + max(earlier_waves) if earlier_waves else 0
    waves: list[list[Segment]] = [[] for _ in range(1 + max(wave_of.values(), default=-1))]
    for segment in sorted(needed.values(), key=lambda s: order[segment_key(s)]):
        waves[wave_of[segment_key(segment)]].append(segment)
    return waves


def _corpus_order(context: TranslationContext, segments: Iterable[Segment]) -> dict[SegmentKey, tuple[str, str, int]]:
    """(corpus, document, position in document) of each segment: a sort key that respects context."""
    order: dict[SegmentKey, tuple[str, str, int]] = {}
    for segment in segments:
        if segment_key(segment) in order:
            continue
        for index, member in enumerate(context.document(segment)):
            order[segment_key(member)] = (member.corpus, member.doc_id, index)
    return order


def history_for(
    segment: Segment, context: TranslationContext, n: int, translations: dict[SegmentKey, str]
) -> list[tuple[Segment, str]]:
    """The (earlier segment, its translation) turns for ``segment``'s prompt."""
    if n <= 0:
        return []
    return [(p, translations[segment_key(p)]) for p in context.previous(segment, n)]


def translate_segments(
    segments: Sequence[Segment],
    context: TranslationContext | None,
    *,
    n: int,
    system_prompt: str | None,
    memory: dict[SegmentKey, str],
    complete: Callable[[list[list[Message]]], list[str]],
) -> list[str]:
    """Prompt, complete and clean ``segments``; with ``n`` > 0, wave by wave in document order.

    ``complete`` turns a list of conversations into raw replies (one model
    call per conversation, batched or concurrent as the backend likes).
    ``memory`` holds the cleaned translations this system produced so far
    (context for later segments); it is updated only when ``n`` > 0.
    """
    if not segments:
        return []
    if n <= 0:
        replies = complete([build_messages(s, system_prompt) for s in segments])
        return [clean_output(reply, s.source) for reply, s in zip(replies, segments)]
    if context is None:
        context = TranslationContext(segments)
    produced: dict[SegmentKey, str] = {}
    for wave in plan_waves(segments, context, n, memory):
        conversations = [build_messages(s, system_prompt, history_for(s, context, n, memory)) for s in wave]
        replies = complete(conversations)
        for segment, reply in zip(wave, replies):
            memory[segment_key(segment)] = produced[segment_key(segment)] = clean_output(reply, segment.source)
    return [produced[segment_key(s)] for s in segments]


def check_context_option(value: Any) -> int:
    """``context`` must be a non-negative integer (number of previous segments)."""
    from evals.errors import UsageError

    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"option 'context' must be a non-negative integer, got {value!r}", field="context")
    return value


# --- clean-up --------------------------------------------------------------------------------

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S | re.I)
_FENCE_BLOCK = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.S)
_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?\s*(?:(?:the\s+)?(?:english|chinese|final)\s+)?"
    r"(?:translation|translated\s+text|english|译文|翻译|譯文)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*",
    re.I,
)
_INLINE_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|okay|ok|certainly|of\s+course)\b[\s,.!]*)?"
    r"(?:(?:here(?:'s|’s|\s+is|\s+are)|below\s+is)\b[^:：\n]{0,60}?translat[^:：\n]{0,40}?"
    r"|(?:the\s+)?(?:\w+\s+)?translation\s+(?:is|reads))\s*[:：]\s*",
    re.I,
)
_NOTE = re.compile(
    r"^\s*(?:\(\s*(?:note|notes|n\.b\.)\b"
    r"|(?:\*\*|__)?\s*(?:note|notes|explanation|注|注释|註|说明|說明)\s*(?:\*\*|__)?\s*[:：])",
    re.I,
)
_ANY_LABEL = re.compile(r"^\s*(?:\*\*|__)?[^\W\d_][\w ]{0,24}(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*")
_QUOTES = (('"', '"'), ("“", "”"), ("‘", "’"), ("'", "'"), ("「", "」"), ("『", "』"), ("«", "»"))
_SOURCE_OPENERS = tuple({open_ for open_, _ in _QUOTES} | {"”", "„", "‚", "﹁", "﹃", "＂"})
_WHITESPACE = re.compile(r"\s+")


def clean_output(text: str, source: str = "") -> str:
    """Reduce a chat model's reply to the one-line translation (rules in the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    # Each pass only removes text or turns line breaks into single spaces, so
    # this reaches a fixed point; the bound is a guard, never reached.
    for _ in range(2 * len(text) + 4):
        cleaned = _clean_once(text, source)
        if cleaned == text:
            return cleaned
        text = cleaned
    return text


def _clean_once(text: str, source: str) -> str:
    text = _THINK.sub("", text)
    if "```" in text:
        block = _FENCE_BLOCK.search(text)
        if block and block.group(1).strip():
            text = block.group(1)
        text = text.replace("```", "")
    lines: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or _is_preamble_line(line):
            continue
        if lines and _NOTE.match(line):
            break  # a note after the translation: it and everything after it go
        lines.append(line)
    source_line = _WHITESPACE.sub(" ", source).strip()
    rest = [line for line in lines if not _repeats_source(line, source_line)]
    if rest and len(rest) < len(lines):
        lines = rest  # the model repeated the source ("Chinese: …") before or after translating it
    if len(lines) > 1:
        lines = [_strip_label(line) for line in lines]
    text = " ".join(lines)
    text = _strip_prefixes(text)
    text = _strip_quotes(text, source)
    return _WHITESPACE.sub(" ", text).strip()


def _is_preamble_line(line: str) -> bool:
    """A short line that announces the translation and ends with a colon."""
    if not line.endswith((":", "：")) or len(line.split()) > 14:
        return False
    return "translat" in line.lower() or "译" in line or "譯" in line


def _repeats_source(line: str, source_line: str) -> bool:
    """The line is the source, possibly after a short label ("Chinese: …", "原文：…")."""
    if not source_line:
        return False
    line = _WHITESPACE.sub(" ", line)
    return line == source_line or _ANY_LABEL.sub("", line, count=1) == source_line


def _strip_label(text: str) -> str:
    label = _LABEL.match(text)
    return text[label.end():] if label and label.end() < len(text) else text


def _strip_prefixes(text: str) -> str:
    return _strip_label(_INLINE_PREAMBLE.sub("", text, count=1))


def _strip_quotes(text: str, source: str) -> str:
    text = text.strip()
    if source.strip().startswith(_SOURCE_OPENERS):
        return text
    for open_, close in _QUOTES:
        if len(text) >= 2 and text.startswith(open_) and text.endswith(close):
            inner = text[len(open_):-len(close)]
            if open_ not in inner and close not in inner:
                return inner
    return text
