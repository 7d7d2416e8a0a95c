//! An institution's equipment ledger (设备台账) as a spreadsheet: which column holds which field
//! (guessed from Chinese or English headings, changeable), and the cells read into the editor's
//! fields. The checks themselves are the editor's (`ResourceForm::validate`).

use serde::{Deserialize, Serialize};

text_enum!(
    /// A column of the ledger, in the order of the export and the template.
    LedgerField {
        Id = "id",
        Name = "name",
        NameEn = "name_en",
        Kind = "kind",
        Category = "category",
        Model = "model",
        Manufacturer = "manufacturer",
        SerialNumber = "serial_number",
        PurchaseYear = "purchase_year",
        OriginalValue = "original_value",
        Building = "building",
        Room = "room",
        ContactName = "contact_name",
        ContactPhone = "contact_phone",
        Description = "description",
    }
);

impl LedgerField {
    /// The headings of the export and the template: Chinese, then English.
    pub fn heading(self) -> (&'static str, &'static str) {
        match self {
            LedgerField::Id => ("平台编号", "Platform ID"),
            LedgerField::Name => ("设备名称", "Name"),
            LedgerField::NameEn => ("英文名称", "English name"),
            LedgerField::Kind => ("类型", "Kind"),
            LedgerField::Category => ("分类", "Category"),
            LedgerField::Model => ("型号", "Model"),
            LedgerField::Manufacturer => ("生产厂家", "Manufacturer"),
            LedgerField::SerialNumber => ("出厂编号", "Serial number"),
            LedgerField::PurchaseYear => ("购置年份", "Purchase year"),
            LedgerField::OriginalValue => ("原值（元）", "Original value (yuan)"),
            LedgerField::Building => ("存放地点", "Building"),
            LedgerField::Room => ("房间", "Room"),
            LedgerField::ContactName => ("联系人", "Contact"),
            LedgerField::ContactPhone => ("联系电话", "Contact phone"),
            LedgerField::Description => ("功能描述", "Description"),
        }
    }

    /// Words that, found in a heading, name this field (lower case; the first match wins, in the
    /// order of [`GUESS_ORDER`]).
    fn words(self) -> &'static [&'static str] {
        match self {
            LedgerField::Id => &["平台编号", "platform id", "resource id"],
            LedgerField::NameEn => &["英文名", "english name", "name (en)", "name_en"],
            LedgerField::Name => &[
                "设备名称",
                "仪器名称",
                "仪器设备名称",
                "资产名称",
                "名称",
                "name",
                "instrument",
            ],
            LedgerField::Kind => &["类型", "kind", "type"],
            LedgerField::Category => &["分类", "类别", "学科", "category"],
            LedgerField::Model => &["型号", "规格型号", "model"],
            LedgerField::Manufacturer => &[
                "生产厂家",
                "制造商",
                "厂家",
                "厂商",
                "生产商",
                "品牌",
                "manufacturer",
                "maker",
                "brand",
            ],
            LedgerField::SerialNumber => &[
                "出厂编号",
                "序列号",
                "仪器编号",
                "设备编号",
                "资产编号",
                "serial",
            ],
            LedgerField::PurchaseYear => &[
                "购置年份",
                "购置日期",
                "购置时间",
                "购买日期",
                "入账日期",
                "purchase",
                "acquired",
            ],
            LedgerField::OriginalValue => &["原值", "价格", "金额", "value", "price", "cost"],
            LedgerField::Building => &[
                "存放地点",
                "放置地点",
                "所在地点",
                "地点",
                "楼",
                "location",
                "building",
            ],
            LedgerField::Room => &["房间", "room"],
            LedgerField::ContactName => {
                &["联系人", "负责人", "管理人", "contact person", "contact"]
            }
            LedgerField::ContactPhone => &["联系电话", "电话", "手机", "phone", "tel"],
            LedgerField::Description => &["功能", "描述", "用途", "简介", "description"],
        }
    }
}

