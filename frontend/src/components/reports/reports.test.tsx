import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Profile, ReportDelivery, ReportRecord } from "../../api/types";
import { fmtBytes } from "../../format/numbers";
import { ReportRequest } from "./ReportRequest";
import { ReportTable } from "./ReportTable";
import { ScheduleForm } from "./ScheduleForm";
import { DeliveryTable } from "./ScheduleList";
import { Schedules } from "./Schedules";

const KOLKATA = { kind: "site", timeZone: "Asia/Kolkata" } as const;

const report = (extra: Partial<ReportRecord> = {}): ReportRecord => ({
  id: "0d6c6a7e-1111-4222-8333-444455556666",
  scope: "asset",
  scope_id: "MTR-001",
  start: "2026-03-08T18:30:00Z",
  end: "2026-03-09T18:30:00Z",
  format: "pdf",
  status: "ready",
  error: "",
  size_bytes: 41_312,
  created_at: "2026-03-10T01:00:00Z",
  expires_at: "2026-04-09T01:00:00Z",
  requested_by: "maya",
  filename: "pdm-report-acme-20260308T1830Z-20260309T1830Z.pdf",
  status_url: "/api/v1/reports/0d6c6a7e-1111-4222-8333-444455556666",
  download_url: "/api/v1/reports/0d6c6a7e-1111-4222-8333-444455556666/download",
  ...extra,
});

const profile = (role: "operator" | "manager", capabilities: Profile["capabilities"]): Profile => ({
  username: role,
  display_name: role,
  role,
  role_label: role,
  capabilities,
  tenant: { name: "acme" },
  sites: [],
  links: { api_docs: "/api/docs", admin: null },
  live_refresh_s: 5,
});

afterEach(() => vi.unstubAllGlobals());

describe("fmtBytes", () => {
  it("prints bytes, kB and MB in decimal units", () => {
    expect(fmtBytes(812)).toBe("812 B");
    expect(fmtBytes(41_312)).toBe("41.3 kB");
    expect(fmtBytes(2_400_000)).toBe("2.40 MB");
    expect(fmtBytes(null)).toBe("—");
  });
});

describe("ReportTable", () => {
  it("shows the period in the site's zone and in UTC, the status in words, the size and a Download link", () => {
    render(<ReportTable reports={[report()]} zone={KOLKATA} />);
    const row = screen.getByRole("row", { name: /Asset MTR-001/ });
    expect(within(row).getByText("2026-03-09 00:00 UTC+05:30 → 2026-03-10 00:00 UTC+05:30")).toBeInTheDocument();
    expect(within(row).getByText("2026-03-08 18:30 UTC → 2026-03-09 18:30 UTC")).toBeInTheDocument();
    expect(within(row).getByText("Ready")).toBeInTheDocument();
    expect(within(row).getByText("41.3 kB")).toBeInTheDocument();
    expect(within(row).getByRole("link", { name: /Download/ })).toHaveAttribute(
      "href",
      "/api/v1/reports/0d6c6a7e-1111-4222-8333-444455556666/download",
    );
  });

  it("shows a failed report's error and no Download link", () => {
    render(
      <ReportTable
        reports={[report({ status: "failed", error: "pdf: ValueError: boom", size_bytes: null, download_url: null })]}
        zone={KOLKATA}
      />,
    );
    expect(screen.getByText("Failed")).toBeInTheDocument();
    expect(screen.getByText("pdf: ValueError: boom")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Download/ })).toBeNull();
  });

  it("says so when no report is stored", () => {
    render(<ReportTable reports={[]} zone={KOLKATA} />);
    expect(screen.getByText("No stored report yet.")).toBeInTheDocument();
  });
});

describe("ScheduleForm", () => {
  it("sends the schedule and shows the server's 400 field errors beside their fields", async () => {
    const fetch = vi.fn().mockResolvedValue(
      new Response(
        JSON.stringify({
          detail: "invalid schedule",
          errors: [
            { field: "recipients[1]", message: "recipients[1]: 'not-an-address' is not an e-mail address" },
            { field: "scope_id", message: "no asset NOPE-9 in this tenant" },
          ],
        }),
        { status: 400, headers: { "Content-Type": "application/json" } },
      ),
    );
    vi.stubGlobal("fetch", fetch);
    const created = vi.fn();
    render(<ScheduleForm onCreated={created} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText(/^Scope/), "asset");
    await user.type(screen.getByLabelText(/^Site code or asset id/), "NOPE-9");
    await user.type(screen.getByLabelText(/^Recipients/), "ops@example.com, not-an-address");
    await user.click(screen.getByRole("button", { name: "Create schedule" }));

    const recipients = (await screen.findByText(/is not an e-mail address/)).closest("label")!;
    expect(within(recipients).getByRole("textbox")).toHaveValue("ops@example.com, not-an-address");
    const scopeId = screen.getByText("no asset NOPE-9 in this tenant").closest("label")!;
    expect(within(scopeId).getByRole("textbox")).toHaveValue("NOPE-9");
    expect(created).not.toHaveBeenCalled();
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/api/v1/report-schedules");
    expect(JSON.parse(init.body)).toMatchObject({
      scope: "asset",
      scope_id: "NOPE-9",
      recipients: ["ops@example.com", "not-an-address"],
      period_rule: "previous_day",
      formats: "both",
      run_at: "06:00",
      enabled: true,
    });
  });
});

