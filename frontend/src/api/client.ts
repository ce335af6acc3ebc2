// The one module that talks to the server. Every request is same-origin with the session cookie;
// unsafe methods carry the CSRF token (Django's csrftoken cookie) in X-CSRFToken.
import type {
  AlertDetail,
  AlertFilters,
  AlertPage,
  Asset,
  AssetHealth,
  Columns,
  EnergyBucketName,
  EnergySummary,
  EnergyToday,
  FleetHealth,
  Forecast,
  ForecastHorizon,
  ForecastScope,
  Profile,
  ReportDelivery,
  ReportFormat,
  ReportRecord,
  ReportSchedule,
  ReportScope,
  ScheduleInput,
  SeriesResponse,
  SiteSettings,
  SiteTariff,
} from "./types";

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
  /** The message the API gave for one field (forms show it beside that field). */
  forField(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!resp.ok) {
    let detail = `${resp.status} ${resp.statusText}`;
    let errors: FieldError[] = [];
    try {
      const data = await resp.json();
      detail = data.detail ?? detail;
      errors = Array.isArray(data.errors) ? data.errors : [];
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(resp.status, detail, errors);
  }
  return resp;
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const resp = await request(method, path, body);
  return resp.status === 204 ? (undefined as T) : ((await resp.json()) as T);
}

function query(params: Record<string, string | number | undefined | string[]>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => q.append(key, v));
    else q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

const enc = encodeURIComponent;

// ---- conditional reads ---------------------------------------------------------------------
// Live pages ask again every few seconds. Each GET answer's ETag is kept with the decoded value;
// the next request of the same URL sends If-None-Match and a 304 returns the very same object,
// so nothing that depends on it re-renders or redraws.
const conditionalCache = new Map<string, { etag: string; value: unknown }>();
const CACHE_MAX = 64;

async function conditional<T>(path: string, decode: (raw: unknown) => T = (x) => x as T): Promise<T> {
  const cached = conditionalCache.get(path);
  const headers: Record<string, string> = { Accept: "application/json" };
  if (cached) headers["If-None-Match"] = cached.etag;
  const resp = await fetch(path, { headers, credentials: "same-origin", cache: "no-store" });
  if (resp.status === 304 && cached) return cached.value as T;
  if (!resp.ok) {
    // the error shape of request(): one place builds ApiError
    return json<T>("GET", path);
  }
  const value = decode(await resp.json());
  const etag = resp.headers.get("ETag");
  if (etag) {
    conditionalCache.delete(path);
    conditionalCache.set(path, { etag, value });
    if (conditionalCache.size > CACHE_MAX) conditionalCache.delete(conditionalCache.keys().next().value as string);
  }
  return value;
}

// ---- point budget -------------------------------------------------------------------------
// A chart passes its width as `points` (CONTRACTS §5.3): the server answers raw readings when
// the range holds no more than that, else the min/max envelope of the smallest bucket that fits.

/**
 * The query window of a chart. A live range moves with now; its end is rounded up to a step of
 * about one pixel (at least a minute) so repeated refreshes ask for the same URL and get a 304
 * until new data arrives.
 */
export function chartWindow(startMs: number, endMs: number, points: number, live: boolean): { start: number; end: number } {
  if (!live) return { start: startMs, end: endMs };
  const span = endMs - startMs;
  const step = Math.max(60_000, Math.ceil(span / Math.max(points, 1) / 1000) * 1000);
  const end = Math.ceil(endMs / step) * step;
  return { start: end - span, end };
}

/** Energy periods lie on whole half-hours (CONTRACTS §18.1): the blocks that cover [start, end). */
export function halfHourWindow(startMs: number, endMs: number): { start: number; end: number } {
  const B = 1_800_000;
  const start = Math.floor(startMs / B) * B;
  return { start, end: Math.max(start + B, Math.ceil(endMs / B) * B) };
}

/** Turns raw or bucketed series into columns; a raw value is its own mean, min and max. */
export function toColumns(resp: SeriesResponse, fields: string[]): Columns {
  const t: number[] = [];
  const out: Columns["fields"] = {};
  for (const f of fields) out[f] = { mean: [], min: [], max: [] };
  for (const point of resp.series) {
    t.push(Date.parse(point.time) / 1000);
    for (const f of fields) {
      const v = point.values[f];
      const col = out[f];
      if (v !== null && typeof v === "object") {
        col.mean.push(v.mean);
        col.min.push(v.min);
        col.max.push(v.max);
      } else {
        const n = typeof v === "number" ? v : null;
        col.mean.push(n);
        col.min.push(n);
        col.max.push(n);
      }
    }
  }
  return { resolution: resp.resolution, t, fields: out };
}

export interface RangeQuery {
  start: string;
  end: string;
  /** About how many points the chart can show (its width in pixels). */
  points: number;
}

function seriesPath(path: string, fields: string[] | null, q: RangeQuery): string {
  return path + query({ start: q.start, end: q.end, fields: fields?.join(","), points: Math.max(10, Math.min(10000, Math.round(q.points))) });
}

