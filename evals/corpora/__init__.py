"""Corpora: from raw seed articles to sentence-aligned evaluation segments.

Data flows: ``reading`` (bytes → text lines) → ``cleaning`` (drop boilerplate,
log it) → ``halves`` (find the Chinese and English halves, pair paragraphs) →
``sentences`` + ``align`` (sentence beads inside each paragraph pair) →
``builder`` (documents and segments → ``corpora/*.jsonl``). ``loaders`` read
the built files and other common formats back into ``Segment`` records.
"""
