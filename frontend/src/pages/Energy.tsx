// Energy: what the site (or the fleet) consumed, what it cost by the site's tariff, the power-
// factor penalty or incentive, idle running and the energy lost to degradation over the page's
// range, all from GET /api/v1/energy (CONTRACTS §18). The period is the page's range widened to
// whole half-hours (energy is kept in 30-minute blocks); every figure is printed as served.
import { useEffect, useMemo, useState } from "react";
import { api, ApiError, halfHourWindow } from "../api/client";
import type { EnergyBucketName, EnergyFigures, EnergySummary, TariffVersion } from "../api/types";
import { ForecastPanel } from "../components/forecast/ForecastChart";
import { ErrorNote, Loading } from "../components/Status";
import { fmt, fixed } from "../format/numbers";
import { fmtTime, toIso, type Zone } from "../format/time";
import { can, useSession } from "../state/session";
import { useResource } from "../state/useResource";
import { useLayout } from "./context";

const BUCKETS: { value: EnergyBucketName; label: string }[] = [
  { value: "hour", label: "Hour" },
  { value: "shift", label: "Shift" },
  { value: "day", label: "Day" },
  { value: "month", label: "Month" },
];

/** The bucket that gives a readable table for the range (the user can pick another). */
export function defaultBucket(spanMs: number): EnergyBucketName {
  if (spanMs <= 2 * 86400e3) return "hour";
  if (spanMs <= 62 * 86400e3) return "day";
  return "month";
}

const inr = (v: number | null | undefined) => fmt(v, "inr");

function Kpi({ value, label, note, field }: { value: string; label: string; note?: string; field: string }) {
  return (
    <div className="kpi kpi-static" data-field={field}>
      <span className="kpi-value kpi-value-sm">{value}</span>
      <span className="kpi-label">{label}</span>
      {note && <span className="muted small">{note}</span>}
    </div>
  );
}

function Totals({ t, zone }: { t: EnergyFigures; zone: Zone }) {
  return (
    <section className="kpis" aria-label="Energy totals">
      <Kpi value={fmt(t.energy_kwh, "kwh")} label="Energy (active)" field="energy_kwh" note={`${fmt(t.apparent_energy_kvah, "kvah")} · ${fmt(t.reactive_energy_kvarh, "kvarh")}`} />
      <Kpi value={t.cost ? inr(t.cost.total) : "—"} label="Cost (total)" field="cost_total_kpi" note={t.cost ? "by the site's tariff" : "no tariff version applies"} />
      <Kpi value={fmt(t.power_factor, "power_factor")} label="Power factor (energy-weighted)" field="power_factor" />
      <Kpi value={fmt(t.max_demand_kva, "kva")} label="Maximum demand (30-min)" field="max_demand_kva" note={t.max_demand_at ? `at ${fmtTime(t.max_demand_at, zone)}` : undefined} />
      <Kpi value={fmt(t.load_factor, "ratio")} label="Load factor" field="load_factor" />
      <Kpi value={fmt(t.co2_t, "co2")} label="CO₂ (grid factor)" field="co2_t" />
      <Kpi value={fmt(t.coverage.covered_h, "hours")} label="Hours with data" field="covered_h" note={`of ${fmt(t.coverage.asset_hours, "hours")} (${t.coverage.assets} machines); ${fmt(t.coverage.gap_h, "hours")} without data`} />
    </section>
  );
}

export function CostBreakdown({ t }: { t: EnergyFigures }) {
  const c = t.cost;
  if (!c) return <p className="muted">No tariff version applies to this period: the energy is not costed.</p>;
  const rows: [string, number | null, string][] = [
    ["Energy charge", c.energy, "rate × kWh or kVAh (billing basis)"],
    ["Time of day", c.time_of_day, "rate × (slot multiplier − 1) × energy, per 30-minute block"],
    ["Power-factor adjustment", c.pf_adjustment, "positive: penalty; negative: incentive"],
    ["Demand charge", c.demand, "share of each billing month's demand charge"],
    ["Fixed charge", c.fixed, c.fixed === null ? "belongs to the site connection" : "share of each billing month's fixed charge"],
  ];
  return (
    <table className="table" aria-label="Cost breakdown">
      <thead>
        <tr>
          <th scope="col">Part</th>
          <th scope="col" className="num">
            Amount ({c.currency})
          </th>
          <th scope="col">What it is</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, v, what]) => (
          <tr key={name} data-part={name}>
            <td>{name}</td>
            <td className="num">{inr(v)}</td>
            <td className="muted small">{what}</td>
          </tr>
        ))}
        <tr className="total-row">
          <th scope="row">Total</th>
          <td className="num" data-field="cost_total">
            <strong>{inr(c.total)}</strong>
          </td>
          <td className="muted small">{c.uncosted_kwh > 0 ? `${fmt(c.uncosted_kwh, "kwh")} before the first tariff version not costed` : ""}</td>
        </tr>
      </tbody>
    </table>
  );
}

