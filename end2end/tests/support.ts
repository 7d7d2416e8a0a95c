import { expect, type Browser, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";

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

export const DEMO_PASSWORD = "Demo-2026-labshare";

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/sign-in");
  await page.getByLabel("邮箱").fill(email);
  await page.getByLabel("密码").fill(password);
  await page.getByRole("button", { name: "登录" }).click();
}

// The newest message to `to` as the site admin's outbox shows it, in a browser of its own.
export async function outboxText(browser: Browser, to: string): Promise<string> {
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

// The text of the newest message to `to` delivered to the dev mailbox (MAILBOX_DIR, the server's
// DATA_DIR/mailbox): where a developer reads mail, as the recipient would. Waits for the sender.
// With `after`, waits for a message newer than that one.
export async function readMail(_browser: Browser, to: string, after?: string): Promise<string> {
  const dir = process.env.MAILBOX_DIR;
  if (!dir) throw new Error("MAILBOX_DIR names the server's dev mailbox");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(".eml")).sort() : [];
    for (const name of names.reverse()) {
      const raw = fs.readFileSync(path.join(dir, name), "utf8");
      const head = raw.split(/\r?\n\r?\n/)[0];
      if (head.includes(`<${to}>`) || head.includes(`To: ${to}`)) {
        const text = plainText(raw);
        if (text !== after) return text;
        break;
      }
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} in ${dir}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The text/plain part of a MIME message, its transfer encoding undone.
function plainText(raw: string): string {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  const part = parts.find((p) => /content-type:\s*text\/plain/i.test(p)) ?? raw;
  const [headers, ...rest] = part.split(/\r?\n\r?\n/);
  const body = rest.join("\n\n").split(/\r?\n--/)[0];
  if (/content-transfer-encoding:\s*base64/i.test(headers)) {
    return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  }
  if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
    const joined = body.replace(/=\r?\n/g, "");
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] === "=" && /^[0-9A-F]{2}$/i.test(joined.slice(i + 1, i + 3))) {
        bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(joined[i], "utf8"));
      }
    }
    return Buffer.from(bytes).toString("utf8");
  }
  return body;
}
