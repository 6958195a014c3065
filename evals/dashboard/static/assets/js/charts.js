/* Hand-drawn SVG charts: a line chart with confidence bands, a grouped horizontal bar chart and a labelled scatter. */
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
})();
