// Energy: consumption, cost and waste of the site or fleet over the page's range, from
// GET /api/v1/energy (CONTRACTS energy section). Every figure is shown with the unit its field
// name carries; the page says so plainly when the server has no energy API.
import { useEffect } from "react";
import { api, ApiError } from "../api/client";
import { ErrorNote, Loading } from "../components/Status";
import { fieldQuantity, fmt, fixed } from "../format/numbers";
import { toIso } from "../format/time";
import { useResource } from "../state/useResource";
import { useLayout } from "./context";

function Figure({ name, value }: { name: string; value: unknown }) {
  if (typeof value !== "number") return null;
  const q = fieldQuantity(name);
  const text = q ? fmt(value, q) : name.endsWith("_inr") ? `₹ ${fixed(value, 2)}` : fixed(value, 3);
  return (
    <div className="kpi kpi-static">
      <span className="kpi-value">{text}</span>
      <span className="kpi-label">{name.replaceAll("_", " ")}</span>
    </div>
  );
}

export function Energy() {
  const { page, markUpdated, setReportScope } = useLayout();
  const scope = page.site ? "site" : "fleet";
  const startIso = toIso(page.start);
  const endIso = toIso(page.end);
  const energy = useResource(
    () => api.energy(scope, page.site?.name, startIso, endIso, "day"),
    [scope, page.site?.name, startIso, endIso],
  );
  useEffect(() => setReportScope(page.site ? { scope: "site", id: page.site.name } : { scope: "fleet" }), [page.site]); // eslint-disable-line
  const unavailable = energy.error instanceof ApiError && (energy.error.status === 404 || energy.error.status === 405);
  useEffect(() => {
    if (!energy.loading && (energy.data || unavailable)) markUpdated(); // the server answered
  }, [energy.data, energy.loading, unavailable]); // eslint-disable-line
  const totals = (energy.data?.totals ?? {}) as Record<string, unknown>;
  return (
    <div className="page">
      <div className="page-title">
        <h1>Energy</h1>
        <p className="muted">
          {page.site ? `Site ${page.site.name}` : "Fleet"}: consumption, cost by the site's tariff, power-factor penalty or incentive, idle running and
          energy lost to degradation.
        </p>
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
      ) : !energy.data ? (
        <Loading what="energy figures" />
      ) : (
        <section className="kpis" aria-label="Energy totals">
          {Object.entries(totals).map(([k, v]) => (
            <Figure key={k} name={k} value={v} />
          ))}
        </section>
      )}
    </div>
  );
}
