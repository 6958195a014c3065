"""Human judgements on the dashboard: the "Metrics vs humans" page, human columns, MQM error spans.

Two stores, built the way users build them (``mteval run``, ``mteval human import``, ``mteval dashboard``):

* WMT22 zh→en: the 12 shared systems + ``HUMAN-B`` (reference B) scored with BLEU and chrF, the WMT22 DA
  imported; its "Metrics vs humans" page must draw, per metric, a scatter with 13 labelled points and
  the correlation table with intervals;
* the TED MQM annotations: the text ``mteval human extract`` recovers, two of its systems scored with
  BLEU, the MQM file imported; the segment explorer must mark its error spans with category and severity.

Payload contents are checked against the store and ``evals.meta`` without a browser; the browser checks
need Debian's Chromium at /usr/bin/chromium and the ``playwright`` package (never ``playwright install``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
import subprocess
import sys
from pathlib import Path

import pytest

from tests import wmt22

REPO = Path(__file__).resolve().parent.parent
MQM_FILE = REPO.parent / "shared" / "data" / "mqm-ted-zh-en" / "mqm_ted_zhen.tsv"
DA_FILE = wmt22.WMT22 / "ad-seg-scores-zh-en.csv"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MQM_SYSTEMS = ("NiuTrans", "Online-W")


def _mteval(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evals", *args], cwd=REPO, check=True, capture_output=True,
                          text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


@pytest.fixture(scope="module")
def mqm_store(tmp_path_factory):
    """Two TED MQM systems scored with BLEU (run 1, MQM imported) and the same suite again (run 2, no humans)."""
    if not MQM_FILE.is_file():
        pytest.skip(f"the shared MQM data is not here ({MQM_FILE})")
    folder = tmp_path_factory.mktemp("mqm-dash")
    extracted = folder / "mqm"
    _mteval("human", "extract", str(MQM_FILE), "--format", "mqm", "--out", str(extracted))
    systems = "\n".join(f'  - {{spec: "file:{extracted / "systems" / f"{name}.jsonl"}", name: "{name}"}}'
                        for name in MQM_SYSTEMS)
    suite = folder / "two.yaml"
    suite.write_text(f"name: mqm-two\ncorpora: [{extracted / 'corpus.jsonl'}]\nsystems:\n{systems}\n"
                     "metrics: [bleu]\n", encoding="utf-8")
    db = folder / "mqm.db"
    url = f"sqlite:///{db}"
    _mteval("run", str(suite), "--db", url, "-q", "--format", "csv")
    from evals.dashboard.payloads import run_fingerprint
    from evals.store import open_store

    with open_store(url, readonly=True) as store:
        before = run_fingerprint(store, 1)
    _mteval("human", "import", str(MQM_FILE), "--format", "mqm", "--name", "mqm", "--run", "1", "--db", url)
    _mteval("run", str(suite), "--db", url, "-q", "--format", "csv")
    site = folder / "site"
    _mteval("dashboard", "--db", url, "--out", str(site))
    return {"db": url, "site": site, "url": (site / "index.html").as_uri(), "fingerprint_before": before}


@pytest.fixture(scope="module")
def wmt22_site(tmp_path_factory):
    """The 12 WMT22 systems + HUMAN-B (BLEU, chrF), the WMT22 DA imported as ``wmt22-da``, and the site."""
    wmt22.require_wmt22()
    folder = tmp_path_factory.mktemp("wmt22-humans")
    db, run = wmt22.twelve_systems_run(folder, ("bleu", "chrf"), human_b=True)
    url = f"sqlite:///{db}"
    _mteval("human", "import", str(DA_FILE), "--format", "wmt-da", "--name", "wmt22-da", "--db", url)
    site = folder / "site"
    _mteval("dashboard", "--db", url, "--out", str(site))
    return {"db": url, "run": run, "site": site, "url": (site / "index.html").as_uri()}


def _chunk(path: Path) -> dict:
    """The payload of a data chunk (``MTEVAL.receive(url, payload);``)."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index(",") + 1:text.rindex(");")])


# ---- payloads (no browser) ----------------------------------------------------------------------