/// The order headings are tried in: specific ones before the words they contain (英文名称
/// before 名称, 联系电话 before 联系人).
const GUESS_ORDER: &[LedgerField] = &[
    LedgerField::Id,
    LedgerField::NameEn,
    LedgerField::ContactPhone,
    LedgerField::ContactName,
    LedgerField::SerialNumber,
    LedgerField::PurchaseYear,
    LedgerField::OriginalValue,
    LedgerField::Manufacturer,
    LedgerField::Model,
    LedgerField::Category,
    LedgerField::Kind,
    LedgerField::Room,
    LedgerField::Building,
    LedgerField::Description,
    LedgerField::Name,
];

/// The field a heading names, if any.
pub fn guess(heading: &str) -> Option<LedgerField> {
    let h = heading.trim().to_lowercase();
    if h.is_empty() {
        return None;
    }
    GUESS_ORDER
        .iter()
        .copied()
        .find(|f| f.words().iter().any(|w| h.contains(w)))
}

/// Each column's field: guessed for every heading, each field taken by its first column only.
pub fn guess_all(headings: &[String]) -> Vec<Option<LedgerField>> {
    let mut taken = Vec::new();
    headings
        .iter()
        .map(|h| {
            let field = guess(h).filter(|f| !taken.contains(f));
            if let Some(f) = field {
                taken.push(f);
            }
            field
        })
        .collect()
}

/// Whether a value heading counts in 万元 (ten thousand yuan).
pub fn in_wan(heading: &str) -> bool {
    heading.contains("万元") || heading.to_lowercase().contains("10k")
}

/// A purchase year from "2019", "2019-05-01", "2019/5/1", "2019年5月" or an Excel date serial
/// (days since 1899-12-30, as a sheet stores a date cell).
pub fn purchase_year(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let digits: String = raw.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() == 4 {
        return digits.parse().ok();
    }
    // A date serial: 1900-01-01 is 1 … 2100-12-31 is 73,415.
    let serial: f64 = raw.parse().ok()?;
    if (1.0..73_416.0).contains(&serial) {
        let day = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?
            .checked_add_signed(chrono::Duration::days(serial as i64))?;
        return Some(i64::from(chrono::Datelike::year(&day)));
    }
    None
}

/// An original value in yuan as the editor takes it ("12800.00"), from a cell in yuan or 万元;
/// thousands separators and a currency sign are allowed. None when it is not a number.
pub fn yuan(raw: &str, wan: bool) -> Option<String> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Some(String::new());
    }
    let value: f64 = cleaned
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
    let yuan = if wan { value * 10_000.0 } else { value };
    Some(format!("{yuan:.2}"))
}

/// A cell that a spreadsheet would run as a formula if it were written back as it is.
pub fn looks_like_formula(cell: &str) -> bool {
    cell.trim_start().starts_with('=')
}

/// What the import will do with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowAction {
    Create,
    /// Update the resource with this id (matched by serial number, then by the id column).
    Update(i64),
    /// The row equals what the platform has: nothing to do.
    Unchanged(i64),
    /// The row has problems; it cannot be imported until they are fixed.
    Blocked,
}

/// A problem with a row: the column (if one), the field, and the translation key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub column: Option<usize>,
    pub field: String,
    pub key: String,
    /// Whether it blocks the row (else a warning, e.g. a value that may be in 万元).
    pub blocking: bool,
}

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    /// The sheet's row number (1 = the headings), as the person sees it in Excel.
    pub line: usize,
    pub cells: Vec<String>,
    pub action: RowAction,
    pub findings: Vec<Finding>,
}

/// What an upload will do, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerPreview {
    pub upload: i64,
    pub institution: i64,
    pub file_name: String,
    pub headings: Vec<String>,
    pub mapping: Vec<Option<LedgerField>>,
    pub rows: Vec<PreviewRow>,
    /// Rows of the accreditation sheet, matched to resources (if the file has one).
    pub accreditation_rows: usize,
    pub accreditation_findings: Vec<(usize, Finding)>,
    /// Resources whose settings new rows take (rules, hours, rates): the institution's own.
    pub templates: Vec<(i64, String)>,
    pub template: Option<i64>,
}

