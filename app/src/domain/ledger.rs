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
    guess_in(GUESS_ORDER, LedgerField::words, heading)
}

/// Each column's field: guessed for every heading, each field taken by its first column only.
pub fn guess_all(headings: &[String]) -> Vec<Option<LedgerField>> {
    guess_all_in(headings, guess)
}

/// The first field of `order` one of whose words the heading contains.
fn guess_in<F: Copy>(
    order: &[F],
    words: fn(F) -> &'static [&'static str],
    heading: &str,
) -> Option<F> {
    let h = heading.trim().to_lowercase();
    if h.is_empty() {
        return None;
    }
    order
        .iter()
        .copied()
        .find(|f| words(*f).iter().any(|w| h.contains(w)))
}

fn guess_all_in<F: Copy + PartialEq>(
    headings: &[String],
    guess: fn(&str) -> Option<F>,
) -> Vec<Option<F>> {
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

text_enum!(
    /// A column of the accreditation-scope table (资质范围): which instrument (serial number, else
    /// name), the certificate and its body, the standards, the validity.
    ScopeField {
        SerialNumber = "serial_number",
        Name = "name",
        Body = "body",
        Certificate = "certificate",
        Standards = "standards",
        ValidFrom = "valid_from",
        ValidUntil = "valid_until",
    }
);

impl ScopeField {
    /// The headings of the export's scope sheet: Chinese, then English.
    pub fn heading(self) -> (&'static str, &'static str) {
        match self {
            ScopeField::SerialNumber => ("出厂编号", "Serial number"),
            ScopeField::Name => ("设备名称", "Name"),
            ScopeField::Body => ("资质类型", "Accreditation body"),
            ScopeField::Certificate => ("证书编号", "Certificate number"),
            ScopeField::Standards => ("检测标准", "Standards"),
            ScopeField::ValidFrom => ("有效期起", "Valid from"),
            ScopeField::ValidUntil => ("有效期至", "Valid until"),
        }
    }

    fn words(self) -> &'static [&'static str] {
        match self {
            ScopeField::SerialNumber => &["出厂编号", "序列号", "仪器编号", "设备编号", "serial"],
            ScopeField::Certificate => &["证书编号", "证书号", "certificate"],
            ScopeField::Standards => &[
                "检测标准",
                "标准",
                "检测依据",
                "依据",
                "检测方法",
                "standard",
                "method",
            ],
            ScopeField::Body => &[
                "资质类型",
                "资质",
                "认可机构",
                "认可",
                "认证",
                "body",
                "accreditation",
            ],
            ScopeField::ValidFrom => &[
                "有效期起",
                "发证日期",
                "颁发日期",
                "生效日期",
                "起始",
                "valid from",
                "issued",
            ],
            ScopeField::ValidUntil => &[
                "有效期至",
                "有效期止",
                "截止",
                "到期",
                "有效期",
                "valid until",
                "expires",
                "expiry",
            ],
            ScopeField::Name => &[
                "设备名称",
                "仪器名称",
                "仪器设备名称",
                "名称",
                "name",
                "instrument",
            ],
        }
    }
}

/// The order scope headings are tried in: 证书编号 before 资质 (资质证书编号), 标准名称 before 名称,
/// 有效期起 before 有效期.
const SCOPE_GUESS_ORDER: &[ScopeField] = &[
    ScopeField::SerialNumber,
    ScopeField::Certificate,
    ScopeField::Standards,
    ScopeField::ValidFrom,
    ScopeField::ValidUntil,
    ScopeField::Body,
    ScopeField::Name,
];

/// The scope field a heading names, if any.
pub fn guess_scope(heading: &str) -> Option<ScopeField> {
    guess_in(SCOPE_GUESS_ORDER, ScopeField::words, heading)
}

/// Each column's scope field, each field taken by its first column only.
pub fn guess_scope_all(headings: &[String]) -> Vec<Option<ScopeField>> {
    guess_all_in(headings, guess_scope)
}

/// Whether a heading row is a scope table's: it names a certificate and standards (a ledger
/// never does).
pub fn is_scope_headings(row: &[String]) -> bool {
    let fields = guess_scope_all(row);
    fields.contains(&Some(ScopeField::Certificate)) && fields.contains(&Some(ScopeField::Standards))
}

