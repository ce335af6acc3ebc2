// The header of every page: tenant, navigation, site, time range, zone, live state, the report
// button (top right) and the user menu with the API docs and (staff) the Django admin.
import { useState } from "react";
import { NavLink } from "react-router";
import { api, ApiError, halfHourWindow } from "../api/client";
import type { Profile } from "../api/types";
import { fmtTime, toIso } from "../format/time";
import type { PageState } from "../state/page";
import { can } from "../state/session";
import { TimeRangePicker } from "./TimeRangePicker";

interface Props {
  profile: Profile;
  page: PageState;
  lastUpdate: number | null;
  reportScope: { scope: "fleet" | "site" | "asset"; id?: string };
  onLogout: () => void;
}

function LiveIndicator({ live, lastUpdate, refreshS }: { live: boolean; lastUpdate: number | null; refreshS: number }) {
  const fresh = lastUpdate !== null && Date.now() - lastUpdate < 3 * refreshS * 1000;
  const state = !live ? "paused" : fresh ? "live" : "waiting";
  const text = { live: "Live", paused: "Paused", waiting: "Connecting" }[state];
  const title = live ? `Refreshes every ${refreshS} s` : "A fixed range: choose a 'Last …' preset to follow live data";
  return (
    <span className={`live live-${state}`} title={title} role="status">
      <span className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function DownloadReport({ page, scope }: { page: PageState; scope: Props["reportScope"] }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState("");
  const download = async (format: "pdf" | "xlsx") => {
    setBusy(format);
    setMessage("");
    try {
      // reports cover whole half-hours (CONTRACTS §16.4): the half-hours covering the range on screen
      const period = halfHourWindow(page.start, page.end);
      const { blob, filename } = await api.report({ ...scope, start: toIso(period.start), end: toIso(period.end), format });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = filename;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      const e = err as ApiError;
      setMessage(e.status === 404 || e.status === 405 ? "Reports are not available on this server yet." : e.message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <details className="menu report-menu">
      <summary className="btn btn-primary">Download report</summary>
      <div className="menu-panel" role="group" aria-label="Report of what is on screen">
        <p className="muted small">
          {scope.scope === "asset" ? `Asset ${scope.id}` : scope.scope === "site" ? `Site ${scope.id}` : "Fleet"}, {fmtTime(page.start, page.zone)} to{" "}
          {fmtTime(page.end, page.zone)}
        </p>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => download("pdf")}>
          {busy === "pdf" ? "Preparing PDF…" : "PDF"}
        </button>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => download("xlsx")}>
          {busy === "xlsx" ? "Preparing Excel…" : "Excel (.xlsx)"}
        </button>
        {message && (
          <p className="field-error" role="alert">
            {message}
          </p>
        )}
      </div>
    </details>
  );
}

export function Header({ profile, page, lastUpdate, reportScope, onLogout }: Props) {
  const site = page.site ?? profile.sites[0];
  const nav = [
    { to: "/", label: "Fleet", end: true },
    { to: "/incidents", label: "Incidents" },
    { to: "/energy", label: "Energy" },
    ...(can(profile, "reports") ? [{ to: "/reports", label: "Reports" }] : []),
  ];
  return (
    <header className="app-header">
      <div className="bar bar-top">
        <a className="brand" href="/" aria-label="PdM home: fleet">
          <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#1d4e73" />
            <path d="M5 18h5l3-8 5 14 3-6h6" fill="none" stroke="#7cc4fa" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <span className="brand-name">PdM</span>
          <span className="tenant" title="Tenant">
            {profile.tenant.name}
          </span>
        </a>
        <nav aria-label="Pages">
          <ul className="nav">
            {nav.map((n) => (
              <li key={n.to}>
                <NavLink to={{ pathname: n.to, search: keepParams() }} end={n.end} className="nav-link">
                  {n.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="top-right">
          {can(profile, "reports") && <DownloadReport page={page} scope={reportScope} />}
          <details className="menu user-menu">
            <summary className="user-button" aria-label={`Account: ${profile.display_name || profile.username}`}>
              <span className="avatar" aria-hidden="true">
                {(profile.display_name || profile.username || "?").slice(0, 1).toUpperCase()}
              </span>
              <span className="user-text">
                <span>{profile.display_name || profile.username}</span>
                <span className="role">{profile.role ?? "token"}</span>
              </span>
            </summary>
            <div className="menu-panel">
              <p className="small">
                {profile.role_label}
                <br />
                Tenant <strong>{profile.tenant.name}</strong>
              </p>
              <a href={profile.links.api_docs}>API documentation</a>
              {profile.links.admin && <a href={profile.links.admin}>Django admin</a>}
              <button type="button" className="btn" onClick={onLogout}>
                Log out
              </button>
            </div>
          </details>
        </div>
      </div>
      <div className="bar bar-controls">
        <label className="control">
          <span>Site</span>
          <select value={page.site?.name ?? ""} onChange={(e) => page.setSite(e.target.value || null)}>
            <option value="">All sites ({profile.sites.reduce((n, s) => n + s.assets, 0)} assets)</option>
            {profile.sites.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} ({s.assets} assets)
              </option>
            ))}
          </select>
        </label>
        <TimeRangePicker
          spec={page.spec}
          start={page.start}
          end={page.end}
          zone={page.zone}
          shifts={site?.shifts ?? []}
          onChange={page.setSpec}
        />
        <div className="segmented" role="radiogroup" aria-label="Time zone of times shown">
          {(["site", "utc"] as const).map((kind) => (
            <button
              key={kind}
              type="button"
              role="radio"
              aria-checked={page.zone.kind === kind}
              className={page.zone.kind === kind ? "seg seg-on" : "seg"}
              onClick={() => page.setZoneKind(kind)}
              title={kind === "site" ? site?.time_zone : "Coordinated Universal Time"}
            >
              {kind === "utc" ? "UTC" : `Site time (${site?.time_zone ?? "UTC"})`}
            </button>
          ))}
        </div>
        <LiveIndicator live={page.live} lastUpdate={lastUpdate} refreshS={page.refreshS} />
      </div>
    </header>
  );
}

/** Navigation keeps the site, zone and range of the page. */
function keepParams(): string {
  const p = new URLSearchParams(window.location.search);
  const keep = new URLSearchParams();
  for (const k of ["site", "tz", "range", "from", "to"]) {
    const v = p.get(k);
    if (v) keep.set(k, v);
  }
  const s = keep.toString();
  return s ? `?${s}` : "";
}
