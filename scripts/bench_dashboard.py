"""How fast the dashboard opens on a big run: 5 systems × 10k segments.

Builds a synthetic run through the real pipeline (`mteval run` on a generated
corpus with five `file:` systems, so the store holds what a real run holds:
translations, flags, segment/document/system scores with confidence
intervals, cached statistics), writes the static site with `mteval
dashboard`, then opens the segment explorer in headless Chromium and measures

* **ready**: navigation start → explorer table rendered and interactive (the
  app's `mteval:explorer-ready` performance mark, set after the first page of
  segments is in the DOM with its controls wired);
* **filter**: one filter change (sort by worst) until the table is redrawn;
* **next page**: a click on "Next" until the new page is drawn;

and prints them with the site size. The goal is ready < 2 s.

    python scripts/bench_dashboard.py [--segments 10000] [--systems 5] [--repeat 3] [--keep DIR]

`--keep DIR` keeps (and on the next call reuses) the store and corpus, so
repeated measurements skip the ~minutes-long `mteval run`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOISE = (0.05, 0.15, 0.3, 0.45, 0.6)  # share of reference words each system drops or garbles


def synthetic_corpus(n_segments: int, out: Path, seed: int = 7) -> list[dict]:
    """A paired corpus of ``n_segments`` built from the real seed segments, 20 per document.

    Sources and references are real sentences; each synthetic segment joins
    one or two of them so texts vary in length like a real corpus does, and
    carries its number so no two sources are equal (the translation cache is
    keyed by source text, so repeated sources would share one hypothesis).
    """
    rng = random.Random(seed)
    seeds = [json.loads(line) for line in (REPO / "corpora" / "paired.zh-Hans.jsonl").open(encoding="utf-8")]
    rows = []
    for i in range(n_segments):
        picked = rng.sample(seeds, rng.choice((1, 1, 1, 2)))
        doc = i // 20
        rows.append({
            "corpus": "bench.zh-Hans", "doc_id": f"doc{doc:05d}", "seg_id": f"doc{doc:05d}:s{i % 20:02d}",
            "para": i % 20, "source": f"{i}. " + "".join(s["source"] for s in picked),
            "reference": f"{i}. " + " ".join(s["reference"] for s in picked), "src_lang": "zh", "tgt_lang": "en",
            "script": "zh-Hans", "bead": "1-1", "score": 1.0,
        })
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return rows


def synthetic_system(rows: list[dict], noise: float, out: Path, seed: int) -> None:
    """Hypotheses: the reference with a share ``noise`` of its words dropped or replaced;
    now and then the untranslated source (so flags have something to find)."""
    rng = random.Random(seed)
    vocabulary = ["the", "said", "government", "report", "week", "officials", "new", "people", "China", "market"]
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            if rng.random() < noise / 20:
                hypothesis = row["source"]
            else:
                words = []
                for word in row["reference"].split():
                    roll = rng.random()
                    if roll < noise / 2:
                        continue
                    words.append(rng.choice(vocabulary) if roll < noise else word)
                hypothesis = " ".join(words)
            f.write(json.dumps({"seg_id": row["seg_id"], "hypothesis": hypothesis}, ensure_ascii=False) + "\n")


def build_store(work: Path, n_segments: int, n_systems: int) -> Path:
    db = work / "bench.db"
    if db.exists():
        print(f"reusing {db}", file=sys.stderr)
        return db
    rows = synthetic_corpus(n_segments, work / "bench.zh-Hans.jsonl")
    systems = []
    for k in range(n_systems):
        path = work / f"sys{k + 1}.jsonl"
        synthetic_system(rows, NOISE[k % len(NOISE)], path, seed=100 + k)
        systems.append(f"  - {{spec: \"file:{path}\", name: sys{k + 1}}}")
    suite = work / "bench.yaml"
    suite.write_text("name: bench\ncorpora: [" + str(work / "bench.zh-Hans.jsonl") + "]\nsystems:\n"
                     + "\n".join(systems) + "\nmetrics: [bleu, chrf]\n", encoding="utf-8")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "evals", "run", str(suite), "--db", str(db), "-q", "--format", "csv"],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    print(f"mteval run: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return db


def build_site(db: Path, site: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "evals", "dashboard", "--db", str(db), "--out", str(site)],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(site: Path, repeat: int, n_systems: int) -> dict[str, list[float]]:
    """Fresh browser context per load (nothing cached); the default view (three systems side by
    side) and one with every system selected."""
    from playwright.sync_api import sync_playwright

    base = (site / "index.html").as_uri()
    every = ",".join(f"sys{k + 1}" for k in range(n_systems))
    results: dict[str, list[float]] = {"ready": [], "ready_all": [], "filter": [], "next_page": [],
                                       "loaded_bytes": [], "loaded_bytes_all": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(repeat):
                for key, url in (("", base + "#/segments"), ("_all", base + f"#/segments?systems={every}")):
                    context = browser.new_context(viewport={"width": 1400, "height": 900})
                    page = context.new_page()
                    errors: list[str] = []
                    requested: list[str] = []
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                    page.on("request", lambda r: requested.append(r.url))
                    page.goto(url)
                    page.wait_for_selector("#explorer[data-ready='1'] article.seg", timeout=60_000)
                    ready = page.evaluate("performance.getEntriesByName('mteval:explorer-ready')[0].startTime")
                    results["ready" + key].append(ready / 1000)
                    results["loaded_bytes" + key].append(sum(
                        Path(url2pathname(urlparse(u).path)).stat().st_size for u in requested if "/data/" in u))
                    if not key:
                        results["filter"].append(_timed(
                            page, "document.getElementById('seg-sort')",
                            "el => { el.value = 'worst'; el.dispatchEvent(new Event('change')); }"))
                        results["next_page"].append(_timed(
                            page, "document.querySelector('nav.pager button.next')", "el => el.click()"))
                    if errors:
                        raise SystemExit(f"console errors: {errors}")
                    context.close()
        finally:
            browser.close()
    return results


def _timed(page, selector_js: str, action_js: str) -> float:
    """Seconds from an action to the explorer's list being replaced (measured in the page)."""
    return page.evaluate(f"""() => new Promise(resolve => {{
        const list = () => document.getElementById('seg-list');
        const before = list();
        const start = performance.now();
        ({action_js})({selector_js});
        const check = () => list() !== before
            ? resolve((performance.now() - start) / 1000) : requestAnimationFrame(check);
        check();
    }})""")


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="Page loads to take the median of.")
    parser.add_argument("--keep", type=Path, default=None, help="Folder to keep (and reuse) the store in.")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
    work = args.keep or Path(tempfile.mkdtemp(prefix="mteval-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        db = build_store(work, args.segments, args.systems)
        site = work / "site"
        site_seconds = build_site(db, site)
        n_files, n_bytes = folder_size(site)
        results = measure(site, args.repeat, args.systems)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"{args.systems} systems × {args.segments} segments · site {n_bytes / 2**20:.1f} MB in {n_files} files "
          f"(`mteval dashboard` took {site_seconds:.1f} s)")
    print(f"explorer ready (navigation start → first page rendered and interactive), goal < 2 s, "
          f"medians of {args.repeat}:")
    print(f"  3 systems side by side (default): {med['ready']:.2f} s "
          f"[{', '.join(f'{x:.2f}' for x in results['ready'])}], loads {med['loaded_bytes'] / 2**20:.1f} MB")
    print(f"  all {args.systems} systems:               {med['ready_all']:.2f} s "
          f"[{', '.join(f'{x:.2f}' for x in results['ready_all'])}], loads {med['loaded_bytes_all'] / 2**20:.1f} MB")
    print(f"filter change (sort worst first): {med['filter'] * 1000:.0f} ms · "
          f"next page: {med['next_page'] * 1000:.0f} ms")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
