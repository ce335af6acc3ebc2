import { describe, expect, it } from "vitest";
import { fixed, fmt, fmtAlertValue } from "./numbers";

// Expected strings printed by CPython 3.11's format(x, ".Nf"), the formatter of the API's texts.
const PYTHON: [number, number, string][] = [
  [0.125, 2, "0.12"], // an exact binary tie rounds to even (toFixed would say 0.13)
  [0.375, 2, "0.38"],
  [2.5, 0, "2"],
  [3.5, 0, "4"],
  [24.25, 1, "24.2"],
  [24.35, 1, "24.4"], // 24.35 is stored above the tie
  [0.8575484741746253, 3, "0.858"],
  [1.3229166666824312, 1, "1.3"],
  [-0.04, 1, "-0.0"],
  [-0.0, 1, "-0.0"],
  [1e-7, 3, "0.000"],
  [123456.789, 2, "123456.79"],
  [0.005, 2, "0.01"],
  [0.015, 2, "0.01"],
  [28.603877933970026, 1, "28.6"],
  [49.971, 3, "49.971"],
  [99.95, 1, "100.0"],
  [1.0, 0, "1"],
];

describe("fixed() prints what Python's format(x, '.Nf') prints", () => {
  it.each(PYTHON)("format(%s, '.%if') == %s", (x, digits, expected) => {
    expect(fixed(x, digits)).toBe(expected);
  });

  it("signs like format(x, '+.1f')", () => {
    expect(fixed(11.0, 1, true)).toBe("+11.0");
    expect(fixed(-2.04, 1, true)).toBe("-2.0");
    expect(fixed(0.0, 1, true)).toBe("+0.0");
  });
});

describe("fmt() puts the unit of CONTRACTS §14.2 on every value", () => {
  it("uses each quantity's decimals and unit", () => {
    expect(fmt(3.6, "vibration")).toBe("3.60 mm/s");
    expect(fmt(84, "temperature")).toBe("84.0 °C");
    expect(fmt(49.97, "frequency")).toBe("49.970 Hz");
    expect(fmt(0.86, "power_factor")).toBe("0.860");
    expect(fmt(51, "health")).toBe("51/100");
    expect(fmt(49.5, "percent")).toBe("49.5%");
    expect(fmt(18.34, "days")).toBe("18.3 days");
    expect(fmt(11.04, "sd")).toBe("+11.0 sd");
    expect(fmt(7.2031, "kva")).toBe("7.20 kVA");
  });

  it("shows a missing value as a dash, never as zero", () => {
    expect(fmt(null, "vibration")).toBe("—");
    expect(fmt(undefined, "days")).toBe("—");
  });

  it("formats an alert's value by its unit", () => {
    expect(fmtAlertValue(4.517, "mm/s")).toBe("4.52 mm/s");
    expect(fmtAlertValue(71, "health")).toBe("71/100");
    expect(fmtAlertValue(0.8123, "1")).toBe("0.812");
    expect(fmtAlertValue(-8.43, "%")).toBe("-8.4%");
  });
});
