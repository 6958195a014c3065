"""Chinese script variants: the same text in Simplified and Traditional.

Models are often much better on one script than the other. Scoring the same
articles in both scripts, with the same references and segment ids, measures
that gap directly. OpenCC does the conversion: ``s2twp`` (Simplified → Taiwan
Traditional, with phrase conversion) for the Traditional copy, ``t2s`` for
turning Traditional-only documents into Simplified.
"""

from __future__ import annotations

CONVERSIONS = {
    ("zh-Hans", "zh-Hant"): "s2twp",
    ("zh-Hant", "zh-Hans"): "t2s",
}


class ScriptConverter:
    """OpenCC converters, created once per instance and reused."""

    def __init__(self) -> None:
        self._converters: dict[str, object] = {}

    def _converter(self, config: str):
        if config not in self._converters:
            import opencc

            self._converters[config] = opencc.OpenCC(config)
        return self._converters[config]

    def convert(self, text: str, source_script: str, target_script: str) -> str:
        if source_script == target_script:
            return text
        config = CONVERSIONS[(source_script, target_script)]
        return self._converter(config).convert(text)

    @staticmethod
    def config_for(source_script: str, target_script: str) -> str | None:
        return CONVERSIONS.get((source_script, target_script))
