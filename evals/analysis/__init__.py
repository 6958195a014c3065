"""Why one system beats another: bucketed analyses of two or more systems (``mteval analyze``).

compare-mt's and MT-Telescope's questions, for any number of systems of a run,
with bootstrap intervals. The modules, bottom to top:

* ``buckets`` -- partitions of a corpus's segments (quantiles, fixed ranges, categories);
* ``words`` -- tokens, word frequencies (``--frequencies FILE``) and word accuracy (F-measure);
* ``pos`` -- parts of speech for word accuracy (the optional ``pos`` extra);
* ``salient`` -- the n-grams one system matches and another misses most;
* ``differences`` -- wins, ties, losses and the histogram of segment-level differences;
* ``view`` -- one corpus, every system aligned on the baseline's segments (``evals.compare.align``);
* ``sections`` -- each analysis as a function of a view, returning its JSON;
* ``report`` -- ``SECTIONS`` (the list of sections) and ``analyse_run``/``analyse_sides``;
* ``render`` -- tables and Markdown from the report's JSON.
"""

from evals.analysis.report import SECTIONS, analyse_run, analyse_sides
from evals.analysis.sections import AnalysisSettings

__all__ = ["SECTIONS", "AnalysisSettings", "analyse_run", "analyse_sides"]
