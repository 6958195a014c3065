"""loaders: every format to list[Segment], and every bad input to one InputError line."""

from __future__ import annotations

import os

# Before anything imports huggingface_hub/datasets, which read these at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evals.corpora.loaders import (
    corpus_hash,
    load_flores_plus,
    load_hf_dataset,
    load_jsonl,
    load_paired_configs,
    load_segments,
    load_text_pair,
    load_tsv,
)
from evals.corpora.model import Segment
from evals.errors import InputError, UsageError


def seg(n: int = 1, **overrides) -> Segment:
    fields = dict(
        corpus="news",
        doc_id="doc1",
        seg_id=f"news:{n}",
        para=0,
        source=f"第{n}句。",
        reference=f"Sentence {n}.",
        src_lang="zh",
        tgt_lang="en",
        script="zh-Hans",
    )
    fields.update(overrides)
    return Segment(**fields)


def jsonl_line(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def write_lines(path: Path, lines: list[str], newline: str = "\n") -> Path:
    path.write_text(newline.join(lines) + newline, encoding="utf-8", newline="")
    return path


def raises_input_error(call, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    assert "\n" not in str(info.value), "errors are printed on one line"
    return info.value


# --- JSONL (the corpus format) -------------------------------------------------------


def test_load_jsonl_reads_segments_and_skips_blank_lines(tmp_path):
    segments = [seg(1), seg(2, reference=None, score=0.5, bead="2-1")]
    path = write_lines(tmp_path / "c.jsonl", ["", jsonl_line(segments[0].to_json()), "  ", jsonl_line(segments[1].to_json())])
    assert load_jsonl(path) == segments


def test_load_jsonl_accepts_crlf_and_bom(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (jsonl_line(seg(1).to_json()) + "\r\n").encode())
    assert load_jsonl(path) == [seg(1)]


GOOD_OBJ = seg(1).to_json()

BAD_JSONL = [
    # id, line 3 of the file, message substring, field
    ("malformed", '{"corpus": "news", "doc_id": ', "malformed JSON at column 30: Expecting value", None),
    ("trailing-garbage", jsonl_line(GOOD_OBJ) + " x", "malformed JSON at column", None),
    ("not-an-object", "[1, 2]", "expected a JSON object, got list", None),
    ("missing-field", jsonl_line({k: v for k, v in GOOD_OBJ.items() if k != "source"}), "missing required field", "source"),
    ("wrong-type", jsonl_line({**GOOD_OBJ, "para": "3"}), "non-negative integer", "para"),
    ("wrong-type-str", jsonl_line({**GOOD_OBJ, "seg_id": 7}), "must be a string, got int", "seg_id"),
    ("empty-source", jsonl_line({**GOOD_OBJ, "source": "  "}), "source text is empty", "source"),
    ("unknown-field", jsonl_line({**GOOD_OBJ, "sauce": "x"}), "unknown field(s) sauce", "sauce"),
    ("nan-score", jsonl_line({**GOOD_OBJ, "score": 0.5}).replace("0.5", "NaN"), "finite number", "score"),
    ("duplicate-key", jsonl_line(GOOD_OBJ)[:-1] + ', "source": "又一句"}', "key appears twice", "source"),
]


@pytest.mark.parametrize("line3, expected, field", [c[1:] for c in BAD_JSONL], ids=[c[0] for c in BAD_JSONL])
def test_load_jsonl_bad_line_3(tmp_path, line3, expected, field):
    lines = [jsonl_line(seg(1).to_json()), jsonl_line(seg(2).to_json()), line3]
    path = write_lines(tmp_path / "c.jsonl", lines)
    error = raises_input_error(load_jsonl, path)
    assert (error.path, error.line, error.field) == (str(path), 3, field)
    assert expected in str(error)


def test_load_jsonl_duplicate_seg_id_names_both_lines(tmp_path):
    lines = [jsonl_line(seg(1).to_json()), "", jsonl_line(seg(2).to_json()), jsonl_line(seg(1, source="别的").to_json())]
    error = raises_input_error(load_jsonl, write_lines(tmp_path / "c.jsonl", lines))
    assert error.line == 4 and error.field == "seg_id"
    assert "duplicate seg_id 'news:1' (lines 1 and 4)" in str(error)


def test_load_jsonl_same_seg_id_in_two_corpora_is_fine(tmp_path):
    lines = [jsonl_line(seg(1).to_json()), jsonl_line(seg(1, corpus="other").to_json())]
    assert len(load_jsonl(write_lines(tmp_path / "c.jsonl", lines))) == 2


def test_load_jsonl_empty_file(tmp_path):
    (tmp_path / "c.jsonl").write_bytes(b"")
    assert "file is empty" in str(raises_input_error(load_jsonl, tmp_path / "c.jsonl"))


_NAME = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "")
_SEGMENTS = st.builds(
    Segment,
    corpus=_NAME,
    doc_id=_NAME,
    seg_id=_NAME,
    para=st.integers(min_value=0, max_value=10**6),
    source=st.text(min_size=1).filter(lambda s: s.strip() != ""),
    reference=st.none() | st.text(),
    # Every direction and source script the corpus format accepts (Segment.from_json refuses the others).
    src_lang=st.just("zh"),
    tgt_lang=st.just("en"),
    script=st.just("zh-Hans"),
    bead=st.sampled_from(["1-1", "1-2", "2-1", "0-1"]),
    score=st.none() | st.floats(allow_nan=False, allow_infinity=False),
).flatmap(lambda segment: st.sampled_from([("zh", "en", "zh-Hans"), ("zh", "en", "zh-Hant"), ("en", "zh", "Latn")])
          .map(lambda pair: replace(segment, src_lang=pair[0], tgt_lang=pair[1], script=pair[2])))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """One file the property test overwrites (module-scoped: hypothesis reruns the test body)."""
    return tmp_path_factory.mktemp("round-trip") / "c.jsonl"


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(segments=st.lists(_SEGMENTS, min_size=1, max_size=5, unique_by=lambda s: (s.corpus, s.seg_id)))
def test_jsonl_round_trip(scratch, segments):
    scratch.write_text("".join(jsonl_line(s.to_json()) + "\n" for s in segments), encoding="utf-8")
    loaded = load_jsonl(scratch)
    assert loaded == segments
    canonical = "".join(
        json.dumps(s.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n" for s in segments
    )
    assert corpus_hash(loaded) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- plain text pairs -------------------------------------------------------------------

ZH = ["美国总统周一与俄罗斯总统通话。", "他说会有事情发生。", "停火将是艰难的。"]
ZH_HANT = ["美國總統週一與俄羅斯總統通話。", "他說會有事情發生。", "停火將是艱難的。"]
EN = ["The US president spoke with Russia's president on Monday.", "He said something would happen.", "A ceasefire will be hard."]


def test_load_text_pair(tmp_path):
    src = write_lines(tmp_path / "news.zh.txt", ZH)
    ref = write_lines(tmp_path / "news.en.txt", EN, newline="\r\n")
    segments = load_text_pair(src, ref)
    assert [s.source for s in segments] == ZH
    assert [s.reference for s in segments] == EN
    assert [s.seg_id for s in segments] == ["news.zh:1", "news.zh:2", "news.zh:3"]
    assert {(s.corpus, s.doc_id, s.script, s.src_lang, s.tgt_lang) for s in segments} == {
        ("news.zh", "news.zh", "zh-Hans", "zh", "en")
    }
    assert [s.para for s in segments] == [0, 1, 2]
    assert load_text_pair(src, ref) == segments  # stable


def test_load_text_pair_source_only_and_options(tmp_path):
    src = write_lines(tmp_path / "s.txt", EN)
    segments = load_text_pair(src, corpus="mono", src_lang="en", tgt_lang="zh")
    assert [s.reference for s in segments] == [None] * 3
    assert {s.script for s in segments} == {"Latn"}
    assert segments[0].seg_id == "mono:1"


def test_load_text_pair_detects_traditional_and_reads_legacy_encodings(tmp_path):
    src = tmp_path / "tw.txt"
    src.write_bytes(("\n".join(ZH_HANT) + "\n").encode("big5"))
    ref = write_lines(tmp_path / "en.txt", EN)
    segments = load_text_pair(src, ref)
    assert [s.source for s in segments] == ZH_HANT
    assert {s.script for s in segments} == {"zh-Hant"}
    gb = tmp_path / "gb.txt"
    gb.write_bytes(("\n".join(ZH) + "\n").encode("gb18030"))
    assert [s.source for s in load_text_pair(gb, ref)] == ZH


def test_load_text_pair_line_count_mismatch_names_both_files(tmp_path):
    src = write_lines(tmp_path / "s.txt", ZH)
    ref = write_lines(tmp_path / "r.txt", EN[:2])
    error = raises_input_error(load_text_pair, src, ref)
    assert f"{src} has 3 lines, {ref} has 2" in str(error)


@pytest.mark.parametrize("which", ["source", "reference"])
def test_load_text_pair_empty_line_is_an_error(tmp_path, which):
    zh, en = list(ZH), list(EN)
    (zh if which == "source" else en)[1] = "   "
    src = write_lines(tmp_path / "s.txt", zh)
    ref = write_lines(tmp_path / "r.txt", en)
    error = raises_input_error(load_text_pair, src, ref)
    assert error.path == str(src if which == "source" else ref)
    assert error.line == 2 and "empty line" in str(error)


def test_load_text_pair_checks_languages_and_script(tmp_path):
    src = write_lines(tmp_path / "s.txt", EN)
    ref = write_lines(tmp_path / "r.txt", ZH)
    error = raises_input_error(load_text_pair, src, ref)  # swapped files: zh source has no Chinese
    assert "no Chinese characters" in str(error) and "swapped" in str(error)
    with pytest.raises(UsageError, match="did you mean 'zh-Hans'"):
        load_text_pair(ref, src, script="zh-hans")
    with pytest.raises(UsageError, match="unknown language 'de'"):
        load_text_pair(ref, src, tgt_lang="de")
    assert {s.script for s in load_text_pair(ref, src, script="zh-Hant")} == {"zh-Hant"}


# --- TSV ------------------------------------------------------------------------------------


def test_load_tsv_with_header_by_name(tmp_path):
    lines = ["id\tzh\ten"] + [f"a{i}\t{z}\t{e}" for i, (z, e) in enumerate(zip(ZH, EN))]
    path = write_lines(tmp_path / "d.tsv", lines)
    segments = load_tsv(path, source_col="zh", reference_col="en", id_col="id")
    assert [(s.seg_id, s.source, s.reference) for s in segments] == [(f"a{i}", z, e) for i, (z, e) in enumerate(zip(ZH, EN))]
    assert segments[0].corpus == "d" and segments[0].script == "zh-Hans"


def test_load_tsv_without_header_by_index_keeps_quotes(tmp_path):
    path = write_lines(tmp_path / "d.tsv", [f'{e}\t"{z}"' for z, e in zip(ZH, EN)])
    segments = load_tsv(path, source_col=1, reference_col=0)
    assert segments[0].source == f'"{ZH[0]}"' and segments[0].reference == EN[0]
    assert [s.seg_id for s in segments] == ["d:1", "d:2", "d:3"]


BAD_TSV = [
    # id, lines, kwargs, message substring, line, field
    ("too-few-fields", ["zh\ten", "一\tone", "二", "三\tthree"], dict(source_col="zh", reference_col="en"), "expected 2 tab-separated fields (as on line 1), found 1", 3, None),
    ("too-many-fields", ["一\tone", "二\ttwo\textra"], {}, "found 3", 2, None),
    ("empty-field", ["zh\ten", "一\tone", "\ttwo"], dict(source_col="zh", reference_col="en"), "empty field", 3, "zh"),
    ("duplicate-id", ["k\tzh\ten", "x\t一\tone", "y\t二\ttwo", "x\t三\tthree"], dict(id_col="k", source_col="zh", reference_col="en"), "duplicate k 'x' (lines 2 and 4)", 4, "k"),
    ("unknown-column", ["zh\ten", "一\tone"], dict(source_col="zh", reference_col="eng"), "did you mean 'en'", 1, None),
    ("index-out-of-range", ["一\tone"], dict(reference_col=2), "out of range", None, None),
    ("header-only", ["zh\ten"], dict(source_col="zh", reference_col="en"), "no data rows", None, None),
]


@pytest.mark.parametrize("lines, kwargs, expected, line, field", [c[1:] for c in BAD_TSV], ids=[c[0] for c in BAD_TSV])
def test_load_tsv_rejects(tmp_path, lines, kwargs, expected, line, field):
    path = write_lines(tmp_path / "d.tsv", lines)
    error = raises_input_error(load_tsv, path, **kwargs)
    assert expected in str(error)
    assert (error.line, error.field) == (line, field)


def test_load_tsv_column_name_without_header_is_usage_error(tmp_path):
    path = write_lines(tmp_path / "d.tsv", ["一\tone"])
    with pytest.raises(UsageError, match="has_header=False"):
        load_tsv(path, source_col="zh", has_header=False)


# --- Hugging Face datasets (local files only) ---------------------------------------------

FLORES_ZH = {1: "你好，世界。", 2: "今天天气很好。", 3: "我们明天见。"}
FLORES_EN = {1: "Hello, world.", 2: "The weather is nice today.", 3: "See you tomorrow."}


@pytest.fixture
def flores_dir(tmp_path) -> Path:
    """A FLORES+-shaped dataset: one parquet file per split and language config."""
    root = tmp_path / "flores_plus"
    configs = {"cmn_Hans": FLORES_ZH, "eng_Latn": FLORES_EN}
    yaml = ["---", "configs:"]
    for config, texts in configs.items():
        yaml += [f"- config_name: {config}", "  data_files:"]
        lang, script = config.split("_")
        for split in ("dev", "devtest"):
            (root / split).mkdir(parents=True, exist_ok=True)
            ids = sorted(texts, reverse=config == "eng_Latn")  # different row order per config
            frame = pd.DataFrame(
                {"id": ids, "iso_639_3": lang, "iso_15924": script, "text": [texts[i] for i in ids], "url": "https://example.org"}
            )
            frame.to_parquet(root / split / f"{config}.parquet")
            yaml += [f"  - split: {split}", f"    path: {split}/{config}.parquet"]
    (root / "README.md").write_text("\n".join(yaml + ["---", ""]), encoding="utf-8")
    return root


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "hf-cache"


def test_load_flores_plus_from_local_copy(flores_dir, cache):
    segments = load_flores_plus(path=flores_dir, cache_dir=cache)
    assert [(s.source, s.reference) for s in segments] == [(FLORES_ZH[i], FLORES_EN[i]) for i in (1, 2, 3)]
    assert [s.seg_id for s in segments] == [f"flores_plus-cmn_Hans-eng_Latn-devtest:{i}" for i in (1, 2, 3)]
    assert {(s.src_lang, s.tgt_lang, s.script) for s in segments} == {("zh", "en", "zh-Hans")}
    reverse = load_flores_plus("eng_Latn", "cmn_Hans", split="dev", path=flores_dir, cache_dir=cache)
    assert reverse[0].source == FLORES_EN[3] and reverse[0].reference == FLORES_ZH[3]
    assert {(s.src_lang, s.script) for s in reverse} == {("en", "Latn")}


def test_paired_configs_must_pair_up(tmp_path, cache):
    root = tmp_path / "ds"
    (root / "devtest").mkdir(parents=True)
    pd.DataFrame({"id": [1, 2, 3], "text": ["一。", "二。", "三。"]}).to_parquet(root / "devtest" / "zh.parquet")
    pd.DataFrame({"id": [1, 2, 4], "text": ["One.", "Two.", "Four."]}).to_parquet(root / "devtest" / "en.parquet")
    yaml = "---\nconfigs:\n" + "".join(
        f"- config_name: {c}\n  data_files:\n  - split: devtest\n    path: devtest/{c}.parquet\n" for c in ("zh", "en")
    )
    (root / "README.md").write_text(yaml + "---\n", encoding="utf-8")
    error = raises_input_error(load_paired_configs, root, "zh", "en", cache_dir=cache)
    assert "1 id(s) only in zh (3), 1 only in en (4)" in str(error)


def test_flores_unknown_config_and_split(flores_dir, cache):
    error = raises_input_error(load_flores_plus, "cmn_Hant", path=flores_dir, cache_dir=cache)
    assert "cmn_Hant" in str(error) and "cmn_Hans" in str(error)
    error = raises_input_error(load_flores_plus, split="test", path=flores_dir, cache_dir=cache)
    assert "Unknown split" in str(error) and "devtest" in str(error)
    with pytest.raises(UsageError, match="did you mean 'cmn_Hans'"):
        load_flores_plus("cmn_Hns", path=flores_dir, cache_dir=cache)


def test_hub_id_not_cached_offline_is_one_clear_error(cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for call in (
        lambda: load_flores_plus(cache_dir=cache),
        lambda: load_hf_dataset("mteval-tests/not-a-cached-dataset", cache_dir=cache),
    ):
        error = raises_input_error(call)
        assert "is not available offline" in str(error)
        assert "hf download" in str(error)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_load_hf_dataset_local_data_files(tmp_path, cache, suffix):
    frame = pd.DataFrame({"sid": ["s1", "s2"], "zh": ["你好。", "再见。"], "en": ["Hello.", "Goodbye."]})
    path = tmp_path / f"pairs{suffix}"
    if suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    segments = load_hf_dataset(path, source_field="zh", reference_field="en", id_field="sid", cache_dir=cache)
    assert [(s.seg_id, s.source, s.reference) for s in segments] == [("s1", "你好。", "Hello."), ("s2", "再见。", "Goodbye.")]
    assert segments[0].corpus == "pairs-devtest" and segments[0].script == "zh-Hans"
    without_ids = load_hf_dataset(path, split="test", source_field="zh", reference_field="en", cache_dir=cache)
    assert [s.seg_id for s in without_ids] == ["pairs-test:1", "pairs-test:2"]


def test_load_hf_dataset_bad_rows(tmp_path, cache):
    path = tmp_path / "rows.parquet"
    pd.DataFrame({"zh": ["你好。", None], "en": ["Hello.", "Bye."]}).to_parquet(path)
    error = raises_input_error(load_hf_dataset, path, source_field="zh", reference_field="en", cache_dir=cache)
    assert "row 2" in str(error) and error.field == "zh"
    error = raises_input_error(load_hf_dataset, path, source_field="zh", reference_field="eng", cache_dir=cache)
    assert error.field == "eng" and "did you mean 'en'" in str(error)
    dup = tmp_path / "dup.parquet"
    pd.DataFrame({"id": [7, 7], "zh": ["一。", "二。"]}).to_parquet(dup)
    error = raises_input_error(load_hf_dataset, dup, source_field="zh", reference_field=None, id_field="id", cache_dir=cache)
    assert "duplicate id '7' (rows 1 and 2)" in str(error)


def test_load_hf_dataset_unreadable_file(tmp_path, cache):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"zh": "一"}\n{"zh": \n', encoding="utf-8")
    error = raises_input_error(load_hf_dataset, path, source_field="zh", reference_field=None, cache_dir=cache)
    assert "cannot load dataset" in str(error)
    assert "file not found" in str(raises_input_error(load_hf_dataset, tmp_path / "missing.parquet", cache_dir=cache))


# --- dispatch ---------------------------------------------------------------------------------


def test_load_segments_dispatch(tmp_path, flores_dir, cache):
    corpus = write_lines(tmp_path / "c.jsonl", [jsonl_line(seg(1).to_json())])
    assert load_segments(corpus) == [seg(1)]
    src, ref = write_lines(tmp_path / "s.txt", ZH), write_lines(tmp_path / "r.txt", EN)
    assert load_segments(f"{src}:{ref}") == load_text_pair(src, ref)
    assert load_segments(src) == load_text_pair(src)
    tsv = write_lines(tmp_path / "d.tsv", [f"{z}\t{e}" for z, e in zip(ZH, EN)])
    assert load_segments(tsv) == load_tsv(tsv)
    parquet = tmp_path / "p.parquet"
    pd.DataFrame({"source": ["你好。"], "reference": ["Hello."]}).to_parquet(parquet)
    assert load_segments(parquet, cache_dir=cache)[0].reference == "Hello."
    assert load_segments(f"hf:{parquet}", cache_dir=cache)[0].source == "你好。"
    via_hf = load_segments(f"hf:{flores_dir}:cmn_Hans", source_field="text", reference_field=None, cache_dir=cache)
    assert [s.source for s in via_hf] == [FLORES_ZH[i] for i in (1, 2, 3)]
    flores = load_segments("flores:cmn_Hans-eng_Latn:dev", path=flores_dir, cache_dir=cache)
    assert flores == load_flores_plus(split="dev", path=flores_dir, cache_dir=cache)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("corpus.jsnl", "did you mean '.jsonl'"),
        ("hff:openlanguagedata/flores_plus", "did you mean 'hf:'"),
        ("flors:cmn_Hans-eng_Latn", "did you mean 'flores:'"),
        ("data.xlsx", "unknown format"),
        ("flores:cmn_Hans", "use flores:SRC-TGT"),
    ],
)
def test_load_segments_unknown_format(spec, expected):
    with pytest.raises(UsageError, match=expected):
        load_segments(spec)


def test_load_segments_directory_needs_hf_prefix(flores_dir):
    with pytest.raises(UsageError, match="hf:"):
        load_segments(flores_dir)


# --- corpus_hash -----------------------------------------------------------------------------


def test_corpus_hash_is_canonical_and_sensitive():
    segments = [seg(1), seg(2)]
    expected = hashlib.sha256(
        "".join(json.dumps(s.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n" for s in segments).encode()
    ).hexdigest()
    assert corpus_hash(segments) == expected
    assert corpus_hash(list(segments)) == corpus_hash(tuple(segments))
    assert corpus_hash(segments[::-1]) != expected
    assert corpus_hash([seg(1), seg(2, reference="Sentence 2!")]) != expected
    assert corpus_hash([]) == hashlib.sha256(b"").hexdigest()
