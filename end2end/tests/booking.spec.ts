import { test, expect, type Page } from "@playwright/test";
import { signIn, watchErrors } from "./support";

// Signed in as Liu Fang of a furniture maker: the resource `name` found in the catalogue, its
// week `days` from today.
async function openWeek(page: Page, name: string, days: number) {
  await signIn(page, "liu.fang@nk-furniture.example");
  await expect(page.getByTestId("who")).toContainText("刘芳");
  await page.goto(`/?q=${name}`);
  await page.getByRole("link", { name }).first().click();
  await expect(page).toHaveURL(/\/resources\/\d+$/);
  const week = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  await page.goto(`${page.url()}?week=${week}`);
}

test("a lab books a free slot from the week view, sees it confirmed, and cancels it", async ({ page }) => {
  const errors = watchErrors(page);
  // The ICP-OES of the provincial institute, two weeks ahead.
  await openWeek(page, "电感耦合等离子体发射光谱仪", 14);
  await page.getByTestId("free-list").getByRole("link", { name: "预约" }).first().click();
  await expect(page).toHaveURL(/\/book\?starts=/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("预约");

  // The quote: the rules' verdict and the price at this customer's rate, before confirming.
  await expect(page.getByTestId("verdict")).toHaveText("该时段可以预约。");
  // The browser runs the same rules at once: too short a booking is flagged as it is typed.
  const starts = await page.getByLabel("开始时间").inputValue();
  const ends = await page.getByLabel("结束时间").inputValue();
  const tooSoon = starts.slice(0, 14) + (starts.slice(14) === "00" ? "30" : "59");
  // Typed at once, whether or not the form's code has woken: it reads the inputs when it does.
  await page.getByLabel("结束时间").fill(tooSoon);
  await expect(page.getByTestId("instant")).toContainText("每次预约至少");
  await page.getByLabel("结束时间").fill(ends);
  await expect(page.getByTestId("instant")).toHaveCount(0);
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

test("a request for an instrument that needs approval waits, and the institution's admin approves it", async ({ page, browser }) => {
  const errors = watchErrors(page);
  await openWeek(page, "电感耦合等离子体质谱仪", 21);
  // Straight from the week grid: a free cell is a link that books from there.
  await page.getByTestId("week-grid").locator("a.cell__book").first().click();
  await expect(page.getByTestId("verdict")).toHaveText("该时段可以预约。");
  await expect(page.getByTestId("quote")).toContainText("需机构审核");
  await page.getByLabel("检测用途").fill("锂电池材料痕量元素分析");
  await page.getByLabel("电话").fill("13970001000");
  await page.getByRole("button", { name: "确认预约" }).click();
  await expect(page.getByTestId("booked")).toContainText("等待审核");
  const id = page.url().match(/\/bookings\/(\d+)/)![1];

  const admin = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  const adminErrors = watchErrors(admin);
  await signIn(admin, "admin@jxiic.example");
  await admin.getByRole("link", { name: "机构管理" }).click();
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("申请与预约");
  const request = admin.locator(`li[data-booking="${id}"]`);
  await expect(request).toContainText("刘芳");
  await request.getByRole("button", { name: "通过" }).click();
  await expect(admin.locator(`li[data-booking="${id}"]`)).toHaveCount(0);
  await expect(admin.getByTestId("upcoming")).toContainText(`#${id}`);

  await page.reload();
  await expect(page.getByTestId("history")).toContainText("待审核 → 已确认");
  expect(errors).toEqual([]);
  expect(adminErrors).toEqual([]);
});

test("the interactive parts speak the page's language: the booking form's checks and the sign-up choice in English", async ({ page }) => {
  const errors = watchErrors(page);
  await openWeek(page, "电感耦合等离子体发射光谱仪", 14);
  // The switch is a plain link and a full page load; the islands take the language from <html lang>.
  await page.getByRole("link", { name: /English/ }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await page.getByTestId("free-list").getByRole("link").first().click();
  await expect(page).toHaveURL(/\/book\?starts=/);
  await expect(page.getByTestId("verdict")).toHaveText("This time can be booked.");
  const starts = await page.locator("#field-starts").inputValue();
  await page.locator("#field-ends").fill(starts.slice(0, 14) + (starts.slice(14) === "00" ? "30" : "59"));
  await expect(page.getByTestId("instant")).toContainText("A booking lasts at least");

  // Signed out, the sign-up form's organisation choice hides the new organisation's fields.
  await page.context().clearCookies();
  await page.goto("/lang/en?back=/sign-up");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign up");
  await expect(page.getByLabel("Organisation name")).toBeVisible();
  await page.getByLabel("Your organisation").selectOption({ index: 1 });
  await expect(page.getByLabel("Organisation name")).toBeHidden();
  await expect(page.getByLabel("Your organisation").locator("option").first()).toHaveText("Not listed: register a new organisation");
  expect(errors).toEqual([]);
});

test("a booking made with the keyboard alone: Tab into the week, arrows, Enter, Shift+Down, Enter, fill in, Enter", async ({ page }) => {
  const errors = watchErrors(page);
  await openWeek(page, "电感耦合等离子体发射光谱仪", 28);
  // Tab until the grid has the focus (the skip link, the menu and the page come first): the grid is
  // one Tab stop, its first bookable cell.
  const tabTo = async (selector: string, limit: number) => {
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    }
    throw new Error(`${selector} never took the focus`);
  };
  await tabTo("[data-week-grid] td", 60);
  const status = page.getByTestId("week-grid-status");
  await expect(status).toContainText("方向键在一周内移动");
  // The cell's own link books the shortest time from there: the start, the step and that length.
  const link = await page.evaluate(() => document.activeElement!.querySelector("a")!.getAttribute("href")!);
  const [, starts, ends] = link.match(/starts=([^&]+)&ends=(.+)$/)!;
  const step = Number(await page.getByTestId("week-grid").getAttribute("data-step"));
  const minutes = (Date.parse(`${ends}:00Z`) - Date.parse(`${starts}:00Z`)) / 60_000;

  // Right then left comes back to the same cell; Enter picks it as the start.
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("Enter");
  await expect(status).toContainText(`开始时间`);
  await expect(status).toContainText(starts.slice(11));
  // Shift+Down as many times as the shortest booking has steps: one step longer than it.
  const steps = minutes / step;
  for (let i = 0; i < steps; i++) await page.keyboard.press("Shift+ArrowDown");
  const until = new Date(Date.parse(`${starts}:00Z`) + (steps + 1) * step * 60_000).toISOString().slice(0, 16);
  await expect(status).toContainText(`已选择`);
  await expect(status).toContainText(`至 ${until.slice(11)}`);
  await expect(page.locator("[data-week-grid] td[aria-selected=true]")).toHaveCount(steps + 1);
  // Escape clears (the focus stays on the choice's end); back up to the start, where Shift+Down
  // alone starts a choice again, and Enter inside the choice books it.
  await page.keyboard.press("Escape");
  await expect(status).toHaveText("已取消选择。");
  await expect(page.locator("[data-week-grid] td[aria-selected=true]")).toHaveCount(0);
  for (let i = 0; i < steps; i++) await page.keyboard.press("ArrowUp");
  for (let i = 0; i < steps; i++) await page.keyboard.press("Shift+ArrowDown");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/book\\?starts=${starts}&ends=${until}$`));
  await expect(page.getByTestId("verdict")).toHaveText("该时段可以预约。");
  await tabTo("#field-purpose", 40);
  await page.keyboard.type("键盘预约：稀土元素含量测定");
  await tabTo("#field-contact_phone", 10);
  await page.keyboard.type("13970001000");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/bookings\/\d+\?new=1$/);
  await expect(page.getByTestId("booked")).toBeVisible();
  expect(errors).toEqual([]);
});

test("a mouse drag down a day's free cells opens the booking form with that stretch", async ({ page }) => {
  const errors = watchErrors(page);
  await openWeek(page, "电感耦合等离子体发射光谱仪", 35);
  const grid = page.getByTestId("week-grid");
  const first = grid.locator("td:has(a.cell__book)").first();
  const [row, col] = [Number(await first.getAttribute("data-row")), Number(await first.getAttribute("data-col"))];
  const step = Number(await grid.getAttribute("data-step"));
  const cell = (r: number) => grid.locator(`td[data-row="${r}"][data-col="${col}"]`);
  const link = (await first.locator("a").getAttribute("href"))!;
  const starts = link.match(/starts=([^&]+)&/)![1];
  // Three more free cells below the first (the demo's opening hours are longer than two hours).
  for (let r = row; r <= row + 3; r++) await expect(cell(r)).toHaveClass(/cell--free/);
  await first.hover();
  await page.mouse.down();
  await cell(row + 3).hover();
  await expect(grid.locator("td[aria-selected=true]")).toHaveCount(4);
  await page.mouse.up();
  const until = new Date(Date.parse(`${starts}:00Z`) + 4 * step * 60_000).toISOString().slice(0, 16);
  await expect(page).toHaveURL(new RegExp(`/book\\?starts=${starts}&ends=${until}$`));
  await expect(page.locator("#field-ends")).toHaveValue(until);
  expect(errors).toEqual([]);
});
