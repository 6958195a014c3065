"""Store → JSON payloads for the dashboard.

The app loads its data in chunks (addresses in ``evals.dashboard.urls``), so
opening it stays fast on big runs:

* ``index`` — every run (newest first), metric directions and the system-level
  score history across runs; small, loaded first by every page;
* ``run`` — one run's leaderboard (with error-span counts by system, source and
  severity), per-document scores, script robustness and provenance;
* ``significance`` — one run's significance matrices (paired tests: the slow
  part, computed only when asked for), built from a ``RunData`` by
  ``evals.dashboard.significance``;
* ``humans`` — one run's metrics against its imported human metrics
  (``evals.meta``: bootstrap intervals, the other slow part), built by
  ``evals.dashboard.humans``, only for runs that have human metrics;
* ``segments`` — one run's segments (source, references, document, script);
* ``system`` — one system's hypotheses, flags and segment scores (and, when
  the run has human metrics, its human segment scores), its error spans
  (annotated by humans or tagged by xCOMET), aligned index-for-index with the
  segments chunk, loaded only when the segment explorer shows that system.

Segment chunks are columns (one array per field), not records: a 10k-segment
run becomes a few arrays instead of 10k objects, smaller on disk and faster
for the browser to parse. Values are formatted by ``evals.dashboard.values``
(no NaN: a missing score is ``null``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from evals.dashboard.urls import analysis_url, humans_url, run_url, segments_url, significance_url, system_url
from evals.dashboard.values import iso, jsonable, num, split_ci
from evals.metrics import higher_is_better, metric_order

if TYPE_CHECKING:
    import pandas as pd

    from evals.store import Store

SCHEMA_VERSION = 1
#: Per (script pair, system, metric): how many segments with the widest script gap to list.
SCRIPT_GAP_SEGMENTS = 15


def metric_directions(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The payloads' ``metrics`` entry: each metric, in display order, with its direction."""
    return {m: {"higher_is_better": higher_is_better(m)} for m in metric_order(names)}


# ---- one run ---------------------------------------------------------------------------------

