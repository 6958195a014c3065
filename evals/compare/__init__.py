"""Comparisons between systems: in one run, across runs, or against a baseline file.

A *side* of a comparison is one system's output on some corpora, with, per
(corpus, metric), the per-segment sufficient statistics the paired tests need
(``SystemData``). The modules, bottom to top (nothing imports upward):

* ``sides`` -- the side data model (``SystemData`` > ``CorpusData`` >
  ``MetricData``, ``SegmentRecord``) and side specs (``RUN[:SYSTEM]`` or a
  baseline file);
* ``runs`` -- sides from a stored run: statistics rebuilt from the score cache
  (``evals.scoring`` keys them), from frames read once per run
  (``RunFrames``), so loading every system of a run reads it once; a key
  missing from the cache (another database, a pruned cache) is recomputed with
  the metric, which must still produce the stored signature;
* ``baseline`` -- the baseline file format: sides written to and read from a
  committed file (the statistics travel in it);
* ``resolve`` -- a side from what the user named;
* ``align`` -- two sides paired on the same segments (same corpus, ``seg_id``,
  source and reference) and the same metric signatures; anything else is an
  ``InputError`` naming the segments or signature keys that differ, because a
  delta between different test sets or tokenisations is not a measurement;
* ``ranking`` -- N systems ranked per corpus and metric with WMT-style
  significance clusters (every pair bootstrapped, Holm over the pairs);
* ``analysis`` -- paired tests (``evals.stats.paired``) per corpus and metric,
  Holm–Bonferroni across the systems compared with one baseline, per-document
  wins/ties/losses and the segments that changed most (``compare_systems``).
"""

from evals.compare.align import Pair, align, check_segments
from evals.compare.analysis import (
    TESTS,
    Comparison,
    DocumentDelta,
    MetricComparison,
    PairAnalysis,
    PairedSettings,
    SegmentChange,
    analyse,
    compare_systems,
    default_rank_metric,
    digits_for,
    document_deltas,
    segment_changes,
)
from evals.compare.ranking import RankedMatrix, rank_matrix, rank_systems
from evals.compare.resolve import load_side
from evals.compare.runs import (
    RunFrames,
    SegmentStats,
    load_run_system,
    load_run_systems,
    metric_for_signature,
    pick_system,
    segment_stats_for,
)
from evals.compare.sides import (
    CorpusData,
    MetricData,
    SegmentRecord,
    SideSpec,
    SystemData,
    describe_signature_difference,
    parse_side,
    signature_keys,
    text_hash,
)

__all__ = [
    "TESTS", "Comparison", "CorpusData", "DocumentDelta", "MetricComparison", "MetricData", "Pair", "PairAnalysis",
    "PairedSettings", "RankedMatrix", "RunFrames", "SegmentChange", "SegmentRecord", "SegmentStats", "SideSpec", "SystemData",
    "align", "analyse", "check_segments", "compare_systems", "default_rank_metric", "describe_signature_difference",
    "digits_for", "document_deltas", "load_run_system", "load_run_systems", "load_side", "metric_for_signature",
    "parse_side", "pick_system", "rank_matrix", "rank_systems", "segment_changes", "segment_stats_for", "signature_keys", "text_hash",
]
