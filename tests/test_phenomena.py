"""The zh→en phenomenon checks (issue 18): extraction, matching, the number reader, and the metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.metrics import build_metric, get_metric, metric_class
from evals.phenomena import CHECKS, analyze, check_segment
from evals.phenomena.english_numbers import roman_value, values_in_text, words_value
from evals.zh.numerals import kept_number_spans

# ---- the English number reader ------------------------------------------------------------------

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell(n: int) -> str:
    """An integer in English words (an independent writer, to test the reader against)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _ONES[n // 100] + " hundred" + (" and " + spell(n % 100) if n % 100 else "")
    for scale, word in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")):
        if n >= scale:
            return spell(n // scale) + " " + word + (" " + spell(n % scale) if n % scale else "")
    raise AssertionError(n)


@given(st.integers(min_value=0, max_value=10**12))
def test_an_integer_in_digits_is_read_as_itself(n):
    assert float(n) in values_in_text(f"about {n} people")


@given(st.integers(min_value=1000, max_value=10**12))
def test_an_integer_with_thousands_separators_is_read_as_itself(n):
    assert float(n) in values_in_text(f"a total of {n:,} yuan")


@given(st.integers(min_value=1, max_value=999), st.sampled_from([("thousand", 10**3), ("million", 10**6),
                                                                   ("billion", 10**9)]))
def test_n_million_is_n_times_a_million(n, scale):
    word, factor = scale
    assert float(n * factor) in values_in_text(f"{n} {word} dollars")


@given(st.integers(min_value=0, max_value=999_999_999))
def test_an_integer_in_words_is_read_as_itself(n):
    assert words_value(spell(n)) == n
    assert float(n) in values_in_text(f"there were {spell(n)} of them")


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=9))
def test_a_decimal_with_a_scale_is_read_exactly(whole, tenth):
    value = float(f"{whole}.{tenth}")
    assert any(math.isclose(v, value * 10**6) for v in values_in_text(f"{whole}.{tenth} million"))


@pytest.mark.parametrize("numeral, value", [("III", 3), ("IV", 4), ("XVII", 17), ("XLII", 42), ("XC", 90)])
def test_roman_numerals(numeral, value):
    assert roman_value(numeral) == value
    assert float(value) in values_in_text(f"Article {numeral} of the law")


# ---- Chinese numbers in the source --------------------------------------------------------------

@pytest.mark.parametrize("source, values", [
    ("两百多人", [200]), ("24小时", [24]), ("3.5亿元", [350_000_000]), ("1,000元", [1000]), ("3万", [30_000]),
    ("百分之三十", [30]), ("31.2%", [31.2]), ("2万4801张", [24801]), ("820 万美元", [8_200_000]),
    ("四成以上", [40]), ("1000万", [10_000_000]), ("两年前", [2]), ("第二十四条", [24]),
])
def test_kept_numbers(source, values):
    assert [v for _, _, v in kept_number_spans(source)] == values


@pytest.mark.parametrize("source", ["周一", "三分之一", "几十个", "十几个", "三星手机", "一个人", "千方百计",
                                    "红十字会", "“十四五”规划", "一二三年级", "父母两人", "双十一", "百分二百的力"])
def test_not_numbers_a_translation_keeps(source):
    assert kept_number_spans(source) == []


@given(st.integers(min_value=2, max_value=10**9))
def test_an_arabic_number_and_its_chinese_scale(n):
    (span,) = kept_number_spans(f"共{n}元")
    assert span[2] == n
    (span,) = kept_number_spans(f"共{n}万元")
    assert span[2] == n * 10**4


# ---- the checks -----------------------------------------------------------------------------------

def verdicts(check, source, hypothesis):
    return [ok for _, ok in check_segment(check, source, hypothesis)]


@pytest.mark.parametrize("source, hypothesis, expected", [
    ("两百多人参加", "More than 200 people attended", [True]),
    ("营业24小时", "Open 24 hours", [True]),
    ("投资3.5亿元", "an investment of 350 million yuan", [True]),
    ("投资3.5亿元", "an investment of 3.5 billion yuan", [False]),
    ("3万人", "30,000 people", [True]), ("3万人", "30 thousand people", [True]), ("3万人", "3 people", [False]),
    ("1000元", "one thousand yuan", [True]), ("1,000元", "1000 yuan", [True]),
    ("预计18:40送达", "expected at 6:40 pm", [True, True]),  # the hour and the minutes
    ("80年代", "the 1980s", [True]),
])
def test_numbers(source, hypothesis, expected):
    assert verdicts("numbers", source, hypothesis) == expected


@pytest.mark.parametrize("source, hypothesis, expected", [
    ("周一开会", "The meeting is on Monday", [True]), ("星期一开会", "on Mon. the meeting", [True]),
    ("礼拜天休息", "rest on Sunday", [True]), ("周一开会", "The meeting is on Tuesday", [False]),
    ("3月5日", "on March 5", [True]), ("3月5日", "on 5 March", [True]), ("3月5日", "on March 6", [False]),
    ("2021年", "in 2021", [True]), ("2022年1月17日", "2022-01-17", [True, True]),
    ("3至6月", "from March to June", [True, True]), ("农历十一月", "the eleventh lunar month", []),
    ("三个月", "three months", []),
])
def test_dates(source, hypothesis, expected):
    assert verdicts("dates", source, hypothesis) == expected


