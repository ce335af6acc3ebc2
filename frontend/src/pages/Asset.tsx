// One machine: what is wrong (health, risk and why), how long it has (RUL), what to check
// (guidance), and its signals over the page's range with ISO zones and incident markers.
import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError, chartWindow, halfHourWindow } from "../api/client";
import type { Alert, AssetHealth, Columns, EnergySummary, Factor } from "../api/types";
import { FactorBars } from "../components/FactorBars";
import { ForecastPanel } from "../components/forecast/ForecastChart";
import { Guidance } from "../components/Guidance";
import { RiskBadge, SeverityBadge, StateBadge } from "../components/RiskBadge";
import { Rul } from "../components/Rul";
import { ErrorNote, Loading } from "../components/Status";
import { TimeChart, type Band, type Marker } from "../components/TimeChart";
import { ASSET_TYPES, causeLabel } from "../format/labels";
import { fmt, fmtAlertValue, fixed, type Quantity } from "../format/numbers";
import { age, fmtTime, toIso } from "../format/time";
import { useResource } from "../state/useResource";
import { useLayout } from "./context";

const SIGNALS = [
  "vibration_rms_mm_s",
  "temperature_c",
  "ambient_temperature_c",
  "current_a",
  "voltage_v",
  "power_factor",
  "frequency_hz",
  "power_kw",
];
const HEALTH_FIELDS = ["health_score", "anomaly_score", "risk_code"];
const FEATURES = [
  "vibration_rms_mm_s__mean_15m",
  "vibration_rms_mm_s__std_1h",
  "vibration_kurtosis__mean_15m",
  "vibration_rms_slope_mm_s_per_day",
  "temperature_rise_c",
  "power_factor__mean_1h",
];
const SEVERITY_COLOR: Record<string, string> = { warning: "#b7791f", high: "#c2410c", critical: "#a50026" };
const BLUE = "#2166ac";

/** About one point per pixel of the chart area. */
const pointBudget = () => Math.max(200, Math.min(1600, Math.round((window.innerWidth - 120) / 2)));

function limitsOf(factors: Factor[], name: string): Record<string, number> {
  const f = factors.find((x) => x.name === name);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(f?.limits ?? {})) if (typeof v === "number") out[k] = v;
  return out;
}

function isoBands(f: Factor[]): Band[] {
  const l = limitsOf(f, "vibration");
  if (!("AB" in l)) return [];
  const v = (x: number) => fixed(x, 2);
  return [
    { from: 0, to: l.AB, color: "#e4eef8", label: `Zone A < ${v(l.AB)}` },
    { from: l.AB, to: l.BC, color: "#eef5e6", label: `Zone B ${v(l.AB)}–${v(l.BC)}` },
    { from: l.BC, to: l.CD, color: "#fdf0d5", label: `Zone C ${v(l.BC)}–${v(l.CD)}` },
    { from: l.CD, to: 1e9, color: "#fbe1dc", label: `Zone D ≥ ${v(l.CD)} mm/s` },
  ];
}

const RISK_BANDS: Band[] = [
  { from: 80, to: 100, color: "#e4eef8", label: "Low ≥ 80" },
  { from: 60, to: 80, color: "#fdf6d8", label: "Medium 60–80" },
  { from: 40, to: 60, color: "#fde6d6", label: "High 40–60" },
  { from: 0, to: 40, color: "#f8d9dd", label: "Critical < 40" },
];

/** The asset's energy buckets as chart columns (bucket start; the API's values unchanged). */
function energyColumns(e: EnergySummary | null): Columns | null {
  if (!e) return null;
  const pick = (f: "energy_kwh" | "idle_energy_kwh" | "degradation_loss_kwh") => {
    const v = e.series.map((b) => b[f]);
    return { mean: v, min: v, max: v };
  };
  return {
    resolution: e.bucket,
    t: e.series.map((b) => Date.parse(b.start) / 1000),
    fields: { energy_kwh: pick("energy_kwh"), idle_energy_kwh: pick("idle_energy_kwh"), degradation_loss_kwh: pick("degradation_loss_kwh") },
  };
}

