// Fleet: how many machines at each risk, and every machine of the chosen site(s), worst first.
import { memo, useEffect, useMemo, useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import type { Asset, FleetAsset, FleetHealth, RiskLevel } from "../api/types";
import { RiskBadge } from "../components/RiskBadge";
import { Rul } from "../components/Rul";
import { ErrorNote, Loading } from "../components/Status";
import { ASSET_TYPES } from "../format/labels";
import { fmt } from "../format/numbers";
import { age, fmtTime, type Zone } from "../format/time";
import { type EnergyToday, useEnergyToday } from "../state/useEnergyToday";
import { useResource } from "../state/useResource";
import { useLayout } from "./context";

type Row = FleetAsset & { site: string; location: string };
type SortKey = "asset_id" | "asset_type" | "health_score" | "risk_code" | "rul_days" | "open_alerts" | "newest_event_time" | "energy_today_kwh";

const LEVELS: RiskLevel[] = ["Critical", "High", "Medium", "Low"];
const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "asset_id", label: "Asset" },
  { key: "asset_type", label: "Type" },
  { key: "health_score", label: "Health", numeric: true },
  { key: "risk_code", label: "Risk" },
  { key: "rul_days", label: "Remaining useful life", numeric: true },
  { key: "open_alerts", label: "Open incidents", numeric: true },
  { key: "newest_event_time", label: "Last data" },
  { key: "energy_today_kwh", label: "Energy today", numeric: true },
];

function compare(a: Row, b: Row, key: SortKey, energy: EnergyToday): number {
  const value = (r: Row) => {
    if (key !== "energy_today_kwh") return r[key];
    const e = energy.value(r.asset_id);
    return typeof e === "number" ? e : null;
  };
  const va = value(a);
  const vb = value(b);
  if (va === vb) return 0;
  if (va === null || va === undefined) return 1; // unknowns last either way
  if (vb === null || vb === undefined) return -1;
  return va < vb ? -1 : 1;
}