def test_numbers_inside_dates_are_the_dates_check():
    assert verdicts("numbers", "2021年12月11日", "December 11, 2021") == []


@pytest.mark.parametrize("source, hypothesis, expected", [
    ("特朗普(Donald Trump)说", "Donald Trump said", [True]), ("特朗普(Donald Trump)说", "Trump said", [False]),
    ("连上Wi-Fi", "connect to WiFi", [True]), ("我 order 了", "I ordered", []), ("最IN的搭配", "trendiest", []),
    ("Descriptive Catalogue", "Descriptive Catalog", [True]),
])
def test_names(source, hypothesis, expected):
    assert verdicts("names", source, hypothesis) == expected


@pytest.mark.parametrize("source, hypothesis, expected", [
    ("不会再用 #PRS_ORG#！", "will not use #PRS_ORG# again!", [True]),
    ("不会再用 #PRS_ORG#！", "will not use # PRS_ORG # again!", [False]),
    ("我 order 了 ＃#NUMBER#", "I ordered ##NUMBER#", [True]),
    ("#NAME# 和 #NAME#", "#NAME# and someone", [True, False]),
    ("链接https://zhuanlan.zhihu.com/p/60474873，或", "link: https://zhuanlan.zhihu.com/p/60474873, or", [True]),
    ("官网（http://www.mesobiosys.com）", "website (http://www. Mesobiosys. Com)", [False]),
    ("邮箱abc@example.com。", "e-mail abc@example.com.", [True]),
])
def test_copies(source, hypothesis, expected):
    assert verdicts("copies", source, hypothesis) == expected


@pytest.mark.parametrize("source, hypothesis, expected", [
    ("他说：“好。”", 'He said: "Good."', [True]),
    ("他说：“好。”", "He said: “Good.”", [True]),
    ("他说：“好。”", "He said good.", [True]),  # a dropped quotation is no miss
    ("他说：“好。”", 'He said: "Good.', [False]),
    ("他说：“好。”", "He said: ”Good.“", [False]),
    ("“甲”和“乙”", '"A" and "B', [False, False]),
    ("没有引号", 'an "open quote', []),
])
def test_quotes(source, hypothesis, expected):
    assert verdicts("quotes", source, hypothesis) == expected


def test_analyze_lists_items_and_verdicts_per_segment_and_check():
    out = analyze(["投资3.5亿元，周一开会", "没有"], ["350 million yuan, meeting on Tuesday", "none"])
    assert list(out[0]) == list(CHECKS)
    assert out[0]["numbers"] == [{"text": "3.5亿", "start": 2, "end": 6, "matched": True}]
    assert [i["matched"] for i in out[0]["dates"]] == [False]
    assert all(items == [] for items in out[1].values())
    with pytest.raises(ValueError):
        analyze(["a"], [])


# ---- the metrics --------------------------------------------------------------------------------

@pytest.mark.parametrize("check", list(CHECKS))
def test_each_check_is_a_registered_metric(check):
    cls = metric_class(check)
    assert cls.needs_source and not cls.needs_reference and cls.higher_is_better
    metric = build_metric(check, {}, target_lang="en")
    assert metric.name == check
    assert metric.signature() == f"metric:{check}|phenomena:v1|src:zh|tgt:en|empty:100"


def test_rows_scores_and_the_empty_segment():
    metric = get_metric("numbers")
    stats = metric.segment_stats(["350 million yuan and 3 people", "nothing", "no number"],
                                 None, sources=["3.5亿元和30人", "没有数字", "五个人"])
    assert stats.tolist() == [[1, 2], [0, 0], [0, 1]]
    assert metric.segment_scores(stats) == [50.0, 100.0, 0.0]  # no items: 100, nothing got wrong
    assert metric.score_from_stats(stats) == pytest.approx(100 / 3)  # pooled: 1 of 3 items
    assert metric.score_from_stats(stats[[1]]) == 100.0  # a corpus (or resample) with no items
    assert metric.stats_from_json(metric.stats_to_json(stats[0])).tolist() == [1, 2]
    assert metric.system_details(stats) == {"items": 3, "matched": 1, "segments_with_items": 2}


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=30))
def test_pooled_accuracy_is_matched_over_items(pairs):
    rows = np.array([(min(m, n), n) for m, n in pairs], dtype=np.int64)
    metric = get_metric("dates")
    items = rows[:, 1].sum()
    expected = 100.0 if items == 0 else 100.0 * rows[:, 0].sum() / items
    assert metric.score_from_stats(rows) == pytest.approx(expected)
    assert all(math.isfinite(v) for v in metric.segment_scores(rows))
