"""Chinese text: what the corpus tools, the ``gloss`` system and the flags know about it.

* ``script`` — the one table of Han (CJK ideograph) code-point blocks, and the
  helpers and lazily compiled character classes built from it;
* ``segmenter`` — a private, quiet jieba tokenizer;
* ``dictionary`` — reading CC-CEDICT and cleaning its definitions;
* ``numerals`` — Chinese numerals (三十, 两千, 一亿五千万) and their values.

Nothing here does work at import: jieba, CC-CEDICT and the big character
classes are loaded or compiled on first use.
"""
