import { describe, expect, it } from "vitest";
import { defaultBucket } from "../pages/Energy";

describe("energy buckets", () => {
  it("picks hours for a day, days for a month, months beyond", () => {
    expect(defaultBucket(24 * 3600e3)).toBe("hour");
    expect(defaultBucket(30 * 86400e3)).toBe("day");
    expect(defaultBucket(90 * 86400e3)).toBe("month");
  });
});
