// The Reports page and the manager's PDF: the header's Download report button gives the PDF of
// what is on screen (its first page's numbers are checked against the page and the API by
// tests/frontend/test_dashboard_browser.py with pypdf); a manager creates a schedule and sees it
// listed, edits and deletes it; an operator cannot open schedules, in the page or through the API.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { apiGet, BASE, launch, loginAs, seriousViolations, shot } from "./lib.mjs";

const OUT = process.env.PDM_E2E_OUT ?? path.resolve("../var/e2e-reports");
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const HALF_HOUR = 1800e3;
const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

test("a manager downloads the PDF of the Energy page from the header's Download report button", async () => {
  const page = await loginAs(browser, "manager", { acceptDownloads: true });
  // the period ends at the next whole half-hour, so its latest assessments are the fleet's latest
  const end = Math.ceil(Date.now() / HALF_HOUR) * HALF_HOUR;
  const start = end - 3 * 86400e3;
  await page.goto(`${BASE}/energy?from=${iso(start)}&to=${iso(end)}`);
  await page.locator('[data-field="energy_kwh"] .kpi-value').waitFor();
  await page.locator('[data-field="cost_total"]').waitFor();
  const shown = {
    energy_kwh: await page.locator('[data-field="energy_kwh"] .kpi-value').innerText(),
    cost_total: await page.locator('[data-field="cost_total"]').innerText(),
  };
  const posted = page.waitForRequest((r) => r.url().endsWith("/api/v1/reports") && r.method() === "POST");
  const downloaded = page.waitForEvent("download");
  await page.getByText("Download report").click();
  await page.getByRole("button", { name: "PDF" }).click();
  const body = JSON.parse((await posted).postData());
  assert.deepEqual(body, { scope: "fleet", start: iso(start), end: iso(end), format: "pdf" });
  const download = await downloaded;
  assert.match(download.suggestedFilename(), /^pdm-report-acme-\d{8}T\d{4}Z-\d{8}T\d{4}Z\.pdf$/);
  const pdf = path.join(OUT, "header-report.pdf");
  await download.saveAs(pdf);
  const energy = await apiGet(page, `/api/v1/energy?scope=fleet&start=${iso(start)}&end=${iso(end)}&bucket=day`);
  const fleet = await apiGet(page, "/api/v1/fleet/health");
  assert.equal(energy.status, 200);
  writeFileSync(
    path.join(OUT, "header-report.json"),
    JSON.stringify({ pdf, start: body.start, end: body.end, shown, energy: energy.body.totals, counts: fleet.body.counts }),
  );
  assert.deepEqual(page.jsErrors, []);
});

test("the header's button reports the live default range too (the half-hours covering it)", async () => {
  const page = await loginAs(browser, "manager", { acceptDownloads: true });
  const posted = page.waitForRequest((r) => r.url().endsWith("/api/v1/reports") && r.method() === "POST");
  const downloaded = page.waitForEvent("download");
  await page.getByText("Download report").click();
  await page.getByRole("button", { name: "Excel" }).click();
  const body = JSON.parse((await posted).postData());
  for (const key of ["start", "end"]) assert.match(body[key], /T\d\d:(00|30):00Z$/, `${key} is a whole half-hour`);
  assert.match((await downloaded).suggestedFilename(), /\.xlsx$/);
});

