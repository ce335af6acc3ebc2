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
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta, timezone
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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


def _batch_frame(batch: pa.RecordBatch, first_line: int) -> pd.DataFrame | None:
    """A typed frame of one batch, or None when a date or time does not parse exactly."""
    date, clock = batch.column(0), batch.column(1)
    stamp = pc.strptime(
        pc.binary_join_element_wise(date, clock, " "),
        format="%d/%m/%Y %H:%M:%S",
        unit="s",
        error_is_null=True,
    )
    if stamp.null_count:
        return None
    # strptime rolls 31/2 over to 3/3: the day written must be the day parsed.
    day = pc.cast(pc.list_element(pc.split_pattern(date, "/"), 0), pa.int64())
    if not pc.all(pc.equal(day, pc.day(stamp))).as_py():
        return None
    seconds = pc.cast(stamp, pa.int64()).to_numpy(zero_copy_only=False)
    frame = {
        "time_us": (seconds - 3600) * 1_000_000,  # UTC+01:00 wall time -> UTC
        "line": np.arange(first_line, first_line + batch.num_rows, dtype="int64"),
    }
    for src, name in COLUMNS.items():
        frame[name] = batch.column(HEADER.index(src)).to_numpy(zero_copy_only=False).astype("float64")
    return pd.DataFrame(frame)


def read_minutes(path: Path, *, limit: int | None = None, chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """The file as a frame: ``time_us`` (UTC microseconds), ``line`` (1-based line number in the
    file) and the value columns (float64, NaN where the file has ``?``).

    pyarrow's streaming CSV reader (typed columns, blocks of 16 MiB: bounded memory) does the
    work; when it refuses the input, the exact text reader finds the line and column to name.
    """
    parts = []
    read = 0
    types = {"Date": pa.string(), "Time": pa.string(), **{c: pa.float64() for c in HEADER[2:]}}
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
                frame = _batch_frame(batch, read + 2)
                if frame is None:
                    _read_strings(path, limit, chunk_rows)
                    raise MalformedInput(None, "Date/Time", "a date or time does not parse")
                parts.append(frame)
                read += batch.num_rows
                if limit is not None and read >= limit:
                    break
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        _read_strings(path, limit, chunk_rows)
        raise MalformedInput(None, "$", f"cannot parse the file: {str(exc).strip()}") from exc
    if not parts:
        raise MalformedInput(2, "$", "the file holds no data line")
    return pd.concat(parts, ignore_index=True)
