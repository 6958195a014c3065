/* Boot: load the index, build the navigation and run picker, render the view named by the hash. */
"use strict";

(function () {
  const { h } = MT;
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  const runSelect = document.getElementById("run-select");
  const footer = document.getElementById("footer");
  let renderToken = 0;

  function defaultRun(index) {
    const detailed = index.runs.filter((r) => r.detailed);
    const done = detailed.find((r) => r.status === "done");
    return (done || detailed[0] || {}).id;
  }

  function buildNav(current, runId) {
    MT.clear(nav);
    const entry = MT.state.index.runs.find((r) => r.id === runId);
    for (const name of MT.viewOrder) {
      const view = MT.views[name];
      // A page that needs what only some runs have (human judgements) is listed only for those runs.
      if (view.available && !view.available(entry) && name !== current) continue;
      nav.appendChild(h("a", { href: MT.link(name, view.needsRun ? { run: runId } : {}), class: name === current ? "active" : null, "aria-current": name === current ? "page" : null, id: "nav-" + name }, view.title));
    }
  }

  function buildRunPicker(index, runId, route) {
    MT.clear(runSelect);
    for (const run of index.runs.filter((r) => r.detailed)) {
      const label = `#${run.id} · ${MT.date(run.created_at).slice(0, 16)} · ${run.suite_name}${run.status === "done" ? "" : " · " + run.status}`;
      runSelect.appendChild(h("option", { value: run.id, selected: run.id === runId }, label));
    }
    runSelect.onchange = () => {
      location.hash = MT.link(route.name === "history" ? "leaderboard" : route.name, { run: runSelect.value });
    };
  }

  async function render() {
    const token = ++renderToken;
    const route = MT.parseHash();
    const view = MT.views[route.name];
    const index = MT.state.index;
    const requested = parseInt(route.params.get("run"), 10);
    const known = index.runs.find((r) => r.id === requested && r.detailed);
    const runId = known ? known.id : defaultRun(index);
    MT.state.runId = runId;
    buildNav(route.name, runId);
    buildRunPicker(index, runId, route);
    main.dataset.ready = "";
    main.dataset.view = route.name;
    MT.clear(main);
    if (!view) {
      main.appendChild(MT.errorBox(new Error(`no page called “${route.name}”`)));
      main.dataset.ready = "1";
      return;
    }
    document.title = `${view.title} · mteval`;
    const header = h("h1", null, view.title);
    main.appendChild(header);
    const root = h("div", { class: "view view-" + route.name });
    main.appendChild(root);
    try {
      const ctx = { index, params: route.params, runId, isCurrent: () => token === renderToken };
      if (view.needsRun) {
        if (runId === undefined) {
          root.appendChild(MT.empty("No runs in this store yet: `mteval run` records one."));
          main.dataset.ready = "1";
          return;
        }
        const entry = index.runs.find((r) => r.id === runId);
        ctx.run = await MT.load(entry.url);
        if (token !== renderToken) return;
        MT.state.run = ctx.run;
        header.appendChild(h("span", { class: "sub" }, ` · run ${runId} · ${ctx.run.run.suite_name} · ${MT.date(ctx.run.run.created_at)} · commit ${MT.commit(ctx.run.run.git_commit)}`));
      }
      await view.render(root, ctx);
    } catch (error) {
      if (token !== renderToken) return;
      root.appendChild(MT.errorBox(error));
      if (window.console) console.warn(error); // a warning, not an error: the page explains it
    }
    if (token === renderToken) main.dataset.ready = "1";
  }

  async function boot() {
    try {
      MT.state.index = await MT.load("data/index.js");
    } catch (error) {
      MT.clear(main).appendChild(MT.errorBox(error));
      main.dataset.ready = "1";
      return;
    }
    const index = MT.state.index;
    for (const run of index.runs) for (const name of run.systems) MT.color(name);
    footer.appendChild(document.createTextNode(
      `${index.mode === "live" ? "Live from the results store" : "Generated"} ${MT.date(index.generated_at)} · ${index.runs.length} run${index.runs.length === 1 ? "" : "s"} · mteval`));
    window.addEventListener("hashchange", render);
    render();
  }

  boot();
})();
