"""What is stored for one grid point (docs/CONTRACTS.md §13.2, §13.4): the ``Assessment`` row and the
``health`` point, built from one record, and the record rebuilt from a stored row.

The explanation is rendered from the record alone (``ExplainRecord``), so a stored assessment
re-renders to the same text (``explain_record_of``) and every number in it is a stored value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...explain import ExplainRecord, Factor, explain, parse_rfc3339
from ...health import FACTORS
from ...models import RISK_CODES, Assessment
from ...rul import RulResult


@dataclass
class Record:
    """Everything stored for one assessment (Assessment row + health point)."""

    as_of: datetime
    evaluated_at: datetime
    health_score: int
    risk_level: str
    overrides: tuple[str, ...]
    rul: RulResult
    stale: bool
    baseline_missing: bool
    baseline_version: int | None
    model_version: int | None
    anomaly_score: float | None
    zone: str | None
    penalties: dict[str, float]
    factors: list[Factor]
    inputs: dict[str, Any]
    explanation: str = ""

    @property
    def steady(self) -> bool:
        """Whether the machine runs steadily at the record's as_of (`running_1h`, §6.7): the only
        readings guidance is built from (§15.5). Unknown (no feature point) counts as steady, as
        before this rule."""
        return self.inputs.get("running_1h") is not False

    def explain_record(self) -> ExplainRecord:
        lim = self.inputs.get("limits", {})
        return ExplainRecord(
            risk_level=self.risk_level,
            overrides=tuple(self.overrides),
            health_score=self.health_score,
            factors=tuple(self.factors),
            rul=self.rul,
            stale=self.stale,
            newest_event_time=parse_time(self.inputs.get("newest_event_time")),
            stale_after_s=self.inputs.get("stale_after_s"),
            baseline_missing=self.baseline_missing,
            as_of=self.as_of,
            anomaly_score_time=parse_time(self.inputs.get("anomaly_score_time")),
            anomaly_not_running=(
                not self.baseline_missing
                and self.anomaly_score is None
                and self.inputs.get("running_1h") is False
            ),
            rul_warning_days=lim.get("rul_warning_days", 7.0),
            rul_critical_days=lim.get("rul_critical_days", 2.0),
        )

    def render(self) -> None:
        self.explanation = explain(self.explain_record())

    def row_fields(self) -> dict[str, Any]:
        r = self.rul
        return {
            "evaluated_at": self.evaluated_at,
            "health_score": self.health_score,
            "risk_level": self.risk_level,
            "risk_code": RISK_CODES[self.risk_level],
            "risk_overrides": list(self.overrides),
            "rul_days": r.rul_days,
            "rul_low_days": r.low_days,
            "rul_high_days": r.high_days,
            "rul_reason": r.reason,
            "rul_channel": r.channel if r.rul_days is not None else None,
            "rul_method": r.method,
            "rul_capped": r.capped,
            "stale": self.stale,
            "baseline_missing": self.baseline_missing,
            "baseline_version": self.baseline_version,
            "model_version": self.model_version,
            "anomaly_score": self.anomaly_score,
            "explanation": self.explanation,
            "factors": [f.to_dict() for f in self.factors],
            "inputs": self.inputs,
        }

    def health_point_fields(self) -> dict[str, Any]:
        r = self.rul
        fields: dict[str, Any] = {
            "health_score": int(self.health_score),
            "risk_level": self.risk_level,
            "risk_code": int(RISK_CODES[self.risk_level]),
            "rul_days": None if r.rul_days is None else float(r.rul_days),
            "rul_low_days": None if r.low_days is None else float(r.low_days),
            "rul_high_days": None if r.high_days is None else float(r.high_days),
            "rul_reason": r.reason,
            "rul_channel": r.channel if r.rul_days is not None else None,
            "rul_capped": bool(r.capped),
            "stale": bool(self.stale),
            "baseline_missing": bool(self.baseline_missing),
            "anomaly_score": None if self.anomaly_score is None else float(self.anomaly_score),
            "vibration_zone": self.zone,
            "overrides": ",".join(self.overrides),
            "baseline_version": self.baseline_version,
            "model_version": self.model_version,
        }
        for name in FACTORS:
            fields[f"penalty_{name}"] = float(self.penalties.get(name, 0.0))
        return fields

    @classmethod
    def from_row(cls, row: Assessment) -> Record:
        factors = [Factor.from_dict(f) for f in row.factors]
        zone = next((f.zone for f in factors if f.name == "vibration"), None)
        rul = RulResult(
            row.rul_days,
            row.rul_low_days,
            row.rul_high_days,
            row.rul_reason,
            row.rul_method,
            row.rul_capped,
            row.rul_channel or (row.inputs.get("rul") or {}).get("channel") or "vibration",
        )
        return cls(
            as_of=row.as_of,
            evaluated_at=row.evaluated_at,
            health_score=row.health_score,
            risk_level=row.risk_level,
            overrides=tuple(row.risk_overrides),
            rul=rul,
            stale=row.stale,
            baseline_missing=row.baseline_missing,
            baseline_version=row.baseline_version,
            model_version=row.model_version,
            anomaly_score=row.anomaly_score,
            zone=zone,
            penalties={f.name: f.penalty for f in factors},
            factors=factors,
            inputs=dict(row.inputs),
            explanation=row.explanation,
        )


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_rfc3339(str(value))
