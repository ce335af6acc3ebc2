// The Energy page, the fleet's "energy today" and the asset's energy: every figure is the API's
// (GET /api/v1/energy read through the same session). The live asset page asks again every few
// seconds with If-None-Match and, with no new data, gets 304s and keeps its charts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiGet, assertPrinted, BASE, launch, loginAs, seriousViolations, shot } from "./lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const HALF_HOUR = 1800e3;
const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

test("the Energy page shows the API's totals, cost breakdown, PF exposure, idle and degradation", async () => {
  const page = await loginAs(browser, "admin");
  const end = Math.floor(Date.now() / HALF_HOUR) * HALF_HOUR;
  const start = end - 3 * 86400e3;
  await page.goto(`${BASE}/energy?from=${iso(start)}&to=${iso(end)}`);
  await page.locator('[data-field="energy_kwh"]').waitFor();
  const { status, body: e } = await apiGet(page, `/api/v1/energy?scope=fleet&start=${iso(start)}&end=${iso(end)}&bucket=day`);
  assert.equal(status, 200);
  const t = e.totals;
  assert.ok(t.energy_kwh > 0, "the generator's machines consumed energy");
  const kpi = (f) => page.locator(`[data-field="${f}"] .kpi-value`).innerText();
  assertPrinted(assert, await kpi("energy_kwh"), t.energy_kwh, "energy");
  assert.match(await kpi("energy_kwh"), / kWh$/);
  assertPrinted(assert, await kpi("power_factor"), t.power_factor, "PF");
  assertPrinted(assert, await kpi("max_demand_kva"), t.max_demand_kva, "max demand");
  assertPrinted(assert, await kpi("covered_h"), t.coverage.covered_h, "hours with data");
  assertPrinted(assert, await page.locator('[data-field="idle_energy_kwh"]').innerText(), t.idle_energy_kwh, "idle");
  const loss = await page.locator('[data-field="degradation_loss_kwh"]').innerText();
  if (t.degradation_loss_kwh === null) assert.equal(loss, "—");
  else assertPrinted(assert, loss, t.degradation_loss_kwh, "degradation");
  assert.ok(t.cost, "the fixture's site has a tariff: the period is costed");
  if (t.cost) {
    assertPrinted(assert, await page.locator('[data-field="cost_total"]').innerText(), t.cost.total, "cost");
    for (const [part, v] of [["Energy charge", t.cost.energy], ["Time of day", t.cost.time_of_day], ["Demand charge", t.cost.demand]]) {
      assertPrinted(assert, await page.locator(`tr[data-part="${part}"] td.num`).innerText(), v, part);
    }
  } else {
    await page.getByText(/not costed/).first().waitFor();
  }
  // buckets: one row per API bucket, labelled in site time
  assert.equal(await page.locator("tr[data-bucket]").count(), e.series.length);
  assert.match(await page.locator("th", { hasText: e.timezone }).first().innerText(), /Day/i);
  // the admin sees the site's tariff
  await page.getByRole("heading", { name: /^Tariff of site/ }).first().waitFor();
  assert.deepEqual(await seriousViolations(page), []);
  await shot(page, "energy");
  assert.deepEqual(page.jsErrors, []);
});

test("the fleet's energy today is each asset's energy since local midnight", async () => {
  const page = await loginAs(browser, "operator");
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-field="energy_today"]')];
    return cells.length > 0 && cells.every((c) => c.getAttribute("data-period") && !c.textContent.startsWith("…"));
  });
  const cells = page.locator('tr[data-asset] [data-field="energy_today"]');
  for (let i = 0; i < (await cells.count()); i++) {
    const cell = cells.nth(i);
    const asset = await cell.locator("xpath=..").getAttribute("data-asset");
    const [start, end] = (await cell.getAttribute("data-period")).split("/");
    // site time is Asia/Kolkata (UTC+05:30): the day starts at 18:30 UTC
    assert.match(start, /T18:30:00Z$/, `${asset}: the period starts at local midnight`);
    assert.ok(Date.parse(end) - Date.now() < HALF_HOUR && Date.parse(end) > Date.now() - 60e3, `${asset}: the period ends now`);
    const { body } = await apiGet(page, `/api/v1/energy?scope=asset&id=${asset}&start=${start}&end=${end}&bucket=day`);
    const text = (await cell.innerText()).split("\n")[0];
    if (body.totals.energy_kwh === null) assert.equal(text, "—");
    else assertPrinted(assert, text, body.totals.energy_kwh, `${asset} energy today`);
  }
});

test("the live asset page refreshes with conditional requests and keeps unchanged charts", async () => {
  const page = await loginAs(browser, "operator");
  const statuses = [];
  page.on("response", (r) => r.url().includes("/signals?") && statuses.push(r.status()));
  await page.goto(`${BASE}/assets/MTR-001?range=24h`);
  await page.waitForSelector(".chart-canvas canvas");
  const { body: health } = await apiGet(page, "/api/v1/assets/MTR-001/health");
  // the energy chart and its totals are the API's
  await page.getByTestId("asset-energy-totals").waitFor();
  assert.match(await page.getByTestId("asset-energy-totals").innerText(), /kWh in the range/);
  await page.waitForLoadState("networkidle");
  const marked = await page.evaluate(() => {
    const all = document.querySelectorAll(".chart-canvas canvas");
    all.forEach((c) => (c.dataset.first = "1"));
    return all.length;
  });
  assert.ok(marked >= 9, `charts on the page: ${marked}`);
  await page.waitForTimeout(11_000); // two refreshes at live_refresh_s = 5
  assert.ok(statuses.length >= 3, `asked again: ${statuses}`);
  assert.equal(statuses[0], 200);
  // the generator's stream has ended: nothing new, so every refresh is a 304 (unless the live
  // window stepped on by a pixel, which is a new URL and a 200)
  assert.ok(statuses.slice(1).filter((s) => s === 304).length >= 1, `conditional refreshes: ${statuses}`);
  if (statuses.slice(1).every((s) => s === 304)) {
    // a chart rebuilt from scratch replaces its canvas: every marked canvas is still there
    const kept = await page.evaluate(() => document.querySelectorAll('.chart-canvas canvas[data-first="1"]').length);
    assert.equal(kept, marked, "no chart was redrawn from scratch");
  }
  assert.ok(health.asset_id === "MTR-001");
  assert.deepEqual(page.jsErrors, []);
});
