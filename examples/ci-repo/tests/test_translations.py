"""The translation gate as a test: mteval's pytest plugin (installed with mteval) gives ``mteval_gate``.

Run after `mteval run suite.yaml` (the action does it); the database is ``--mteval-db`` or ``$MTEVAL_DB``.
"""

from pathlib import Path

BASELINE = Path(__file__).resolve().parent.parent / "baselines" / "our-model.json"


def test_our_model_does_not_regress(mteval_gate):
    report = mteval_gate.check(run="latest", system="our-model", baseline=BASELINE)
    assert {m.metric for m in report.metrics} == {"bleu", "chrf", "numbers"}


def test_numbers_are_all_kept(mteval_gate):
    report = mteval_gate.check(run="latest", system="our-model", baseline=BASELINE, metrics=["numbers"])
    (numbers,) = report.metrics
    assert numbers.analysis.main.system == 100.0
