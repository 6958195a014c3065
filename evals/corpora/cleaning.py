"""Boilerplate removal: what is article text and what is not.

Web-scraped news carries debris: image-placeholder tokens, photo credits,
reposting disclaimers, comment forms, citation lines, blog footers in another
language. Every rule here is about the *shape* of a line — its language, its
script, its length, its position, a label followed by a colon — never about a
particular file, so the same rules clean the next seed too. Every line that is
dropped (or edited) is logged with the rule that dropped it.

The result is a list of ``Paragraph``s that still remember the file lines they
came from, so later stages can report line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evals.corpora.language import LanguageIdentifier, cjk_ratio, words
from evals.corpora.model import CleaningAction
from evals.corpora.reading import normalise_spaces

# A line made of one Latin token (letters and digits, no spaces): in news text
# that is never a paragraph; scrapers leave such tokens where images were.
_LONE_TOKEN = re.compile(r"^[A-Za-z0-9]{2,16}$")

# "图源:CBC", "图片来源：新华社", "Photo: Reuters", "Source: AP" — a label, a
# colon and a short name. Attributions are never translated content.
_ATTRIBUTION = re.compile(
    r"^[\(（\[]?\s*(图源|图片来源|图片|图|来源|资料来源|摄影|摄|圖源|圖片來源|圖片|來源|資料來源|攝影|"
    r"photo|photos|image|images|picture|source|sources|credit|credits|photograph|via)"
    r"\s*(by)?\s*[:：]",
    re.IGNORECASE,
)
_ATTRIBUTION_MAX_CHARS = 40

# Disclaimers and reposting notices: a notice label at the start, or an e-mail
# address / URL next to rights or contact vocabulary.
_NOTICE_LABEL = re.compile(
    r"^(免责声明|免責聲明|版权声明|版權聲明|版权所有|版權所有|转载声明|轉載聲明|声明|聲明|"
    r"disclaimer|copyright|©|all rights reserved)\s*[:：]?",
    re.IGNORECASE,
)
_EMAIL_OR_URL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|https?://\S+|www\.\S+", re.IGNORECASE)
_RIGHTS_WORDS = re.compile(
    r"版权|版權|转载|轉載|侵权|侵權|原作者|出处|出處|联系|聯繫|邮件|郵件|"
    r"copyright|rights|reprint|contact|e-?mail",
    re.IGNORECASE,
)

# Comment forms and blog chrome at the end of a page.
_FORM_WORDS = re.compile(
    r"发表评论|發表評論|我要评论|我要評論|暂无评论|暫無評論|评论列表|評論列表|网友评论|網友評論|"
    r"电子邮箱|電子郵箱|邮箱地址|郵箱地址|必填项|必填項|分享到|"
    r"^\s*(评论|評論|留言|回复|回覆|comments?|reply|replies|share|tags?)\s*[:：]?\s*$|"
    r"leave a (comment|reply)|post a comment|no comments|add a comment|your e-?mail address|"
    r"required fields?|subscribe to|share this|posted by|newer post|older post",
    re.IGNORECASE,
)
_FOOTER_MAX_CHARS = 60
_FOOTER_MAX_WORDS = 10

# Citation lines: "1. Author, A; ... 13 Feb 2025: A1." or "[1] ...".
_FOOTNOTE_START = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})\.)\s+\S")
_BIBLIO_EVIDENCE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b.*|\b(ed\.|edition|journal|vol\.|pp\.|doi|isbn|retrieved|accessed)\b",
    re.IGNORECASE,
)
_AUTHOR_LIST = re.compile(r"[A-Z][\w'-]+, [A-Z][\w.' -]*;")
_INLINE_MARKER = r"\s?\[{n}\]"

# Characters after which a paragraph is complete; a line ending otherwise may be
# hard-wrapped and continue on the next line.
_TERMINATORS = tuple("。！？!?.…”\"’'）)]】」』:：;；")


@dataclass
class Paragraph:
    """Cleaned paragraph text plus the file lines it came from."""

    text: str
    lines: list[int]


@dataclass
class CleanResult:
    paragraphs: list[Paragraph]
    log: list[CleaningAction] = field(default_factory=list)


@dataclass
class _Line:
    number: int
    text: str


def clean_lines(lines: list[str], identifier: LanguageIdentifier | None = None) -> CleanResult:
    """Turn raw file lines (1-based numbering) into cleaned paragraphs and a log."""
    identifier = identifier or LanguageIdentifier()
    log: list[CleaningAction] = []
    numbered = _normalise(lines, log)
    numbered = _drop_placeholders(numbered, log)
    blocks = _assemble_paragraphs(numbered)
    blocks = _drop_anywhere(blocks, log)
    blocks = _drop_footer(blocks, identifier, log)
    paragraphs = [
        Paragraph(text=" ".join(l.text for l in block) if _is_latin(block) else "".join(l.text for l in block),
                  lines=[l.number for l in block])
        for block in blocks
    ]
    paragraphs = _strip_footnote_markers(paragraphs, log)
    log.sort(key=lambda action: (action.line, action.action))
    return CleanResult(paragraphs=paragraphs, log=log)


def _normalise(lines: list[str], log: list[CleaningAction]) -> list[_Line | None]:
    """Normalise odd spaces; blank lines become ``None`` (paragraph breaks)."""
    out: list[_Line | None] = []
    for number, raw in enumerate(lines, start=1):
        text = normalise_spaces(raw)
        if not text:
            if raw.strip(" \t"):
                log.append(CleaningAction(number, "dropped", "whitespace-only line (odd spaces)", raw))
            out.append(None)
            continue
        if text != raw.strip(" \t") and _has_odd_space(raw):
            log.append(CleaningAction(number, "normalised", "odd spaces replaced by ASCII spaces", raw))
        out.append(_Line(number, text))
    return out


def _has_odd_space(text: str) -> bool:
    return any(ch.isspace() and ch not in " \t" for ch in text) or any(
        ch in "\u200b\u200c\u200d\ufeff\u2060" for ch in text
    )


def _context_is_chinese(lines: list[_Line | None], index: int) -> bool:
    """Whether the nearest real text lines around ``index`` are Chinese."""
    neighbours = []
    for step in (-1, 1):
        j = index + step
        while 0 <= j < len(lines):
            line = lines[j]
            if line is not None and not _LONE_TOKEN.match(line.text):
                neighbours.append(cjk_ratio(line.text))
                break
            j += step
    return bool(neighbours) and max(neighbours) >= 0.3


def _drop_placeholders(lines: list[_Line | None], log: list[CleaningAction]) -> list[_Line | None]:
    out: list[_Line | None] = []
    for index, line in enumerate(lines):
        if line is not None and _LONE_TOKEN.match(line.text):
            token = line.text
            if _context_is_chinese(lines, index):
                reason = "lone Latin token between Chinese paragraphs (image placeholder)"
            elif any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
                reason = "lone token mixing letters and digits (image placeholder)"
            elif token.islower():
                reason = "lone lower-case token on its own line (image placeholder)"
            else:
                out.append(line)
                continue
            log.append(CleaningAction(line.number, "dropped", reason, token))
            out.append(None)
            continue
        out.append(line)
    return out


def _assemble_paragraphs(lines: list[_Line | None]) -> list[list[_Line]]:
    """Group lines into paragraphs.

    Each line is a paragraph, except that a hard-wrapped line — one that fills
    most of the file's line width and does not end a sentence — continues on
    the next line of the same blank-line-separated block.
    """
    width = max((len(l.text) for l in lines if l is not None), default=0)
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        if line is None:
            if current:
                blocks.append(current)
            current = []
            continue
        if current and _continues(current[-1], width):
            current.append(line)
        else:
            if current:
                blocks.append(current)
            current = [line]
    if current:
        blocks.append(current)
    return blocks


def _continues(previous: _Line, width: int) -> bool:
    text = previous.text
    return len(text) >= 0.6 * width and width >= 40 and not text.endswith(_TERMINATORS)


def _is_latin(block: list[_Line]) -> bool:
    return cjk_ratio(" ".join(l.text for l in block)) < 0.3


def _block_text(block: list[_Line]) -> str:
    return " ".join(l.text for l in block)


def _drop_block(block: list[_Line], reason: str, log: list[CleaningAction]) -> None:
    for line in block:
        log.append(CleaningAction(line.number, "dropped", reason, line.text))


def _is_attribution(text: str) -> bool:
    return len(text) <= _ATTRIBUTION_MAX_CHARS and bool(_ATTRIBUTION.match(text))


def _is_disclaimer(text: str) -> bool:
    if _NOTICE_LABEL.match(text):
        return True
    return bool(_EMAIL_OR_URL.search(text)) and bool(_RIGHTS_WORDS.search(text))


def _citation_number(text: str, full_text: str) -> str | None:
    """The footnote number if ``text`` is a bibliographic citation line."""
    match = _FOOTNOTE_START.match(text)
    if not match:
        return None
    number = match.group(1) or match.group(2)
    referenced = f"[{number}]" in full_text.replace(text, "")
    looks_bibliographic = bool(_BIBLIO_EVIDENCE.search(text)) and (
        bool(_AUTHOR_LIST.search(text)) or referenced or text.count(";") >= 1
    )
    return number if looks_bibliographic and (referenced or _AUTHOR_LIST.search(text)) else None


def _drop_anywhere(blocks: list[list[_Line]], log: list[CleaningAction]) -> list[list[_Line]]:
    """Rules that hold wherever the line is: attributions, notices, citations."""
    full_text = "\n".join(_block_text(b) for b in blocks)
    kept = []
    for block in blocks:
        text = _block_text(block)
        if _is_attribution(text):
            _drop_block(block, "attribution line (label + colon + short name: photo credit or source)", log)
        elif _is_disclaimer(text):
            _drop_block(block, "disclaimer / reposting notice", log)
        elif (number := _citation_number(text, full_text)) is not None:
            _drop_block(block, f"citation line (footnote {number})", log)
        else:
            kept.append(block)
    return kept


def _is_short(text: str) -> bool:
    return len(text) <= _FOOTER_MAX_CHARS and len(words(text)) <= _FOOTER_MAX_WORDS


def _footer_reason(text: str, body_lang: str, identifier: LanguageIdentifier) -> str | None:
    if not _is_short(text):
        return None
    if _FORM_WORDS.search(text):
        return "comment form / page chrome at the end of the page"
    detected = identifier.classify(text)
    if detected.lang not in ("zh", "en", "none") and detected.confidence >= 0.9:
        return f"footer in another language ({detected.lang}) at the end of the page"
    if body_lang == "zh" and detected.lang != "zh":
        return "non-Chinese line at the end of a Chinese page"
    return None


def _drop_footer(
    blocks: list[list[_Line]], identifier: LanguageIdentifier, log: list[CleaningAction]
) -> list[list[_Line]]:
    """Walk back from the end while lines look like page chrome, dropping them."""
    if not blocks:
        return blocks
    body = "".join(_block_text(b) for b in blocks)
    body_lang = "zh" if cjk_ratio(body) >= 0.3 else "en"
    end = len(blocks)
    while end > 0:
        reason = _footer_reason(_block_text(blocks[end - 1]), body_lang, identifier)
        if reason is None:
            break
        _drop_block(blocks[end - 1], reason, log)
        end -= 1
    return blocks[:end]


def _strip_footnote_markers(paragraphs: list[Paragraph], log: list[CleaningAction]) -> list[Paragraph]:
    """Remove "[1]"-style markers whose citation line was dropped."""
    numbers = [
        a.reason.rsplit(" ", 1)[-1].rstrip(")") for a in log if a.reason.startswith("citation line")
    ]
    for number in dict.fromkeys(numbers):
        marker = re.compile(_INLINE_MARKER.format(n=re.escape(number)))
        for paragraph in paragraphs:
            if marker.search(paragraph.text):
                paragraph.text = marker.sub("", paragraph.text)
                log.append(
                    CleaningAction(paragraph.lines[-1], "edited", f"removed footnote marker [{number}]",
                                   f"[{number}]")
                )
    return paragraphs
