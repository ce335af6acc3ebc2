// Incidents: the tenant's alerts, filterable; each opens its detail with the audit trail.
import { useEffect } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { AlertState, Severity } from "../api/types";
import { SeverityBadge, StateBadge } from "../components/RiskBadge";
import { ErrorNote, Loading } from "../components/Status";
import { CAUSE_LABELS, causeLabel } from "../format/labels";
import { fmtAlertValue } from "../format/numbers";
import { fmtTime, toIso } from "../format/time";
import { useResource } from "../state/useResource";
import { useLayout } from "./context";

const STATE_CHOICES: { key: string; label: string; states: AlertState[] }[] = [
  { key: "active", label: "Active (open or acknowledged)", states: ["open", "acknowledged"] },
  { key: "open", label: "Open", states: ["open"] },
  { key: "acknowledged", label: "Acknowledged", states: ["acknowledged"] },
  { key: "resolved", label: "Resolved", states: ["resolved"] },
  { key: "all", label: "All", states: [] },
];
const PAGE = 50;

export function Incidents() {
  const { page, markUpdated, setReportScope } = useLayout();
  const [params, setParams] = useSearchParams();
  const stateKey = params.get("state") ?? "active";
  const severity = (params.get("severity") ?? "") as Severity | "";
  const cause = params.get("cause") ?? "";
  const asset = params.get("asset") ?? "";
  const inRange = params.get("in_range") === "1";
  const offset = Number(params.get("offset") ?? 0) || 0;
  const set = (key: string, value: string) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (value) next.set(key, value);
      else next.delete(key);
      if (key !== "offset") next.delete("offset");
      return next;
    });
  const states = STATE_CHOICES.find((c) => c.key === stateKey)?.states ?? [];
  const list = useResource(
    () =>
      api.alerts({
        states,
        severity: severity || undefined,
        cause: cause || undefined,
        asset_id: asset.trim() || undefined,
        opened_after: inRange ? toIso(page.start) : undefined,
        opened_before: inRange ? toIso(page.end) : undefined,
        limit: PAGE,
        offset,
      }),
    [stateKey, severity, cause, asset, inRange, offset, inRange ? page.start : 0, inRange ? page.end : 0],
    page.tick,
  );
  useEffect(() => {
    if (list.data) markUpdated();
  }, [list.data, page.tick]); // eslint-disable-line
  useEffect(() => setReportScope({ scope: "fleet" }), []); // eslint-disable-line
  const rows = (list.data?.results ?? []).filter((a) => !page.site || a.site === page.site.name);

  return (
    <div className="page">
      <div className="page-title">
        <h1>Incidents</h1>
        <p className="muted">Alerts of every asset and site supply, newest first. Times in {page.zone.kind === "utc" ? "UTC" : "site time"}.</p>
      </div>
      <section className="toolbar" aria-label="Filter incidents">
        <label className="control">
          <span>State</span>
          <select value={stateKey} onChange={(e) => set("state", e.target.value === "active" ? "" : e.target.value)}>
            {STATE_CHOICES.map((c) => (
              <option key={c.key} value={c.key}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="control">
          <span>Severity</span>
          <select value={severity} onChange={(e) => set("severity", e.target.value)}>
            <option value="">Any</option>
            <option value="critical">Critical</option>
            <option value="high">High</option>
            <option value="warning">Warning</option>
          </select>
        </label>
        <label className="control">
          <span>Cause</span>
          <select value={cause} onChange={(e) => set("cause", e.target.value)}>
            <option value="">Any</option>
            {Object.entries(CAUSE_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <label className="control">
          <span>Asset id</span>
          <input value={asset} onChange={(e) => set("asset", e.target.value)} placeholder="e.g. MTR-001" />
        </label>
        <label className="check">
          <input type="checkbox" checked={inRange} onChange={(e) => set("in_range", e.target.checked ? "1" : "")} /> Opened in the selected range
        </label>
      </section>
      {list.error && <ErrorNote error={list.error} />}
      {!list.data && !list.error && <Loading what="incidents" />}
      {list.data && (
        <div className="table-wrap">
          <table className="table" aria-label="Incidents">
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Incident</th>
                <th scope="col">Subject</th>
                <th scope="col">State</th>
                <th scope="col">Opened</th>
                <th scope="col">Last seen</th>
                <th scope="col" className="num">
                  Value · peak
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id} data-alert={a.id}>
                  <td>
                    <SeverityBadge severity={a.severity} />
                  </td>
                  <td>
                    <Link to={`/incidents/${a.id}${window.location.search}`}>{causeLabel(a.cause)}</Link>
                    {a.occurrences > 1 && <span className="muted small"> · seen {a.occurrences}×</span>}
                    {a.conditions.length > 1 && <span className="muted small" data-field="conditions"> · {a.conditions.length} conditions</span>}
                    {a.reopen_count > 0 && <span className="muted small" data-field="reopen_count"> · reopened {a.reopen_count}×</span>}
                  </td>
                  <td>{a.asset_id ? <Link to={`/assets/${encodeURIComponent(a.asset_id)}`}>{a.asset_id}</Link> : `Site ${a.site} supply`}</td>
                  <td>
                    <StateBadge state={a.state} />
                  </td>
                  <td>{fmtTime(a.opened_at, page.zone)}</td>
                  <td>{fmtTime(a.last_seen_at, page.zone)}</td>
                  <td className="num">
                    {fmtAlertValue(a.value, a.unit)} · {fmtAlertValue(a.peak_value, a.unit)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p className="status">No incident matches these filters.</p>}
          <div className="pager">
            <span className="muted small">
              {list.data.count === 0 ? "0" : `${offset + 1}–${offset + list.data.results.length}`} of {list.data.count}
            </span>
            <button type="button" className="btn" disabled={offset === 0} onClick={() => set("offset", String(Math.max(0, offset - PAGE)))}>
              Newer
            </button>
            <button type="button" className="btn" disabled={offset + PAGE >= list.data.count} onClick={() => set("offset", String(offset + PAGE))}>
              Older
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
