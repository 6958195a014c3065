"""A tiny random-weight instruction-style causal LM with a ChatML chat template.

What the ``llm:`` backend (and the test OpenAI-compatible server) need from a
model is the machinery of an instruction-tuned checkpoint such as
Qwen2.5-Instruct: ``AutoTokenizer.from_pretrained(dir).apply_chat_template``
with a Jinja template, special tokens that end a turn, left padding, and
``AutoModelForCausalLM.from_pretrained(dir).generate``. This builds exactly
those files, scaled down:

* the real ``Qwen2ForCausalLM`` class from a ``Qwen2Config`` (hidden 64,
  2 layers, 4 heads / 2 key-value heads), seeded random weights drawn with a
  larger std than the default so logits are peaked and greedy decoding does
  not hinge on floating-point ties;
* a ``LlamaTokenizerFast`` converted from the seeds' sentencepiece model
  (``spm.py``), plus the ChatML special tokens ``<|im_start|>``,
  ``<|im_end|>`` (end of turn = eos) and ``<|endoftext|>`` (pad);
* ``CHAT_TEMPLATE``, Qwen's ChatML layout (a default system turn when the
  conversation has none), saved with ``save_pretrained``;
* a ``generation_config.json`` that stops at ``<|im_end|>``.

The translations are nonsense; everything around them is the real thing.
Deterministic (same seeds → same files), a second or two after the imports.
"""

from __future__ import annotations

from pathlib import Path

SEED = 20240607
INIT_STD = 0.3
HIDDEN = 64
LAYERS = 2
HEADS = 4
KV_HEADS = 2
FFN = 128
MAX_POSITIONS = 4096
DEFAULT_SYSTEM = "You are a helpful assistant."

# ChatML as Qwen2.5-Instruct writes it (without the tool-calling branches).
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)


def build_causal_lm(out_dir: Path, spm_dir: Path | None = None, seed: int = SEED) -> Path:
    """Write a tiny chat model to ``out_dir`` and return ``out_dir``.

    ``spm_dir`` holds ``spm.model`` (``spm.train_spm``); when None, one is
    trained into ``out_dir/_spm`` first (handy when calling this alone).
    """
    import torch
    from transformers import GenerationConfig, LlamaTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if spm_dir is None:
        from scripts.tiny_models.spm import train_spm

        spm_path = train_spm(out / "_spm")
    else:
        spm_path = Path(spm_dir) / "spm.model"
    tokenizer = LlamaTokenizerFast(
        vocab_file=str(spm_path), legacy=False, add_bos_token=False, add_eos_token=False, from_slow=True,
    )
    tokenizer.add_special_tokens({
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
    })
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.padding_side = "left"
    tokenizer.model_max_length = MAX_POSITIONS
    tokenizer.save_pretrained(out)

    eos, pad = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=HIDDEN, intermediate_size=FFN, num_hidden_layers=LAYERS,
        num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, max_position_embeddings=MAX_POSITIONS,
        initializer_range=INIT_STD, tie_word_embeddings=True, use_sliding_window=False,
        bos_token_id=None, eos_token_id=eos, pad_token_id=pad,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.eval()
    model.generation_config = GenerationConfig(eos_token_id=[eos, pad], pad_token_id=pad, do_sample=False)
    model.save_pretrained(out)
    return out


if __name__ == "__main__":  # python -m scripts.tiny_models.causal_lm OUT_DIR
    import sys

    print(build_causal_lm(Path(sys.argv[1])))