class RunData:
    """Everything the dashboard shows about one run, read from the store once."""

    def __init__(self, store: "Store", run: int | str) -> None:
        self.store = store
        self.run_id = store.resolve_run(run)
        self._human_scores: dict[tuple[str, str], "pd.DataFrame"] = {}

    # -- raw frames

    @cached_property
    def info(self) -> dict[str, Any]:
        return self.store.get_run(self.run_id)

    @cached_property
    def translations(self) -> "pd.DataFrame":
        return self.store.translations_df(self.run_id)

    @cached_property
    def scores(self) -> "pd.DataFrame":
        return self.store.scores_df(self.run_id)

    @cached_property
    def segment_table(self) -> "pd.DataFrame":
        """One row per segment of the run, in corpus (suite) order, with its script."""
        import pandas as pd

        frame = self.translations
        columns = ["segment_id", "corpus", "doc_id", "seg_id", "para", "source", "reference", "references"]
        table = frame[columns].drop_duplicates("segment_id") if not frame.empty else pd.DataFrame(columns=columns)
        scripts = _segment_scripts(self.store, table["segment_id"].tolist())
        table = table.assign(script=[scripts.get(int(s), "") for s in table["segment_id"]])
        # Segments are stored in suite order the first time they are seen, so ordering the
        # corpora by their first segment id keeps the suite's corpus order.
        table = table.sort_values("segment_id", kind="stable")
        order = {name: i for i, name in enumerate(dict.fromkeys(table["corpus"]))}
        table = table.assign(_rank=[order[c] for c in table["corpus"]])
        table = table.sort_values(["_rank", "segment_id"], kind="stable").drop(columns="_rank")
        return table.reset_index(drop=True)

    @cached_property
    def corpora(self) -> list[str]:
        seen = list(dict.fromkeys(self.segment_table["corpus"]))
        scored = [c for c in dict.fromkeys(self.scores["corpus"]) if c not in seen]
        return seen + scored

    @cached_property
    def metrics(self) -> list[str]:
        return metric_order(set(self.scores["metric"]))

    @cached_property
    def system_names(self) -> dict[int, str]:
        return {s["id"]: s["name"] for s in self.info["systems"]}

    @cached_property
    def human_metrics(self) -> "pd.DataFrame":
        """The run's imported human metrics (``Store.human_metrics``), oldest first."""
        return self.store.human_metrics(self.run_id)

    @cached_property
    def human_names(self) -> list[str]:
        return [str(n) for n in self.human_metrics["name"]]

    def human_scores(self, name: str, level: str) -> "pd.DataFrame":
        """``Store.human_scores`` of one human metric at ``level``, read once per ``RunData``."""
        key = (name, level)
        if key not in self._human_scores:
            self._human_scores[key] = self.store.human_scores(self.run_id, name, level)
        return self._human_scores[key]

    def human_corpora(self, name: str) -> list[str]:
        """The corpora a human metric scored at segment level (what agreement needs), in run order."""
        covered = set(self.human_scores(name, "segment")["corpus"])
        return [c for c in self.corpora if c in covered] + sorted(covered - set(self.corpora))

    @cached_property
    def human_errors(self) -> dict[str, "pd.DataFrame"]:
        """Each human metric's error spans (``Store.human_errors``); only metrics that have some."""
        counts = dict(zip(self.human_metrics["name"], self.human_metrics["errors"]))
        return {name: self.store.human_errors(self.run_id, name) for name in self.human_names if counts[name]}

    @cached_property
    def corpus_scripts(self) -> dict[str, dict[str, int]]:
        table = self.segment_table
        counts: dict[str, dict[str, int]] = {}
        for (corpus, script), n in table.groupby(["corpus", "script"], sort=False).size().items():
            counts.setdefault(corpus, {})[script] = int(n)
        return counts

    # -- payloads

    def run_payload(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "kind": "run",
            "run": self._run_summary(),
            "corpora": self._corpora(),
            "systems": [
                {"id": s["id"], "name": s["name"], "spec": s["spec"], "revision": s["revision"],
                 "chunk": system_url(self.run_id, s["id"])}
                for s in self.info["systems"]
            ],
            "metrics": metric_directions(self.metrics),
            "leaderboard": self._leaderboard(),
            "error_counts": self.store.error_span_counts(self.run_id),
            "flags": self._flags(),
            "documents": self._documents(),
            "scripts": self._script_pairs(),
            "provenance": self._provenance(),
            **self._humans(),
            "chunks": {"segments": segments_url(self.run_id), "significance": significance_url(self.run_id),
                       "analysis": analysis_url(self.run_id),
                       **({"humans": humans_url(self.run_id)} if self.human_names else {})},
        }

    def segments_payload(self) -> dict[str, Any]:
        """The run's segments as columns; strings repeated per segment become indexes."""
        table = self.segment_table
        corpora = list(dict.fromkeys(table["corpus"]))
        docs = list(dict.fromkeys(table["doc_id"]))
        scripts = list(dict.fromkeys(table["script"]))
        corpus_ix = {c: i for i, c in enumerate(corpora)}
        doc_ix = {d: i for i, d in enumerate(docs)}
        script_ix = {s: i for i, s in enumerate(scripts)}
        return {
            "schema": SCHEMA_VERSION,
            "kind": "segments",
            "corpora": corpora,
            "docs": docs,
            "scripts": scripts,
            "sid": [int(s) for s in table["segment_id"]],
            "corpus": [corpus_ix[c] for c in table["corpus"]],
            "doc": [doc_ix[d] for d in table["doc_id"]],
            "script": [script_ix[s] for s in table["script"]],
            "id": table["seg_id"].tolist(),
            "src": table["source"].tolist(),
            "ref": [None if _is_missing(r) else r for r in table["reference"]],
            **_more_references(table["references"]),
        }

    def system_payload(self, system_id: int) -> dict[str, Any]:
        """One system's hypotheses, flags and segment scores, aligned with ``segments_payload``."""
        if system_id not in self.system_names:
            raise KeyError(system_id)
        position = {int(s): i for i, s in enumerate(self.segment_table["segment_id"])}
        n = len(position)
        hyps: list[str | None] = [None] * n
        flags: list[int] = [0] * n
        flag_names: list[str] = []
        flag_bit: dict[str, int] = {}
        rows = self.translations[self.translations["system_id"] == system_id]
        for segment_id, hypothesis, row_flags in zip(rows["segment_id"], rows["hypothesis"], rows["flags"]):
            i = position[int(segment_id)]
            hyps[i] = hypothesis
            mask = 0
            for flag in row_flags:
                if flag not in flag_bit:
                    flag_bit[flag] = 1 << len(flag_names)
                    flag_names.append(flag)
                mask |= flag_bit[flag]
            flags[i] = mask
        segment_scores = self.scores[(self.scores["level"] == "segment") & (self.scores["system_id"] == system_id)]
        by_metric: dict[str, list[float | None]] = {}
        for metric, group in segment_scores.groupby("metric", sort=False):
            values: list[float | None] = [None] * n
            for segment_id, value in zip(group["segment_id"], group["value"]):
                i = position.get(int(segment_id))
                if i is not None:
                    values[i] = num(value)
            by_metric[metric] = values
        return {
            "schema": SCHEMA_VERSION,
            "kind": "system",
            "run": self.run_id,
            "id": system_id,
            "name": self.system_names[system_id],
            "flag_names": flag_names,
            "hyp": hyps,
            "flags": flags,
            "scores": {m: by_metric[m] for m in metric_order(by_metric)},
            **self._system_humans(system_id, position),
        }

    def _system_humans(self, system_id: int, position: dict[int, int]) -> dict[str, Any]:
        """``human``: {human metric: segment scores aligned with the segments chunk} (only for runs with
        human metrics, so other chunks stay what they were); ``errors``: every error span of the system,
        from both sources -- annotated (MQM, ESA) and tagged by a metric (xCOMET) -- as columns (``seg``
        is the segment's index in the chunk, ``start``/``end`` character offsets into the hypothesis or
        null, ``human`` the span source's name: the human metric's or the metric's; labels as indexes
        into ``error_labels``; ``kind`` "human" or "metric"; ``confidence`` xCOMET's, null for humans).
        """
        out: dict[str, Any] = {}
        if self.human_names:
            human: dict[str, list[float | None]] = {}
            for name in self.human_names:
                rows = self.human_scores(name, "segment")
                rows = rows[rows["system_id"] == system_id]
                if rows.empty:
                    continue
                values: list[float | None] = [None] * len(position)
                for segment_id, value in zip(rows["segment_id"], rows["value"]):
                    i = None if _is_missing(segment_id) else position.get(int(segment_id))
                    if i is not None:
                        values[i] = num(value)
                human[name] = values
            out["human"] = human
        labels: dict[str, list[str]] = {"human": [], "category": [], "severity": [], "rater": [], "kind": []}
        index: dict[str, dict[str, int]] = {k: {} for k in labels}
        columns: dict[str, list[Any]] = {k: [] for k in ("seg", "start", "end", "human", "category", "severity",
                                                         "rater", "weight", "kind", "confidence")}

        def code(kind: str, value: Any) -> int:
            text = "" if _is_missing(value) else str(value)
            if text not in index[kind]:
                index[kind][text] = len(labels[kind])
                labels[kind].append(text)
            return index[kind][text]

        def add(i: int, start: Any, end: Any, source: str, kind: str, severity: Any, category: Any = "",
                rater: Any = "", weight: Any = None, confidence: Any = None) -> None:
            spanned = not (_is_missing(start) or _is_missing(end))
            columns["seg"].append(i)
            columns["start"].append(int(start) if spanned else None)
            columns["end"].append(int(end) if spanned else None)
            columns["human"].append(code("human", source))
            columns["kind"].append(code("kind", kind))
            columns["category"].append(code("category", category))
            columns["severity"].append(code("severity", severity))
            columns["rater"].append(code("rater", rater))
            columns["weight"].append(None if weight is None else num(weight))
            columns["confidence"].append(None if confidence is None else num(confidence))

        system_name = self.system_names[system_id]
        for name, errors in self.human_errors.items():
            mine = errors[errors["system"] == system_name]
            for row in mine.itertuples(index=False):
                i = position.get(int(row.segment_id))
                if i is not None:
                    add(i, row.span_start, row.span_end, name, "human", row.severity, row.category, row.rater,
                        row.weight)
        for metric, segment_id, details in self._metric_spans(system_id):
            i = position.get(segment_id)
            if i is not None:
                for span in details:
                    add(i, span.get("start"), span.get("end"), metric, "metric", span.get("severity"),
                        confidence=span.get("confidence"))
        if columns["seg"]:
            out |= {"errors": columns, "error_labels": labels}
        return out

    def _metric_spans(self, system_id: int) -> list[tuple[str, int, list[dict[str, Any]]]]:
        """``(metric, segment id, error spans)`` of one system's segment scores that carry spans (xCOMET)."""
        frame = self.scores
        rows = frame[(frame["level"] == "segment") & (frame["system_id"] == system_id)]
        return [(metric, int(segment_id), details["error_spans"])
                for metric, segment_id, details in zip(rows["metric"], rows["segment_id"], rows["details"])
                if details and details.get("error_spans")]

    # -- pieces of the run payload

    def _humans(self) -> dict[str, Any]:
        """``humans``: the run's human metrics; ``human_leaderboard``: their system-level scores.

        Both only when the run has human metrics (a run without stays what it was).
        """
        if not self.human_names:
            return {}
        described = []
        rows = []
        for about in self.human_metrics.itertuples(index=False):
            name = str(about.name)
            described.append({"name": name, "format": about.format, "signature": about.signature,
                              "segments": int(about.segments), "systems": int(about.systems),
                              "errors": int(about.errors), "corpora": self.human_corpora(name)})
            system = self.human_scores(name, "system")
            for row in system.itertuples(index=False):
                rows.append({"system": row.system, "corpus": row.corpus, "human": name, "value": num(row.value),
                             "n": None if _is_missing(row.n) else int(row.n)})
        return {"humans": described, "human_leaderboard": rows}

    def _run_summary(self) -> dict[str, Any]:
        return run_summary(self.info)

    def _corpora(self) -> list[dict[str, Any]]:
        table = self.segment_table
        out = []
        for corpus in self.corpora:
            part = table[table["corpus"] == corpus]
            out.append({
                "name": corpus,
                "segments": int(len(part)),
                "documents": int(part["doc_id"].nunique()),
                "scripts": self.corpus_scripts.get(corpus, {}),
                "references": int(part["reference"].notna().sum()),
                "scored": bool((self.scores["corpus"] == corpus).any()),
            })
        return out

    def _leaderboard(self) -> list[dict[str, Any]]:
        """``Store.leaderboard`` rows for the page, keyed by (system, corpus, script, level, metric).

        ``script`` is "" for a whole corpus. Corpora mixing scripts also get
        per-script rows at document and segment level (means of the stored
        scores); a pooled system score cannot be split after the fact.
        """
        rows: list[dict[str, Any]] = []
        for row in self.store.leaderboard(self.run_id):
            entry = {"system": row["system"], "corpus": row["corpus"], "script": "", "level": row["level"],
                     "metric": row["metric"], "value": num(row["value"])}
            if row["level"] == "system":
                ci, extra = split_ci(row["details"])
                entry |= {"ci": ci, "ci_info": extra or None, "signature": row["signature"]}
            else:
                entry["n"] = row["n"]
            rows.append(entry)
        mixed = [c for c, scripts in self.corpus_scripts.items() if len(scripts) > 1]
        if rows and mixed:
            frame = self.scores
            rows += self._script_split_rows(frame[(frame["level"] != "system") & frame["corpus"].isin(mixed)])
        return rows

    def _script_split_rows(self, frame: "pd.DataFrame") -> list[dict[str, Any]]:
        table = self.segment_table
        seg_script = dict(zip(table["segment_id"].astype(int), table["script"]))
        doc_script = {(c, d): s for c, d, s in zip(table["corpus"], table["doc_id"], table["script"])}
        scripts = [
            seg_script.get(int(sid)) if level == "segment" and not _is_missing(sid) else doc_script.get((c, d))
            for level, sid, c, d in zip(frame["level"], frame["segment_id"], frame["corpus"], frame["doc_id"])
        ]
        frame = frame.assign(script=scripts)
        rows = []
        for (name, corpus, script, level, metric), group in frame.groupby(
                ["system", "corpus", "script", "level", "metric"], sort=False):
            rows.append({"system": name, "corpus": corpus, "script": script, "level": level, "metric": metric,
                         "value": num(group["value"].mean()), "n": int(group["value"].notna().sum())})
        return rows

    def _flags(self) -> list[dict[str, Any]]:
        """Segments and flag counts per (system, corpus), and per script within each corpus."""
        frame = self.translations
        if frame.empty:
            return []
        seg_script = dict(zip(self.segment_table["segment_id"].astype(int), self.segment_table["script"]))
        counts: dict[tuple[str, str, str], dict[str, Any]] = {}
        for name, corpus, segment_id, flags in zip(frame["system"], frame["corpus"], frame["segment_id"],
                                                    frame["flags"]):
            for script in ("", seg_script.get(int(segment_id), "")):
                entry = counts.setdefault((name, corpus, script), {
                    "system": name, "corpus": corpus, "script": script, "segments": 0, "flags": {}})
                entry["segments"] += 1
                for flag in flags:
                    entry["flags"][flag] = entry["flags"].get(flag, 0) + 1
        return list(counts.values())

    def _documents(self) -> list[dict[str, Any]]:
        """Per corpus: its documents (with segment counts) and each system's score per document."""
        table = self.segment_table
        docs_scores = self.scores[self.scores["level"] == "document"]
        out = []
        for corpus in self.corpora:
            part = table[table["corpus"] == corpus]
            sizes = part.groupby("doc_id", sort=False).size()
            docs = list(sizes.index)
            scripts = dict(zip(part["doc_id"], part["script"]))
            position = {d: i for i, d in enumerate(docs)}
            values: dict[str, dict[str, list[float | None]]] = {}
            scored = docs_scores[docs_scores["corpus"] == corpus]
            for (metric, name), group in scored.groupby(["metric", "system"], sort=False):
                column: list[float | None] = [None] * len(docs)
                for doc_id, value in zip(group["doc_id"], group["value"]):
                    if doc_id in position:
                        column[position[doc_id]] = num(value)
                values.setdefault(metric, {})[name] = column
            out.append({
                "corpus": corpus,
                "docs": docs,
                "segments": [int(n) for n in sizes],
                "scripts": [scripts.get(d, "") for d in docs],
                "values": {m: values[m] for m in metric_order(values)},
            })
        return out


    def _script_pairs(self) -> list[dict[str, Any]]:
        """The same segments in Simplified and Traditional script: scores per system and the gap."""
        pairs = _script_corpus_pairs(self.segment_table, self.corpus_scripts)
        if not pairs:
            return []
        frame = self.scores
        out = []
        tr = self.translations
        for hans, hant in pairs:
            systems_out = []
            for sys_info in self.info["systems"]:
                name = sys_info["name"]
                hyp_a = _hyps_by_seg(tr, name, hans)
                hyp_b = _hyps_by_seg(tr, name, hant)
                common = sorted(set(hyp_a) & set(hyp_b))
                if not common:
                    continue
                identical = sum(1 for s in common if hyp_a[s] == hyp_b[s])
                metrics_out = {}
                for metric in self.metrics:
                    entry = self._script_metric(frame, name, metric, hans, hant)
                    if entry is not None:
                        metrics_out[metric] = entry
                systems_out.append({"system": name, "segments": len(common), "identical": identical,
                                    "metrics": metrics_out})
            out.append({"hans": hans, "hant": hant, "systems": systems_out})
        return out

    def _script_metric(self, frame, name, metric, hans, hant) -> dict[str, Any] | None:
        part = frame[(frame["system"] == name) & (frame["metric"] == metric)]
        if part.empty:
            return None
        values = {}
        for corpus in (hans, hant):
            system = part[(part["level"] == "system") & (part["corpus"] == corpus)]
            ci = None
            value = None
            if not system.empty:
                value = num(system["value"].iloc[0])
                ci, _ = split_ci(system["details"].iloc[0])
            values[corpus] = (value, ci)
        seg = part[part["level"] == "segment"]
        a = seg[seg["corpus"] == hans].set_index("seg_id")["value"]
        b = seg[seg["corpus"] == hant].set_index("seg_id")["value"]
        both = a.to_frame("hans").join(b.to_frame("hant"), how="inner").dropna()
        both = both.assign(gap=both["hant"] - both["hans"])
        widest = both.reindex(both["gap"].abs().sort_values(ascending=False, kind="stable").index)
        widest = widest.head(SCRIPT_GAP_SEGMENTS)
        (hans_value, hans_ci), (hant_value, hant_ci) = values[hans], values[hant]
        gap = None if hans_value is None or hant_value is None else num(hant_value - hans_value)
        return {
            "hans": hans_value, "hans_ci": hans_ci, "hant": hant_value, "hant_ci": hant_ci, "gap": gap,
            "segment_gap_mean": num(both["gap"].mean()) if len(both) else None,
            "segments_differing": int((both["gap"].abs() > 1e-9).sum()),
            "widest": [{"seg_id": seg_id, "hans": num(r.hans), "hant": num(r.hant), "gap": num(r.gap)}
                       for seg_id, r in zip(widest.index, widest.itertuples(index=False))],
        }

    def _provenance(self) -> dict[str, Any]:
        info = self.info
        signatures: dict[str, dict[str, str]] = {}
        system_rows = self.scores[self.scores["level"] == "system"]
        for metric, corpus, signature in zip(system_rows["metric"], system_rows["corpus"],
                                             system_rows["signature"]):
            signatures.setdefault(metric, {})[corpus] = signature
        return {
            "suite_name": info["suite_name"],
            "suite": jsonable(info["suite"]),
            "git_commit": info["git_commit"],
            "mteval_version": info["mteval_version"],
            "package_versions": jsonable(info["package_versions"]),
            "corpus_hashes": jsonable(info["corpus_hashes"]),
            "argv": jsonable(info["argv"]),
            "notes": jsonable(info["notes"]),
            "status": info["status"],
            "created_at": iso(info["created_at"]),
            "finished_at": iso(info["finished_at"]),
            "systems": jsonable(info["systems"]),
            "signatures": {m: signatures[m] for m in metric_order(signatures)},
        }


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _hyps_by_seg(frame: "pd.DataFrame", system: str, corpus: str) -> dict[str, str]:
    part = frame[(frame["system"] == system) & (frame["corpus"] == corpus)]
    return dict(zip(part["seg_id"], part["hypothesis"]))


