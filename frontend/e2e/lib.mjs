// Shared by the browser tests: Debian's Chromium through playwright-core, a logged-in page, the
// API read through the same session (the expected values come from the API, never from the page).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import path from "node:path";

export const BASE = process.env.PDM_BASE_URL ?? "http://127.0.0.1:8161";
export const SHOTS = process.env.PDM_SCREENSHOT_DIR ?? path.resolve("../var/screenshots/dashboard");
export const USERS = JSON.parse(process.env.PDM_E2E_USERS ?? '{"operator":["operator","Demo-Password-2026"]}');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A new page logged in through the login form as `role`. */
export async function loginAs(browser, role, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: "UTC", ...opts });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.jsErrors = errors;
  await page.goto(`${BASE}/`);
  const [username, password] = USERS[role];
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Fleet", level: 1 }).waitFor();
  errors.length = 0; // the app's first question, who is logged in, was answered 401 before the login
  return page;
}

/** GET through the page's own session: what the API says to this user. */
export async function apiGet(page, url) {
  const resp = await page.request.get(`${BASE}${url}`);
  return { status: resp.status(), body: resp.headers()["content-type"]?.includes("json") ? await resp.json() : null };
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Serious or critical axe-core violations of the page as it is now (none expected). */
export async function seriousViolations(page) {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")})`);
}

/** The number in a text such as "3.60 mm/s", "51/100", "49.5% of the drop" or "+11.0 sd". */
export function numberIn(text) {
  const m = /[-+]?\d+(?:\.\d+)?/.exec(text ?? "");
  if (!m) throw new Error(`no number in ${JSON.stringify(text)}`);
  return { value: Number(m[0]), decimals: (m[0].split(".")[1] ?? "").length };
}

/** CONTRACTS §14.2: a printed value matches a stored one within half a unit of its last digit. */
export function assertPrinted(assert, text, stored, what) {
  const { value, decimals } = numberIn(text);
  const tolerance = 0.5 * 10 ** -decimals + 1e-9;
  assert.ok(Math.abs(value - stored) <= tolerance, `${what}: page shows ${JSON.stringify(text)}, the API has ${stored}`);
}
