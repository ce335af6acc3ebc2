import { describe, expect, it } from "vitest";
import { chartWindow, halfHourWindow, toColumns } from "./client";

describe("query windows", () => {
  const day = 86400e3;
  it("keeps a fixed range as it is", () => {
    expect(chartWindow(1000, 2000 + day, 800, false)).toEqual({ start: 1000, end: 2000 + day });
  });
  it("rounds a live range's end up to about a pixel (at least a minute) so refreshes repeat one URL", () => {
    const now = 1796601600e3 + 17_500; // 17.5 s past a whole minute
    expect(chartWindow(now - 3600e3, now, 800, true)).toEqual({ start: 1796601660e3 - 3600e3, end: 1796601660e3 });
    // 30 days over 800 px: a step of 3240 s; the window keeps its length
    const w = chartWindow(now - 30 * day, now, 800, true);
    expect(w.end - w.start).toBe(30 * day);
    expect(w.end % 3240e3).toBe(0);
    expect(w.end).toBeGreaterThanOrEqual(now);
    expect(w.end - now).toBeLessThan(3240e3);
    // a few seconds later: the same window
    expect(chartWindow(now + 5000 - 30 * day, now + 5000, 800, true)).toEqual(w);
  });
  it("widens an energy period to whole half-hours", () => {
    const t = 1796601600e3; // 2026-12-07T00:00Z
    expect(halfHourWindow(t + 60e3, t + 3600e3 + 1)).toEqual({ start: t, end: t + 5400e3 });
    expect(halfHourWindow(t, t)).toEqual({ start: t, end: t + 1800e3 });
  });
});

describe("columns for the charts", () => {
  it("keeps buckets' mean/min/max and treats a raw value as all three; gaps stay null", () => {
    const cols = toColumns(
      {
        asset_id: "M-1",
        start: "",
        end: "",
        resolution: "300s",
        series: [
          { time: "2026-12-07T00:00:00Z", values: { v: { mean: 2, min: 1, max: 3, count: 5 } } },
          { time: "2026-12-07T00:05:00Z", values: { v: 4 } },
          { time: "2026-12-07T00:10:00Z", values: {} },
        ],
      },
      ["v"],
    );
    expect(cols.t).toEqual([1796601600, 1796601900, 1796602200]);
    expect(cols.fields.v).toEqual({ mean: [2, 4, null], min: [1, 4, null], max: [3, 4, null] });
  });
});
