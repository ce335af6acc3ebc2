import { describe, expect, it } from "vitest";
import { defaultBucket } from "../pages/Energy";
import { todayWindow } from "./useEnergyToday";

describe("energy periods", () => {
  it("today in Kolkata starts at local midnight (18:30 UTC the day before) and ends on the next half-hour", () => {
    const now = Date.parse("2026-12-07T03:41:10Z"); // 09:11 IST
    expect(todayWindow(now, "Asia/Kolkata")).toEqual({ start: Date.parse("2026-12-06T18:30:00Z"), end: Date.parse("2026-12-07T04:00:00Z") });
  });
  it("just after local midnight the day is one half-hour long", () => {
    const now = Date.parse("2026-12-06T18:31:00Z");
    expect(todayWindow(now, "Asia/Kolkata")).toEqual({ start: Date.parse("2026-12-06T18:30:00Z"), end: Date.parse("2026-12-06T19:00:00Z") });
  });
  it("picks hours for a day, days for a month, months beyond", () => {
    expect(defaultBucket(24 * 3600e3)).toBe("hour");
    expect(defaultBucket(30 * 86400e3)).toBe("day");
    expect(defaultBucket(90 * 86400e3)).toBe("month");
  });
});