export const api = {
  me: () => json<Profile>("GET", "/api/v1/auth/me"),
  login: (username: string, password: string) =>
    json<Profile>("POST", "/api/v1/auth/login", { username, password }),
  logout: () => json<void>("POST", "/api/v1/auth/logout"),

  fleetHealth: () => conditional<FleetHealth>("/api/v1/fleet/health"),
  assets: () => json<Asset[]>("GET", "/api/v1/assets?limit=1000"),
  asset: (id: string) => json<Asset>("GET", `/api/v1/assets/${enc(id)}`),
  assetHealth: (id: string) => conditional<AssetHealth>(`/api/v1/assets/${enc(id)}/health`),
  signals: (id: string, fields: string[], q: RangeQuery): Promise<Columns> =>
    conditional(seriesPath(`/api/v1/assets/${enc(id)}/signals`, fields, q), (raw) => toColumns(raw as SeriesResponse, fields)),
  /** Features (CONTRACTS §6) of one asset, with the same point budget as the signals. */
  features: (id: string, fields: string[], q: RangeQuery): Promise<Columns> =>
    conditional(seriesPath(`/api/v1/assets/${enc(id)}/features`, fields, q), (raw) => toColumns(raw as SeriesResponse, fields)),
  healthHistory: (id: string, fields: string[], q: RangeQuery): Promise<Columns> =>
    conditional(seriesPath(`/api/v1/assets/${enc(id)}/health/history`, null, q), (raw) => toColumns(raw as SeriesResponse, fields)),

  alerts: (f: AlertFilters) =>
    json<AlertPage>(
      "GET",
      "/api/v1/alerts" +
        query({
          state: f.states,
          severity: f.severity,
          cause: f.cause,
          asset_id: f.asset_id,
          opened_after: f.opened_after,
          opened_before: f.opened_before,
          limit: f.limit,
          offset: f.offset,
        }),
    ),
  alert: (id: string) => json<AlertDetail>("GET", `/api/v1/alerts/${enc(id)}`),
  acknowledge: (id: string, comment: string) =>
    json<AlertDetail>("POST", `/api/v1/alerts/${enc(id)}/acknowledge`, { comment }),
  resolve: (id: string, note: string) => json<AlertDetail>("POST", `/api/v1/alerts/${enc(id)}/resolve`, { note }),

  /** Energy KPIs, cost breakdown, coverage and billing months of a scope and period (CONTRACTS §18.9). */
  energy: (scope: "fleet" | "site" | "asset", id: string | undefined, start: string, end: string, bucket: EnergyBucketName) =>
    conditional<EnergySummary>("/api/v1/energy" + query({ scope, id, start, end, bucket })),
  /** Every asset's energy since its site's local midnight, for the fleet or one site, in one request. */
  energyToday: (site?: string) => conditional<EnergyToday>("/api/v1/energy/today" + query({ site })),
  /** Hourly load forecast with its 80 % interval and model version, or why there is none (CONTRACTS §19.2). */
  forecast: (scope: ForecastScope, id: string | undefined, horizon: ForecastHorizon) =>
    conditional<Forecast>("/api/v1/forecast" + query({ scope, id, horizon })),
  sites: () => json<SiteSettings[]>("GET", "/api/v1/sites"),
  /** Every tariff version of a site (admin scope). */
  tariff: (code: string) => json<SiteTariff>("GET", `/api/v1/sites/${enc(code)}/tariff`),

  /** Stored reports of the tenant, newest first (CONTRACTS §16.4). */
  reports: () => json<ReportRecord[]>("GET", "/api/v1/reports"),

  /** Report schedules (CONTRACTS §16.5); a 400 names the field (ApiError.forField). */
  schedules: () => json<ReportSchedule[]>("GET", "/api/v1/report-schedules"),
  scheduleCreate: (body: ScheduleInput) => json<ReportSchedule>("POST", "/api/v1/report-schedules", body),
  scheduleUpdate: (id: number, body: Partial<ScheduleInput>) =>
    json<ReportSchedule>("PATCH", `/api/v1/report-schedules/${id}`, body),
  scheduleDelete: (id: number) => json<void>("DELETE", `/api/v1/report-schedules/${id}`),
  deliveries: (id: number) => json<ReportDelivery[]>("GET", `/api/v1/report-schedules/${id}/deliveries`),

  /** A report (CONTRACTS §16.4): the file at once, or 202 and a report to wait for. */
  report: async (body: { scope: ReportScope; id?: string; start: string; end: string; format: ReportFormat }) => {
    let resp = await request("POST", "/api/v1/reports", body);
    if (resp.status === 202) {
      const { id } = (await resp.json()) as { id: string };
      for (;;) {
        await new Promise((r) => setTimeout(r, 1500));
        const status = await json<{ status: string; error?: string }>("GET", `/api/v1/reports/${enc(id)}`);
        if (status.status === "failed") throw new ApiError(500, status.error ?? "the report failed");
        if (status.status === "ready") break;
      }
      resp = await request("GET", `/api/v1/reports/${enc(id)}/download`);
    }
    const name = /filename="?([^";]+)"?/.exec(resp.headers.get("Content-Disposition") ?? "")?.[1];
    return { blob: await resp.blob(), filename: name ?? `pdm-report.${body.format}` };
  },
};