def test_mqm_payloads_carry_scores_and_spans_from_the_store(mqm_store):
    from evals.dashboard.payloads import RunData, index_payload, run_fingerprint
    from evals.store import open_store

    with open_store(mqm_store["db"], readonly=True) as store:
        assert run_fingerprint(store, 1) != mqm_store["fingerprint_before"], "an import changes the fingerprint"
        index = {r["id"]: r for r in index_payload(store)["runs"]}
        assert index[1]["human"] == ["mqm"] and "human" not in index[2]
        run = RunData(store, 1)
        payload = run.run_payload()
        assert payload["chunks"]["humans"] == "data/runs/1/humans.js"
        assert [h["name"] for h in payload["humans"]] == ["mqm"] and payload["humans"][0]["errors"] > 0
        system_scores = store.human_scores(1, "mqm", "system")
        assert {(r["system"], r["value"]) for r in payload["human_leaderboard"]} == {
            (s, round(v, 4)) for s, v in zip(system_scores["system"], system_scores["value"])}
        assert "humans" not in RunData(store, 2).run_payload()
        assert "human" not in RunData(store, 2).system_payload(RunData(store, 2).info["systems"][0]["id"])

        segs = run.segments_payload()
        errors = store.human_errors(1, "mqm")
        seg_scores = store.human_scores(1, "mqm", "segment")
        for system in run.info["systems"]:
            chunk = run.system_payload(system["id"])
            position = {sid: i for i, sid in enumerate(segs["sid"])}
            mine = seg_scores[seg_scores["system"] == system["name"]]
            assert len(chunk["human"]["mqm"]) == len(segs["sid"])
            for row in mine.itertuples():
                assert chunk["human"]["mqm"][position[int(row.segment_id)]] == pytest.approx(row.value, abs=1e-4)
            cols, labels = chunk["errors"], chunk["error_labels"]
            got = Counter((segs["sid"][i], start, end, labels["category"][c], labels["severity"][v], labels["rater"][r])
                         for i, start, end, c, v, r in zip(cols["seg"], cols["start"], cols["end"], cols["category"],
                                                           cols["severity"], cols["rater"]))
            expected = errors[errors["system"] == system["name"]]
            assert got == Counter(
                (int(e.segment_id), None if e.span_start is None or e.span_start != e.span_start else int(e.span_start),
                 None if e.span_end is None or e.span_end != e.span_end else int(e.span_end),
                 e.category, e.severity, e.rater) for e in expected.itertuples())
            # Offsets point into the hypothesis the chunk carries.
            spans = [(i, s, e) for i, s, e in zip(cols["seg"], cols["start"], cols["end"]) if s is not None]
            assert spans and all(0 <= s <= e <= len(chunk["hyp"][i]) for i, s, e in spans)


def test_mqm_site_has_the_humans_chunk_and_reuses_it(mqm_store, tmp_path):
    from evals.dashboard.site import write_site
    from evals.meta import meta_report
    from evals.store import open_store

    site = mqm_store["site"]
    humans = _chunk(site / "data" / "runs" / "1" / "humans.js")
    assert not (site / "data" / "runs" / "2" / "humans.js").exists()
    (entry,) = humans["reports"]
    assert entry["human_metric"] == "mqm" and entry["corpus"] == "mqm-ted" and "error" not in entry
    with open_store(mqm_store["db"], readonly=True) as store:
        expected = meta_report(store, 1, "mqm").to_json()
        assert entry["report"]["metrics"][0]["statistics"] == expected["metrics"][0]["statistics"]
        assert entry["report"]["recommended"] == expected["recommended"]
        copy = tmp_path / "site"
        write_site(store, copy, runs=[1])
        report = write_site(store, copy, runs=[1])
    assert report.reused == 1, "an unchanged run (human metrics included) is copied, not recomputed"
    assert _chunk(copy / "data" / "runs" / "1" / "humans.js") == humans


def test_server_answers_the_humans_chunk(mqm_store):
    from evals.dashboard.server import DashboardApp, NotFound
    from evals.store import open_store

    with open_store(mqm_store["db"], readonly=True) as store:
        app = DashboardApp(store)
        _type, body, is_data = app.get("/data/runs/1/humans.js")
        assert is_data and body.startswith(b'MTEVAL.receive("data/runs/1/humans.js",')
        assert json.loads(body[body.index(b",") + 1:body.rindex(b");")])["reports"][0]["human_metric"] == "mqm"
        assert b'"reports":[]' in app.get("/data/runs/2/humans.js")[1]
        with pytest.raises(NotFound):
            app.get("/data/runs/99/humans.js")


# ---- in the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright`")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def watched(browser):
    from tests.test_dashboard_browser import Watched

    page = Watched(browser)
    yield page
    page.close()


def _no_errors_no_other_hosts(watched) -> None:
    assert watched.errors == []
    assert all(url.startswith("file://") for url in watched.requests), [u for u in watched.requests
                                                                         if not u.startswith("file://")]


