"""Line protocol and InfluxQL quoting (`ingestion/timeseries/line_protocol.py`): every body
is read back by the protocol's own rules, written independently here (`parse_line`)."""

from __future__ import annotations

import random

import pytest

from ingestion.timeseries import PointRows
from ingestion.timeseries.line_protocol import (
    _format_rows_serialized,
    escape_tag_value,
    format_field_value,
    format_line,
    format_rows,
    quote_ident,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a b", "a\\ b"),
        ("a,b", "a\\,b"),
        ("a=b", "a\\=b"),
        ("x' OR 1=1 --", "x'\\ OR\\ 1\\=1\\ --"),
        ('a" ; DROP', 'a"\\ ;\\ DROP'),
        ("a\\'b", "a\\'b"),
    ],
)
def test_tag_values_escape_comma_space_and_equals(raw, escaped):
    assert escape_tag_value(raw) == escaped


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (1.5, "1.5"),
        (3.0, "3.0"),
        (-0.1, "-0.1"),
        (1e-300, "1e-300"),
        (3, "3i"),
        (-7, "-7i"),
        (True, "true"),
        (False, "false"),
        ("x", '"x"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("end\\", '"end\\\\"'),
        ("", '""'),
        ("line\nbreak", '"line\nbreak"'),
    ],
)
def test_field_values_are_typed_and_strings_escape_quotes_and_backslashes(value, encoded):
    assert format_field_value(value) == encoded


def test_a_line_has_measurement_tag_fields_and_microsecond_timestamp():
    line = format_line("events", "M 1", {"v": 2.0, "n": 3, "ok": True, "s": 'a"b'}, 1_700_000_000_123_456)
    assert line == 'events,asset_id=M\\ 1 v=2.0,n=3i,ok=true,s="a\\"b" 1700000000123456'


def parse_line(line: str) -> tuple[str, str, dict, int]:
    """One line of line protocol read back by the protocol's own rules, independently of the
    writer: (measurement, asset_id tag, typed fields, time). Tag values unescape `\\,`, `\\ `
    and `\\=`; strings unescape `\\"` and `\\\\`; `1.5` is a float, `3i` an int."""
    i, head = 0, []
    while line[i] != " ":
        if line[i] == "\\" and line[i + 1] in ", =":
            i += 1
        head.append((line[i], line[i - 1] == "\\" and line[i] in ", ="))
        i += 1
    text = "".join(ch for ch, _ in head)
    cut = next(k for k, (ch, escaped) in enumerate(head) if ch == "," and not escaped)
    measurement, tag = text[:cut], text[cut + 1 :]
    assert tag.startswith("asset_id=")
    fields: dict = {}
    i += 1
    while True:
        eq = line.index("=", i)
        name, i = line[i:eq], eq + 1
        if line[i] == '"':
            value, i = [], i + 1
            while line[i] != '"':
                if line[i] == "\\" and line[i + 1] in '"\\':
                    i += 1
                value.append(line[i])
                i += 1
            fields[name], i = "".join(value), i + 1
        else:
            end = min(j for j in (line.find(",", i), line.find(" ", i)) if j != -1)
            raw, i = line[i:end], end
            fields[name] = (
                int(raw[:-1]) if raw.endswith("i") else {"true": True, "false": False}.get(raw, None)
            )
            if fields[name] is None:
                fields[name] = float(raw)
        if line[i] == " ":
            return measurement, tag.removeprefix("asset_id="), fields, int(line[i + 1 :])
        i += 1


def lines_of(body: bytes) -> list[str]:
    """The lines of a format_rows body, each of which must end in a newline."""
    text = body.decode()
    assert text.endswith("\n")
    return text[:-1].split("\n")


