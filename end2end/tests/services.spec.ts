import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import { signIn, watchErrors } from "./support";

// A one-page PDF, as an institution's report would be.
function reportPdf(): Buffer {
  const body = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  body.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${body.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${body.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

test("an SME's need is matched, ordered, tested and reported, and the zone report counts it", async ({ page, browser }) => {
  const errors = watchErrors(page);
  const title = `儿童书桌甲醛释放量检测 ${Date.now() % 100000}`;

  // 1. The SME posts a need on the board.
  await signIn(page, "liu.fang@nk-furniture.example");
  await expect(page.getByTestId("who")).toContainText("刘芳");
  await page.getByRole("link", { name: "需求对接" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("需求对接");
  await page.getByLabel("检测什么").fill(title);
  await page.getByLabel("产品", { exact: true }).fill("实木儿童书桌");
  await page.getByLabel("依据标准（如已知）").fill("gb18580");
  const deadline = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("截止日期").fill(deadline);
  await page.getByRole("button", { name: "发布需求" }).click();
  await expect(page.getByTestId("need-posted")).toBeVisible();
  const mine = page.getByTestId("my-needs").locator("li.need-card", { hasText: title });
  await expect(mine).toContainText("征集报价中");

  // 2. The furniture centre's admin (accredited for GB 18580) sees it as matching and offers.
  const adminContext = await browser.newContext({ locale: "zh-CN" });
  const admin = await adminContext.newPage();
  const adminErrors = watchErrors(admin);
  await signIn(admin, "admin@furniture-nankang.example");
  await expect(admin.getByTestId("who")).toBeVisible();
  await admin.goto("/needs");
  const need = admin.getByTestId("open-needs").locator("li.need-card", { hasText: title });
  await expect(need.getByTestId("matches")).toHaveText("与本机构资质匹配");
  await need.getByLabel("报价总额（元）").fill("1200");
  await need.getByLabel("检测周期（工作日）").fill("8");
  await need.getByLabel("说明").fill("可上门取样");
  await need.getByRole("button", { name: "提交报价" }).click();
  await expect(admin.getByTestId("offer-made")).toBeVisible();

  // 3. The SME accepts the offer: it becomes an accepted order.
  await page.goto("/needs");
  const offer = page.getByTestId("my-needs").locator("li.need-card", { hasText: title }).getByTestId("offers").locator("li");
  await expect(offer).toContainText("¥1,200.00");
  await offer.getByRole("button", { name: "接受此报价" }).click();
  await expect(page).toHaveURL(/\/orders\/\d+\?placed=1$/);
  await expect(page.getByTestId("order-status")).toHaveText("已受理");
  const order = page.url().match(/\/orders\/(\d+)/)![1];

  // 4. The institution holds time on the service's chamber for the order (nobody can book it),
  //    receives the samples, tests, and issues the report (a PDF), which gives the time back.
  await admin.goto(`/orders/${order}`);
  const day = new Date(Date.now() + 140 * 86_400_000).toISOString().slice(0, 10);
  await admin.getByLabel("开始").fill(`${day}T09:00`);
  await admin.getByLabel("结束").fill(`${day}T17:00`);
  await admin.getByRole("button", { name: "预留仪器机时" }).click();
  await expect(admin.getByTestId("held-list")).toContainText("1 m³ 甲醛释放量气候箱");
  await page.goto(`/orders/${order}`);
  await expect(page.getByTestId("held-list")).toContainText("1 m³ 甲醛释放量气候箱");
  await admin.getByRole("button", { name: "确认收样" }).click();
  await expect(admin.getByTestId("order-status")).toHaveText("已收样");
  await admin.getByRole("button", { name: "开始检测" }).click();
  await expect(admin.getByTestId("order-status")).toHaveText("检测中");
  await admin.getByLabel("报告文件（PDF）").setInputFiles({ name: "检测报告.pdf", mimeType: "application/pdf", buffer: reportPdf() });
  await admin.getByRole("button", { name: "出具报告" }).click();
  await expect(admin.getByTestId("order-status")).toHaveText("报告已出具");
  await expect(admin.getByTestId("order-history")).toContainText("检测中 → 报告已出具");
  await expect(admin.getByTestId("held-time")).toHaveCount(0);

  // 5. The SME downloads it.
  await page.goto(`/orders/${order}`);
  await expect(page.getByTestId("order-status")).toHaveText("报告已出具");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("report-link").click()]);
  expect(download.suggestedFilename()).toBe("检测报告.pdf");
  const saved = await download.path();
  expect(fs.readFileSync(saved!).subarray(0, 5).toString()).toBe("%PDF-");

  // 6. The zone report counts the issued report and the matched need.
  const managerContext = await browser.newContext({ locale: "zh-CN" });
  const manager = await managerContext.newPage();
  const managerErrors = watchErrors(manager);
  await signIn(manager, "manager@jx-zone.example");
  await expect(manager.getByTestId("who")).toBeVisible();
  await manager.goto("/reports");
  const services = manager.getByTestId("report-services");
  await expect(services.locator("tr", { hasText: "报告已出具" })).toBeVisible();
  await expect(services.locator("tr", { hasText: "对接成功的需求数" }).locator("td")).toHaveText(/^[1-9]\d*$/);

  expect(errors).toEqual([]);
  expect(adminErrors).toEqual([]);
  expect(managerErrors).toEqual([]);
  await adminContext.close();
  await managerContext.close();
});

test("an institution changes a service: the form opens as it stands, instruments ticked", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, "admin@furniture-nankang.example");
  await expect(page.getByTestId("who")).toBeVisible();
  await page.goto("/institution/services");
  const row = page.getByTestId("own-services").locator("tr", { hasText: "人造板及家具甲醛释放量检测" });
  const change = async (days: string) => {
    await row.getByRole("link", { name: "修改" }).click();
    await expect(page.getByRole("heading", { name: "修改服务" })).toBeVisible();
    const chamber = page.getByTestId("service-resources").getByLabel("1 m³ 甲醛释放量气候箱");
    await expect(chamber).toBeChecked();
    await page.getByLabel("检测周期（工作日）").fill(days);
    await page.getByRole("button", { name: "保存修改" }).click();
    await expect(row).toContainText(`${days} 个工作日`);
  };
  await change("12");
  // The chamber stays ticked through the save; and back to the demo's ten days.
  await change("10");
  expect(errors).toEqual([]);
});
