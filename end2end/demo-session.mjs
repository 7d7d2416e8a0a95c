// Signs a demo account in through the server function, as a browser's script would, and returns
// the session cookie ("labshare_session=…") for the benchmarks' requests.
export const DEMO_PASSWORD = "Demo-2026-labshare";

export async function session(base, email) {
  const res = await fetch(`${base}/api/sign_in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ email, password: DEMO_PASSWORD, next: "/" }),
  });
  const cookie = (res.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).find((c) => c.startsWith("labshare_session="));
  if (!cookie) throw new Error(`sign-in of ${email} failed: ${res.status}`);
  return cookie;
}