describe("Schedules", () => {
  it("gives an operator a clear note and asks the server nothing", () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    render(<Schedules profile={profile("operator", ["view", "incidents"])} />);
    expect(screen.getByRole("note")).toHaveTextContent("Your role (operator) cannot open report schedules: managers and admins can.");
    expect(screen.queryByRole("button", { name: "Create schedule" })).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });

  it("lists a manager's schedules with their rule, formats and state", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn().mockResolvedValue(
        new Response(
          JSON.stringify([
            {
              id: 7, name: "Daily fleet", scope: "fleet", scope_id: "", period_rule: "previous_week", formats: "pdf",
              recipients: ["plant@example.com"], enabled: false, run_at: "06:30", cron: "", timezone: "Asia/Kolkata",
              created_by: "maya", created_at: "2026-03-01T00:00:00Z", updated_at: "2026-03-01T00:00:00Z", last_delivery: null,
            },
          ]),
          { status: 200, headers: { "Content-Type": "application/json" } },
        ),
      ),
    );
    render(<Schedules profile={profile("manager", ["view", "reports", "schedules"])} />);
    const item = await screen.findByRole("heading", { name: "Daily fleet" });
    const card = item.closest("li")!;
    expect(card).toHaveTextContent("Previous week (Mon–Sun) · PDF · at 06:30 Asia/Kolkata · Disabled");
    expect(within(card).getByRole("button", { name: "Enable Daily fleet" })).toBeInTheDocument();
  });
});

const schedule = {
  id: 7, name: "Daily fleet", scope: "fleet", scope_id: "", period_rule: "previous_week", formats: "pdf",
  recipients: ["plant@example.com"], enabled: true, run_at: "06:30", cron: "", timezone: "Asia/Kolkata",
  created_by: "maya", created_at: "2026-03-01T00:00:00Z", updated_at: "2026-03-01T00:00:00Z", last_delivery: null,
};
const answer = (body: unknown, status = 200) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** A server of one schedule: the list, and what PATCH and DELETE answer. */
function scheduleServer(write: (method: string, body: unknown) => Response) {
  const calls: { method: string; url: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url, body });
    if (method === "GET") return answer([schedule]);
    return write(method, body);
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