def random_rows(rng: random.Random, texts: list[str], assets: list[str], n: int = 400) -> list[tuple]:
    floats = [3.0, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 1e16, 1e-7, 123456789.0, 0.1 + 0.2]
    rows = []
    for i in range(n):
        values = (
            rng.choice([None, rng.uniform(-1e6, 1e6), *floats]),
            rng.choice([None, rng.randint(-(2**63), 2**63 - 1), 0]),
            rng.choice([None, *texts]),
            rng.choice([None, rng.random(), rng.uniform(-1e-9, 1e-9)]),
        )
        if all(v is None for v in values):
            values = (None, None, None, 1.5)
        rows.append((rng.choice(assets), 1_700_000_000_000_000 + i, values))
    return rows


ROW_NAMES, ROW_KINDS = ("v", "n", "s", "w"), (float, int, str, float)


def point_lines(rows: list[tuple]) -> list[str]:
    """What format_line (one point at a time) writes for the same rows."""
    return [
        format_line("events", a, {n: v for n, v in zip(ROW_NAMES, vals, strict=True) if v is not None}, us)
        for a, us, vals in rows
    ]


def expected_lines(rows: list[tuple]) -> list[tuple]:
    return [parse_line(line) for line in point_lines(rows)]


def test_rows_that_json_can_carry_are_formatted_as_the_same_points_line_by_line():
    """The serialised path: every float spelling, missing values in every column (the first
    included), an int column, the string "null" beside a missing string."""
    rows = random_rows(random.Random(5), ["plain", "null", "", "ü-ß", "a'b"], ["M-1", "PUMP-07", "x.y_z"])
    table = PointRows("events", ROW_NAMES, ROW_KINDS, rows)

    assert _format_rows_serialized(table, rows) is not None  # this case must not fall back
    assert [parse_line(x) for x in lines_of(format_rows(table))] == expected_lines(rows)
    assert [parse_line(x) for x in lines_of(format_rows(table, 100, 150))] == expected_lines(rows[100:150])
    assert format_rows(table, 400) == b""


@pytest.mark.parametrize(
    ("asset", "text"),
    [
        ("M 1", "plain"),  # tag with a space
        ("a,b", "plain"),  # tag with a comma
        ("a=b", "plain"),  # tag with an equals sign
        ("M-1", 'say "hi"'),  # escapes
        ("M-1", "back\\slash"),
        ("M-1", "end\\"),
        ("M-1", "tab\tand"),  # JSON escapes control characters
        ("M-1", "comma,in"),
        ("M-1", "[bracket]"),
        ("M-1", "k=v"),
        ("M-1", "two words"),
    ],
)
def test_rows_json_cannot_carry_token_for_token_are_formatted_by_templates(asset, text):
    rows = [
        ("M-1", 1_700_000_000_000_000, (1.5, None, "ok", None)),
        (asset, 1_700_000_000_000_001, (2.5, 4, text, 0.5)),
    ]
    table = PointRows("events", ROW_NAMES, ROW_KINDS, rows)

    assert _format_rows_serialized(table, rows) is None
    assert [parse_line(x) for x in lines_of(format_rows(table))] == expected_lines(rows)


def test_rows_with_escapes_are_formatted_exactly_as_the_same_points_line_by_line():
    """The template path on a mix of everything that needs escaping."""
    rng = random.Random(5)
    texts = ["plain", 'say "hi"', "back\\slash", "end\\", "", "tab\tand,comma=eq"]
    assets = ["M 1", "a,b", "a=b", "x' OR 1=1 --", "PUMP-07"]
    rows = random_rows(rng, texts, assets)
    table = PointRows("events", ROW_NAMES, ROW_KINDS, rows)
    expected = point_lines(rows)

    assert lines_of(format_rows(table)) == expected
    assert lines_of(format_rows(table, 100, 150)) == expected[100:150]


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("pdm", '"pdm"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ('x" ; DROP DATABASE y; "', '"x\\" ; DROP DATABASE y; \\""'),
    ],
)
def test_identifiers_are_double_quoted_with_backslash_escapes(name, quoted):
    assert quote_ident(name) == quoted


@pytest.mark.parametrize("name", ["", "a\nb", "tab\t", "nul\x00"])
def test_identifiers_with_control_characters_are_refused(name):
    with pytest.raises(ValueError):
        quote_ident(name)
