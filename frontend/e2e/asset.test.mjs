// Open the faulty asset from the fleet: the explanation text and every factor equal the API's.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiGet, assertPrinted, launch, loginAs, seriousViolations, shot } from "./lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("the asset page shows the API's explanation, factors and RUL, and its charts", async () => {
  const page = await loginAs(browser, "operator");
  const { body: fleet } = await apiGet(page, "/api/v1/fleet/health");
  const worst = [...fleet.assets].sort((a, b) => (b.risk_code ?? -1) - (a.risk_code ?? -1))[0];
  assert.equal(worst.asset_id, "MTR-001", "the motor with the bearing fault is the worst");
  await page.locator(`tr[data-asset="${worst.asset_id}"] a.asset-link`).click();
  await page.getByRole("heading", { name: "Health and risk" }).waitFor();
  const { body: health } = await apiGet(page, `/api/v1/assets/${worst.asset_id}/health`);

  assert.equal(await page.getByTestId("explanation").innerText(), health.explanation);
  assert.equal(await page.locator('[data-field="reason"]').innerText(), health.explanation.split("\n")[0]);
  assertPrinted(assert, await page.locator('[data-field="health_score"]').innerText(), health.health_score, "health");
  assert.match(await page.locator(".health-card .badge").first().innerText(), new RegExp(health.risk_level));

  const dropping = health.factors.filter((f) => f.penalty > 0);
  assert.ok(dropping.length >= 1);
  const items = page.locator("li.factor");
  assert.equal(await items.count(), dropping.length);
  for (const [i, f] of dropping.entries()) {
    const item = items.nth(i);
    assert.equal(await item.getAttribute("data-factor"), f.name, "in the API's order (share of the drop)");
    const text = (field) => item.locator(`[data-field="${field}"]`).innerText();
    if (f.value !== null) assertPrinted(assert, await text("value"), f.value, `${f.name} value`);
    assertPrinted(assert, await text("penalty"), f.penalty, `${f.name} penalty`);
    assertPrinted(assert, await text("share"), f.share_of_drop * 100, `${f.name} share`);
  }
  const rul = await page.locator('[data-field="rul"]').innerText();
  if (health.rul_days === null) assert.match(rul, /Not estimated/);
  else assertPrinted(assert, rul, health.rul_days, "RUL");

  // charts: every signal, the health history and the anomaly score, with points
  await page.waitForSelector(".chart-canvas canvas");
  assert.ok((await page.locator(".chart").count()) >= 9);
  const vibration = page.getByRole("img", { name: /^Vibration RMS/ });
  assert.ok(Number(await vibration.getAttribute("data-points")) > 50);
  assert.match(await vibration.getAttribute("aria-label"), /latest \d+\.\d\d mm\/s/);
  assert.deepEqual(await seriousViolations(page), []);
  await shot(page, "asset");

  // dragging across a chart sets the page's range to the selection (on a fixed range: a live
  // refresh that lands during the drag redraws the chart and drops the selection)
  const now = Date.now();
  await page.goto(`${page.url().split("?")[0]}?from=${new Date(now - 86400e3).toISOString()}&to=${new Date(now).toISOString()}`);
  await page.waitForSelector(".chart-canvas canvas");
  await vibration.scrollIntoViewIfNeeded();
  const box = await vibration.boundingBox();
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.4);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.4, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => /from=.*&to=/.test(window.location.search));
  const url = new URL(page.url());
  const span = Date.parse(url.searchParams.get("to")) - Date.parse(url.searchParams.get("from"));
  assert.ok(span > 0 && span < 0.4 * 86400e3, `a zoom into the last day selects a few hours, got ${span / 3600e3} h`);
  assert.equal(await page.locator(".range-kind").innerText(), "Custom");
  await page.waitForSelector(".chart-canvas canvas");
  assert.deepEqual(page.jsErrors, []);
});
