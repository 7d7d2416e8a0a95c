import { test, expect, type Browser } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import * as fs from "node:fs";
import { DEMO_PASSWORD } from "./support";

// Every main page, for the person who uses it, in both languages and at a phone's and a wide
// screen's width: no serious or critical accessibility violation (axe-core, WCAG 2.1 A and AA),
// no sideways scrolling at 360 px, and a screenshot of each in zh-CN for looking at
// (test-results/screens/).
type Who = "visitor" | "booker" | "admin" | "manager";
const EMAIL: Record<Exclude<Who, "visitor">, string> = {
  booker: "liu.fang@nk-furniture.example",
  admin: "admin@jxiic.example",
  manager: "manager@jx-zone.example",
};
const PAGES: [string, string, Who][] = [
  ["catalogue", "/", "visitor"],
  ["resource", "/resources/1", "visitor"],
  ["free", "/free?hours=2", "booker"],
  ["idle", "/idle", "visitor"],
  ["sign-in", "/sign-in", "visitor"],
  ["sign-up", "/sign-up", "visitor"],
  ["book", "/resources/1/book", "booker"],
  ["my-bookings", "/bookings", "booker"],
  ["profile", "/profile", "booker"],
  ["schedule", "/schedule", "admin"],
  ["requests", "/institution/requests", "admin"],
  ["resources", "/institution/resources", "admin"],
  ["editor", "/institution/resources/new", "admin"],
  ["institution-report", "/institution/report", "admin"],
  ["zone-report", "/reports", "manager"],
  ["sign-ups", "/zone/sign-ups", "manager"],
  ["services", "/services?standard=gb", "visitor"],
  ["service", "/services/1", "booker"],
  ["orders", "/orders", "booker"],
  ["order", "/orders/1", "booker"],
  ["needs", "/needs", "booker"],
  ["institution-services", "/institution/services", "admin"],
];

async function sessionCookie(browser: Browser, who: Who): Promise<string | undefined> {
  if (who === "visitor") return undefined;
  const context = await browser.newContext();
  const res = await context.request.post("/api/sign_in", {
    form: { email: EMAIL[who], password: DEMO_PASSWORD, next: "/" },
    headers: { accept: "application/json" },
  });
  expect(res.ok()).toBeTruthy();
  const cookie = (await context.cookies()).find((c) => c.name === "labshare_session")?.value;
  await context.close();
  return cookie;
}

test("every main page: accessible in both languages and both widths, no sideways scrolling on a phone", async ({ browser, baseURL }) => {
  test.setTimeout(240_000);
  fs.mkdirSync("test-results/screens", { recursive: true });
  const sessions: Partial<Record<Who, string>> = {};
  for (const who of ["booker", "admin", "manager"] as Who[]) sessions[who] = await sessionCookie(browser, who);
  const problems: string[] = [];
  for (const lang of ["zh-CN", "en"]) {
    for (const width of [360, 1440]) {
      for (const [name, path, who] of PAGES) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, locale: lang });
        const host = new URL(baseURL!).hostname;
        const cookies = [{ name: "i18n_pref_locale", value: lang, domain: host, path: "/" }];
        if (sessions[who]) cookies.push({ name: "labshare_session", value: sessions[who]!, domain: host, path: "/" });
        await context.addCookies(cookies);
        const page = await context.newPage();
        const res = await page.goto(path);
        expect(res?.status(), `${path} as ${who}`).toBe(200);
        await expect(page.locator("html")).toHaveAttribute("lang", lang);
        const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
        for (const v of axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
          problems.push(`${lang} ${width}px ${path}: ${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
        }
        if (width === 360) {
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (overflow > 0) problems.push(`${lang} 360px ${path}: ${overflow} px wider than the screen`);
        }
        if (lang === "zh-CN") await page.screenshot({ path: `test-results/screens/${name}-${width}.png`, fullPage: true });
        await context.close();
      }
    }
  }
  expect(problems).toEqual([]);
});
