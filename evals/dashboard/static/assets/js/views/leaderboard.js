/* Leaderboard: systems × metrics of one run, with confidence intervals, flag rates and error-span counts. */
"use strict";

(function () {
  const { h } = MT;
  const state = { corpus: null, script: "", level: "system", sort: null };

  function scriptsOf(corpus) {
    return Object.keys(corpus.scripts || {});
  }

  MT.register("leaderboard", {
    title: "Leaderboard",
    needsRun: true,
    render(root, ctx) {
      const run = ctx.run;
      const corpora = run.corpora;
      const params = ctx.params;
      if (params.has("corpus")) state.corpus = params.get("corpus");
      if (params.has("script")) state.script = params.get("script");
      if (params.has("level")) state.level = params.get("level");
      const names = corpora.map((c) => c.name);
      if (state.corpus !== "" && !names.includes(state.corpus)) {
        const scored = corpora.find((c) => c.scored);
        state.corpus = scored ? scored.name : "";
      }
      const allScripts = [...new Set(corpora.flatMap(scriptsOf))];
      if (state.script && !allScripts.includes(state.script)) state.script = "";

      const body = h("div", { id: "leaderboard-body" });
      const rerender = () => { MT.clear(body); body.appendChild(renderTable(run)); };
      root.appendChild(h("div", { class: "controls" },
        MT.select("Corpus", [["", "all corpora"], ...names.map((n) => [n, n])], state.corpus, (v) => { state.corpus = v; rerender(); }, { id: "lb-corpus" }),
        MT.select("Script", [["", "all scripts"], ...allScripts.map((s) => [s, s])], state.script, (v) => { state.script = v; rerender(); }, { id: "lb-script" }),
        MT.select("Level", [["system", "system (pooled)"], ["document", "document mean"], ["segment", "segment mean"]], state.level, (v) => { state.level = v; rerender(); }, { id: "lb-level" }),
      ));
      root.appendChild(body);
      rerender();
      root.appendChild(MT.note(
        "System level is each corpus's pooled score (a corpus BLEU, not a mean of sentence BLEUs); the bracket is its bootstrap confidence interval when the run computed one. ",
        "Document and segment levels are means of the stored scores. Corpora are never mixed: a monolingual corpus has no references, so it shows only flag rates. ",
        "With a script filter, a corpus that mixes scripts shows means over that script's segments; its pooled score cannot be split after the fact. ",
        "Error spans are counted per system and severity for each source (an xCOMET metric, an imported MQM/ESA human metric) over the whole corpus, at every level."));
    },
  });

  function renderTable(run) {
    const corpora = run.corpora.filter((c) => (!state.corpus || c.name === state.corpus) && (!state.script || scriptsOf(c).includes(state.script)));
    const metrics = Object.keys(run.metrics);
    const scores = new Map();
    for (const row of run.leaderboard) scores.set([row.system, row.corpus, row.script, row.level, row.metric].join("\u0000"), row);
    const humans = new Map();
    for (const row of run.human_leaderboard || []) humans.set([row.system, row.corpus, row.human].join("\u0000"), row);
    const humanNames = (run.humans || []).map((hm) => hm.name);
    const flags = new Map();
    for (const row of run.flags) flags.set([row.system, row.corpus, row.script].join("\u0000"), row);
    // Error spans (xCOMET's, MQM/ESA's) per (system, corpus, source): {severity: count}.
    const spanSources = [];
    const spanCounts = new Map();
    for (const row of run.error_counts || []) {
      if (!spanSources.some((s) => s.source === row.source && s.kind === row.kind)) spanSources.push({ source: row.source, kind: row.kind });
      const key = [row.system, row.corpus, row.kind, row.source].join("\u0000");
      const counts = spanCounts.get(key) || {};
      counts[row.severity] = (counts[row.severity] || 0) + row.count;
      spanCounts.set(key, counts);
    }

    const rows = [];
    for (const corpus of corpora) {
      const mixed = scriptsOf(corpus).length > 1;
      const script = state.script && mixed ? state.script : "";
      for (const system of run.systems) {
        const flag = flags.get([system.name, corpus.name, script].join("\u0000"));
        const cells = {};
        let any = false;
        for (const metric of metrics) {
          const row = scores.get([system.name, corpus.name, script, state.level, metric].join("\u0000"));
          cells[metric] = row || null;
          if (row) any = true;
        }
        const human = {};
        for (const name of humanNames) human[name] = humans.get([system.name, corpus.name, name].join("\u0000")) || null;
        if (!flag && !any) continue;
        const spans = {};
        for (const { source, kind } of spanSources) spans[kind + ":" + source] = spanCounts.get([system.name, corpus.name, kind, source].join("\u0000")) || null;
        const n = flag ? flag.segments : null;
        const count = (name) => (flag && flag.flags[name]) || 0;
        rows.push({
          system: system.name, corpus: corpus.name, script: script || scriptsOf(corpus).join(", "), cells, human, spans,
          segments: n,
          untranslated: n ? count("untranslated") / n : null,
          offTarget: n ? count("off-target") / n : null,
        });
      }
    }
    // Best value per metric within each corpus, direction-aware.
    const best = new Map();
    for (const metric of metrics) {
      for (const r of rows) {
        const v = r.cells[metric] && r.cells[metric].value;
        if (!MT.isNum(v)) continue;
        const key = metric + "\u0000" + r.corpus;
        const cur = best.get(key);
        if (cur === undefined || MT.direction(metric) * (v - cur) > 0) best.set(key, v);
      }
    }

    const columns = [
      { key: "system", label: "System", value: (r) => r.system, cell: (r) => h("a", { href: MT.runLink("segments", { corpus: r.corpus, systems: r.system }), class: "sys", title: "Open in the segment explorer" }, h("span", { class: "swatch", style: { background: MT.color(r.system) } }), r.system) },
    ];
    // Each system's score across runs (up to this one) on the first metric: a sparkline of the index's history.
    const trendMetric = metrics.find((m) => rows.some((r) => r.cells[m]));
    if (trendMetric) {
      columns.push({
        key: "trend", label: `Trend (${trendMetric})`, title: `System-level ${trendMetric} of this system in every run up to this one`,
        value: (r) => MT.historyOf(r.system, r.corpus, trendMetric, run.run.id).length,
        cell: (r) => MT.historySparkline(r.system, r.corpus, trendMetric, run.run.id),
      });
    }
    if (!state.corpus || corpora.length > 1) columns.push({ key: "corpus", label: "Corpus", value: (r) => r.corpus });
    columns.push({ key: "script", label: "Script", value: (r) => r.script });
    for (const metric of metrics) {
      columns.push({
        key: "m:" + metric,
        label: MT.metricLabel(metric),
        title: `Sort by ${metric} (${MT.direction(metric) > 0 ? "higher" : "lower"} is better)`,
        numeric: true,
        dir: MT.direction(metric) > 0 ? -1 : 1,
        value: (r) => (r.cells[metric] ? r.cells[metric].value : null),
        cell: (r) => scoreCell(r.cells[metric], best.get(metric + "\u0000" + r.corpus)),
      });
    }
    // Human judgements (`mteval human import`): each human metric's system score, higher is better.
    for (const name of humanNames) {
      const bestHuman = new Map();
      for (const r of rows) {
        const v = r.human[name] && r.human[name].value;
        if (MT.isNum(v) && !(bestHuman.get(r.corpus) >= v)) bestHuman.set(r.corpus, v);
      }
      columns.push({
        key: "h:" + name,
        label: `${name} (human) ↑`,
        title: `Sort by the human system score ${name} (higher is better); the same at every level`,
        numeric: true,
        dir: -1,
        value: (r) => (r.human[name] ? r.human[name].value : null),
        cell: (r) => humanCell(r.human[name], bestHuman.get(r.corpus), name),
      });
    }
    // Error spans by severity, one column per source (each xCOMET metric, each human metric with errors).
    for (const { source, kind } of spanSources) {
      const id = kind + ":" + source;
      const severities = severityOrder([...new Set((run.error_counts || []).filter((r) => r.source === source && r.kind === kind).map((r) => r.severity))], kind);
      columns.push({
        key: "e:" + id,
        label: `${source} error spans`,
        title: `Error spans ${kind === "metric" ? "tagged by the metric" : "annotated by humans"} ${source}, by severity (sorts by the total, fewer first); counted over the whole corpus`,
        numeric: true,
        dir: 1,
        value: (r) => (r.spans[id] ? Object.values(r.spans[id]).reduce((a, b) => a + b, 0) : null),
        cell: (r) => spanCell(r.spans[id], severities, source),
      });
    }
    columns.push(
      { key: "segments", label: "Segments", numeric: true, value: (r) => r.segments, cell: (r) => MT.int(r.segments) },
      { key: "untranslated", label: "Untranslated", numeric: true, title: "Share of hypotheses flagged untranslated (copies the source)", value: (r) => r.untranslated, cell: (r) => rateCell(r.untranslated) },
      { key: "offTarget", label: "Off-target", numeric: true, title: "Share of hypotheses mostly not in the target language", value: (r) => r.offTarget, cell: (r) => rateCell(r.offTarget) },
    );
    if (!state.sort) {
      const first = metrics.find((m) => rows.some((r) => r.cells[m]));
      state.sort = first ? { key: "m:" + first, dir: MT.direction(first) > 0 ? -1 : 1 } : { key: "system", dir: 1 };
    }
    return MT.table({
      columns, rows, sort: state.sort, onSort: (sort) => { state.sort = sort; },
      className: "leaderboard", emptyText: "No scores or translations match these filters.",
      rowProps: (r) => ({ "data-system": r.system, "data-corpus": r.corpus }),
    });
  }

  function scoreCell(row, best) {
    if (!row || !MT.isNum(row.value)) {
      return h("span", { class: "missing", title: row ? "not computable" : "no score at this level" }, "–");
    }
    const isBest = MT.isNum(best) && Math.abs(row.value - best) < 1e-9;
    const parts = [h("span", { class: ["value", isBest && "best"] }, MT.fmt(row.value))];
    if (row.ci) {
      const info = row.ci_info || {};
      const level = MT.isNum(info.ci_level) ? Math.round(info.ci_level * 100) + "%" : "95%";
      const how = [info.resampling && `resampling ${info.resampling}s`, info.n_resamples && `${info.n_resamples} resamples`, info.resampling_reason].filter(Boolean).join("; ");
      parts.push(h("span", { class: "ci", title: `${level} bootstrap confidence interval${how ? " (" + how + ")" : ""}` }, `[${MT.fmt(row.ci[0])}, ${MT.fmt(row.ci[1])}]`));
    } else if (MT.isNum(row.n)) {
      parts.push(h("span", { class: "ci", title: "number of scores averaged" }, `n=${row.n}`));
    }
    return h("span", { class: "score", title: row.signature || null }, parts);
  }

  function humanCell(row, best, name) {
    if (!row || !MT.isNum(row.value)) return h("span", { class: "missing", title: `no ${name} score for this system` }, "–");
    const isBest = MT.isNum(best) && Math.abs(row.value - best) < 1e-12;
    return h("span", { class: "score human", title: `${name}: human system score${MT.isNum(row.n) ? ` (n = ${row.n})` : ""}` },
      h("span", { class: ["value", isBest && "best"] }, MT.fmt(row.value, Math.abs(row.value) < 10 ? 3 : 2)),
      MT.isNum(row.n) ? h("span", { class: "ci", title: "number of ratings or segments" }, `n=${row.n}`) : null);
  }

  const SEVERITIES = ["minor", "major", "critical"];

  /** Severities in display order: xCOMET's three always for a metric, then any other by name. */
  function severityOrder(found, kind) {
    const all = [...new Set([...(kind === "metric" ? SEVERITIES : []), ...found])];
    const rank = (s) => (SEVERITIES.includes(s) ? SEVERITIES.indexOf(s) : SEVERITIES.length);
    return all.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  }

  function spanCell(counts, severities, source) {
    if (!counts) return h("span", { class: "missing", title: `no ${source} error spans for this system` }, "–");
    return h("span", { class: "span-counts", "data-source": source },
      severities.map((severity) => h("span", {
        class: ["span-count", "sev-" + severity.replace(/[^a-z0-9]+/g, "-")], "data-severity": severity,
        title: `${counts[severity] || 0} ${severity} error spans (${source})`,
      }, `${counts[severity] || 0} ${severity}`)));
  }

  function rateCell(v) {
    if (!MT.isNum(v)) return "–";
    return h("span", { class: ["rate", v >= 0.5 ? "bad" : v > 0 ? "warn" : "ok"] }, MT.pct(v, v > 0 && v < 0.01 ? 1 : 0));
  }
})();
