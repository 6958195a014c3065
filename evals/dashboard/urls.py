"""Where each dashboard data chunk lives, and how a chunk is written.

The app loads its data in chunks (see ``evals.dashboard.payloads``); the
static site writes each to the address below and the server answers it there.
A chunk is a JavaScript call around plain JSON, so the static site works from
``file://``, where ``fetch()`` is refused.
"""

from __future__ import annotations

import json
from typing import Any


def index_url() -> str:
    return "data/index.js"


def run_url(run_id: int) -> str:
    return f"data/runs/{run_id}.js"


def segments_url(run_id: int) -> str:
    return f"data/runs/{run_id}/segments.js"


def system_url(run_id: int, system_id: int) -> str:
    return f"data/runs/{run_id}/system-{system_id}.js"


def significance_url(run_id: int) -> str:
    return f"data/runs/{run_id}/significance.js"


def humans_url(run_id: int) -> str:
    return f"data/runs/{run_id}/humans.js"


def analysis_url(run_id: int) -> str:
    return f"data/runs/{run_id}/analysis.js"


def chunk_script(url: str, payload: Any) -> str:
    """A data chunk as the JavaScript the app loads with a ``<script>`` tag.

    JSON is valid JavaScript, and the file is loaded as a script (never
    pasted into HTML), so no text in it can end the script or inject markup.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return f"MTEVAL.receive({json.dumps(url)},{body});\n"