export function Fleet() {
  const { page, markUpdated, setReportScope } = useLayout();
  const fleet = useResource<{ health: FleetHealth; assets: Asset[] }>(
    async () => {
      const [health, assets] = await Promise.all([api.fleetHealth(), api.assets()]);
      return { health, assets };
    },
    [],
    page.tick,
  );
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: "risk_code", dir: -1 });
  const [text, setText] = useState("");
  const [risk, setRisk] = useState<RiskLevel | "no_data" | "">("");
  const [staleOnly, setStaleOnly] = useState(false);
  const [withIncidents, setWithIncidents] = useState(false);

  useEffect(() => {
    if (fleet.data) markUpdated();
  }, [fleet.data, page.tick]); // eslint-disable-line
  useEffect(() => setReportScope(page.site ? { scope: "site", id: page.site.name } : { scope: "fleet" }), [page.site]); // eslint-disable-line

  const base = useMemo(() => {
    if (!fleet.data) return [];
    const meta = new Map(fleet.data.assets.map((a) => [a.asset_id, a]));
    return fleet.data.health.assets.map((r) => ({
      ...r,
      site: meta.get(r.asset_id)?.supply_site ?? "main",
      location: meta.get(r.asset_id)?.location ?? "",
    }));
  }, [fleet.data]);
  // asked once the table is shown (the effect runs after its first paint): never holds the rows up
  const energyToday = useEnergyToday(page.site?.name, fleet.data !== null);
  // energy stays out of the row objects: its answer redraws the energy cells, not the rows
  const rows: Row[] = base;

  const siteRows = useMemo(() => (page.site ? rows.filter((r) => r.site === page.site!.name) : rows), [rows, page.site]);
  const groups = useMemo(() => {
    const q = text.trim().toLowerCase();
    const shown = siteRows
      .filter((r) => {
        if (risk === "no_data" ? r.risk_level !== null : risk && r.risk_level !== risk) return false;
        if (staleOnly && !r.stale) return false;
        if (withIncidents && r.open_alerts === 0) return false;
        return !q || `${r.asset_id} ${r.name} ${r.location} ${r.asset_type}`.toLowerCase().includes(q);
      })
      .sort((a, b) => compare(a, b, sort.key, energyToday) * sort.dir || compare(a, b, "asset_id", energyToday));
    const bySite = new Map<string, Row[]>();
    for (const r of shown) {
      const list = bySite.get(r.site);
      if (list) list.push(r);
      else bySite.set(r.site, [r]);
    }
    return bySite;
  }, [siteRows, text, risk, staleOnly, withIncidents, sort, sort.key === "energy_today_kwh" ? energyToday : null]); // eslint-disable-line
  const shownCount = [...groups.values()].reduce((n, list) => n + list.length, 0);
  // ages move on with the clock: rows redraw once a minute, not on every render
  const minute = Math.floor(Date.now() / 60_000);
  const zoneKey = page.zone.kind === "site" ? `site:${page.zone.timeZone}` : "utc";
  const zone = useMemo(() => page.zone, [zoneKey]); // eslint-disable-line

  if (fleet.error && !fleet.data) return <ErrorNote error={fleet.error} />;
  if (!fleet.data) return <Loading what="the fleet" />;
  const counts = page.site
    ? Object.fromEntries([...LEVELS, "no_data"].map((l) => [l, siteRows.filter((r) => (r.risk_level ?? "no_data") === l).length]))
    : fleet.data.health.counts;
  const staleCount = page.site ? siteRows.filter((r) => r.stale).length : fleet.data.health.stale;

  const header = (key: SortKey, label: string, numeric?: boolean) => {
    const active = sort.key === key;
    return (
      <th key={key} scope="col" aria-sort={active ? (sort.dir === 1 ? "ascending" : "descending") : "none"} className={numeric ? "num" : undefined}>
        <button type="button" className="sort" onClick={() => setSort({ key, dir: active ? (sort.dir === 1 ? -1 : 1) : key === "asset_id" ? 1 : -1 })}>
          {label}
          <span aria-hidden="true" className="sort-mark">
            {active ? (sort.dir === 1 ? "▲" : "▼") : "↕"}
          </span>
        </button>
      </th>
    );
  };

  return (
    <div className="page">
      <div className="page-title">
        <h1>Fleet</h1>
        <p className="muted">
          {page.site ? `Site ${page.site.name}` : "All sites"} · health evaluated {fmtTime(fleet.data.health.evaluated_at, page.zone)}
        </p>
      </div>
      {fleet.error && <ErrorNote error={fleet.error} />}
      <section className="kpis" aria-label="Assets by risk">
        {LEVELS.map((level) => (
          <button
            key={level}
            type="button"
            className={`kpi kpi-${level.toLowerCase()} ${risk === level ? "kpi-on" : ""}`}
            aria-pressed={risk === level}
            onClick={() => setRisk(risk === level ? "" : level)}
          >
            <span className="kpi-value" data-count={level}>
              {counts[level]}
            </span>
            <span className="kpi-label">
              <RiskBadge level={level} />
            </span>
          </button>
        ))}
        <button type="button" className={`kpi kpi-none ${risk === "no_data" ? "kpi-on" : ""}`} aria-pressed={risk === "no_data"} onClick={() => setRisk(risk === "no_data" ? "" : "no_data")}>
          <span className="kpi-value" data-count="no_data">
            {counts.no_data}
          </span>
          <span className="kpi-label">Not assessed</span>
        </button>
        <button type="button" className={`kpi kpi-stale ${staleOnly ? "kpi-on" : ""}`} aria-pressed={staleOnly} onClick={() => setStaleOnly(!staleOnly)}>
          <span className="kpi-value" data-count="stale">
            {staleCount}
          </span>
          <span className="kpi-label">Stale data</span>
        </button>
      </section>
      <section className="toolbar" aria-label="Filter the table">
        <label className="control grow">
          <span>Search</span>
          <input type="search" placeholder="Asset id, name, location or type" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <label className="control">
          <span>Risk</span>
          <select value={risk} onChange={(e) => setRisk(e.target.value as RiskLevel | "")}>
            <option value="">Any</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
            <option value="no_data">Not assessed</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={withIncidents} onChange={(e) => setWithIncidents(e.target.checked)} /> With open incidents
        </label>
        <label className="check">
          <input type="checkbox" checked={staleOnly} onChange={(e) => setStaleOnly(e.target.checked)} /> Stale only
        </label>
        <span className="muted small" aria-live="polite">
          {shownCount} of {siteRows.length} assets
        </span>
      </section>
      <div className="table-wrap">
        <table className="table fleet-table" aria-label="Assets by site">
          <thead>
            <tr>{COLUMNS.map((c) => header(c.key, c.label, c.numeric))}</tr>
          </thead>
          {[...groups.entries()].map(([site, list]) => (
            <tbody key={site}>
              <tr className="group-row">
                <th colSpan={COLUMNS.length} scope="colgroup">
                  Site {site} <span className="muted">· {list.length} assets</span>
                </th>
              </tr>
              {list.map((r) => (
                <FleetRow
                  key={r.asset_id}
                  row={r}
                  zone={zone}
                  search={window.location.search}
                  energy={energyToday.value(r.asset_id)}
                  period={energyToday.period(r.asset_id)}
                  minute={minute}
                />
              ))}
            </tbody>
          ))}
        </table>
        {shownCount === 0 && <p className="status">No asset matches these filters.</p>}
      </div>
    </div>
  );
}

