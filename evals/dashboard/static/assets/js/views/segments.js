/* Segment explorer: systems side by side on each segment, word-level differences against the
 * reference, filters, and deep links (#/segments?run=3&corpus=…&seg=…) that open and highlight one segment.
 *
 * Big runs stay fast: segments and each system's outputs are separate chunks (a system is loaded
 * when first shown), filtering walks plain arrays, and only one page of segments is in the DOM.
 */
"use strict";

(function () {
  const { h } = MT;
  const LENGTHS = [
    ["", "any length"],
    ["0-20", "≤ 20 characters"],
    ["21-50", "21–50 characters"],
    ["51-100", "51–100 characters"],
    ["101-", "> 100 characters"],
  ];
  const SORTS = [
    ["order", "corpus order"],
    ["worst", "worst first"],
    ["best", "best first"],
    ["disagree", "most disagreement"],
  ];
  const PAGE_SIZES = [10, 20, 50, 100];
  const DEFAULTS = { doc: "", flag: "", length: "", min: "", max: "", search: "", worstN: "", sort: "order", page: 0 };
  let state = null;

  function freshState(run) {
    return Object.assign({ runId: run.run.id, corpus: null, systems: [], metric: null, scoreBy: null, pageSize: 20, deleted: true, dist: false }, DEFAULTS);
  }

  MT.register("segments", {
    title: "Segments",
    needsRun: true,
    async render(root, ctx) {
      const run = ctx.run;
      if (!state || state.runId !== run.run.id) state = freshState(run);
      const params = ctx.params;
      const container = h("div", { id: "explorer" }, h("p", { class: "loading" }, "Loading segments…"));
      root.appendChild(container);

      pickSystems(run, params);
      // Segments and systems download in parallel; each chunk is parsed as it arrives.
      const [segs, systems] = await Promise.all([MT.load(run.chunks.segments), loadSystems(run, state.systems)]);
      if (!ctx.isCurrent()) return;
      if (!segs.id.length) {
        container.replaceChildren(MT.empty("This run has no translated segments."));
        return;
      }
      applyParams(run, segs, params);
      const view = new Explorer(run, segs, systems, container);
      view.mount(params.get("seg"));
    },
  });

  /** The systems to show: from the link, else as last time, else the run's first three. */
  function pickSystems(run, params) {
    const names = run.systems.map((s) => s.name);
    if (params.has("systems")) {
      const wanted = params.get("systems").split(",").filter((n) => names.includes(n));
      if (wanted.length) state.systems = wanted;
    }
    state.systems = state.systems.filter((n) => names.includes(n));
    if (!state.systems.length) state.systems = names.slice(0, Math.min(3, names.length));
  }

  function applyParams(run, segs, params) {
    if (params.has("corpus") && segs.corpora.includes(params.get("corpus"))) state.corpus = params.get("corpus");
    if (!segs.corpora.includes(state.corpus)) {
      const scored = run.corpora.find((c) => c.scored && segs.corpora.includes(c.name));
      state.corpus = scored ? scored.name : segs.corpora[0];
    }
    const metrics = Object.keys(run.metrics);
    if (params.has("metric") && metrics.includes(params.get("metric"))) state.metric = params.get("metric");
    if (!metrics.includes(state.metric)) state.metric = metrics.includes("chrf") ? "chrf" : metrics[0] || null;
    if (params.has("by") && state.systems.includes(params.get("by"))) state.scoreBy = params.get("by");
    if (!state.systems.includes(state.scoreBy)) state.scoreBy = state.systems[0];
    for (const key of ["min", "max"]) if (params.has(key) && Number.isFinite(Number(params.get(key)))) state[key] = params.get(key);
    for (const key of ["doc", "flag", "length", "search"]) if (params.has(key)) state[key] = params.get(key);
    if (params.has("dist")) state.dist = params.get("dist") === "1";
    if (params.has("sort") && SORTS.some(([v]) => v === params.get("sort"))) state.sort = params.get("sort");
    if (params.has("n")) state.worstN = params.get("n");
    if (["doc", "flag", "n", "min", "max"].some((key) => params.has(key))) state.page = 0;
  }

  function loadSystems(run, names) {
    return Promise.all(names.map((name) => MT.load(run.systems.find((s) => s.name === name).chunk)));
  }

  function langOf(script) {
    return script === "zh-Hans" || script === "zh-Hant" ? script : script === "Latn" ? "en" : "";
  }

  class Explorer {
    constructor(run, segs, systems, container) {
      this.run = run;
      this.segs = segs;
      this.loaded = new Map(systems.map((s) => [s.name, s]));
      this.container = container;
      this.results = h("div", { class: "results", id: "seg-results" });
      this.summary = h("p", { class: "summary", id: "seg-summary", "aria-live": "polite" });
      this.rows = [];
      this.dist = h("details", { class: "seg-dist", id: "seg-dist", ontoggle: () => {
        if (this.dist.open === state.dist) return;
        state.dist = this.dist.open;
        this.drawDistribution();
      } });
      this.target = null;
      this.timer = null;
    }

    get systems() {
      return state.systems.map((n) => this.loaded.get(n)).filter(Boolean);
    }

    corpusIndex() {
      return this.segs.corpora.indexOf(state.corpus);
    }

    mount(deepSeg) {
      MT.clear(this.container);
      this.container.appendChild(this.controls());
      this.container.appendChild(this.summary);
      this.container.appendChild(this.dist);
      this.container.appendChild(this.results);
      if (deepSeg) this.reveal(deepSeg);
      this.update();
      this.container.dataset.ready = "1";
      if (window.performance && performance.mark) performance.mark("mteval:explorer-ready");
      if (this.target !== null) {
        const el = document.getElementById("seg-" + this.target);
        if (el) el.scrollIntoView({ block: "center" });
      }
    }

    // ---- controls ----------------------------------------------------------------------

    controls() {
      const run = this.run, segs = this.segs;
      const set = (key, reset = true) => (value) => {
        state[key] = value;
        if (reset) state.page = 0;
        this.target = null;
        this.update();
      };
      const docs = this.docsOfCorpus();
      // Every flag any system of the run has, so the choice survives toggling systems.
      const flagNames = [...new Set(run.flags.flatMap((f) => Object.keys(f.flags)).concat(state.flag && !["any", "none"].includes(state.flag) ? [state.flag] : []))].sort();
      const systemBoxes = h("fieldset", { class: "control systems-pick", id: "seg-systems" }, h("legend", null, "Systems"),
        run.systems.map((s) => h("label", { class: "check" },
          h("input", {
            type: "checkbox", value: s.name, checked: state.systems.includes(s.name),
            onchange: (e) => this.toggleSystem(s.name, e.target.checked),
          }),
          h("span", { class: "swatch", style: { background: MT.color(s.name) } }), s.name)));
      const metrics = Object.keys(run.metrics);
      const number = (key, placeholder, id, title) => h("label", { class: "control narrow" }, h("span", null, placeholder),
        h("input", {
          type: "number", step: "any", value: state[key], id, title, placeholder: "–",
          oninput: (e) => { clearTimeout(this.timer); const v = e.target.value; this.timer = setTimeout(() => set(key)(v), 200); },
        }));
      return h("div", { class: "explorer-controls" },
        h("div", { class: "controls" },
          MT.select("Corpus", segs.corpora, state.corpus, (v) => { state.corpus = v; state.doc = ""; state.page = 0; this.target = null; this.mount(); }, { id: "seg-corpus" }),
          MT.select("Document", [["", `all (${docs.length})`], ...docs.map((d) => [d, d])], state.doc, set("doc"), { id: "seg-doc" }),
          MT.select("Metric", metrics.map((m) => [m, MT.metricLabel(m)]), state.metric, set("metric"), { id: "seg-metric" }),
          MT.select("Scored by", state.systems, state.scoreBy, set("scoreBy"), { id: "seg-scoreby", title: "The system whose score the sort, worst-N and score range use" }),
          MT.select("Sort", SORTS, state.sort, set("sort"), { id: "seg-sort" }),
        ),
        h("div", { class: "controls" },
          number("worstN", "Worst N", "seg-worst", "Keep only the N worst segments (by the metric, for the scored-by system)"),
          MT.select("Flags", [["", "all segments"], ["any", "any flag"], ["none", "no flag"], ...flagNames.map((f) => [f, f])], state.flag, set("flag"), { id: "seg-flag", title: "Flag on any shown system" }),
          MT.select("Length", LENGTHS, state.length, set("length"), { id: "seg-length" }),
          number("min", "Score ≥", "seg-min", "Lowest score kept (scored-by system)"),
          number("max", "Score ≤", "seg-max", "Highest score kept (scored-by system)"),
          h("label", { class: "control" }, h("span", null, "Search"),
            h("input", {
              type: "search", id: "seg-search", value: state.search, placeholder: "text in source, reference or output",
              oninput: (e) => { clearTimeout(this.timer); const v = e.target.value; this.timer = setTimeout(() => set("search")(v), 200); },
            })),
          h("label", { class: "control check" }, h("input", { type: "checkbox", id: "seg-deleted", checked: state.deleted, onchange: (e) => { state.deleted = e.target.checked; this.update(); } }), "show missing reference words"),
          h("button", { type: "button", class: "reset", id: "seg-reset", onclick: () => { Object.assign(state, DEFAULTS); this.target = null; this.mount(); } }, "Reset filters"),
        ),
        systemBoxes,
      );
    }

    async toggleSystem(name, on) {
      const order = this.run.systems.map((s) => s.name);
      state.systems = on ? order.filter((n) => n === name || state.systems.includes(n)) : state.systems.filter((n) => n !== name);
      if (!state.systems.includes(state.scoreBy)) state.scoreBy = state.systems[0] || null;
      try {
        for (const sys of await loadSystems(this.run, state.systems)) this.loaded.set(sys.name, sys);
      } catch (error) {
        this.results.replaceChildren(MT.errorBox(error));
        return;
      }
      this.mount();
    }

    docsOfCorpus() {
      const c = this.corpusIndex(), segs = this.segs;
      const seen = new Set();
      for (let i = 0; i < segs.id.length; i++) if (segs.corpus[i] === c) seen.add(segs.doc[i]);
      return [...seen].map((d) => segs.docs[d]);
    }

    // ---- filtering -----------------------------------------------------------------------

    score(system, i) {
      const values = system && system.scores[state.metric];
      return values ? values[i] : null;
    }

    /** Indexes of the segments that pass every filter, in display order. */
    select(ignoreFilters) {
      const segs = this.segs, systems = this.systems;
      const c = this.corpusIndex();
      const doc = state.doc ? segs.docs.indexOf(state.doc) : -1;
      const by = this.loaded.get(state.scoreBy);
      const dir = MT.direction(state.metric);
      const [lenLo, lenHi] = state.length ? state.length.split("-").map((x) => (x === "" ? Infinity : Number(x))) : [0, Infinity];
      const min = state.min === "" ? null : Number(state.min), max = state.max === "" ? null : Number(state.max);
      const needle = state.search.trim().toLowerCase();
      const flagMasks = systems.map((s) => {
        if (state.flag === "" || state.flag === "any" || state.flag === "none") return 0;
        const bit = s.flag_names.indexOf(state.flag);
        return bit < 0 ? 0 : 1 << bit;
      });
      const out = [];
      for (let i = 0; i < segs.id.length; i++) {
        if (segs.corpus[i] !== c) continue;
        if (ignoreFilters) { out.push(i); continue; }
        if (doc >= 0 && segs.doc[i] !== doc) continue;
        if (state.length) {
          const n = segs.src[i].length;
          if (n < lenLo || n > (Number.isFinite(lenHi) ? lenHi : Infinity)) continue;
        }
        if (state.flag) {
          let hit;
          if (state.flag === "any") hit = systems.some((s) => s.flags[i] !== 0);
          else if (state.flag === "none") hit = systems.every((s) => s.flags[i] === 0);
          else hit = systems.some((s, k) => (s.flags[i] & flagMasks[k]) !== 0);
          if (!hit) continue;
        }
        if (min !== null || max !== null) {
          const v = this.score(by, i);
          if (!MT.isNum(v) || (min !== null && v < min) || (max !== null && v > max)) continue;
        }
        if (needle) {
          const hay = [segs.src[i], ...referencesOf(segs, i), ...systems.map((s) => s.hyp[i] || "")];
          if (!hay.some((t) => t.toLowerCase().includes(needle))) continue;
        }
        out.push(i);
      }
      if (ignoreFilters) return out;
      const worst = (a, b) => {
        const va = this.score(by, a), vb = this.score(by, b);
        if (!MT.isNum(va) || !MT.isNum(vb)) return MT.isNum(va) ? -1 : MT.isNum(vb) ? 1 : a - b;
        return dir * (va - vb) || a - b;
      };
      let rows = out;
      const n = parseInt(state.worstN, 10);
      if (n > 0) rows = rows.slice().sort(worst).slice(0, n).sort((a, b) => a - b);
      if (state.sort === "worst") rows = rows.slice().sort(worst);
      else if (state.sort === "best") rows = rows.slice().sort((a, b) => {
        const va = this.score(by, a), vb = this.score(by, b);
        if (!MT.isNum(va) || !MT.isNum(vb)) return MT.isNum(va) ? -1 : MT.isNum(vb) ? 1 : a - b;
        return dir * (vb - va) || a - b;
      });
      else if (state.sort === "disagree") {
        const spread = (i) => {
          const vs = systems.map((s) => this.score(s, i)).filter(MT.isNum);
          return vs.length > 1 ? Math.max(...vs) - Math.min(...vs) : -1;
        };
        const cache = new Map(rows.map((i) => [i, spread(i)]));
        rows = rows.slice().sort((a, b) => cache.get(b) - cache.get(a) || a - b);
      }
      return rows;
    }

    /** Make a deep-linked segment visible: its corpus, filters that hide it cleared, its page. */
    reveal(segId) {
      const segs = this.segs;
      const wanted = state.corpus;
      let found = -1;
      for (let i = 0; i < segs.id.length; i++) {
        if (segs.id[i] !== segId) continue;
        if (found < 0 || segs.corpora[segs.corpus[i]] === wanted) found = i;
        if (segs.corpora[segs.corpus[i]] === wanted) break;
      }
      if (found < 0) {
        this.missing = segId;
        return;
      }
      this.missing = null;
      state.corpus = segs.corpora[segs.corpus[found]];
      if (!this.select().includes(found)) Object.assign(state, DEFAULTS);
      const rows = this.select();
      state.page = Math.floor(rows.indexOf(found) / state.pageSize);
      this.target = found;
      // Re-mount the controls so they show the (possibly reset) filters.
      MT.clear(this.container);
      this.container.appendChild(this.controls());
      this.container.appendChild(this.summary);
      this.container.appendChild(this.dist);
      this.container.appendChild(this.results);
    }

    // ---- rendering -----------------------------------------------------------------------

    update() {
      const rows = this.select();
      const pages = Math.max(1, Math.ceil(rows.length / state.pageSize));
      state.page = Math.min(Math.max(0, state.page), pages - 1);
      const start = state.page * state.pageSize;
      const pageRows = rows.slice(start, start + state.pageSize);
      const total = this.select(true).length;
      MT.clear(this.summary);
      if (this.missing) this.summary.appendChild(h("span", { class: "warn" }, `Segment ${this.missing} is not in run ${this.run.run.id}. `));
      this.summary.appendChild(document.createTextNode(rows.length
        ? `${MT.int(rows.length)} of ${MT.int(total)} segments in ${state.corpus} · showing ${MT.int(start + 1)}–${MT.int(start + pageRows.length)}`
        : `No segment of ${state.corpus} matches these filters (${MT.int(total)} in the corpus).`));
      this.rows = rows;
      this.drawDistribution();
      MT.clear(this.results);
      this.results.appendChild(this.pager(pages, rows.length));
      const list = h("div", { class: "seg-list", id: "seg-list" });
      for (const i of pageRows) list.appendChild(this.segment(i));
      this.results.appendChild(list);
      if (pages > 1) this.results.appendChild(this.pager(pages, rows.length));
    }

    /** Histograms of the shown systems' segment scores over the segments the filters keep (drawn only when open). */
    drawDistribution() {
      const d = this.dist, rows = this.rows;
      MT.clear(d);
      d.open = state.dist;
      d.appendChild(h("summary", null, `Distribution of segment ${MT.metricLabel(state.metric)} for the systems shown (${MT.int(rows.length)} segments kept by the filters)`));
      if (!d.open) return;
      const series = this.systems.map((s) => ({ name: s.name, values: rows.map((i) => this.score(s, i)) }));
      // Bins over the whole corpus's scores, so they stay put while the filters change.
      const all = this.select(true);
      const range = MT.extent(this.systems.flatMap((s) => all.map((i) => this.score(s, i))));
      // A bar keeps its bin's segments: that system becomes "scored by" and the score range is the bin's.
      const keep = (name, lo, hi) => {
        Object.assign(state, { scoreBy: name, min: String(lo), max: String(hi), page: 0 });
        this.target = null;
        this.mount();
      };
      d.appendChild(MT.histograms(series, { metric: state.metric, id: "seg-histograms", width: 280, height: 130, range, onBar: keep }));
      d.appendChild(MT.note("Click a bar to keep its segments (Score ≥ and ≤ set to the bin, for that system); Reset filters to go back."));
    }

    pager(pages) {
      const go = (page) => () => { state.page = page; this.target = null; this.update(); this.summary.scrollIntoView({ block: "nearest" }); };
      return h("nav", { class: "pager", "aria-label": "pages" },
        h("button", { type: "button", class: "prev", disabled: state.page === 0, onclick: go(state.page - 1) }, "‹ Previous"),
        h("span", { class: "page-no" }, `page ${state.page + 1} of ${pages}`),
        h("button", { type: "button", class: "next", disabled: state.page >= pages - 1, onclick: go(state.page + 1) }, "Next ›"),
        MT.select("Per page", PAGE_SIZES, state.pageSize, (v) => { state.pageSize = Number(v); state.page = 0; this.update(); }, { class: "page-size" }),
      );
    }

    segment(i) {
      const segs = this.segs, systems = this.systems;
      const corpus = segs.corpora[segs.corpus[i]];
      const ref = segs.ref[i];
      const link = MT.runLink("segments", { corpus, seg: segs.id[i], systems: state.systems.join(","), metric: state.metric });
      const hyps = h("div", { class: "hyps" });
      hyps.style.gridTemplateColumns = `repeat(${Math.max(1, systems.length)}, minmax(0, 1fr))`;
      for (const system of systems) {
        const hyp = system.hyp[i];
        const flags = system.flag_names.filter((_, bit) => (system.flags[i] & (1 << bit)) !== 0);
        const metricsRow = Object.keys(system.scores).map((m) => {
          const v = system.scores[m][i];
          return h("span", { class: ["m", m === state.metric && "current"], title: `${m} (segment)` }, `${m} ${MT.fmt(v, 1)}`);
        });
        for (const [name, values] of Object.entries(system.human || {})) {
          metricsRow.push(h("span", { class: "m human", title: `${name} (human segment score)`, "data-human": name }, `${name} ${MT.fmt(values[i], 2)}`));
        }
        let text;
        if (hyp === null || hyp === undefined) text = h("div", { class: "hyp-text missing" }, "(not translated by this system)");
        else {
          const diff = MT.renderDiff(ref, hyp, state.deleted);
          text = h("div", { class: "hyp-text", lang: "en" }, diff.node);
          if (hyp === "") text.appendChild(h("span", { class: "missing" }, "(empty)"));
        }
        const errors = errorsOf(system, i);
        const sources = [...new Set(errors.map((e) => e.human))];
        hyps.appendChild(h("div", { class: "hyp", "data-system": system.name },
          h("div", { class: "hyp-head" },
            h("span", { class: "sys" }, h("span", { class: "swatch", style: { background: MT.color(system.name) } }), system.name),
            h("span", { class: "metrics" }, metricsRow),
            flags.map((f) => h("span", { class: ["flag", "flag-" + f] }, f))),
          text,
          sources.map((source) => errorRows(hyp || "", errors.filter((e) => e.human === source)))));
      }
      return h("article", {
        class: ["seg", this.target === i && "target"], id: "seg-" + i, "data-seg-id": segs.id[i], "data-corpus": corpus,
      },
        h("div", { class: "seg-head" },
          h("a", { class: "seg-link", href: link, title: "Link to this segment" }, "¶ ", segs.id[i]),
          h("span", { class: "doc" }, "doc ", segs.docs[segs.doc[i]]),
          h("span", { class: "script" }, segs.scripts[segs.script[i]]),
          h("span", { class: "len" }, `${segs.src[i].length} chars`)),
        h("div", { class: "seg-src" }, h("span", { class: "lbl" }, "Source"), h("span", { class: "text", lang: langOf(segs.scripts[segs.script[i]]) }, segs.src[i])),
        referenceRows(segs, i),
        hyps);
    }
  }

  // ---- error spans: annotated (MQM, ESA) and tagged by a metric (xCOMET), one renderer ------------

  const errorIndex = new WeakMap();

  /** The error spans of segment i in one system's chunk: [{start, end, human, kind, category, severity, rater,
      weight, confidence}]; `human` names the span's source (the human metric, or the metric for xCOMET). */
  function errorsOf(system, i) {
    const cols = system.errors;
    if (!cols) return [];
    let bySeg = errorIndex.get(system);
    if (!bySeg) {
      bySeg = new Map();
      const labels = system.error_labels;
      for (let k = 0; k < cols.seg.length; k++) {
        const list = bySeg.get(cols.seg[k]) || [];
        list.push({
          start: cols.start[k], end: cols.end[k], human: labels.human[cols.human[k]], category: labels.category[cols.category[k]],
          severity: labels.severity[cols.severity[k]], rater: labels.rater[cols.rater[k]], weight: cols.weight[k],
          kind: cols.kind ? labels.kind[cols.kind[k]] : "human", confidence: cols.confidence ? cols.confidence[k] : null,
        });
        bySeg.set(cols.seg[k], list);
      }
      errorIndex.set(system, bySeg);
    }
    return bySeg.get(i) || [];
  }

  const errorText = (e) => e.kind === "metric"
    ? `${e.severity} · ${e.human}${MT.isNum(e.confidence) ? ` · confidence ${MT.fmt(e.confidence, 2)}` : ""}`
    : `${e.severity} · ${e.category}${e.rater ? ` (${e.rater}` + (e.human ? `, ${e.human})` : ")") : ""}${MT.isNum(e.weight) ? ` · weight ${e.weight}` : ""}`;
  const severityClass = (severity) => "sev-" + (String(severity).toLowerCase().replace(/[^a-z0-9]+/g, "-") || "unknown");
  const SEVERITY_RANK = { critical: 3, major: 2, minor: 1 };
  const rank = (e) => SEVERITY_RANK[String(e.severity).toLowerCase()] || 0;

  /** One source's errors: the hypothesis with every error span marked (overlapping spans of several raters split
      into pieces, each titled with every error covering it, styled by the most severe), then the errors without a span. */
  function errorRows(hyp, errors) {
    const { human: source, kind } = errors[0];
    const chars = Array.from(hyp); // offsets count code points, as Python does
    const spanned = errors.filter((e) => MT.isNum(e.start) && MT.isNum(e.end) && e.end > e.start && e.start < chars.length);
    const cuts = [...new Set([0, chars.length, ...spanned.flatMap((e) => [e.start, Math.min(e.end, chars.length)])])].sort((a, b) => a - b);
    const pieces = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const [a, b] = [cuts[k], cuts[k + 1]];
      const piece = chars.slice(a, b).join("");
      const covering = spanned.filter((e) => e.start <= a && e.end >= b);
      if (!covering.length) { pieces.push(piece); continue; }
      const worst = covering.reduce((x, y) => (rank(y) > rank(x) ? y : x));
      pieces.push(h("mark", {
        class: ["err", severityClass(worst.severity)], title: covering.map(errorText).join("\n"),
        "data-severity": worst.severity, "data-category": worst.category, "data-errors": String(covering.length),
      }, piece));
    }
    const unspanned = errors.filter((e) => !spanned.includes(e));
    const label = kind === "metric" ? `Error spans tagged by ${source}` : `Annotated errors${source ? ` · ${source}` : ""}`;
    return h("div", { class: ["hyp-errors", "errors-" + kind], "data-source": source, "data-kind": kind },
      h("div", { class: "lbl" }, `${label} (${errors.length})`),
      spanned.length ? h("div", { class: "hyp-text marked", lang: "en" }, pieces) : null,
      unspanned.length ? h("ul", { class: "err-list" }, unspanned.map((e) =>
        h("li", { class: ["err-nospan", severityClass(e.severity)], "data-severity": e.severity, "data-category": e.category }, "no span: ", errorText(e)))) : null);
  }

  /** Every reference of segment i: the first (segs.ref) and the others (segs.more_refs, absent when none has any). */
  function referencesOf(segs, i) {
    if (segs.ref[i] === null || segs.ref[i] === undefined) return [];
    return [segs.ref[i], ...((segs.more_refs && segs.more_refs[i]) || [])];
  }

  /** One row per reference, labelled Reference A, B, … when there are several; diffs are against the first. */
  function referenceRows(segs, i) {
    const refs = referencesOf(segs, i);
    if (!refs.length) return h("div", { class: "seg-ref" }, h("span", { class: "lbl" }, "Reference"), h("span", { class: "text missing" }, "(no reference)"));
    return refs.map((text, k) => h("div", { class: "seg-ref", "data-ref": String(k) },
      h("span", { class: "lbl" }, refs.length > 1 ? `Reference ${refLabel(k)}` : "Reference"),
      h("span", { class: "text", lang: "en" }, text)));
  }

  function refLabel(k) {
    return k < 26 ? String.fromCharCode(65 + k) : String(k + 1);
  }
})();
