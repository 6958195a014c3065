"""Systems: registry and spec grammar, the System contract, copy, gloss, file."""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError
from evals.metrics.flags import has_untranslated_span, is_untranslated
from evals.systems import (
    Registry,
    SystemInfo,
    TranslationContext,
    available_backends,
    build_system,
    check_outputs,
    default_registry,
    parse_spec,
)
from evals.systems.copy import CopySystem
from evals.systems.gloss import GlossSystem
from evals.zh.dictionary import clean_definition
from evals.zh.numerals import parse_numeral as parse_chinese_numeral

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_116abdeea9f99068.txt"


def seg(seg_id: str, source: str = "你好。", corpus: str = "c1", doc_id: str = "d1", **extra) -> Segment:
    fields = dict(
        corpus=corpus,
        doc_id=doc_id,
        seg_id=seg_id,
        para=0,
        source=source,
        reference=None,
        src_lang="zh",
        tgt_lang="en",
        script="zh-Hans",
    )
    fields.update(extra)
    return Segment(**fields)


def seed_halves() -> tuple[list[str], list[str]]:
    """Seed 000: Chinese paragraphs are lines 1–38, English lines 40–77."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    return lines[0:38], lines[39:77]


@pytest.fixture(scope="module")
def gloss() -> GlossSystem:
    system = build_system("gloss")
    assert isinstance(system, GlossSystem)
    return system


# --- registry ----------------------------------------------------------------------


def test_unknown_backend_suggests_close_name():
    with pytest.raises(UsageError) as caught:
        build_system("glos")
    assert "unknown system backend 'glos'" in str(caught.value)
    assert "did you mean 'gloss'?" in str(caught.value)


def test_unknown_backend_without_close_name_lists_backends():
    with pytest.raises(InputError, match="available: cmd, copy, ct2, file, gloss, hf, llm, openai"):
        build_system("zzzzzz")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("file", "needs an argument"),
        ("file:", "needs an argument"),
        ("gloss:extra", "takes no argument"),
        ("", "empty system spec"),
        ("   ", "empty system spec"),
    ],
)
def test_spec_argument_errors(spec, message):
    with pytest.raises(UsageError, match=message):
        build_system(spec)


def test_parse_spec_splits_at_first_colon_only():
    assert parse_spec("gloss") == ("gloss", None)
    assert parse_spec("file:C:/runs/a@b:c.jsonl") == ("file", "C:/runs/a@b:c.jsonl")
    assert parse_spec(" copy ") == ("copy", None)


def test_unknown_option_is_a_usage_error_with_hint():
    with pytest.raises(UsageError, match="did you mean 'name'"):
        build_system("gloss", nme="x")


def test_display_name_defaults_to_spec_and_is_overridable():
    assert build_system("copy").name == "copy"
    system = build_system("copy", name="echo")
    assert (system.spec, system.name) == ("copy", "echo")
    assert system.describe().name == "echo"


def test_available_backends_for_help():
    listed = dict(available_backends())
    assert set(listed) == {"gloss", "copy", "file:PATH", "hf:MODEL_OR_PATH[@REV]", "ct2:PATH",
                           "llm:MODEL_OR_PATH", "openai:URL#MODEL", "cmd:COMMAND", "xml:FILE#SYSTEM", "reference:K"}
    assert all(description for description in listed.values())


def test_backend_table_matches_what_the_modules_register():
    """``BACKENDS`` lets suites check names without importing backends; it must not drift."""
    from evals.systems.registry import BACKENDS, backend_names

    assert backend_names() == default_registry().names()
    for name, module in BACKENDS.items():
        registry = Registry()
        importlib.import_module(module).register(registry)
        assert name in registry.names()


def test_building_one_backend_imports_no_other(tmp_path):
    code = ("import sys; from evals.systems.registry import build_system; build_system('copy'); "
            "print(sorted(m for m in sys.modules if m.startswith('evals.systems.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(eval(out.stdout))
    assert "evals.systems.copy" in loaded
    assert not loaded & {"evals.systems.hf", "evals.systems.llm", "evals.systems.openai", "evals.systems.cmd"}


def test_lazy_factory_is_not_imported_until_built():
    registry = Registry()
    registry.register("ghost", "no_such_module_for_mteval_tests:Factory", description="lazy", arg="optional")
    assert registry.available() == [("ghost[:ARG]", "lazy")]
    with pytest.raises(ModuleNotFoundError):
        registry.build("ghost")


def test_registry_rejects_programming_errors():
    registry = Registry()
    registry.register("copy", CopySystem, description="x")
    with pytest.raises(ValueError, match="already registered"):
        registry.register("copy", CopySystem, description="x")
    with pytest.raises(ValueError, match="must match"):
        registry.register("Bad Name", CopySystem, description="x")
    with pytest.raises(ValueError, match="module:attribute"):
        registry.register("lazy", "just_a_module", description="x")


def test_building_gloss_imports_no_heavy_packages():
    """Build (not run) gloss in a fresh interpreter: no torch, and not even jieba."""
    code = (
        "import sys\n"
        "from evals.systems import build_system\n"
        "build_system('gloss'); build_system('copy'); build_system('gloss').describe()\n"
        "heavy = [m for m in ('torch', 'transformers', 'comet', 'ctranslate2', 'jieba', 'langid') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""


# --- the System contract -------------------------------------------------------------


def test_check_outputs_rejects_wrong_count_and_types():
    system = CopySystem()
    segments = [seg("s1"), seg("s2")]
    assert check_outputs(system, segments, ("a", "b")) == ["a", "b"]
    with pytest.raises(InputError, match="returned 1 hypotheses for 2 segments"):
        check_outputs(system, segments, ["a"])
    with pytest.raises(InputError, match="returned NoneType for segment 's2' \\(position 1\\)"):
        check_outputs(system, segments, ["a", None])
    with pytest.raises(InputError, match="expected a list of strings"):
        check_outputs(system, segments, "ab")


def test_system_info_cache_key_ignores_display_name_and_spec():
    one = SystemInfo("file:a.jsonl", "A", "file", "0.1.0", "abc", {"format": "jsonl"})
    two = SystemInfo("file:b.jsonl", "B", "file", "0.1.0", "abc", {"format": "jsonl"})
    three = SystemInfo("file:a.jsonl", "A", "file", "0.1.0", "abd", {"format": "jsonl"})
    assert one.cache_key() == two.cache_key() != three.cache_key()
    assert hash(one) == hash(SystemInfo("file:a.jsonl", "A", "file", "0.1.0", "abc", {}))
    with pytest.raises(AttributeError):
        one.revision = "x"  # type: ignore[misc]
    assert json.loads(json.dumps(one.to_json()))["params"] == {"format": "jsonl"}


def test_translation_context_gives_previous_segments_of_the_document():
    segments = [seg("a1", doc_id="A"), seg("b1", doc_id="B"), seg("a2", doc_id="A"), seg("a3", doc_id="A")]
    context = TranslationContext(segments)
    a3 = segments[3]
    assert [s.seg_id for s in context.previous(a3)] == ["a1", "a2"]
    assert [s.seg_id for s in context.previous(a3, n=1)] == ["a2"]
    assert context.previous(segments[0]) == ()
    assert [s.seg_id for s in context.document(segments[1])] == ["b1"]
    assert a3 in context and seg("zz") not in context
    with pytest.raises(InputError, match="not in the translation context"):
        context.previous(seg("zz"))
    with pytest.raises(InputError, match="occurs twice"):
        TranslationContext([seg("a1"), seg("a1")])


# --- copy ----------------------------------------------------------------------------


def test_copy_returns_sources_unchanged():
    segments = [seg("s1", "美国总统说：“好。”"), seg("s2", "  spaced  ")]
    system = build_system("copy")
    assert system.translate(segments) == ["美国总统说：“好。”", "  spaced  "]
    assert system.translate([]) == []
    info = system.describe()
    assert (info.backend, info.spec) == ("copy", "copy")


# --- gloss ---------------------------------------------------------------------------


def test_gloss_names_and_latin_passthrough(gloss):
    out = gloss.translate_text("美国总统唐纳德·特朗普（Donald Trump）周一与普京通话。")
    assert out.startswith("United States president Donald Trump (Donald Trump) Monday")
    assert "Putin" in out and out.endswith(".")
    assert gloss.translate_text("乌克兰") == "Ukraine"
    assert gloss.translate_text("特朗普") == "Trump"
    assert gloss.translate_text("副总统JD Vance表示") == "Secondary president JD Vance said"
    assert "Zeliansiji" in gloss.translate_text("他与泽连斯基进行了交谈")  # unknown name: romanised


@pytest.mark.parametrize(
    "source, expected",
    [
        ("2,000名士兵", "2,000 soldiers"),
        ("为期30天的停火", "30 days"),
        ("长达三年的入侵", "three years"),
        ("112架无人机", "112 drones"),
        ("2024年竞选", "2024 run for office"),
        ("二〇二四年", "2024"),
        ("三十", "30"),
        ("两个小时", "Two hours"),
        ("3万人", "30,000 people"),
        ("5月19日", "May 19"),
        ("百分之五十", "50%"),
        ("第三次会议", "Third meeting"),
        ("一名记者", "A reporter"),
    ],
)
def test_gloss_numbers(gloss, source, expected):
    assert expected in gloss.translate_text(source)


def test_gloss_punctuation_spacing_and_capitalisation(gloss):
    out = gloss.translate_text("他说：“我们同意。”《纽约时报》报道；美国、俄罗斯和乌克兰（见下）！")
    assert out == 'He said: "We agree." "New York Times" report; United States, Russia and Ukraine (see under)!'
    assert gloss.translate_text("他说——好……") == "He said -- good..."


def test_gloss_drops_particles_and_keeps_unknown_characters(gloss):
    out = gloss.translate_text("他们进行了谈判的")
    assert "marker" not in out and "particle" not in out and "of" not in out.split()
    assert gloss.translate_text("𠀾").endswith("𠀾")  # not in CC-CEDICT: kept, to be flagged


def test_gloss_traditional_input_gives_same_english(gloss):
    import opencc

    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    simplified, _ = seed_halves()
    checked = 0
    for text in simplified[:12] + ["美国总统说，乌克兰将很快达成协议。"]:
        traditional = s2t.convert(text)
        assert traditional != text and t2s.convert(traditional) == text  # a faithful round trip
        as_hant = [seg("t", traditional, script="zh-Hant")]
        assert gloss.translate(as_hant) == [gloss.translate_text(text)]
        checked += 1
    assert checked == 13


def test_gloss_is_deterministic_and_batch_invariant(gloss):
    simplified, _ = seed_halves()
    segments = [seg(f"s{i}", text) for i, text in enumerate(simplified[:8])]
    together = gloss.translate(segments)
    one_by_one = [gloss.translate([segment])[0] for segment in reversed(segments)][::-1]
    assert together == one_by_one == gloss.translate(segments)


def test_gloss_beats_copy_on_chrf(gloss):
    from sacrebleu import corpus_chrf

    chinese, english = seed_halves()
    segments = [seg(f"p{i}", text) for i, text in enumerate(chinese)]
    glossed = gloss.translate(segments)
    copied = build_system("copy").translate(segments)
    gloss_chrf = corpus_chrf(glossed, [english]).score
    copy_chrf = corpus_chrf(copied, [english]).score
    assert copy_chrf < 5
    assert gloss_chrf > 35
    assert gloss_chrf > copy_chrf + 30


def test_gloss_output_is_not_flagged_untranslated_but_copy_is(gloss):
    """The langid side (gloss word salad still reads as English) is in test_flags."""
    chinese, _ = seed_halves()
    glossed = gloss.translate([seg(f"p{i}", text) for i, text in enumerate(chinese)])
    for source, hypothesis in zip(chinese, glossed):
        assert not is_untranslated(source, hypothesis, "zh")
        assert not has_untranslated_span(source, hypothesis, "en")
        assert is_untranslated(source, source, "zh")


def test_gloss_refuses_other_directions(gloss):
    assert gloss.language_pairs == {("zh", "en")}
    assert build_system("copy").language_pairs is None
    with pytest.raises(UsageError, match="zh→en only"):
        gloss.translate([seg("e1", "Hello.", src_lang="en", tgt_lang="zh", script="Latn")])


def test_gloss_describe_pins_dictionary_and_jieba(gloss):
    from evals.zh.dictionary import cedict_data_path

    info = gloss.describe()
    digest = hashlib.sha256(cedict_data_path().read_bytes()).hexdigest()
    assert info.backend == "gloss"
    assert info.revision == f"cedict-sha256:{digest} jieba:0.42.1"
    assert info.params["rules"]
    assert info.cache_key() == GlossSystem(name="other").describe().cache_key()


def test_clean_definition_rules():
    assert clean_definition("surname Wang") is None
    assert clean_definition("variant of 說|说[shuo1]") is None
    assert clean_definition("CL:個|个[ge4]") is None
    assert clean_definition("used in 自個兒|自个儿[zi4 ge3 r5]") is None
    assert clean_definition("(bound form) to demand") is None
    assert clean_definition("abbr. for 日本[Ri4 ben3], Japan") == "Japan"
    assert clean_definition("NATO (North Atlantic Treaty Organization) (abbr. for 北约)") == "NATO"
    assert clean_definition("(of sb) to express") == "express"
    assert clean_definition("Kyiv or Kiev, capital of Ukraine") == "Kyiv"
    assert clean_definition("to tell sb sth") == "tell"


def test_parse_chinese_numeral():
    assert parse_chinese_numeral("三十") == 30
    assert parse_chinese_numeral("两") == 2
    assert parse_chinese_numeral("十五") == 15
    assert parse_chinese_numeral("一百一十二") == 112
    assert parse_chinese_numeral("一亿五千万") == 150_000_000
    assert parse_chinese_numeral("三千零五") == 3005
    assert parse_chinese_numeral("一一") is None
    assert parse_chinese_numeral("万斯") is None


# --- file ----------------------------------------------------------------------------


def write(tmp_path: Path, name: str, lines: list[object]) -> Path:
    path = tmp_path / name
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def test_file_jsonl_matches_by_seg_id_in_segment_order(tmp_path):
    path = write(
        tmp_path,
        "hyps.jsonl",
        [
            {"seg_id": "s2", "hypothesis": "two", "doc_id": "d1"},
            "",
            {"seg_id": "s1", "hypothesis": "one", "source": "ignored", "system": "x"},
        ],
    )
    system = build_system(f"file:{path}")
    assert system.max_batch_size is None
    assert system.translate([seg("s1"), seg("s2")]) == ["one", "two"]
    info = system.describe()
    assert info.revision == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.params == {"format": "jsonl"}


def test_file_text_is_line_aligned(tmp_path):
    path = tmp_path / "hyps.txt"
    path.write_bytes("first\r\n\nthird\u2028still third\n".encode("utf-8"))
    system = build_system(f"file:{path}")
    assert system.translate([seg("a"), seg("b"), seg("c")]) == ["first", "", "third\u2028still third"]
    with pytest.raises(InputError, match="file has 3 lines but there are 2 requested segments") as caught:
        system.translate([seg("a"), seg("b")])
    assert str(path) in str(caught.value)


def test_file_format_can_be_forced(tmp_path):
    path = write(tmp_path, "hyps.out", [{"seg_id": "s1", "hypothesis": "one"}])
    assert build_system(f"file:{path}", format="jsonl").translate([seg("s1")]) == ["one"]
    assert build_system(f"file:{path}").translate([seg("s1")]) == ['{"seg_id": "s1", "hypothesis": "one"}']
    with pytest.raises(UsageError, match="unknown file format 'json'"):
        build_system(f"file:{path}", format="json")


def test_file_missing_ids_are_named_with_count(tmp_path):
    path = write(tmp_path, "hyps.jsonl", [{"seg_id": "s0", "hypothesis": "x"}])
    segments = [seg(f"s{i}") for i in range(9)]
    with pytest.raises(InputError) as caught:
        build_system(f"file:{path}").translate(segments)
    message = str(caught.value)
    assert "8 missing ids: 's1', 's2', 's3', 's4', 's5' and 3 more" in message
    assert "extra" not in message


def test_file_extra_ids_name_lines(tmp_path):
    path = write(
        tmp_path,
        "hyps.jsonl",
        [{"seg_id": "s1", "hypothesis": "x"}, {"seg_id": "zz", "hypothesis": "y"}],
    )
    with pytest.raises(InputError) as caught:
        build_system(f"file:{path}").translate([seg("s1")])
    assert "1 extra id: 'zz' (line 2)" in str(caught.value)
    assert caught.value.line == 2


def test_file_duplicate_ids_name_all_lines(tmp_path):
    path = write(
        tmp_path,
        "hyps.jsonl",
        [
            {"seg_id": "s1", "hypothesis": "x"},
            {"seg_id": "s2", "hypothesis": "y"},
            {"seg_id": "s1", "hypothesis": "z"},
        ],
    )
    with pytest.raises(InputError) as caught:
        build_system(f"file:{path}")
    assert "duplicate id: 's1' (lines 1, 3)" in str(caught.value)
    assert f"{path}:3" in str(caught.value)


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"seg_id": "s1", "hypothesis": ', "malformed JSON"),
        ('["s1", "x"]', "expected a JSON object, got list"),
        ('{"seg_id": "s1"}', "[hypothesis]: missing required key"),
        ('{"seg_id": 3, "hypothesis": "x"}', "[seg_id]: must be a string, got int"),
        ('{"seg_id": "s1", "hypothesis": null}', "[hypothesis]: must be a string"),
        ('{"seg_id": "s1", "hyp": "x"}', "unknown key 'hyp' (did you mean 'hypothesis'?)"),
        ('{"seg_id": " ", "hypothesis": "x"}', "[seg_id]: must not be empty"),
    ],
)
def test_file_malformed_lines_name_file_and_line(tmp_path, line, message):
    path = write(tmp_path, "hyps.jsonl", [{"seg_id": "s0", "hypothesis": "ok"}, line])
    with pytest.raises(InputError) as caught:
        build_system(f"file:{path}")
    assert f"{path}:2" in str(caught.value)
    assert message in str(caught.value)


def test_file_not_found_and_bad_encoding(tmp_path):
    with pytest.raises(InputError, match="hypotheses file not found"):
        build_system(f"file:{tmp_path / 'nope.jsonl'}")
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(InputError, match="bad.txt:2: not valid UTF-8"):
        build_system(f"file:{path}")


def test_file_qualified_ids_serve_several_corpora(tmp_path):
    path = write(
        tmp_path,
        "hyps.jsonl",
        [
            {"corpus": "news", "seg_id": "s1", "hypothesis": "news one"},
            {"seg_id": "talks/s1", "hypothesis": "talks one"},
            {"corpus": "news", "seg_id": "s2", "hypothesis": "news two"},
        ],
    )
    system = build_system(f"file:{path}")
    assert system.translate([seg("s1", corpus="news"), seg("s2", corpus="news")]) == ["news one", "news two"]
    assert system.translate([seg("s1", corpus="talks")]) == ["talks one"]
    both = [seg("s1", corpus="talks"), seg("s2", corpus="news"), seg("s1", corpus="news")]
    assert system.translate(both) == ["talks one", "news two", "news one"]


def test_file_unqualified_id_shared_by_two_corpora_is_ambiguous(tmp_path):
    path = write(tmp_path, "hyps.jsonl", [{"seg_id": "s1", "hypothesis": "x"}])
    with pytest.raises(InputError, match="id 's1' is ambiguous: it occurs in corpora a, b") as caught:
        build_system(f"file:{path}").translate([seg("s1", corpus="a"), seg("s1", corpus="b")])
    assert "write the id as 'a/s1'" in str(caught.value)


def test_file_same_segment_twice_via_qualified_and_plain_id(tmp_path):
    path = write(
        tmp_path,
        "hyps.jsonl",
        [{"seg_id": "s1", "hypothesis": "x"}, {"seg_id": "c1/s1", "hypothesis": "y"}],
    )
    with pytest.raises(InputError, match=r"duplicate id: 's1' \(lines 1, 2\)"):
        build_system(f"file:{path}").translate([seg("s1")])


def test_file_seg_id_containing_slash_still_matches(tmp_path):
    path = write(tmp_path, "hyps.jsonl", [{"seg_id": "doc/3", "hypothesis": "x"}])
    assert build_system(f"file:{path}").translate([seg("doc/3")]) == ["x"]


def test_file_with_context_serves_subsets_and_several_corpora(tmp_path):
    """The runner passes a context of the whole run and asks only for what is not cached."""
    news = [seg(f"s{i}", corpus="news") for i in range(4)]
    talks = [seg(f"t{i}", corpus="talks", doc_id="d2") for i in range(2)]
    context = TranslationContext(news + talks)
    records = [{"seg_id": s.seg_id, "hypothesis": f"hyp {s.corpus} {s.seg_id}"} for s in news + talks]
    system = build_system(f"file:{write(tmp_path, 'hyps.jsonl', records)}")
    assert system.translate([news[2], news[0]], context) == ["hyp news s2", "hyp news s0"]
    assert system.translate(talks, context) == ["hyp talks t0", "hyp talks t1"]
    with pytest.raises(InputError, match="4 extra ids: 's0' \\(line 1\\), 's1' \\(line 2\\)"):
        system.translate(talks)  # without a context the other corpus's ids are unknown: extra
    stray = build_system(f"file:{write(tmp_path, 'stray.jsonl', records + [{'seg_id': 'zz', 'hypothesis': ''}])}")
    with pytest.raises(InputError, match="1 extra id: 'zz' \\(line 7\\)"):
        stray.translate(news, context)


def test_file_text_with_context_aligns_to_the_whole_corpus(tmp_path):
    corpus = [seg(f"s{i}") for i in range(3)]
    context = TranslationContext(corpus + [seg("x", corpus="other")])
    path = tmp_path / "hyps.txt"
    path.write_text("zero\none\ntwo\n", encoding="utf-8")
    system = build_system(f"file:{path}")
    assert system.translate([corpus[2], corpus[0]], context) == ["two", "zero"]
    short = tmp_path / "short.txt"
    short.write_text("zero\none\n", encoding="utf-8")
    with pytest.raises(InputError, match="file has 2 lines but there are 3 segments in corpus 'c1'"):
        build_system(f"file:{short}").translate([corpus[0]], context)


def test_file_doc_id_must_agree(tmp_path):
    path = write(tmp_path, "hyps.jsonl", [{"seg_id": "s1", "doc_id": "other", "hypothesis": "x"}])
    with pytest.raises(InputError, match="doc_id 'other' does not match segment 's1'"):
        build_system(f"file:{path}").translate([seg("s1")])


def test_file_records_for_other_corpora_are_hinted_when_nothing_matches(tmp_path):
    path = write(tmp_path, "hyps.jsonl", [{"corpus": "other", "seg_id": "s1", "hypothesis": "x"}])
    with pytest.raises(InputError, match="records for other corpora were skipped: other"):
        build_system(f"file:{path}").translate([seg("s1")])
