"""Read the UCI household power file (zip or text) into a typed minute frame, in bounded memory.

Format (exact, as published): one header line
``Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;Sub_metering_1;Sub_metering_2;Sub_metering_3``,
then one line per minute, ``;``-separated, ``d/m/yyyy`` (day and month not zero-padded) and
``hh:mm:ss``, ``?`` for a value not measured (a row not measured at all reads ``?;?;?;?;?;?;``:
its last field is empty, which is also read as missing). Malformed input (another header, a wrong number of fields, a date, time or number
that does not parse) raises ``MalformedInput`` naming the line and column: the import then
stores nothing. Pure pandas: no Django.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

HEADER = [
    "Date",
    "Time",
    "Global_active_power",
    "Global_reactive_power",
    "Voltage",
    "Global_intensity",
    "Sub_metering_1",
    "Sub_metering_2",
    "Sub_metering_3",
]
# The platform's names (unit in the name, CONTRACTS conventions).
COLUMNS = {
    "Global_active_power": "active_power_kw",
    "Global_reactive_power": "reactive_power_kw",
    "Voltage": "voltage_v",
    "Global_intensity": "current_a",
    "Sub_metering_1": "sub_metering_1_wh",
    "Sub_metering_2": "sub_metering_2_wh",
    "Sub_metering_3": "sub_metering_3_wh",
}
VALUE_COLUMNS = list(COLUMNS.values())
# The logger's clock keeps no daylight saving (every minute appears exactly once across the
# March and October changes): French standard time all year (docs/uci-import.md).
SOURCE_OFFSET = timezone(timedelta(hours=1))
CHUNK_ROWS = 500_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class MalformedInput(ValueError):
    def __init__(self, line: int | None, column: str, message: str) -> None:
        where = f"line {line}, " if line is not None else ""
        super().__init__(f"{where}column {column}: {message}")
        self.line = line
        self.column = column


@contextmanager
def open_text(path: Path) -> Iterator[IO[bytes]]:
    """The data file itself, or the single ``.txt`` member of a zip archive."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith(".txt")]
            if len(names) != 1:
                raise MalformedInput(None, "$", f"the archive must hold exactly one .txt file, found {names}")
            try:
                with zf.open(names[0]) as member:
                    yield member
            except (zipfile.BadZipFile, EOFError) as exc:
                raise MalformedInput(None, "$", f"broken archive: {exc}") from exc
    else:
        with path.open("rb") as f:
            yield f


def _to_float(chunk: pd.DataFrame, first_line: int) -> pd.DataFrame:
    out = {}
    # The only empty field the format has: Sub_metering_3 of a row whose values are all "?".
    all_unknown = (chunk[HEADER[2:8]] == "?").all(axis=1)
    for src, name in COLUMNS.items():
        raw = chunk[src]
        empty = raw.isna() | (raw == "")
        if src == HEADER[-1]:
            empty &= ~all_unknown
        if empty.any():
            pos = int(np.flatnonzero(empty.to_numpy())[0])
            raise MalformedInput(
                first_line + pos, src, "field missing or empty (a line has 9 fields; '?' = not measured)"
            )
        blank = (raw == "?") | (raw == "")
        values = pd.to_numeric(raw.mask(blank), errors="coerce")
        bad = values.isna() & ~blank
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise MalformedInput(first_line + pos, src, f"not a number: {raw.iloc[pos]!r}")
        out[name] = values.to_numpy(dtype="float64")
    return pd.DataFrame(out)


def _to_time(chunk: pd.DataFrame, first_line: int) -> np.ndarray:
    text = chunk["Date"] + " " + chunk["Time"]
    stamp = pd.to_datetime(text, format="%d/%m/%Y %H:%M:%S", errors="coerce")
    bad = stamp.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise MalformedInput(first_line + pos, "Date/Time", f"not dd/mm/yyyy hh:mm:ss: {text.iloc[pos]!r}")
    # Wall time at UTC+01:00 -> UTC, as int64 microseconds since the epoch.
    return (stamp.to_numpy(dtype="datetime64[us]") - np.timedelta64(1, "h")).astype("int64")


def _read_strings(path: Path, limit: int | None, chunk_rows: int) -> None:
    """The slow exact reader (every field as text): used only to name the line and column of
    input the fast reader refused. Raises ``MalformedInput``."""
    read = 0
    with open_text(path) as raw:
        text = io.TextIOWrapper(raw, encoding="ascii", errors="strict", newline="")
        text.readline()
        try:
            reader = pd.read_csv(
                text,
                sep=";",
                header=None,
                names=HEADER,
                dtype=str,
                keep_default_na=False,
                engine="c",
                chunksize=chunk_rows,
                nrows=limit,
                on_bad_lines="error",
                skip_blank_lines=False,
            )
            for chunk in reader:
                first_line = read + 2
                _to_time(chunk.fillna(""), first_line)
                _to_float(chunk, first_line)
                read += len(chunk)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise MalformedInput(None, "$", f"cannot parse the file: {str(exc).strip()}") from exc


_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})")


