"""The gate policy is read like a suite: errors name the line, duplicate keys are refused, typos get a hint."""

from __future__ import annotations

import pytest

from evals.errors import InputError
from evals.policy import load_policy, parse_policy


def error_of(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_policy(text, "p.yaml")
    return caught.value


def test_an_error_names_the_line_of_the_value():
    error = error_of("version: 1\ndefaults:\n  tolerance: 1.0\n  alpha: 2\n")
    assert error.line == 4 and error.field == "defaults.alpha"
    assert str(error).startswith("p.yaml:4 [defaults.alpha]: must be between 0 and 1")
    assert error_of("test: bootstrap\nsamples: many\n").line == 2
    assert error_of("metrics:\n  bleu: {tolerance: -1}\n").line == 2


def test_a_duplicate_key_is_refused():
    error = error_of("metrics:\n  bleu: {tolerance: 1}\n  bleu: {tolerance: 50}\n")
    assert "appears twice" in error.message and "lines 2 and 3" in error.message
    assert error.line == 3
    assert "appears twice" in error_of("seed: 1\nseed: 2\n").message


def test_an_unknown_key_gets_a_did_you_mean_and_its_line():
    error = error_of("seed: 1\ncorection: holm\n")
    assert error.line == 2 and error.hint == "did you mean 'correction'?"
    error = error_of("metrics:\n  chrf:\n    tolerence: 1\n")
    assert error.line == 3 and error.hint == "did you mean 'tolerance'?"
    assert error_of("report: {segmnets: 3}\n").hint == "did you mean 'segments'?"


def test_invalid_yaml_and_bytes_name_the_line(tmp_path):
    assert error_of("metrics:\n  bleu: {tolerance: 1\n").line is not None
    bad = tmp_path / "policy.yaml"
    bad.write_bytes(b"seed: 1\ntest: \xff\n")
    with pytest.raises(InputError, match="not valid UTF-8") as caught:
        load_policy(bad)
    assert caught.value.line == 2


def test_empty_sections_and_documents_are_the_defaults():
    assert parse_policy("") == parse_policy("{}", "<policy>")
    policy = parse_policy("documents:\nmetrics:\n  bleu:\n", "p.yaml")
    assert policy.floors == {} and policy.for_metric("bleu") == policy.defaults
    assert load_policy().to_json()["metrics"]["comet"] == {"tolerance": 0.01, "alpha": 0.05}


def test_samples_are_fitted_to_the_number_of_tests_unless_fixed():
    default = load_policy()
    assert default.samples is None and default.pooled
    assert default.settings(3).n_resamples == 1000  # few tests: sacrebleu's count
    fitted = default.settings(57)
    assert fitted.n_resamples == 11399 and fitted.resolution.can_reject
    fixed = parse_policy("samples: 1000\n").settings(57)
    assert fixed.n_resamples == 1000 and not fixed.resolution.can_reject
    assert parse_policy("samples: auto\ncorrection: none\n").settings(57).n_resamples == 1000  # one test each
    assert parse_policy("samples: auto\nmax_samples: 5000\n").settings(57).resolution.capped
    assert error_of("pooled: sometimes\n").field == "pooled"
    assert error_of("margin: 0.5\n").field == "margin"


def test_validated_metrics_are_a_list_of_distinct_names():
    policy = parse_policy("validated:\n  metrics: [chrf, bleu]\n  evidence: run 3 vs wmt22-da\n")
    assert policy.validated == ("chrf", "bleu") and policy.validated_evidence == "run 3 vs wmt22-da"
    assert load_policy().validated == ()  # the built-in policy gates on every metric
    for text, needle in (("validated:\n  metrics: []\n", "names no metric"),
                         ("validated:\n  metrics: [chrf, chrf]\n", "listed twice"),
                         ("validated:\n  metric: [chrf]\n", "did you mean 'metrics'"),
                         ("validated: 3\n", "must be a mapping")):
        with pytest.raises(InputError, match=needle) as caught:
            parse_policy(text, "p.yaml")
        assert str(caught.value).startswith("p.yaml:")
