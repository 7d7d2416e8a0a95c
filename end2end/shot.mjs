import { chromium } from "@playwright/test";
import { session } from "./demo-session.mjs";
const base = process.env.BASE ?? "http://127.0.0.1:3918";
const [path, email, width, out, y] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const ctx = await b.newContext({ locale: "zh-CN", viewport: { width: Number(width), height: 1300 } });
if (email) {
  const [name, value] = (await session(base, email)).split("=");
  await ctx.addCookies([{ name, value, url: base }]);
}
const p = await ctx.newPage();
await p.goto(base + path);
if (y) await p.evaluate((y) => window.scrollTo(0, Number(y)), y);
await p.screenshot({ path: out });
await b.close();
