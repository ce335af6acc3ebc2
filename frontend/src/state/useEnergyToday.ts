// "Energy today" of every machine in the fleet table: one GET /api/v1/energy/today for the fleet
// or the chosen site (each asset's energy since its site's local midnight, CONTRACTS §18.9).
// Asked once the table is on screen and again every ENERGY_REFRESH_MS (energy is rolled up per
// hour; no need to ask every 5 s).
import { useEffect, useMemo, useState } from "react";
import { api } from "../api/client";
import type { EnergyToday as EnergyTodayBody } from "../api/types";
import { useResource } from "./useResource";

export const ENERGY_REFRESH_MS = 5 * 60_000;

export interface EnergyToday {
  /** undefined while loading; "error" when the request failed; null when the asset has no data today. */
  value: (assetId: string) => number | null | "error" | undefined;
  /** The period of an asset's figure, "start/end" in RFC 3339 (shown to tests and tooltips). */
  period: (assetId: string) => string | undefined;
}

export function useEnergyToday(site: string | undefined, enabled: boolean): EnergyToday {
  const [round, setRound] = useState(0);
  useEffect(() => {
    const id = window.setInterval(() => document.visibilityState === "visible" && setRound((r) => r + 1), ENERGY_REFRESH_MS);
    return () => window.clearInterval(id);
  }, []);
  const res = useResource<EnergyTodayBody>(enabled ? () => api.energyToday(site) : null, [site, enabled], round);
  return useMemo(() => {
    const rows = new Map((res.data?.assets ?? []).map((a) => [a.asset_id, a]));
    return {
      value: (id: string) => {
        const row = rows.get(id);
        if (row) return row.energy_kwh;
        if (res.error) return "error";
        return res.data ? null : undefined;
      },
      period: (id: string) => {
        const row = rows.get(id);
        return row ? `${row.start}/${row.end}` : undefined;
      },
    };
  }, [res.data, res.error]);
}
