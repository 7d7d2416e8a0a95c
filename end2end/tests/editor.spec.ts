import { test, expect } from "@playwright/test";
import { signIn, watchErrors } from "./support";

// A standard no demo resource is accredited for, so the search can only find the new chamber.
const STANDARD = "GB/T 10587-2006";
const NAME = "盐雾腐蚀试验室（端到端）";
// A 1×1 PNG.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

test("an institution admin adds a chamber with accreditation and rules; a booker finds it by standard and by free time", async ({ page, browser }) => {
  // The one refusal below is on purpose.
  const errors = watchErrors(page, ["/api/save_resource"]);
  await signIn(page, "admin@jxiic.example");
  await expect(page.getByTestId("who")).toBeVisible();

  await page.goto("/institution/resources");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("本机构设备");
  await page.getByTestId("add-resource").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("新增设备");

  await page.getByLabel("类型", { exact: true }).selectOption("facility");
  await page.getByLabel("类别", { exact: true }).selectOption({ label: "环境试验" });
  await page.getByLabel("中文名称").fill(NAME);
  await page.getByLabel("英文名称").fill("Salt spray room (e2e)");
  await page.getByLabel("型号").fill("SST-2000");
  await page.getByLabel("原值（元，用于共享统计）").fill("860000");
  await page.getByLabel("技术参数").fill("容积 / Volume: 2 m³\n温度 / Temperature: 35 ℃");
  // A mistake first: the server names the field and keeps everything else as typed.
  await page.getByLabel("周一").fill("20:00-08:00");
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("#field-hours_1-error")).toContainText("08:30-12:00");
  await expect(page.getByLabel("中文名称")).toHaveValue(NAME);

  // Rules: two-hour steps, at least two hours, conditioning buffer; open every day.
  await page.getByLabel("时间步长（分钟）").fill("60");
  await page.getByLabel("最短预约时长（分钟）").fill("120");
  await page.getByLabel("最长预约时长（分钟）").fill("480");
  await page.getByLabel("前置缓冲（分钟）").fill("60");
  for (const day of ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]) {
    await page.getByLabel(day, { exact: true }).fill("08:00-20:00");
  }
  await page.getByLabel("中小微企业 · 每小时").fill("80");
  await page.getByLabel("区外单位 · 每小时").fill("160");
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page).toHaveURL(/\/resources\/\d+\/edit\?saved=1$/);
  await expect(page.getByText("已保存。")).toBeVisible();
  const id = page.url().match(/resources\/(\d+)\/edit/)![1];

  // Accreditation for the standard.
  const accreditations = page.getByTestId("accreditations");
  await accreditations.getByLabel("认定机构").selectOption("CNAS");
  await accreditations.getByLabel("证书编号").fill("CNAS L9876");
  await accreditations.getByLabel("覆盖标准").fill(STANDARD);
  await accreditations.getByLabel("有效期自").fill("2025-06-01");
  await accreditations.getByLabel("有效期至").fill("2028-05-31");
  await accreditations.getByRole("button", { name: "添加资质" }).click();
  await expect(accreditations.locator("ul.entries")).toContainText(STANDARD);

  // A photo (a plain multipart form: back to the editor with the outcome).
  const photos = page.getByTestId("photos");
  await photos.getByLabel("照片", { exact: true }).setInputFiles({ name: "chamber.png", mimeType: "image/png", buffer: Buffer.from(PNG, "base64") });
  await photos.getByRole("button", { name: "上传照片" }).click();
  await expect(page).toHaveURL(/photo=added/);
  await expect(page.getByTestId("photos").locator("img")).toHaveCount(1);
  await page.screenshot({ path: "test-results/editor.png", fullPage: true });
  expect(errors).toEqual([]);

  // A booker, in a browser of their own, finds it by the standard (spaces and case as they come)…
  const context = await browser.newContext({ locale: "zh-CN" });
  const booker = await context.newPage();
  const bookerErrors = watchErrors(booker);
  await signIn(booker, "liu.fang@nk-furniture.example");
  await expect(booker.getByTestId("who")).toBeVisible();
  await booker.goto("/");
  await booker.locator("summary", { hasText: "更多筛选" }).click();
  await booker.getByLabel("认可标准").fill("gb/t10587");
  await booker.getByRole("button", { name: "筛选" }).click();
  await expect(booker.getByTestId("result-count")).toHaveText("共 1 项");
  await expect(booker.getByTestId("catalogue")).toContainText(NAME);

  // …and by free time: two hours free in the coming week, accredited for the standard.
  await booker.goto("/free");
  await booker.getByLabel("至少空闲").selectOption("2");
  await booker.getByLabel("认可标准").fill(STANDARD);
  await booker.getByRole("button", { name: "查找" }).click();
  const result = booker.getByTestId("free-results").locator('li.card[data-bookable="true"]');
  await expect(result).toHaveCount(1);
  await expect(result).toContainText(NAME);
  await result.getByRole("link", { name: "查看并预约" }).click();
  await expect(booker).toHaveURL(new RegExp(`/resources/${id}\\?week=`));
  await expect(booker.getByTestId("accreditations")).toContainText(STANDARD);
  await expect(booker.getByTestId("rates")).toContainText("¥80.00");
  await expect(booker.getByTestId("gallery").locator("img")).toHaveCount(1);
  expect(bookerErrors).toEqual([]);
  await context.close();
});