/// The accreditation body a cell names: the code, or how Chinese tables write it.
pub fn body_of(cell: &str) -> Option<&'static str> {
    let c = cell.trim().to_lowercase();
    if c.contains("cnas") || c.contains("认可") {
        Some("CNAS")
    } else if c.contains("cma") || c.contains("资质认定") || c.contains("计量认证") {
        Some("CMA")
    } else if c == "other" || c == "其他" {
        Some("other")
    } else {
        None
    }
}

/// A date cell as the editor takes it ("2026-05-01"), from "2026-05-01", "2026/5/1",
/// "2026年5月1日", "2026.05.01" or an Excel date serial. None when it is not a date.
pub fn iso_day(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let parts: Vec<u32> = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let day = match parts.as_slice() {
        [y, m, d] => chrono::NaiveDate::from_ymd_opt(*y as i32, *m, *d)?,
        [serial] if (1..73_416).contains(serial) && !raw.contains(['-', '/', '.']) => {
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?
                .checked_add_signed(chrono::Duration::days(i64::from(*serial)))?
        }
        _ => return None,
    };
    Some(day.format("%Y-%m-%d").to_string())
}

/// One row of the scope table in the preview: the instrument it was matched to (its id, or the
/// ledger line of a row this import creates, and its name) and what will happen to its entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRow {
    pub line: usize,
    pub cells: Vec<String>,
    pub resource: Option<String>,
    pub action: RowAction,
    pub findings: Vec<Finding>,
}

/// The scope table of an upload (a second sheet, or a file of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopePreview {
    pub headings: Vec<String>,
    pub mapping: Vec<Option<ScopeField>>,
    pub rows: Vec<ScopeRow>,
}

/// What the admin chose on the preview: the columns' meanings (as [`mapping_text`] writes them,
/// default guessed), the template resource, and the rows left out ("12" a ledger line, "s12" a
/// scope line).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub mapping: Option<String>,
    pub scope_mapping: Option<String>,
    pub template: Option<i64>,
    /// New rows take the settings of the institution's latest-edited resource of their category
    /// (where it has one; else `template`'s).
    #[serde(default)]
    pub by_category: bool,
    pub skip: Option<String>,
}

impl Choices {
    /// The ledger lines and the scope lines left out.
    pub fn skipped(&self) -> (Vec<usize>, Vec<usize>) {
        let (mut ledger, mut scope) = (Vec::new(), Vec::new());
        for part in self.skip.as_deref().unwrap_or("").split(',') {
            let part = part.trim();
            match part.strip_prefix('s') {
                Some(n) => scope.extend(n.parse::<usize>().ok()),
                None => ledger.extend(part.parse::<usize>().ok()),
            }
        }
        (ledger, scope)
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    /// Accreditation entries created or changed.
    pub scopes: usize,
}

impl Imported {
    /// As the equipment page's query carries it, for its confirmation.
    pub fn query(&self) -> String {
        format!(
            "imported={}-{}-{}-{}-{}",
            self.created, self.updated, self.unchanged, self.skipped, self.scopes
        )
    }

    pub fn from_query(value: &str) -> Option<Imported> {
        let n: Vec<usize> = value
            .split('-')
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        match n.as_slice() {
            [created, updated, unchanged, skipped, scopes] => Some(Imported {
                created: *created,
                updated: *updated,
                unchanged: *unchanged,
                skipped: *skipped,
                scopes: *scopes,
            }),
            _ => None,
        }
    }
}

/// What the import will do with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowAction {
    Create,
    /// Update the resource with this id (matched by serial number, then by the id column).
    Update(i64),
    /// The row equals what the platform has: nothing to do.
    Unchanged(i64),
    /// The row has problems; it cannot be imported until they are fixed (or left out).
    Blocked,
    /// Left out by the admin.
    Skipped,
}

