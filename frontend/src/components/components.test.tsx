import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Factor } from "../api/types";
import { Login } from "../pages/Login";
import { FactorBars } from "./FactorBars";
import { Guidance } from "./Guidance";
import { RiskBadge, SeverityBadge } from "./RiskBadge";
import { Rul } from "./Rul";

const factor = (name: string, value: number | null, penalty: number, share: number, extra: Partial<Factor> = {}): Factor => ({
  name,
  value,
  unit: "",
  baseline_mean: null,
  baseline_std: null,
  deviation_sigma: null,
  deviation_pct: null,
  rule: "",
  limits: {},
  zone: null,
  penalty,
  share_of_drop: share,
  ...extra,
});

describe("RiskBadge", () => {
  it.each(["Low", "Medium", "High", "Critical"] as const)("says %s in words, not only in colour", (level) => {
    render(<RiskBadge level={level} />);
    expect(screen.getByText(level)).toBeInTheDocument();
  });
  it("says 'No data' for an asset never assessed", () => {
    render(<RiskBadge level={null} />);
    expect(screen.getByText("No data")).toBeInTheDocument();
  });
  it("names the severity", () => {
    render(<SeverityBadge severity="critical" />);
    expect(screen.getByText("Critical")).toBeInTheDocument();
  });
});

describe("FactorBars", () => {
  it("lists only the factors that lower health, with the §14.2 numbers and units", () => {
    render(
      <FactorBars
        factors={[
          factor("vibration", 3.6, 24.41, 0.4946, { zone: "C", deviation_sigma: 11.04 }),
          factor("anomaly", 0.72, 17.6, 0.3566),
          factor("voltage", 409.2, 0, 0),
        ]}
      />,
    );
    const items = screen.getAllByRole("listitem");
    expect(items).toHaveLength(2);
    const vib = within(items[0]);
    expect(vib.getByText("Vibration")).toBeInTheDocument();
    expect(vib.getByText("3.60 mm/s · zone C")).toBeInTheDocument();
    expect(vib.getByText("24.4 points")).toBeInTheDocument();
    expect(vib.getByText("49.5% of the drop")).toBeInTheDocument();
    expect(vib.getByText("+11.0 sd from baseline")).toBeInTheDocument();
    expect(within(items[1]).getByText("0.720")).toBeInTheDocument();
    expect(screen.queryByText("Voltage")).toBeNull();
  });
  it("says so when nothing lowers health", () => {
    render(<FactorBars factors={[factor("voltage", 415, 0, 0)]} />);
    expect(screen.getByText("No factor reduces health.")).toBeInTheDocument();
  });
});

describe("Rul", () => {
  it("shows the number with its 80% interval", () => {
    render(<Rul days={18.34} interval={[12.61, 29.77]} reason={null} />);
    expect(screen.getByText("18.3 days")).toBeInTheDocument();
    expect(screen.getByText(/80%: 12\.6–29\.8 days/)).toBeInTheDocument();
  });
  it("gives the reason instead of a number", () => {
    render(<Rul days={null} interval={null} reason="no_degrading_trend" long />);
    expect(screen.getByText("Not estimated: within the healthy band or no significantly worsening trend")).toBeInTheDocument();
  });
});

describe("Guidance", () => {
  it("shows the actions once with their citation and the other passages with theirs", () => {
    const actions = { file: "a.md", heading: "Bearing > Actions", citation: "a.md § Bearing > Actions", text: "- Regrease\n  the bearing" };
    render(
      <Guidance
        guidance={{
          likely_mode: "bearing_outer",
          actions,
          passages: [
            { mode: "bearing_outer", file: "a.md", heading: "Bearing > Actions", score: 3, excerpt: "dup", citation: actions.citation },
            { mode: "bearing_outer", file: "a.md", heading: "Bearing > Checks", score: 2, excerpt: "Check BPFO", citation: "a.md § Bearing > Checks" },
          ],
        }}
      />,
    );
    expect(screen.getByText("bearing outer")).toBeInTheDocument();
    expect(screen.getByText("- Regrease the bearing")).toBeInTheDocument();
    expect(screen.getAllByText("a.md § Bearing > Actions")).toHaveLength(1);
    expect(screen.getByText("a.md § Bearing > Checks")).toBeInTheDocument();
    expect(screen.queryByText("dup")).toBeNull();
  });
});

describe("Login", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the API's message beside the field it names and sends the CSRF token", async () => {
    document.cookie = "csrftoken=tok123";
    const fetchMock = vi.fn(async () =>
      new Response(JSON.stringify({ detail: "username or password is incorrect", errors: [{ field: "password", message: "username or password is incorrect" }] }), {
        status: 400,
        headers: { "Content-Type": "application/json" },
      }),
    );
    vi.stubGlobal("fetch", fetchMock);
    const onLogin = vi.fn();
    render(<Login onLogin={onLogin} />);
    await userEvent.type(screen.getByLabelText("Username"), "asha");
    await userEvent.type(screen.getByLabelText("Password"), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const password = screen.getByLabelText("Password");
    expect(await screen.findByText("username or password is incorrect")).toBeInTheDocument();
    expect(password).toHaveAttribute("aria-invalid", "true");
    expect(password).toHaveAccessibleDescription("username or password is incorrect");
    expect(onLogin).not.toHaveBeenCalled();
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/auth/login");
    expect((init.headers as Record<string, string>)["X-CSRFToken"]).toBe("tok123");
    expect(JSON.parse(String(init.body))).toEqual({ username: "asha", password: "wrong" });
  });
});
