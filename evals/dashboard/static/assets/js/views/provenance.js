/* Provenance: where a run's numbers came from — code, packages, corpora, systems, metric signatures. */
"use strict";

(function () {
  const { h } = MT;

  MT.register("provenance", {
    title: "Provenance",
    needsRun: true,
    render(root, ctx) {
      const p = ctx.run.provenance;
      const notes = p.notes || {};
      root.appendChild(h("h2", null, `Run ${ctx.run.run.id}`));
      root.appendChild(kv([
        ["Suite", p.suite_name],
        ["Status", h("span", { class: ["status", "status-" + p.status] }, p.status)],
        ["Started", MT.date(p.created_at)],
        ["Finished", MT.date(p.finished_at)],
        ["Git commit", h("code", null, p.git_commit || "unknown")],
        ["mteval", p.mteval_version || "–"],
        ["Python", notes.python || "–"],
        ["Platform", notes.platform || "–"],
        ["Command", h("code", null, ["mteval", ...(p.argv || [])].join(" "))],
      ], "run-info"));
      if (Array.isArray(notes.notices) && notes.notices.length) {
        root.appendChild(h("h3", null, "Notices"));
        root.appendChild(h("ul", { class: "notices" }, notes.notices.map((n) => h("li", null, String(n)))));
      }

      root.appendChild(h("h3", null, "Systems"));
      root.appendChild(MT.table({
        columns: [
          { key: "name", label: "Name", cell: (s) => h("span", { class: "sys" }, h("span", { class: "swatch", style: { background: MT.color(s.name) } }), s.name) },
          { key: "spec", label: "Spec", cell: (s) => h("code", null, s.spec) },
          { key: "revision", label: "Revision", cell: (s) => h("code", { class: "wrap" }, s.revision || "–") },
          { key: "params", label: "Parameters", sortable: false, cell: (s) => json(s.params) },
          { key: "info", label: "Description (model, versions)", sortable: false, cell: (s) => json(s.info) },
        ],
        rows: p.systems || [],
        className: "provenance-systems",
      }));

      root.appendChild(h("h3", null, "Metric signatures"));
      const sigRows = [];
      for (const [metric, byCorpus] of Object.entries(p.signatures || {})) {
        for (const [corpus, signature] of Object.entries(byCorpus)) sigRows.push({ metric, corpus, signature });
      }
      root.appendChild(MT.table({
        columns: [
          { key: "metric", label: "Metric" },
          { key: "corpus", label: "Corpus" },
          { key: "signature", label: "Signature", cell: (r) => h("code", { class: "wrap" }, r.signature) },
        ],
        rows: sigRows, emptyText: "No scores.",
      }));

      root.appendChild(h("div", { class: "two-col" },
        h("section", null, h("h3", null, "Corpus hashes"), kv(Object.entries(p.corpus_hashes || {}).map(([k, v]) => [k, h("code", { class: "wrap" }, v)]), "hashes")),
        h("section", null, h("h3", null, "Package versions"), kv(Object.entries(p.package_versions || {}).map(([k, v]) => [k, h("code", null, String(v))]), "packages")),
      ));
      root.appendChild(h("h3", null, "Suite"));
      root.appendChild(json(p.suite, "suite"));
      if (notes.stats) {
        root.appendChild(h("h3", null, "Run statistics"));
        root.appendChild(kv(Object.entries(notes.stats).map(([k, v]) => [k.replace(/_/g, " "), MT.int(v)])));
      }
    },
  });

  function kv(pairs, className) {
    return h("dl", { class: ["kv", className] }, pairs.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v === null || v === undefined || v === "" ? "–" : v)]));
  }

  function json(value, className) {
    if (value === null || value === undefined || (typeof value === "object" && !Object.keys(value).length)) return "–";
    return h("pre", { class: ["json", className] }, JSON.stringify(value, null, 2));
  }
})();
