"""Detection benchmark: anomaly-score separability, detection lead time, false positives, and the
alert-level figures (alerted before failure, alert lead, false alerts, retrieved failure mode).

Fleets (benchmarks/_fleet_eval.py): per seed, 6 faulty assets (one per failure mode, onset 4-5 days
into the run, i.e. after the 72 h default baseline window; failure 4-7.5 days later) + 4 healthy
assets, 60 s interval, 14 days, each fleet loaded through `register_fleet` + `import_events` (the
whole pipeline) in its own SQLite data dir. Definitions (all in event time):

* AUC: ROC AUC of the per-event `anomaly_score` (measurement `scores`), positives = scored events of
  a faulty asset in its degradation period [degrading_start, failure_time) (the generator's
  `degrading` phase), negatives = scored events of the healthy assets after their baseline window.
  Only events of steady running are scored (CONTRACTS §6.7: not stopped, not within 1 h of a
  start). Per mode: that mode's positives (all seeds) against all healthy negatives.
* Threshold theta = 99th percentile of all healthy assets' event scores (all fleets pooled).
* Detection statistic S(t) = median of the scored events' scores in the trailing hour (t - 1 h, t],
  evaluated at scored events.
* The same AUC, lead and FPR are also reported over *all* events after the baseline window, every
  unscored event counted at the healthy median score (`*_all_events`): the definition used before
  stopped machines went unscored, for comparison.
* Detection time = start of the final run of events with S > theta that lasts until the failure
  (S stays above theta at every event from then until failure_time); no such run -> not
  detected, lead 0. Lead = failure_time - detection time; lead fraction = lead / (failure_time -
  degrading_start) (the degradation period; > 1 means detected in the incipient phase). A fault
  whose asset has no active model (baseline validation failed) has no scores: lead 0.
* Healthy FPR = share of healthy clock hours (after the baseline window, >= 30 scored events)
  whose median score is above theta, i.e. S sampled at whole hours. Per mode: the same on the
  pre-onset hours of that mode's faulty assets (their own healthy period after the baseline).
* Alerts: a fault is alerted when an alert of cause risk_high, risk_critical or rule:* opened for
  its asset with onset <= opened_at < failure_time, excluding site-wide supply alerts (the same
  cause opened on a healthy asset of the same fleet within +-1 h: grid sags / frequency
  excursions, not the fault). Alert lead = failure_time - first such opened_at (0 if none),
  as a fraction of the degradation period; medians over all faults.
* False alerts: every alert opened on a healthy asset except `no_data` (reported separately),
  per healthy asset-month (30.44 days of that asset's event span); by cause, and how many supply
  alerts coincide with a labelled grid event.
* Site supply alerts (asset = null, CONTRACTS §15.6; one fleet = one site): counted separately, per
  site-month (the fleet's event span), by cause, and how many coincide with a labelled grid event
  (opened within [start - 30 min, end + 1 h] of one: the persistence needs two grid points). The
  per-asset view of them is reported too (`false_alerts_per_asset_month_incl_site`): every site
  alert counted once on every healthy asset of its site, as if each machine had raised it (the
  definition before site alerts), so nothing is hidden.
* Top-1 mode: the first qualifying alert's `guidance.likely_mode` (as last updated while the alert
  was active) mapped to generator modes by the `generator_modes:` line of its docs/knowledge file
  (e.g. insulation and voltage_unbalance -> electrical); correct when it contains the true mode.

    python benchmarks/detection.py [--quick] [--seeds 1 2 3 4 5 6] [--jobs 2] [--no-cache]

The last output line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import rankdata  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fleet_eval as fe  # noqa: E402

GOALS = {
    "auc": 0.95,
    "median_lead_fraction": 0.5,
    "healthy_fpr": 0.01,
    "alerted_before_failure": 1.0,
    "false_alerts_per_asset_month": 1.0,
    "top1_mode_accuracy": 0.8,
    "open_incidents_at_failure_max": 1,
    "resolve_cycles_max": 1,
    "notifications_per_fault_max": 3,
}
# transitions that send a notification from the event-time grid (CONTRACTS §15.4); escalations and
# reminders are wall clock and do not happen in a replay
NOTIFYING = {"opened", "raised", "reopened", "resolved"}
DETECT_CAUSES_RISK = {"risk_high", "risk_critical"}
SUPPLY_CAUSES = {"rule:voltage_band", "rule:frequency_band", "rule:low_pf"}
MONTH_S = 30.4375 * 86400
HOUR_MIN_EVENTS = 30
SITEWIDE_S = 3600


def mode_map() -> dict[str, set[str]]:
    """knowledge-base mode -> generator modes: the platform's own mapping
    (assessment.knowledge.GENERATOR_MODE_MAP, the same as the `generator_modes:` lines of
    docs/knowledge/*.md), e.g. voltage_unbalance and insulation -> electrical."""
    sys.path.insert(0, str(fe.ROOT))
    from assessment.knowledge import GENERATOR_MODE_MAP

    out: dict[str, set[str]] = defaultdict(set)
    for gen, kb_modes in GENERATOR_MODE_MAP.items():
        for m in kb_modes:
            out[m].add(gen)
    return dict(out)


def auc(pos: np.ndarray, neg: np.ndarray) -> float | None:
    if not len(pos) or not len(neg):
        return None
    ranks = rankdata(np.concatenate([pos, neg]))
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def series(rec: dict, key: str = "scores") -> pd.Series:
    return pd.Series(
        np.asarray(rec[key], dtype=float),
        index=pd.to_datetime(np.asarray(rec["scores_t"], dtype="int64"), unit="s", utc=True),
    )


def series_all(rec: dict, fill: float) -> pd.Series:
    """Scores of every event after the baseline window: the unscored ones (machine not running
    steadily) at ``fill`` (the healthy median score) - the old all-events definition."""
    s = series(rec)
    extra = rec.get("unscored_t") or []
    if not extra:
        return s
    more = pd.Series(fill, index=pd.to_datetime(np.asarray(extra, dtype="int64"), unit="s", utc=True))
    return pd.concat([s, more]).sort_index()


def rolling_median(s: pd.Series) -> pd.Series:
    return s.rolling("1h").median() if len(s) else s


def hourly_medians(s: pd.Series, start: float | None = None, end: float | None = None) -> np.ndarray:
    if start is not None:
        s = s[s.index >= pd.Timestamp(start, unit="s", tz="UTC")]
    if end is not None:
        s = s[s.index < pd.Timestamp(end, unit="s", tz="UTC")]
    if not len(s):
        return np.array([])
    g = s.groupby(s.index.floor("h"))
    med, cnt = g.median(), g.size()
    return med[cnt >= HOUR_MIN_EVENTS].to_numpy()


def first_crossing_lead(s: pd.Series, onset: float, failure: float, theta: float) -> float:
    """Diagnostic: failure - first time after onset that S > theta (0 if never)."""
    s = s[
        (s.index >= pd.Timestamp(onset, unit="s", tz="UTC"))
        & (s.index < pd.Timestamp(failure, unit="s", tz="UTC"))
    ]
    idx = np.flatnonzero(rolling_median(s).to_numpy() > theta) if len(s) else []
    return failure - s.index[idx[0]].timestamp() if len(idx) else 0.0


def detection_lead(s: pd.Series, failure: float, theta: float) -> tuple[float, float | None]:
    """(lead seconds, detection time) for the final run of S > theta that lasts until failure."""
    s = s[s.index < pd.Timestamp(failure, unit="s", tz="UTC")]
    if not len(s):
        return 0.0, None
    above = rolling_median(s).to_numpy() > theta
    if not above[-1]:
        return 0.0, None
    below = np.flatnonzero(~above)
    i = below[-1] + 1 if len(below) else 0
    t_d = s.index[i].timestamp()
    return failure - t_d, t_d


def fmt(x, spec=".3f") -> str:
    return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def median_or_none(xs) -> float | None:
    return float(np.median(xs)) if len(xs) else None


def _openings(a: dict) -> list[tuple[str, float]]:
    """(cause, first event time) of what an alert raised: an equipment incident's conditions, or
    the alert's own cause (no_data, records made before incidents)."""
    conds = a.get("conditions") or []
    if conds:
        return [(c["cause"], fe.ts(c["first_seen_at"])) for c in conds]
    return [(a["cause"], fe.ts(a["opened_at"]))]


def _opening_cause(a: dict) -> str:
    return min(_openings(a), key=lambda x: x[1])[0]


def _incident_figures(alerts: list[dict], onset: float, failure: float) -> dict:
    """Per fault: equipment incidents open at the failure, severity changes, open/resolve cycles
    (automatic or manual resolutions) and notifications sent in [onset, failure]."""
    equipment = [a for a in alerts if a.get("kind", "equipment") == "equipment" and a["cause"] != "no_data"]
    open_at_failure = changes = cycles = sent = 0
    for a in equipment:
        state_open = False
        for t in sorted(a.get("transitions", []), key=lambda t: t["event_time"]):
            u = fe.ts(t["event_time"])
            if u > failure:
                break
            if t["action"] in ("opened", "reopened"):
                state_open = True
            elif t["action"] == "resolved":
                state_open = False
            if u < onset:
                continue
            changes += t["action"] in ("raised", "lowered")
            cycles += t["action"] == "resolved"
            sent += t["action"] in NOTIFYING
        open_at_failure += state_open
    return {
        "open_incidents_at_failure": open_at_failure,
        "severity_changes": changes,
        "resolve_cycles": cycles,
        "notifications": sent,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fe.add_common_args(p)
    args = p.parse_args(argv)
    configs = fe.configs_from_args(args)
    config = fe.describe(configs)
    print("config:", json.dumps(config), flush=True)
    t0 = time.perf_counter()
    fleets = fe.run_fleets(configs, jobs=args.jobs, use_cache=not args.no_cache, keep=args.keep)
    wall = time.perf_counter() - t0
    kb = mode_map()

    # --- scores -------------------------------------------------------------------------------
    faults, healthy = [], []  # healthy: (seed, asset_id, rec)
    for fleet in fleets:
        fs, hs = fe.faults_of(fleet)
        faults += fs
        healthy += [(fleet["config"]["seed"], h, fleet["assets"][h]) for h in hs]
    neg = np.concatenate([np.asarray(r["scores"], dtype=float) for _, _, r in healthy] or [np.array([])])
    no_model_healthy = sorted(f"s{s}:{a}" for s, a, r in healthy if fe.active_window_end(r) is None)
    theta = float(np.percentile(neg, 99)) if len(neg) else float("nan")
    healthy_hours = np.concatenate([hourly_medians(series(r)) for _, _, r in healthy] or [np.array([])])
    # the old definition: every event after the baseline window, unscored ones at the healthy median
    fill = float(np.median(neg)) if len(neg) else 0.0
    neg_all = np.concatenate([series_all(r, fill).to_numpy() for _, _, r in healthy] or [np.array([])])
    theta_all = float(np.percentile(neg_all, 99)) if len(neg_all) else float("nan")
    healthy_hours_all = np.concatenate(
        [hourly_medians(series_all(r, fill)) for _, _, r in healthy] or [np.array([])]
    )

    rows = []
    for f in faults:
        s = series(f.record)
        in_deg = (s.index >= pd.Timestamp(f.degrading_start, unit="s", tz="UTC")) & (
            s.index < pd.Timestamp(f.failure, unit="s", tz="UTC")
        )
        pos = s[in_deg].to_numpy()
        s_all = series_all(f.record, fill)
        in_deg_all = (s_all.index >= pd.Timestamp(f.degrading_start, unit="s", tz="UTC")) & (
            s_all.index < pd.Timestamp(f.failure, unit="s", tz="UTC")
        )
        lead, _ = detection_lead(s, f.failure, theta)
        lead_all, _ = detection_lead(s_all, f.failure, theta_all)
        lead_05, _ = detection_lead(s, f.failure, 0.5)
        pre = hourly_medians(s, end=f.onset)
        rows.append(
            {
                "fault": f,
                "pos": pos,
                "pos_all": s_all[in_deg_all].to_numpy(),
                "lead_fraction_all": lead_all / f.degradation_s,
                "pre_hours_all": hourly_medians(s_all, end=f.onset),
                "auc": auc(pos, neg),
                "first_crossing_fraction": first_crossing_lead(s, f.onset, f.failure, theta)
                / f.degradation_s,
                "lead_s": lead,
                "lead_fraction": lead / f.degradation_s,
                "lead_fraction_onset": lead / (f.failure - f.onset),
                "lead_fraction_05": lead_05 / f.degradation_s,
                "pre_hours": pre,
                "has_model": fe.active_window_end(f.record) is not None,
            }
        )

    def summary(rs: list[dict], fpr_hours: np.ndarray, fpr_hours_all: np.ndarray) -> dict:
        pos = np.concatenate([r["pos"] for r in rs] or [np.array([])])
        leads = [r["lead_fraction"] for r in rs]
        pos_all = np.concatenate([r["pos_all"] for r in rs] or [np.array([])])
        return {
            "n_faults": len(rs),
            "auc": auc(pos, neg),
            "all_events": {
                "auc": auc(pos_all, neg_all),
                "median_lead_fraction": median_or_none([r["lead_fraction_all"] for r in rs]),
                "detected": int(sum(r["lead_fraction_all"] > 0 for r in rs)),
                "healthy_fpr": float((fpr_hours_all > theta_all).mean()) if len(fpr_hours_all) else None,
            },
            "median_score_degrading": float(np.median(pos)) if len(pos) else None,
            "median_first_crossing_fraction": median_or_none([r["first_crossing_fraction"] for r in rs]),
            "median_lead_fraction": median_or_none(leads),
            "median_lead_days": median_or_none([r["lead_s"] / 86400 for r in rs]),
            "median_lead_fraction_of_onset_to_failure": median_or_none(
                [r["lead_fraction_onset"] for r in rs]
            ),
            "detected": int(sum(r["lead_s"] > 0 for r in rs)),
            "healthy_fpr": float((fpr_hours > theta).mean()) if len(fpr_hours) else None,
            "healthy_hours": len(fpr_hours),
            "no_model": int(sum(not r["has_model"] for r in rs)),
            "at_threshold_0_5": {
                "median_lead_fraction": median_or_none([r["lead_fraction_05"] for r in rs]),
                "healthy_fpr": float((fpr_hours > 0.5).mean()) if len(fpr_hours) else None,
            },
        }

    modes = config["modes"]
    per_mode = {
        m: summary(
            [r for r in rows if r["fault"].mode == m],
            np.concatenate([r["pre_hours"] for r in rows if r["fault"].mode == m] or [np.array([])]),
            np.concatenate([r["pre_hours_all"] for r in rows if r["fault"].mode == m] or [np.array([])]),
        )
        for m in modes
    }
    overall = summary(rows, healthy_hours, healthy_hours_all)
    overall["theta"] = theta
    overall["healthy_events"] = len(neg)
    overall["healthy_median_score"] = fill
    overall["all_events"]["theta"] = theta_all
    overall["healthy_unscored_share"] = 1.0 - len(neg) / len(neg_all) if len(neg_all) else None
    overall["healthy_assets_without_model"] = no_model_healthy

    # --- alerts -----------------------------------------------------------------------------------
    arows, false_alerts = [], Counter()
    grid_explained = 0
    healthy_span_s = 0.0
    site_alerts, site_at_grid, site_span_s, site_as_asset = Counter(), 0, 0.0, 0
    for fleet in fleets:
        seed = fleet["config"]["seed"]
        fs, hs = fe.faults_of(fleet)
        grid = [
            (fe.ts(g["start"]), fe.ts(g["end"])) for g in fleet["labels"] if g.get("type") == "grid_event"
        ]
        firsts = [fe.ts(r["first_event"]) for r in fleet["assets"].values() if r["first_event"]]
        lasts = [fe.ts(r["last_event"]) for r in fleet["assets"].values() if r["last_event"]]
        if firsts:
            site_span_s += max(lasts) - min(firsts)
        for a in fleet.get("site_alerts", []):
            t = fe.ts(a["opened_at"])
            site_alerts[a["cause"]] += 1
            site_as_asset += len(hs)
            if any(gs - 1800 <= t <= ge + 3600 for gs, ge in grid):
                site_at_grid += 1
        healthy_open = defaultdict(list)
        for h in hs:
            rec = fleet["assets"][h]
            if rec["first_event"]:
                healthy_span_s += fe.ts(rec["last_event"]) - fe.ts(rec["first_event"])
            for a in rec["alerts"]:
                t = fe.ts(a["opened_at"])
                for c, u in _openings(a):
                    healthy_open[c].append(u)
                cause = _opening_cause(a)
                # an incident reopened after a relapse counts once more
                false_alerts[cause] += 1 + a.get("reopen_count", 0)
                if cause in ("rule:voltage_band", "rule:frequency_band") and any(
                    gs <= t and ge >= t - 1800 for gs, ge in grid
                ):
                    grid_explained += 1
        for f in fs:
            qual = []
            for a in f.record["alerts"]:
                for c, t in _openings(a):
                    if not (c in DETECT_CAUSES_RISK or c.startswith("rule:")):
                        continue
                    if not (f.onset <= t < f.failure):
                        continue
                    if any(abs(t - u) <= SITEWIDE_S for u in healthy_open.get(c, [])):
                        continue
                    qual.append((t, {**a, "cause": c}))
            qual.sort(key=lambda x: x[0])
            first = qual[0][1] if qual else None
            lead = f.failure - qual[0][0] if qual else 0.0
            likely = first["likely_mode"] if first else None
            arows.append(
                {
                    "seed": seed,
                    "asset_id": f.asset_id,
                    "asset_type": f.asset_type,
                    "mode": f.mode,
                    "alerted": bool(qual),
                    "first_cause": first["cause"] if first else None,
                    "lead_days": lead / 86400,
                    "lead_fraction": lead / f.degradation_s,
                    "likely_mode": likely,
                    "top1_correct": None if first is None else f.mode in kb.get(likely or "", set()),
                    "any_correct": any(f.mode in kb.get(a["likely_mode"] or "", set()) for _, a in qual),
                    **_incident_figures(f.record["alerts"], f.onset, f.failure),
                }
            )
    months = healthy_span_s / MONTH_S
    n_false = sum(v for k, v in false_alerts.items() if k != "no_data")
    equip_false = sum(v for k, v in false_alerts.items() if k != "no_data" and k not in SUPPLY_CAUSES)
    site_months = site_span_s / MONTH_S
    n_site = sum(site_alerts.values())
    alerted = [r for r in arows if r["alerted"]]
    top1 = [r["top1_correct"] for r in alerted]
    alerts = {
        "open_incidents_at_failure_max": max((r["open_incidents_at_failure"] for r in arows), default=None),
        "severity_changes_max": max((r["severity_changes"] for r in arows), default=None),
        "resolve_cycles_max": max((r["resolve_cycles"] for r in arows), default=None),
        "notifications_per_fault_max": max((r["notifications"] for r in arows), default=None),
        "notifications_per_fault_median": float(np.median([r["notifications"] for r in arows]))
        if arows
        else None,
        "n_faults": len(arows),
        "alerted_before_failure": (len(alerted) / len(arows)) if arows else None,
        "median_lead_fraction": median_or_none([r["lead_fraction"] for r in arows]),
        "median_lead_days": median_or_none([r["lead_days"] for r in arows]),
        "false_alerts_per_asset_month": n_false / months if months else None,
        "false_equipment_alerts_per_asset_month": equip_false / months if months else None,
        "false_alerts_by_cause": dict(sorted((k, v) for k, v in false_alerts.items() if k != "no_data")),
        "band_alerts_at_labelled_grid_events": grid_explained,
        "no_data_alerts_per_asset_month": false_alerts.get("no_data", 0) / months if months else None,
        "false_alerts_per_asset_month_incl_site": (n_false + site_as_asset) / months if months else None,
        "site_supply_alerts_per_site_month": n_site / site_months if site_months else None,
        "site_supply_alerts_by_cause": dict(sorted(site_alerts.items())),
        "site_supply_alerts_at_labelled_grid_events": site_at_grid,
        "site_months": site_months,
        "healthy_asset_months": months,
        "top1_mode_accuracy": (sum(top1) / len(top1)) if top1 else None,
        "any_alert_mode_accuracy": (sum(r["any_correct"] for r in alerted) / len(alerted))
        if alerted
        else None,
        "per_mode": {
            m: {
                "alerted_before_failure": float(np.mean([r["alerted"] for r in arows if r["mode"] == m]))
                if any(r["mode"] == m for r in arows)
                else None,
                "median_lead_fraction": median_or_none([r["lead_fraction"] for r in arows if r["mode"] == m]),
                "top1_mode_accuracy": float(np.mean([r["top1_correct"] for r in alerted if r["mode"] == m]))
                if any(r["mode"] == m for r in alerted)
                else None,
            }
            for m in modes
        },
    }

    # --- report -------------------------------------------------------------------------------------
    print(f"healthy threshold theta (p99 of {len(neg)} healthy event scores) = {theta:.4f}")
    if no_model_healthy:
        print(f"healthy assets without an active model (no scores): {', '.join(no_model_healthy)}")
    print("\nper fault (score detection | alerts):")
    print(
        f"{'seed':>4} {'asset':8} {'mode':14} {'ttf_d':>5} {'deg_d':>5} {'model':>5} {'AUC':>6} "
        f"{'lead_d':>6} {'lead/deg':>8} | {'alert':>5} {'first cause':20} {'lead/deg':>8} "
        f"{'open@F':>6} {'sev':>3} {'res':>3} {'ntf':>3} likely mode"
    )
    for r, a in zip(rows, arows, strict=True):
        f = r["fault"]
        print(
            f"{f.fleet:>4} {f.asset_id:8} {f.mode:14} {(f.failure - f.onset) / 86400:5.2f} "
            f"{f.degradation_s / 86400:5.2f} {'yes' if r['has_model'] else 'NO':>5} {fmt(r['auc']):>6} "
            f"{r['lead_s'] / 86400:6.2f} {r['lead_fraction']:8.2f} | {'yes' if a['alerted'] else 'NO':>5} "
            f"{a['first_cause'] or '-':20} {a['lead_fraction']:8.2f} {a['open_incidents_at_failure']:>6} "
            f"{a['severity_changes']:>3} {a['resolve_cycles']:>3} {a['notifications']:>3} {a['likely_mode'] or '-'}"
            + ("" if a["top1_correct"] is None else (" ok" if a["top1_correct"] else " WRONG"))
        )
    print(f"\nanomaly score per mode (theta {theta:.3f}; lead = fraction of [degrading_start, failure)):")
    print(
        f"{'mode':14} {'n':>3} {'AUC':>6} {'AUCall':>6} {'med_s':>6} {'lead/deg':>8} {'lead_d':>6} {'det':>4} "
        f"{'1st_x/deg':>9} {'FPR':>7} {'lead/deg@0.5':>12} {'FPR@0.5':>8}"
    )
    for m, v in [*per_mode.items(), ("overall", overall)]:
        print(
            f"{m:14} {v['n_faults']:>3} {fmt(v['auc']):>6} {fmt(v['all_events']['auc']):>6} "
            f"{fmt(v['median_score_degrading']):>6} {fmt(v['median_lead_fraction'], '.2f'):>8} "
            f"{fmt(v['median_lead_days'], '.2f'):>6} {v['detected']:>4} "
            f"{fmt(v['median_first_crossing_fraction'], '.2f'):>9} {fmt(v['healthy_fpr'], '.4f'):>7} "
            f"{fmt(v['at_threshold_0_5']['median_lead_fraction'], '.2f'):>12} "
            f"{fmt(v['at_threshold_0_5']['healthy_fpr'], '.4f'):>8}"
        )
    print(
        "(scored events only: steady running. AUCall: all events, unscored at the healthy median; med_s:\n"
        " median score in the degradation period; 1st_x: first time S > theta after onset, diagnostic; FPR:\n"
        " overall = healthy assets' hours, per mode = that mode's assets' hours between baseline and onset)"
    )
    ov_all = overall["all_events"]
    print(
        f"all events (old definition; unscored = healthy median {fill:.3f}, theta {theta_all:.3f}, "
        f"{fmt(overall['healthy_unscored_share'], '.3f')} of healthy events unscored): AUC "
        f"{fmt(ov_all['auc'])}, median lead {fmt(ov_all['median_lead_fraction'], '.2f')} "
        f"({ov_all['detected']} detected), healthy FPR {fmt(ov_all['healthy_fpr'], '.4f')}"
    )
    print("\nalerts:")
    for k in (
        "alerted_before_failure",
        "open_incidents_at_failure_max",
        "severity_changes_max",
        "resolve_cycles_max",
        "notifications_per_fault_max",
        "notifications_per_fault_median",
        "median_lead_fraction",
        "median_lead_days",
        "false_alerts_per_asset_month",
        "false_equipment_alerts_per_asset_month",
        "no_data_alerts_per_asset_month",
        "false_alerts_per_asset_month_incl_site",
        "site_supply_alerts_per_site_month",
        "top1_mode_accuracy",
        "any_alert_mode_accuracy",
    ):
        print(f"  {k:40} {fmt(alerts[k])}")
    print(
        f"  false alerts by cause (healthy assets, {months:.2f} asset-months): {alerts['false_alerts_by_cause']}"
        f"; band alerts at labelled grid events: {grid_explained}"
    )
    print(
        f"  site supply alerts ({site_months:.2f} site-months): {alerts['site_supply_alerts_by_cause']}; "
        f"at labelled grid events: {site_at_grid} of {n_site}"
    )

    checks = {
        "auc": (overall["auc"], ">="),
        "median_lead_fraction": (overall["median_lead_fraction"], ">="),
        "healthy_fpr": (overall["healthy_fpr"], "<="),
        "alerted_before_failure": (alerts["alerted_before_failure"], ">="),
        "alerts.median_lead_fraction": (alerts["median_lead_fraction"], ">="),
        "false_alerts_per_asset_month": (alerts["false_alerts_per_asset_month"], "<="),
        "top1_mode_accuracy": (alerts["top1_mode_accuracy"], ">="),
        "alerts.open_incidents_at_failure_max": (alerts["open_incidents_at_failure_max"], "<="),
        "alerts.resolve_cycles_max": (alerts["resolve_cycles_max"], "<="),
        "alerts.notifications_per_fault_max": (alerts["notifications_per_fault_max"], "<="),
    }
    goals = {}
    print("\ngoals:")
    for k, (v, op) in checks.items():
        g = GOALS[k.split(".")[-1]]
        ok = v is not None and (v >= g if op == ">=" else v <= g)
        goals[k] = {"value": v, "goal": f"{op} {g}", "met": ok}
        print(f"  {k:32} {fmt(v):>8} {op} {g:<6} {'met' if ok else 'MISSED'}")
    fleet_wall = [f.get("wall_s") for f in fleets if not f.get("cached")]
    print(f"\nwall {wall:.0f} s ({len(fleet_wall)} fleets simulated, {len(fleets) - len(fleet_wall)} cached)")

    result = {
        "benchmark": "detection",
        "config": config,
        "overall": overall,
        "per_mode": per_mode,
        "alerts": alerts,
        "goals": goals,
        "faults": [
            {
                "seed": r["fault"].fleet,
                "asset_id": r["fault"].asset_id,
                "asset_type": r["fault"].asset_type,
                "mode": r["fault"].mode,
                "auc": r["auc"],
                "lead_fraction": r["lead_fraction"],
                "alert_lead_fraction": a["lead_fraction"],
                "alert_cause": a["first_cause"],
                "open_incidents_at_failure": a["open_incidents_at_failure"],
                "severity_changes": a["severity_changes"],
                "resolve_cycles": a["resolve_cycles"],
                "notifications": a["notifications"],
                "likely_mode": a["likely_mode"],
            }
            for r, a in zip(rows, arows, strict=True)
        ],
        "wall_s": wall,
        "fleet_wall_s": [f.get("wall_s") for f in fleets],
    }
    print(json.dumps(result, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