def _script_corpus_pairs(table: "pd.DataFrame", scripts: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    """(Simplified corpus, Traditional corpus) pairs whose segments share ids (the paired corpora)."""
    hans = [c for c, s in scripts.items() if set(s) == {"zh-Hans"}]
    hant = [c for c, s in scripts.items() if set(s) == {"zh-Hant"}]
    ids = {c: set(table.loc[table["corpus"] == c, "seg_id"]) for c in hans + hant}
    pairs = []
    for a in hans:
        for b in hant:
            if ids[a] and ids[a] == ids[b]:
                pairs.append((a, b))
    return pairs


def _segment_scripts(store: "Store", segment_ids: Sequence[int]) -> dict[int, str]:
    """Script of each segment (``translations_df`` does not carry it)."""
    from sqlalchemy import select

    from evals.store.engine import chunked
    from evals.store.schema import segments

    found: dict[int, str] = {}
    with store.engine.connect() as conn:
        for chunk in chunked(sorted({int(s) for s in segment_ids})):
            query = select(segments.c.id, segments.c.script).where(segments.c.id.in_(chunk))
            found.update({row.id: row.script for row in conn.execute(query)})
    return found


# ---- all runs ---------------------------------------------------------------------------------

def run_fingerprint(store: "Store", run_id: int) -> tuple[Any, ...] | None:
    """Changes whenever anything shown about the run changes (used to cache payloads); None: no such run."""
    from sqlalchemy import func, select

    from evals.store.queries import storable_id
    from evals.store.schema import human_metrics, runs, scores

    with store.engine.connect() as conn:
        if not storable_id(conn, run_id):
            return None
        run = conn.execute(select(runs.c.status, runs.c.finished_at, runs.c.notes_json)
                           .where(runs.c.id == run_id)).first()
        if run is None:
            return None
        n_scores, last_score = conn.execute(select(func.count(), func.max(scores.c.id))
                                            .where(scores.c.run_id == run_id)).one()
        n_translations = _translation_count(conn, run_id)
        humans = [tuple(str(v) for v in row) for row in conn.execute(
            select(human_metrics.c.id, human_metrics.c.name, human_metrics.c.created_at)
            .where(human_metrics.c.run_id == run_id).order_by(human_metrics.c.id))]
    return (run_id, run.status, str(run.finished_at), _digest(run.notes_json), n_scores, last_score, n_translations,
            *humans)


def translation_count(store: "Store", run_id: int) -> int:
    """How many translations (segments × systems) the run stored: what the heavier payloads scale with."""
    with store.engine.connect() as conn:
        return _translation_count(conn, run_id)


def _translation_count(conn, run_id: int) -> int:
    from sqlalchemy import func, select

    from evals.store.schema import translations

    return int(conn.execute(select(func.count()).where(translations.c.run_id == run_id)).scalar() or 0)


def _digest(text: str | None) -> str:
    """A digest stable across processes (``hash()`` of a str is salted per process, so a fingerprint
    holding it would never match the previous build's)."""
    import hashlib

    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:16]


