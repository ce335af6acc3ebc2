import { describe, expect, it } from "vitest";
import { fmtTime, offsetMinutes, toIso, zonedToUtc } from "./time";

const KOLKATA = { kind: "site", timeZone: "Asia/Kolkata" } as const;

describe("times always carry their zone", () => {
  it("prints UTC with 'UTC'", () => {
    expect(fmtTime("2026-12-07T00:20:00Z", { kind: "utc" })).toBe("2026-12-07 00:20 UTC");
  });

  it("prints site time with its offset, across the date line", () => {
    expect(fmtTime("2026-12-06T20:00:00Z", KOLKATA)).toBe("2026-12-07 01:30 UTC+05:30");
    expect(fmtTime("2026-12-07T00:20:05Z", KOLKATA, { seconds: true })).toBe("2026-12-07 05:50:05 UTC+05:30");
  });

  it("follows daylight saving time of zones that have it", () => {
    const berlin = { kind: "site", timeZone: "Europe/Berlin" } as const;
    expect(fmtTime("2026-01-15T12:00:00Z", berlin)).toBe("2026-01-15 13:00 UTC+01:00");
    expect(fmtTime("2026-07-15T12:00:00Z", berlin)).toBe("2026-07-15 14:00 UTC+02:00");
  });

  it("shows a missing time as a dash", () => {
    expect(fmtTime(null, { kind: "utc" })).toBe("—");
  });
});

describe("site wall-clock times convert to UTC", () => {
  it("knows India's fixed offset", () => {
    expect(offsetMinutes(Date.parse("2026-06-01T00:00:00Z"), "Asia/Kolkata")).toBe(330);
    expect(toIso(zonedToUtc(2026, 12, 7, 6, 0, "Asia/Kolkata"))).toBe("2026-12-07T00:30:00Z");
  });

  it("handles a DST zone on both sides of the change", () => {
    expect(toIso(zonedToUtc(2026, 3, 28, 12, 0, "Europe/Berlin"))).toBe("2026-03-28T11:00:00Z");
    expect(toIso(zonedToUtc(2026, 3, 30, 12, 0, "Europe/Berlin"))).toBe("2026-03-30T10:00:00Z");
  });
});
