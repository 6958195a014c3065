"""A gate report as CI annotations: one GitHub Actions ``::error`` workflow command per regression.

GitHub turns each ``::error file=F,title=T::message`` line a step prints into
an annotation on the run (and on file ``F`` in a pull request's diff). The
format and its escaping are GitHub's "workflow commands" spec: in the message
``%``, CR and LF are percent-encoded; in property values ``:`` and ``,`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evals.gate import GateReport


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_commands(report: "GateReport", file: str | None = None) -> list[str]:
    """One ``::error`` command per failure of ``report`` (none when it passed), pointing at ``file`` if given."""
    out = []
    for title, message in failures(report):
        props = ([f"file={escape_property(file)}"] if file else []) + [f"title={escape_property(title)}"]
        out.append(f"::error {','.join(props)}::{escape_data(message)}")
    return out


def failures(report: "GateReport") -> list[tuple[str, str]]:
    """(title, message) of every failed check: regressions, document floors, newly untranslated segments."""
    out = []
    for check in [*report.metrics, *report.pooled]:
        if check.failed:
            out.append((f"mteval: {check.metric} regression on {check.corpus}",
                        f"{report.candidate} against {report.baseline}: {check.message()}"))
    for document in report.documents:
        if document.failed:
            out.append((f"mteval: document {document.doc_id} ({document.corpus}) below a floor",
                        f"{report.candidate}: {'; '.join(document.failures)}"))
    for untranslated in report.untranslated:
        if untranslated.failed:
            out.append((f"mteval: newly untranslated segments on {untranslated.corpus}",
                        f"{report.candidate}: {untranslated.message()}"))
    return out


#: ``mteval check --annotations FORMAT``: the formats and their writers.
FORMATS: MappingProxyType[str, Callable[..., list[str]]] = MappingProxyType({"github": github_commands})