def run_summary(info: dict[str, Any]) -> dict[str, Any]:
    """What every page says about a run: id, times, status, suite and versions."""
    return {
        "id": info["id"],
        "created_at": iso(info["created_at"]),
        "finished_at": iso(info["finished_at"]),
        "status": info["status"],
        "suite_name": info["suite_name"],
        "git_commit": info["git_commit"],
        "mteval_version": info["mteval_version"],
    }


def index_payload(store: "Store", detailed: Iterable[int] | None = None, mode: str = "static") -> dict[str, Any]:
    """Runs (newest first), metric directions and system-level history across every run.

    ``detailed`` names the runs whose run pages are available (all when None);
    history always covers every run, since it needs only system-level scores.
    """
    runs = store.list_runs()
    wanted = None if detailed is None else set(detailed)
    run_rows = []
    history = []
    metrics: set[str] = set()
    for row in runs.itertuples(index=False):
        run_id = int(row.id)
        info = store.get_run(run_id)
        system = store.scores_df(run_id, level="system")
        for name, corpus, metric, value, details in zip(system["system"], system["corpus"], system["metric"],
                                                        system["value"], system["details"]):
            ci, _ = split_ci(details)
            metrics.add(metric)
            history.append([run_id, name, corpus, metric, num(value), ci])
        run_rows.append({
            **run_summary(info),
            "translations": int(row.translations),
            "systems": [s["name"] for s in info["systems"]],
            "corpora": list(info["corpus_hashes"]),
            "detailed": wanted is None or run_id in wanted,
            "url": run_url(run_id),
            **_human_names(store, run_id),
        })
    return {
        "schema": SCHEMA_VERSION,
        "kind": "index",
        "mode": mode,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "runs": run_rows,
        "metrics": metric_directions(metrics),
        "history_columns": ["run", "system", "corpus", "metric", "value", "ci"],
        "history": history,
    }


def _human_names(store: "Store", run_id: int) -> dict[str, Any]:
    """``human``: the run's human metric names (what lists the "Metrics vs humans" page); only when it has some."""
    names = [str(n) for n in store.human_metrics(run_id)["name"]]
    return {"human": names} if names else {}


def _more_references(references: Any) -> dict[str, Any]:
    """``more_refs``: each segment's 2nd, 3rd… references (``ref`` has the first), only when some segment has them.

    Left out otherwise, so single-reference payloads stay what they were.
    """
    more = [list(refs[1:]) if len(refs) > 1 else None for refs in references]
    return {"more_refs": more} if any(more) else {}