function maxOf(cols: Columns | null, field: string): number {
  let m = 0;
  for (const v of cols?.fields[field]?.max ?? []) if (v !== null && v > m) m = v;
  return m;
}

export function AssetPage() {
  const { assetId = "" } = useParams();
  const { page, markUpdated, setReportScope } = useLayout();
  const points = pointBudget();
  // a live window's end moves in steps of about a pixel: each refresh repeats the same URL and
  // gets a 304 (nothing redraws) until new data arrives
  const win = chartWindow(page.start, page.end, points, page.live);
  const startIso = toIso(win.start);
  const endIso = toIso(win.end);
  const asset = useResource(() => api.asset(assetId), [assetId]);
  const health = useResource<AssetHealth>(() => api.assetHealth(assetId), [assetId], page.tick);
  const signals = useResource(() => api.signals(assetId, SIGNALS, { start: startIso, end: endIso, points }), [assetId, startIso, endIso], page.tick);
  const history = useResource(
    () => api.healthHistory(assetId, HEALTH_FIELDS, { start: startIso, end: endIso, points }),
    [assetId, startIso, endIso],
    page.tick,
  );
  const features = useResource(() => api.features(assetId, FEATURES, { start: startIso, end: endIso, points }), [assetId, startIso, endIso], page.tick);
  const eWin = halfHourWindow(win.start, win.end);
  const eBucket = eWin.end - eWin.start > 62 * 86400e3 ? "day" : "hour";
  const energy = useResource(
    () => api.energy("asset", assetId, toIso(eWin.start), toIso(eWin.end), eBucket),
    [assetId, eWin.start, eWin.end, eBucket],
    page.tick,
  );
  const energyCols = useMemo(() => energyColumns(energy.data), [energy.data]);
  const alerts = useResource(() => api.alerts({ asset_id: assetId, opened_before: endIso, limit: 200 }), [assetId, endIso]);

  useEffect(() => setReportScope({ scope: "asset", id: assetId }), [assetId]); // eslint-disable-line
  useEffect(() => {
    if (health.data) markUpdated();
  }, [health.data, page.tick]); // eslint-disable-line

  const markers: Marker[] = useMemo(
    () =>
      (alerts.data?.results ?? [])
        .filter((a) => Date.parse(a.opened_at) >= win.start)
        .map((a) => ({ t: Date.parse(a.opened_at) / 1000, label: causeLabel(a.cause), color: SEVERITY_COLOR[a.severity] })),
    [alerts.data, win.start],
  );
  const factors = health.data?.factors ?? [];
  const vibBands = useMemo(() => isoBands(factors), [JSON.stringify(limitsOf(factors, "vibration"))]); // eslint-disable-line
  const anomalyLimits = limitsOf(factors, "anomaly");
  const anomalyBands: Band[] = useMemo(
    () =>
      anomalyLimits.start === undefined
        ? []
        : [
            { from: 0, to: anomalyLimits.start, color: "#e4eef8", label: `healthy band < ${fixed(anomalyLimits.start, 3)} (onset)` },
            { from: anomalyLimits.critical ?? 0.9, to: 1, color: "#f8d9dd", label: `≥ ${fixed(anomalyLimits.critical ?? 0.9, 3)} critical` },
          ],
    [anomalyLimits.start, anomalyLimits.critical],
  );

  if (asset.error instanceof ApiError && asset.error.status === 404) {
    return (
      <div className="page">
        <h1>Asset not found</h1>
        <p>
          There is no asset <code>{assetId}</code> in your tenant. <Link to="/">Back to the fleet</Link>
        </p>
      </div>
    );
  }
  if (asset.error) return <ErrorNote error={asset.error} />;
  if (!asset.data || !health.data) return <Loading what={`asset ${assetId}`} />;
  const a = asset.data;
  const h = health.data;
  const xRange: [number, number] = [win.start / 1000, win.end / 1000];
  const sync = `asset-${assetId}`;
  const zoom = (s: number, e: number) => page.setSpec({ kind: "absolute", start: s, end: e });
  const chart = (id: string, title: string, quantity: Quantity, lines: { field: string; label: string; color: string; cols: Columns | null }[], extra: Partial<React.ComponentProps<typeof TimeChart>> = {}) => {
    const cols = lines[0]?.cols;
    return (
      <TimeChart
        id={id}
        title={title}
        quantity={quantity}
        t={cols?.t ?? []}
        lines={lines.map((l) => ({ label: l.label, color: l.color, ...(l.cols?.fields[l.field] ?? { mean: [], min: [], max: [] }) }))}
        zone={page.zone}
        syncKey={sync}
        xRange={xRange}
        onZoom={zoom}
        markers={markers}
        {...extra}
      />
    );
  };
  const s = signals.data;
  const firstLine = h.explanation.split("\n")[0];
  const CD = limitsOf(factors, "vibration").CD;

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={`/${window.location.search}`}>Fleet</Link> <span aria-hidden="true">›</span> <span>{a.asset_id}</span>
      </nav>
      <div className="page-title asset-title">
        <div>
          <h1>
            {a.asset_id} <span className="subtle">{a.name}</span>
          </h1>
          <p className="muted">
            {ASSET_TYPES[a.asset_type] ?? a.asset_type} · {fmt(a.rated_power_kw, "kw")} · {fmt(a.rated_voltage_v, "voltage")} · ISO 10816-3 group {a.iso_group}, {a.foundation}
            {a.location ? ` · ${a.location}` : ""} · site {a.supply_site}
          </p>
        </div>
        <div className="title-side">
          {h.stale && <span className="badge badge-stale">Stale data</span>}
          {h.baseline_missing && <span className="badge badge-none">No baseline</span>}
          <span className="muted small">
            Last data {fmtTime(h.newest_event_time, page.zone)} ({age(h.newest_event_time, Date.now())})
          </span>
        </div>
      </div>

      <div className="grid-2">
        <section className="card health-card" aria-labelledby="health-title">
          <h2 id="health-title">Health and risk</h2>
          <div className="health-head">
            <div className="health-score" data-field="health_score">
              <span className="big">{h.health_score ?? "—"}</span>
              <span className="muted">/100</span>
            </div>
            <div>
              <RiskBadge level={h.risk_level} stale={h.stale} />
              <p className="muted small">Assessed at {fmtTime(h.as_of, page.zone)}</p>
            </div>
          </div>
          <p className="why" data-field="reason">
            {firstLine}
          </p>
          <h3>Factors by share of the drop</h3>
          <FactorBars factors={factors} />
          <h3>Remaining useful life</h3>
          <p className="rul-line" data-field="rul">
            <Rul days={h.rul_days} interval={h.rul_interval} reason={h.rul_reason} long />
            {h.rul_channel && <span className="muted small"> · from the {h.rul_channel} trend{h.rul_capped ? " (capped at 365 days)" : ""}</span>}
          </p>
          <details className="explanation-box" open>
            <summary>Full explanation</summary>
            <pre className="explanation" data-testid="explanation">
              {h.explanation}
            </pre>
          </details>
        </section>

        <section className="card" aria-labelledby="incidents-title">
          <h2 id="incidents-title">Open incidents</h2>
          {h.open_alerts.length === 0 ? (
            <p className="muted">No open incident.</p>
          ) : (
            <ul className="incident-list">
              {h.open_alerts.map((x) => (
                <li key={x.id}>
                  <SeverityBadge severity={x.severity} /> <Link to={`/incidents/${x.id}${window.location.search}`}>{causeLabel(x.cause)}</Link> <StateBadge state={x.state} />
                  <div className="muted small">
                    opened {fmtTime(x.opened_at, page.zone)} · last seen {fmtTime(x.last_seen_at, page.zone)}
                  </div>
                </li>
              ))}
            </ul>
          )}
          <h2 className="spaced">What to check</h2>
          <GuidanceFor alerts={h.open_alerts} />
        </section>
      </div>

      <section aria-labelledby="charts-title" className="charts-section">
        <div className="section-head">
          <h2 id="charts-title">Signals</h2>
          <p className="muted small">
            {s ? (s.resolution === "raw" ? "Raw readings" : `Mean per ${s.resolution} bucket, shaded min–max`) : ""} · drag across a chart to zoom the page's range ·
            dashed lines: incidents opened
          </p>
        </div>
        {signals.error && <ErrorNote error={signals.error} />}
        {!s && !signals.error && <Loading what="signals" />}
        {s && (
          <div className="chart-grid">
            {chart("vib", "Vibration RMS (mm/s) with ISO 10816-3 zones", "vibration", [{ field: "vibration_rms_mm_s", label: "Vibration", color: BLUE, cols: s }], {
              bands: vibBands,
              yRange: [0, Math.max((CD ?? 0) * 1.15, maxOf(s, "vibration_rms_mm_s") * 1.1, 1)],
            })}
            {chart("temp", "Temperature (°C)", "temperature", [
              { field: "temperature_c", label: "Frame", color: "#b2182b", cols: s },
              { field: "ambient_temperature_c", label: "Ambient", color: "#5e7d8c", cols: s },
            ])}
            {chart("cur", "Current (A)", "current", [{ field: "current_a", label: "Current", color: "#4d4d9f", cols: s }])}
            {chart("volt", "Voltage (V)", "voltage", [{ field: "voltage_v", label: "Voltage", color: "#1b7837", cols: s }])}
            {chart("pf", "Power factor", "power_factor", [{ field: "power_factor", label: "PF", color: "#8c510a", cols: s }])}
            {chart("freq", "Frequency (Hz)", "frequency", [{ field: "frequency_hz", label: "Frequency", color: "#35978f", cols: s }])}
            {chart("kw", "Active power (kW)", "kw", [{ field: "power_kw", label: "Power", color: "#762a83", cols: s }])}
          </div>
        )}
      </section>
      <section aria-labelledby="features-title" className="charts-section">
        <h2 id="features-title">Features</h2>
        {features.error && <ErrorNote error={features.error} />}
        {features.data && (
          <div className="chart-grid">
            {chart("f-vib", "Vibration: 15-min mean and 1-h spread (mm/s)", "vibration", [
              { field: "vibration_rms_mm_s__mean_15m", label: "15-min mean", color: BLUE, cols: features.data },
              { field: "vibration_rms_mm_s__std_1h", label: "1-h std", color: "#92c5de", cols: features.data },
            ])}
            {chart("f-kurt", "Vibration kurtosis, 15-min mean", "ratio", [{ field: "vibration_kurtosis__mean_15m", label: "Kurtosis", color: "#4d4d9f", cols: features.data }])}
            {chart("f-slope", "Vibration trend (mm/s per day, 72-h Theil–Sen)", "slope", [
              { field: "vibration_rms_slope_mm_s_per_day", label: "Slope", color: "#b2182b", cols: features.data },
            ])}
            {chart("f-rise", "Temperature rise (K)", "kelvin", [{ field: "temperature_rise_c", label: "Rise", color: "#d6604d", cols: features.data }])}
            {chart("f-pf", "Power factor, 1-h mean", "power_factor", [{ field: "power_factor__mean_1h", label: "PF 1 h", color: "#8c510a", cols: features.data }])}
          </div>
        )}
      </section>
      <section aria-labelledby="history-title" className="charts-section">
        <h2 id="history-title">Health history and anomaly score</h2>
        {history.error && <ErrorNote error={history.error} />}
        {history.data && (
          <div className="chart-grid">
            {chart("health", "Health score (/100) with risk cut-offs", "health", [{ field: "health_score", label: "Health", color: "#1d4e73", cols: history.data }], {
              bands: RISK_BANDS,
              yRange: [0, 100],
            })}
            {chart("anomaly", "Anomaly score with its healthy band", "anomaly", [{ field: "anomaly_score", label: "Anomaly score", color: "#b35806", cols: history.data }], {
              bands: anomalyBands,
              yRange: [0, 1],
            })}
          </div>
        )}
      </section>
      <section aria-labelledby="energy-title" className="charts-section">
        <div className="section-head">
          <h2 id="energy-title">Energy</h2>
          {energy.data && (
            <p className="muted small" data-testid="asset-energy-totals">
              {fmt(energy.data.totals.energy_kwh, "kwh")} in the range · cost metered alone {fmt(energy.data.totals.cost?.total, "inr")} · idle{" "}
              {fmt(energy.data.totals.idle_energy_kwh, "kwh")} · lost to degradation {fmt(energy.data.totals.degradation_loss_kwh, "kwh")} · per {energy.data.bucket} of{" "}
              {energy.data.timezone} time
            </p>
          )}
        </div>
        {energy.error && <ErrorNote error={energy.error} />}
        {energyCols && (
          <div className="chart-grid">
            {chart(
              "energy",
              `Energy per ${energyCols.resolution} (kWh)`,
              "kwh",
              [
                { field: "energy_kwh", label: "Energy", color: "#762a83", cols: energyCols },
                { field: "idle_energy_kwh", label: "Idle", color: "#bf812d", cols: energyCols },
                { field: "degradation_loss_kwh", label: "Lost to degradation", color: "#b2182b", cols: energyCols },
              ],
              {},
            )}
          </div>
        )}
      </section>
      <ForecastPanel scope="asset" id={assetId} zone={page.zone} />
      <AlertHistory alerts={alerts.data?.results ?? []} />
    </div>
  );
}