interface RowCellsProps {
  row: Row;
  zone: Zone;
  search: string;
  /** The current minute: the row's data age is redrawn when it changes. */
  minute: number;
}

/** One machine of the table but its energy; memoised, so a sort, a filter or the energy answer
 * moves or completes rows without redrawing them. */
const RowCells = memo(function RowCells({ row: r, zone, search }: RowCellsProps) {
  return (
    <>
      <td>
        <Link to={`/assets/${encodeURIComponent(r.asset_id)}${search}`} className="asset-link">
          <strong>{r.asset_id}</strong>
        </Link>
        <div className="muted small">
          {r.name}
          {r.location ? ` · ${r.location}` : ""}
        </div>
      </td>
      <td>{ASSET_TYPES[r.asset_type] ?? r.asset_type}</td>
      <td className="num" data-field="health">
        {fmt(r.health_score, "health")}
      </td>
      <td data-field="risk">
        <RiskBadge level={r.risk_level} stale={r.stale} />
      </td>
      <td className="num" data-field="rul">
        <Rul days={r.rul_days} interval={r.rul_interval} reason={r.rul_reason} />
      </td>
      <td className="num" data-field="open_alerts">
        {r.open_alerts > 0 ? <Link to={`/incidents?asset=${encodeURIComponent(r.asset_id)}`}>{r.open_alerts}</Link> : <span className="muted">0</span>}
      </td>
      <td data-field="last_data">
        <span title={r.newest_event_time ?? undefined}>{fmtTime(r.newest_event_time, zone)}</span>
        <div className="small">
          {r.stale ? <span className="badge badge-stale">Stale</span> : <span className="muted">{age(r.newest_event_time, Date.now())}</span>}
          {r.baseline_missing && r.risk_level && <span className="badge badge-none">No baseline</span>}
        </div>
      </td>
    </>
  );
});

type FleetRowProps = RowCellsProps & { energy: number | null | "error" | undefined; period: string | undefined };

const FleetRow = memo(function FleetRow({ energy, period, ...cells }: FleetRowProps) {
  return (
    <tr data-asset={cells.row.asset_id}>
      <RowCells {...cells} />
      <td className="num" data-field="energy_today" data-period={period}>
        {energy === "error" ? <span className="muted">unavailable</span> : energy === undefined ? <span className="muted">…</span> : fmt(energy, "kwh")}
        <div className="muted small">since 00:00 site time</div>
      </td>
    </tr>
  );
});
