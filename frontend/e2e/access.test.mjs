// What a login sees is bounded by its tenant and its role, whatever URL is typed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiGet, BASE, launch, loginAs, seriousViolations, shot } from "./lib.mjs";

const FOREIGN = process.env.PDM_FOREIGN_ASSET ?? "GLX-001";
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("the login page has no serious accessibility violation", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${BASE}/`);
  await page.getByLabel("Username").waitFor();
  assert.deepEqual(await seriousViolations(page), []);
  await shot(page, "login");
  await context.close();
});

test("an operator never sees another tenant's asset, also by typing its URL", async () => {
  const page = await loginAs(browser, "operator");
  await page.waitForSelector("tr[data-asset]");
  assert.equal(await page.locator(`tr[data-asset="${FOREIGN}"]`).count(), 0);
  assert.equal((await apiGet(page, `/api/v1/assets/${FOREIGN}`)).status, 404);
  assert.equal((await apiGet(page, `/api/v1/assets/${FOREIGN}/health`)).status, 404);
  await page.goto(`${BASE}/assets/${FOREIGN}`);
  await page.getByRole("heading", { name: "Asset not found" }).waitFor();
  assert.ok(!(await page.locator("main").innerText()).includes("Pump 1"), "nothing of the asset is shown");
  await page.goto(`${BASE}/incidents?asset=${FOREIGN}&state=all`);
  await page.getByText("No incident matches these filters.").waitFor();
});

test("an operator has no reports or schedules; the Energy page opens for them", async () => {
  const page = await loginAs(browser, "operator");
  assert.equal(await page.getByRole("link", { name: "Reports" }).count(), 0);
  assert.equal(await page.getByText("Download report").count(), 0);
  await page.goto(`${BASE}/reports`);
  await page.getByText(/cannot open reports or their schedules/).waitFor();
  await page.goto(`${BASE}/energy`);
  await page.getByRole("heading", { name: "Energy", level: 1 }).waitFor();
  await page.locator(".card, .kpis, .status").first().waitFor();
  assert.deepEqual(await seriousViolations(page), []);
});

test("a manager downloads reports but does not act on incidents", async () => {
  const page = await loginAs(browser, "manager");
  assert.equal(await page.getByRole("link", { name: "Reports" }).count(), 1);
  await page.getByText("Download report").click();
  await page.getByRole("button", { name: "PDF" }).waitFor();
  await shot(page, "report-menu");
  const { body } = await apiGet(page, "/api/v1/alerts?state=open&state=acknowledged");
  await page.goto(`${BASE}/incidents/${body.results[0].id}`);
  await page.getByRole("heading", { name: "Audit trail" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0);
  await page.getByText(/operators and admins acknowledge and resolve/).waitFor();
  await page.goto(`${BASE}/reports`);
  await page.getByRole("heading", { name: "Reports", level: 1 }).waitFor();
  assert.deepEqual(await seriousViolations(page), []);
});