const SEVERITY_RANK: Record<string, number> = { critical: 3, high: 2, warning: 1 };

/**
 * The guidance of one open incident, as the API wrote it for that incident (CONTRACTS §15.5):
 * by default the most severe (then the newest); a choice when there are several, and the
 * incident it belongs to is always named.
 */
function GuidanceFor({ alerts }: { alerts: AssetHealth["open_alerts"] }) {
  const ordered = useMemo(
    () => [...alerts].sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || b.opened_at.localeCompare(a.opened_at)),
    [alerts],
  );
  const [chosen, setChosen] = useState<string | null>(null);
  const current = ordered.find((a) => a.id === chosen) ?? ordered[0];
  if (!current) return <Guidance guidance={undefined} />;
  return (
    <>
      {ordered.length > 1 ? (
        <label className="control guidance-for">
          <span>For the incident</span>
          <select value={current.id} onChange={(e) => setChosen(e.target.value)}>
            {ordered.map((a) => (
              <option key={a.id} value={a.id}>
                {causeLabel(a.cause)} ({a.severity})
              </option>
            ))}
          </select>
        </label>
      ) : (
        <p className="muted small">For the incident {causeLabel(current.cause)} ({current.severity}).</p>
      )}
      <Guidance guidance={current.guidance} />
    </>
  );
}

function AlertHistory({ alerts }: { alerts: Alert[] }) {
  const { page } = useLayout();
  if (!alerts.length) return null;
  return (
    <section className="card" aria-labelledby="alert-history-title">
      <h2 id="alert-history-title">Incidents of this asset</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Cause</th>
            <th scope="col">State</th>
            <th scope="col">Opened</th>
            <th scope="col">Peak</th>
          </tr>
        </thead>
        <tbody>
          {alerts.slice(0, 20).map((x) => (
            <tr key={x.id}>
              <td>
                <SeverityBadge severity={x.severity} />
              </td>
              <td>
                <Link to={`/incidents/${x.id}${window.location.search}`}>{causeLabel(x.cause)}</Link>
              </td>
              <td>
                <StateBadge state={x.state} />
              </td>
              <td>{fmtTime(x.opened_at, page.zone)}</td>
              <td>{fmtAlertValue(x.peak_value, x.unit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
