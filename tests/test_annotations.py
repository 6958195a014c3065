"""GitHub workflow-command annotations of a gate report: escaping (property tests) and one line per failure."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from evals.annotations import escape_data, escape_property, failures, github_commands


def _unescape(text: str) -> str:
    """What the runner decodes (GitHub's toolkit command.ts, reversed)."""
    return re.sub("%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m.group(1)],
                  text)


@given(st.text())
def test_escaped_data_is_one_line_and_decodes_back(text):
    escaped = escape_data(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert _unescape(escaped) == text


@given(st.text())
def test_escaped_properties_hold_no_separators_and_decode_back(text):
    escaped = escape_property(text)
    assert not set(escaped) & {":", ",", "\n", "\r"}
    assert _unescape(escaped) == text


class _Check:
    def __init__(self, metric, failed):
        self.metric, self.corpus, self.failed = metric, "news, 2024", failed

    def message(self):
        return f"{self.metric} dropped by 5.00 points\nsee 100% of it"


class _Report:
    candidate, baseline = "run 2:model", "baselines/main.json"
    metrics = [_Check("bleu", True), _Check("chrf", False)]
    pooled, documents, untranslated = [], [], []


def test_one_error_command_per_failed_check_with_escaped_title_and_message():
    lines = github_commands(_Report(), file="baselines/main.json")
    assert lines == ["::error file=baselines/main.json,title=mteval%3A bleu regression on news%2C 2024::"
                     "run 2:model against baselines/main.json: bleu dropped by 5.00 points%0Asee 100%25 of it"]
    assert len(failures(_Report())) == 1
    assert github_commands(_Report())[0].startswith("::error title=")  # no file: no file property