def _date_s(text: str) -> int | None:
    """Seconds since the epoch of ``d/m/yyyy`` at 00:00, or None (31/2 included: no roll-over)."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        ordinal = date(year, month, day).toordinal()
    except ValueError:
        return None
    return (ordinal - _EPOCH_ORDINAL) * 86_400


def _clock_s(text: str) -> int | None:
    """Seconds after midnight of ``hh:mm:ss``, or None."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute, second = (int(g) for g in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour * 3600 + minute * 60 + second


def _seconds(
    column: pa.DictionaryArray, parse: Callable[[str], int | None], known: dict[str, int | None]
) -> tuple[np.ndarray, int | None]:
    """Each row's parsed value, parsing only the distinct strings the rows use (a day has 1,440
    rows, a time of day one per day): ``known`` carries them from batch to batch. Also the first
    row whose string does not parse (None when all do)."""
    rows = column.indices.to_numpy(zero_copy_only=False)
    used = np.bincount(rows, minlength=len(column.dictionary)) > 0
    values = np.zeros(len(used), dtype="int64")
    bad = np.zeros(len(used), dtype=bool)
    for k, word in enumerate(column.dictionary.to_pylist()):
        if not used[k]:
            continue
        if word not in known:
            known[word] = parse(word)
        value = known[word]
        if value is None:
            bad[k] = True
        else:
            values[k] = value
    first_bad = int(np.flatnonzero(bad[rows])[0]) if bad.any() else None
    return values[rows], first_bad


def _batch_columns(
    batch: pa.RecordBatch, first_line: int, days: dict[str, int | None], clocks: dict[str, int | None]
) -> dict[str, np.ndarray]:
    """The batch's typed columns; ``MalformedInput`` naming the first line whose date or time
    does not parse exactly."""
    day, bad_day = _seconds(batch.column(0), _date_s, days)
    clock, bad_clock = _seconds(batch.column(1), _clock_s, clocks)
    bad = [r for r in (bad_day, bad_clock) if r is not None]
    if bad:
        row = min(bad)
        text = f"{batch.column(0)[row].as_py()} {batch.column(1)[row].as_py()}"
        raise MalformedInput(first_line + row, "Date/Time", f"not dd/mm/yyyy hh:mm:ss: {text!r}")
    columns = {"time_us": (day + clock - 3600) * 1_000_000}  # UTC+01:00 wall time -> UTC
    for src, name in COLUMNS.items():
        columns[name] = (
            batch.column(HEADER.index(src)).to_numpy(zero_copy_only=False).astype("float64", copy=False)
        )
    return columns


def _frame(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One frame of the batches' columns, copied once: the value columns straight into one
    float block (pandas' layout), so building the frame copies nothing more."""
    n = sum(len(part["time_us"]) for part in parts)
    values = np.empty((len(VALUE_COLUMNS), n), dtype="float64")
    for j, name in enumerate(VALUE_COLUMNS):
        np.concatenate([part[name] for part in parts], out=values[j])
    frame = pd.DataFrame(values.T, columns=VALUE_COLUMNS, copy=False)
    frame.insert(0, "line", np.arange(2, n + 2, dtype="int64"))
    frame.insert(0, "time_us", np.concatenate([part["time_us"] for part in parts]))
    return frame


def read_minutes(path: Path, *, limit: int | None = None, chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """The file as a frame: ``time_us`` (UTC microseconds), ``line`` (1-based line number in the
    file) and the value columns (float64, NaN where the file has ``?``).

    pyarrow's streaming CSV reader (typed columns, blocks of 16 MiB: bounded memory) does the
    work; when it refuses the input, the exact text reader finds the line and column to name.
    """
    parts = []
    read = 0
    days: dict[str, int | None] = {}
    clocks: dict[str, int | None] = {}
    # Dates and times as dictionaries: each distinct string is parsed once, not each row.
    text = pa.dictionary(pa.int32(), pa.string())
    types = {"Date": text, "Time": text, **{c: pa.float64() for c in HEADER[2:]}}
    try:
        with open_text(path) as raw:
            reader = pacsv.open_csv(
                raw,
                read_options=pacsv.ReadOptions(block_size=16 << 20, use_threads=True),
                parse_options=pacsv.ParseOptions(delimiter=";", ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=types,
                    null_values=["?", ""],
                    strings_can_be_null=False,
                    include_columns=HEADER,
                ),
            )
            if reader.schema.names != HEADER:
                raise MalformedInput(1, "$", f"header must be {';'.join(HEADER)}")
            for batch in reader:
                if limit is not None and read + batch.num_rows > limit:
                    batch = batch.slice(0, limit - read)
                parts.append(_batch_columns(batch, read + 2, days, clocks))
                read += batch.num_rows
                if limit is not None and read >= limit:
                    break
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        _read_strings(path, limit, chunk_rows)
        raise MalformedInput(None, "$", f"cannot parse the file: {str(exc).strip()}") from exc
    if not parts:
        raise MalformedInput(2, "$", "the file holds no data line")
    return _frame(parts)
