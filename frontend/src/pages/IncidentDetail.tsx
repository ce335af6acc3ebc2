// One incident: conditions, explanation, guidance, acknowledge/resolve and the audit trail.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError } from "../api/client";
import type { AlertDetail, Factor } from "../api/types";
import { FactorBars } from "../components/FactorBars";
import { Guidance } from "../components/Guidance";
import { SeverityBadge, StateBadge } from "../components/RiskBadge";
import { ErrorNote, Loading } from "../components/Status";
import { causeLabel } from "../format/labels";
import { fmtAlertValue } from "../format/numbers";
import { fmtTime, type Zone } from "../format/time";
import { can, useSession } from "../state/session";
import { useResource } from "../state/useResource";
import { useLayout } from "./context";

const ACTIONS: Record<string, string> = {
  opened: "Opened",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
  escalated: "Escalated",
  reminder: "Reminder sent",
  reminded: "Reminder sent",
  raised: "Severity raised",
  lowered: "Severity lowered",
  reopened: "Reopened (relapse)",
};

function ConditionsTable({ alert, zone }: { alert: AlertDetail; zone: Zone }) {
  return (
    <table className="table" aria-label="Conditions">
      <thead>
        <tr>
          <th scope="col">Condition</th>
          <th scope="col">Severity</th>
          <th scope="col">First seen</th>
          <th scope="col">Last seen</th>
          <th scope="col" className="num">
            Peak
          </th>
        </tr>
      </thead>
      <tbody>
        {alert.conditions.map((c) => (
          <tr key={c.cause} data-condition={c.cause} data-active={c.active}>
            <td>
              {causeLabel(c.cause)}
              {!c.active && <span className="small"> · cleared {fmtTime(c.cleared_at, zone)}</span>}
            </td>
            <td>
              <SeverityBadge severity={c.severity} />
            </td>
            <td>{fmtTime(c.first_seen_at, zone)}</td>
            <td>{fmtTime(c.last_seen_at, zone)}</td>
            <td className="num">{fmtAlertValue(c.peak_value, c.unit)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ActionForm({ alert, onDone }: { alert: AlertDetail; onDone: (a: AlertDetail) => void }) {
  const [comment, setComment] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<AlertDetail>) => {
    setBusy(true);
    setError(null);
    try {
      onDone(await fn());
      setComment("");
      setNote("");
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  const noteError = error?.forField("note");
  return (
    <div className="action-forms">
      {alert.state === "open" && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            run(() => api.acknowledge(alert.id, comment));
          }}
        >
          <label htmlFor="ack-comment">Comment (optional)</label>
          <textarea id="ack-comment" value={comment} onChange={(e) => setComment(e.target.value)} rows={2} placeholder="e.g. Crew on the way; vibration probe checked" />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Acknowledge
          </button>
        </form>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(() => api.resolve(alert.id, note));
        }}
        noValidate
      >
        <label htmlFor="resolve-note">Resolution note (required)</label>
        <textarea
          id="resolve-note"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          rows={2}
          aria-invalid={Boolean(noteError)}
          aria-describedby={noteError ? "note-error" : undefined}
          placeholder="What was found and done"
        />
        {noteError && (
          <p id="note-error" className="field-error">
            {noteError}
          </p>
        )}
        <button type="submit" className="btn" disabled={busy}>
          Resolve
        </button>
      </form>
      {error && !noteError && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
    </div>
  );
}

export function IncidentDetail() {
  const { alertId = "" } = useParams();
  const { page } = useLayout();
  const { profile } = useSession();
  const loaded = useResource(() => api.alert(alertId), [alertId]);
  const [updated, setUpdated] = useState<AlertDetail | null>(null);
  const alert = updated ?? loaded.data;
  if (loaded.error instanceof ApiError && loaded.error.status === 404) {
    return (
      <div className="page">
        <h1>Incident not found</h1>
        <p>
          No incident <code>{alertId}</code> in your tenant. <Link to="/incidents">All incidents</Link>
        </p>
      </div>
    );
  }
  if (loaded.error) return <ErrorNote error={loaded.error} />;
  if (!alert) return <Loading what="the incident" />;
  const z = page.zone;
  const machineFactors = alert.asset_id && alert.factors.length && "share_of_drop" in alert.factors[0];
  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={`/incidents${window.location.search}`}>Incidents</Link> <span aria-hidden="true">›</span> <span>{causeLabel(alert.cause)}</span>
      </nav>
      <div className="page-title asset-title">
        <div>
          <h1>
            {causeLabel(alert.cause)}{" "}
            <span className="subtle">
              on {alert.asset_id ? <Link to={`/assets/${encodeURIComponent(alert.asset_id)}`}>{alert.asset_id}</Link> : `site ${alert.site} supply`}
            </span>
          </h1>
          <p className="muted">
            <SeverityBadge severity={alert.severity} /> <StateBadge state={alert.state} /> · opened {fmtTime(alert.opened_at, z)} · last seen {fmtTime(alert.last_seen_at, z)} · seen{" "}
            {alert.occurrences}×
            {alert.peak_severity && alert.peak_severity !== alert.severity && <> · peak {alert.peak_severity}</>}
            {alert.reopen_count > 0 && <span data-field="reopen_count"> · reopened {alert.reopen_count}× after a relapse</span>}
          </p>
        </div>
      </div>
      <div className="grid-2">
        <section className="card" aria-labelledby="cond-title">
          <h2 id="cond-title">Conditions</h2>
          <dl className="facts">
            <dt>Value</dt>
            <dd data-field="value">{fmtAlertValue(alert.value, alert.unit)}</dd>
            <dt>Peak while active</dt>
            <dd>{fmtAlertValue(alert.peak_value, alert.unit)}</dd>
            <dt>Site</dt>
            <dd>{alert.site}</dd>
            {alert.escalated_at && (
              <>
                <dt>Escalated</dt>
                <dd>{fmtTime(alert.escalated_at, z)}</dd>
              </>
            )}
          </dl>
          {alert.conditions.length > 0 && <ConditionsTable alert={alert} zone={z} />}
          <h3>Explanation</h3>
          <pre className="explanation">{alert.explanation}</pre>
          {machineFactors ? (
            <>
              <h3>Factors by share of the drop</h3>
              <FactorBars factors={alert.factors as unknown as Factor[]} />
            </>
          ) : null}
        </section>
        <section className="card" aria-labelledby="act-title">
          <h2 id="act-title">Response</h2>
          {alert.state === "resolved" ? (
            <p>
              Resolved {fmtTime(alert.resolved_at, z)} by <strong>{alert.resolved_by}</strong>
              {alert.auto_resolved ? " (automatically)" : ""}: {alert.note}
            </p>
          ) : can(profile, "incidents") ? (
            <ActionForm alert={alert} onDone={setUpdated} />
          ) : (
            <p className="muted">Your role ({profile.role}) views incidents; operators and admins acknowledge and resolve them.</p>
          )}
          <h2 className="spaced">What to check</h2>
          <Guidance guidance={alert.guidance} />
        </section>
      </div>
      <section className="card" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit trail</h2>
        <table className="table audit" aria-label="Audit trail">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">State</th>
              <th scope="col">By</th>
              <th scope="col">Comment or note</th>
            </tr>
          </thead>
          <tbody>
            {alert.transitions.map((t, i) => (
              <tr key={`${t.at}-${i}`} data-action={t.action}>
                <td>{fmtTime(t.at, z, { seconds: true })}</td>
                <td>{ACTIONS[t.action] ?? t.action}</td>
                <td>
                  {t.from_state ? `${t.from_state} → ` : ""}
                  {t.to_state}
                </td>
                <td>{t.actor}</td>
                <td>{t.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {alert.notifications.length > 0 && (
          <>
            <h3>Notifications</h3>
            <ul className="plain">
              {alert.notifications.map((n, i) => (
                <li key={i}>
                  {n.event} → {n.channel}: {n.status} ({n.attempts} attempt{n.attempts === 1 ? "" : "s"})
                  {n.sent_at ? `, ${fmtTime(n.sent_at, z)}` : ""}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    </div>
  );
}