test("an institution admin brings two instruments in from a spreadsheet, fixing a column on the way", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, "admin@jxiic.example");
  await expect(page.getByTestId("who")).toBeVisible();
  await page.goto("/institution/resources");

  // The template downloads with the headings and an example row.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "CSV" }).first().click(),
  ]);
  const template = (await (await import("node:fs/promises")).readFile((await download.path())!, "utf8"));
  expect(template).toContain("设备名称");
  expect(template).toContain("出厂编号");

  // Two rows filled in under the template's headings (its example row replaced); the admin puts
  // each category in the 类型 (kind) column by mistake.
  const headings = template.replace(/^\uFEFF/, "").split(/\r?\n/)[0].split(",");
  const stamp = Date.now() % 100000;
  const row = (cells: Record<string, string>) =>
    headings.map((h) => (cells[h] ?? "").includes(",") ? `"${cells[h]}"` : (cells[h] ?? "")).join(",");
  const ledger = [
    headings.join(","),
    row({ 设备名称: `冷热冲击试验箱（导入${stamp}）`, 型号: "TSE-12", 生产厂家: "ESPEC", 出厂编号: `E2E-${stamp}-1`, 购置年份: "2022", "原值（元）": "286000", 存放地点: "A 楼", 房间: "110", 类型: "环境试验" }),
    row({ 设备名称: `傅里叶红外光谱仪（导入${stamp}）`, 型号: "Nicolet iS20", 生产厂家: "Thermo", 出厂编号: `E2E-${stamp}-2`, 购置年份: "2023", "原值（元）": "412,000", 存放地点: "B 楼", 房间: "210", 类型: "光谱分析" }),
  ].join("\r\n");
  await page.getByLabel("台账文件").setInputFiles({ name: "台账.csv", mimeType: "text/csv", buffer: Buffer.from(ledger) });
  await page.getByRole("button", { name: "上传并预览" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("台账导入预览");
  // The kind column cannot hold categories: both rows are flagged, and nothing can be imported.
  await expect(page.getByTestId("ledger-counts")).toContainText("2 行有问题");
  await expect(page.getByTestId("ledger-rows").locator("td.cell--problem")).toHaveCount(2);
  // The admin says the column is the category, and the preview is clean.
  await page.getByLabel("类型", { exact: true }).selectOption("category");
  await page.getByLabel("分类", { exact: true }).selectOption("-");
  await page.getByRole("button", { name: "更新预览" }).click();
  await expect(page.getByTestId("ledger-counts")).toContainText("将新增 2 台");
  await expect(page.getByTestId("ledger-rows").locator("td.cell--problem")).toHaveCount(0);
  await page.getByRole("button", { name: "导入 2 行" }).click();
  await expect(page.getByTestId("imported")).toContainText("新增 2 台");

  // In the catalogue for everyone.
  await page.goto(`/?q=${encodeURIComponent(`导入${stamp}`)}`);
  await expect(page.getByRole("link", { name: `傅里叶红外光谱仪（导入${stamp}）` })).toBeVisible();
  await expect(page.getByRole("link", { name: `冷热冲击试验箱（导入${stamp}）` })).toBeVisible();

  // Their accreditation scope, a file of its own; a row for an instrument the institution does
  // not have is flagged, and the admin leaves it out.
  const scope = [
    "出厂编号,设备名称,资质类型,证书编号,检测标准,有效期起,有效期至",
    `E2E-${stamp}-1,,CMA,2414E2E${stamp},GB/T 2423.22-2012,2025-01-01,2031-12-31`,
    `NOPE-${stamp},,CMA,2414E2E${stamp},GB/T 1-2000,2025-01-01,2031-12-31`,
  ].join("\r\n");
  await page.goto("/institution/resources");
  await page.getByLabel("台账文件").setInputFiles({ name: "资质范围.csv", mimeType: "text/csv", buffer: Buffer.from(scope) });
  await page.getByRole("button", { name: "上传并预览" }).click();
  await expect(page.getByTestId("scope-counts")).toContainText("1 行有问题");
  await expect(page.getByTestId("scope-rows").locator("td.cell--problem")).toContainText("平台和本次导入的台账中都没有这台设备");
  await page.getByLabel("第 3 行不导入").check();
  await page.getByRole("button", { name: "更新预览" }).click();
  await expect(page.getByTestId("scope-counts")).toContainText("跳过 1 行");
  await expect(page.getByTestId("scope-rows").locator('tr[data-action="create"]')).toHaveCount(1);
  await page.getByRole("button", { name: "导入 1 行" }).click();
  await expect(page.getByTestId("imported")).toContainText("资质证书条目新增或更新 1 条");
  await page.goto(`/?q=${encodeURIComponent(`导入${stamp}`)}`);
  await page.getByRole("link", { name: `冷热冲击试验箱（导入${stamp}）` }).click();
  await expect(page.getByTestId("accreditations")).toContainText("GB/T 2423.22-2012");
  expect(errors).toEqual([]);
});
