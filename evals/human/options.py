"""``--option k=v`` for human-score formats: parsed once, checked against what the format declares."""

from __future__ import annotations

from collections.abc import Iterable

from evals.errors import UsageError, did_you_mean


def parse_options(pairs: Iterable[str]) -> dict[str, str]:
    """``["k=v", ...]`` → ``{k: v}``; a pair without ``=`` or a key given twice is a usage error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"an option is KEY=VALUE, got {pair!r}", field="--option")
        if key in out:
            raise UsageError(f"option {key!r} given twice", field="--option")
        out[key] = value.strip()
    return out


def check_options(options: dict[str, str], fmt: str, plain: Iterable[str], prefixes: Iterable[str] = ()) -> None:
    """Every key is one the format takes: a plain key, or ``PREFIX.anything`` for its prefixed families."""
    plain, prefixes = tuple(plain), tuple(prefixes)
    for key in options:
        if key in plain or any(key.startswith(p + ".") and len(key) > len(p) + 1 for p in prefixes):
            continue
        known = [*plain, *(f"{p}.NAME" for p in prefixes)]
        hint = did_you_mean(key, plain) or (f"{fmt} takes: {', '.join(known)}" if known else f"{fmt} takes no options")
        raise UsageError(f"unknown option {key!r} for format {fmt}", field="--option", hint=hint)
