// Browser side of benchmarks/dashboard.py: Debian's Chromium through playwright-core (resolved
// from frontend/node_modules). Prints one JSON object: times from navigation start, in seconds.
import { createRequire } from "node:module";

const require = createRequire(`${process.env.FRONTEND_DIR}/package.json`);
const { chromium } = require("playwright-core");
const BASE = process.env.BENCH_BASE;
const FROM = process.env.BENCH_FROM;
const TO = process.env.BENCH_TO;
const N_ASSETS = Number(process.env.BENCH_ASSETS);
const REPEAT = Number(process.env.BENCH_REPEAT ?? "3");
const SIGNAL_CHARTS = ["Vibration RMS", "Temperature", "Current", "Voltage", "Power factor", "Frequency"];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: "UTC" });
const page = await context.newPage();
await page.goto(`${BASE}/`);
await page.getByLabel("Username").fill("bench-admin");
await page.getByLabel("Password").fill(process.env.BENCH_PASSWORD);
await page.getByRole("button", { name: "Sign in" }).click();
try {
  await page.getByRole("heading", { name: "Fleet", level: 1 }).waitFor({ timeout: 120_000 });
} catch (err) {
  console.error(`after login: ${(await page.locator("body").innerText()).slice(0, 500)}`);
  throw err;
}
// warm-up: the first fleet answer fills the server's caches; measured navigations follow

const range = `from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;
const out = { asset_page_s: [], asset_points: [], fleet_rows_s: [], fleet_page_s: [], ref_asset_api_s: [], ref_fleet_api_s: [] };
for (let i = 0; i < REPEAT; i++) {
  // asset page: navigation start until the six signal charts are drawn with their data
  await page.goto("about:blank");
  await page.goto(`${BASE}/assets/B-0000?${range}`, { waitUntil: "commit" });
  const drawn = await page.waitForFunction(
    (names) => {
      const charts = names.map((n) => [...document.querySelectorAll(".chart-canvas[aria-label]")].find((c) => c.getAttribute("aria-label").startsWith(n)));
      const ok = charts.every((c) => c && Number(c.dataset.points) > 0 && c.querySelector("canvas"));
      return ok ? { t: performance.now(), points: charts.map((c) => Number(c.dataset.points)) } : false;
    },
    SIGNAL_CHARTS,
    { polling: "raf", timeout: 60_000 },
  );
  const a = await drawn.jsonValue();
  out.asset_page_s.push(a.t / 1000);
  out.asset_points.push(a.points);
  // reference: the same signals request alone, fetched by the browser (the API's share)
  out.ref_asset_api_s.push(
    await page.evaluate(async ({ from, to }) => {
      const t = performance.now();
      const q = new URLSearchParams({ start: from, end: to, points: "600", fields: "vibration_rms_mm_s,temperature_c,ambient_temperature_c,current_a,voltage_v,power_factor,frequency_hz,power_kw" });
      await (await fetch(`/api/v1/assets/B-0000/signals?${q}`, { cache: "no-store" })).json();
      return (performance.now() - t) / 1000;
    }, { from: FROM, to: TO }),
  );

  // fleet page: navigation start until every row is in the table and a sort click has been handled
  await page.goto("about:blank");
  await page.goto(`${BASE}/?${range}`, { waitUntil: "commit" });
  const rows = await page.waitForFunction(
    (n) => (document.querySelectorAll("table.fleet-table tr[data-asset]").length === n ? performance.now() : false),
    N_ASSETS,
    { polling: "raf", timeout: 60_000 },
  );
  out.fleet_rows_s.push((await rows.jsonValue()) / 1000);
  const first = await page.locator("table.fleet-table tr[data-asset]").first().getAttribute("data-asset");
  await page.getByRole("button", { name: /^Health/ }).click();
  const sorted = await page.waitForFunction(
    (before) => {
      const row = document.querySelector("table.fleet-table tr[data-asset]");
      return row && row.getAttribute("data-asset") !== before ? performance.now() : false;
    },
    first,
    { polling: "raf", timeout: 30_000 },
  );
  out.fleet_page_s.push((await sorted.jsonValue()) / 1000);
  out.ref_fleet_api_s.push(
    await page.evaluate(async () => {
      const t = performance.now();
      await Promise.all(["/api/v1/fleet/health", "/api/v1/assets?limit=1000"].map(async (u) => (await fetch(u, { cache: "no-store" })).json()));
      return (performance.now() - t) / 1000;
    }),
  );
}
await browser.close();
console.log(JSON.stringify(out));
