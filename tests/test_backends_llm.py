"""``llm:`` and the shared prompting: prompts, context scheduling, clean-up, a tiny chat model end to end."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.corpora.model import Segment
from evals.errors import InputError, Unavailable, UsageError
from evals.systems import TranslationContext, build_system
from evals.systems import prompting
from evals.systems.prompting import build_messages, clean_output, plan_waves, translate_segments
from tests.llm_helpers import corpus_segments, mteval, query, translations, write_corpora, write_suite
from tests.llm_helpers import tiny_chat_model, tiny_models  # noqa: F401  (pytest fixtures)


def seg(seg_id: str, source: str = "你好。", doc_id: str = "d1", script: str = "zh-Hans", **extra) -> Segment:
    fields = dict(corpus="c", doc_id=doc_id, seg_id=seg_id, para=0, source=source, reference=None,
                  src_lang="zh", tgt_lang="en", script=script)
    fields.update(extra)
    return Segment(**fields)


# --- prompts ---------------------------------------------------------------------------------


def test_prompt_names_the_source_script_and_target_language():
    hans = build_messages(seg("a", "美国总统"))[-1]["content"]
    hant = build_messages(seg("a", "美國總統", script="zh-Hant"))[-1]["content"]
    assert "Simplified Chinese text into English" in hans and hans.endswith("\n\n美国总统")
    assert "Traditional Chinese text into English" in hant and hant.endswith("\n\n美國總統")
    assert "translation only" in hans
    english = build_messages(seg("a", "Hello.", src_lang="en", tgt_lang="zh", script="Latn"))[-1]["content"]
    assert "English text into Chinese" in english


def test_system_prompt_default_custom_and_none():
    assert build_messages(seg("a"))[0] == {"role": "system", "content": prompting.DEFAULT_SYSTEM_PROMPT}
    assert build_messages(seg("a"), "Be terse.")[0] == {"role": "system", "content": "Be terse."}
    assert [m["role"] for m in build_messages(seg("a"), "")] == ["user"]


def test_context_is_given_as_earlier_chat_turns():
    a, b, c = seg("a", "一。"), seg("b", "二。"), seg("c", "三。")
    messages = build_messages(c, None, [(a, "One."), (b, "Two.")])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[1]["content"].endswith("一。") and messages[2]["content"] == "One."
    assert messages[4]["content"] == "Two." and messages[5]["content"].endswith("三。")


def test_prompt_params_change_with_the_prompt():
    base = prompting.prompt_params(None, 0)
    assert base["user_template"] == prompting.USER_TEMPLATE
    assert prompting.prompt_params("Other.", 0)["prompt_sha256"] != base["prompt_sha256"]
    assert prompting.prompt_params(None, 2)["prompt_sha256"] != base["prompt_sha256"]
    assert prompting.prompt_params(None, 0) == base


# --- context scheduling ----------------------------------------------------------------------


def two_documents():
    a = [seg(f"a{i}", f"甲{i}。", doc_id="A") for i in range(4)]
    b = [seg(f"b{i}", f"乙{i}。", doc_id="B") for i in range(2)]
    return a, b, TranslationContext(a + b)


def ids(waves):
    return [[s.seg_id for s in wave] for wave in waves]


def test_waves_translate_documents_in_order_and_in_parallel():
    a, b, context = two_documents()
    assert ids(plan_waves(a + b, context, 1, {})) == [["a0", "b0"], ["a1", "b1"], ["a2"], ["a3"]]
    assert ids(plan_waves(a + b, context, 0, {})) == [["a0", "a1", "a2", "a3", "b0", "b1"]]


def test_waves_fill_context_gaps_first():
    a, b, context = two_documents()
    # a3 needs a1 and a2, which need a0: all translated first, in order.
    assert ids(plan_waves([a[3]], context, 2, {})) == [["a0"], ["a1"], ["a2"], ["a3"]]
    known = {("c", "a1"): "x", ("c", "a2"): "y"}
    assert ids(plan_waves([a[3]], context, 2, known)) == [["a3"]]


def test_translate_segments_feeds_own_translations_back():
    a, b, context = two_documents()
    seen: list[list[dict]] = []

    def complete(conversations):
        seen.extend(conversations)
        return [f"EN({c[-1]['content'].rsplit(chr(10), 1)[-1]})" for c in conversations]

    memory: dict = {}
    out = translate_segments(a[2:], context, n=1, system_prompt=None, memory=memory, complete=complete)
    assert out == ["EN(甲2。)", "EN(甲3。)"]
    assert len(seen) == 4  # a0 and a1 translated first for context
    last = seen[-1]
    assert last[-2] == {"role": "assistant", "content": "EN(甲2。)"} and last[-1]["content"].endswith("甲3。")
    assert set(memory) == {("c", f"a{i}") for i in range(4)}


def test_context_option_is_checked():
    with pytest.raises(UsageError, match="context"):
        prompting.check_context_option(-1)
    with pytest.raises(UsageError, match="context"):
        prompting.check_context_option(True)


# --- clean-up --------------------------------------------------------------------------------


@pytest.mark.parametrize("reply, source, expected", [
    ("Here is the translation:\n\nHello world.", "你好世界。", "Hello world."),
    ("Sure! Here's the English translation:\n“Hello, world.”", "你好，世界。", "Hello, world."),
    ('Translation: "Hello."', "你好。", "Hello."),
    ("**Translation:** Hello.", "你好。", "Hello."),
    ("English: Hello.", "你好。", "Hello."),
    ("The translation is: Hello.", "你好。", "Hello."),
    ("```\nHello world.\n```", "你好世界。", "Hello world."),
    ("Here you go:\n```text\nHello world.\n```\nLet me know!", "你好世界。", "Hello world."),
    ("<think>which tense?</think>\nHello.", "你好。", "Hello."),
    ("The president\nsaid on Monday.\n\nNote: 周一 means Monday.", "总统周一说。", "The president said on Monday."),
    ("你好世界。\nHello world.", "你好世界。", "Hello world."),
    ("Chinese: 你好世界。\nEnglish: Hello world.", "你好世界。", "Hello world."),
    ("原文：你好世界。\n译文：Hello world.", "你好世界。", "Hello world."),
    ("你好世界。", "你好世界。", "你好世界。"),  # only the source: kept, the flags will see it
    ("  Hello world.  ", "你好世界。", "Hello world."),
    # Kept: quotes the source has, quotes that are not a single pair, ordinary colons and notes.
    ("“We will win,” he said.", "“我们会赢，”他说。", "“We will win,” he said."),
    ("“We will win.”", "“我们会赢。”", "“We will win.”"),
    ('"Hello," he said, "bye."', "他说你好再见。", '"Hello," he said, "bye."'),
    ("Here are the results: 50 people died.", "结果：50人死亡。", "Here are the results: 50 people died."),
    ("Note that he left.", "注意他走了。", "Note that he left."),
    ("Translation:", "你好。", ""),
])
def test_clean_output_rules(reply, source, expected):
    assert clean_output(reply, source) == expected


# Replies built from the pieces the clean-up rules look for, so the property tests reach them.
PIECES = list("ab :：\"“”'「」`*\n\r\t\u2028\x85<>/") + [
    "```", "Translation:", "Note:", "(Note", "<think>", "</think>", "Here is the translation:", "English",
    "你好", "Sure! ", "**",
]
text_with_noise = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), text_with_noise), st.one_of(st.just(""), st.text(max_size=20), text_with_noise))
def test_clean_output_is_one_line_and_idempotent(reply, source):
    cleaned = clean_output(reply, source)
    assert len(cleaned.splitlines()) <= 1
    assert cleaned == cleaned.strip()
    assert clean_output(cleaned, source) == cleaned


@given(st.lists(st.text(alphabet="abcdefghij,.;!?0123456789", min_size=1, max_size=8), min_size=1, max_size=8))
def test_clean_output_leaves_plain_one_line_text_alone(words):
    text = " ".join(words)
    assert clean_output(text, "你好。") == text


# --- the backend on a tiny chat model ------------------------------------------------------


@pytest.fixture(scope="module")
def hans_segments(tmp_path_factory):
    return corpus_segments(write_corpora(tmp_path_factory.mktemp("llm-corpora"), per_doc=3, traditional=2))


def test_build_resolves_without_loading(tiny_chat_model):
    system = build_system(f"llm:{tiny_chat_model}", max_new_tokens=8)
    info = system.describe()
    assert system._loaded is None  # weights load on first translate
    assert info.backend == "llm" and info.revision.startswith("sha256:")
    assert info.params["max_new_tokens"] == 8 and info.params["do_sample"] is False
    assert info.params["dtype"] == "fp32" and info.params["context"] == 0
    assert info.params["user_template"] == prompting.USER_TEMPLATE
    assert info.params["system_prompt"] == prompting.DEFAULT_SYSTEM_PROMPT
    assert info.params["prompt_sha256"] and info.params["cleanup_version"] == prompting.CLEANUP_VERSION


def test_cache_key_follows_output_settings_only(tiny_chat_model):
    def key(**options):
        return build_system(f"llm:{tiny_chat_model}", **options).describe().cache_key()

    base = key()
    for changed in ({"system_prompt": "Translate."}, {"max_new_tokens": 9}, {"context": 1}, {"dtype": "bf16"}):
        assert key(**changed) != base, changed
    assert key(batch_size=1, device="cpu") == base


def test_translate_greedy_left_padded_and_batch_invariant(tiny_chat_model, hans_segments):
    one = build_system(f"llm:{tiny_chat_model}", max_new_tokens=8, batch_size=1)
    many = build_system(f"llm:{tiny_chat_model}", max_new_tokens=8, batch_size=4)
    first = one.translate(hans_segments)
    assert many.translate(hans_segments) == first
    assert many._loaded[0].padding_side == "left"
    assert all(isinstance(h, str) and "\n" not in h for h in first)
    assert any(h for h in first)
    assert one.translate(hans_segments[:2]) == first[:2]  # deterministic


def test_context_translations_do_not_depend_on_what_was_cached(tiny_chat_model, hans_segments):
    context = TranslationContext(hans_segments)
    doc = [s for s in hans_segments if (s.corpus, s.doc_id) == (hans_segments[0].corpus, hans_segments[0].doc_id)]
    whole = build_system(f"llm:{tiny_chat_model}", max_new_tokens=8, context=1)
    in_order = whole.translate(doc, context)
    # A fresh system asked only for the last segment (the others "cached") translates its context first.
    fresh = build_system(f"llm:{tiny_chat_model}", max_new_tokens=8, context=1)
    assert fresh.translate(doc[-1:], context) == in_order[-1:]
    assert fresh.max_batch_size is None and whole.describe().params["context"] == 1


def test_template_without_system_role_is_a_clear_error(tiny_chat_model, tmp_path, hans_segments):
    model = shutil.copytree(tiny_chat_model, tmp_path / "nosystem")
    (model / "chat_template.jinja").write_text(
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}{{ m['content'] }}{% endfor %}", encoding="utf-8")
    system = build_system(f"llm:{model}", max_new_tokens=4)
    with pytest.raises(InputError, match="System role not supported.*system_prompt"):
        system.translate(hans_segments[:1])
    assert build_system(f"llm:{model}", max_new_tokens=4, system_prompt="").translate(hans_segments[:1])


def test_model_without_chat_template_is_refused(tiny_chat_model, tmp_path):
    model = shutil.copytree(tiny_chat_model, tmp_path / "base")
    (model / "chat_template.jinja").unlink()
    config = json.loads((model / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.pop("chat_template", None)
    (model / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(InputError, match="no chat template"):
        build_system(f"llm:{model}")


def test_bad_options(tiny_chat_model):
    for options, field in (({"dtype": "float64"}, "dtype"), ({"batch_size": 0}, "batch_size"),
                           ({"device": "gpu"}, "device"), ({"context": "2"}, "context"),
                           ({"max_new_tokens": 1.5}, "max_new_tokens")):
        with pytest.raises(UsageError) as caught:
            build_system(f"llm:{tiny_chat_model}", **options)
        assert caught.value.field == field
    with pytest.raises(UsageError, match="no option 'temperature'"):
        build_system(f"llm:{tiny_chat_model}", temperature=0.5)


def test_hub_ids_resolve_from_the_local_cache(tiny_chat_model, tmp_path, monkeypatch):
    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--tiny-org--tiny-chat"
    shutil.copytree(tiny_chat_model, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    info = build_system("llm:tiny-org/tiny-chat").describe()
    assert info.revision == commit and info.params["model"] == "tiny-org/tiny-chat"
    with pytest.raises(Unavailable) as caught:
        build_system("llm:tiny-org/not-fetched")
    message = str(caught.value)
    assert "tiny-org/not-fetched" in message and "mteval models fetch SUITE" in message and "\n" not in message


def test_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        build_system(f"llm:{tmp_path / 'nope' / 'model'}")


# --- end to end ------------------------------------------------------------------------------


def test_mteval_run_end_to_end(tiny_chat_model, tmp_path):
    corpora = write_corpora(tmp_path / "corpora", per_doc=2, traditional=2)
    suite = write_suite(tmp_path / "llm.yaml", corpora, [
        {"spec": f"llm:{tiny_chat_model}", "name": "llm-plain", "options": {"max_new_tokens": 8, "batch_size": 4}},
        {"spec": f"llm:{tiny_chat_model}", "name": "llm-context", "options": {"max_new_tokens": 8, "context": 1}},
    ])
    db = tmp_path / "results.db"
    first = mteval("run", str(suite), "--format", "json", db=db)
    assert first.returncode == 0, first.stderr
    rows = translations(db)
    n = len(corpus_segments(corpora))
    assert sorted(row[0] for row in rows) == ["llm-context"] * n + ["llm-plain"] * n
    assert all("\n" not in row[-1] for row in rows)
    board = json.loads(first.stdout)
    assert {r["system"] for r in board} == {"llm-plain", "llm-context"}
    systems = {name: (revision, json.loads(params)) for name, revision, params in
               query(db, "SELECT name, revision, params_json FROM systems")}
    for name, context in (("llm-plain", 0), ("llm-context", 1)):
        revision, params = systems[name]
        assert revision.startswith("sha256:")
        assert params["context"] == context and params["max_new_tokens"] == 8
        assert params["prompt_sha256"] == prompting.prompt_params(None, context)["prompt_sha256"]
    # Everything is cached now: the re-run loads no model and translates nothing.
    again = mteval("run", str(suite), "--format", "json", db=db)
    assert again.returncode == 0, again.stderr
    assert f"translated 0 segments ({2 * n} cached)" in again.stderr


def test_mteval_run_offline_missing_model_is_one_line(tmp_path):
    corpora = write_corpora(tmp_path / "corpora", per_doc=1, traditional=0)
    suite = write_suite(tmp_path / "missing.yaml", corpora, ["llm:tiny-org/never-fetched"])
    env = dict(__import__("os").environ, HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(tmp_path / "empty-cache"))
    done = mteval("run", str(suite), db=tmp_path / "results.db", env=env)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "mteval models fetch SUITE" in lines[0] and "Traceback" not in done.stderr