test("a manager sees the stored report, creates a schedule (field errors beside the fields) and sees it listed", async () => {
  const page = await loginAs(browser, "manager");
  await page.goto(`${BASE}/reports`);
  await page.getByRole("heading", { name: "Stored reports" }).waitFor();
  const { body: reports } = await apiGet(page, "/api/v1/reports");
  assert.ok(reports.length >= 1, "the header's report is stored");
  const row = page.locator(`tr[data-report="${reports[0].id}"]`);
  assert.match(await row.innerText(), /Fleet/);
  assert.match(await row.innerText(), /Ready/);
  assert.equal(await row.getByRole("link", { name: /^Download/ }).getAttribute("href"), reports[0].download_url);

  const form = page.getByRole("form", { name: "New schedule" });
  await form.getByLabel("Name").fill("Weekly fleet for the plant head");
  await form.getByLabel("Period").selectOption("previous_week");
  await form.getByLabel("Formats").selectOption("pdf");
  await form.getByLabel(/^Recipients/).fill("head@example.com, not-an-address");
  await form.getByLabel(/^Run at/).fill("07:15");
  await form.getByRole("button", { name: "Create schedule" }).click();
  // the server's 400 names recipients[1]; the page shows it inside the Recipients field's label
  const recipientsLabel = form.locator("label", { has: page.getByLabel(/^Recipients/) });
  await recipientsLabel.locator(".field-error").waitFor();
  assert.match(await recipientsLabel.locator(".field-error").innerText(), /not-an-address|e-?mail/i);
  assert.equal((await apiGet(page, "/api/v1/report-schedules")).body.length, 0, "nothing partial was stored");

  await form.getByLabel(/^Recipients/).fill("head@example.com, energy@example.com");
  await form.getByRole("button", { name: "Create schedule" }).click();
  const card = page.locator("li[data-schedule]", { hasText: "Weekly fleet for the plant head" });
  await card.waitFor();
  const { body: schedules } = await apiGet(page, "/api/v1/report-schedules");
  assert.equal(schedules.length, 1);
  const s = schedules[0];
  assert.deepEqual(
    [s.scope, s.period_rule, s.formats, s.run_at, s.enabled, s.recipients],
    ["fleet", "previous_week", "pdf", "07:15", true, ["head@example.com", "energy@example.com"]],
  );
  assert.match(await card.innerText(), new RegExp(`Previous week \\(Mon–Sun\\) · PDF · at 07:15 ${s.timezone}`));
  await card.getByText("Delivery history").click();
  await card.getByText("No delivery yet.").waitFor();
  assert.deepEqual(await seriousViolations(page), []);
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header over the top, not the title
  await shot(page, "reports");

  await card.getByRole("button", { name: /^Disable/ }).click();
  await card.getByText("Disabled").waitFor();
  assert.equal((await apiGet(page, `/api/v1/report-schedules/${s.id}`)).body.enabled, false);

  // edit: a bad recipient is named beside its field and nothing changes; then the fix is saved
  await card.getByRole("button", { name: /^Edit/ }).click();
  const edit = card.getByRole("form", { name: "Edit Weekly fleet for the plant head" });
  assert.equal(await edit.getByLabel(/^Recipients/).inputValue(), "head@example.com, energy@example.com");
  await edit.getByLabel(/^Recipients/).fill("energy@example.com, nobody");
  await edit.getByLabel("Formats").selectOption("both");
  await edit.getByLabel(/^Run at/).fill("08:00");
  await edit.getByRole("button", { name: "Save changes" }).click();
  const editRecipients = edit.locator("label", { has: page.getByLabel(/^Recipients/) });
  await editRecipients.locator(".field-error").waitFor();
  assert.match(await editRecipients.locator(".field-error").innerText(), /nobody|e-?mail/i);
  assert.deepEqual(await seriousViolations(page), []);
  const unchanged = (await apiGet(page, `/api/v1/report-schedules/${s.id}`)).body;
  assert.deepEqual([unchanged.formats, unchanged.run_at, unchanged.recipients], ["pdf", "07:15", ["head@example.com", "energy@example.com"]]);
  await edit.getByLabel(/^Recipients/).fill("energy@example.com");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await card.getByText(`PDF and Excel · at 08:00 ${s.timezone}`).waitFor();
  const saved = (await apiGet(page, `/api/v1/report-schedules/${s.id}`)).body;
  assert.deepEqual([saved.formats, saved.run_at, saved.recipients, saved.enabled], ["both", "08:00", ["energy@example.com"], false]);
  assert.match(await card.innerText(), /To: energy@example\.com/);

  page.once("dialog", (d) => d.accept());
  await card.getByRole("button", { name: /^Delete/ }).click();
  await card.waitFor({ state: "detached" });
  assert.equal((await apiGet(page, "/api/v1/report-schedules")).body.length, 0);
  // the console errors are the browser logging the deliberate 400s above
  assert.deepEqual(page.jsErrors.filter((e) => !e.includes("status of 400")), []);
});

test("an operator cannot open schedules, on the page or through the API", async () => {
  const page = await loginAs(browser, "operator");
  await page.goto(`${BASE}/reports`);
  await page.getByText(/cannot open reports or their schedules/).waitFor();
  assert.equal(await page.locator("li[data-schedule]").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Create schedule" }).count(), 0);
  assert.equal((await apiGet(page, "/api/v1/report-schedules")).status, 403);
});
