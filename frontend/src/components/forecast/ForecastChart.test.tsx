import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Forecast } from "../../api/types";
import type { TimeChartProps } from "../TimeChart";
import { ForecastPanel, forecastColumns } from "./ForecastChart";

// uPlot draws on a canvas jsdom does not have: the chart stands in as the columns it was given.
vi.mock("../TimeChart", () => ({
  TimeChart: (p: TimeChartProps) => (
    <figure data-testid="chart" data-title={p.title} data-t={JSON.stringify(p.t)} data-lines={JSON.stringify(p.lines)} data-x={JSON.stringify(p.xRange)} />
  ),
}));

const UTC = { kind: "utc" } as const;

const forecast = (extra: Partial<Forecast> = {}): Forecast => ({
  scope: "asset",
  id: "MTR-1",
  assets: ["MTR-1"],
  horizon_h: 24,
  timezone: "UTC",
  unit: "kW",
  interval: 0.8,
  status: "ok",
  reason: null,
  origin: "2026-12-07T05:00:00Z",
  model: {
    version: 3,
    status: "trained",
    created_at: "2026-12-07T02:00:00Z",
    history_start: "2026-10-01T00:00:00Z",
    training_start: "2026-10-01T00:00:00Z",
    training_end: "2026-12-07T02:00:00Z",
    covered_hours: 1610,
    timezone: "UTC",
    features: ["lead_h", "lag_week"],
    samples: 9000,
    backtest: { day_ahead: { days: 14, hours: 336, mae_kw: 1.234, mae_vs_seasonal_naive: 0.61, mae_vs_persistence: 0.72, interval_coverage: 0.8125 } },
    refusal: null,
  },
  history: [
    { time: "2026-12-07T04:00:00Z", load_kw: 10 },
    { time: "2026-12-07T05:00:00Z", load_kw: null },
  ],
  points: [
    { time: "2026-12-07T06:00:00Z", load_kw: 11, low_kw: 9, high_kw: 13 },
    { time: "2026-12-07T07:00:00Z", load_kw: 12, low_kw: 10, high_kw: 15 },
  ],
  ...extra,
});

function stubFetch(body: unknown) {
  const calls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      calls.push(url);
      return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
    }),
  );
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe("the load forecast beside the measured load", () => {
  it("puts the measured hours and the forecast on one time axis, the interval as the forecast's band", () => {
    const { t, lines } = forecastColumns(forecast());
    const s = (iso: string) => Date.parse(iso) / 1000;
    expect(t).toEqual([s("2026-12-07T04:00:00Z"), s("2026-12-07T05:00:00Z"), s("2026-12-07T06:00:00Z"), s("2026-12-07T07:00:00Z")]);
    expect(lines[0]).toMatchObject({ label: "Measured", mean: [10, null, null, null] });
    expect(lines[0].min).toBeUndefined();
    expect(lines[1]).toMatchObject({ label: "Forecast", mean: [null, null, 11, 12], min: [null, null, 9, 10], max: [null, null, 13, 15] });
  });

  it("fetches the scope's forecast, names the model version and its backtest, and asks again for 7 days", async () => {
    const calls = stubFetch(forecast());
    render(<ForecastPanel scope="asset" id="MTR-1" zone={UTC} />);
    const model = await screen.findByTestId("forecast-model");
    expect(model.textContent).toContain("model version 3");
    expect(model.textContent).toContain("MAE 1.23 kW (0.61 × same hour last week, 0.72 × same hour yesterday); 81 % of hours inside the 80 % interval");
    expect(JSON.parse(screen.getByTestId("chart").dataset.lines as string)).toHaveLength(2);
    expect(calls[0]).toBe("/api/v1/forecast?scope=asset&id=MTR-1&horizon=24h");
    await userEvent.selectOptions(screen.getByLabelText(/Horizon/), "168h");
    await waitFor(() => expect(calls.at(-1)).toBe("/api/v1/forecast?scope=asset&id=MTR-1&horizon=168h"));
  });

  it("shows the server's refusal reason and draws no chart", async () => {
    const reason = "240 h of history; at least 672 h (28 days) of hourly load are needed";
    stubFetch(forecast({ status: "refused", reason, points: [], history: [], origin: null }));
    render(<ForecastPanel scope="site" id="main" zone={UTC} />);
    expect((await screen.findByTestId("forecast-reason")).textContent).toContain(reason);
    expect(screen.queryByTestId("chart")).toBeNull();
  });
});
