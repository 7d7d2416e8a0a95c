import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { signIn, watchErrors } from "./support";

// Reads the value beside `label` on the first sheet of an XLSX file (a zip of XML), with
// Python's standard library: the test checks the file a zone manager would open, not the page.
function summaryValue(file: string, label: string): string {
  const script = `
import sys, zipfile, xml.etree.ElementTree as ET
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
shared = []
if "xl/sharedStrings.xml" in names:
    for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(M + "si"):
        shared.append("".join(t.text or "" for t in si.iter(M + "t")))
def value(c):
    if c.get("t") == "inlineStr":
        return "".join(t.text or "" for t in c.iter(M + "t"))
    v = c.find(M + "v")
    if v is None:
        return None
    return shared[int(v.text)] if c.get("t") == "s" else v.text
for row in ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iter(M + "row"):
    cells = [value(c) for c in row.iter(M + "c")]
    if cells and cells[0] == sys.argv[2]:
        print(cells[1])
        break
`;
  return execFileSync("python3", ["-c", script, file, label]).toString().trim();
}

test("a zone manager reads the zone report, changes the period, and downloads the workbook", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, "manager@jx-zone.example");
  await expect(page.getByTestId("who")).toBeVisible();
  await page.getByRole("link", { name: "集聚区统计" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("集聚区统计报表");
  const year = new Date().getFullYear();
  await expect(page.getByTestId("report-range")).toHaveText(`${year}-01-01 至 ${year}-12-31`);

  // Charts drawn on the server, each with its figures as a table.
  await expect(page.locator("figure.chart svg[role=img]")).toHaveCount(4);
  await expect(page.getByTestId("report-institutions").locator("tbody tr")).not.toHaveCount(0);
  await expect(page.getByTestId("report-totals")).toContainText("共享率");

  // This quarter instead of the year (the demo zone's bookings lie around today).
  const quarter = Math.floor(new Date().getMonth() / 3) + 1;
  const pad = (n: number) => String(n).padStart(2, "0");
  const first = `${year}-${pad(3 * quarter - 2)}-01`;
  const lastDay = new Date(Date.UTC(year, 3 * quarter, 0)).getUTCDate();
  const last = `${year}-${pad(3 * quarter)}-${pad(lastDay)}`;
  await page.getByLabel("期间类型").selectOption("quarter");
  await page.getByLabel("年份").fill(String(year));
  await page.getByLabel("月份或季度").selectOption(String(quarter));
  await page.getByRole("button", { name: "查看" }).click();
  await expect(page.getByTestId("report-range")).toHaveText(`${first} 至 ${last}`);
  await expect(page).toHaveURL(/kind=quarter/);
  await expect(page.locator("figure.chart svg[role=img]")).toHaveCount(4);

  // The page's used hours, then the same figure in the downloaded workbook.
  const used = page.getByTestId("report-totals").locator(".stat", { hasText: "使用机时" }).locator("dd");
  const shown = Number(await used.innerText());
  expect(shown).toBeGreaterThan(0);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("download-xlsx").click(),
  ]);
  expect(download.suggestedFilename()).toBe(`report-${first.replaceAll("-", "")}-${last.replaceAll("-", "")}.xlsx`);
  const file = test.info().outputPath("report.xlsx");
  await download.saveAs(file);
  expect(Number(summaryValue(file, "使用机时"))).toBeCloseTo(shown, 1);
  expect(Number(summaryValue(file, "设备数"))).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test("an institution admin sees the institution report and no zone report", async ({ page }) => {
  const errors = watchErrors(page, ["/reports"]);
  await signIn(page, "admin@jxiic.example");
  await expect(page.getByTestId("who")).toBeVisible();
  await expect(page.getByRole("link", { name: "集聚区统计" })).toHaveCount(0);
  await page.goto("/institution/requests");
  await page.getByRole("link", { name: "机构统计报表" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("机构统计报表");
  await expect(page.locator("figure.chart svg[role=img]")).toHaveCount(3);
  const response = await page.goto("/reports");
  expect(response?.status()).toBe(403);
  expect(errors).toEqual([]);
});
