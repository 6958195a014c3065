/* Hand-drawn SVG charts: a line chart with confidence bands, a grouped horizontal bar chart, a labelled scatter,
 * dot-and-whisker charts over categories, histograms, a clickable segment scatter and sparklines.
 * No library: each is a few dozen lines of SVG the app builds with MT.s, so the site stays one folder that
 * works from file:// under a CSP with no inline code, and every mark carries a <title> (a native tooltip). */
"use strict";

(function () {
  const { s, h } = MT;

  /** Round-number ticks covering [lo, hi]. */
  function ticks(lo, hi, count) {
    if (!(hi > lo)) { hi = lo + 1; lo = lo - 1; }
    const raw = (hi - lo) / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((st) => st >= raw) || 10 * mag;
    const first = Math.floor(lo / step) * step;
    const out = [];
    for (let v = first; v <= hi + step * 0.5; v += step) out.push(Math.round(v / step) * step);
    // The last tick must reach hi: a point above it would be drawn outside the chart.
    while (out.length < 100 && out[out.length - 1] < hi) out.push(Math.round((out[out.length - 1] + step) / step) * step);
    return out;
  }
  MT.ticks = ticks;

  function legend(series) {
    return h("ul", { class: "legend" }, series.map((sr) =>
      h("li", null, h("span", { class: "swatch", style: { background: sr.color } }), sr.name)));
  }

  /**
   * MT.lineChart({series: [{name, color, points: [{x, y, lo, hi, title}]}], xTicks: [{x, label, sub}],
   *               yLabel, width, height})
   * x values are numbers (run positions or timestamps); missing y values break the line.
   */
  MT.lineChart = function (opts) {
    const width = opts.width || 860, height = opts.height || 320;
    const m = { top: 16, right: 20, bottom: 48, left: 56 };
    const all = opts.series.flatMap((sr) => sr.points.filter((p) => MT.isNum(p.y)));
    if (!all.length) return MT.empty("No scores to plot.");
    const ys = all.flatMap((p) => [p.y, MT.isNum(p.lo) ? p.lo : p.y, MT.isNum(p.hi) ? p.hi : p.y]);
    const xs = all.map((p) => p.x).concat((opts.xTicks || []).map((t) => t.x));
    let xMin = Math.min(...xs), xMax = Math.max(...xs);
    if (xMin === xMax) { xMin -= 1; xMax += 1; }
    const pad = (xMax - xMin) * 0.03; // keep the first and last points off the axes
    xMin -= pad; xMax += pad;
    const yTicks = ticks(Math.min(...ys), Math.max(...ys), 5);
    const yMin = yTicks[0], yMax = yTicks[yTicks.length - 1];
    const X = (x) => m.left + ((x - xMin) / (xMax - xMin)) * (width - m.left - m.right);
    const Y = (y) => height - m.bottom - ((y - yMin) / (yMax - yMin || 1)) * (height - m.top - m.bottom);

    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart line-chart", role: "img", "aria-label": opts.label || "line chart" });
    const grid = s("g", { class: "grid" });
    for (const t of yTicks) {
      grid.appendChild(s("line", { x1: m.left, x2: width - m.right, y1: Y(t), y2: Y(t) }));
      grid.appendChild(s("text", { x: m.left - 8, y: Y(t) + 4, "text-anchor": "end", class: "tick" }, String(+t.toFixed(2))));
    }
    for (const t of opts.xTicks || []) {
      grid.appendChild(s("text", { x: X(t.x), y: height - m.bottom + 18, "text-anchor": "middle", class: "tick" }, t.label));
      if (t.sub) grid.appendChild(s("text", { x: X(t.x), y: height - m.bottom + 32, "text-anchor": "middle", class: "tick sub" }, t.sub));
    }
    svg.appendChild(grid);
    if (opts.yLabel) {
      svg.appendChild(s("text", { x: 14, y: m.top + (height - m.top - m.bottom) / 2, class: "axis-label", transform: `rotate(-90 14 ${m.top + (height - m.top - m.bottom) / 2})`, "text-anchor": "middle" }, opts.yLabel));
    }
    for (const sr of opts.series) {
      const g = s("g", { class: "series", "data-system": sr.name });
      // Confidence band: upper edge left→right, lower edge right→left, for each unbroken stretch.
      const withCi = sr.points.filter((p) => MT.isNum(p.lo) && MT.isNum(p.hi));
      if (withCi.length > 1) {
        const path = withCi.map((p) => `${X(p.x)},${Y(p.hi)}`).concat(withCi.slice().reverse().map((p) => `${X(p.x)},${Y(p.lo)}`));
        g.appendChild(s("polygon", { points: path.join(" "), fill: sr.color, class: "band" }));
      }
      let segment = [];
      const flush = () => {
        if (segment.length > 1) g.appendChild(s("polyline", { points: segment.join(" "), stroke: sr.color, class: "line" }));
        segment = [];
      };
      for (const p of sr.points) {
        if (MT.isNum(p.y)) segment.push(`${X(p.x)},${Y(p.y)}`);
        else flush();
      }
      flush();
      for (const p of sr.points) {
        if (!MT.isNum(p.y)) continue;
        if (MT.isNum(p.lo) && MT.isNum(p.hi)) {
          g.appendChild(s("line", { x1: X(p.x), x2: X(p.x), y1: Y(p.lo), y2: Y(p.hi), stroke: sr.color, class: "whisker" }));
        }
        g.appendChild(s("circle", { cx: X(p.x), cy: Y(p.y), r: 4, fill: sr.color, class: "point" }, s("title", null, p.title || "")));
      }
      svg.appendChild(g);
    }
    return h("figure", { class: "chart-box" }, svg, legend(opts.series));
  };

  /**
   * MT.barChart({categories: [{label, title}], series: [{name, color, values: []}], valueLabel, direction})
   * Horizontal grouped bars; one group per category, one bar per series.
   */
  MT.barChart = function (opts) {
    const cats = opts.categories, series = opts.series;
    const values = series.flatMap((sr) => sr.values.filter(MT.isNum));
    if (!cats.length || !values.length) return MT.empty("No scores to plot.");
    const bar = 11, gap = 10, labelWidth = 190, width = opts.width || 860;
    const m = { top: 24, right: 60, bottom: 8, left: labelWidth };
    const groupHeight = series.length * bar + gap;
    const height = m.top + cats.length * groupHeight + m.bottom;
    const xTicks = ticks(Math.min(0, ...values), Math.max(...values), 5);
    const lo = xTicks[0], hi = xTicks[xTicks.length - 1];
    const X = (v) => m.left + ((v - lo) / (hi - lo || 1)) * (width - m.left - m.right);
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart bar-chart", role: "img", "aria-label": opts.label || "bar chart" });
    const grid = s("g", { class: "grid" });
    for (const t of xTicks) {
      grid.appendChild(s("line", { x1: X(t), x2: X(t), y1: m.top - 4, y2: height - m.bottom }));
      grid.appendChild(s("text", { x: X(t), y: m.top - 8, "text-anchor": "middle", class: "tick" }, String(+t.toFixed(2))));
    }
    svg.appendChild(grid);
    cats.forEach((cat, ci) => {
      const y0 = m.top + ci * groupHeight;
      const label = cat.label.length > 28 ? cat.label.slice(0, 27) + "…" : cat.label;
      svg.appendChild(s("text", { x: m.left - 8, y: y0 + (series.length * bar) / 2 + 4, "text-anchor": "end", class: "cat" }, label, s("title", null, cat.title || cat.label)));
      series.forEach((sr, si) => {
        const v = sr.values[ci];
        if (!MT.isNum(v)) return;
        const x0 = X(Math.max(lo, 0)), x1 = X(v);
        const rect = s("rect", { x: Math.min(x0, x1), y: y0 + si * bar, width: Math.max(1, Math.abs(x1 - x0)), height: bar - 2, fill: sr.color, class: "bar" },
          s("title", null, `${sr.name} · ${cat.label}: ${MT.fmt(v)}`));
        svg.appendChild(rect);
        svg.appendChild(s("text", { x: Math.max(x0, x1) + 4, y: y0 + si * bar + bar - 3, class: "bar-value" }, MT.fmt(v, 1)));
      });
    });
    return h("figure", { class: "chart-box" }, svg, legend(series));
  };

  /**
   * MT.scatterChart({points: [{label, x, y, color, title}], xLabel, yLabel, label, width, height})
   * One labelled point per item (e.g. a system: metric score against human score).
   */
  MT.scatterChart = function (opts) {
    const points = opts.points.filter((p) => MT.isNum(p.x) && MT.isNum(p.y));
    if (!points.length) return MT.empty("No scores to plot.");
    const width = opts.width || 520, height = opts.height || 380;
    const m = { top: 14, right: 24, bottom: 44, left: 64 };
    const xTicks = ticks(Math.min(...points.map((p) => p.x)), Math.max(...points.map((p) => p.x)), 5);
    const yTicks = ticks(Math.min(...points.map((p) => p.y)), Math.max(...points.map((p) => p.y)), 5);
    const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]], [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
    const X = (x) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
    const Y = (y) => height - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart scatter-chart", role: "img", "aria-label": opts.label || "scatter plot" });
    const grid = s("g", { class: "grid" });
    for (const t of yTicks) {
      grid.appendChild(s("line", { x1: m.left, x2: width - m.right, y1: Y(t), y2: Y(t) }));
      grid.appendChild(s("text", { x: m.left - 6, y: Y(t) + 4, "text-anchor": "end", class: "tick" }, String(+t.toFixed(3))));
    }
    for (const t of xTicks) {
      grid.appendChild(s("line", { x1: X(t), x2: X(t), y1: m.top, y2: height - m.bottom }));
      grid.appendChild(s("text", { x: X(t), y: height - m.bottom + 16, "text-anchor": "middle", class: "tick" }, String(+t.toFixed(2))));
    }
    svg.appendChild(grid);
    if (opts.xLabel) svg.appendChild(s("text", { x: m.left + (width - m.left - m.right) / 2, y: height - 6, "text-anchor": "middle", class: "axis-label" }, opts.xLabel));
    if (opts.yLabel) {
      const cy = m.top + (height - m.top - m.bottom) / 2;
      svg.appendChild(s("text", { x: 14, y: cy, class: "axis-label", transform: `rotate(-90 14 ${cy})`, "text-anchor": "middle" }, opts.yLabel));
    }
    // Labels: right of the point (left near the right edge), nudged down past labels they would overlap.
    const placed = [];
    const byHeight = points.slice().sort((a, b) => b.y - a.y || a.x - b.x);
    for (const p of byHeight) {
      const right = X(p.x) > width - m.right - 110;
      const w = 6.2 * p.label.length;
      const lx0 = right ? X(p.x) - 7 - w : X(p.x) + 7;
      let ly = Y(p.y) - 5;
      for (let tries = 0; tries < 12; tries++) {
        const hit = placed.find((b) => lx0 < b.x1 && lx0 + w > b.x0 && Math.abs(ly - b.y) < 11);
        if (!hit) break;
        ly = hit.y + 11;
      }
      placed.push({ x0: lx0, x1: lx0 + w, y: ly });
      svg.appendChild(s("g", { class: "point-group", "data-system": p.label },
        s("circle", { cx: X(p.x), cy: Y(p.y), r: 4.5, fill: p.color, class: "point" }, s("title", null, p.title || p.label)),
        s("text", { x: right ? lx0 + w : lx0, y: ly, "text-anchor": right ? "end" : "start", class: "point-label" }, p.label)));
    }
    return h("figure", { class: "chart-box scatter-box" }, svg);
  };
  /** Axis grid lines and labels for y ticks (shared by the vertical charts below). */
  function yGrid(svg, yTicks, Y, m, width, digits) {
    const grid = s("g", { class: "grid" });
    for (const t of yTicks) {
      grid.appendChild(s("line", { x1: m.left, x2: width - m.right, y1: Y(t), y2: Y(t) }));
      grid.appendChild(s("text", { x: m.left - 6, y: Y(t) + 4, "text-anchor": "end", class: "tick" }, String(+t.toFixed(digits))));
    }
    svg.appendChild(grid);
  }

  function yAxisLabel(svg, text, m, height) {
    if (!text) return;
    const cy = m.top + (height - m.top - m.bottom) / 2;
    svg.appendChild(s("text", { x: 14, y: cy, class: "axis-label", transform: `rotate(-90 14 ${cy})`, "text-anchor": "middle" }, text));
  }

  /**
   * MT.whiskerChart({categories: [{label, title}], series: [{name, color, values: [{y, lo, hi, title}]}], yLabel, label})
   * One group per category, one dot per series with its confidence interval as a vertical whisker.
   */
  MT.whiskerChart = function (opts) {
    const cats = opts.categories, series = opts.series;
    const all = series.flatMap((sr) => sr.values.filter((v) => v && MT.isNum(v.y)));
    if (!cats.length || !all.length) return MT.empty("No scores to plot.");
    const width = opts.width || 860, height = opts.height || 280;
    const m = { top: 14, right: 16, bottom: 52, left: 56 };
    const ys = all.flatMap((v) => [v.y, MT.isNum(v.lo) ? v.lo : v.y, MT.isNum(v.hi) ? v.hi : v.y]);
    const yTicks = ticks(Math.min(...ys), Math.max(...ys), 5);
    const y0 = yTicks[0], y1 = yTicks[yTicks.length - 1];
    const Y = (y) => height - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
    const groupWidth = (width - m.left - m.right) / cats.length;
    const slot = Math.min(18, (groupWidth * 0.8) / Math.max(1, series.length));
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart whisker-chart", role: "img", "aria-label": opts.label || "scores by category" });
    yGrid(svg, yTicks, Y, m, width, 2);
    yAxisLabel(svg, opts.yLabel, m, height);
    cats.forEach((cat, ci) => {
      const cx = m.left + groupWidth * (ci + 0.5);
      const label = cat.label.length > 18 ? cat.label.slice(0, 17) + "…" : cat.label;
      svg.appendChild(s("text", { x: cx, y: height - m.bottom + 16, "text-anchor": "middle", class: "tick cat" }, label, s("title", null, cat.title || cat.label)));
      if (cat.sub) svg.appendChild(s("text", { x: cx, y: height - m.bottom + 30, "text-anchor": "middle", class: "tick sub" }, cat.sub));
      series.forEach((sr, si) => {
        const v = sr.values[ci];
        if (!v || !MT.isNum(v.y)) return;
        const x = cx + (si - (series.length - 1) / 2) * slot;
        const g = s("g", { class: "whisker-point", "data-system": sr.name, "data-category": cat.label });
        if (MT.isNum(v.lo) && MT.isNum(v.hi)) {
          g.appendChild(s("line", { x1: x, x2: x, y1: Y(v.lo), y2: Y(v.hi), stroke: sr.color, class: "whisker" }));
          for (const end of [v.lo, v.hi]) g.appendChild(s("line", { x1: x - 4, x2: x + 4, y1: Y(end), y2: Y(end), stroke: sr.color, class: "whisker" }));
        }
        g.appendChild(s("circle", { cx: x, cy: Y(v.y), r: 4, fill: sr.color, class: "point" },
          s("title", null, v.title || `${sr.name} · ${cat.label}: ${MT.fmt(v.y)}${MT.isNum(v.lo) ? ` [${MT.fmt(v.lo)}, ${MT.fmt(v.hi)}]` : ""}`)));
        svg.appendChild(g);
      });
    });
    return h("figure", { class: "chart-box" }, svg, legend(series));
  };

  /**
   * MT.histogram({edges: [e0..ek], counts: [c0..c(k-1)], color, xLabel, label, marker, width, height, onBar(lo, hi, i)})
   * Vertical bars over fixed bins; ``marker`` draws a vertical rule at that x (e.g. 0 for differences);
   * with ``onBar`` a bar is clickable (and focusable, Enter) and reports its bin.
   */
  MT.histogram = function (opts) {
    const edges = opts.edges, counts = opts.counts;
    if (!counts.length || !counts.some((c) => c > 0)) return MT.empty("No segments to plot.");
    const width = opts.width || 420, height = opts.height || 200;
    const m = { top: 10, right: 10, bottom: 36, left: 44 };
    const lo = edges[0], hi = edges[edges.length - 1];
    const X = (x) => m.left + ((x - lo) / (hi - lo || 1)) * (width - m.left - m.right);
    const yTicks = ticks(0, Math.max(...counts), 4);
    const top = yTicks[yTicks.length - 1];
    const Y = (y) => height - m.bottom - (y / (top || 1)) * (height - m.top - m.bottom);
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart histogram", role: "img", "aria-label": opts.label || "histogram" });
    yGrid(svg, yTicks, Y, m, width, 0);
    counts.forEach((c, i) => {
      const x0 = X(edges[i]), x1 = X(edges[i + 1]);
      const close = i === counts.length - 1 ? "]" : ")";
      const bar = s("rect", { x: x0 + 0.5, y: Y(c), width: Math.max(0.5, x1 - x0 - 1), height: Y(0) - Y(c), fill: opts.color || "#1f77b4", class: opts.onBar ? "bar pick" : "bar", "data-bin": String(i) },
        s("title", null, `[${edges[i]}, ${edges[i + 1]}${close}: ${MT.int(c)} segment${c === 1 ? "" : "s"}${opts.onBar ? " (click to keep these)" : ""}`));
      if (opts.onBar) {
        const pick = () => opts.onBar(edges[i], edges[i + 1], i);
        bar.setAttribute("tabindex", "0");
        bar.addEventListener("click", pick);
        bar.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
      }
      svg.appendChild(bar);
    });
    const step = Math.max(1, Math.ceil(edges.length / 6));
    edges.forEach((e, i) => {
      if (i % step && i !== edges.length - 1) return;
      svg.appendChild(s("text", { x: X(e), y: height - m.bottom + 14, "text-anchor": "middle", class: "tick" }, String(+(+e).toFixed(2))));
    });
    if (MT.isNum(opts.marker) && opts.marker >= lo && opts.marker <= hi) {
      svg.appendChild(s("line", { x1: X(opts.marker), x2: X(opts.marker), y1: m.top, y2: height - m.bottom, class: "marker" }));
    }
    if (opts.xLabel) svg.appendChild(s("text", { x: m.left + (width - m.left - m.right) / 2, y: height - 4, "text-anchor": "middle", class: "axis-label" }, opts.xLabel));
    return h("figure", { class: "chart-box histogram-box" }, opts.title ? h("figcaption", null, opts.title) : null, svg);
  };

  /** [min, max] of the numbers in ``values`` (null when there are none); a loop, so any length works. */
  MT.extent = function (values) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) {
      if (!MT.isNum(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return lo <= hi ? [lo, hi] : null;
  };

  /**
   * MT.histograms([{name, values}], {metric, id, className, width, height, range, onBar(name, lo, hi)}): one histogram
   * per system over the same (about 20 round) bins of ``range`` (default: the values' own), so their shapes compare at
   * a glance; each figure has ``data-system``.
   */
  MT.histograms = function (series, opts) {
    const o = opts || {};
    const own = MT.extent(series.flatMap((sr) => sr.values));
    if (!own) return MT.empty(`No segment ${o.metric || ""} scores to plot.`);
    const range = o.range || own;
    const t = ticks(range[0], range[1], 20);
    const edges = t.length >= 2 ? t : [range[0], range[0] + 1];
    const grid = h("div", { class: ["histograms", o.className].filter(Boolean).join(" "), id: o.id });
    for (const sr of series) {
      const values = sr.values.filter(MT.isNum);
      const mean = values.reduce((a, b) => a + b, 0) / (values.length || 1);
      const figure = MT.histogram({ edges, counts: MT.binCounts(values, edges), color: MT.color(sr.name), label: `${sr.name}: segment ${o.metric}`,
        title: `${sr.name} · mean ${MT.fmt(mean)} · ${MT.int(values.length)} segments`, width: o.width || 300, height: o.height || 150,
        onBar: o.onBar ? (lo, hi) => o.onBar(sr.name, lo, hi) : null });
      figure.dataset.system = sr.name;
      grid.appendChild(figure);
    }
    return grid;
  };

  /** Counts of ``values`` in the bins of ``edges`` (the last bin closed), NaN and null skipped. */
  MT.binCounts = function (values, edges) {
    const counts = new Array(edges.length - 1).fill(0);
    for (const v of values) {
      if (!MT.isNum(v) || v < edges[0] || v > edges[edges.length - 1]) continue;
      let i = 0;
      while (i < counts.length - 1 && v >= edges[i + 1]) i++;
      counts[i]++;
    }
    return counts;
  };

  /**
   * MT.segmentScatter({points: [{x, y, id, title}], xLabel, yLabel, onPick(point), onHover(point, dot), label})
   * Many small points (one per segment) over a shared square domain with the y = x diagonal; a click
   * (or Enter on a focused point) calls ``onPick``, hovering or focusing one calls ``onHover``.
   */
  MT.segmentScatter = function (opts) {
    const points = opts.points.filter((p) => MT.isNum(p.x) && MT.isNum(p.y));
    if (!points.length) return MT.empty("No segment scores to plot.");
    const size = opts.size || 460;
    const m = { top: 12, right: 14, bottom: 44, left: 56 };
    const [vlo, vhi] = MT.extent(points.flatMap((p) => [p.x, p.y]));
    const t = ticks(vlo, vhi, 5);
    const lo = t[0], hi = t[t.length - 1];
    const X = (x) => m.left + ((x - lo) / (hi - lo || 1)) * (size - m.left - m.right);
    const Y = (y) => size - m.bottom - ((y - lo) / (hi - lo || 1)) * (size - m.top - m.bottom);
    const svg = s("svg", { viewBox: `0 0 ${size} ${size}`, class: "chart segment-scatter", role: "img", "aria-label": opts.label || "segment scores of two systems" });
    const grid = s("g", { class: "grid" });
    for (const v of t) {
      grid.appendChild(s("line", { x1: m.left, x2: size - m.right, y1: Y(v), y2: Y(v) }));
      grid.appendChild(s("line", { x1: X(v), x2: X(v), y1: m.top, y2: size - m.bottom }));
      grid.appendChild(s("text", { x: m.left - 6, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, String(+v.toFixed(2))));
      grid.appendChild(s("text", { x: X(v), y: size - m.bottom + 16, "text-anchor": "middle", class: "tick" }, String(+v.toFixed(2))));
    }
    svg.appendChild(grid);
    svg.appendChild(s("line", { x1: X(lo), y1: Y(lo), x2: X(hi), y2: Y(hi), class: "diagonal" }));
    if (opts.xLabel) svg.appendChild(s("text", { x: m.left + (size - m.left - m.right) / 2, y: size - 6, "text-anchor": "middle", class: "axis-label" }, opts.xLabel));
    yAxisLabel(svg, opts.yLabel, m, size);
    const g = s("g", { class: "points" });
    for (const p of points) {
      const dot = s("circle", { cx: X(p.x), cy: Y(p.y), r: 3, class: ["seg-point", p.y > p.x ? "above" : p.y < p.x ? "below" : "on"].join(" "), "data-seg": p.id, tabindex: "0" },
        s("title", null, p.title || p.id));
      const pick = () => opts.onPick && opts.onPick(p);
      const hover = () => opts.onHover && opts.onHover(p, dot);
      dot.addEventListener("click", pick);
      dot.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
      dot.addEventListener("mouseenter", hover);
      dot.addEventListener("focus", hover);
      g.appendChild(dot);
    }
    svg.appendChild(g);
    return h("figure", { class: "chart-box scatter-box" }, svg);
  };

  /**
   * The system-level scores of ``system`` on ``corpus`` under ``metric`` across runs (the index's history),
   * oldest first, up to run ``upto`` when given: [{run, value}].
   */
  MT.historyOf = function (system, corpus, metric, upto) {
    const index = MT.state.index;
    if (!index || !index.history) return [];
    return index.history
      .filter((p) => p[1] === system && p[2] === corpus && p[3] === metric && (upto === undefined || p[0] <= upto))
      .map((p) => ({ run: p[0], value: p[4] }))
      .sort((a, b) => a.run - b.run);
  };

  /** A sparkline of ``MT.historyOf(...)``, titled with the runs it covers. */
  MT.historySparkline = function (system, corpus, metric, upto) {
    const points = MT.historyOf(system, corpus, metric, upto);
    const title = points.length
      ? `${system} · ${metric} on ${corpus} over ${points.length} run${points.length === 1 ? "" : "s"}: ` + points.map((p) => `#${p.run} ${MT.fmt(p.value)}`).join(", ")
      : "no history";
    const line = MT.sparkline(points.map((p) => p.value), { title, color: MT.color(system) });
    line.dataset.runs = String(points.length);
    return line;
  };

  /** MT.sparkline(values, {title, width, height, color}): a tiny line of a series, its last point marked. */
  MT.sparkline = function (values, opts) {
    const o = opts || {};
    const width = o.width || 96, height = o.height || 22;
    const pts = values.map((v, i) => [i, v]).filter(([, v]) => MT.isNum(v));
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "sparkline", role: "img", "aria-label": o.title || "trend" });
    if (o.title) svg.appendChild(s("title", null, o.title));
    if (!pts.length) return svg;
    const ys = pts.map(([, v]) => v);
    let lo = Math.min(...ys), hi = Math.max(...ys);
    if (lo === hi) { lo -= 1; hi += 1; }
    const X = (i) => 2 + (values.length > 1 ? (i / (values.length - 1)) * (width - 4) : (width - 4) / 2);
    const Y = (v) => height - 3 - ((v - lo) / (hi - lo)) * (height - 6);
    if (pts.length > 1) svg.appendChild(s("polyline", { points: pts.map(([i, v]) => `${X(i)},${Y(v)}`).join(" "), stroke: o.color || "#1f77b4", class: "spark-line" }));
    const [li, lv] = pts[pts.length - 1];
    svg.appendChild(s("circle", { cx: X(li), cy: Y(lv), r: 2.2, fill: o.color || "#1f77b4", class: "spark-end" }));
    return svg;
  };
})();
