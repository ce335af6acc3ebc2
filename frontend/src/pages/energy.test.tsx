import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { EnergyFigures, EnergySummary } from "../api/types";
import { CostBreakdown, PfExposure, Waste } from "./Energy";

const figures = (extra: Partial<EnergyFigures> = {}): EnergyFigures => ({
  start: "2025-01-14T18:30:00Z",
  end: "2025-01-15T18:30:00Z",
  energy_kwh: 21.333333333333332,
  apparent_energy_kvah: 26.666666666666668,
  reactive_energy_kvarh: 16,
  power_factor: 0.8,
  max_demand_kva: 18.333333333333332,
  max_demand_at: "2025-01-15T12:30:00Z",
  load_factor: 0.727272,
  running_h: 2,
  idle_running_h: 0,
  idle_energy_kwh: 0,
  co2_t: 0.0155093,
  degradation_loss_kwh: null,
  healthy_model_kwh: null,
  measured_model_kwh: null,
  healthy_model_h: 0,
  coverage: { period_h: 24, assets: 1, asset_hours: 24, covered_h: 2, gap_h: 22 },
  // the worked example of CONTRACTS §18.10 (one day's share of the monthly charges)
  cost: { currency: "INR", energy: 213.33333333333334, time_of_day: 56.666666666666664, pf_adjustment: 33.75, demand: 338.7096774193548, fixed: 64.51612903225806, total: 706.9758064516129, uncosted_kwh: 0 },
  ...extra,
});

describe("the Energy page's panels print the API's figures with their units", () => {
  it("lists every cost part in INR with two decimals and the total", () => {
    render(<CostBreakdown t={figures()} />);
    const row = (name: string) => within(screen.getByText(name).closest("tr") as HTMLElement).getAllByRole("cell")[1];
    expect(row("Energy charge").textContent).toBe("213.33 INR");
    expect(row("Time of day").textContent).toBe("56.67 INR");
    expect(row("Power-factor adjustment").textContent).toBe("33.75 INR");
    expect(screen.getByText("706.98 INR")).toBeTruthy();
  });

  it("says an asset's fixed charge belongs to the site (null is a dash, never 0)", () => {
    render(<CostBreakdown t={figures({ cost: { ...figures().cost!, fixed: null } })} />);
    const cells = within(screen.getByText("Fixed charge").closest("tr") as HTMLElement).getAllByRole("cell");
    expect(cells[1].textContent).toBe("—");
    expect(cells[2].textContent).toMatch(/site connection/);
  });

  it("names an incentive as such", () => {
    const e = { totals: figures({ cost: { ...figures().cost!, pf_adjustment: -12.5 } }), billing_months: [] } as unknown as EnergySummary;
    render(<PfExposure e={e} zone={{ kind: "utc" }} />);
    expect(screen.getByText(/Incentive in this period/).textContent).toContain("-12.50 INR");
  });

  it("explains a degradation loss that no healthy model covers instead of printing 0", () => {
    render(<Waste t={figures()} />);
    expect(screen.getByText("—", { selector: '[data-field="degradation_loss_kwh"]' })).toBeTruthy();
    expect(screen.getByText(/No healthy power model covers this period/)).toBeTruthy();
    expect(screen.getByText("0.0 kWh", { selector: '[data-field="idle_energy_kwh"]' })).toBeTruthy();
  });
});
