import { describe, expect, it } from "vitest";
import { resolutionFor, toColumns } from "./client";

describe("the point budget picks the server's bucket", () => {
  const day = 86400e3;
  it("asks for about one point per pixel, raw when the range is short", () => {
    expect(resolutionFor(0, 6 * 3600e3, 800)).toBe("raw"); // 30 s buckets would fit: raw minute data does too
    expect(resolutionFor(0, day, 800)).toBe("300s"); // 288 buckets; 60 s would be 1440
    expect(resolutionFor(0, 30 * day, 800)).toBe("3600s"); // 720 points for a month
    expect(resolutionFor(0, 30 * day, 200)).toBe("21600s");
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
