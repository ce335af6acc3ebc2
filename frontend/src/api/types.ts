// Shapes of the API's answers (docs/CONTRACTS.md §13, §15.3, §17). Times are RFC 3339 UTC strings.

export type RiskLevel = "Low" | "Medium" | "High" | "Critical";
export type Capability = "view" | "incidents" | "reports" | "schedules" | "registry" | "ingest";
export type Role = "operator" | "manager" | "admin";

export interface Shift {
  name: string;
  start: string; // HH:MM site time
  end: string;
}

export interface Site {
  name: string;
  assets: number;
  time_zone: string;
  shifts: Shift[];
}

export interface Profile {
  username: string;
  display_name: string;
  role: Role | null;
  role_label: string | null;
  capabilities: Capability[];
  tenant: { name: string };
  sites: Site[];
  links: { api_docs: string; admin: string | null };
  live_refresh_s: number;
}

export interface Asset {
  asset_id: string;
  name: string;
  asset_type: string;
  phase: string;
  rated_voltage_v: number;
  rated_current_a: number;
  rated_power_kw: number;
  rated_rpm: number;
  iso_group: number;
  foundation: string;
  location: string;
  supply_site: string;
  active: boolean;
}

export interface FleetAsset {
  asset_id: string;
  name: string;
  asset_type: string;
  health_score: number | null;
  risk_level: RiskLevel | null;
  risk_code: number | null;
  rul_days: number | null;
  rul_interval: [number, number] | null;
  rul_reason: string | null;
  as_of: string | null;
  newest_event_time: string | null;
  stale: boolean;
  baseline_missing: boolean;
  open_alerts: number;
}

export interface FleetHealth {
  evaluated_at: string;
  counts: Record<RiskLevel | "no_data", number>;
  stale: number;
  assets: FleetAsset[];
}

export interface Factor {
  name: string;
  value: number | null;
  unit: string;
  baseline_mean: number | null;
  baseline_std: number | null;
  deviation_sigma: number | null;
  deviation_pct: number | null;
  rule: string;
  limits: Record<string, number | string | boolean | null>;
  zone: string | null;
  penalty: number;
  share_of_drop: number;
}

export interface GuidancePassage {
  mode: string;
  file: string;
  heading: string;
  score: number;
  excerpt: string;
  citation: string;
}

export interface Guidance {
  query?: string;
  passages?: GuidancePassage[];
  likely_mode?: string | null;
  actions?: { file: string; heading: string; citation: string; text: string } | null;
  note?: string;
  bearing_frequencies_hz?: Record<string, number>;
}

export interface OpenAlertSummary {
  id: string;
  cause: string;
  severity: Severity;
  state: AlertState;
  opened_at: string;
  last_seen_at: string;
  guidance: Guidance;
}

export interface AssetHealth {
  asset_id: string;
  status: "ok" | "stale" | "no_baseline" | "no_data";
  evaluated_at: string;
  as_of: string | null;
  newest_event_time: string | null;
  health_score: number | null;
  risk_level: RiskLevel | null;
  risk_code: number | null;
  overrides: string[];
  rul_days: number | null;
  rul_interval: [number, number] | null;
  rul_reason: string | null;
  rul_channel: string | null;
  rul_capped: boolean;
  stale: boolean;
  stale_after_s: number | null;
  baseline_missing: boolean;
  anomaly_score: number | null;
  explanation: string;
  factors: Factor[];
  open_alerts: OpenAlertSummary[];
}

export type Severity = "warning" | "high" | "critical";
export type AlertState = "open" | "acknowledged" | "resolved";

export type AlertKind = "equipment" | "no_data" | "site_supply";

/** One cause (risk level or rule) within an equipment incident (CONTRACTS §15.2). */
export interface AlertCondition {
  cause: string;
  severity: Severity;
  active: boolean;
  first_seen_at: string;
  last_seen_at: string;
  value: number | null;
  peak_value: number | null;
  unit: string;
  occurrences: number;
  cleared_at: string | null;
}

