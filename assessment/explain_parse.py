"""Reading an explanation back into its numbers (the inverse of ``assessment.explain.explain``),
with the same templates the renderer used: pure Python, no Django.

Why: every number in an explanation must be a rounded copy of a stored value; the tests and the
API's consumers check that by parsing the text, so the parser is part of the contract (§14).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .explain_templates import (
    LINE_TEMPLATES,
    OPTIONAL,
    OVERRIDE_SENTENCES,
    PLACEHOLDER,
    factor_line_template,
)
from .health import FACTORS

_NUM_INF = r"inf"


def _spec_regex(spec: str) -> str:
    if spec == "w":
        return r"[A-Za-z][A-Za-z_]*"
    if spec == "t":
        return r"[^()\n;:,]+?"
    if spec == "ts":
        return r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?Z"
    m = re.fullmatch(r"(\+?)\.(\d+)f", spec)
    if not m:
        raise ValueError(f"unsupported spec {spec!r}")
    sign = r"[-+]" if m.group(1) else r"-?"
    digits = int(m.group(2))
    body = r"\d+" if digits == 0 else rf"\d+\.\d{{{digits}}}"
    return rf"{sign}(?:{body}|{_NUM_INF})"


@dataclass
class _Compiled:
    regex: re.Pattern[str]
    names: list[tuple[str, str]] = field(default_factory=list)  # (group, name)
    specs: dict[str, str] = field(default_factory=dict)


def _compile(template: str) -> _Compiled:
    names: list[tuple[str, str]] = []
    specs: dict[str, str] = {}

    def piece(text: str) -> str:
        out, pos = [], 0
        for m in PLACEHOLDER.finditer(text):
            out.append(re.escape(text[pos : m.start()]))
            group = f"g{len(names)}"
            names.append((group, m.group(1)))
            specs[m.group(1)] = m.group(2)
            out.append(f"(?P<{group}>{_spec_regex(m.group(2))})")
            pos = m.end()
        out.append(re.escape(text[pos:]))
        return "".join(out)

    out, pos = [], 0
    for m in OPTIONAL.finditer(template):
        out.append(piece(template[pos : m.start()]))
        out.append(f"(?:{piece(m.group(1))})?")
        pos = m.end()
    out.append(piece(template[pos:]))
    return _Compiled(re.compile("^" + "".join(out) + "$"), names, specs)


def _extract(c: _Compiled, m: re.Match[str]) -> list[tuple[str, float | str]]:
    hits = sorted(((m.start(g), g, n) for g, n in c.names if m.group(g) is not None))
    out: list[tuple[str, float | str]] = []
    for _, g, n in hits:
        raw = m.group(g)
        out.append((n, raw if c.specs[n] in ("w", "t", "ts") else float(raw)))
    return out


_LINES = {k: _compile(t) for k, t in LINE_TEMPLATES.items()}
_FACTOR_LINES = {n: _compile(factor_line_template(n)) for n in FACTORS}
_OVERRIDES = {k: _compile(t) for k, t in OVERRIDE_SENTENCES.items()}
_RISK_RAISED = re.compile(
    r"^Risk is (?P<risk>\w+) because (?P<reasons>.*) \(health alone gives (?P<cutoff>\w+)\)\.$"
)


def _match_one(line: str, candidates: Mapping[str, _Compiled]) -> tuple[str, list[tuple[str, float | str]]]:
    for key, c in candidates.items():
        m = c.regex.match(line)
        if m:
            return key, _extract(c, m)
    raise ValueError(f"unrecognised explanation line: {line!r}")


def parse_explanation(text: str) -> list[tuple[str, float | str]]:
    """Every value in an ``explain()`` text as ``(name, value)`` in text order (numbers as float,
    words and times as str).  Raises ValueError on a line it does not recognise."""
    lines = text.split("\n")
    out: list[tuple[str, float | str]] = []
    first = lines[0]
    m = _RISK_RAISED.match(first)
    if m and not _LINES["risk.health"].regex.match(first):
        out.append(("risk", m.group("risk")))
        for reason in m.group("reasons").split("; and "):
            out += _match_one(reason, _OVERRIDES)[1]
        out.append(("cutoff", m.group("cutoff")))
    else:
        out += _match_one(first, {"risk.health": _LINES["risk.health"]})[1]
    health_lines = {k: _LINES[k] for k in ("health.factors", "health.none")}
    out += _match_one(lines[1], health_lines)[1]
    i = 2
    while i < len(lines) and re.match(r"^\d+\. ", lines[i]):
        out += _match_one(lines[i], _FACTOR_LINES)[1]
        i += 1
    rul_lines = {k: c for k, c in _LINES.items() if k.startswith("rul.")}
    if i >= len(lines):
        raise ValueError("missing RUL line")
    out += _match_one(lines[i], rul_lines)[1]
    for line in lines[i + 1 :]:
        keys = ("stale", "baseline_missing", "anomaly.carried", "anomaly.not_running")
        out += _match_one(line, {k: _LINES[k] for k in keys})[1]
    return out


def parse_explanation_numbers(text: str) -> list[tuple[str, float]]:
    """Only the numbers of :func:`parse_explanation`, in text order."""
    return [(n, v) for n, v in parse_explanation(text) if isinstance(v, float)]
