/* Analysis: why one system beats another (the JSON of `mteval analyze`, one chunk per run), and the
 * segment-score charts: per-system histograms and a two-system scatter whose points open the segment.
 *
 * Every number on the page is the chunk's (computed by evals.analysis), except the histograms and the
 * scatter, which plot the segment scores of the system chunks the explorer loads too.
 */
"use strict";

(function () {
  const { h } = MT;
  const state = { corpus: null, system: null, x: null };
  const PHENOMENA_NOTE = "Accuracy = the share of the source's items (numbers, dates, Latin names, URLs and placeholders, quotations) the hypothesis renders; checks need no model (evals/phenomena).";

  MT.register("analysis", {
    title: "Analysis",
    needsRun: true,
    async render(root, ctx) {
      const run = ctx.run;
      const loading = root.appendChild(h("p", { class: "loading" }, "Loading the analyses…"));
      const report = await MT.load(run.chunks.analysis);
      loading.remove();
      if (!ctx.isCurrent()) return;
      if (report.unavailable) {
        root.appendChild(MT.empty(`No analysis for this run: ${report.unavailable}`));
        return;
      }
      const corpora = Object.keys(report.corpora);
      const others = report.systems.filter((n) => n !== report.baseline);
      const params = ctx.params;
      if (params.has("corpus")) state.corpus = params.get("corpus");
      if (params.has("system")) state.system = params.get("system");
      if (params.has("x")) state.x = params.get("x");
      if (!corpora.includes(state.corpus)) state.corpus = corpora[0];
      if (!others.includes(state.system)) state.system = others[0];
      if (!report.systems.includes(state.x) || state.x === state.system) state.x = report.baseline;
      const body = h("div", { id: "analysis-body" });
      const rerender = () => { MT.clear(body); draw(body); };
      root.appendChild(h("div", { class: "controls" },
        MT.select("Corpus", corpora, state.corpus, (v) => { state.corpus = v; rerender(); }, { id: "an-corpus" }),
        MT.select("System", others, state.system, (v) => { state.system = v; rerender(); }, { id: "an-system" }),
      ));
      root.appendChild(MT.note(
        `Each system against ${report.baseline}, the baseline (the run's best by ${report.metric}). `,
        `Bucket scores are ${report.metric} of the bucket's segments pooled (sacrebleu's corpus score), `,
        `with ${Math.round(report.settings.level * 100)}% CIs from ${MT.int(report.settings.n_resamples)} bootstrap resamples of those segments. `,
        "The same numbers as `mteval analyze --format json`."));
      root.appendChild(body);
      rerender();

      function draw(target) {
        const sections = report.corpora[state.corpus];
        const pair = [report.baseline, state.system];
        const diff = (sections.differences || []).find((d) => d.system === state.system);
        target.appendChild(h("section", { class: "an-section", id: "an-distributions" },
          h("h2", null, "Segment scores"), distributions(run, report, diff, ctx)));
        if (diff) target.appendChild(h("section", { class: "an-section", id: "an-differences" }, h("h2", null, `Segment-level differences: ${state.system} − ${report.baseline}`), differences(diff)));
        if (sections.buckets && sections.buckets.length) {
          const charts = h("div", { class: "an-grid" });
          for (const cut of sections.buckets) charts.appendChild(bucketChart(cut, pair, report.metric));
          target.appendChild(h("section", { class: "an-section", id: "an-buckets" }, h("h2", null, "Scores by bucket"), charts));
        }
        for (const key of ["word_accuracy", "word_accuracy_pos"]) {
          if (sections[key]) target.appendChild(h("section", { class: "an-section", id: "an-" + key.replace(/_/g, "-") }, h("h2", null, key === "word_accuracy" ? "Word accuracy by word frequency" : "Word accuracy by part of speech"), wordChart(sections[key], pair)));
        }
        if (sections.phenomena && sections.phenomena.length) target.appendChild(h("section", { class: "an-section", id: "an-phenomena" }, h("h2", null, "zh→en phenomena"), phenomena(sections.phenomena, pair)));
        if (sections.salient) target.appendChild(h("section", { class: "an-section", id: "an-salient" }, h("h2", null, "Salient n-grams"), salient(sections.salient, pair, run)));
      }
    },
  });

  // ---- segment scores: histograms and the two-system scatter ---------------------------------------

  function distributions(run, report, diff, ctx) {
    const box = h("div", null, h("p", { class: "loading" }, "Loading segment scores…"));
    const metric = diff ? diff.metric : report.metric;
    const chunks = run.systems.filter((s) => report.systems.includes(s.name));
    Promise.all([MT.load(run.chunks.segments), ...chunks.map((s) => MT.load(s.chunk))]).then(([segs, ...systems]) => {
      if (!ctx.isCurrent()) return;
      MT.clear(box);
      const corpusIx = segs.corpora.indexOf(state.corpus);
      const rows = [];
      for (let i = 0; i < segs.id.length; i++) if (segs.corpus[i] === corpusIx) rows.push(i);
      const scores = new Map(systems.map((sys) => [sys.name, rows.map((i) => (sys.scores[metric] || [])[i])]));
      if (!MT.extent([...scores.values()].flat())) {
        box.appendChild(MT.empty(`No segment ${metric} scores on ${state.corpus}.`));
        return;
      }
      // A bar opens the explorer on its bin's segments: that system scored, with the baseline beside it.
      const openBin = (name, lo, hi) => {
        const systems = name === report.baseline ? [name] : [report.baseline, name];
        location.hash = MT.runLink("segments", { corpus: state.corpus, systems, by: name, min: lo, max: hi, metric, dist: 1 });
      };
      box.appendChild(MT.histograms(report.systems.map((name) => ({ name, values: scores.get(name) || [] })),
        { metric, id: "an-histograms", className: "an-histograms", onBar: openBin }));
      box.appendChild(MT.note(`Histograms of sentence ${metric} per system on ${state.corpus} (same bins for every system); click a bar to open its segments in the explorer.`));
      const names = report.systems;
      const controls = h("div", { class: "controls" },
        MT.select("x axis", names.filter((n) => n !== state.system), state.x, (v) => { state.x = v; redraw(); }, { id: "an-scatter-x" }),
        h("span", { class: "control" }, `y axis: ${state.system}`));
      const plot = h("div", { id: "an-scatter" });
      const chunkOf = new Map(systems.map((sys) => [sys.name, sys]));
      const redraw = () => {
        MT.clear(plot);
        const xs = scores.get(state.x) || [], ys = scores.get(state.system) || [];
        const points = rows.map((i, k) => ({
          x: xs[k], y: ys[k], id: segs.id[i], i,
          title: `${segs.id[i]} · ${state.x} ${MT.fmt(xs[k])} · ${state.system} ${MT.fmt(ys[k])}\n${clip(segs.src[i], 80)}`,
        }));
        const above = points.filter((p) => MT.isNum(p.x) && MT.isNum(p.y) && p.y > p.x).length;
        const below = points.filter((p) => MT.isNum(p.x) && MT.isNum(p.y) && p.y < p.x).length;
        const detail = h("div", { class: "an-scatter-detail", id: "an-scatter-detail", "aria-live": "polite" });
        const show = (p, dot) => {
          for (const old of plot.querySelectorAll("circle.seg-point.picked")) old.classList.remove("picked");
          if (dot) dot.classList.add("picked");
          MT.clear(detail).appendChild(segmentCard(segs, p, [state.x, state.system], chunkOf, metric));
        };
        const chart = MT.segmentScatter({
          points, xLabel: `${state.x} (sentence ${metric})`, yLabel: `${state.system} (sentence ${metric})`,
          label: `segment ${metric}: ${state.system} against ${state.x}`,
          onPick: (p) => { location.hash = MT.runLink("segments", { corpus: state.corpus, seg: p.id, systems: [state.x, state.system], metric }); },
          onHover: show,
        });
        plot.appendChild(h("div", { class: "an-scatter-wrap" }, chart, detail));
        // Until a point is hovered, the card shows the segment the two systems disagree on most.
        const scored = points.filter((p) => MT.isNum(p.x) && MT.isNum(p.y));
        if (scored.length) {
          const widest = scored.reduce((a, b) => (Math.abs(b.y - b.x) > Math.abs(a.y - a.x) ? b : a));
          show(widest, chart.querySelector(`circle.seg-point[data-seg="${CSS.escape(widest.id)}"]`));
        }
        plot.appendChild(MT.note(`${MT.int(above)} segments above the diagonal (${state.system} higher), ${MT.int(below)} below. Hover a point to see its segment beside the chart; click it to open the segment in the explorer.`));
      };
      box.appendChild(h("h3", null, "Two systems, segment by segment"));
      box.appendChild(controls);
      box.appendChild(plot);
      redraw();
    }).catch((error) => { MT.clear(box).appendChild(MT.errorBox(error)); });
    return box;
  }

  /** The scatter's card for point p: the segment's source, reference and both systems' outputs and scores. */
  function segmentCard(segs, p, pair, chunkOf, metric) {
    const i = p.i;
    const script = segs.scripts[segs.script[i]];
    const lang = script === "zh-Hans" || script === "zh-Hant" ? script : "zh";
    const link = MT.runLink("segments", { corpus: state.corpus, seg: p.id, systems: pair, metric });
    const row = (label, text, props) => h("div", { class: "an-card-row" }, h("span", { class: "lbl" }, label), h("span", Object.assign({ class: "text" }, props || {}), text));
    const [xName, yName] = pair;
    const hyp = (name) => { const c = chunkOf.get(name); const v = c ? c.hyp[i] : null; return v === null || v === undefined ? "(not translated)" : v; };
    return h("div", { class: "an-card", "data-seg": p.id },
      h("div", { class: "an-card-head" }, h("a", { href: link, class: "seg-link", title: "Open in the segment explorer" }, "¶ ", p.id),
        h("span", { class: "delta" }, `${yName} − ${xName}: ${MT.signed(p.y - p.x)} ${metric}`)),
      row("Source", segs.src[i], { lang, class: "text src" }),
      row("Reference", segs.ref[i] === null || segs.ref[i] === undefined ? "(no reference)" : segs.ref[i], { lang: "en" }),
      ...[[xName, p.x], [yName, p.y]].map(([name, v]) => h("div", { class: "an-card-row hyp", "data-system": name },
        h("span", { class: "lbl" }, h("span", { class: "swatch", style: { background: MT.color(name) } }), `${name} · ${MT.fmt(v, 1)}`),
        h("span", { class: "text", lang: "en" }, hyp(name)))));
  }

  // ---- the report's sections ---------------------------------------------------------------------

  function differences(diff) {
    const seg = diff.segments, docs = diff.documents;
    const total = seg.win + seg.tie + seg.loss;
    const better = diff.higher_is_better ? "higher" : "lower";
    return h("div", { class: "an-diff" },
      h("p", { class: "wtl", id: "an-wtl" },
        h("span", { class: "win" }, `${MT.int(seg.win)} wins`), " · ", h("span", { class: "tie" }, `${MT.int(seg.tie)} ties`), " · ",
        h("span", { class: "loss" }, `${MT.int(seg.loss)} losses`),
        ` of ${MT.int(total)} segments (${MT.pct(seg.win / (total || 1))} won); documents ${docs.win}/${docs.tie}/${docs.loss}; mean Δ ${MT.signed(diff.mean_difference)}`),
      MT.histogram({ edges: diff.histogram.edges, counts: diff.histogram.counts, color: MT.color(diff.system), marker: 0, width: 620, height: 200,
        xLabel: `sentence ${diff.metric}: ${diff.system} − ${diff.baseline} (${better} is better)`, label: "histogram of segment differences" }));
  }

  function bucketChart(cut, pair, metric) {
    const categories = cut.buckets.map((b) => ({ label: b.label, sub: `n=${b.n}`, title: `${b.label}: ${b.n} segments` }));
    const series = pair.map((name) => ({
      name, color: MT.color(name),
      values: cut.buckets.map((b) => {
        const sc = b.scores[name] || {};
        return { y: sc.value, lo: sc.ci ? sc.ci[0] : null, hi: sc.ci ? sc.ci[1] : null };
      }),
    }));
    const figure = MT.whiskerChart({ categories, series, yLabel: metric, label: `${metric} by ${cut.title}`, width: 560, height: 260 });
    return h("div", { class: "an-bucket", "data-by": cut.by }, h("h3", null, `by ${cut.title}`), figure);
  }

  function wordChart(section, pair) {
    const categories = section.buckets.map((b) => ({ label: b.label, sub: `${MT.int(b.n)} words`, title: `${b.label}: ${b.n} reference words` }));
    const series = pair.map((name) => ({
      name, color: MT.color(name),
      values: section.buckets.map((b) => ({ y: (b.scores[name] || {}).value,
        title: `${name} · ${b.label}: F ${MT.fmt(b.scores[name].value)} (P ${MT.fmt(b.scores[name].precision)}, R ${MT.fmt(b.scores[name].recall)})` })),
    }));
    return h("div", null, MT.whiskerChart({ categories, series, yLabel: "F-measure", label: "word accuracy", height: 240 }),
      MT.note(`F-measure of reference words matched, by how often the word occurs in the ${section.source}.`));
  }

  function phenomena(section, pair) {
    const categories = section.map((p) => ({ label: p.check, sub: `${p.items} items`, title: `${p.title} (${p.segments} segments)` }));
    const series = pair.map((name) => ({
      name, color: MT.color(name),
      values: section.map((p) => {
        const sc = p.scores[name] || {};
        return { y: sc.value, lo: sc.ci ? sc.ci[0] : null, hi: sc.ci ? sc.ci[1] : null,
          title: `${name} · ${p.check}: ${MT.fmt(sc.value)}% [${MT.fmt(sc.ci && sc.ci[0])}, ${MT.fmt(sc.ci && sc.ci[1])}] · ${sc.items - sc.matched} of ${sc.items} missed` };
      }),
    }));
    const rows = [];
    for (const p of section) for (const name of pair) for (const miss of (p.scores[name] || {}).missed || []) rows.push({ check: p.check, system: name, miss });
    const table = h("table", { class: "an-misses", id: "an-misses" },
      h("thead", null, h("tr", null, ["check", "system", "segment", "missed", "source", "hypothesis"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, rows.map((r) => h("tr", { "data-check": r.check },
        h("td", null, r.check), h("td", null, h("span", { class: "swatch", style: { background: MT.color(r.system) } }), r.system),
        h("td", null, h("a", { href: MT.runLink("segments", { corpus: state.corpus, seg: r.miss.seg_id, systems: pair }) }, r.miss.seg_id)),
        h("td", { class: "missed", lang: "zh" }, r.miss.missed.join(", ")),
        h("td", { class: "src", lang: "zh" }, clip(r.miss.source, 70)),
        h("td", { class: "hyp", lang: "en" }, clip(r.miss.hypothesis, 90))))));
    return h("div", null, MT.whiskerChart({ categories, series, yLabel: "accuracy (%)", label: "phenomenon accuracy", height: 240 }),
      MT.note(PHENOMENA_NOTE), rows.length ? h("h3", null, "Examples of missed items") : null, rows.length ? table : null);
  }

  function salient(section, pair, run) {
    const out = h("div", { class: "an-grid" });
    for (const entry of section.filter((e) => pair.includes(e.better) && pair.includes(e.worse))) {
      const rows = [];
      for (const g of entry.ngrams) {
        const example = h("tr", { class: "an-example", hidden: true }, h("td", { colspan: "5" }));
        const toggle = h("button", { type: "button", class: "ngram-toggle", "aria-expanded": "false", title: "Show the n-gram in its first example segment",
          onclick: () => {
            const open = example.hidden;
            example.hidden = !open;
            toggle.setAttribute("aria-expanded", String(open));
            if (open && !example.dataset.filled) fillExample(example.firstChild, run, g, entry, pair).then(() => { example.dataset.filled = "1"; });
          } }, g.ngram);
        rows.push(h("tr", { "data-ngram": g.ngram },
          h("td", { class: "ngram" }, toggle), h("td", { class: "num" }, String(g.better)), h("td", { class: "num" }, String(g.worse)),
          h("td", { class: "num" }, MT.fmt(g.score, 3)),
          h("td", null, g.examples.map((id, k) => [k ? ", " : "", h("a", { href: MT.runLink("segments", { corpus: state.corpus, seg: id, systems: pair }) }, id)]))), example);
      }
      out.appendChild(h("div", { class: "an-salient", "data-better": entry.better },
        h("h3", null, `${entry.better} matches, ${entry.worse} misses`),
        h("table", { class: "salient" },
          h("thead", null, h("tr", null, ["n-gram", entry.better, entry.worse, "score", "e.g."].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, rows)),
        MT.note("Click an n-gram to see it in its first example: the source, the reference and both outputs, the n-gram marked.")));
    }
    return out;
  }

  /** The first example segment of n-gram g: source, reference and the two outputs, every occurrence of g marked. */
  async function fillExample(cell, run, g, entry, pair) {
    const chunkOf = (name) => run.systems.find((s) => s.name === name).chunk;
    try {
      const [segs, better, worse] = await Promise.all([MT.load(run.chunks.segments), MT.load(chunkOf(entry.better)), MT.load(chunkOf(entry.worse))]);
      const id = g.examples[0];
      const c = segs.corpora.indexOf(state.corpus);
      let i = -1;
      for (let k = 0; k < segs.id.length; k++) if (segs.id[k] === id && segs.corpus[k] === c) { i = k; break; }
      if (i < 0) { cell.appendChild(MT.empty(`Segment ${id} is not in the segments chunk.`)); return; }
      const script = segs.scripts[segs.script[i]];
      const row = (label, text, props) => h("div", Object.assign({ class: "an-card-row" }, props || {}), h("span", { class: "lbl" }, label), text);
      cell.appendChild(h("div", { class: "an-card", "data-seg": id },
        h("div", { class: "an-card-head" }, h("a", { href: MT.runLink("segments", { corpus: state.corpus, seg: id, systems: pair }), class: "seg-link" }, "¶ ", id),
          `“${g.ngram}”: matched ${MT.int(g.better)} times by ${entry.better}, ${MT.int(g.worse)} by ${entry.worse} (clipped reference matches over the corpus)`),
        row("Source", h("span", { class: "text src", lang: script === "zh-Hant" ? "zh-Hant" : "zh-Hans" }, segs.src[i])),
        row("Reference", h("span", { class: "text", lang: "en" }, marked(segs.ref[i] || "", g.ngram))),
        [[entry.better, better], [entry.worse, worse]].map(([name, sys]) => row(
          [h("span", { class: "swatch", style: { background: MT.color(name) } }), name],
          h("span", { class: "text", lang: "en" }, marked(sys.hyp[i] || "", g.ngram)), { class: "an-card-row hyp", "data-system": name }))));
    } catch (error) {
      cell.appendChild(MT.errorBox(error));
    }
  }

  /** ``text`` with every case-insensitive occurrence of ``needle`` in a <mark> (as text nodes, never markup). */
  function marked(text, needle) {
    const out = [], lower = text.toLowerCase(), n = needle.toLowerCase();
    let from = 0;
    for (let at = n ? lower.indexOf(n) : -1; at >= 0; at = lower.indexOf(n, at + n.length)) {
      out.push(text.slice(from, at), h("mark", { class: "ngram-hit" }, text.slice(at, at + n.length)));
      from = at + n.length;
    }
    out.push(text.slice(from));
    return out;
  }

  function clip(text, n) {
    const t = String(text || "");
    return t.length > n ? t.slice(0, n - 1) + "…" : t;
  }
})();
