/* Metrics vs humans: for each human metric imported into the run (`mteval human import`), every automatic
   metric's agreement with it (`mteval meta`): a scatter of system scores per metric, the correlation
   table with bootstrap intervals and the recommended gate metrics, and the system pairs each metric
   orders against the humans. Listed in the navigation only for runs that have human metrics. */
"use strict";

(function () {
  const { h } = MT;
  const STATISTICS = [
    ["pearson", "Pearson r", "system level: Pearson correlation of the metric's and the humans' system scores"],
    ["kendall", "Kendall τ", "system level: Kendall τ-b of the two system rankings"],
    ["pairwise_accuracy", "pairwise acc.", "system level: share of system pairs the metric orders as the humans do (what a gate relies on)"],
    ["acc_eq", "acc_eq", "segment level: tie-calibrated pairwise accuracy (Deutsch et al. 2023), grouped by item"],
    ["item_kendall", "item τ", "segment level: Kendall τ-b between systems on each item, averaged over items"],
  ];
  const state = { human: null, corpus: null };

  MT.register("humans", {
    title: "Metrics vs humans",
    needsRun: true,
    available: (entry) => Boolean(entry && entry.human && entry.human.length),
    async render(root, ctx) {
      const run = ctx.run;
      if (!run.chunks.humans) {
        root.appendChild(MT.empty("This run has no human judgements: `mteval human import FILE --format F` adds them."));
        return;
      }
      const loading = root.appendChild(h("p", { class: "loading" }, "Loading the meta-evaluation…"));
      const reports = (await MT.load(run.chunks.humans)).reports;
      loading.remove();
      if (!ctx.isCurrent()) return;
      const params = ctx.params;
      if (params.has("human")) state.human = params.get("human");
      if (params.has("corpus")) state.corpus = params.get("corpus");
      const names = [...new Set(reports.map((r) => r.human_metric))];
      if (!names.includes(state.human)) state.human = names[0];
      const body = h("div", { id: "humans-body" });
      const draw = () => {
        MT.clear(body);
        const mine = reports.filter((r) => r.human_metric === state.human);
        const corpora = mine.map((r) => r.corpus);
        if (!corpora.includes(state.corpus)) state.corpus = corpora[0];
        const entry = mine.find((r) => r.corpus === state.corpus);
        if (corpora.length > 1) body.appendChild(h("div", { class: "controls" },
          MT.select("Corpus", corpora, state.corpus, (v) => { state.corpus = v; draw(); }, { id: "hum-corpus" })));
        body.appendChild(entry.error ? h("div", { class: "error", role: "alert" }, `${entry.human_metric} on ${entry.corpus}: ${entry.error}`) : report(entry.report));
      };
      root.appendChild(h("div", { class: "controls" },
        MT.select("Human metric", names, state.human, (v) => { state.human = v; draw(); }, { id: "hum-human" })));
      root.appendChild(body);
      draw();
    },
  });

  function report(rep) {
    const recommended = new Set(rep.recommended.metrics);
    const human = rep.human.name;
    const out = [h("p", { class: "summary" },
      `${human} (${rep.human.format}, ${rep.human.signature}) on ${rep.corpus}: ${rep.systems.length} systems, ${MT.int(rep.judged_items)} of ${MT.int(rep.items)} segments judged. `,
      `Intervals: ${Math.round(rep.level * 100)}% bootstrap over ${rep.unit}s (${MT.int(rep.n_resamples)} resamples, seed ${rep.seed}).`)];
    out.push(h("h2", null, "Agreement with the humans"));
    out.push(table(rep, recommended));
    out.push(MT.note(
      `★ recommended for the gate: the best metric by ${rep.recommended.by.replace("_", " ")} and every metric not significantly worse (paired bootstrap, α = ${rep.alpha}). `,
      "System level compares the metric's pooled corpus scores with the humans' system scores; segment level compares sentence scores within each item. ",
      "TER and other lower-is-better metrics are negated first, so higher agreement is always better."));
    for (const w of rep.warnings) out.push(h("p", { class: "warn" }, w));
    if (rep.left_out.length) out.push(MT.note("Left out: ", rep.left_out.map((l) => `${l.system || l.metric} (${l.reason})`).join("; "), "."));
    out.push(h("h2", null, "System scores: metric against humans"));
    const charts = h("div", { class: "scatters" });
    for (const m of rep.metrics) {
      const points = rep.systems.map((name) => ({
        label: name, x: m.system_scores[name], y: rep.human_system_scores[name], color: MT.color(name),
        title: `${name}: ${m.metric} ${MT.fmt(m.system_scores[name])}, ${human} ${MT.fmt(rep.human_system_scores[name], 4)}`,
      }));
      const sl = m.system_level || {};
      charts.appendChild(h("section", { class: "scatter", "data-metric": m.metric },
        h("h3", null, MT.metricLabel(m.metric), recommended.has(m.metric) ? h("span", { class: "recommended", title: "recommended gate metric" }, " ★") : null,
          h("span", { class: "sub" }, ` r = ${MT.fmt(sl.pearson, 3)} · τ = ${MT.fmt(sl.kendall, 3)} · pairwise ${MT.pct(sl.pairwise_accuracy, 1)}`)),
        MT.scatterChart({ points, xLabel: `${m.metric} (system score)`, yLabel: `${human} (human system score)`, label: `${m.metric} against ${human}` }),
        discordant(m, human)));
    }
    out.push(charts);
    return h("div", { class: "meta-report", "data-human": human, "data-corpus": rep.corpus }, out);
  }

  function table(rep, recommended) {
    const head = h("tr", null, h("th", { scope: "col" }, "metric"),
      STATISTICS.map(([key, label, title]) => h("th", { scope: "col", title, "data-statistic": key }, label)),
      h("th", { scope: "col", title: "recommended gate metric" }, "gate"));
    const best = {};
    for (const [key] of STATISTICS) {
      const values = rep.metrics.map((m) => m.statistics[key] && m.statistics[key].value).filter(MT.isNum);
      best[key] = values.length ? Math.max(...values) : null;
    }
    const rows = rep.metrics.map((m) => h("tr", { "data-metric": m.metric, class: recommended.has(m.metric) ? "recommended" : null },
      h("th", { scope: "row", title: m.signature }, MT.metricLabel(m.metric)),
      STATISTICS.map(([key]) => {
        const st = m.statistics[key];
        if (!st) return h("td", { class: "missing" }, "–");
        const isBest = MT.isNum(st.value) && st.value === best[key];
        return h("td", { "data-statistic": key, class: "stat" },
          h("span", { class: ["value", isBest && "best"] }, MT.fmt(st.value, 3)),
          h("span", { class: "ci", title: `${Math.round(rep.level * 100)}% bootstrap interval (${st.n_defined} of ${rep.n_resamples} resamples defined)` },
            `[${MT.fmt(st.low, 3)}, ${MT.fmt(st.high, 3)}]`));
      }),
      h("td", { class: "gate" }, recommended.has(m.metric) ? h("span", { class: "recommended", title: "recommended gate metric" }, "★") : "")));
    return h("table", { class: "meta-table" }, h("thead", null, head), h("tbody", null, rows));
  }

  function discordant(m, human) {
    const pairs = (m.system_level && m.system_level.discordant) || [];
    if (!pairs.length) return MT.note(`${m.metric} orders every pair of systems as ${human} does.`);
    return h("details", { class: "discordant", open: pairs.length <= 8 },
      h("summary", null, `${pairs.length} pair${pairs.length === 1 ? "" : "s"} ${m.metric} orders against the humans`),
      h("table", { class: "pairs" },
        h("thead", null, h("tr", null, ["humans prefer", "over", `Δ ${human}`, `Δ ${m.metric}`].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, pairs.map((p) => h("tr", { "data-better": p.better, "data-worse": p.worse },
          h("td", null, h("a", { href: MT.runLink("segments", { systems: [p.better, p.worse].join(","), metric: m.metric }) }, p.better)),
          h("td", null, p.worse),
          h("td", { class: "num" }, MT.signed(p.human_delta, 4)),
          h("td", { class: "num" }, MT.signed(p.metric_delta * MT.direction(m.metric))))))));
  }
})();
