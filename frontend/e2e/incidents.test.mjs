// Acknowledge an incident with a comment and see it in the audit trail; a resolve without a note
// is refused with the API's message beside the field.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiGet, launch, loginAs, seriousViolations, shot, USERS } from "./lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("acknowledge from the dashboard, audit trail and API agree", async () => {
  const page = await loginAs(browser, "operator");
  await page.getByRole("link", { name: "Incidents" }).click();
  await page.waitForSelector("tr[data-alert]");
  const { body: list } = await apiGet(page, "/api/v1/alerts?state=open&state=acknowledged");
  assert.equal(await page.locator("tr[data-alert]").count(), list.results.length);
  assert.deepEqual(await seriousViolations(page), []);
  await shot(page, "incidents");

  const target = list.results.find((a) => a.state === "open");
  assert.ok(target, "the faulty motor has an open incident");
  await page.locator(`tr[data-alert="${target.id}"] a`).first().click();
  await page.getByRole("heading", { name: "Audit trail" }).waitFor();
  assert.equal(await page.locator("pre.explanation").innerText(), target.explanation);

  await page.getByRole("button", { name: "Resolve" }).click();
  const note = page.getByLabel("Resolution note (required)");
  await page.locator("#note-error").waitFor();
  assert.equal(await note.getAttribute("aria-invalid"), "true");
  assert.equal((await apiGet(page, `/api/v1/alerts/${target.id}`)).body.state, "open", "nothing changed");

  const comment = "Crew dispatched to check the drive-end bearing";
  await page.getByLabel("Comment (optional)").fill(comment);
  await page.getByRole("button", { name: "Acknowledge" }).click();
  const row = page.locator('tr[data-action="acknowledged"]');
  await row.waitFor();
  const username = USERS.operator[0];
  assert.match(await row.innerText(), new RegExp(`${username}[\\s\\S]*${comment}`));
  const { body: after } = await apiGet(page, `/api/v1/alerts/${target.id}`);
  assert.equal(after.state, "acknowledged");
  const last = after.transitions.at(-1);
  assert.deepEqual([last.action, last.actor, last.note], ["acknowledged", username, comment]);
  assert.deepEqual(await seriousViolations(page), []);
  await shot(page, "incident");
  assert.deepEqual(page.jsErrors.filter((e) => !/status of 400/.test(e)), []);
});
