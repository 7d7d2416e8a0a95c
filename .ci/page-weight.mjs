// The script each main page loads, as a browser receives it: for every page, the JS and wasm it
// asks for (the island loader's module and wasm, and any other script), each fetched with
// `Accept-Encoding: br, gzip` and measured as sent. A benchmark that prints figures against the
// targets of "Pages that weigh only what they do"; it fails only if a page cannot be fetched.
//
//   node .ci/page-weight.mjs http://127.0.0.1:PORT
const base = process.argv[2];
if (!base) throw new Error("usage: node page-weight.mjs BASE_URL");
import { session as signIn } from "../end2end/demo-session.mjs";
const session = (email) => signIn(base, email);

// Bytes as sent: fetch decodes, so ask with the encodings a browser offers and read the length
// of the raw body through a request that declines decoding.
async function sentBytes(url) {
  const http = await import(url.startsWith("https") ? "node:https" : "node:http");
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { "accept-encoding": "br, gzip" } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`));
      let n = 0;
      res.on("data", (c) => (n += c.length));
      res.on("end", () => resolve({ bytes: n, encoding: res.headers["content-encoding"] ?? "identity", cache: res.headers["cache-control"] ?? "" }));
    }).on("error", reject);
  });
}

const resource = 1;
const booker = await session("liu.fang@nk-furniture.example");
const manager = await session("manager@jx-zone.example");
const admin = await session("admin@jxiic.example");
// [page, who, target in KB]
const pages = [
  ["/", "", 150, "catalogue"],
  [`/resources/${resource}`, "", 150, "resource"],
  ["/free?hours=2", booker, 150, "time-first search"],
  ["/schedule", admin, 150, "schedule"],
  [`/resources/${resource}/book`, booker, 300, "booking form"],
  ["/bookings", booker, 300, "my bookings"],
  ["/idle", "", 300, "idle list"],
  ["/sign-up", "", 300, "sign-up"],
  ["/profile", booker, 300, "profile"],
  ["/institution/requests", admin, 300, "requests"],
  ["/institution/resources/new", admin, 300, "resource editor"],
  ["/reports", manager, 300, "zone report"],
];
const seen = new Map();
let missed = 0;
console.log("page                         script loaded (as sent)            target   ");
for (const [path, cookie, target, name] of pages) {
  const res = await fetch(`${base}${path}`, { headers: cookie ? { cookie } : {} });
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  const html = await res.text();
  // Scripts by address, and what the island loader preloads: its module and its wasm.
  const files = new Set();
  for (const m of html.matchAll(/<script[^>]*src="([^"]+)"/g)) files.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*rel="(?:modulepreload|preload)"[^>]*href="([^"]+\.(?:js|wasm))"/g)) files.add(m[1]);
  let total = 0;
  const parts = [];
  for (const f of files) {
    const url = new URL(f, base).href;
    if (!seen.has(url)) seen.set(url, await sentBytes(url));
    const s = seen.get(url);
    total += s.bytes;
    parts.push(`${f.split("/").pop()} ${(s.bytes / 1024).toFixed(1)} KB ${s.encoding}`);
  }
  const kb = total / 1024;
  const met = kb <= target;
  if (!met) missed += 1;
  console.log(`${name.padEnd(20)} ${path.padEnd(30)} ${kb.toFixed(1).padStart(7)} KB  ≤ ${target} KB  ${met ? "met" : "MISSED"}  ${parts.join(", ") || "no script"}`);
}
for (const [url, s] of seen) console.log(`  ${url.replace(base, "")}: ${s.encoding}, Cache-Control: ${s.cache || "(none)"}`);
console.log(missed ? `${missed} page(s) over their target` : "every page within its target");
