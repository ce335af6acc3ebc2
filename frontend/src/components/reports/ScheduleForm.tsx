// Create a report schedule (CONTRACTS §16.5); the server checks every rule and its 400 names the
// field, shown beside that field.
import { useState } from "react";
import { api, ApiError } from "../../api/client";
import type { PeriodRule, ReportScope, ScheduleFormats, ScheduleInput } from "../../api/types";
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
};

/** The first server message for a field, also for indexed ones such as `recipients[1]`. */
export function fieldMessage(error: ApiError | null, field: string): string | undefined {
  return error?.errors.find((e) => e.field === field || e.field.startsWith(`${field}[`))?.message;
}

function FieldError({ error, field }: { error: ApiError | null; field: string }) {
  const message = fieldMessage(error, field);
  return message ? (
    <span className="field-error" id={`schedule-${field}-error`}>
      {message}
    </span>
  ) : null;
}

export function ScheduleForm({ onCreated }: { onCreated: () => void }) {
  const [values, setValues] = useState<ScheduleInput>(EMPTY);
  const [recipients, setRecipients] = useState("");
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
      await api.scheduleCreate({ ...values, recipients: list });
      setValues(EMPTY);
      setRecipients("");
      onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  const known = ["name", "scope", "scope_id", "period_rule", "formats", "recipients", "run_at", "enabled"];
  const other = error?.errors.filter((e) => !known.some((k) => e.field === k || e.field.startsWith(`${k}[`))) ?? [];
  return (
    <form onSubmit={submit} aria-label="New schedule" noValidate>
      <div className="form-grid">
        <label>
          Name
          <input value={values.name} onChange={(e) => set("name", e.target.value)} />
          <FieldError error={error} field="name" />
        </label>
        <label>
          Scope
          <select value={values.scope} onChange={(e) => set("scope", e.target.value as ReportScope)}>
            <option value="fleet">Fleet</option>
            <option value="site">Site</option>
            <option value="asset">Asset</option>
          </select>
          <FieldError error={error} field="scope" />
        </label>
        <label>
          Site code or asset id
          <input
            value={values.scope_id}
            disabled={values.scope === "fleet"}
            onChange={(e) => set("scope_id", e.target.value)}
            placeholder={values.scope === "fleet" ? "not for the fleet" : ""}
          />
          <FieldError error={error} field="scope_id" />
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
          <FieldError error={error} field="period_rule" />
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
          <FieldError error={error} field="formats" />
        </label>
        <label>
          Recipients (e-mail, comma-separated)
          <input value={recipients} onChange={(e) => setRecipients(e.target.value)} />
          <FieldError error={error} field="recipients" />
        </label>
        <label>
          Run at (local HH:MM)
          <input value={values.run_at} onChange={(e) => set("run_at", e.target.value)} />
          <FieldError error={error} field="run_at" />
        </label>
        <label className="check">
          <span>
            <input type="checkbox" checked={values.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Enabled
          </span>
        </label>
      </div>
      <p>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Create schedule
        </button>
      </p>
      {error && (other.length > 0 || error.errors.length === 0) && (
        <p role="alert" className="status status-error">
          {other.length ? other.map((e) => `${e.field}: ${e.message}`).join("; ") : error.message}
        </p>
      )}
    </form>
  );
}
