// Every time on screen carries its zone: UTC, or the site's local time with its offset.

export type Zone = { kind: "utc" } | { kind: "site"; timeZone: string };

const formatters = new Map<string, Intl.DateTimeFormat>();

function parts(ms: number, timeZone: string): Record<string, number> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== "literal") out[p.type] = Number(p.value);
  return out;
}

/** Offset of `timeZone` from UTC at instant `ms`, in minutes (Asia/Kolkata: 330). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
}

export function offsetLabel(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const m = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** The UTC instant of a wall-clock time in `timeZone` (the offset is looked up at that instant). */
export function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  let ms = guess - offsetMinutes(guess, timeZone) * 60000;
  ms = guess - offsetMinutes(ms, timeZone) * 60000;
  return ms;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Wall-clock fields of an instant in the zone. */
export function wall(ms: number, zone: Zone): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  if (zone.kind === "utc") {
    const t = new Date(ms);
    return {
      y: t.getUTCFullYear(),
      mo: t.getUTCMonth() + 1,
      d: t.getUTCDate(),
      h: t.getUTCHours(),
      mi: t.getUTCMinutes(),
      s: t.getUTCSeconds(),
    };
  }
  const p = parts(ms, zone.timeZone);
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}

export function zoneLabel(ms: number, zone: Zone): string {
  return zone.kind === "utc" ? "UTC" : offsetLabel(offsetMinutes(ms, zone.timeZone));
}

/** "2026-12-07 05:50 UTC+05:30" or "2026-12-07 00:20 UTC"; seconds when asked. */
export function fmtTime(iso: string | number | null | undefined, zone: Zone, opts: { seconds?: boolean } = {}): string {
  if (iso === null || iso === undefined || iso === "") return "—";
  const ms = typeof iso === "number" ? iso : Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso);
  const w = wall(ms, zone);
  const time = `${pad(w.h)}:${pad(w.mi)}${opts.seconds ? `:${pad(w.s)}` : ""}`;
  return `${w.y}-${pad(w.mo)}-${pad(w.d)} ${time} ${zoneLabel(ms, zone)}`;
}

/** RFC 3339 UTC with Z, as the API takes it (whole seconds). */
export function toIso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** "3 min ago", "2 h ago": how old a time is, for staleness at a glance. */
export function age(iso: string | null, nowMs: number): string {
  if (!iso) return "never";
  const s = Math.max(0, (nowMs - Date.parse(iso)) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
