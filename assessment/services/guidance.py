"""Guidance for alerts (docs/CONTRACTS.md §15.5): top knowledge passages, likely mode, actions.

The library index is built once per process; each tenant's index adds the notes of its manually
resolved alerts and is rebuilt only when a new note appears.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Count, Max

from ingestion.models import Asset, Tenant

from ..explain import Factor
from ..knowledge import TEMPERATURE_EXCESS_WORDS, KnowledgeIndex, default_index, symptom_profile
from ..models import Alert, AlertCause, AlertState, Resolution

CAUSE_WORDS: dict[str, str] = {
    # risk causes add no words: the level is not a symptom, the factors describe it
    AlertCause.RISK_CRITICAL: "",
    AlertCause.RISK_HIGH: "",
    AlertCause.VIBRATION_ZONE_D: "vibration rms high zone d",
    AlertCause.TEMPERATURE_LIMIT: "temperature high limit",
    AlertCause.OVERCURRENT: "overload current high overcurrent",
    AlertCause.TEMPERATURE_RISE: TEMPERATURE_EXCESS_WORDS,
    AlertCause.VOLTAGE_BAND: "voltage deviation band",
    AlertCause.FREQUENCY_BAND: "frequency excursion band",
    AlertCause.LOW_PF: "power factor low",
    AlertCause.NO_DATA: "no data stale sensor data loss",
}
VIBRATION_CAUSES = {AlertCause.RISK_CRITICAL, AlertCause.RISK_HIGH, AlertCause.VIBRATION_ZONE_D}
TOP_K = 3
DISCLAIMER = "Guidance from the failure-mode library, to help the maintenance team; not a diagnosis."

_lock = threading.Lock()
_tenant_indexes: dict[int, tuple[tuple[int, Any], KnowledgeIndex]] = {}


def _notes_query(tenant: Tenant):
    return Alert.objects.filter(
        tenant=tenant, state=AlertState.RESOLVED, resolution=Resolution.MANUAL
    ).exclude(note="")


def knowledge_index_for(*, tenant: Tenant) -> KnowledgeIndex:
    """The library plus this tenant's resolution notes (cached until a new note is written)."""
    agg = _notes_query(tenant).aggregate(n=Count("id"), last=Max("resolved_at"))
    key = (agg["n"], agg["last"])
    with _lock:
        cached = _tenant_indexes.get(tenant.pk)
        if cached is not None and cached[0] == key:
            return cached[1]
    base = default_index()
    if not agg["n"]:
        index = base
    else:
        notes = [
            {
                "id": str(a.pk),
                "mode": (a.guidance or {}).get("likely_mode") or "unknown",
                "title": f"Resolution note: {a.cause} on {a.subject}",
                "text": f"{a.note}\n{CAUSE_WORDS.get(a.cause, '')}",
            }
            for a in _notes_query(tenant).select_related("asset").order_by("resolved_at", "pk")
        ]
        index = base.with_documents(notes)
    with _lock:
        _tenant_indexes[tenant.pk] = (key, index)
    return index


def bearing_frequencies(asset: Asset, rpm: float | None = None) -> dict[str, float] | None:
    """BPFO/BPFI/BSF/FTF in Hz (docs/CONTRACTS.md §3.2), or None without bearing geometry."""
    if not asset.has_bearing_geometry:
        return None
    # has_bearing_geometry: every bearing field is set
    n = float(asset.bearing_n_balls)  # type: ignore[arg-type]
    d, pitch = float(asset.bearing_ball_diameter_mm), float(asset.bearing_pitch_diameter_mm)  # type: ignore[arg-type]
    fr = float(rpm if rpm and rpm > 0 else asset.rated_rpm) / 60.0
    rho = (d / pitch) * math.cos(math.radians(float(asset.bearing_contact_angle_deg)))  # type: ignore[arg-type]
    return {
        "shaft_hz": fr,
        "bpfo_hz": n / 2 * fr * (1 - rho),
        "bpfi_hz": n / 2 * fr * (1 + rho),
        "bsf_hz": pitch / (2 * d) * fr * (1 - rho**2),
        "ftf_hz": fr / 2 * (1 - rho),
    }


def guidance_build(
    *,
    index: KnowledgeIndex,
    asset: Asset,
    cause: str,
    factors: Sequence[Factor],
    features: Mapping[str, Any] | None = None,
    rpm: float | None = None,
) -> dict[str, Any]:
    """Query = cause words + asset type + the symptom words of the factors (no factor words for
    ``no_data``: the last readings say nothing about why data stopped)."""
    parts = [CAUSE_WORDS.get(cause, ""), asset.asset_type]
    if cause != AlertCause.NO_DATA:
        parts.append(symptom_profile(factors, features or {}))
    query = " ".join(p for p in parts if p)
    hits = index.search(query, k=TOP_K)
    library_file = {p.mode: p.file for p in reversed(index.passages) if not p.file.startswith("note:")}
    likely = next((m for m, _ in index.rank_modes(query) if m in library_file), None)
    actions = None
    if likely is not None:
        section = next(
            (p for p in index.passages_of(library_file[likely]) if p.heading.endswith("> Actions")),
            None,
        )
        if section is not None:
            actions = {
                "file": section.file,
                "heading": section.heading,
                "citation": section.citation,
                "text": section.text,
            }
    out: dict[str, Any] = {
        "query": query,
        "passages": [h.to_dict() for h in hits],
        "likely_mode": likely,
        "actions": actions,
        "note": DISCLAIMER,
    }
    if cause in VIBRATION_CAUSES:
        freqs = bearing_frequencies(asset, rpm)
        if freqs is not None:
            out["bearing_frequencies_hz"] = freqs
    return out
