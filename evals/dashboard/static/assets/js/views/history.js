/* History: each system's system-level score across runs (with its confidence interval) and the commit of each run. */
"use strict";

(function () {
  const { h } = MT;
  const state = { corpus: null, metric: null, axis: "runs" };

  MT.register("history", {
    title: "History",
    needsRun: false,
    render(root, ctx) {
      const index = ctx.index;
      const [cRun, cSystem, cCorpus, cMetric, cValue, cCi] = [0, 1, 2, 3, 4, 5];
      const points = index.history;
      const corpora = [...new Set(points.map((p) => p[cCorpus]))];
      const metrics = Object.keys(index.metrics).filter((m) => points.some((p) => p[cMetric] === m));
      const params = ctx.params;
      if (params.has("corpus")) state.corpus = params.get("corpus");
      if (params.has("metric")) state.metric = params.get("metric");
      if (!corpora.includes(state.corpus)) state.corpus = corpora[0] || null;
      if (!metrics.includes(state.metric)) state.metric = metrics.includes("chrf") ? "chrf" : metrics[0] || null;
      if (!state.corpus || !state.metric) {
        root.appendChild(MT.empty("No system-level scores in any run yet."));
        return;
      }
      const body = h("div");
      const rerender = () => { MT.clear(body); draw(body, index, points); };
      root.appendChild(h("div", { class: "controls" },
        MT.select("Corpus", corpora, state.corpus, (v) => { state.corpus = v; rerender(); }, { id: "hist-corpus" }),
        MT.select("Metric", metrics.map((m) => [m, MT.metricLabel(m)]), state.metric, (v) => { state.metric = v; rerender(); }, { id: "hist-metric" }),
        MT.select("X axis", [["runs", "one step per run"], ["time", "time"]], state.axis, (v) => { state.axis = v; rerender(); }, { id: "hist-axis" }),
      ));
      root.appendChild(body);
      rerender();

      function draw(target, index, points) {
        const runsById = new Map(index.runs.map((r) => [r.id, r]));
        const mine = points.filter((p) => p[cCorpus] === state.corpus && p[cMetric] === state.metric);
        const runIds = [...new Set(mine.map((p) => p[cRun]))].sort((a, b) => a - b);
        const systems = [...new Set(mine.map((p) => p[cSystem]))];
        const position = new Map(runIds.map((id, i) => [id, i]));
        const xOf = (id) => (state.axis === "time" ? Date.parse(runsById.get(id).created_at) : position.get(id));
        const byKey = new Map(mine.map((p) => [p[cRun] + "\u0000" + p[cSystem], p]));
        const series = systems.map((name) => ({
          name,
          color: MT.color(name),
          points: runIds.map((id) => {
            const p = byKey.get(id + "\u0000" + name);
            const run = runsById.get(id);
            const value = p ? p[cValue] : null;
            const ci = p ? p[cCi] : null;
            return {
              x: xOf(id), y: value, lo: ci ? ci[0] : null, hi: ci ? ci[1] : null,
              title: `${name} · run ${id} · ${MT.date(run.created_at)} · commit ${MT.commit(run.git_commit)}\n${state.metric} ${MT.fmt(value)}${ci ? ` [${MT.fmt(ci[0])}, ${MT.fmt(ci[1])}]` : ""}`,
            };
          }),
        }));
        const xTicks = thin(runIds).map((id) => ({ x: xOf(id), label: "#" + id, sub: MT.commit(runsById.get(id).git_commit).slice(0, 7) }));
        target.appendChild(h("h2", null, `${state.metric} on ${state.corpus} across ${runIds.length} run${runIds.length === 1 ? "" : "s"}`));
        target.appendChild(MT.lineChart({ series, xTicks, yLabel: MT.metricLabel(state.metric), label: `history of ${state.metric}` }));
        target.appendChild(MT.note("Points are system-level (pooled) scores; shaded bands and whiskers are their bootstrap confidence intervals when the run computed them. Labels under the axis are run ids and commits."));

        target.appendChild(h("h2", null, "Trends"));
        target.appendChild(MT.table({
          columns: [
            { key: "system", label: "System", value: (r) => r, cell: (r) => [h("span", { class: "swatch", style: { background: MT.color(r) } }), r] },
            { key: "trend", label: `${state.metric} per run`, value: (r) => MT.historyOf(r, state.corpus, state.metric).length, cell: (r) => MT.historySparkline(r, state.corpus, state.metric) },
            { key: "latest", label: "Latest", numeric: true, value: (r) => last(r, 1), cell: (r) => MT.fmt(last(r, 1)) },
            { key: "change", label: "Δ previous run", numeric: true, value: (r) => change(r), cell: (r) => MT.signed(change(r)) },
          ],
          rows: systems, sort: { key: "system", dir: 1 }, className: "trends",
          rowProps: (r) => ({ "data-system": r }),
        }));
        function last(name, k) {
          const values = MT.historyOf(name, state.corpus, state.metric).map((p) => p.value).filter(MT.isNum);
          return values.length >= k ? values[values.length - k] : null;
        }
        function change(name) {
          const a = last(name, 1), b = last(name, 2);
          return MT.isNum(a) && MT.isNum(b) ? a - b : null;
        }

        const columns = [
          { key: "id", label: "Run", numeric: true, value: (r) => r.id, cell: (r) => (r.detailed ? h("a", { href: MT.link("leaderboard", { run: r.id, corpus: state.corpus }) }, "#" + r.id) : "#" + r.id) },
          { key: "created_at", label: "Started", value: (r) => r.created_at, cell: (r) => MT.date(r.created_at) },
          { key: "commit", label: "Commit", value: (r) => r.git_commit || "", cell: (r) => h("code", { title: r.git_commit || "" }, MT.commit(r.git_commit)) },
          { key: "suite", label: "Suite", value: (r) => r.suite_name },
          { key: "status", label: "Status", value: (r) => r.status, cell: (r) => h("span", { class: ["status", "status-" + r.status] }, r.status) },
        ];
        for (const name of systems) {
          columns.push({
            key: "s:" + name, label: name, numeric: true, dir: MT.direction(state.metric) > 0 ? -1 : 1,
            value: (r) => { const p = byKey.get(r.id + "\u0000" + name); return p ? p[cValue] : null; },
            cell: (r) => {
              const p = byKey.get(r.id + "\u0000" + name);
              if (!p) return "–";
              return h("span", { class: "score" }, h("span", { class: "value" }, MT.fmt(p[cValue])), p[cCi] ? h("span", { class: "ci" }, `[${MT.fmt(p[cCi][0])}, ${MT.fmt(p[cCi][1])}]`) : null);
            },
          });
        }
        const rows = runIds.map((id) => runsById.get(id)).reverse();
        target.appendChild(h("h2", null, "Runs"));
        target.appendChild(MT.table({ columns, rows, sort: { key: "id", dir: -1 }, className: "history" }));
      }
    },
  });

  /** At most ~12 axis labels, always keeping the first and last run. */
  function thin(ids) {
    if (ids.length <= 12) return ids;
    const step = Math.ceil(ids.length / 12);
    return ids.filter((_, i) => i % step === 0 || i === ids.length - 1);
  }
})();
