// Create a report schedule or edit one (CONTRACTS §16.5); the server checks every rule and its 400
// names the field, shown beside that field. An edit sends only the fields that changed (PATCH).
import { useState } from "react";
import { api, ApiError } from "../../api/client";
import type { PeriodRule, ReportSchedule, ReportScope, ScheduleFormats, ScheduleInput } from "../../api/types";
import { FORMATS, PERIOD_RULE } from "./labels";

const EMPTY: ScheduleInput = {
  name: "",
  scope: "fleet",
  scope_id: "",
  period_rule: "previous_day",
  formats: "both",
  recipients: [],
  enabled: true,
  run_at: "06:00",
  cron: "",
};

const FIELDS: (keyof ScheduleInput)[] = ["name", "scope", "scope_id", "period_rule", "formats", "recipients", "enabled", "run_at", "cron"];

function inputOf(s: ReportSchedule): ScheduleInput {
  return Object.fromEntries(FIELDS.map((k) => [k, k === "cron" ? (s.cron ?? "") : s[k]])) as unknown as ScheduleInput;
}

/** The fields of `next` that differ from `old` (recipients compared as lists). */
export function changedFields(old: ScheduleInput, next: ScheduleInput): Partial<ScheduleInput> {
  const out: Partial<ScheduleInput> = {};
  for (const k of FIELDS) {
    if (JSON.stringify(old[k] ?? "") !== JSON.stringify(next[k] ?? "")) Object.assign(out, { [k]: next[k] });
  }
  return out;
}

/** The first server message for a field, also for indexed ones such as `recipients[1]`. */
export function fieldMessage(error: ApiError | null, field: string): string | undefined {
  return error?.errors.find((e) => e.field === field || e.field.startsWith(`${field}[`))?.message;
}

function FieldError({ error, field, prefix }: { error: ApiError | null; field: string; prefix: string }) {
  const message = fieldMessage(error, field);
  return message ? (
    <span className="field-error" id={`${prefix}-${field}-error`}>
      {message}
    </span>
  ) : null;
}

type Props = { schedule?: undefined; onCreated: () => void } | { schedule: ReportSchedule; onSaved: () => void; onCancel: () => void };

export function ScheduleForm(props: Props) {
  const initial = props.schedule ? inputOf(props.schedule) : EMPTY;
  const prefix = props.schedule ? `schedule-${props.schedule.id}` : "schedule-new";
  const [values, setValues] = useState<ScheduleInput>(initial);
  const [recipients, setRecipients] = useState(initial.recipients.join(", "));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const set = <K extends keyof ScheduleInput>(key: K, value: ScheduleInput[K]) => setValues((v) => ({ ...v, [key]: value }));
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const list = recipients
        .split(/[\s,;]+/)
        .map((r) => r.trim())
        .filter(Boolean);
      const next = { ...values, recipients: list };
      if (props.schedule) {
        const changes = changedFields(initial, next);
        if (Object.keys(changes).length) await api.scheduleUpdate(props.schedule.id, changes);
        props.onSaved();
      } else {
        const { cron, ...rest } = next;
        await api.scheduleCreate(cron ? next : rest);
        setValues(EMPTY);
        setRecipients("");
        props.onCreated();
      }
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  const known: string[] = FIELDS;
  const other = error?.errors.filter((e) => !known.some((k) => e.field === k || e.field.startsWith(`${k}[`))) ?? [];
  return (
    <form onSubmit={submit} aria-label={props.schedule ? `Edit ${props.schedule.name || "schedule"}` : "New schedule"} noValidate>
      <div className="form-grid">
        <label>
          Name
          <input value={values.name} onChange={(e) => set("name", e.target.value)} />
          <FieldError prefix={prefix} error={error} field="name" />
        </label>
        <label>
          Scope
          <select
            value={values.scope}
            onChange={(e) => setValues((v) => ({ ...v, scope: e.target.value as ReportScope, scope_id: e.target.value === "fleet" ? "" : v.scope_id }))}
          >
            <option value="fleet">Fleet</option>
            <option value="site">Site</option>
            <option value="asset">Asset</option>
          </select>
          <FieldError prefix={prefix} error={error} field="scope" />
        </label>
        <label>
          Site code or asset id
          <input
            value={values.scope_id}
            disabled={values.scope === "fleet"}
            onChange={(e) => set("scope_id", e.target.value)}
            placeholder={values.scope === "fleet" ? "not for the fleet" : ""}
          />
          <FieldError prefix={prefix} error={error} field="scope_id" />
        </label>
        <label>
          Period
          <select value={values.period_rule} onChange={(e) => set("period_rule", e.target.value as PeriodRule)}>
            {Object.entries(PERIOD_RULE).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
          <FieldError prefix={prefix} error={error} field="period_rule" />
        </label>
        <label>
          Formats
          <select value={values.formats} onChange={(e) => set("formats", e.target.value as ScheduleFormats)}>
            {Object.entries(FORMATS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
          <FieldError prefix={prefix} error={error} field="formats" />
        </label>
        <label>
          Recipients (e-mail, comma-separated)
          <input value={recipients} onChange={(e) => setRecipients(e.target.value)} />
          <FieldError prefix={prefix} error={error} field="recipients" />
        </label>
        <label>
          Run at (local HH:MM)
          <input value={values.run_at} onChange={(e) => set("run_at", e.target.value)} />
          <FieldError prefix={prefix} error={error} field="run_at" />
        </label>
        <label>
          Cron (optional; overrides run at)
          <input value={values.cron ?? ""} onChange={(e) => set("cron", e.target.value)} placeholder="minute hour day month weekday" />
          <FieldError prefix={prefix} error={error} field="cron" />
        </label>
        <label className="check">
          <span>
            <input type="checkbox" checked={values.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Enabled
          </span>
        </label>
      </div>
      <p>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {props.schedule ? "Save changes" : "Create schedule"}
        </button>
        {props.schedule && (
          <>
            {" "}
            <button type="button" className="btn" onClick={props.onCancel}>
              Cancel
            </button>
          </>
        )}
      </p>
      {error && (other.length > 0 || error.errors.length === 0) && (
        <p role="alert" className="status status-error">
          {other.length ? other.map((e) => `${e.field}: ${e.message}`).join("; ") : error.message}
        </p>
      )}
    </form>
  );
}
