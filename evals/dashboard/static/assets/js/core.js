/* mteval dashboard — core: DOM building, formatting, data loading, routing.
 *
 * Safety rule for every file of the app: text from the results store is only
 * ever put into the page as text nodes (document.createTextNode / textContent)
 * or as attribute values set through setAttribute; never as HTML. `h()` below
 * is the only way views build elements, and it has no HTML path at all.
 */
"use strict";

(function () {
  const MT = (window.MT = {});

  // ---- DOM -----------------------------------------------------------------------------

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      for (const c of child) append(parent, c);
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }

  function setProps(el, props) {
    if (!props) return;
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key === "style") Object.assign(el.style, value); // CSSOM: allowed by the CSP, never parsed as markup
      else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else if (key === "href") {
        // Links stay inside the app: hash routes only (no javascript:, no other hosts).
        if (!String(value).startsWith("#")) throw new Error("refusing non-route link " + value);
        el.setAttribute("href", value);
      } else if (key === "value") el.value = value;
      else if (key === "checked" || key === "selected" || key === "disabled") el[key] = Boolean(value);
      else if (value === true) el.setAttribute(key, "");
      else el.setAttribute(key, String(value));
    }
  }

  /** h("div", {class: "x"}, "text", child, [more]) — strings become text nodes, never markup. */
  MT.h = function (tag, props, ...children) {
    const el = document.createElement(tag);
    setProps(el, props);
    append(el, children);
    return el;
  };

  const SVG_NS = "http://www.w3.org/2000/svg";
  /** SVG element with attributes (numbers are rounded to keep the DOM small). */
  MT.s = function (tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === "class") el.setAttribute("class", value);
      else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, typeof value === "number" ? String(Math.round(value * 100) / 100) : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  };

  MT.clear = function (el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  };

  // ---- formatting ------------------------------------------------------------------------

  MT.isNum = (v) => typeof v === "number" && Number.isFinite(v);
  MT.fmt = (v, digits = 2) => (MT.isNum(v) ? v.toFixed(digits) : "–");
  MT.signed = (v, digits = 2) => (MT.isNum(v) ? (v > 0 ? "+" : v < 0 ? "−" : "±") + Math.abs(v).toFixed(digits) : "–");
  MT.pct = (v, digits = 0) => (MT.isNum(v) ? (100 * v).toFixed(digits) + "%" : "–");
  MT.pval = (p) => (!MT.isNum(p) ? "–" : p < 0.001 ? "p<0.001" : "p=" + p.toFixed(3));
  MT.int = (v) => (MT.isNum(v) ? v.toLocaleString("en-US") : "–");
  MT.date = function (iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  };
  MT.commit = (c) => (c ? String(c).replace(/^([0-9a-f]{10})[0-9a-f]*/i, "$1") : "–");

  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
  /** A stable colour per system name across pages. */
  MT.color = function (name) {
    const names = MT.state.systemOrder;
    let i = names.indexOf(name);
    if (i < 0) { names.push(name); i = names.length - 1; }
    return PALETTE[i % PALETTE.length];
  };

  /** "↑" when higher is better, "↓" otherwise. */
  MT.direction = function (metric) {
    const info = (MT.state.index && MT.state.index.metrics[metric]) || (MT.state.run && MT.state.run.metrics[metric]);
    return info && info.higher_is_better === false ? -1 : 1;
  };
  MT.metricLabel = (metric) => metric + (MT.direction(metric) > 0 ? " ↑" : " ↓");

  // ---- data loading ------------------------------------------------------------------------
  // Data files are JavaScript: `MTEVAL.receive(url, payload)`. Loaded with <script> tags
  // because fetch() of local files is refused under file://.

  const received = new Map();
  const pending = new Map();
  window.MTEVAL = {
    receive(url, payload) {
      received.set(url, payload);
      const waiting = pending.get(url);
      if (waiting) waiting.resolve(payload);
    },
  };

  MT.load = function (url) {
    if (received.has(url)) return Promise.resolve(received.get(url));
    if (pending.has(url)) return pending.get(url).promise;
    const entry = {};
    entry.promise = new Promise((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    pending.set(url, entry);
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => {
      pending.delete(url);
      script.remove();
      if (!received.has(url)) entry.reject(new Error(`${url} holds no dashboard data`));
    };
    script.onerror = () => {
      pending.delete(url);
      script.remove();
      entry.reject(new Error(`could not load ${url} (is the data/ folder next to index.html?)`));
    };
    document.head.appendChild(script);
    return entry.promise;
  };

  // ---- routing ---------------------------------------------------------------------------
  // Hash routes: #/<view>?run=3&… ; every view registers itself in MT.views.

  MT.views = {};
  MT.viewOrder = [];
  MT.state = { index: null, run: null, runId: null, systemOrder: [] };

  MT.register = function (name, view) {
    MT.views[name] = view;
    MT.viewOrder.push(name);
  };

  MT.parseHash = function () {
    const raw = location.hash.replace(/^#\/?/, "");
    const q = raw.indexOf("?");
    const name = (q < 0 ? raw : raw.slice(0, q)) || "leaderboard";
    const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
    return { name, params };
  };

  /** "#/segments?run=3&seg=…" from a view name and parameters (empty ones dropped). */
  MT.link = function (name, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value === null || value === undefined || value === "") continue;
      query.set(key, Array.isArray(value) ? value.join(",") : String(value));
    }
    const text = query.toString();
    return `#/${name}${text ? "?" + text : ""}`;
  };

  MT.runLink = (name, params) => MT.link(name, Object.assign({ run: MT.state.runId }, params || {}));

  /** Labelled <select>; options are [value, label] pairs or plain values. */
  MT.select = function (label, options, value, onChange, props) {
    const select = MT.h("select", Object.assign({ onchange: (e) => onChange(e.target.value) }, props || {}));
    for (const option of options) {
      const [v, text] = Array.isArray(option) ? option : [option, option];
      select.appendChild(MT.h("option", { value: v, selected: String(v) === String(value) }, text));
    }
    return MT.h("label", { class: "control" }, MT.h("span", null, label), select);
  };

  MT.note = (...children) => MT.h("p", { class: "note" }, ...children);
  MT.empty = (text) => MT.h("p", { class: "empty" }, text);

  MT.errorBox = (error) => MT.h("div", { class: "error", role: "alert" }, "Could not show this page: ", String(error && error.message ? error.message : error));
})();