export function PfExposure({ e, zone }: { e: EnergySummary; zone: Zone }) {
  const adj = e.totals.cost?.pf_adjustment ?? null;
  return (
    <>
      <p>
        {adj === null ? (
          "No power-factor slabs in the tariff."
        ) : adj > 0 ? (
          <>
            Penalty in this period: <strong data-field="pf_adjustment">{inr(adj)}</strong>
          </>
        ) : adj < 0 ? (
          <>
            Incentive in this period: <strong data-field="pf_adjustment">{inr(adj)}</strong>
          </>
        ) : (
          <>
            Neither penalty nor incentive: <span data-field="pf_adjustment">{inr(adj)}</span>
          </>
        )}
      </p>
      {e.billing_months.length > 0 && (
        <table className="table" aria-label="Billing months">
          <thead>
            <tr>
              <th scope="col">Billing month</th>
              <th scope="col" className="num">
                PF (month)
              </th>
              <th scope="col" className="num">
                PF billed
              </th>
              <th scope="col" className="num">
                Adjustment
              </th>
              <th scope="col">Slabs</th>
              <th scope="col" className="num">
                Max demand
              </th>
              <th scope="col" className="num">
                Billing demand
              </th>
            </tr>
          </thead>
          <tbody>
            {e.billing_months.map((m) => (
              <tr key={`${m.site}-${m.month}`}>
                <td>
                  {m.site} {m.month}
                  <div className="muted small">{fixed(m.share_in_period * 100, 1)}% in this period</div>
                </td>
                <td className="num">{fmt(m.power_factor, "power_factor")}</td>
                <td className="num">{m.pf_billed === null ? "—" : fixed(m.pf_billed, 2)}</td>
                <td className="num">{m.pf_adjustment_pct === null ? "—" : `${fixed(m.pf_adjustment_pct, 1, true)}%`}</td>
                <td className="small">{m.pf_slabs.join("; ") || "—"}</td>
                <td className="num">
                  {fmt(m.max_demand_kva, "kva")}
                  {m.max_demand_at && <div className="muted small">{fmtTime(m.max_demand_at, zone)}</div>}
                </td>
                <td className="num">{fmt(m.billing_demand_kva, "kva")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function Waste({ t }: { t: EnergyFigures }) {
  const loss = t.degradation_loss_kwh;
  return (
    <div className="grid-2 tight">
      <div>
        <h3>Idle running</h3>
        <p className="big-figure" data-field="idle_energy_kwh">
          {fmt(t.idle_energy_kwh, "kwh")}
        </p>
        <p className="muted small">
          {fmt(t.idle_running_h, "hours")} idle of {fmt(t.running_h, "hours")} running (running below the site's idle load share).
        </p>
      </div>
      <div>
        <h3>Energy lost to degradation</h3>
        <p className="big-figure" data-field="degradation_loss_kwh">
          {fmt(loss, "kwh")}
        </p>
        <p className="muted small">
          {loss === null
            ? "No healthy power model covers this period (no active baseline, or cells the baseline never saw)."
            : `Measured ${fmt(t.measured_model_kwh, "kwh")} against ${fmt(t.healthy_model_kwh, "kwh")} when healthy at the same operating point, over ${fmt(
                t.healthy_model_h,
                "hours",
              )} of ${fmt(t.running_h, "hours")} running.${loss < 0 ? " Negative: less than the healthy machine drew (a lighter load), not a gain." : ""}`}
        </p>
      </div>
    </div>
  );
}

function Buckets({ e }: { e: EnergySummary }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Energy and cost per bucket">
        <thead>
          <tr>
            <th scope="col">{BUCKETS.find((b) => b.value === e.bucket)?.label} ({e.timezone})</th>
            <th scope="col" className="num">
              Energy
            </th>
            <th scope="col" className="num">
              PF
            </th>
            <th scope="col" className="num">
              Max demand
            </th>
            <th scope="col" className="num">
              Energy charge
            </th>
            <th scope="col" className="num">
              Time of day
            </th>
            <th scope="col" className="num">
              PF adj.
            </th>
            <th scope="col" className="num">
              Total cost
            </th>
            <th scope="col" className="num">
              Idle
            </th>
            <th scope="col" className="num">
              Degradation
            </th>
          </tr>
        </thead>
        <tbody>
          {e.series.map((b) => (
            <tr key={b.start} data-bucket={b.start}>
              <td>{b.label}</td>
              <td className="num">{fmt(b.energy_kwh, "kwh")}</td>
              <td className="num">{fmt(b.power_factor, "power_factor")}</td>
              <td className="num">{fmt(b.max_demand_kva, "kva")}</td>
              <td className="num">{inr(b.cost?.energy)}</td>
              <td className="num">{inr(b.cost?.time_of_day)}</td>
              <td className="num">{inr(b.cost?.pf_adjustment)}</td>
              <td className="num">{inr(b.cost?.total)}</td>
              <td className="num">{fmt(b.idle_energy_kwh, "kwh")}</td>
              <td className="num">{fmt(b.degradation_loss_kwh, "kwh")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Tariff({ code }: { code: string }) {
  const tariff = useResource(() => api.tariff(code), [code]);
  if (tariff.error) return <ErrorNote error={tariff.error} />;
  if (!tariff.data) return <Loading what="tariff" />;
  if (!tariff.data.versions.length) return <p className="muted">Site {code} has no tariff: its energy is not costed.</p>;
  const v: TariffVersion = tariff.data.versions[tariff.data.versions.length - 1];
  return (
    <div>
      <p>
        <strong>{v.name || "Tariff"}</strong> from {v.effective_from} ({tariff.data.timezone}): {fixed(v.energy_rate, 2)} {v.currency} per{" "}
        {v.billing_basis === "kvah" ? "kVAh" : "kWh"}; demand {fixed(v.demand_rate_per_kva, 2)} {v.currency}/kVA-month; fixed {fixed(v.fixed_monthly, 2)} {v.currency}
        /month{v.pf_reference !== null ? `; PF reference ${fixed(v.pf_reference, 2)}` : ""}.
      </p>
      {v.tod_slots.length > 0 && (
        <table className="table" aria-label="Time-of-day slots">
          <thead>
            <tr>
              <th scope="col">Slot</th>
              <th scope="col">From–to (site time)</th>
              <th scope="col" className="num">
                Multiplier
              </th>
            </tr>
          </thead>
          <tbody>
            {v.tod_slots.map((s) => (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td>
                  {s.start}–{s.end}
                </td>
                <td className="num">{fixed(s.multiplier, 2)}×</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted small">Hours outside every slot are billed at 1×. {tariff.data.versions.length > 1 ? `${tariff.data.versions.length} versions; the newest is shown.` : ""}</p>
    </div>
  );
}

export function Energy() {
  const { page, markUpdated, setReportScope } = useLayout();
  const { profile } = useSession();
  const scope = page.site ? "site" : "fleet";
  const win = halfHourWindow(page.start, page.end);
  const [picked, setPicked] = useState<EnergyBucketName | null>(null);
  const bucket = picked ?? defaultBucket(win.end - win.start);
  const startIso = toIso(win.start);
  const endIso = toIso(win.end);
  const energy = useResource(() => api.energy(scope, page.site?.name, startIso, endIso, bucket), [scope, page.site?.name, startIso, endIso, bucket], page.tick);
  useEffect(() => setReportScope(page.site ? { scope: "site", id: page.site.name } : { scope: "fleet" }), [page.site]); // eslint-disable-line
  const unavailable = energy.error instanceof ApiError && (energy.error.status === 404 || energy.error.status === 405) && !page.site;
  useEffect(() => {
    if (!energy.loading && (energy.data || unavailable)) markUpdated(); // the server answered
  }, [energy.data, energy.loading, unavailable]); // eslint-disable-line
  const e = energy.data;
  const sites = useMemo(() => (e?.site ? [e.site] : (e?.sites ?? [])), [e]);
  return (
    <div className="page">
      <div className="page-title">
        <h1>Energy</h1>
        <p className="muted">
          {page.site ? `Site ${page.site.name}` : "Fleet"}: consumption, cost by the site's tariff, power-factor penalty or incentive, idle running and
          energy lost to degradation, {fmtTime(win.start, page.zone)} to {fmtTime(win.end, page.zone)} (whole half-hours).
        </p>
      </div>
      <div className="toolbar">
        <label>
          Buckets{" "}
          <select value={bucket} onChange={(ev) => setPicked(ev.target.value as EnergyBucketName)}>
            {BUCKETS.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
        {e && <span className="muted small">Buckets in site time ({e.timezone}); money in {e.currency}</span>}
      </div>
      {unavailable ? (
        <section className="card">
          <h2>Energy figures are not available on this server</h2>
          <p>
            This page shows the totals of <code>GET /api/v1/energy</code>; the server answered that it has no such endpoint. Machine health, risk and
            incidents are unaffected.
          </p>
        </section>
      ) : energy.error ? (
        <ErrorNote error={energy.error} />
      ) : !e ? (
        <Loading what="energy figures" />
      ) : (
        <>
          <Totals t={e.totals} zone={page.zone} />
          <div className="grid-2">
            <section className="card" aria-labelledby="cost-title">
              <h2 id="cost-title">Cost breakdown</h2>
              <CostBreakdown t={e.totals} />
            </section>
            <section className="card" aria-labelledby="pf-title">
              <h2 id="pf-title">Power-factor penalty exposure</h2>
              <PfExposure e={e} zone={page.zone} />
            </section>
          </div>
          <section className="card" aria-labelledby="waste-title">
            <h2 id="waste-title">Waste</h2>
            <Waste t={e.totals} />
          </section>
          <ForecastPanel scope={scope} id={page.site?.name} zone={page.zone} />
          <section aria-labelledby="buckets-title" className="charts-section">
            <h2 id="buckets-title">By {bucket}</h2>
            <Buckets e={e} />
          </section>
          {can(profile, "registry") &&
            sites.map((code) => (
              <section className="card" key={code} aria-labelledby={`tariff-${code}`}>
                <h2 id={`tariff-${code}`}>Tariff of site {code}</h2>
                <Tariff code={code} />
              </section>
            ))}
        </>
      )}
    </div>
  );
}
