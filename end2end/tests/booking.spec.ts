import { test, expect } from "@playwright/test";
import { signIn, watchErrors } from "./support";

test("a lab books a free slot from the week view, sees it confirmed, and cancels it", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, "liu.fang@nk-furniture.example");
  await expect(page.getByTestId("who")).toContainText("刘芳");

  // The ICP-OES of the provincial institute, two weeks ahead.
  await page.goto("/");
  await page.getByRole("link", { name: "电感耦合等离子体发射光谱仪" }).first().click();
  await expect(page).toHaveURL(/\/resources\/\d+$/);
  const week = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  await page.goto(`${page.url()}?week=${week}`);
  await page.getByTestId("free-list").getByRole("link", { name: "预约" }).first().click();
  await expect(page).toHaveURL(/\/book\?starts=/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("预约");

  // The quote: the rules' verdict and the price at this customer's rate, before confirming.
  await expect(page.getByTestId("verdict")).toHaveText("该时段可以预约。");
  await expect(page.getByTestId("price")).toContainText("¥");
  await page.getByLabel("检测用途").fill("出口家具有害物质检测");
  await page.getByLabel("电话").fill("13970001000");
  await page.getByRole("button", { name: "确认预约" }).click();

  await expect(page).toHaveURL(/\/bookings\/\d+\?new=1$/);
  await expect(page.getByTestId("booked")).toContainText("预约成功");
  await expect(page.getByTestId("history")).toContainText("已确认");
  const id = page.url().match(/\/bookings\/(\d+)/)![1];

  // My bookings lists it as upcoming; cancelling moves it to the cancelled list.
  await page.getByRole("link", { name: "我的预约" }).first().click();
  const row = page.locator(`tr[data-booking="${id}"]`);
  await expect(row).toContainText("已确认");
  await row.getByRole("button", { name: "取消预约" }).click();
  await expect(page.locator(`tr[data-booking="${id}"]`)).toContainText("已取消");
  await expect(page.locator(`tr[data-booking="${id}"]`).getByRole("button", { name: "取消预约" })).toHaveCount(0);
  expect(errors).toEqual([]);
});