export interface Alert {
  id: string;
  asset_id: string | null;
  site: string;
  kind: AlertKind;
  cause: string;
  severity: Severity;
  peak_severity: Severity;
  state: AlertState;
  reopen_count: number;
  conditions: AlertCondition[];
  opened_at: string;
  last_seen_at: string;
  created_at: string;
  updated_at: string;
  value: number | null;
  peak_value: number | null;
  unit: string;
  occurrences: number;
  explanation: string;
  factors: Array<Record<string, unknown>>;
  guidance: Guidance;
  acknowledged_by: string;
  acknowledged_at: string | null;
  comment: string;
  resolved_by: string;
  resolved_at: string | null;
  note: string;
  resolution: "manual" | "auto" | null;
  auto_resolved: boolean;
  escalated_at: string | null;
}

export interface AlertTransition {
  action: string;
  from_state: string;
  to_state: string;
  actor: string;
  at: string;
  event_time: string | null;
  note: string;
}

export interface AlertDetail extends Alert {
  transitions: AlertTransition[];
  notifications: Array<{ event: string; channel: string; status: string; attempts: number; sent_at: string | null }>;
}

export interface AlertPage {
  count: number;
  limit: number;
  offset: number;
  results: Alert[];
}

export interface AlertFilters {
  states?: AlertState[];
  severity?: Severity;
  cause?: string;
  asset_id?: string;
  opened_after?: string;
  opened_before?: string;
  limit?: number;
  offset?: number;
}

/** One series bucket: raw numbers, or mean/min/max/count per bucket. */
export type Aggregate = { mean: number | null; min: number | null; max: number | null; count: number };

export interface SeriesResponse {
  asset_id: string;
  start: string;
  end: string;
  resolution: string;
  series: Array<{ time: string; values: Record<string, number | Aggregate | string | boolean | null> }>;
}

/** Columnar form the charts draw: times in seconds, per field mean (the line) and min/max (the envelope). */
export interface Columns {
  resolution: string;
  t: number[];
  fields: Record<string, { mean: (number | null)[]; min: (number | null)[]; max: (number | null)[] }>;
}

// ---- energy (CONTRACTS §18) ---------------------------------------------------------------

export type EnergyBucketName = "hour" | "shift" | "day" | "month";

export interface EnergyCost {
  currency: string;
  energy: number | null;
  time_of_day: number | null;
  pf_adjustment: number | null; // positive: penalty; negative: incentive
  demand: number;
  fixed: number | null;
  total: number;
  uncosted_kwh: number;
}

export interface EnergyFigures {
  start: string;
  end: string;
  energy_kwh: number | null;
  apparent_energy_kvah: number | null;
  reactive_energy_kvarh: number | null;
  power_factor: number | null;
  max_demand_kva: number | null;
  max_demand_at: string | null;
  load_factor: number | null;
  running_h: number | null;
  idle_running_h: number | null;
  idle_energy_kwh: number | null;
  co2_t: number | null;
  degradation_loss_kwh: number | null;
  healthy_model_kwh: number | null;
  measured_model_kwh: number | null;
  healthy_model_h: number;
  coverage: { period_h: number; assets: number; asset_hours: number; covered_h: number; gap_h: number };
  cost: EnergyCost | null;
}

export interface EnergyBucket extends EnergyFigures {
  label: string;
  start_local: string;
}

export interface BillingMonth {
  site: string;
  month: string;
  start: string;
  end: string;
  share_in_period: number;
  tariff_effective_from: string | null;
  billing_basis: string | null;
  energy_kwh: number;
  apparent_energy_kvah: number;
  power_factor: number | null;
  pf_billed: number | null;
  pf_adjustment_pct: number | null;
  pf_slabs: string[];
  max_demand_kva: number | null;
  max_demand_at: string | null;
  billing_demand_kva: number | null;
  demand_charge: number | null;
  fixed_charge: number | null;
}

export interface EnergySummary {
  scope: "asset" | "site" | "fleet";
  id: string | null;
  asset_id?: string;
  site?: string;
  assets?: string[];
  sites?: string[];
  start: string;
  end: string;
  bucket: EnergyBucketName;
  timezone: string;
  currency: string;
  totals: EnergyFigures;
  series: EnergyBucket[];
  billing_months: BillingMonth[];
}

/** GET /api/v1/energy/today (CONTRACTS §18.9): each asset's energy of its site's day so far. */
export interface EnergyToday {
  evaluated_at: string;
  site: string | null;
  assets: { asset_id: string; site: string; timezone: string; start: string; end: string; energy_kwh: number | null; covered_h: number }[];
}

