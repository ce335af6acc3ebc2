// Number formats of docs/CONTRACTS.md §14.2: Python's format(x, ".Nf"), i.e. the exact binary
// value rounded half to even (JavaScript's toFixed rounds exact ties up: 0.125 -> "0.13", where
// the API's explanation prints "0.12"), signed values with "+". Units always follow the value.

/** format(x, ".{digits}f") of Python, exactly; `signed` adds "+" to non-negative values. */
export function fixed(x: number, digits: number, signed = false): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const negative = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exponentBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent = -1074;
  if (exponentBits !== 0) {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  // |x| = mantissa * 2^exponent; scaled = |x| * 10^digits = num / den exactly
  let num = mantissa * 10n ** BigInt(digits);
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  let q = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  const text = q.toString().padStart(digits + 1, "0");
  const body = digits > 0 ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  return (negative ? "-" : signed ? "+" : "") + body;
}

/** Quantities of §14.2: decimals and unit. */
export const QUANTITIES = {
  vibration: { digits: 2, unit: "mm/s" },
  temperature: { digits: 1, unit: "°C" },
  kelvin: { digits: 1, unit: "K" },
  voltage: { digits: 1, unit: "V" },
  current: { digits: 1, unit: "A" },
  frequency: { digits: 3, unit: "Hz" },
  power_factor: { digits: 3, unit: "" },
  anomaly: { digits: 3, unit: "" },
  health: { digits: 0, unit: "/100" },
  points: { digits: 1, unit: "points" },
  percent: { digits: 1, unit: "%" },
  days: { digits: 1, unit: "days" },
  minutes: { digits: 1, unit: "min" },
  hours: { digits: 1, unit: "h" },
  kwh: { digits: 1, unit: "kWh" },
  kw: { digits: 2, unit: "kW" },
  kva: { digits: 2, unit: "kVA" },
  kvar: { digits: 2, unit: "kvar" },
  sd: { digits: 1, unit: "sd" },
  kvah: { digits: 1, unit: "kVAh" },
  kvarh: { digits: 1, unit: "kvarh" },
  inr: { digits: 2, unit: "INR" },
  co2: { digits: 3, unit: "t CO₂" },
  ratio: { digits: 3, unit: "" },
  slope: { digits: 3, unit: "mm/s per day" },
} as const;

export type Quantity = keyof typeof QUANTITIES;

const NO_SPACE = new Set(["/100", "%", ""]);

/** "3.60 mm/s", "51/100", "4.1%", "0.860"; null is "—" (not computable, never zero). */
export function fmt(value: number | null | undefined, quantity: Quantity, opts: { signed?: boolean } = {}): string {
  if (value === null || value === undefined) return "—";
  const { digits, unit } = QUANTITIES[quantity];
  const number = fixed(value, digits, opts.signed ?? quantity === "sd");
  return NO_SPACE.has(unit) ? `${number}${unit}` : `${number} ${unit}`;
}

/** The quantity of a health factor (CONTRACTS §13.3 names and units). */
export const FACTOR_QUANTITY: Record<string, Quantity> = {
  anomaly: "anomaly",
  vibration: "vibration",
  temperature: "temperature",
  voltage: "voltage",
  frequency: "frequency",
  power_factor: "power_factor",
  current: "current",
  temperature_rise: "kelvin",
};

/** The quantity of a signal field (units are in field names, CONTRACTS conventions). */
export function fieldQuantity(field: string): Quantity | null {
  if (field.endsWith("_mm_s")) return "vibration";
  if (field.endsWith("_c")) return "temperature";
  if (field.endsWith("_v")) return "voltage";
  if (field.endsWith("_a")) return "current";
  if (field.endsWith("_hz")) return "frequency";
  if (field === "power_factor") return "power_factor";
  if (field === "anomaly_score") return "anomaly";
  if (field === "health_score") return "health";
  if (field.endsWith("_kwh")) return "kwh";
  if (field.endsWith("_kvah")) return "kvah";
  if (field.endsWith("_kvarh")) return "kvarh";
  if (field.endsWith("_h")) return "hours";
  if (field.endsWith("_t")) return "co2";
  if (field.endsWith("_kw")) return "kw";
  if (field.endsWith("_kva")) return "kva";
  if (field.endsWith("_kvar")) return "kvar";
  if (field.endsWith("_days")) return "days";
  return null;
}

/** An alert's value in its own unit (§15.1 value/unit pairs). */
export function fmtAlertValue(value: number | null, unit: string): string {
  const byUnit: Record<string, Quantity> = {
    "mm/s": "vibration",
    "°C": "temperature",
    K: "kelvin",
    V: "voltage",
    A: "current",
    Hz: "frequency",
    "%": "percent",
    min: "minutes",
    health: "health",
    "1": "power_factor",
  };
  const q = byUnit[unit];
  if (q) return fmt(value, q);
  return value === null ? "—" : `${fixed(value, 3)} ${unit}`;
}

/** A file size: "812 B", "41.3 kB", "2.40 MB" (decimal units); null is "—". */
export function fmtBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${fixed(bytes / 1000, 1)} kB`;
  return `${fixed(bytes / 1_000_000, 2)} MB`;
}
