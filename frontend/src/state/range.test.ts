import { describe, expect, it } from "vitest";
import { toIso } from "../format/time";
import { dayRange, parseRange, shiftRange, stepRange, writeRange } from "./range";

const SHIFTS = [
  { name: "A", start: "06:00", end: "14:00" },
  { name: "B", start: "14:00", end: "22:00" },
  { name: "C", start: "22:00", end: "06:00" },
];
const KOLKATA = { kind: "site", timeZone: "Asia/Kolkata" } as const;
const iso = (r: { start: number; end: number } | null) => r && [toIso(r.start), toIso(r.end)];

describe("shift ranges in site time", () => {
  it("finds the night shift that crosses midnight", () => {
    const now = Date.parse("2026-12-06T20:00:00Z"); // 01:30 site time on the 7th
    const current = shiftRange(SHIFTS, KOLKATA, now, 0);
    expect(current?.name).toBe("C");
    expect(iso(current)).toEqual(["2026-12-06T16:30:00Z", "2026-12-07T00:30:00Z"]); // 22:00-06:00 IST
    const previous = shiftRange(SHIFTS, KOLKATA, now, -1);
    expect(previous?.name).toBe("B");
    expect(iso(previous)).toEqual(["2026-12-06T08:30:00Z", "2026-12-06T16:30:00Z"]);
  });

  it("gives site days, not UTC days", () => {
    const now = Date.parse("2026-12-06T20:00:00Z");
    expect(iso(dayRange(KOLKATA, now, -1))).toEqual(["2026-12-05T18:30:00Z", "2026-12-06T18:30:00Z"]);
    expect(iso(dayRange({ kind: "utc" }, now, -1))).toEqual(["2026-12-05T00:00:00Z", "2026-12-06T00:00:00Z"]);
  });
});

describe("back and forward", () => {
  it("moves by the range's length and never past now", () => {
    const now = Date.parse("2026-12-07T00:00:00Z");
    const back = stepRange({ kind: "relative", key: "24h", ms: 86400e3 }, -1, now);
    expect(back.kind === "absolute" && [toIso(back.start), toIso(back.end)]).toEqual(["2026-12-05T00:00:00Z", "2026-12-06T00:00:00Z"]);
    const forward = stepRange({ kind: "absolute", start: now - 3600e3 * 30, end: now - 3600e3 * 6 }, 1, now);
    expect(forward.kind === "absolute" && [toIso(forward.start), toIso(forward.end)]).toEqual(["2026-12-06T00:00:00Z", "2026-12-07T00:00:00Z"]);
  });
});

describe("the range lives in the URL", () => {
  it("round-trips an absolute range and falls back to 24 h on nonsense", () => {
    const spec = { kind: "absolute", start: Date.parse("2026-12-01T00:00:00Z"), end: Date.parse("2026-12-02T00:00:00Z") } as const;
    expect(parseRange(writeRange(new URLSearchParams("site=main"), spec))).toEqual(spec);
    expect(parseRange(new URLSearchParams("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z"))).toMatchObject({ key: "24h" });
    expect(parseRange(new URLSearchParams("range=7d"))).toMatchObject({ kind: "relative", key: "7d" });
  });
});
