// Lighthouse (npm, mobile preset, driving Debian's Chromium) on the main pages, signed in where a
// page needs it: prints the four category scores per page against the target of 95. A benchmark
// for the README, not a test: it fails only when a page cannot be audited.
//
//   (cd end2end && node lighthouse.mjs http://127.0.0.1:PORT)
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const base = process.argv[2];
if (!base) throw new Error("usage: node lighthouse.mjs BASE_URL");
import { session as signIn } from "./demo-session.mjs";
const session = (email) => signIn(base, email);

const booker = await session("liu.fang@nk-furniture.example");
const admin = await session("admin@jxiic.example");
const manager = await session("manager@jx-zone.example");
const pages = [
  ["catalogue", "/", ""],
  ["resource", "/resources/1", ""],
  ["booking form", "/resources/1/book", booker],
  ["time-first search", "/free?hours=2", booker],
  ["schedule", "/schedule", admin],
  ["zone report", "/reports", manager],
];
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH ?? "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox"],
});
const categories = ["performance", "accessibility", "best-practices", "seo"];
let below = 0;
console.log(`${"page".padEnd(20)} ${categories.map((c) => c.padStart(15)).join("")}`);
try {
  for (const [name, path, cookie] of pages) {
    const result = await lighthouse(`${base}${path}`, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: categories,
      extraHeaders: cookie ? { Cookie: cookie } : undefined,
    });
    const scores = categories.map((c) => Math.round((result.lhr.categories[c]?.score ?? 0) * 100));
    below += scores.filter((s) => s < 95).length;
    console.log(`${name.padEnd(20)} ${scores.map((s) => String(s).padStart(15)).join("")}`);
  }
} finally {
  await chrome.kill();
}
console.log(below ? `${below} score(s) below the target of 95` : "every score at or above 95");
