"""The segment record's JSONL form: several references, WMT's origlang and domain."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evals.corpora.model import Segment
from evals.errors import InputError

BASE = {"corpus": "c", "doc_id": "d", "seg_id": "1", "source": "他来了。", "src_lang": "zh", "tgt_lang": "en",
        "script": "zh-Hans"}
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(str.strip)


def test_two_references_may_agree_on_a_segment():
    """WMT22's references A and B are identical on 148 lines: that is data, not a mistake."""
    assert Segment.from_json({**BASE, "references": ["Yes.", "Yes."]}).references == ("Yes.", "Yes.")


def test_one_reference_keeps_the_old_line_format():
    segment = Segment.from_json({**BASE, "reference": "He came."})
    assert segment.references == ("He came.",) and segment.more_references == ()
    assert list(segment.to_json()) == ["corpus", "doc_id", "seg_id", "para", "source", "reference", "src_lang",
                                       "tgt_lang", "script", "bead", "score"]
    assert Segment.from_json({**BASE, "reference": None}).references == ()


@given(st.lists(TEXT, min_size=1, max_size=4), st.none() | TEXT, st.none() | TEXT)
def test_references_and_metadata_round_trip(references, origlang, domain):
    line = {**BASE, "references": references, "origlang": origlang, "domain": domain}
    segment = Segment.from_json(json.loads(json.dumps(line)))
    assert segment.references == tuple(references) and segment.reference == references[0]
    assert (segment.origlang, segment.domain) == (origlang, domain)
    assert Segment.from_json(json.loads(json.dumps(segment.to_json()))) == segment


@pytest.mark.parametrize("extra, field, message", [
    ({"reference": "a", "references": ["a", "b"]}, "references", "not both"),
    ({"references": []}, "references", "non-empty list"),
    ({"references": ["a", 3]}, "references", "reference 2 must be a string"),
    ({"references": ["a", " "]}, "references", "reference 2 is empty"),
    ({"origlang": ""}, "origlang", "non-empty string"),
    ({"domain": 5}, "domain", "non-empty string"),
])
def test_bad_references_and_metadata_name_the_field(extra, field, message):
    with pytest.raises(InputError, match=message) as error:
        Segment.from_json({**BASE, **extra}, path="c.jsonl", line=7)
    assert error.value.field == field and error.value.line == 7
