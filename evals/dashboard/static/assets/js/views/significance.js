/* Significance: for each metric, the systems ranked with significance clusters (WMT style), and a
   systems × systems matrix of score deltas (row − column) and paired-test p-values. */
"use strict";

(function () {
  const { h } = MT;
  const state = { corpus: null, metric: "", holm: true };

  MT.register("significance", {
    title: "Significance",
    needsRun: true,
    async render(root, ctx) {
      const run = ctx.run;
      const loading = root.appendChild(h("p", { class: "loading" }, "Loading the paired tests…"));
      const tests = (await MT.load(run.chunks.significance)).matrices;
      loading.remove();
      if (!ctx.isCurrent()) return;
      if (!tests.length) {
        root.appendChild(MT.empty("Significance needs two or more systems with segment scores on the same corpus."));
        return;
      }
      const corpora = [...new Set(tests.map((t) => t.corpus))];
      const params = ctx.params;
      if (params.has("corpus")) state.corpus = params.get("corpus");
      if (params.has("metric")) state.metric = params.get("metric");
      if (!corpora.includes(state.corpus)) state.corpus = corpora[0];
      const metrics = [...new Set(tests.map((t) => t.metric))];
      if (state.metric && !metrics.includes(state.metric)) state.metric = "";
      const body = h("div");
      const rerender = () => { MT.clear(body); draw(body); };
      root.appendChild(h("div", { class: "controls" },
        MT.select("Corpus", corpora, state.corpus, (v) => { state.corpus = v; rerender(); }, { id: "sig-corpus" }),
        MT.select("Metric", [["", "all metrics"], ...metrics.map((m) => [m, MT.metricLabel(m)])], state.metric, (v) => { state.metric = v; rerender(); }, { id: "sig-metric" }),
        MT.select("p-values", [["holm", "Holm-adjusted (all pairs)"], ["raw", "raw"]], state.holm ? "holm" : "raw", (v) => { state.holm = v === "holm"; rerender(); }, { id: "sig-holm" }),
      ));
      root.appendChild(body);
      rerender();

      function draw(target) {
        const shown = tests.filter((t) => t.corpus === state.corpus && (!state.metric || t.metric === state.metric));
        const rankings = h("div", { class: "rankings" });
        for (const test of shown) if (test.ranking) rankings.appendChild(ranking(test));
        target.appendChild(rankings);
        const grid = h("div", { class: "matrices" });
        for (const test of shown) grid.appendChild(matrix(test));
        target.appendChild(grid);
        const methods = [...new Set(shown.flatMap((t) => t.methods))];
        target.appendChild(h("div", { class: "legend-box" },
          h("span", { class: "cell-key sig-better" }, "row significantly better"),
          h("span", { class: "cell-key sig-worse" }, "row significantly worse"),
          h("span", { class: "cell-key ns" }, "no significant difference"),
        ));
        target.appendChild(MT.note(
          `Each cell: Δ = row − column in metric points, and the p-value of the paired test (α = ${shown[0] ? shown[0].alpha : 0.05}). `,
          "Colour follows “better”, so for error metrics such as TER (↓) a negative Δ is an improvement. ",
          state.holm ? "Holm–Bonferroni adjusts the p-values over all pairs of one matrix. " : "Raw p-values: with many pairs some will be “significant” by chance. ",
          "Clusters: systems ranked by score; a new cluster starts where a system is significantly worse than any system of the current cluster (mt-metrics-eval’s rule, Holm-adjusted p < α), so systems in one cluster are not significantly different. ",
          "Resamples are fitted to the number of pairs, so the smallest attainable adjusted p stays well below α. ",
          "Method: ", methods.join("; ") || "–", ". Click a cell to compare the two systems segment by segment."));
      }
    },
  });

  function matrix(test) {
    const names = test.systems;
    const dir = MT.direction(test.metric);
    const pv = state.holm ? test.p_holm : test.p;
    const head = h("tr", null, h("th", { class: "corner", scope: "col" }, "row − column"), names.map((n) => h("th", { scope: "col", title: n }, short(n))));
    const rows = names.map((rowName, i) =>
      h("tr", null,
        h("th", { scope: "row", title: rowName }, h("span", { class: "swatch", style: { background: MT.color(rowName) } }), short(rowName)),
        names.map((colName, j) => {
          if (i === j) return h("td", { class: "diag" }, "—");
          const d = test.delta[i][j], p = pv[i][j];
          if (!MT.isNum(d)) return h("td", { class: "ns" }, "–");
          const significant = MT.isNum(p) && p < test.alpha;
          const better = dir * d > 0;
          const ci = test.delta_ci && test.delta_ci[i][j];
          const title = `${rowName} − ${colName} on ${test.metric}: ${MT.signed(d)}${ci ? ` (95% CI ${MT.fmt(ci[0])} to ${MT.fmt(ci[1])})` : ""}\n` +
            `p = ${MT.isNum(test.p[i][j]) ? test.p[i][j] : "–"} raw, ${MT.isNum(test.p_holm[i][j]) ? test.p_holm[i][j] : "–"} Holm · ${test.n[i][j]} segments`;
          return h("td", { class: ["cell", significant ? (better ? "sig-better" : "sig-worse") : "ns"], title, "data-row": rowName, "data-col": colName },
            h("a", { href: MT.runLink("segments", { corpus: test.corpus, systems: [rowName, colName].join(","), metric: test.metric }) },
              h("span", { class: "delta" }, MT.signed(d)), h("span", { class: "p" }, MT.pval(p))));
        })));
    return h("section", { class: "matrix", "data-metric": test.metric },
      h("h3", null, MT.metricLabel(test.metric)),
      h("table", { class: "sig" }, h("thead", null, head), h("tbody", null, rows)));
  }

  function ranking(test) {
    const rows = test.ranking.map((r, k) => {
      const first = k === 0 || test.ranking[k - 1].cluster !== r.cluster;
      return h("tr", { class: [first ? "cluster-start" : "", r.cluster % 2 ? "cluster-odd" : ""], "data-system": r.system, "data-cluster": String(r.cluster) },
        h("td", { class: "cluster" }, first ? String(r.cluster) : ""),
        h("td", { class: "rank" }, String(r.rank)),
        h("td", { class: "system", title: r.system }, h("span", { class: "swatch", style: { background: MT.color(r.system) } }), short(r.system)),
        h("td", { class: "score" }, MT.fmt(r.score)));
    });
    return h("section", { class: "ranking", "data-metric": test.metric, "data-clusters": String(test.clusters) },
      h("h3", null, MT.metricLabel(test.metric), h("span", { class: "sub" }, `${test.clusters} clusters · ${test.correction}, α = ${test.alpha} · ${test.n_resamples.toLocaleString("en")} resamples`)),
      h("table", { class: "clusters" },
        h("thead", null, h("tr", null, ["cluster", "rank", "system", "score"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, rows)));
  }

  function short(name) {
    return name.length > 22 ? name.slice(0, 10) + "…" + name.slice(-10) : name;
  }
})();
