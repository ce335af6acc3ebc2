// Log in as an operator; the fleet table shows every asset with the API's values.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiGet, assertPrinted, launch, loginAs, seriousViolations, shot } from "./lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("the fleet table and the risk counts are the API's", async () => {
  const page = await loginAs(browser, "operator");
  await page.waitForSelector("table.fleet-table tr[data-asset]");
  const { body: fleet } = await apiGet(page, "/api/v1/fleet/health");
  assert.ok(fleet.assets.length >= 3, "the fixture registers three assets");
  const rows = page.locator("table.fleet-table tr[data-asset]");
  assert.equal(await rows.count(), fleet.assets.length);
  for (const a of fleet.assets) {
    const row = page.locator(`tr[data-asset="${a.asset_id}"]`);
    const cell = (f) => row.locator(`[data-field="${f}"]`).innerText();
    if (a.health_score === null) assert.equal(await cell("health"), "—");
    else assertPrinted(assert, await cell("health"), a.health_score, `${a.asset_id} health`);
    assert.match(await cell("risk"), new RegExp(a.risk_level ?? "No data"));
    assert.equal((await cell("open_alerts")).trim(), String(a.open_alerts));
    const rul = await cell("rul");
    if (a.rul_days === null) assert.ok(rul.length > 0 && !/\d/.test(rul), `${a.asset_id}: a reason, not a number: ${rul}`);
    else {
      assertPrinted(assert, rul, a.rul_days, `${a.asset_id} RUL`);
      const [low, high] = rul.match(/(\d+\.\d)–(\d+\.\d)/).slice(1);
      assertPrinted(assert, low, a.rul_interval[0], `${a.asset_id} RUL low`);
      assertPrinted(assert, high, a.rul_interval[1], `${a.asset_id} RUL high`);
    }
    assert.match(await cell("last_data"), /UTC\+05:30/, "times carry their zone");
  }
  for (const level of ["Critical", "High", "Medium", "Low", "no_data"]) {
    assert.equal(await page.locator(`[data-count="${level}"]`).innerText(), String(fleet.counts[level]), `count ${level}`);
  }
  assert.ok(fleet.counts.Critical + fleet.counts.High >= 1, "the faulty motor is at High or Critical");
  assert.deepEqual(await seriousViolations(page), []);
  await shot(page, "fleet");

  // sorting by health puts the lowest first; filtering by text narrows the table
  await page.getByRole("button", { name: /^Health/ }).click();
  const sorted = [...fleet.assets].filter((a) => a.health_score !== null).sort((x, y) => y.health_score - x.health_score);
  assert.equal(await rows.first().getAttribute("data-asset"), sorted[0].asset_id);
  await page.getByLabel("Search").fill("pump");
  assert.equal(await rows.count(), fleet.assets.filter((a) => a.asset_type === "pump").length);

  // UTC on request: the same instant, labelled UTC
  await page.getByRole("radio", { name: "UTC" }).click();
  await page.getByLabel("Search").fill("");
  assert.match(await page.locator('tr[data-asset] [data-field="last_data"]').first().innerText(), / UTC\b/);
  assert.deepEqual(page.jsErrors, []);
});
