// Words for the API's codes (CONTRACTS §11, §13.3, §15.1). The codes stay visible in tooltips.

export const RUL_REASONS: Record<string, string> = {
  threshold_exceeded: "at or beyond the failure threshold",
  insufficient_history: "less than 24 h or 12 hourly points of history",
  no_degrading_trend: "within the healthy band or no significantly worsening trend",
  no_baseline: "no baseline yet",
};

export const FACTOR_LABELS: Record<string, string> = {
  anomaly: "Anomaly score",
  vibration: "Vibration",
  temperature: "Temperature",
  voltage: "Voltage",
  frequency: "Frequency",
  power_factor: "Power factor",
  current: "Current",
  temperature_rise: "Temperature rise",
};

export const CAUSE_LABELS: Record<string, string> = {
  risk_critical: "Risk Critical",
  risk_high: "Risk High",
  "rule:vibration_zone_d": "Vibration in ISO zone D",
  "rule:temperature_limit": "Temperature at limit",
  "rule:overcurrent": "Overcurrent",
  "rule:temperature_rise": "Temperature rise over ambient",
  "rule:voltage_band": "Voltage out of band",
  "rule:frequency_band": "Frequency out of band",
  "rule:low_pf": "Low power factor",
  no_data: "No data",
};

export const causeLabel = (cause: string) => CAUSE_LABELS[cause] ?? cause;

export const ASSET_TYPES: Record<string, string> = {
  motor: "Motor",
  pump: "Pump",
  fan: "Fan",
  compressor: "Compressor",
};
