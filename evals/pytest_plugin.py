"""pytest plugin: assert "no significant regression against the baseline" from a test suite.

For projects whose CI gate is their test suite. The plugin adds one fixture,
``mteval_gate``, whose ``check`` runs ``evals.gate.check`` (the same code as
``mteval check``) and fails the test with the readable report when the gate
fails, or when the comparison cannot be made (mismatched signatures or
segments, unknown run or system)::

    def test_no_regression(mteval_gate):
        mteval_gate.check(run="latest", system="my-model", baseline="baselines/main.json")

``check`` returns the ``GateReport`` when the gate passes, so a test can
assert more (``report.metrics``, ``report.documents``...). The summary is also
recorded as a JUnit property of the test (``record_property``).

Enabling it: installed mteval registers the plugin under the ``pytest11``
entry point ``mteval``; without that (or to be explicit) use
``pytest -p evals.pytest_plugin`` or ``pytest_plugins = ["evals.pytest_plugin"]``
in the root ``conftest.py``. Options: ``--mteval-db URL`` (default:
``$MTEVAL_DB``, then ``results/mteval.db``) and ``--mteval-policy FILE``
(default: the built-in policy); ``check(db=..., policy=...)`` overrides them.

Nothing heavy is imported until ``check`` is called, so having the plugin
installed costs other test suites nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from evals.gate import GateReport


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mteval", "mteval regression gate")
    group.addoption("--mteval-db", default=None, metavar="URL",
                    help="results database for mteval_gate (default: $MTEVAL_DB or results/mteval.db)")
    group.addoption("--mteval-policy", default=None, metavar="FILE",
                    help="policy YAML for mteval_gate (default: mteval's built-in policy)")


class MtevalGate:
    """What the ``mteval_gate`` fixture returns."""

    def __init__(self, db: str | None, policy: str | None, node: Any = None) -> None:
        self.db = db
        self.policy = policy
        self.reports: list["GateReport"] = []
        self._node = node

    def check(
        self,
        *,
        run: str | int = "latest",
        system: str | None = None,
        baseline: str | os.PathLike[str] | None = None,
        baseline_run: str | int | None = None,
        baseline_system: str | None = None,
        policy: str | os.PathLike[str] | None = None,
        db: str | None = None,
        corpora: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> "GateReport":
        """Gate ``run``'s ``system`` against one baseline; fail the test with the report if it regresses."""
        from evals.errors import MtevalError
        from evals.gate import check

        try:
            report = check(
                baseline=baseline, baseline_run=baseline_run, baseline_system=baseline_system, run=run,
                system=system, policy=policy or self.policy, db=db or self.db, corpora=corpora, metrics=metrics,
            )
        except MtevalError as error:
            pytest.fail(f"mteval check could not compare: {error}", pytrace=False)
        self.reports.append(report)
        if self._node is not None:
            self._node.user_properties.append(("mteval", report.summary()))
        if not report.passed:
            pytest.fail(report.to_text(), pytrace=False)
        return report


@pytest.fixture
def mteval_gate(request: pytest.FixtureRequest) -> MtevalGate:
    """Assert that a stored run does not regress significantly against a baseline (see module doc)."""
    config = request.config
    return MtevalGate(config.getoption("--mteval-db"), config.getoption("--mteval-policy"), request.node)
