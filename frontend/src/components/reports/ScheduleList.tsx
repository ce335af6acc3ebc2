// The tenant's report schedules: edit, enable or disable, delete, and each one's delivery history.
import { useState } from "react";
import { api, ApiError } from "../../api/client";
import type { ReportDelivery, ReportSchedule } from "../../api/types";
import { fmtTime, type Zone } from "../../format/time";
import { DELIVERY_STATUS, FORMATS, PERIOD_RULE, scopeLabel } from "./labels";
import { ScheduleForm } from "./ScheduleForm";

export function DeliveryTable({ deliveries, zone }: { deliveries: ReportDelivery[]; zone: Zone }) {
  if (deliveries.length === 0) return <p className="muted">No delivery yet.</p>;
  return (
    <table className="table" aria-label="Deliveries">
      <thead>
        <tr>
          <th scope="col">Period</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Error</th>
          <th scope="col">Sent at</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr key={d.id}>
            <td>
              {fmtTime(d.period_start, zone)} → {fmtTime(d.period_end, zone)}
            </td>
            <td>{DELIVERY_STATUS[d.status]}</td>
            <td className="num">{d.attempts}</td>
            <td>{d.error || "—"}</td>
            <td>{d.sent_at ? fmtTime(d.sent_at, zone) : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Deliveries({ schedule }: { schedule: ReportSchedule }) {
  const [rows, setRows] = useState<ReportDelivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const zone: Zone = { kind: "site", timeZone: schedule.timezone };
  const load = () =>
    api.deliveries(schedule.id).then(setRows, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  return (
    <details onToggle={(e) => (e.currentTarget.open && rows === null ? void load() : undefined)}>
      <summary>Delivery history</summary>
      {error ? <p className="status status-error">{error}</p> : rows ? <DeliveryTable deliveries={rows} zone={zone} /> : <p className="muted">Loading…</p>}
    </details>
  );
}

export function ScheduleRow({ schedule, onChanged }: { schedule: ReportSchedule; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const act = (call: () => Promise<unknown>) => async () => {
    setError(null);
    try {
      await call();
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  const label = schedule.name || scopeLabel(schedule.scope, schedule.scope_id);
  return (
    <li className="card schedule" data-schedule={schedule.id}>
      <h3>{label}</h3>
      <p>
        {scopeLabel(schedule.scope, schedule.scope_id)} · {PERIOD_RULE[schedule.period_rule]} · {FORMATS[schedule.formats]} ·{" "}
        {schedule.cron ? `cron ${schedule.cron}` : `at ${schedule.run_at}`} {schedule.timezone} ·{" "}
        <strong>{schedule.enabled ? "Enabled" : "Disabled"}</strong>
      </p>
      <p className="muted">To: {schedule.recipients.join(", ")}</p>
      <p>
        <button type="button" className="btn" aria-label={`Edit ${label}`} aria-expanded={editing} onClick={() => setEditing(!editing)}>
          Edit
        </button>{" "}
        <button
          type="button"
          className="btn"
          aria-label={`${schedule.enabled ? "Disable" : "Enable"} ${label}`}
          onClick={act(() => api.scheduleUpdate(schedule.id, { enabled: !schedule.enabled }))}
        >
          {schedule.enabled ? "Disable" : "Enable"}
        </button>{" "}
        <button
          type="button"
          className="btn"
          aria-label={`Delete ${label}`}
          onClick={act(async () => {
            if (window.confirm(`Delete the schedule ${label}?`)) await api.scheduleDelete(schedule.id);
          })}
        >
          Delete
        </button>
      </p>
      {error && (
        <p role="alert" className="status status-error">
          {error}
        </p>
      )}
      {editing && (
        <ScheduleForm
          schedule={schedule}
          onCancel={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            onChanged();
          }}
        />
      )}
      <Deliveries schedule={schedule} />
    </li>
  );
}

export function ScheduleList({ schedules, onChanged }: { schedules: ReportSchedule[]; onChanged: () => void }) {
  if (schedules.length === 0) return <p className="muted">No schedule yet.</p>;
  return (
    <ul className="schedules" aria-label="Schedules">
      {schedules.map((s) => (
        <ScheduleRow key={s.id} schedule={s} onChanged={onChanged} />
      ))}
    </ul>
  );
}
