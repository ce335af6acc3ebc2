// The stored reports (CONTRACTS §16.4): scope, period in the site's zone and in UTC, status in words.
import type { ReportRecord } from "../../api/types";
import { fmtBytes } from "../../format/numbers";
import { fmtTime, type Zone } from "../../format/time";
import { REPORT_STATUS, scopeLabel } from "./labels";

const UTC: Zone = { kind: "utc" };

function Period({ start, end, zone }: { start: string; end: string; zone: Zone }) {
  return (
    <>
      <div>
        {fmtTime(start, zone)} → {fmtTime(end, zone)}
      </div>
      {zone.kind === "site" && (
        <div className="muted">
          {fmtTime(start, UTC)} → {fmtTime(end, UTC)}
        </div>
      )}
    </>
  );
}

export function ReportRow({ report, zone }: { report: ReportRecord; zone: Zone }) {
  return (
    <tr data-report={report.id}>
      <td>{scopeLabel(report.scope, report.scope_id)}</td>
      <td>
        <Period start={report.start} end={report.end} zone={zone} />
      </td>
      <td>{report.format === "pdf" ? "PDF" : "Excel"}</td>
      <td className={`report-status report-${report.status}`}>
        {REPORT_STATUS[report.status]}
        {report.status === "failed" && report.error && <div className="status-error">{report.error}</div>}
      </td>
      <td className="num">{fmtBytes(report.size_bytes)}</td>
      <td>{fmtTime(report.created_at, zone)}</td>
      <td>{fmtTime(report.expires_at, zone)}</td>
      <td>
        {report.status === "ready" && report.download_url ? (
          <a href={report.download_url} download={report.filename} aria-label={`Download ${report.filename}`}>
            Download
          </a>
        ) : (
          "—"
        )}
      </td>
    </tr>
  );
}

export function ReportTable({ reports, zone }: { reports: ReportRecord[]; zone: Zone }) {
  if (reports.length === 0) return <p className="muted">No stored report yet.</p>;
  return (
    <table className="table">
      <caption className="visually-hidden">Stored reports, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Scope</th>
          <th scope="col">Period</th>
          <th scope="col">Format</th>
          <th scope="col">Status</th>
          <th scope="col">Size</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">File</th>
        </tr>
      </thead>
      <tbody>
        {reports.map((r) => (
          <ReportRow key={r.id} report={r} zone={zone} />
        ))}
      </tbody>
    </table>
  );
}
