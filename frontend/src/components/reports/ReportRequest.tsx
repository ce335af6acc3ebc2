// Request a report of the page's range for the fleet, a site or an asset, in PDF or Excel.
import { useState } from "react";
import { api, ApiError, halfHourWindow } from "../../api/client";
import type { ReportFormat, ReportScope } from "../../api/types";
import { fmtTime, toIso, type Zone } from "../../format/time";

interface Props {
  start: number;
  end: number;
  zone: Zone;
  /** Called once the server has the report (the list refreshes). */
  onDone: () => void;
}

export function ReportRequest({ start, end, zone, onDone }: Props) {
  // reports cover whole half-hours (CONTRACTS §16.4): the half-hours that cover the page's range
  const period = halfHourWindow(start, end);
  const [scope, setScope] = useState<ReportScope>("fleet");
  const [id, setId] = useState("");
  const [format, setFormat] = useState<ReportFormat>("pdf");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { blob, filename } = await api.report({
        scope,
        id: scope === "fleet" ? undefined : id.trim(),
        start: toIso(period.start),
        end: toIso(period.end),
        format,
      });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Request a report">
      <p className="muted" data-field="period">
        Period {fmtTime(period.start, zone)} to {fmtTime(period.end, zone)} (the whole half-hours covering the page's
        range).
      </p>
      <div className="form-grid">
        <label>
          Scope
          <select value={scope} onChange={(e) => setScope(e.target.value as ReportScope)}>
            <option value="fleet">Fleet</option>
            <option value="site">Site</option>
            <option value="asset">Asset</option>
          </select>
        </label>
        {scope !== "fleet" && (
          <label>
            {scope === "site" ? "Site code" : "Asset id"}
            <input value={id} onChange={(e) => setId(e.target.value)} required />
            {error?.forField("id") && <span className="field-error">{error.forField("id")}</span>}
          </label>
        )}
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value as ReportFormat)}>
            <option value="pdf">PDF</option>
            <option value="xlsx">Excel</option>
          </select>
        </label>
      </div>
      <p>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Building report…" : "Request report"}
        </button>
      </p>
      {error && !error.forField("id") && (
        <p role="alert" className="status status-error">
          {error.errors.length ? error.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : error.message}
        </p>
      )}
    </form>
  );
}
