"""The vocabulary of Sensor Event v1: signal names, their ranges and the schema version.

The one place the contract's signal names are written (docs/CONTRACTS.md §1.1 readings,
§4 derived signals). The ingest gate (`ingestion.schemas`), the stored `events` columns
(ingestion, analytics, the signals API) and the digital twin (`generator`, which imports no
app) all take them from here, so a new signal is added once (docs/ARCHITECTURE.md, "Add a
signal"). Pure data: no Django, no pydantic.
"""

from __future__ import annotations

SCHEMA_VERSION = "1.0"

#: readings every event carries
REQUIRED_SIGNALS: tuple[str, ...] = (
    "voltage_v",
    "current_a",
    "power_factor",
    "frequency_hz",
    "temperature_c",
    "vibration_rms_mm_s",
)
#: spectral band values of condition-monitoring sensors (optional): they tell the vibration
#: faults apart
SPECTRAL_SIGNALS: tuple[str, ...] = (
    "vibration_1x_mm_s",
    "vibration_2x_mm_s",
    "envelope_bpfo_g",
    "envelope_bpfi_g",
)
#: readings an event may carry
OPTIONAL_SIGNALS: tuple[str, ...] = (
    "vibration_peak_g",
    "vibration_kurtosis",
    "rpm",
    "ambient_temperature_c",
    *SPECTRAL_SIGNALS,
)
#: every reading of the event contract, in its order
SIGNAL_FIELDS: tuple[str, ...] = REQUIRED_SIGNALS + OPTIONAL_SIGNALS
#: what ingest derives from voltage, current and power factor (§4), in the order
#: `ingestion.derived.derived_columns` returns them
DERIVED_SIGNALS: tuple[str, ...] = ("apparent_power_kva", "power_kw", "reactive_power_kvar")
#: the numeric fields of a stored `events` point (§5.2): the readings, then the derived signals
EVENT_SIGNALS: tuple[str, ...] = SIGNAL_FIELDS + DERIVED_SIGNALS

#: (lower, lower_inclusive, upper, upper_inclusive) of every reading: the single table of
#: ranges (the ingest gate refuses, the twin clips); docs/CONTRACTS.md §1.1 lists the same
#: numbers, change both together
FIELD_RANGES: dict[str, tuple[float, bool, float, bool]] = {
    "voltage_v": (0.0, False, 1000.0, True),
    "current_a": (0.0, True, 10_000.0, True),
    "power_factor": (0.0, True, 1.0, True),
    "frequency_hz": (45.0, True, 55.0, True),
    "temperature_c": (-50.0, True, 250.0, True),
    "vibration_rms_mm_s": (0.0, True, 100.0, True),
    "vibration_peak_g": (0.0, True, 500.0, True),
    "vibration_kurtosis": (0.0, True, 1000.0, True),
    "rpm": (0.0, True, 100_000.0, True),
    "ambient_temperature_c": (-50.0, True, 80.0, True),
    "vibration_1x_mm_s": (0.0, True, 100.0, True),
    "vibration_2x_mm_s": (0.0, True, 100.0, True),
    "envelope_bpfo_g": (0.0, True, 500.0, True),
    "envelope_bpfi_g": (0.0, True, 500.0, True),
}