def test_metrics_vs_humans_page_for_wmt22(wmt22_site, watched):
    watched.open(f"{wmt22_site['url']}#/leaderboard?run={wmt22_site['run']}")
    page = watched.page
    assert page.locator("#nav-humans").count() == 1
    headers = [t.strip() for t in page.locator("table.leaderboard thead th").all_inner_texts()]
    column = headers.index("wmt22-da (human) ↑") + 1
    values = page.locator(f"table.leaderboard tbody tr td:nth-child({column}) .value").all_inner_texts()
    assert len(values) == 13 and all(v.strip() not in ("", "–") for v in values)

    page.click("#nav-humans")
    watched.ready()
    assert page.locator("#main .error").count() == 0
    systems = set(wmt22.SYSTEMS) | {"HUMAN-B"}
    for metric in ("bleu", "chrf"):
        scatter = page.locator(f"section.scatter[data-metric='{metric}']")
        assert scatter.locator("svg.scatter-chart circle.point").count() == 13
        labels = scatter.locator("svg.scatter-chart text.point-label").all_text_contents()
        assert sorted(labels) == sorted(systems)
        inside = scatter.locator("svg.scatter-chart").evaluate(
            """svg => { const [x0, y0, w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
                        return [...svg.querySelectorAll('circle.point')].every(c => {
                          const x = +c.getAttribute('cx'), y = +c.getAttribute('cy');
                          return x >= x0 && x <= x0 + w && y >= y0 && y <= y0 + h; }); }""")
        assert inside, f"{metric}: a point is drawn outside the chart"
        row = page.locator(f"table.meta-table tbody tr[data-metric='{metric}']")
        for statistic in ("pearson", "kendall", "pairwise_accuracy", "acc_eq", "item_kendall"):
            cell = row.locator(f"td[data-statistic='{statistic}']")
            value = float(cell.locator(".value").inner_text().replace("−", "-"))
            low, high = (float(x) for x in cell.locator(".ci").inner_text().strip("[]").split(","))
            assert low <= high and -1 <= value <= 1, (metric, statistic)
        assert scatter.locator("details.discordant tbody tr").count() > 0  # BLEU and chrF both misorder some pairs
    assert page.locator("table.meta-table tr.recommended").count() >= 1
    watched.shot("humans-wmt22")
    _no_errors_no_other_hosts(watched)


def test_explorer_marks_mqm_error_spans_with_category_and_severity(mqm_store, watched):
    from evals.store import open_store

    with open_store(mqm_store["db"], readonly=True) as store:
        errors = store.human_errors(1, "mqm")
    spanned = errors[(errors["system"] == "NiuTrans") & errors["span_start"].notna()]
    by_segment = spanned.groupby("seg_id")["severity"].agg(set)
    both = [s for s, sev in by_segment.items() if {"Major", "Minor"} <= sev]
    seg_id = both[0] if both else by_segment.index[0]
    mine = spanned[spanned["seg_id"] == seg_id]

    watched.open(f"{mqm_store['url']}#/segments?run=1&corpus=mqm-ted&seg={seg_id}&systems=NiuTrans")
    page = watched.page
    assert page.locator("#nav-humans").count() == 1
    article = page.locator(f"article.seg[data-seg-id='{seg_id}']")
    hyp = article.locator(".hyp[data-system='NiuTrans']")
    assert hyp.locator(".m.human[data-human='mqm']").count() == 1
    marks = hyp.locator(".hyp-errors mark.err")
    assert marks.count() >= 1
    titles = "\n".join(marks.evaluate_all("ms => ms.map(m => m.getAttribute('title'))"))
    for row in mine.itertuples():
        assert f"{row.severity} · {row.category}" in titles
    severities = set(marks.evaluate_all("ms => ms.map(m => m.dataset.severity)"))
    if "Major" in severities:
        assert hyp.locator("mark.err.sev-major").count() >= 1
        major = hyp.locator("mark.err.sev-major").first.evaluate("m => getComputedStyle(m).backgroundColor")
        if "Minor" in severities:
            minor = hyp.locator("mark.err.sev-minor").first.evaluate("m => getComputedStyle(m).backgroundColor")
            assert major != minor, "Major and Minor look different"
    watched.shot("segments-mqm-spans", full_page=False)

    # A run without human judgements does not list the page.
    watched.open(f"{mqm_store['url']}#/leaderboard?run=2")
    assert page.locator("#nav-humans").count() == 0
    assert "(human)" not in " ".join(page.locator("table.leaderboard thead th").all_inner_texts())
    _no_errors_no_other_hosts(watched)
