// Presets, shifts, back/forward and a custom range; the custom inputs are read in the zone shown.
import { useState } from "react";
import { fmtTime, wall, zonedToUtc, type Zone } from "../format/time";
import { dayRange, PRESETS, rangeLabel, shiftRange, stepRange, type RangeSpec } from "../state/range";
import type { Shift } from "../api/types";

interface Props {
  spec: RangeSpec;
  start: number;
  end: number;
  zone: Zone;
  shifts: Shift[];
  onChange: (spec: RangeSpec) => void;
}

const pad = (n: number) => String(n).padStart(2, "0");

function toLocalInput(ms: number, zone: Zone): string {
  const w = wall(ms, zone);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

function fromLocalInput(text: string, zone: Zone): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(text);
  if (!m) return NaN;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  return zone.kind === "utc" ? Date.UTC(y, mo - 1, d, h, mi) : zonedToUtc(y, mo, d, h, mi, zone.timeZone);
}

export function TimeRangePicker({ spec, start, end, zone, shifts, onChange }: Props) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [error, setError] = useState("");
  const now = Date.now();
  const quick: { label: string; range: { start: number; end: number } | null }[] = [
    { label: "Today", range: dayRange(zone, now, 0) },
    { label: "Yesterday", range: dayRange(zone, now, -1) },
  ];
  const current = shiftRange(shifts, zone, now, 0);
  const previous = shiftRange(shifts, zone, now, -1);
  if (current) quick.push({ label: `Shift ${current.name} (now)`, range: { start: current.start, end: now } });
  if (previous) quick.push({ label: `Shift ${previous.name} (previous)`, range: previous });

  const apply = (next: RangeSpec) => {
    onChange(next);
    setOpen(false);
  };
  const openPanel = () => {
    setFrom(toLocalInput(start, zone));
    setTo(toLocalInput(end, zone));
    setError("");
    setOpen((o) => !o);
  };
  const applyCustom = (e: React.FormEvent) => {
    e.preventDefault();
    const a = fromLocalInput(from, zone);
    const b = fromLocalInput(to, zone);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return setError("Enter both times as date and time.");
    if (a >= b) return setError("The start must be before the end.");
    apply({ kind: "absolute", start: a, end: b });
  };

  return (
    <div className="range-picker">
      <button type="button" className="icon-btn" aria-label="Earlier: move the range back by its length" onClick={() => onChange(stepRange(spec, -1, now))}>
        ‹
      </button>
      <button type="button" className="range-button" aria-expanded={open} aria-controls="range-panel" onClick={openPanel}>
        <span className="range-kind">{rangeLabel(spec)}</span>
        <span className="range-text">
          {fmtTime(start, zone)} – {fmtTime(end, zone)}
        </span>
      </button>
      <button
        type="button"
        className="icon-btn"
        aria-label="Later: move the range forward by its length"
        disabled={spec.kind === "relative"}
        onClick={() => onChange(stepRange(spec, 1, now))}
      >
        ›
      </button>
      {open && (
        <div id="range-panel" className="range-panel" role="dialog" aria-label="Choose the time range">
          <div className="range-columns">
            <fieldset>
              <legend>Last</legend>
              {PRESETS.map((p) => (
                <button
                  key={p.key}
                  type="button"
                  className={spec.kind === "relative" && spec.key === p.key ? "chip chip-on" : "chip"}
                  onClick={() => apply({ kind: "relative", key: p.key, ms: p.ms })}
                >
                  {p.label}
                </button>
              ))}
            </fieldset>
            <fieldset>
              <legend>Days and shifts ({zone.kind === "utc" ? "UTC" : "site time"})</legend>
              {quick.map((q) => (
                <button key={q.label} type="button" className="chip" onClick={() => q.range && apply({ kind: "absolute", ...q.range })}>
                  {q.label}
                </button>
              ))}
            </fieldset>
            <form onSubmit={applyCustom} className="custom-range" noValidate>
              <fieldset>
                <legend>Custom ({zone.kind === "utc" ? "UTC" : zone.timeZone})</legend>
                <label>
                  From
                  <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
                </label>
                <label>
                  To
                  <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} required />
                </label>
                {error && (
                  <p className="field-error" role="alert">
                    {error}
                  </p>
                )}
                <button type="submit" className="btn btn-primary">
                  Apply
                </button>
              </fieldset>
            </form>
          </div>
        </div>
      )}
    </div>
  );
}
