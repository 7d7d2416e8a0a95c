import { test, expect } from "@playwright/test";
import { watchErrors } from "./support";

test("a visitor browses the catalogue, filters, opens a resource and switches to English", async ({ page }) => {
  const errors = watchErrors(page);
  // The catalogue has nothing interactive: it loads no script at all.
  const scripts: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/pkg/") && !r.url().endsWith(".css")) scripts.push(r.url());
  });

  await page.goto("/");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("仪器设施目录");
  await expect(page.locator("header")).toContainText("江西检验检测认证高技术服务业集聚区");
  // Pages of 24: the count is of everything, the cards of this page.
  const all = Number((await page.getByTestId("result-count").innerText()).match(/\d+/)![0]);
  expect(all).toBeGreaterThanOrEqual(40);
  await expect(page.getByTestId("catalogue").locator("li.card")).toHaveCount(24);
  await expect(page.getByRole("link", { name: "下一页" })).toBeVisible();

  // Filter by kind: only facilities remain, and the URL says so.
  await page.getByLabel("类型").selectOption("facility");
  await page.getByRole("button", { name: "筛选" }).click();
  await expect(page).toHaveURL(/kind=facility/);
  const cards = page.getByTestId("catalogue").locator("li.card");
  const facilities = await cards.count();
  expect(facilities).toBeGreaterThan(5);
  expect(facilities).toBeLessThan(all);
  await expect(page.getByTestId("catalogue").locator('li.card[data-kind="instrument"]')).toHaveCount(0);
  await expect(page.getByLabel("类型")).toHaveValue("facility");

  // Narrow by category too.
  await page.getByLabel("类别").selectOption({ label: "电磁兼容" });
  await page.getByRole("button", { name: "筛选" }).click();
  await expect(page).toHaveURL(/category=\d+/);
  await expect(cards).toHaveCount(3);

  // Open the 10 m chamber: rules, rates, accreditation and the week are all there.
  await page.getByRole("link", { name: "10 米法半电波暗室" }).click();
  await expect(page).toHaveURL(/\/resources\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("10 米法半电波暗室");
  await expect(page.getByTestId("rules")).toContainText("需机构审核");
  await expect(page.getByTestId("rates")).toContainText("¥2,600.00");
  await expect(page.getByTestId("accreditations")).toContainText("GB/T 17626.3");
  await expect(page.getByTestId("week-grid")).toBeVisible();
  await expect(page.getByTestId("week-grid").locator("thead th")).toHaveCount(8);

  // Next week, then switch the language: the page comes back in English at the same place.
  await page.getByRole("link", { name: /下一周/ }).click();
  await expect(page).toHaveURL(/week=\d{4}-\d{2}-\d{2}/);
  await page.getByRole("link", { name: /English/ }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("10 m semi-anechoic EMC chamber");
  await expect(page).toHaveURL(/week=\d{4}-\d{2}-\d{2}/);
  await expect(page.getByTestId("rules")).toContainText("Approved by the institution");
  await expect(page.getByTestId("rates")).toContainText("SME");
  await page.screenshot({ path: "test-results/resource-en.png", fullPage: true });

  // The choice persists: the catalogue is now English too.
  await page.getByRole("link", { name: /Back to the catalogue/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Equipment catalogue");
  await expect(page.getByTestId("result-count")).toHaveText(`${all} results`);

  // And back to Chinese.
  await page.getByRole("link", { name: /中文/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("仪器设施目录");
  await page.screenshot({ path: "test-results/catalogue-zh.png", fullPage: false });

  expect(scripts).toEqual([]);
  expect(errors).toEqual([]);
});

test("a small lab finds a chamber free for four hours next week, across institutions", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await page.getByRole("link", { name: "空闲查找" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("空闲查找");
  await page.getByLabel("至少空闲").selectOption("4");
  await page.getByLabel("类型").selectOption("facility");
  await page.getByRole("button", { name: "查找" }).click();
  await expect(page).toHaveURL(/hours=4/);
  const results = page.getByTestId("free-results").locator("li.card");
  const bookable = page.getByTestId("free-results").locator('li.card[data-bookable="true"]');
  expect(await bookable.count()).toBeGreaterThan(3);
  await expect(page.getByTestId("free-count")).toContainText(`共 ${await results.count()} 项`);
  // The first result offers a window of at least four hours and leads to its week.
  await expect(bookable.first().locator(".free-list li").first()).toContainText(/小时/);
  await bookable.first().getByRole("link", { name: "查看并预约" }).click();
  await expect(page).toHaveURL(/\/resources\/\d+\?week=/);
  await expect(page.getByTestId("week-grid")).toBeVisible();
  expect(errors).toEqual([]);
});

test("pages read without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/?kind=instrument");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("仪器设施目录");
  await expect(page.getByTestId("catalogue").locator('li.card[data-kind="facility"]')).toHaveCount(0);
  await page.getByTestId("catalogue").locator("li.card a").first().click();
  await expect(page.getByTestId("week-grid")).toBeVisible();
  await context.close();
});

test("a phone-sized screen needs no sideways scrolling on the catalogue", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "test-results/catalogue-phone.png" });
  await context.close();
});
