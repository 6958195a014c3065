/* Sortable tables: click a header to sort by it, click again to reverse. Missing values sort last. */
"use strict";

(function () {
  const { h } = MT;

  function compare(a, b) {
    const missingA = a === null || a === undefined || (typeof a === "number" && !Number.isFinite(a));
    const missingB = b === null || b === undefined || (typeof b === "number" && !Number.isFinite(b));
    if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), "en", { numeric: true });
  }

  /**
   * MT.table({columns, rows, sort, onSort, className, rowProps})
   * column: {key, label, title, value(row), cell(row), numeric, dir (first-click direction), sortable}
   * sort: {key, dir} (dir 1 ascending, -1 descending); onSort(sort) remembers it for the view.
   */
  MT.table = function (options) {
    const columns = options.columns;
    let sort = options.sort && columns.some((c) => c.key === options.sort.key) ? { ...options.sort } : null;
    const tbody = h("tbody");
    const headers = new Map();

    function value(column, row) {
      return column.value ? column.value(row) : row[column.key];
    }

    function render() {
      MT.clear(tbody);
      let rows = options.rows.slice();
      if (sort) {
        const column = columns.find((c) => c.key === sort.key);
        rows = rows
          .map((row, i) => ({ row, i }))
          .sort((x, y) => {
            const va = value(column, x.row), vb = value(column, y.row);
            const missing = compare(va, vb);
            const bothPresent = va !== null && va !== undefined && vb !== null && vb !== undefined;
            return (bothPresent ? sort.dir * missing : missing) || x.i - y.i;
          })
          .map((x) => x.row);
      }
      for (const row of rows) {
        const tr = h("tr", options.rowProps ? options.rowProps(row) : null);
        for (const column of columns) {
          const content = column.cell ? column.cell(row) : value(column, row);
          tr.appendChild(h("td", { class: [column.numeric && "num", column.className] }, content === null || content === undefined ? "–" : content));
        }
        tbody.appendChild(tr);
      }
      for (const [key, th] of headers) {
        const state = sort && sort.key === key ? (sort.dir > 0 ? "ascending" : "descending") : "none";
        th.setAttribute("aria-sort", state);
      }
    }

    const headRow = h("tr");
    for (const column of columns) {
      const sortable = column.sortable !== false;
      const label = sortable
        ? h("button", {
            type: "button",
            class: "sort",
            title: column.title || "Sort by this column",
            onclick: () => {
              sort = sort && sort.key === column.key ? { key: column.key, dir: -sort.dir } : { key: column.key, dir: column.dir || (column.numeric ? -1 : 1) };
              if (options.onSort) options.onSort({ ...sort });
              render();
            },
          }, column.label, h("span", { class: "arrow", "aria-hidden": "true" }))
        : h("span", { title: column.title || null }, column.label);
      const th = h("th", { class: [column.numeric && "num", column.className], scope: "col", "data-key": column.key }, label);
      headers.set(column.key, th);
      headRow.appendChild(th);
    }
    const table = h("table", { class: ["data", options.className] }, h("thead", null, headRow), tbody);
    render();
    if (!options.rows.length) {
      return h("div", null, table, MT.empty(options.emptyText || "Nothing to show."));
    }
    return table;
  };
})();
