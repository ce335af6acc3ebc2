"""Failure-mode library (docs/knowledge) and BM25 retrieval (assessment/knowledge.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assessment.explain import build_factors
from assessment.health import HealthInputs, Limits, assess_health
from assessment.knowledge import (
    DEFAULT_LIBRARY,
    GENERATOR_MODE_MAP,
    SPECTRAL_WEIGHT,
    KnowledgeIndex,
    load_library,
    retrieve,
    symptom_profile,
    tokenize,
)
from assessment.models import AlertCause
from assessment.services.guidance import CAUSE_WORDS

REPO = Path(__file__).resolve().parents[2]
REQUIRED_MODES = {
    "bearing_outer",
    "bearing_inner",
    "bearing_cage_ball",
    "imbalance",
    "misalignment",
    "looseness",
    "overheating",
    "voltage_unbalance",
    "voltage_deviation",
    "low_power_factor",
    "overload",
    "insulation",
    "frequency_excursion",
    "data_loss",
}


@pytest.fixture(scope="module")
def index() -> KnowledgeIndex:
    return KnowledgeIndex.build()


# --- the library -------------------------------------------------------------------------------------


def test_library_has_one_file_per_mode_with_required_sections():
    docs = load_library()
    modes = [d.mode for d in docs]
    assert len(modes) == len(set(modes))
    assert set(modes) == REQUIRED_MODES
    for d in docs:
        path = REPO / d.path
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == f"mode: {d.mode}"
        assert 40 <= len(lines) <= 100, (d.path, len(lines))
        headings = [ln for ln in lines if ln.startswith("## ")]
        assert headings == ["## Symptoms", "## Checks", "## Actions"], d.path
        assert sum(1 for ln in lines if ln.startswith("# ")) == 1


def test_generator_modes_map_to_library_files():
    docs = {d.mode: d for d in load_library()}
    for gen_mode, modes in GENERATOR_MODE_MAP.items():
        for m in modes:
            assert m in docs
            assert gen_mode in docs[m].generator_modes, (gen_mode, m)
    assert set(GENERATOR_MODE_MAP) == {
        "bearing_outer",
        "bearing_inner",
        "imbalance",
        "misalignment",
        "overheating",
        "electrical",
    }


# --- typical profiles ---------------------------------------------------------------------------------


def factors_for(**kw):
    base = dict(
        vibration_rms_mm_s=1.5,
        temperature_c=60.0,
        voltage_v=415.0,
        rated_voltage_v=415.0,
        frequency_hz=50.0,
        power_factor=0.93,
        current_a=24.0,
        rated_current_a=30.0,
        anomaly_score=0.8,
    )
    base.update(kw)
    inputs, limits = HealthInputs(**base), Limits()
    return build_factors(assess_health(inputs, limits), inputs, limits)


# (expected mode, health-input changes, features)
PROFILES = [
    (
        "bearing_outer",
        {"vibration_rms_mm_s": 5.5},
        {
            "kurtosis": 5.5,
            "kurtosis_slope_per_day": 0.3,
            "vibration_rms_slope_mm_s_per_day": 0.2,
            "envelope_bpfo": 1.0,
            "envelope_bpfi": 0.2,
        },
    ),
    (
        "bearing_inner",
        {"vibration_rms_mm_s": 5.0},
        {"kurtosis": 5.0, "kurtosis_slope_per_day": 0.3, "envelope_bpfi": 1.0, "envelope_bpfo": 0.3},
    ),
    (
        "bearing_cage_ball",
        {"vibration_rms_mm_s": 3.0},
        {"kurtosis": 4.2, "envelope_bsf": 1.0, "envelope_ftf": 0.3},
    ),
    (
        "imbalance",
        {"vibration_rms_mm_s": 5.8},
        {"kurtosis": 3.0, "amp_1x": 4.0, "amp_2x": 0.5, "amp_3x": 0.2, "axial_radial_ratio": 0.2},
    ),
    (
        "misalignment",
        {"vibration_rms_mm_s": 5.0, "temperature_c": 82.0},
        {"kurtosis": 3.1, "amp_1x": 2.0, "amp_2x": 2.5, "amp_3x": 0.3, "axial_radial_ratio": 0.8},
    ),
    (
        "looseness",
        {"vibration_rms_mm_s": 6.0},
        {"amp_1x": 2.0, "amp_2x": 1.2, "amp_3x": 1.0, "amp_0_5x": 0.6, "harmonics_count": 6},
    ),
    ("overheating", {"temperature_c": 90.0}, {"temperature_slope_c_per_day": 2.0}),
    (
        "voltage_unbalance",
        {"temperature_c": 86.0, "current_a": 32.0},
        {"voltage_unbalance_pct": 3.0, "current_unbalance_pct": 20.0, "amp_1x": 1.0, "amp_2fl": 1.2},
    ),
    (
        "insulation",
        {"temperature_c": 84.0},
        {"insulation_resistance_mohm": 3.0, "polarization_index": 1.3, "leakage_current_ma": 50.0},
    ),
    ("overload", {"current_a": 34.0, "temperature_c": 86.0}, {"load_factor": 1.3}),
    ("low_power_factor", {"power_factor": 0.78}, {"load_factor": 0.3}),
    ("voltage_deviation", {"voltage_v": 375.0, "current_a": 31.0}, {}),
    ("frequency_excursion", {"frequency_hz": 49.6}, {}),
]


@pytest.mark.parametrize(("mode", "changes", "features"), PROFILES, ids=[p[0] for p in PROFILES])
def test_top1_mode_for_typical_profile(index, mode, changes, features):
    factors = factors_for(**changes)
    query = symptom_profile(factors, features)
    hits = index.search(query, k=3)
    assert hits, query
    assert hits[0].mode == mode, (query, [(h.mode, h.heading, round(h.score, 2)) for h in hits])
    assert index.rank_modes(query)[0][0] == mode


@pytest.mark.parametrize("zone_v", [3.0, 5.5, 8.0])
@pytest.mark.parametrize("mode", ["bearing_outer", "bearing_inner", "imbalance", "misalignment"])
def test_generator_vibration_modes_robust_to_zone(index, mode, zone_v):
    _, _, features = next(p for p in PROFILES if p[0] == mode)
    hits = retrieve(factors_for(vibration_rms_mm_s=zone_v), features, k=1, index=index)
    assert hits[0].mode in GENERATOR_MODE_MAP[mode]


def test_electrical_generator_mode_maps_to_unbalance_or_insulation(index):
    for mode in ("voltage_unbalance", "insulation"):
        _, changes, features = next(p for p in PROFILES if p[0] == mode)
        top = index.search(symptom_profile(factors_for(**changes), features), k=1)[0]
        assert top.mode in GENERATOR_MODE_MAP["electrical"]


def test_profile_words():
    assert symptom_profile([], {}) == ""
    words = symptom_profile(factors_for(temperature_c=90.0), {"kurtosis": 3.7})
    assert "temperature high" in words and "thermal cooling" in words and "kurtosis elevated" in words
    assert "vibration" not in words  # normal channels add no words
    words = symptom_profile(factors_for(vibration_rms_mm_s=8.0, temperature_c=90.0), {})
    assert "vibration rms high zone d" in words and "thermal" not in words
    assert "under voltage low" in symptom_profile(factors_for(voltage_v=370.0), {})
    assert "over voltage high" in symptom_profile(factors_for(voltage_v=460.0), {})


# --- baseline-relative evidence (the platform's spectral band values, §15.5) ------------------------------

QUIET_BANDS = {
    "vibration_1x_ratio": 1.1,
    "vibration_2x_ratio": 1.0,
    "envelope_bpfo_ratio": 1.2,
    "envelope_bpfi_ratio": 0.9,
}
# (generator mode, alert cause, health-input changes, guidance features as the assessment passes them)
BASELINE_CASES = [
    (
        "bearing_outer",
        AlertCause.RISK_HIGH,
        {"vibration_rms_mm_s": 3.5},
        {**QUIET_BANDS, "kurtosis": 6.0, "envelope_bpfo_ratio": 40.0, "envelope_bpfi_ratio": 4.0},
    ),
    (
        "bearing_inner",
        AlertCause.RISK_HIGH,
        {"vibration_rms_mm_s": 3.5},
        {**QUIET_BANDS, "kurtosis": 5.0, "envelope_bpfo_ratio": 5.0, "envelope_bpfi_ratio": 45.0},
    ),
    (
        "imbalance",
        AlertCause.VIBRATION_ZONE_D,
        {"vibration_rms_mm_s": 8.0},
        {**QUIET_BANDS, "vibration_rms_slope_mm_s_per_day": 0.8, "vibration_1x_ratio": 3.0},
    ),
    (
        "misalignment",
        AlertCause.RISK_HIGH,
        {"vibration_rms_mm_s": 5.0},
        {**QUIET_BANDS, "vibration_1x_ratio": 1.9, "vibration_2x_ratio": 5.0},
    ),
    (
        "overheating",
        AlertCause.TEMPERATURE_LIMIT,
        {"temperature_c": 96.0},
        {**QUIET_BANDS, "temperature_rise_excess_c": 14.0, "power_factor_drop": 0.0},
    ),
    (
        "electrical",
        AlertCause.LOW_PF,
        {"power_factor": 0.8, "voltage_v": 385.0},
        {**QUIET_BANDS, "temperature_rise_excess_c": 6.0, "power_factor_drop": 0.09},
    ),
    (
        "electrical",
        AlertCause.VOLTAGE_BAND,
        {"voltage_v": 385.0},
        {**QUIET_BANDS, "power_factor_drop": 0.06},
    ),
]


@pytest.mark.parametrize(
    ("gen_mode", "cause", "changes", "features"),
    BASELINE_CASES,
    ids=[f"{c[0]}-{c[1]}" for c in BASELINE_CASES],
)
@pytest.mark.parametrize("asset_type", ["motor", "pump", "fan", "compressor"])
def test_baseline_relative_evidence_retrieves_the_generator_mode(
    index, gen_mode, cause, changes, features, asset_type
):
    """The query the guidance builds (cause words, asset type, profile) ranks the mode first."""
    query = " ".join(
        w for w in (CAUSE_WORDS[cause], asset_type, symptom_profile(factors_for(**changes), features)) if w
    )
    assert index.rank_modes(query)[0][0] in GENERATOR_MODE_MAP[gen_mode], (query, index.rank_modes(query)[:3])


def test_only_the_strongest_band_evidence_speaks_and_it_is_weighted():
    words = symptom_profile(
        [], {"envelope_bpfo_ratio": 40.0, "envelope_bpfi_ratio": 6.0, "vibration_2x_ratio": 4.0}
    )
    assert words.count("bpfo envelope outer race") == SPECTRAL_WEIGHT
    assert "bpfi" not in words and "2x order" not in words
    # of a pair, the smaller ratio never speaks even when it is the only one over its threshold
    words = symptom_profile([], {"vibration_1x_ratio": 2.0, "vibration_2x_ratio": 3.0})
    assert "2x order" in words and "1x order" not in words
    words = symptom_profile([], {"vibration_1x_ratio": 3.0, "vibration_2x_ratio": 1.0})
    assert "1x order" in words and "2x order" not in words


def test_band_ratios_below_threshold_or_missing_add_no_words():
    assert symptom_profile([], QUIET_BANDS) == ""
    assert symptom_profile([], {"envelope_bpfo_ratio": 1.9, "vibration_1x_ratio": 1.4}) == ""
    assert symptom_profile([], {"envelope_bpfo_ratio": None, "vibration_2x_ratio": float("nan")}) == ""


def test_power_factor_drop_explains_the_heat_before_a_cooling_fault_does():
    both = symptom_profile([], {"power_factor_drop": 0.05, "temperature_rise_excess_c": 8.0})
    assert "power factor below baseline" in both and "cooling" not in both
    hot = symptom_profile([], {"power_factor_drop": 0.01, "temperature_rise_excess_c": 8.0})
    assert "temperature rise above ambient higher than baseline" in hot and "power factor" not in hot
    assert symptom_profile([], {"power_factor_drop": 0.03, "temperature_rise_excess_c": 4.0}) == ""


# --- citations, determinism, extra documents --------------------------------------------------------------


def test_citations_point_to_existing_files_and_headings(index):
    for _, changes, features in PROFILES:
        for hit in index.search(symptom_profile(factors_for(**changes), features), k=5):
            path = REPO / hit.file
            assert path.is_file() and path.parent == DEFAULT_LIBRARY
            text = path.read_text(encoding="utf-8")
            parts = hit.heading.split(" > ")
            assert re.search(rf"^# {re.escape(parts[0])}$", text, re.M)
            if len(parts) > 1:
                assert re.search(rf"^## {re.escape(parts[1])}$", text, re.M)
            assert hit.excerpt and hit.excerpt in text
            assert hit.citation == f"{hit.file} § {hit.heading}"
            assert hit.score > 0


def test_deterministic_ordering(index):
    q = "vibration rms high zone c kurtosis high"
    a = [h.to_dict() for h in index.search(q, k=10)]
    b = [h.to_dict() for h in KnowledgeIndex.build().search(q, k=10)]
    assert a == b
    scores = [h["score"] for h in a]
    assert scores == sorted(scores, reverse=True)
    # a query that matches nothing returns nothing
    assert index.search("zzzz qqqq", k=3) == []
    assert index.search("", k=3) == []


def test_tie_break_by_file_then_order():
    idx = KnowledgeIndex.build(
        extra_documents=[{"id": "b", "text": "xylophone"}, {"id": "a", "text": "xylophone"}]
    )
    hits = idx.search("xylophone", k=5)
    assert [h.file for h in hits] == ["note:a", "note:b"]


def test_extra_documents_are_retrievable():
    note = {
        "id": "alert-42",
        "mode": "bearing_outer",
        "title": "Resolved: PUMP-07 bearing",
        "text": "Drive-end bearing replaced; grease contaminated with water; seal renewed. Vibration back to zone A.",
    }
    idx = KnowledgeIndex.build(extra_documents=[note])
    hits = idx.search("grease contaminated water seal", k=3)
    assert hits[0].file == "note:alert-42" and hits[0].mode == "bearing_outer"
    assert hits[0].heading == "Resolved: PUMP-07 bearing"


def test_tokenizer():
    assert tokenize("2\u00d7 running speed, BPFO at 0.5x; ISO 10816-3") == [
        "2x",
        "running",
        "speed",
        "bpfo",
        "at",
        "0",
        "5x",
        "iso",
        "10816",
        "3",
    ]
