// "Energy today" of each machine in the fleet table: GET /api/v1/energy per asset for its site's
// local day so far (whole half-hours). Loaded after the table is shown, a few requests at a time,
// and again every ENERGY_REFRESH_MS (energy is rolled up per hour; no need to ask every 5 s).
import { useEffect, useRef, useState } from "react";
import { api, halfHourWindow } from "../api/client";
import { toIso, wall, zonedToUtc } from "../format/time";

export const ENERGY_REFRESH_MS = 5 * 60_000;
const PARALLEL = 3;
const FLUSH_MS = 1000;

/** The site-local day so far as an energy period: local midnight to now, on whole half-hours. */
export function todayWindow(nowMs: number, timeZone: string): { start: number; end: number } {
  const w = wall(nowMs, { kind: "site", timeZone });
  return halfHourWindow(zonedToUtc(w.y, w.mo, w.d, 0, 0, timeZone), nowMs);
}

export type EnergyToday = Map<string, number | null | "error"> & {
  /** The period asked for an asset, "start/end" in RFC 3339 (shown to tests and tooltips). */
  period: (assetId: string) => string | undefined;
};

export function useEnergyToday(assets: { asset_id: string; timeZone: string }[]): EnergyToday {
  const [values, setValues] = useState<Map<string, number | null | "error">>(new Map());
  const periods = useRef(new Map<string, string>());
  const [round, setRound] = useState(0);
  const key = assets.map((a) => `${a.asset_id}@${a.timeZone}`).join(",");
  useEffect(() => {
    const id = window.setInterval(() => document.visibilityState === "visible" && setRound((r) => r + 1), ENERGY_REFRESH_MS);
    return () => window.clearInterval(id);
  }, []);
  useEffect(() => {
    let cancelled = false;
    const queue = [...assets];
    const now = Date.now();
    // answers are applied together at most every FLUSH_MS: one table render per batch, not one
    // per asset (500 renders of a 500-row table kept the page busy)
    const pending = new Map<string, number | null | "error">();
    let timer: number | undefined;
    const flush = () => {
      timer = undefined;
      if (cancelled || pending.size === 0) return;
      const batch = new Map(pending);
      pending.clear();
      setValues((old) => {
        const next = new Map(old);
        for (const [id, v] of batch) next.set(id, v);
        return next;
      });
    };
    const worker = async () => {
      for (let a = queue.shift(); a && !cancelled; a = queue.shift()) {
        const win = todayWindow(now, a.timeZone);
        periods.current.set(a.asset_id, `${toIso(win.start)}/${toIso(win.end)}`);
        let v: number | null | "error";
        try {
          v = (await api.energy("asset", a.asset_id, toIso(win.start), toIso(win.end), "day")).totals.energy_kwh;
        } catch {
          v = "error";
        }
        if (cancelled) return;
        pending.set(a.asset_id, v);
        if (timer === undefined) timer = window.setTimeout(flush, queue.length ? FLUSH_MS : 0);
      }
      if (timer !== undefined) {
        window.clearTimeout(timer);
        flush();
      }
    };
    for (let i = 0; i < PARALLEL; i++) void worker();
    return () => {
      cancelled = true;
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [key, round]); // eslint-disable-line
  return Object.assign(values, { period: (id: string) => periods.current.get(id) });
}
