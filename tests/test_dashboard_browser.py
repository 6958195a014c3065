"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

The store is built the way users build it — `mteval run` (the default suite),
then a second run adding a `file:` system whose hypotheses include an HTML
injection attempt — and the site with `mteval dashboard`; pages are opened
from `file://`, and once from `mteval serve`. Every page must load without
console errors and without asking any other host for anything; sorting,
filters and deep links must work; injected markup must show as text.
Screenshots go to $MTEVAL_ARTIFACTS/screenshots (default tests/artifacts/screenshots).

Needs /usr/bin/chromium (apt-get install chromium) and the `playwright` package;
never `playwright install` (no browser downloads).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
XSS = "<img src=x onerror=alert(1)>"
REPO = Path(__file__).resolve().parent.parent
VIEWS = ["leaderboard", "history", "documents", "segments", "significance", "analysis", "scripts", "provenance"]

if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright` "
                               "(in the test extra); no `playwright install` needed")


def _artifacts() -> Path:
    root = Path(os.environ.get("MTEVAL_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder = root / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _mteval(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evals", *args], cwd=REPO, check=True, capture_output=True,
                          text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two runs (default suite; default suite + a file: system with an injection attempt) and their site."""
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "store.db"
    hyps = []
    for corpus in ("paired.zh-Hans", "paired.zh-Hant", "mono-zh", "mono-en"):
        for i, line in enumerate((REPO / "corpora" / f"{corpus}.jsonl").read_text(encoding="utf-8").splitlines()):
            segment = json.loads(line)
            words = (segment["reference"] or segment["source"]).split()
            hypothesis = " ".join(w for j, w in enumerate(words) if j % 5 != 2)
            if i == 1 and corpus == "paired.zh-Hans":
                hypothesis = XSS  # the whole hypothesis is markup
            elif i == 1 and corpus == "paired.zh-Hant":
                hypothesis = f"{XSS} {hypothesis}"
            hyps.append({"seg_id": f"{corpus}/{segment['seg_id']}", "hypothesis": hypothesis})
    system_file = folder / "model.jsonl"
    system_file.write_text("".join(json.dumps(h, ensure_ascii=False) + "\n" for h in hyps), encoding="utf-8")
    _mteval("run", "--db", str(db), "-q", "--format", "csv")
    _mteval("run", "--db", str(db), "-q", "--format", "csv", "--system", f"file:{system_file}")
    out = folder / "site"
    _mteval("dashboard", "--db", str(db), "--out", str(out))
    seg_ids = [json.loads(line)["seg_id"]
               for line in (REPO / "corpora" / "paired.zh-Hant.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"db": db, "out": out, "url": (out / "index.html").as_uri(), "system": f"file:{system_file}",
            "xss_seg": seg_ids[1], "segments": seg_ids}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Watched:
    """A page that records console errors, page errors, dialogs and every request it makes."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str) -> None:
        """Go to ``url`` and wait until the view says it is rendered."""
        self.page.goto(url)
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("#main[data-ready='1']", timeout=20_000)

    def shot(self, name: str, full_page: bool = True) -> Path:
        path = _artifacts() / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def watched(browser):
    page = Watched(browser)
    yield page
    page.close()


def _until(page, predicate: str, timeout: float = 10.0) -> None:
    """Wait until the JavaScript expression is true. Polled from Python: Playwright's
    wait_for_function compiles its predicate in the page, which the app's CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        time.sleep(0.05)


def _column(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "cells => cells.map(c => c.textContent.trim())")


def _number(text: str) -> float:
    return float(text.split("[")[0].replace("−", "-").strip())


def test_every_view_loads_without_errors_or_other_hosts(site, watched):
    for view in VIEWS:
        watched.open(f"{site['url']}#/{view}")
        assert watched.page.locator("#main .error").count() == 0, view
        assert watched.page.locator("#main h1").inner_text().startswith(view.capitalize()[:4]), view
        if view in ("leaderboard", "history", "significance"):
            watched.shot(view)
        if view == "documents":
            assert watched.page.locator("svg.bar-chart rect.bar").count() > 0
        if view == "provenance":
            assert "git commit" in watched.page.locator("dl.run-info").inner_text().lower()
            assert watched.page.locator("table.provenance-systems tbody tr").count() == 3
    assert watched.errors == []
    assert all(url.startswith("file://") for url in watched.requests), [u for u in watched.requests
                                                                         if not u.startswith("file://")]


def test_leaderboard_sorts_by_header_and_filters_by_corpus_and_script(site, watched):
    watched.open(f"{site['url']}#/leaderboard")
    page = watched.page
    rows = "table.leaderboard tbody tr"
    page.click("table.leaderboard th[data-key='m:bleu'] button")
    bleu_index = _column(page, "table.leaderboard thead th").index("bleu ↑")
    first = [_number(v) for v in _column(page, f"{rows} td:nth-child({bleu_index + 1}) .value")]
    assert first == sorted(first) or first == sorted(first, reverse=True)
    page.click("table.leaderboard th[data-key='m:bleu'] button")
    second = [_number(v) for v in _column(page, f"{rows} td:nth-child({bleu_index + 1}) .value")]
    assert second == list(reversed(first)) and second != first
    assert page.get_attribute("table.leaderboard th[data-key='m:bleu']", "aria-sort") in ("ascending", "descending")
    # TER: lower is better, so its first click puts the lowest first.
    page.click("table.leaderboard th[data-key='m:ter'] button")
    ter_index = _column(page, "table.leaderboard thead th").index("ter ↓")
    ter = [_number(v) for v in _column(page, f"{rows} td:nth-child({ter_index + 1}) .value")]
    assert ter == sorted(ter)
    # CIs from the runner's bootstrap are shown next to system-level scores.
    assert page.locator("table.leaderboard .ci").count() > 0
    assert re.search(r"\[\d+\.\d\d, \d+\.\d\d\]", page.locator("table.leaderboard .ci").first.inner_text())
    # Corpus filter.
    page.select_option("#lb-corpus", "paired.zh-Hant")
    script_index = _column(page, "table.leaderboard thead th").index("Script")  # after System and Trend
    assert set(_column(page, f"{rows} td:nth-child({script_index + 1})")) == {"zh-Hant"}
    # Script filter over all corpora: the Traditional corpus and the mixed monolingual one.
    page.select_option("#lb-corpus", "")
    page.select_option("#lb-script", "zh-Hant")
    corpora = set(page.eval_on_selector_all(rows, "trs => trs.map(t => t.dataset.corpus)"))
    assert corpora == {"paired.zh-Hant", "mono-zh"}
    page.select_option("#lb-level", "segment")
    assert page.locator(f"{rows}").count() > 0
    assert watched.errors == []


def test_segment_explorer_filters_and_word_diffs(site, watched):
    watched.open(f"{site['url']}#/segments?corpus=paired.zh-Hans")
    page = watched.page
    page.wait_for_selector("#explorer[data-ready='1']")
    articles = "#seg-list article.seg"
    assert page.locator(articles).count() == 20
    assert page.locator(f"{articles} .hyp").count() == 60  # three systems side by side
    assert page.locator(f"{articles} ins.d-ins").count() > 0 and page.locator(f"{articles} del.d-del").count() > 0
    assert "97 of 97" in page.inner_text("#seg-summary")
    # Worst N by chrF for the copy system: 5 segments, worst first.
    page.select_option("#seg-scoreby", "copy")
    page.fill("#seg-worst", "5")
    _until(page, "document.querySelectorAll('#seg-list article.seg').length === 5")
    page.select_option("#seg-sort", "worst")
    scores = page.eval_on_selector_all(
        "#seg-list .hyp[data-system='copy'] .m.current",
        "els => els.map(e => parseFloat(e.textContent.split(' ')[1]))")
    assert scores == sorted(scores) and len(scores) == 5
    # Flags: the copy system is untranslated everywhere, the others nowhere.
    page.click("#seg-reset")
    page.select_option("#seg-flag", "untranslated")
    assert "97 of 97" in page.inner_text("#seg-summary")
    page.uncheck("#seg-systems input[value='copy']")
    page.wait_for_selector("#seg-systems input[value='copy']:not(:checked)")
    page.select_option("#seg-flag", "untranslated")
    assert page.locator(articles).count() == 0
    page.check("#seg-systems input[value='copy']")
    page.wait_for_selector("#seg-systems input[value='copy']:checked")
    page.click("#seg-reset")
    # Length buckets, document, score range and search narrow the list consistently.
    page.select_option("#seg-length", "0-20")
    lengths = page.eval_on_selector_all(f"{articles} .len", "els => els.map(e => parseInt(e.textContent))")
    assert lengths and all(n <= 20 for n in lengths)
    page.click("#seg-reset")
    doc = page.eval_on_selector("#seg-doc", "s => s.options[2].value")
    page.select_option("#seg-doc", doc)
    assert set(_column(page, f"{articles} .doc")) == {f"doc {doc}"}
    page.click("#seg-reset")
    page.select_option("#seg-scoreby", "gloss")
    page.fill("#seg-min", "60")
    _until(page, "!document.getElementById('seg-summary').textContent.startsWith('97 of')")
    kept = page.eval_on_selector_all(
        "#seg-list .hyp[data-system='gloss'] .m.current",
        "els => els.map(e => parseFloat(e.textContent.split(' ')[1]))")
    assert all(v >= 59.95 for v in kept)
    page.click("#seg-reset")
    page.fill("#seg-search", "Vatican")
    _until(page, "document.getElementById('seg-summary').textContent.includes('of 97')"
                 " && !document.getElementById('seg-summary').textContent.startsWith('97 of')")
    assert all("vatican" in t.lower() for t in _column(page, articles))
    page.click("#seg-reset")
    page.click("nav.pager button.next")
    assert "showing 21–40" in page.inner_text("#seg-summary")
    watched.shot("explorer", full_page=False)
    assert watched.errors == []


def test_deep_link_opens_and_highlights_its_segment(site, watched):
    seg = site["segments"][67]  # on page 4 of 5 in corpus order
    watched.open(f"{site['url']}#/segments?run=2&corpus=paired.zh-Hant&seg={seg}")
    page = watched.page
    target = page.locator("article.seg.target")
    assert target.count() == 1
    assert target.get_attribute("data-seg-id") == seg and target.get_attribute("data-corpus") == "paired.zh-Hant"
    assert target.is_visible()
    box, viewport = target.bounding_box(), page.viewport_size
    assert 0 <= box["y"] < viewport["height"], "the segment is scrolled into view"
    assert page.eval_on_selector("#seg-corpus", "s => s.value") == "paired.zh-Hant"
    # Filters that would hide it are cleared when a link points at it.
    page.select_option("#seg-length", "0-20")
    other = site["segments"][5]
    page.evaluate("seg => { location.hash = '#/segments?run=2&corpus=paired.zh-Hans&seg=' + encodeURIComponent(seg); }",
                  other)
    page.wait_for_selector(f"article.seg.target[data-seg-id='{other}'][data-corpus='paired.zh-Hans']")
    # Without a corpus the link opens the segment in the corpus being shown.
    third = site["segments"][90]
    page.evaluate("seg => { location.hash = '#/segments?run=2&seg=' + encodeURIComponent(seg); }", third)
    page.wait_for_selector(f"article.seg.target[data-seg-id='{third}'][data-corpus='paired.zh-Hans']")
    # The segment's own link is a deep link too.
    href = page.get_attribute(f"article.seg[data-seg-id='{third}'] a.seg-link", "href")
    assert href.startswith("#/segments?") and "seg=" in href
    watched.shot("deep-link", full_page=False)
    assert watched.errors == []


def test_injected_markup_in_a_hypothesis_is_shown_as_text(site, watched):
    watched.open(f"{site['url']}#/segments?run=2&corpus=paired.zh-Hans&seg={site['xss_seg']}")
    page = watched.page
    page.uncheck("#seg-deleted")  # only the hypothesis' own words, no struck-out reference words
    hyp = page.locator(f"article.seg.target .hyp[data-system='{site['system']}'] .hyp-text")
    assert hyp.inner_text().strip() == XSS
    assert page.locator("#main img").count() == 0
    page.select_option("#seg-corpus", "paired.zh-Hant")
    page.fill("#seg-search", "onerror")
    _until(page, "document.querySelectorAll('#seg-list article.seg').length === 1")
    assert XSS in page.locator("#seg-list .hyp-text").last.inner_text()
    assert page.locator("#main img").count() == 0
    time.sleep(0.2)
    assert watched.dialogs == []
    assert watched.errors == []


def test_significance_matrix_and_history_chart(site, watched):
    watched.open(f"{site['url']}#/significance?run=2&corpus=paired.zh-Hans")
    page = watched.page
    assert page.locator("section.matrix").count() == 4  # bleu, chrf, chrf++, ter
    bleu = page.locator("section.matrix[data-metric='bleu']")
    assert bleu.locator("td.diag").count() == 3
    assert bleu.locator("td.sig-better").count() == 3 and bleu.locator("td.sig-worse").count() == 3
    cell = bleu.locator(f"td[data-row='{site['system']}'][data-col='copy']")
    assert "sig-better" in cell.get_attribute("class") and cell.inner_text().startswith("+")
    cell.locator("a").click()
    watched.ready()
    assert page.url.split("#")[1].startswith("/segments")
    page.wait_for_selector("#explorer[data-ready='1']")
    assert page.locator("#seg-list article.seg").first.locator(".hyp").count() == 2
    watched.open(f"{site['url']}#/history")
    assert page.locator("svg.line-chart polyline.line").count() >= 2  # gloss and copy over two runs
    assert page.locator("table.history tbody tr").count() == 2
    assert watched.errors == []


def test_script_robustness_view_links_into_the_explorer(site, watched):
    watched.open(f"{site['url']}#/scripts?run=2&metric=chrf")
    page = watched.page
    assert page.locator("table.scripts tbody tr").count() == 3
    link = page.locator(".widest a").first
    link.click()
    page.wait_for_selector("article.seg.target")
    assert watched.errors == []


def test_serve_gives_the_same_pages_live_and_read_only(site, watched):
    process = subprocess.Popen([sys.executable, "-m", "evals", "serve", "--db", str(site["db"]), "--port", "0", "-q"],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
        assert match, line + process.stderr.read() if process.poll() is not None else line
        base = match.group(1)
        watched.open(base + "#/leaderboard")
        assert watched.page.locator("table.leaderboard tbody tr").count() == 3
        watched.open(base + "#/segments?corpus=paired.zh-Hans")
        watched.page.wait_for_selector("#explorer[data-ready='1'] article.seg")
        watched.open(base + "#/analysis?corpus=paired.zh-Hans")
        watched.page.wait_for_selector("#an-histograms figure")
        assert watched.page.locator("#an-buckets .an-bucket").count() >= 3
        assert watched.errors == []
        assert all(url.startswith(base) for url in watched.requests)
        for method in ("POST", "PUT"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(base + "data/index.js", data=b"{}", method=method))
            assert refused.value.code == 405
        for path in ("assets/../../pyproject.toml", "%2e%2e/%2e%2e/etc/passwd",
                     "data/runs/1/../../../evals/cli/run.py"):
            with pytest.raises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(base + path)
            assert missing.value.code == 404, path
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def two_reference_site(tmp_path_factory):
    """A run of a corpus whose segments carry two references (one of them markup), and its site."""
    folder = tmp_path_factory.mktemp("references")
    rows = [json.loads(line) for line in
            (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text(encoding="utf-8").splitlines()[:5]]
    corpus, hyps = folder / "two-refs.jsonl", folder / "model.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for i, row in enumerate(rows):
            second = f"{XSS} second reference {i}" if i == 0 else f"Second reference number {i}."
            row = {k: v for k, v in row.items() if k != "reference"} | {"references": [row["reference"], second]}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    hyps.write_text("".join(json.dumps({"seg_id": r["seg_id"], "hypothesis": r["reference"]}, ensure_ascii=False)
                            + "\n" for r in rows), encoding="utf-8")
    suite = folder / "suite.yaml"
    suite.write_text(f"name: refs\ncorpora: [{json.dumps(str(corpus))}]\nsystems: [{json.dumps(f'file:{hyps}')}]\n"
                     "metrics: [chrf]\n", encoding="utf-8")
    db, out = folder / "store.db", folder / "site"
    _mteval("run", str(suite), "--db", str(db), "-q", "--format", "csv")
    _mteval("dashboard", "--db", str(db), "--out", str(out))
    return {"url": (out / "index.html").as_uri(), "rows": rows}


def test_segment_explorer_shows_every_reference_as_text(two_reference_site, watched):
    site = two_reference_site
    first = site["rows"][0]
    watched.open(f"{site['url']}#/segments?run=1&seg={first['seg_id']}")
    page = watched.page
    refs = page.locator("article.seg.target .seg-ref")
    assert refs.count() == 2
    assert _column(page, "article.seg.target .seg-ref .lbl") == ["Reference A", "Reference B"]
    texts = _column(page, "article.seg.target .seg-ref .text")
    assert texts == [first["reference"], f"{XSS} second reference 0"]
    assert page.locator("#main img").count() == 0
    page.fill("#seg-search", "second reference number 3")  # the search looks in every reference
    _until(page, "document.querySelectorAll('#seg-list article.seg').length === 1")
    assert "Second reference number 3." in _column(page, "#seg-list .seg-ref .text")
    watched.shot("segments-two-references")
    time.sleep(0.2)
    assert watched.dialogs == [] and watched.errors == []


@pytest.fixture(scope="module")
def wmt22_site(tmp_path_factory, wmt22_twelve_systems):
    """A run of the 12 WMT22 zh→en systems (BLEU, chrF) and its site."""
    from tests import wmt22

    wmt22.require_wmt22()
    folder = tmp_path_factory.mktemp("wmt22-site")
    db, run = wmt22_twelve_systems  # the session's run (tests/conftest.py); the dashboard only reads it
    out = folder / "site"
    _mteval("dashboard", "--db", str(db), "--out", str(out))
    return {"url": (out / "index.html").as_uri(), "run": run}


def test_significance_page_ranks_twelve_wmt22_systems_in_clusters(wmt22_site, watched):
    """Resamples fitted to the 66 pairs: after Holm the systems separate, JDExploreAcademy above Online-W."""
    watched.open(f"{wmt22_site['url']}#/significance?run={wmt22_site['run']}&corpus=wmt22")
    page = watched.page
    for metric in ("bleu", "chrf"):
        ranking = page.locator(f"section.ranking[data-metric='{metric}']")
        assert ranking.count() == 1
        assert int(ranking.get_attribute("data-clusters")) >= 3
        assert ranking.locator("tbody tr").count() == 12
        clusters = [int(c) for c in ranking.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.cluster)")]
        assert clusters == sorted(clusters) and len(set(clusters)) >= 3
        assert "Holm–Bonferroni over the 66 pairs" in ranking.inner_text()
    bleu = page.locator("section.ranking[data-metric='bleu']")
    first = bleu.locator("tbody tr").first
    assert first.get_attribute("data-system") == "JDExploreAcademy"
    jd = int(bleu.locator("tr[data-system='JDExploreAcademy']").get_attribute("data-cluster"))
    online_w = int(bleu.locator("tr[data-system='Online-W']").get_attribute("data-cluster"))
    assert jd < online_w
    assert page.locator("#sig-holm").input_value() == "holm"  # the matrix shows Holm-adjusted p-values
    cell = page.locator("section.matrix[data-metric='bleu'] td[data-row='JDExploreAcademy'][data-col='Online-W']")
    assert "sig-better" in cell.get_attribute("class") and cell.inner_text().startswith("+")
    reverse = page.locator("section.matrix[data-metric='bleu'] td[data-row='Online-W'][data-col='JDExploreAcademy']")
    assert "sig-worse" in reverse.get_attribute("class")
    assert page.locator("section.matrix[data-metric='bleu'] td.sig-better").count() > 20
    assert "Clusters:" in page.locator("#main").inner_text()
    watched.shot("significance-wmt22-clusters")
    assert watched.errors == []


def _chunk(site_url: str, relative: str) -> dict:
    """A data chunk of a written site, as the JSON inside its ``MTEVAL.receive(url, …)`` call."""
    from urllib.parse import urlparse

    text = (Path(urlparse(site_url).path).parent / relative).read_text(encoding="utf-8")
    return json.loads(text[text.index(",") + 1:text.rindex(")")])


def test_analysis_view_shows_the_analyze_numbers_for_twelve_wmt22_systems(wmt22_site, watched):
    """Buckets with CI whiskers, word accuracy, phenomena, salient n-grams and differences, from the chunk."""
    report = _chunk(wmt22_site["url"], f"data/runs/{wmt22_site['run']}/analysis.js")
    assert report["baseline"] == "JDExploreAcademy" and len(report["systems"]) == 12
    watched.open(f"{wmt22_site['url']}#/analysis?run={wmt22_site['run']}&corpus=wmt22&system=Online-W")
    page = watched.page
    page.wait_for_selector("#an-histograms figure")
    corpus = report["corpora"]["wmt22"]
    cuts = page.locator("#an-buckets .an-bucket")
    assert cuts.evaluate_all("cuts => cuts.map(c => c.dataset.by)") == [c["by"] for c in corpus["buckets"]]
    for cut in corpus["buckets"]:
        points = page.locator(f".an-bucket[data-by='{cut['by']}'] g.whisker-point")
        assert points.count() == 2 * len(cut["buckets"])  # baseline and Online-W, one dot each per bucket
        first = cut["buckets"][0]["scores"]["Online-W"]
        title = page.locator(f".an-bucket[data-by='{cut['by']}'] g.whisker-point[data-system='Online-W'] title").first
        assert title.text_content().endswith(f"{first['value']:.2f} [{first['ci'][0]:.2f}, {first['ci'][1]:.2f}]")
        whiskers = page.locator(f".an-bucket[data-by='{cut['by']}'] g.whisker-point line.whisker").count()
        assert whiskers == 3 * 2 * len(cut["buckets"])  # the interval and its two caps
    assert page.locator("#an-word-accuracy g.whisker-point").count() == 2 * len(corpus["word_accuracy"]["buckets"])
    checks = [p["check"] for p in corpus["phenomena"]]
    assert checks == ["numbers", "dates", "names", "copies", "quotes"]
    assert page.locator("#an-phenomena g.whisker-point").count() == 2 * len(checks)
    misses = page.locator("#an-misses tbody tr")
    expected = sum(len(p["scores"][name]["missed"]) for p in corpus["phenomena"] for name in ("JDExploreAcademy", "Online-W"))
    assert misses.count() == expected > 0
    diff = next(d for d in corpus["differences"] if d["system"] == "Online-W")
    wtl = page.locator("#an-wtl").inner_text()
    assert f"{diff['segments']['win']:,} wins" in wtl and f"{diff['segments']['loss']:,} losses" in wtl
    assert page.locator("#an-differences svg.histogram rect.bar").count() == len(diff["histogram"]["counts"])
    salient = page.locator("#an-salient .an-salient")
    assert salient.count() == 2
    online_w = next(e for e in corpus["salient"] if e["better"] == "Online-W" and e["worse"] == "JDExploreAcademy")
    assert online_w["ngrams"][0]["ngram"] in salient.nth(0).inner_text() + salient.nth(1).inner_text()
    # Another system re-draws every section for it.
    page.select_option("#an-system", "AISP-SJTU")
    page.wait_for_selector("#an-buckets g.whisker-point[data-system='AISP-SJTU']")
    page.select_option("#an-system", "Online-W")
    page.wait_for_selector("#an-histograms figure")
    watched.shot("analysis-wmt22")
    assert watched.errors == []


def test_segment_score_histograms_and_scatter_open_the_segment(wmt22_site, watched):
    """One histogram per system (its bins count every segment); a scatter point click opens that segment."""
    run = wmt22_site["run"]
    watched.open(f"{wmt22_site['url']}#/analysis?run={run}&corpus=wmt22&system=Online-W")
    page = watched.page
    page.wait_for_selector("#an-histograms figure")
    figures = page.locator("#an-histograms figure")
    assert figures.count() == 12
    for k in range(12):
        counts = figures.nth(k).locator("rect.bar title").evaluate_all(
            "ts => ts.map(t => parseInt(t.textContent.split(': ')[1].replace(/,/g, ''), 10))")
        assert sum(counts) == 1875, figures.nth(k).get_attribute("data-system")
    figures.first.screenshot(path=str(_artifacts() / "histogram-wmt22.png"))
    page.locator("#an-histograms").screenshot(path=str(_artifacts() / "histograms-wmt22.png"))
    points = page.locator("#an-scatter circle.seg-point")
    assert points.count() == 1875
    note = page.locator("#an-scatter .note").inner_text()
    above, below = (int(n.replace(",", "")) for n in re.findall(r"([\d,]+) segments above the diagonal .*?, ([\d,]+) below", note)[0])
    diff = next(d for d in _chunk(wmt22_site["url"], f"data/runs/{run}/analysis.js")["corpora"]["wmt22"]["differences"]
                if d["system"] == "Online-W")
    assert (above, below) == (diff["segments"]["win"], diff["segments"]["loss"])  # ties: on the diagonal
    page.locator("#an-scatter").screenshot(path=str(_artifacts() / "scatter-wmt22.png"))
    seg = points.nth(1200).get_attribute("data-seg")
    page.locator(f"#an-scatter circle.seg-point[data-seg='{seg}']").dispatch_event("click")
    watched.ready()
    page.wait_for_selector(f"article.seg.target[data-seg-id='{seg}']")
    hash_ = page.evaluate("location.hash")
    assert hash_.startswith("#/segments?") and "systems=JDExploreAcademy%2COnline-W" in hash_
    assert page.locator("article.seg.target .hyp").count() == 2
    assert watched.errors == []


def _cjk_font_installed() -> bool:
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(listed.strip())


GLYPH_CHECK = """el => {
  const font = getComputedStyle(el).font;
  const text = [...el.textContent].filter(c => /\\p{Script=Han}/u.test(c)).slice(0, 8);
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  const g = canvas.getContext("2d", { willReadFrequently: true });
  const image = (c) => {
    g.clearRect(0, 0, 64, 64); g.font = font; g.fillStyle = "#000"; g.fillText(c, 4, 44);
    return Array.from(g.getImageData(0, 0, 64, 64).data).join(",");
  };
  const tofu = image("\\u{10FFFD}");
  const images = text.map(image);
  g.font = font;
  return { font, chars: text.join(""), distinct: new Set(images).size, likeTofu: images.filter(i => i === tofu).length,
           width: g.measureText(text.join("")).width, tofuWidth: g.measureText("\\u{10FFFD}".repeat(text.length)).width };
}"""


def test_chinese_sources_are_drawn_with_glyphs_not_boxes(wmt22_site, watched):
    """Eight different Han characters of a source drawn in the page's font: eight different images, none
    the missing-glyph box (a string of a code point no font has), and a different width from as many boxes."""
    if not _cjk_font_installed():
        pytest.skip("no CJK font (fc-list :lang=zh is empty): apt-get install -y fonts-noto-cjk (.ci/run does)")
    watched.open(f"{wmt22_site['url']}#/segments?run={wmt22_site['run']}&corpus=wmt22")
    page = watched.page
    page.wait_for_selector("#explorer[data-ready='1'] article.seg")
    source = page.locator("article.seg .seg-src .text").first
    assert source.get_attribute("lang") in ("zh-Hans", "zh-Hant")
    found = source.evaluate(GLYPH_CHECK)
    assert len(found["chars"]) == 8, found
    assert "CJK" in found["font"] or "sans-serif" in found["font"], found
    assert found["likeTofu"] == 0, found
    assert found["distinct"] == 8, found  # missing glyphs would all be the same box
    assert abs(found["width"] - found["tofuWidth"]) > 0.5, found
    watched.shot("segments-cjk-wmt22", full_page=False)
    assert watched.errors == []


def test_leaderboard_and_history_show_sparklines_of_each_systems_runs(site, watched):
    watched.open(f"{site['url']}#/leaderboard?run=2&corpus=paired.zh-Hans")
    page = watched.page
    gloss = page.locator("table.leaderboard tr[data-system='gloss'] svg.sparkline")
    assert gloss.count() == 1 and gloss.get_attribute("data-runs") == "2"  # runs 1 and 2
    assert gloss.locator("polyline.spark-line").count() == 1
    assert page.locator(f"table.leaderboard tr[data-system='{site['system']}'] svg.sparkline").get_attribute("data-runs") == "1"
    watched.open(f"{site['url']}#/leaderboard?run=1&corpus=paired.zh-Hans")
    assert page.locator("table.leaderboard tr[data-system='gloss'] svg.sparkline").get_attribute("data-runs") == "1"
    watched.open(f"{site['url']}#/history?corpus=paired.zh-Hans&metric=bleu")
    trends = page.locator("table.trends tbody tr")
    assert trends.count() == 3
    assert page.locator("table.trends tr[data-system='gloss'] svg.sparkline polyline").count() == 1
    watched.shot("history-sparklines")
    assert watched.errors == []


def test_scatter_card_shows_the_hovered_segment_and_its_chinese_source(wmt22_site, watched):
    """Beside the scatter a card shows one segment (at first the one the two systems disagree on most):
    its Chinese source, reference and both outputs; hovering a point shows that point's segment."""
    run = wmt22_site["run"]
    segs = _chunk(wmt22_site["url"], _chunk(wmt22_site["url"], f"data/runs/{run}.js")["chunks"]["segments"])
    watched.open(f"{wmt22_site['url']}#/analysis?run={run}&corpus=wmt22&system=Online-W")
    page = watched.page
    page.wait_for_selector("#an-scatter-detail .an-card")
    card = page.locator("#an-scatter-detail .an-card")
    picked = page.locator("#an-scatter circle.seg-point.picked")
    assert picked.count() == 1 and picked.get_attribute("data-seg") == card.get_attribute("data-seg")
    delta = card.locator(".delta").inner_text()
    widest = max(abs(float(t.split(" · ")[2].split()[1]) - float(t.split(" · ")[1].split()[1]))
                 for t in page.locator("#an-scatter circle.seg-point title").all_text_contents())
    assert abs(float(delta.split(": ")[1].split()[0].replace("−", "-").replace("+", ""))) == pytest.approx(widest, abs=0.02)  # both rounded for display
    other = page.locator("#an-scatter circle.seg-point").nth(300)  # points overlap: the pointer's events, sent to it
    other.dispatch_event("mouseenter")
    page.wait_for_selector(f"#an-scatter-detail .an-card[data-seg='{other.get_attribute('data-seg')}']")
    point = page.locator("#an-scatter circle.seg-point").nth(700)
    seg = point.get_attribute("data-seg")
    point.focus()  # the keyboard's way (Tab), which Enter then opens
    page.wait_for_selector(f"#an-scatter-detail .an-card[data-seg='{seg}']")
    i = segs["id"].index(seg)
    assert card.locator(".src").inner_text() == segs["src"][i]
    assert card.locator(".src").get_attribute("lang") == "zh-Hans"
    assert [r.get_attribute("data-system") for r in card.locator(".an-card-row.hyp").all()] == ["JDExploreAcademy", "Online-W"]
    if _cjk_font_installed():
        found = card.locator(".src").evaluate(GLYPH_CHECK)
        assert found["likeTofu"] == 0 and found["distinct"] == len(found["chars"]), found
    page.locator("#an-scatter").screenshot(path=str(_artifacts() / "scatter-card-wmt22.png"))
    card.locator("a.seg-link").click()
    watched.ready()
    page.wait_for_selector(f"article.seg.target[data-seg-id='{seg}']")
    assert watched.errors == []


def test_segment_explorer_histograms_count_the_segments_the_filters_keep(wmt22_site, watched):
    """The explorer's distribution: one histogram per shown system, over the segments the filters keep."""
    run = wmt22_site["run"]
    watched.open(f"{wmt22_site['url']}#/segments?run={run}&corpus=wmt22&systems=JDExploreAcademy,Online-W,NiuTrans")
    page = watched.page
    page.wait_for_selector("#explorer[data-ready='1'] article.seg")
    assert page.locator("#seg-dist").get_attribute("open") is None and page.locator("#seg-histograms").count() == 0
    page.locator("#seg-dist > summary").click()
    page.wait_for_selector("#seg-histograms figure")
    count_bars = "ts => ts.map(t => parseInt(t.textContent.split(': ')[1].replace(/,/g, ''), 10))"

    def totals() -> dict:
        return {f.get_attribute("data-system"): sum(f.locator("rect.bar title").evaluate_all(count_bars))
                for f in page.locator("#seg-histograms figure").all()}

    assert totals() == {"JDExploreAcademy": 1875, "Online-W": 1875, "NiuTrans": 1875}
    page.select_option("#seg-length", "0-20")
    _until(page, "document.querySelector('#seg-dist summary').textContent.includes('of') || true")
    kept = int(re.match(r"([\d,]+) of", page.locator("#seg-summary").inner_text()).group(1).replace(",", ""))
    assert 0 < kept < 1875
    _until(page, f"document.querySelector('#seg-dist summary').textContent.includes('({kept:,} segments')")
    assert totals() == {"JDExploreAcademy": kept, "Online-W": kept, "NiuTrans": kept}
    page.select_option("#seg-length", "")
    page.wait_for_selector("#seg-histograms figure")
    page.evaluate("window.scrollTo(0, 0)")
    watched.shot("segments-histograms-wmt22", full_page=False)
    # A bar keeps its bin: Online-W becomes "scored by", the score range is the bin (both ends kept).
    bars = page.locator("#seg-histograms figure[data-system='Online-W'] rect.bar")
    counts = bars.locator("title").evaluate_all(count_bars)
    k = counts.index(max(counts))
    lo, hi = (float(x) for x in re.match(r"\[([\d.]+), ([\d.]+)", bars.nth(k).locator("title").text_content()).groups())
    bars.nth(k).click()
    page.wait_for_selector("#explorer[data-ready='1'] article.seg")
    assert page.locator("#seg-scoreby").input_value() == "Online-W"
    assert (float(page.locator("#seg-min").input_value()), float(page.locator("#seg-max").input_value())) == (lo, hi)
    kept = int(re.match(r"([\d,]+) of", page.locator("#seg-summary").inner_text()).group(1).replace(",", ""))
    assert kept >= counts[k]  # segments scoring exactly ``hi`` are in the next bin, and kept too
    after = page.locator("#seg-histograms figure[data-system='Online-W'] rect.bar title").evaluate_all(count_bars)
    assert sum(after) == kept and sum(after[k:k + 2]) == kept
    page.locator("#seg-reset").click()
    page.wait_for_selector("#seg-histograms figure")
    assert page.locator("#seg-min").input_value() == ""
    page.locator("#seg-dist > summary").click()
    _until(page, "!document.querySelector('#seg-histograms')")
    assert watched.errors == []


def test_traditional_and_simplified_sources_name_their_own_cjk_fonts(site, watched):
    """A zh-Hant source lists the Traditional (TC) fonts before the Simplified (SC) ones, a zh-Hans one the reverse."""
    for corpus, first, second in (("paired.zh-Hant", "Noto Sans CJK TC", "Noto Sans CJK SC"),
                                  ("paired.zh-Hans", "Noto Sans CJK SC", "Noto Sans CJK TC")):
        watched.open(f"{site['url']}#/segments?run=2&corpus={corpus}")
        watched.page.wait_for_selector("#explorer[data-ready='1'] article.seg")
        source = watched.page.locator("article.seg .seg-src .text").first
        family = source.evaluate("el => getComputedStyle(el).fontFamily")
        assert first in family, family
        assert second not in family or family.index(first) < family.index(second), family
        assert source.get_attribute("lang") == corpus.split(".")[1]
    assert watched.errors == []


def test_salient_ngram_opens_its_first_example_with_the_ngram_marked(wmt22_site, watched):
    """Clicking a salient n-gram shows its first example segment: the Chinese source and both outputs, the n-gram marked."""
    run = wmt22_site["run"]
    meta = _chunk(wmt22_site["url"], f"data/runs/{run}.js")
    segs = _chunk(wmt22_site["url"], meta["chunks"]["segments"])
    report = _chunk(wmt22_site["url"], f"data/runs/{run}/analysis.js")
    entry = next(e for e in report["corpora"]["wmt22"]["salient"] if e["better"] == "Online-W" and e["worse"] == "JDExploreAcademy")
    chunk = next(s["chunk"] for s in meta["systems"] if s["name"] == "Online-W")
    hyps = _chunk(wmt22_site["url"], chunk)["hyp"]
    watched.open(f"{wmt22_site['url']}#/analysis?run={run}&corpus=wmt22&system=Online-W")
    page = watched.page
    page.wait_for_selector("#an-salient .an-salient")
    table = page.locator(".an-salient[data-better='Online-W']")
    k, g = next((k, g) for k, g in enumerate(entry["ngrams"])
                if g["ngram"].lower() in hyps[segs["id"].index(g["examples"][0])].lower())
    row = table.locator("tbody tr[data-ngram]").nth(k)
    assert row.get_attribute("data-ngram") == g["ngram"]
    row.locator("button.ngram-toggle").click()
    card = table.locator(f"tr.an-example:not([hidden]) .an-card[data-seg='{g['examples'][0]}']")
    card.wait_for()
    i = segs["id"].index(g["examples"][0])
    assert card.locator(".src").inner_text() == segs["src"][i]
    marks = card.locator(".an-card-row.hyp[data-system='Online-W'] mark.ngram-hit").all_text_contents()
    assert marks and all(m.lower() == g["ngram"].lower() for m in marks)
    card.scroll_into_view_if_needed()
    table.screenshot(path=str(_artifacts() / "salient-example-wmt22.png"))
    row.locator("button.ngram-toggle").click()
    assert table.locator("tr.an-example:not([hidden])").count() == 0
    assert watched.errors == []


def test_analysis_histogram_bar_opens_its_segments_in_the_explorer(wmt22_site, watched):
    """A bar of a system's histogram opens the explorer on that bin: the system scored, the range the bin's."""
    run = wmt22_site["run"]
    watched.open(f"{wmt22_site['url']}#/analysis?run={run}&corpus=wmt22&system=Online-W")
    page = watched.page
    page.wait_for_selector("#an-histograms figure")
    bars = page.locator("#an-histograms figure[data-system='Online-W'] rect.bar")
    counts = bars.locator("title").evaluate_all(
        "ts => ts.map(t => parseInt(t.textContent.split(': ')[1].replace(/,/g, ''), 10))")
    k = counts.index(max(counts))
    lo, hi = (float(x) for x in re.match(r"\[([\d.]+), ([\d.]+)", bars.nth(k).locator("title").text_content()).groups())
    bars.nth(k).dispatch_event("click")
    watched.ready()
    page.wait_for_selector("#explorer[data-ready='1'] #seg-histograms figure")
    assert page.locator("#seg-scoreby").input_value() == "Online-W"
    assert (float(page.locator("#seg-min").input_value()), float(page.locator("#seg-max").input_value())) == (lo, hi)
    kept = int(re.match(r"([\d,]+) of", page.locator("#seg-summary").inner_text()).group(1).replace(",", ""))
    assert counts[k] <= kept < 1875  # plus the segments scoring exactly ``hi`` (the next bin's first)
    shown = [s.get_attribute("data-system") for s in page.locator("#seg-histograms figure").all()]
    assert shown == ["JDExploreAcademy", "Online-W"]
    assert watched.errors == []
