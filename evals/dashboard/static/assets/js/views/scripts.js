/* Script robustness: the same segments in Simplified and Traditional Chinese, per system, and the gap. */
"use strict";

(function () {
  const { h } = MT;
  const state = { metric: null, sort: null };

  MT.register("scripts", {
    title: "Scripts",
    needsRun: true,
    render(root, ctx) {
      const run = ctx.run;
      if (!run.scripts.length) {
        root.appendChild(MT.empty("This run has no pair of corpora with the same segments in Simplified and Traditional script."));
        return;
      }
      const metrics = Object.keys(run.metrics).filter((m) => run.scripts.some((p) => p.systems.some((s) => s.metrics[m])));
      if (ctx.params.has("metric")) state.metric = ctx.params.get("metric");
      if (!metrics.includes(state.metric)) state.metric = metrics.includes("chrf") ? "chrf" : metrics[0];
      const body = h("div");
      const rerender = () => { MT.clear(body); for (const pair of run.scripts) draw(body, pair); };
      root.appendChild(h("div", { class: "controls" },
        MT.select("Metric", metrics.map((m) => [m, MT.metricLabel(m)]), state.metric, (v) => { state.metric = v; rerender(); }, { id: "scr-metric" })));
      root.appendChild(body);
      rerender();
    },
  });

  function draw(target, pair) {
    const metric = state.metric;
    const dir = MT.direction(metric);
    target.appendChild(h("h2", null, `${pair.hans} (Simplified) vs ${pair.hant} (Traditional)`));
    const rows = pair.systems.map((s) => ({ system: s.system, segments: s.segments, identical: s.identical / s.segments, m: s.metrics[metric] || {} }));
    const maxGap = Math.max(0.01, ...rows.map((r) => (MT.isNum(r.m.gap) ? Math.abs(r.m.gap) : 0)));
    const columns = [
      { key: "system", label: "System", value: (r) => r.system, cell: (r) => h("span", { class: "sys" }, h("span", { class: "swatch", style: { background: MT.color(r.system) } }), r.system) },
      { key: "hans", label: "Simplified", numeric: true, dir: dir > 0 ? -1 : 1, value: (r) => r.m.hans, cell: (r) => withCi(r.m.hans, r.m.hans_ci) },
      { key: "hant", label: "Traditional", numeric: true, dir: dir > 0 ? -1 : 1, value: (r) => r.m.hant, cell: (r) => withCi(r.m.hant, r.m.hant_ci) },
      { key: "gap", label: "Gap (Trad − Simp)", numeric: true, title: "Traditional minus Simplified, pooled scores", value: (r) => r.m.gap, cell: (r) => gapCell(r.m.gap, maxGap, dir) },
      { key: "identical", label: "Identical outputs", numeric: true, title: "Share of segments translated identically from both scripts", value: (r) => r.identical, cell: (r) => MT.pct(r.identical) },
      { key: "differing", label: "Segments scoring differently", numeric: true, value: (r) => r.m.segments_differing, cell: (r) => MT.int(r.m.segments_differing) },
    ];
    target.appendChild(MT.table({ columns, rows, sort: state.sort, onSort: (s) => { state.sort = s; }, className: "scripts" }));
    target.appendChild(MT.note("A robust system translates the same sentence the same way whatever the script; the gap should be near zero and most outputs identical."));
    const lists = h("div", { class: "widest" });
    for (const r of rows) {
      const widest = (r.m.widest || []).filter((w) => MT.isNum(w.gap) && Math.abs(w.gap) > 1e-9);
      if (!widest.length) continue;
      lists.appendChild(h("section", null,
        h("h3", null, `${r.system}: widest per-segment gaps (${metric})`),
        h("table", { class: "data compact" },
          h("thead", null, h("tr", null, h("th", null, "Segment"), h("th", { class: "num" }, "Simp"), h("th", { class: "num" }, "Trad"), h("th", { class: "num" }, "Gap"))),
          h("tbody", null, widest.map((w) => h("tr", null,
            h("td", null,
              h("a", { href: MT.runLink("segments", { corpus: pair.hans, seg: w.seg_id, systems: r.system, metric }) }, w.seg_id),
              " ", h("a", { class: "alt", href: MT.runLink("segments", { corpus: pair.hant, seg: w.seg_id, systems: r.system, metric }), title: "the Traditional version" }, "(trad)")),
            h("td", { class: "num" }, MT.fmt(w.hans)), h("td", { class: "num" }, MT.fmt(w.hant)),
            h("td", { class: "num" }, MT.signed(w.gap))))))));
    }
    if (lists.childNodes.length) target.appendChild(lists);
  }

  function withCi(value, ci) {
    return h("span", { class: "score" }, h("span", { class: "value" }, MT.fmt(value)), ci ? h("span", { class: "ci" }, `[${MT.fmt(ci[0])}, ${MT.fmt(ci[1])}]`) : null);
  }

  function gapCell(gap, maxGap, dir) {
    if (!MT.isNum(gap)) return "–";
    const width = Math.round((Math.abs(gap) / maxGap) * 60);
    const worse = dir * gap < 0;
    return h("span", { class: "gap" },
      h("span", { class: ["gap-bar", worse ? "worse" : "better"], style: { width: width + "px" } }),
      h("span", { class: "value" }, MT.signed(gap)));
  }
})();
