// The load forecast of a scope beside its measured load (CONTRACTS §19.2): the measured hours up
// to the origin, the forecast median after it and the 80 % interval as a band, with the model
// version, its training window and backtest; or the server's reason when there is no forecast.
import { useMemo, useState } from "react";
import { api } from "../../api/client";
import type { Forecast, ForecastHorizon, ForecastScope } from "../../api/types";
import { fixed } from "../../format/numbers";
import { fmtTime, type Zone } from "../../format/time";
import { useResource } from "../../state/useResource";
import { ErrorNote, Loading } from "../Status";
import { TimeChart, type ChartLine } from "../TimeChart";

const MEASURED = "#4a5a6a";
const FORECAST = "#2166ac";
const num = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? "—" : fixed(x, digits));

/** The chart's columns: one time axis for the measured and the forecast hours, each line null where it has no value. */
export function forecastColumns(f: Forecast): { t: number[]; lines: ChartLine[] } {
  const nh = f.history.length;
  const t = [...f.history.map((h) => Date.parse(h.time) / 1000), ...f.points.map((p) => Date.parse(p.time) / 1000)];
  const none = (n: number) => Array<null>(n).fill(null);
  return {
    t,
    lines: [
      { label: "Measured", color: MEASURED, mean: [...f.history.map((h) => h.load_kw), ...none(f.points.length)] },
      {
        label: "Forecast",
        color: FORECAST,
        mean: [...none(nh), ...f.points.map((p) => p.load_kw)],
        min: [...none(nh), ...f.points.map((p) => p.low_kw)],
        max: [...none(nh), ...f.points.map((p) => p.high_kw)],
      },
    ],
  };
}

export function ForecastSummary({ f, zone }: { f: Forecast; zone: Zone }) {
  const m = f.model;
  if (f.status !== "ok" || !m) {
    return (
      <p className="muted small" data-testid="forecast-reason">
        No forecast: {f.reason}
        {m && ` (model version ${m.version})`}
      </p>
    );
  }
  const bt = m.backtest.day_ahead;
  return (
    <p className="muted small" data-testid="forecast-model">
      From the newest measured hour {f.origin ? fmtTime(f.origin, zone) : "—"}; model version {m.version}, trained on{" "}
      {m.training_start ? fmtTime(m.training_start, zone) : "—"} to {fmtTime(m.training_end, zone)}.{" "}
      {bt && bt.mae_kw !== undefined ? (
        <>
          Backtest, day-ahead over {bt.days} days: MAE {fixed(bt.mae_kw, 2)} kW ({num(bt.mae_vs_seasonal_naive, 2)} × same hour last week,{" "}
          {num(bt.mae_vs_persistence, 2)} × same hour yesterday); {num(bt.interval_coverage === undefined ? undefined : bt.interval_coverage * 100, 0)} % of hours inside the{" "}
          {fixed(f.interval * 100, 0)} % interval.
        </>
      ) : (
        bt?.reason && <>No backtest: {bt.reason}.</>
      )}
    </p>
  );
}

export function ForecastView({ f, zone, horizon }: { f: Forecast; zone: Zone; horizon: ForecastHorizon }) {
  const cols = useMemo(() => forecastColumns(f), [f]);
  const xRange: [number, number] = useMemo(
    () => (cols.t.length ? [cols.t[0], cols.t[cols.t.length - 1]] : [0, 1]),
    [cols.t],
  );
  return (
    <>
      <ForecastSummary f={f} zone={zone} />
      {f.status === "ok" && (
        <TimeChart
          id={`forecast-${f.scope}-${f.id ?? "fleet"}`}
          title={`Load, measured and forecast ${horizon === "24h" ? "next 24 h" : "next 7 days"} (kW, ${fixed(f.interval * 100, 0)} % interval)`}
          quantity="kw"
          t={cols.t}
          lines={cols.lines}
          zone={zone}
          syncKey="forecast"
          xRange={xRange}
        />
      )}
    </>
  );
}

/** The panel pages use: fetches the forecast of a scope and lets the reader pick the horizon. */
export function ForecastPanel({ scope, id, zone, tick = 0 }: { scope: ForecastScope; id?: string; zone: Zone; tick?: number }) {
  const [horizon, setHorizon] = useState<ForecastHorizon>("24h");
  const fc = useResource(() => api.forecast(scope, id, horizon), [scope, id, horizon], tick);
  return (
    <section aria-labelledby={`forecast-title-${scope}`} className="charts-section" data-testid="forecast-panel">
      <div className="section-head">
        <h2 id={`forecast-title-${scope}`}>Load forecast</h2>
        <label className="small">
          Horizon{" "}
          <select value={horizon} onChange={(e) => setHorizon(e.target.value as ForecastHorizon)}>
            <option value="24h">next 24 h</option>
            <option value="168h">next 7 days</option>
          </select>
        </label>
      </div>
      {fc.error ? <ErrorNote error={fc.error} /> : !fc.data ? <Loading what="the forecast" /> : <ForecastView f={fc.data} zone={zone} horizon={horizon} />}
    </section>
  );
}
