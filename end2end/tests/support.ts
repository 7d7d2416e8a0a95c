import { expect, type Browser, type Page } from "@playwright/test";

// Collects script errors and failed responses: a page that does not hydrate cleanly is broken.
// `allow` lists URL parts whose error status is the expected answer.
export function watchErrors(page: Page, allow: string[] = []): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !allow.some((a) => m.text().includes(a) || m.location().url.includes(a))) {
      errors.push(`console: ${m.text()}`);
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !allow.some((a) => r.url().includes(a))) errors.push(`http ${r.status()}: ${r.url()}`);
  });
  return errors;
}

// Waits until the page's wasm has loaded and hydrated it (nothing on the network for a moment
// after the load). Typing into a form before that is lost when the page hydrates, and a submit
// goes the no-wasm way (a full page load), which a test that means to exercise the wasm must avoid.
export async function hydrated(page: Page) {
  await page.waitForLoadState("networkidle");
}

export const DEMO_PASSWORD = "Demo-2026-labshare";

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/sign-in");
  await page.getByLabel("邮箱").fill(email);
  await page.getByLabel("密码").fill(password);
  await page.getByRole("button", { name: "登录" }).click();
}

// Reads the newest message to `to` in the site admin's outbox, in a browser of its own.
export async function readMail(browser: Browser, to: string): Promise<string> {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, "siteadmin@jx-zone.example");
  await expect(page.getByTestId("who")).toBeVisible();
  await page.goto("/admin/outbox");
  const message = page.getByTestId("outbox").locator("li", { hasText: to }).first();
  await message.locator("summary").click();
  const body = await message.locator("pre").innerText();
  await context.close();
  return body;
}