impl RowAction {
    /// The word the preview's rows carry (for styling and tests).
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Create => "create",
            RowAction::Update(_) => "update",
            RowAction::Unchanged(_) => "unchanged",
            RowAction::Blocked => "blocked",
            RowAction::Skipped => "skipped",
        }
    }
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
    /// The accreditation-scope table, matched to resources (if the upload has one).
    pub scope: Option<ScopePreview>,
    /// Resources whose settings new rows take (rules, hours, rates): the institution's own.
    pub templates: Vec<(i64, String)>,
    pub template: Option<i64>,
    pub by_category: bool,
    /// The rows left out, as [`Choices::skip`] writes them.
    pub skip: String,
}

/// How many rows will be created, updated, left unchanged, are blocked and are left out.
pub fn counts(actions: impl Iterator<Item = RowAction>) -> [usize; 5] {
    let mut c = [0; 5];
    for a in actions {
        let i = match a {
            RowAction::Create => 0,
            RowAction::Update(_) => 1,
            RowAction::Unchanged(_) => 2,
            RowAction::Blocked => 3,
            RowAction::Skipped => 4,
        };
        c[i] += 1;
    }
    c
}

/// The mapping as a query value: one field name (or "-") per column, comma-separated.
pub fn mapping_text<F: Copy>(mapping: &[Option<F>], name: impl Fn(F) -> &'static str) -> String {
    mapping
        .iter()
        .map(|f| f.map(&name).unwrap_or("-"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A mapping read back from [`mapping_text`]; None when a name is unknown or a column missing.
pub fn parse_mapping<F>(
    text: &str,
    columns: usize,
    parse: impl Fn(&str) -> Option<F>,
) -> Option<Vec<Option<F>>> {
    let fields: Vec<Option<F>> = text
        .split(',')
        .map(|f| match f.trim() {
            "-" | "" => Some(None),
            name => parse(name).map(Some),
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
        let text = mapping_text(&m, LedgerField::as_str);
        assert_eq!(parse_mapping(&text, 3, LedgerField::parse), Some(m));
        assert_eq!(parse_mapping("name,colour", 2, LedgerField::parse), None);
        assert_eq!(parse_mapping("name", 2, LedgerField::parse), None);
    }

    #[test]
    fn scope_tables_are_told_from_ledgers_and_read_as_they_are_written() {
        let headings: Vec<String> = [
            "序号",
            "仪器名称",
            "出厂编号",
            "资质类型",
            "资质证书编号",
            "标准名称及编号",
            "发证日期",
            "有效期至",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert!(is_scope_headings(&headings));
        let m = guess_scope_all(&headings);
        assert_eq!(
            m,
            vec![
                None,
                Some(ScopeField::Name),
                Some(ScopeField::SerialNumber),
                Some(ScopeField::Body),
                Some(ScopeField::Certificate),
                Some(ScopeField::Standards),
                Some(ScopeField::ValidFrom),
                Some(ScopeField::ValidUntil),
            ]
        );
        // A ledger's headings are not a scope table's, and the export's own headings read back.
        let ledger: Vec<String> = LedgerField::ALL
            .iter()
            .map(|f| f.heading().0.to_string())
            .collect();
        assert!(!is_scope_headings(&ledger));
        for f in ScopeField::ALL {
            assert_eq!(guess_scope(f.heading().0), Some(*f), "{:?}", f.heading());
            assert_eq!(guess_scope(f.heading().1), Some(*f), "{:?}", f.heading());
        }
        assert_eq!(body_of("CNAS"), Some("CNAS"));
        assert_eq!(body_of("实验室认可"), Some("CNAS"));
        assert_eq!(body_of("检验检测机构资质认定（CMA）"), Some("CMA"));
        assert_eq!(body_of("ISO"), None);
        assert_eq!(iso_day("2026/5/1").as_deref(), Some("2026-05-01"));
        assert_eq!(iso_day("2026年5月1日").as_deref(), Some("2026-05-01"));
        assert_eq!(
            iso_day("46143").as_deref(),
            Some("2026-05-01"),
            "a date serial"
        );
        assert_eq!(iso_day("2026-02-30"), None);
        assert_eq!(iso_day("下个月"), None);
        let choices = Choices {
            skip: Some("3, s7,x,12".into()),
            ..Choices::default()
        };
        assert_eq!(choices.skipped(), (vec![3, 12], vec![7]));
    }
}
