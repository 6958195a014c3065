/* Documents: per-document scores of every system, as a sortable table and a bar chart. */
"use strict";

(function () {
  const { h } = MT;
  const state = { corpus: null, metric: null, sort: null };
  const CHART_DOCS = 40;

  MT.register("documents", {
    title: "Documents",
    needsRun: true,
    render(root, ctx) {
      const run = ctx.run;
      const docs = run.documents.filter((d) => Object.keys(d.values).length);
      if (!docs.length) {
        root.appendChild(MT.empty("This run has no document-level scores."));
        return;
      }
      const params = ctx.params;
      if (params.has("corpus")) state.corpus = params.get("corpus");
      if (params.has("metric")) state.metric = params.get("metric");
      if (!docs.some((d) => d.corpus === state.corpus)) state.corpus = docs[0].corpus;
      const body = h("div");
      const rerender = () => { MT.clear(body); draw(body); };
      const metricsOf = () => Object.keys(docs.find((d) => d.corpus === state.corpus).values);
      if (!metricsOf().includes(state.metric)) state.metric = metricsOf().includes("chrf") ? "chrf" : metricsOf()[0];
      root.appendChild(h("div", { class: "controls" },
        MT.select("Corpus", docs.map((d) => d.corpus), state.corpus, (v) => { state.corpus = v; if (!metricsOf().includes(state.metric)) state.metric = metricsOf()[0]; rerender(); }, { id: "doc-corpus" }),
        MT.select("Metric", metricsOf().map((m) => [m, MT.metricLabel(m)]), state.metric, (v) => { state.metric = v; rerender(); }, { id: "doc-metric" }),
      ));
      root.appendChild(body);
      rerender();

      function draw(target) {
        const entry = docs.find((d) => d.corpus === state.corpus);
        const values = entry.values[state.metric] || {};
        const systems = run.systems.map((s) => s.name).filter((n) => values[n]);
        const rows = entry.docs.map((doc, i) => {
          const row = { doc, i, segments: entry.segments[i], script: entry.scripts[i], v: {} };
          for (const name of systems) row.v[name] = values[name][i];
          return row;
        });
        const dir = MT.direction(state.metric);
        const columns = [
          { key: "doc", label: "Document", value: (r) => r.doc, cell: (r) => h("a", { href: MT.runLink("segments", { corpus: state.corpus, doc: r.doc, systems: systems.join(",") }), title: "Segments of this document" }, r.doc) },
          { key: "script", label: "Script", value: (r) => r.script },
          { key: "segments", label: "Segments", numeric: true, value: (r) => r.segments, cell: (r) => MT.int(r.segments) },
        ];
        for (const name of systems) {
          columns.push({
            key: "s:" + name, label: name, numeric: true, dir: dir > 0 ? -1 : 1,
            value: (r) => r.v[name],
            cell: (r) => {
              const v = r.v[name];
              const others = systems.map((n) => r.v[n]).filter(MT.isNum);
              const isBest = MT.isNum(v) && others.length > 1 && others.every((o) => dir * (v - o) >= 0);
              return h("span", { class: ["value", isBest && "best"] }, MT.fmt(v));
            },
          });
        }
        target.appendChild(h("h2", null, `${state.metric} per document · ${state.corpus} · ${rows.length} documents`));
        const shown = rows.slice(0, CHART_DOCS);
        target.appendChild(MT.barChart({
          categories: shown.map((r) => ({ label: r.doc, title: `${r.doc} (${r.segments} segments)` })),
          series: systems.map((name) => ({ name, color: MT.color(name), values: shown.map((r) => r.v[name]) })),
          label: `${state.metric} per document`,
        }));
        if (rows.length > CHART_DOCS) target.appendChild(MT.note(`The chart shows the first ${CHART_DOCS} of ${rows.length} documents (corpus order); the table has all of them.`));
        target.appendChild(MT.table({ columns, rows, sort: state.sort, onSort: (sort) => { state.sort = sort; }, className: "documents" }));
        target.appendChild(MT.note("A document score is computed from the pooled statistics of its segments (e.g. the corpus BLEU of the document), not a mean of segment scores."));
      }
    },
  });
})();
