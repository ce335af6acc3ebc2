"""InfluxDB line protocol and InfluxQL identifier quoting: the text the store sends.

Writes are hand-written line protocol: the `influxdb` package's serializer (`make_lines`)
ran at ~47k points/s for 12-field points, below what one influxd ingests, while this one runs
at ~120k points/s (benchmarks/timeseries_write.py measures both). The ingest path writes
`PointRows` (pre-checked, one field list), serialised by orjson and put into line protocol by
one %-template per chunk (`format_rows`): ~2.2 us per 18-field point instead of ~6.7 us
formatting each float by repr (benchmarks/line_protocol.py).

Identifiers are never user data: measurement and field names are validated identifiers
(`validation.check_measurement_name`, `check_field_names`); tag values (asset ids) are
escaped here; the database name, which only appears in schema statements, goes through
`quote_ident()`.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from .base import FieldValue, PointRows


def quote_ident(name: str) -> str:
    """An InfluxQL double-quoted identifier.

    Inside double quotes InfluxQL's scanner understands exactly the escapes `\\\\` and `\\"`,
    so backslashes and double quotes are escaped, in that order; control characters (a
    newline ends the string in InfluxQL's scanner) are refused rather than escaped. Used for
    the database name in schema statements; everything else is a validated identifier.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("identifier must be a non-empty string")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise ValueError(f"identifier must not contain control characters: {name!r}")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_TAG_ESCAPES = str.maketrans({",": "\\,", " ": "\\ ", "=": "\\="})


def escape_tag_value(value: str) -> str:
    """Line-protocol tag value: comma, space and equals sign get a backslash.

    InfluxDB 1.x unescapes only those three, so other backslashes are written as they are;
    `validation.check_asset_id` refuses the values this cannot represent (control
    characters, a backslash at the end or before a space/comma/equals sign).
    """
    return value.translate(_TAG_ESCAPES)


def format_field_value(value: FieldValue) -> str:
    """Line-protocol field value: bools as true/false, ints with an `i` suffix, floats by
    repr (shortest round-trip form), strings double-quoted with `\\` and `"` escaped."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is float:
        return repr(value)
    if kind is int:
        return f"{value}i"
    if kind is str and isinstance(value, str):  # isinstance narrows for the type checker
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise ValueError(f"unsupported field value {value!r}")  # validation normalises first


def format_line(measurement: str, asset_id: str, fields: dict[str, FieldValue], time_us: int) -> str:
    """One point in line protocol at microsecond precision (names are validated identifiers).

    The same encoding as format_field_value, inlined for the common float/int cases: this
    loop is the hot path of every write.
    """
    parts = []
    for name, value in fields.items():
        kind = type(value)
        if kind is float:
            parts.append(f"{name}={value!r}")
        elif kind is int:
            parts.append(f"{name}={value}i")
        else:
            parts.append(f"{name}={format_field_value(value)}")
    return f"{measurement},asset_id={escape_tag_value(asset_id)} {','.join(parts)} {time_us}"


def _row_template(
    measurement: str, names: Sequence[str], kinds: Sequence[type], present, *, serialized: bool = False
) -> str:
    """The %-format of one line of PointRows, newline included: tag, the present fields, time (us).

    `serialized`: the values arrive as JSON tokens (`_format_rows_serialized`): numbers and
    already-quoted strings go in as they are. Else floats by repr, strings quoted here.
    """
    float_spec, str_spec, time_spec = ("%s", "%s", "%s") if serialized else ("%r", '"%s"', "%d")
    pieces = []
    for name, kind, keep in zip(names, kinds, present, strict=True):
        if not keep:
            continue
        if kind is float:
            pieces.append(f"{name}={float_spec}")
        elif kind is int:
            pieces.append(f"{name}=%si" if serialized else f"{name}=%di")
        elif kind is str:
            pieces.append(f"{name}={str_spec}")
        else:
            raise ValueError(f"PointRows column {name!r}: unsupported kind {kind!r}")
    return f"{measurement},asset_id=%s {','.join(pieces)} {time_spec}\n"


def format_rows(rows: PointRows, start: int = 0, stop: int | None = None) -> bytes:
    """Line protocol of rows[start:stop]: one line per row, each ending in a newline, the same
    points format_line writes.

    Formatting floats one by one (repr) was most of the CPU of a batch ingest, so the slice is
    serialised by orjson in one call (shortest round-trip floats, as repr, in compiled code) and
    its tokens are put into place by one %-template per slice (`_format_rows_serialized`).
    Rows that this cannot represent token for token (strings with commas, brackets, spaces,
    equals signs or escapes; tags that need escaping) take `_format_rows_templated`.
    """
    chunk = rows.rows[start:stop]
    if not chunk:
        return b""
    fast = _format_rows_serialized(rows, chunk)
    if fast is not None:
        return fast
    return _format_rows_templated(rows, chunk).encode()


def _format_rows_serialized(rows: PointRows, chunk: list) -> bytes | None:
    """orjson.dumps(chunk) is `[["asset",us,[v1,...,vk]],...]`: without brackets and split on
    commas, each row is exactly k + 2 tokens: the quoted asset id, the time, then the values
    (numbers in JSON form, which line protocol reads as floats; strings already quoted with
    `"` escaped as line protocol wants; `null` for a missing value). The tokens are reordered
    (time last) and formatted by `template * n`; then each `name=null` is cut out.

    Returns None where the token count would not hold or where a tag or string would need
    line-protocol escaping that JSON does not give: any comma, bracket, space, equals sign or
    backslash inside a string (JSON-escaped control characters included). It relies on the
    PointRows guarantee of finite floats: orjson writes NaN and infinities as `null`, which
    would read here as a missing value.
    """
    try:
        blob = orjson.dumps(chunk)
    except TypeError:  # a value orjson does not serialise (e.g. an int beyond 64 bits)
        return None
    n, names, kinds = len(chunk), rows.names, rows.kinds
    k = len(names)
    width = k + 2
    if b"\\" in blob or b" " in blob or b"=" in blob:
        return None
    unbracketed = blob.translate(None, b"[]")
    if len(blob) - len(unbracketed) != 4 * n + 2:  # a bracket inside a string
        return None
    tokens = unbracketed.split(b",")
    if len(tokens) != width * n:  # a comma inside a string
        return None
    ordered: list = [None] * (width * n)
    ordered[0::width] = [t[1:-1] for t in tokens[0::width]]  # the asset id, unquoted for the tag
    for j in range(k):
        ordered[1 + j :: width] = tokens[2 + j :: width]
    ordered[width - 1 :: width] = tokens[1::width]
    template = _row_template(rows.measurement, names, kinds, [True] * k, serialized=True).encode()
    body = (template * n) % tuple(ordered)
    # Only a missing value gives `=null`: strings are quoted (and one with `=` fell back).
    if b"null" in unbracketed:
        for j in [*range(1, k), 0]:  # the first field last: ` first=null,` needs a later field
            if b"null" not in tokens[2 + j :: width]:
                continue
            suffix = b"i" if kinds[j] is int else b""
            name = names[j].encode()
            if j:
                body = body.replace(b"," + name + b"=null" + suffix, b"")
            else:
                body = body.replace(b" " + name + b"=null" + suffix + b",", b" ")
    return body


def _format_rows_templated(rows: PointRows, chunk: list) -> str:
    """format_rows by one %-template per pattern of absent fields (repr for floats, `i` for
    ints, quoted and escaped strings), the tag value escaped once per asset."""
    names, kinds = rows.names, rows.kinds
    full = _row_template(rows.measurement, names, kinds, [True] * len(names))
    templates: dict[tuple[bool, ...], str] = {}
    string_cols = [i for i, kind in enumerate(kinds) if kind is str]
    tags: dict[str, str] = {}
    lines: list[str] = []
    append = lines.append
    for asset_id, us, values in chunk:
        tag = tags.get(asset_id)
        if tag is None:
            tag = tags[asset_id] = escape_tag_value(asset_id)
        if string_cols:
            for i in string_cols:
                v = values[i]
                if v is not None and ("\\" in v or '"' in v):
                    values = (*values[:i], v.replace("\\", "\\\\").replace('"', '\\"'), *values[i + 1 :])
        if None in values:
            present = tuple([v is not None for v in values])
            template = templates.get(present)
            if template is None:
                template = templates[present] = _row_template(rows.measurement, names, kinds, present)
            append(template % (tag, *[v for v in values if v is not None], us))
        else:
            append(full % (tag, *values, us))
    return "".join(lines)