export interface SiteSettings {
  code: string;
  name: string;
  timezone: string;
  grid_factor_t_per_mwh: number;
  contract_demand_kva: number | null;
  idle_below_load_pct: number;
  shifts: Array<Record<string, unknown>>;
  weekly_off_days: string[];
  configured: boolean;
}

export interface TariffSlot {
  name: string;
  start: string;
  end: string;
  multiplier: number;
}

export interface TariffVersion {
  effective_from: string;
  name: string;
  currency: string;
  billing_basis: "kwh" | "kvah";
  energy_rate: number;
  tod_slots: TariffSlot[];
  pf_reference: number | null;
  pf_incentive_pct_per_step: number;
  pf_penalty_pct_per_step: number;
  pf_penalty_threshold: number | null;
  pf_steep_penalty_pct_per_step: number;
  demand_rate_per_kva: number;
  demand_min_share: number;
  fixed_monthly: number;
}

export interface SiteTariff {
  site: string;
  timezone: string;
  currency: string;
  versions: TariffVersion[];
}

// ---- reports (CONTRACTS §16.4) and their schedules (§16.5) ----------------------------------
export type ReportScope = "fleet" | "site" | "asset";
export type ReportFormat = "pdf" | "xlsx";
export type ReportStatus = "queued" | "running" | "ready" | "failed";

export interface ReportRecord {
  id: string;
  scope: ReportScope;
  scope_id: string;
  start: string;
  end: string;
  format: ReportFormat;
  status: ReportStatus;
  error: string;
  size_bytes: number | null;
  created_at: string;
  expires_at: string;
  requested_by: string;
  filename: string;
  status_url: string;
  download_url: string | null;
}

export type PeriodRule = "previous_day" | "previous_week" | "previous_month";
export type ScheduleFormats = "pdf" | "xlsx" | "both";
export type DeliveryStatus = "pending" | "sent" | "failed";

export interface ReportDelivery {
  id: number;
  period_start: string;
  period_end: string;
  timezone: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  error: string;
  recipients: string[];
  reports: { id: string; format: ReportFormat; status: ReportStatus; size_bytes: number | null }[];
  created_at: string;
  sent_at: string | null;
}

/** The editable fields of a schedule (POST body; PATCH takes any subset). */
export interface ScheduleInput {
  name: string;
  scope: ReportScope;
  scope_id: string;
  period_rule: PeriodRule;
  formats: ScheduleFormats;
  recipients: string[];
  enabled: boolean;
  run_at: string;
  cron?: string;
}

export interface ReportSchedule extends ScheduleInput {
  id: number;
  cron: string;
  timezone: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  last_delivery: ReportDelivery | null;
}

/** GET /api/v1/forecast (CONTRACTS §19.2). */
export type ForecastScope = "asset" | "site" | "fleet";
export type ForecastHorizon = "24h" | "168h";
export type ForecastStatus = "ok" | "refused" | "not_trained" | "no_recent_load";

export interface ForecastDayAhead {
  days?: number;
  hours?: number;
  start?: string;
  end?: string;
  mae_kw?: number;
  seasonal_naive_mae_kw?: number;
  persistence_mae_kw?: number;
  mae_vs_seasonal_naive?: number | null;
  mae_vs_persistence?: number | null;
  interval_coverage?: number;
  refused?: string;
  reason?: string;
}

export interface ForecastVersion {
  version: number;
  status: "trained" | "refused";
  created_at: string;
  history_start: string | null;
  training_start: string | null;
  training_end: string;
  covered_hours: number;
  timezone: string;
  features: string[];
  samples: number;
  backtest: { day_ahead?: ForecastDayAhead };
  refusal: { rule: string; reason: string } | null;
}

export interface Forecast {
  scope: ForecastScope;
  id: string | null;
  assets: string[];
  horizon_h: number;
  timezone: string;
  unit: string;
  interval: number;
  status: ForecastStatus;
  reason: string | null;
  model: ForecastVersion | null;
  origin: string | null;
  history: { time: string; load_kw: number | null }[];
  points: { time: string; load_kw: number; low_kw: number; high_kw: number }[];
}
