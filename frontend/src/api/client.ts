// The one module that talks to the server. Every request is same-origin with the session cookie;
// unsafe methods carry the CSRF token (Django's csrftoken cookie) in X-CSRFToken.
import type {
  AlertDetail,
  AlertFilters,
  AlertPage,
  Asset,
  AssetHealth,
  Columns,
  FleetHealth,
  Profile,
  SeriesResponse,
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

// ---- point budget -------------------------------------------------------------------------
// The server downsamples to epoch-aligned buckets (CONTRACTS §5.3). A chart asks for about one
// point per pixel: the smallest bucket of the server's ladder that keeps the count within the
// budget, and raw points once the range is short enough for raw data to fit.
const LADDER_S = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800];

export function resolutionFor(startMs: number, endMs: number, points: number): string {
  const span = (endMs - startMs) / 1000;
  const step = LADDER_S.find((s) => span / s <= Math.max(points, 1)) ?? LADDER_S[LADDER_S.length - 1];
  return step <= 60 ? "raw" : `${step}s`;
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

async function seriesWithBudget(path: string, fields: string[] | null, q: RangeQuery): Promise<SeriesResponse> {
  const resolution = resolutionFor(Date.parse(q.start), Date.parse(q.end), q.points);
  const params = { start: q.start, end: q.end, fields: fields?.join(","), resolution };
  try {
    return await json<SeriesResponse>("GET", path + query(params));
  } catch (err) {
    // Denser data than expected: the server refuses raw reads over its limit; ask for buckets.
    if (err instanceof ApiError && err.status === 400 && resolution === "raw" && err.forField("resolution")) {
      return json<SeriesResponse>("GET", path + query({ ...params, resolution: "60s" }));
    }
    throw err;
  }
}

export const api = {
  me: () => json<Profile>("GET", "/api/v1/auth/me"),
  login: (username: string, password: string) =>
    json<Profile>("POST", "/api/v1/auth/login", { username, password }),
  logout: () => json<void>("POST", "/api/v1/auth/logout"),

  fleetHealth: () => json<FleetHealth>("GET", "/api/v1/fleet/health"),
  assets: () => json<Asset[]>("GET", "/api/v1/assets"),
  asset: (id: string) => json<Asset>("GET", `/api/v1/assets/${enc(id)}`),
  assetHealth: (id: string) => json<AssetHealth>("GET", `/api/v1/assets/${enc(id)}/health`),
  signals: async (id: string, fields: string[], q: RangeQuery): Promise<Columns> =>
    toColumns(await seriesWithBudget(`/api/v1/assets/${enc(id)}/signals`, fields, q), fields),
  healthHistory: async (id: string, fields: string[], q: RangeQuery): Promise<Columns> =>
    toColumns(await seriesWithBudget(`/api/v1/assets/${enc(id)}/health/history`, null, q), fields),

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

  /** Energy KPIs (issue 18): totals, series and cost for a scope and period. */
  energy: (scope: "fleet" | "site" | "asset", id: string | undefined, start: string, end: string, bucket: string) =>
    json<Record<string, unknown>>("GET", "/api/v1/energy" + query({ scope, id, start, end, bucket })),

  /** Stored reports of the tenant (issue 19). */
  reports: () => json<unknown>("GET", "/api/v1/reports"),

  /** A report of what is on screen (issue 19): the file at once, or 202 and a report to wait for. */
  report: async (body: { scope: string; id?: string; start: string; end: string; format: "pdf" | "xlsx" }) => {
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
