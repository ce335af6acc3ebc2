// Page state shared by the header and every page: site, zone, time range, live clock.
import { useCallback, useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import type { Site } from "../api/types";
import type { Zone } from "../format/time";
import { parseRange, resolveRange, writeRange, type RangeSpec } from "./range";
import { useSession } from "./session";

export interface PageState {
  site: Site | null; // null: every site
  sites: Site[];
  setSite: (name: string | null) => void;
  zone: Zone;
  setZoneKind: (kind: "utc" | "site") => void;
  spec: RangeSpec;
  setSpec: (spec: RangeSpec) => void;
  live: boolean;
  start: number;
  end: number;
  /** Increments on every live refresh tick. */
  tick: number;
  refreshS: number;
}

export function usePageState(): PageState {
  const { profile } = useSession();
  const [params, setParams] = useSearchParams();
  const spec = useMemo(() => parseRange(params), [params]);
  const live = spec.kind === "relative";
  const [tick, setTick] = useState(0);
  const refreshS = profile.live_refresh_s;
  useEffect(() => {
    if (!live) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === "visible") setTick((t) => t + 1);
    }, refreshS * 1000);
    return () => window.clearInterval(id);
  }, [live, refreshS]);
  // `tick` moves a live range's end to now; an absolute range does not move.
  const { start, end } = useMemo(() => resolveRange(spec, Date.now()), [spec, tick]); // eslint-disable-line
  const siteName = params.get("site");
  const site = profile.sites.find((s) => s.name === siteName) ?? null;
  const zoneKind = params.get("tz") === "utc" ? "utc" : "site";
  const tz = (site ?? profile.sites[0])?.time_zone ?? "UTC";
  const zone: Zone = zoneKind === "utc" ? { kind: "utc" } : { kind: "site", timeZone: tz };
  const update = useCallback(
    (fn: (p: URLSearchParams) => URLSearchParams) => setParams((p) => fn(new URLSearchParams(p))),
    [setParams],
  );
  return {
    site,
    sites: profile.sites,
    setSite: (name) =>
      update((p) => {
        if (name) p.set("site", name);
        else p.delete("site");
        return p;
      }),
    zone,
    setZoneKind: (kind) =>
      update((p) => {
        if (kind === "utc") p.set("tz", "utc");
        else p.delete("tz");
        return p;
      }),
    spec,
    setSpec: (next) => update((p) => writeRange(p, next)),
    live,
    start,
    end,
    tick,
    refreshS,
  };
}
