// The page's time range: relative ("last 24 h", live: it ends now and refreshes) or absolute
// (from/to, after a zoom, back/forward, a shift or a custom range). Kept in the URL, so links,
// reloads and the browser's back button keep it.
import type { Shift } from "../api/types";
import { type Zone, wall, zonedToUtc } from "../format/time";

export const PRESETS = [
  { key: "1h", label: "Last 1 h", ms: 3600e3 },
  { key: "6h", label: "Last 6 h", ms: 6 * 3600e3 },
  { key: "24h", label: "Last 24 h", ms: 24 * 3600e3 },
  { key: "7d", label: "Last 7 days", ms: 7 * 86400e3 },
  { key: "30d", label: "Last 30 days", ms: 30 * 86400e3 },
] as const;

export type RangeSpec = { kind: "relative"; key: string; ms: number } | { kind: "absolute"; start: number; end: number };

export const DEFAULT_RANGE: RangeSpec = { kind: "relative", key: "24h", ms: 24 * 3600e3 };

export function parseRange(params: URLSearchParams): RangeSpec {
  const from = params.get("from");
  const to = params.get("to");
  if (from && to) {
    const start = Date.parse(from);
    const end = Date.parse(to);
    if (Number.isFinite(start) && Number.isFinite(end) && start < end) return { kind: "absolute", start, end };
  }
  const preset = PRESETS.find((p) => p.key === params.get("range"));
  return preset ? { kind: "relative", key: preset.key, ms: preset.ms } : DEFAULT_RANGE;
}

export function writeRange(params: URLSearchParams, spec: RangeSpec): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete("from");
  next.delete("to");
  next.delete("range");
  if (spec.kind === "relative") next.set("range", spec.key);
  else {
    next.set("from", new Date(spec.start).toISOString());
    next.set("to", new Date(spec.end).toISOString());
  }
  return next;
}

export function resolveRange(spec: RangeSpec, nowMs: number): { start: number; end: number } {
  return spec.kind === "relative" ? { start: nowMs - spec.ms, end: nowMs } : { start: spec.start, end: spec.end };
}

/** Back (-1) or forward (+1) by the range's own length; forward never passes now. */
export function stepRange(spec: RangeSpec, direction: -1 | 1, nowMs: number): RangeSpec {
  const { start, end } = resolveRange(spec, nowMs);
  const len = end - start;
  const nextEnd = Math.min(end + direction * len, nowMs);
  return { kind: "absolute", start: nextEnd - len, end: nextEnd };
}

export function rangeLabel(spec: RangeSpec): string {
  return spec.kind === "relative" ? (PRESETS.find((p) => p.key === spec.key)?.label ?? spec.key) : "Custom";
}

function hm(text: string): [number, number] {
  const [h, m] = text.split(":").map(Number);
  return [h, m];
}

/** The shift that contains `nowMs` (offset 0) or the one before it (offset -1), in site time. */
export function shiftRange(
  shifts: Shift[],
  zone: Zone,
  nowMs: number,
  offset: 0 | -1,
): { name: string; start: number; end: number } | null {
  if (!shifts.length) return null;
  const tz = zone.kind === "site" ? zone.timeZone : "UTC";
  const today = wall(nowMs, { kind: "site", timeZone: tz });
  const candidates: { name: string; start: number; end: number }[] = [];
  for (const dayShift of [-2, -1, 0, 1]) {
    const base = new Date(Date.UTC(today.y, today.mo - 1, today.d + dayShift));
    for (const s of shifts) {
      const [sh, sm] = hm(s.start);
      const [eh, em] = hm(s.end);
      const start = zonedToUtc(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), sh, sm, tz);
      const endDay = eh * 60 + em <= sh * 60 + sm ? 1 : 0; // crosses midnight
      const e = new Date(base.getTime() + endDay * 86400e3);
      const end = zonedToUtc(e.getUTCFullYear(), e.getUTCMonth() + 1, e.getUTCDate(), eh, em, tz);
      candidates.push({ name: s.name, start, end });
    }
  }
  candidates.sort((a, b) => a.start - b.start);
  const current = candidates.findIndex((c) => c.start <= nowMs && nowMs < c.end);
  if (current < 0) return null;
  return candidates[current + offset] ?? null;
}

/** Today or yesterday (site or UTC calendar day) as a range; today ends now. */
export function dayRange(zone: Zone, nowMs: number, offset: 0 | -1): { start: number; end: number } {
  const tz = zone.kind === "site" ? zone.timeZone : "UTC";
  const w = wall(nowMs, zone);
  const start = zonedToUtc(w.y, w.mo, w.d + offset, 0, 0, tz);
  const end = offset === 0 ? nowMs : zonedToUtc(w.y, w.mo, w.d, 0, 0, tz);
  return { start, end };
}