impl LedgerPreview {
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for r in &self.rows {
            match r.action {
                RowAction::Create => c.0 += 1,
                RowAction::Update(_) => c.1 += 1,
                RowAction::Unchanged(_) => c.2 += 1,
                RowAction::Blocked => c.3 += 1,
            }
        }
        c
    }
}

/// The mapping as a query value: one field name (or "-") per column, comma-separated.
pub fn mapping_text(mapping: &[Option<LedgerField>]) -> String {
    mapping
        .iter()
        .map(|f| f.map(LedgerField::as_str).unwrap_or("-"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn parse_mapping(text: &str, columns: usize) -> Option<Vec<Option<LedgerField>>> {
    let fields: Vec<Option<LedgerField>> = text
        .split(',')
        .map(|f| match f.trim() {
            "-" | "" => Some(None),
            name => LedgerField::parse(name).map(Some),
        })
        .collect::<Option<_>>()?;
    (fields.len() == columns).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_in_chinese_and_english_are_recognised() {
        let headings: Vec<String> = [
            "序号",
            "仪器名称",
            "英文名称",
            "规格型号",
            "生产厂家",
            "出厂编号",
            "购置日期",
            "原值（万元）",
            "存放地点",
            "联系人",
            "联系电话",
            "Category",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = guess_all(&headings);
        assert_eq!(m[0], None);
        assert_eq!(m[1], Some(LedgerField::Name));
        assert_eq!(m[2], Some(LedgerField::NameEn));
        assert_eq!(m[3], Some(LedgerField::Model));
        assert_eq!(m[4], Some(LedgerField::Manufacturer));
        assert_eq!(m[5], Some(LedgerField::SerialNumber));
        assert_eq!(m[6], Some(LedgerField::PurchaseYear));
        assert_eq!(m[7], Some(LedgerField::OriginalValue));
        assert_eq!(m[8], Some(LedgerField::Building));
        assert_eq!(m[9], Some(LedgerField::ContactName));
        assert_eq!(m[10], Some(LedgerField::ContactPhone));
        assert_eq!(m[11], Some(LedgerField::Category));
        assert!(in_wan(&headings[7]));
        // The same field twice: the first column keeps it.
        let twice = guess_all(&["名称".to_string(), "设备名称".to_string()]);
        assert_eq!(twice, vec![Some(LedgerField::Name), None]);
        // The export's own headings read back as themselves.
        for f in LedgerField::ALL {
            assert_eq!(guess(f.heading().0), Some(*f), "{:?}", f.heading());
            assert_eq!(guess(f.heading().1), Some(*f), "{:?}", f.heading());
        }
    }

    #[test]
    fn years_and_values_are_read_as_ledgers_write_them() {
        assert_eq!(purchase_year("2019"), Some(2019));
        assert_eq!(purchase_year("2019-05-01"), Some(2019));
        assert_eq!(purchase_year("2019/5/1"), Some(2019));
        assert_eq!(purchase_year("2019年5月"), Some(2019));
        assert_eq!(purchase_year("43586"), Some(2019), "an Excel date serial");
        assert_eq!(purchase_year("去年"), None);
        assert_eq!(yuan("¥1,280,000.00", false).as_deref(), Some("1280000.00"));
        assert_eq!(yuan("128", true).as_deref(), Some("1280000.00"));
        assert_eq!(yuan("12.8万", false), None);
        assert_eq!(yuan("-5", false), None);
        assert_eq!(yuan("", false).as_deref(), Some(""));
        assert!(looks_like_formula("=SUM(A1:A3)"));
        assert!(!looks_like_formula("GB/T 2423.1"));
        let m = vec![
            Some(LedgerField::Name),
            None,
            Some(LedgerField::SerialNumber),
        ];
        assert_eq!(parse_mapping(&mapping_text(&m), 3), Some(m));
        assert_eq!(parse_mapping("name,colour", 2), None);
        assert_eq!(parse_mapping("name", 2), None);
    }
}