describe("Editing a schedule", () => {
  it("opens the schedule's values, sends only what changed and reloads the list", async () => {
    const calls = scheduleServer(() => answer(schedule));
    render(<Schedules profile={profile("manager", ["view", "reports", "schedules"])} />);
    const user = userEvent.setup({ delay: null }); // no pause between keys: the suite runs on a loaded machine
    await user.click(await screen.findByRole("button", { name: "Edit Daily fleet" }));
    const form = screen.getByRole("form", { name: "Edit Daily fleet" });
    expect(within(form).getByLabelText(/^Recipients/)).toHaveValue("plant@example.com");
    expect(within(form).getByLabelText(/^Period/)).toHaveValue("previous_week");
    expect(within(form).getByLabelText(/^Formats/)).toHaveValue("pdf");
    await user.type(within(form).getByLabelText(/^Recipients/), ", ops@example.com");
    await user.selectOptions(within(form).getByLabelText(/^Formats/), "both");
    await user.clear(within(form).getByLabelText(/^Run at/));
    await user.type(within(form).getByLabelText(/^Run at/), "07:15");
    await user.click(within(form).getByLabelText(/Enabled/));
    await user.click(within(form).getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(screen.queryByRole("form", { name: "Edit Daily fleet" })).toBeNull());
    const patch = calls.filter((c) => c.method === "PATCH");
    expect(patch).toEqual([
      {
        method: "PATCH",
        url: "/api/v1/report-schedules/7",
        body: { formats: "both", recipients: ["plant@example.com", "ops@example.com"], enabled: false, run_at: "07:15" },
      },
    ]);
    // the list again after the save: the reload is sent once the form has closed
    await vi.waitFor(() => expect(calls.filter((c) => c.method === "GET")).toHaveLength(2));
  });

  it("shows the server's 400 beside the field and keeps the form and its values", async () => {
    scheduleServer(() =>
      answer({ detail: "invalid schedule", errors: [{ field: "cron", message: "cron: 5 fields expected, got 2" }] }, 400),
    );
    render(<Schedules profile={profile("manager", ["view", "reports", "schedules"])} />);
    const user = userEvent.setup({ delay: null }); // no pause between keys: the suite runs on a loaded machine
    await user.click(await screen.findByRole("button", { name: "Edit Daily fleet" }));
    const form = screen.getByRole("form", { name: "Edit Daily fleet" });
    await user.type(within(form).getByLabelText(/^Cron/), "0 7");
    await user.click(within(form).getByRole("button", { name: "Save changes" }));

    const cron = (await within(form).findByText("cron: 5 fields expected, got 2")).closest("label")!;
    expect(within(cron).getByRole("textbox")).toHaveValue("0 7");
    expect(screen.getByRole("form", { name: "Edit Daily fleet" })).toBeInTheDocument();
  });

  it("cancels without a request, deletes after confirmation and disables", async () => {
    const calls = scheduleServer((method) => (method === "DELETE" ? answer(null, 204) : answer({ ...schedule, enabled: false })));
    vi.stubGlobal("confirm", vi.fn(() => true));
    render(<Schedules profile={profile("manager", ["view", "reports", "schedules"])} />);
    const user = userEvent.setup({ delay: null }); // no pause between keys: the suite runs on a loaded machine
    await user.click(await screen.findByRole("button", { name: "Edit Daily fleet" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("form", { name: "Edit Daily fleet" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Disable Daily fleet" }));
    await user.click(screen.getByRole("button", { name: "Delete Daily fleet" }));

    await vi.waitFor(() => expect(calls.filter((c) => c.method !== "GET")).toHaveLength(2));
    expect(calls.filter((c) => c.method !== "GET")).toEqual([
      { method: "PATCH", url: "/api/v1/report-schedules/7", body: { enabled: false } },
      { method: "DELETE", url: "/api/v1/report-schedules/7", body: undefined },
    ]);
  });
});

describe("DeliveryTable", () => {
  it("shows each delivery's status in words, attempts, error and sent time", () => {
    const d = (extra: Partial<ReportDelivery>): ReportDelivery => ({
      id: 1, period_start: "2026-03-08T18:30:00Z", period_end: "2026-03-09T18:30:00Z", timezone: "Asia/Kolkata",
      status: "sent", attempts: 1, next_attempt_at: null, error: "", recipients: [], reports: [],
      created_at: "2026-03-09T19:00:00Z", sent_at: "2026-03-09T19:00:10Z", ...extra,
    });
    render(
      <DeliveryTable
        deliveries={[d({}), d({ id: 2, status: "failed", attempts: 5, error: "attempt 5: SMTPRecipientsRefused: 550", sent_at: null })]}
        zone={KOLKATA}
      />,
    );
    const rows = screen.getAllByRole("row").slice(1);
    expect(rows[0]).toHaveTextContent("Sent");
    expect(rows[0]).toHaveTextContent("2026-03-10 00:30 UTC+05:30");
    expect(rows[1]).toHaveTextContent("Failed");
    expect(rows[1]).toHaveTextContent("5");
    expect(rows[1]).toHaveTextContent("attempt 5: SMTPRecipientsRefused: 550");
  });
});

describe("ReportRequest", () => {
  it("asks for the whole half-hours covering the page's range, for the chosen asset and format", async () => {
    const fetch = vi.fn().mockResolvedValue(
      new Response("%PDF-1.4", {
        status: 200,
        headers: { "Content-Disposition": 'attachment; filename="pdm-report-acme.xlsx"' },
      }),
    );
    vi.stubGlobal("fetch", fetch);
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:x"), revokeObjectURL: vi.fn() }));
    const done = vi.fn();
    const start = Date.parse("2026-12-06T10:18:00Z");
    render(<ReportRequest start={start} end={start + 86400e3} zone={{ kind: "utc" }} onDone={done} />);
    expect(screen.getByText(/Period 2026-12-06 10:00 UTC to 2026-12-07 10:30 UTC/)).toBeInTheDocument();
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Scope"), "asset");
    await user.type(screen.getByLabelText("Asset id"), "MTR-001");
    await user.selectOptions(screen.getByLabelText("Format"), "xlsx");
    await user.click(screen.getByRole("button", { name: "Request report" }));
    await vi.waitFor(() => expect(done).toHaveBeenCalled());
    expect(JSON.parse(fetch.mock.calls[0][1].body)).toEqual({
      scope: "asset",
      id: "MTR-001",
      start: "2026-12-06T10:00:00Z",
      end: "2026-12-07T10:30:00Z",
      format: "xlsx",
    });
  });
});
