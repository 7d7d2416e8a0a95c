import { test, expect } from "@playwright/test";
import { outboxText, readMail, signIn, watchErrors } from "./support";

test("a lab signs up, confirms its address, signs in, sees its profile and signs out", async ({ page, browser }) => {
  // Refusals below answer 400 by design; the browser logs them.
  const errors = watchErrors(page, ["/api/sign_up", "/api/sign_in", "/api/verify_email"]);
  const email = `e2e.${Date.now()}@small-lab.example`;
  const password = "Kiln-violet-42";

  await page.goto("/sign-up");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("注册");
  await page.getByLabel("姓名").fill("端到端测试");
  await page.getByLabel("邮箱").fill(email);
  await page.getByLabel("电话").fill("0791-88886666");
  // A weak password is refused beside the field, in Chinese, and nothing is created.
  await page.getByLabel("密码").fill("short");
  await page.getByLabel("单位名称").fill("端到端检测实验室");
  await page.getByLabel("中小微企业").check();
  await page.getByRole("button", { name: "注册" }).click();
  await expect(page.getByText("密码至少需要 12 个字符。")).toBeVisible();
  await page.getByLabel("密码").fill(password);
  await page.getByRole("button", { name: "注册" }).click();
  await expect(page.getByRole("heading", { name: "请查收邮件" })).toBeVisible();

  // The verification mail, read where the dev mailbox shows it.
  const body = await readMail(browser, email);
  const link = body.match(/\/verify-email\?token=[0-9a-f]{64}/)?.[0];
  expect(link, body).toBeTruthy();
  // The site admin's outbox shows the mail without its live link.
  const shown = await outboxText(browser, email);
  expect(shown).toContain("/verify-email?token=[hidden]");
  expect(shown).not.toContain(link!.split("token=")[1]);

  // Signing in before confirming says so, and mails a fresh link that replaces the first.
  await signIn(page, email, password);
  await expect(page.getByText("该邮箱尚未确认")).toBeVisible();
  const fresh = (await readMail(browser, email, body)).match(/\/verify-email\?token=[0-9a-f]{64}/)?.[0];
  expect(fresh).toBeTruthy();
  expect(fresh).not.toEqual(link);
  await page.goto(link!);
  await page.getByRole("button", { name: "确认我的邮箱" }).click();
  await expect(page.getByText("该链接已失效（已使用、已过期或不完整），请重新申请。")).toBeVisible();

  await page.goto(fresh!);
  await page.getByRole("button", { name: "确认我的邮箱" }).click();
  await expect(page.getByText("邮箱已确认，现在可以登录了。")).toBeVisible();

  await signIn(page, email, password);
  await expect(page.getByTestId("who")).toContainText("端到端测试");
  await expect(page.getByTestId("who")).toContainText("端到端检测实验室");
  // A booker has no administration entries.
  await expect(page.getByRole("link", { name: "系统管理" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "机构管理" })).toHaveCount(0);

  await page.getByTestId("who").click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("个人资料");
  await expect(page.getByTestId("profile-email")).toHaveText(email);
  await expect(page.getByTestId("profile-organisation")).toHaveText("端到端检测实验室");
  // The SME status it claimed waits for a zone manager.
  await expect(page.getByTestId("claim-notice")).toContainText("园区管理员尚未审核");

  // Switching the profile's language to English takes effect at once.
  await page.getByLabel("页面和邮件语言").selectOption("en");
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My profile");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");

  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("sign-in-link")).toBeVisible();
  expect(errors).toEqual([]);
  // Signed out, the profile asks to sign in (HTTP 401), with a way to do it.
  const response = await page.goto("/profile");
  expect(response?.status()).toBe(401);
  await expect(page.getByText("Please sign in first.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" }).last()).toHaveAttribute("href", "/sign-in?next=/profile");

  // A zone manager checks the SME claim and approves it; the decision is listed.
  const context = await browser.newContext({ locale: "zh-CN" });
  const manager = await context.newPage();
  const managerErrors = watchErrors(manager);
  await signIn(manager, "manager@jx-zone.example");
  await expect(manager.getByTestId("who")).toBeVisible();
  await manager.getByRole("link", { name: "注册审核" }).click();
  await expect(manager.getByRole("heading", { level: 1 })).toHaveText("注册审核");
  const row = manager.getByTestId("open-claims").locator("tr", { hasText: email });
  await expect(row).toContainText("中小企业");
  await expect(row.getByLabel("确认中小企业")).toBeChecked();
  await row.getByRole("button", { name: "批准" }).click();
  await expect(manager.getByText("审核结果已记录")).toBeVisible();
  await expect(manager.getByTestId("decided-claims")).toContainText(email);
  await expect(manager.locator("tr", { hasText: email })).toHaveCount(1);
  expect(managerErrors).toEqual([]);
  await context.close();
});

test("a booker cannot open an administration page; a wrong password is refused beside the field", async ({ page }) => {
  const errors = watchErrors(page, ["/admin/people", "/api/sign_in"]);
  await signIn(page, "liu.fang@nk-furniture.example", "not-the-password");
  await expect(page.getByText("邮箱或密码不正确。")).toBeVisible();

  await signIn(page, "liu.fang@nk-furniture.example");
  await expect(page.getByTestId("who")).toContainText("刘芳");
  const response = await page.goto("/admin/people");
  expect(response?.status()).toBe(403);
  await expect(page.getByText("您没有权限执行此操作")).toBeVisible();
  await expect(page.getByTestId("people")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("a site admin sees the administration and an institution admin their institution", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, "siteadmin@jx-zone.example");
  await page.getByRole("link", { name: "系统管理" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("人员与角色");
  await expect(page.getByTestId("people")).toContainText("manager@jx-zone.example");
  await page.getByRole("link", { name: "邮件发件箱" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("邮件发件箱");
  expect(errors).toEqual([]);
});

test("a lab makes an API token on its profile, its system uses it, and revoking it stops it", async ({ page, request }) => {
  const errors = watchErrors(page, ["/api/v1/me"]);
  await signIn(page, "chen.qiang@li-source.example");
  await expect(page.getByTestId("who")).toBeVisible();
  await page.goto("/profile");
  await page.getByLabel("令牌名称（使用它的系统）").fill("实验室 LIMS");
  await page.getByLabel("权限").selectOption("book");
  await page.getByRole("button", { name: "创建令牌" }).click();
  // Shown once, in full.
  const shown = page.getByTestId("new-token");
  await expect(shown).toContainText("只显示这一次");
  const token = (await shown.locator("code").textContent())!.trim();
  expect(token).toMatch(/^lsk_[0-9a-f]{64}$/);

  // The lab's system calls the API with it.
  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ email: "chen.qiang@li-source.example", scope: "book" });

  // Listed on the profile with its scope and first use; revoked from there.
  await page.goto("/profile");
  const listed = page.getByTestId("api-token").filter({ hasText: "实验室 LIMS" });
  await expect(listed).toContainText("读取和预约");
  await expect(listed).toContainText("最近使用");
  await listed.getByRole("button", { name: "撤销" }).click();
  await expect(page.getByText("令牌已撤销，立即失效。")).toBeVisible();
  await expect(page.getByTestId("api-token").filter({ hasText: "实验室 LIMS" })).toHaveCount(0);
  const refused = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["content-type"]).toBe("application/problem+json");
  expect(errors).toEqual([]);
});
