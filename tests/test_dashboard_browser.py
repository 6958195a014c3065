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
VIEWS = ["leaderboard", "history", "documents", "segments", "significance", "scripts", "provenance"]

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
    assert set(_column(page, f"{rows} td:nth-child(2)")) == {"zh-Hant"}
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
