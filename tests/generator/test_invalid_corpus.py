"""The invalid-event corpus is honest: every case is refused for exactly the labelled reason."""

from __future__ import annotations

import json
import math

import pytest

from generator.invalid import cases, write_corpus
from ingestion.schemas import EventBatchInvalid, parse_events

CASES = list(cases())
SCHEMA_RULES = {
    "required",
    "unknown_field",
    "type_number",
    "type_string",
    "type_uuid",
    "finite_number",
    "range",
    "pattern",
    "timezone_required",
    "type_datetime",
    "schema_version",
    "type_object",
    "json_invalid",
    "future_timestamp",
    "timestamp_too_old",
    "duplicate_in_batch",
    "batch_too_large",
}


@pytest.mark.parametrize("case", CASES, ids=[c.case for c in CASES])
def test_every_invalid_case_is_refused_with_its_labelled_rule_and_field(case):
    with pytest.raises(EventBatchInvalid) as exc:
        parse_events(case.body)
    reported = {(e.rule, e.field) for e in exc.value.errors}
    assert (case.rule, case.field) in reported, reported


def test_the_corpus_covers_every_kind_of_bad_input_the_issue_lists():
    rules = {c.rule for c in CASES}
    assert rules <= SCHEMA_RULES
    for needed in (
        "type_number",  # wrong types
        "required",  # missing fields
        "unknown_field",
        "range",  # out-of-range values
        "timezone_required",  # naive timestamps
        "future_timestamp",
        "timestamp_too_old",
        "finite_number",  # NaN
        "batch_too_large",  # oversized batches
        "duplicate_in_batch",
        "json_invalid",
    ):
        assert needed in rules, needed


def test_corpus_file_is_json_lines_with_raw_bodies_and_literal_nan(tmp_path):
    path = tmp_path / "invalid.jsonl"
    n = write_corpus(path)
    assert n == len(CASES)
    assert path.stat().st_size < 10 * 1024 * 1024
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(set(r) == {"case", "rule", "field", "body"} and isinstance(r["body"], str) for r in records)
    nan = next(r for r in records if r["case"] == "voltage_nan")
    assert '"voltage_v":NaN' in nan["body"]
    big = next(r for r in records if r["rule"] == "batch_too_large")
    assert big["body"].startswith("[") and big["body"].count('"event_id"') > 10_000


def test_each_case_differs_from_a_valid_event_only_where_its_label_says():
    base = json.loads(next(c for c in CASES if c.case == "missing_event_id").body)
    for c in CASES:
        if not c.body.startswith("{") or c.rule in ("json_invalid", "required", "unknown_field"):
            continue
        try:
            doc = json.loads(c.body)
        except ValueError:
            doc = json.loads(
                c.body.replace("-Infinity", "null").replace("Infinity", "null").replace("NaN", "null")
            )
        changed = {k for k in doc if k not in base or not _same(doc[k], base[k])} - {"event_id"}
        assert changed <= {c.field}, (c.case, changed)


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)
