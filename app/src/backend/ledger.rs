//! Equipment ledgers from Excel, WPS or CSV: the file is read and checked (size, zip bombs,
//! width, length, formulas), kept as an upload, previewed row by row with the editor's own checks,
//! then imported in one transaction — or nothing. Matching by the export's id column, then by
//! serial number, makes importing the same file twice change nothing.

use super::editor::{insert_accreditation, load_form, new_form, save_in};
use super::resources::may_manage;
use super::AppState;
use crate::domain::account::Actor;
use crate::domain::editor::{AccreditationForm, ResourceForm, ValidAccreditation, ValidResource};
use crate::domain::ids::{OrganisationId, ResourceId};
use crate::domain::ledger::*;
use crate::error::AppError;
use chrono::Datelike;
use std::collections::HashMap;

/// The largest file taken.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most a workbook may unpack to (a zip bomb declares far more).
const MAX_UNPACKED_BYTES: u64 = 100 * 1024 * 1024;
pub const MAX_COLUMNS: usize = 100;
pub const MAX_ROWS: usize = 5_000;
/// How far down the headings may be (a title row, merged across the sheet, often comes first).
const HEADING_SEARCH_ROWS: usize = 10;

/// A sheet as text: its headings and the rows under them (the sheet's line number with each).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sheet {
    pub headings: Vec<String>,
    /// (line in the sheet, cells), empty rows left out.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// What an upload holds: the equipment ledger, the accreditation-scope table, or both (two
/// sheets of one workbook).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    pub ledger: Option<Sheet>,
    pub scope: Option<Sheet>,
}

/// Which table a grid's headings name.
enum Table {
    Ledger,
    Scope,
}

fn refuse(key: &str) -> AppError {
    AppError::validation("file", key)
}

/// Reads an uploaded ledger or scope table: XLSX/XLS/ODS (Excel, WPS; the first sheet of each
/// kind) or CSV in UTF-8 (with or without BOM) or GB18030. Refuses what is not a spreadsheet, too
/// big, too wide or long, or has formulas.
pub fn read(bytes: &[u8]) -> Result<Upload, AppError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refuse("ledger_too_large"));
    }
    let upload = if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        read_workbook(bytes)?
    } else {
        let grid = read_csv(bytes)?;
        let (table, sheet) = sheet_of(grid).ok_or_else(|| refuse("ledger_no_headings"))?;
        match table {
            Table::Ledger => Upload {
                ledger: Some(sheet),
                scope: None,
            },
            Table::Scope => Upload {
                ledger: None,
                scope: Some(sheet),
            },
        }
    };
    let rows = |s: &Option<Sheet>| s.as_ref().map_or(0, |s| s.rows.len());
    if rows(&upload.ledger) > MAX_ROWS || rows(&upload.scope) > MAX_ROWS {
        return Err(refuse("ledger_too_long"));
    }
    Ok(upload)
}

/// The sheets a workbook may have (a ledger, a scope table, and others left alone).
const MAX_SHEETS: usize = 20;

fn read_workbook(bytes: &[u8]) -> Result<Upload, AppError> {
    use calamine::Reader;
    if bytes.starts_with(b"PK") {
        // What the entries would unpack to, as the archive declares it, before anything unpacks.
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|_| refuse("ledger_unreadable"))?;
        let mut total: u64 = 0;
        for i in 0..archive.len() {
            let size = archive
                .by_index_raw(i)
                .map(|f| f.size())
                .unwrap_or(u64::MAX);
            total = total.saturating_add(size);
        }
        if archive.len() > 1_000 || total > MAX_UNPACKED_BYTES {
            return Err(refuse("ledger_too_large"));
        }
    }
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|_| refuse("ledger_unreadable"))?;
    let names = workbook.sheet_names();
    if names.is_empty() {
        return Err(refuse("ledger_empty"));
    }
    let mut upload = Upload::default();
    for name in names.iter().take(MAX_SHEETS) {
        let range = workbook
            .worksheet_range(name)
            .map_err(|_| refuse("ledger_unreadable"))?;
        if range.width() > MAX_COLUMNS {
            return Err(refuse("ledger_too_wide"));
        }
        if range.height() > MAX_ROWS + HEADING_SEARCH_ROWS + 1 {
            return Err(refuse("ledger_too_long"));
        }
        let Some((table, sheet)) = sheet_of(grid_of(&range)) else {
            continue;
        };
        let slot = match table {
            Table::Ledger => &mut upload.ledger,
            Table::Scope => &mut upload.scope,
        };
        if slot.is_some() {
            continue;
        }
        // A sheet that is taken must hold values: a formula is refused, not guessed at.
        if let Ok(formulas) = workbook.worksheet_formula(name) {
            if formulas.used_cells().any(|(_, _, f)| !f.trim().is_empty()) {
                return Err(refuse("ledger_formulas"));
            }
        }
        *slot = Some(sheet);
    }
    if upload.ledger.is_none() && upload.scope.is_none() {
        return Err(refuse("ledger_no_headings"));
    }
    Ok(upload)
}

fn grid_of(range: &calamine::Range<calamine::Data>) -> Vec<Vec<String>> {
    use calamine::Data;
    let text = |cell: &Data| match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // A date cell reads as its date ("2019-05-20"), as the person sees it in Excel.
        Data::DateTime(d) => {
            let serial = d.as_f64();
            iso_day(&(serial.floor() as i64).to_string()).unwrap_or_else(|| serial.to_string())
        }
        Data::Error(_) => String::new(),
    };
    range
        .rows()
        .map(|row| row.iter().map(text).collect())
        .collect()
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, AppError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => {
            let (decoded, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(refuse("ledger_unreadable"));
            }
            decoded.into_owned()
        }
    };
    // Binary that happens to decode is not a ledger.
    if text.contains('\0') {
        return Err(refuse("ledger_unreadable"));
    }
    let delimiter = if text
        .lines()
        .next()
        .is_some_and(|l| l.contains('\t') && !l.contains(','))
    {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| refuse("ledger_unreadable"))?;
        if record.len() > MAX_COLUMNS {
            return Err(refuse("ledger_too_wide"));
        }
        // The export makes a cell that starts like a formula inert with an apostrophe; read back,
        // it is the text again.
        let row: Vec<String> = record
            .iter()
            .map(|c| {
                let c = c.trim();
                match c.strip_prefix('\'') {
                    Some(rest) if rest.starts_with(['+', '-', '@']) => rest.to_string(),
                    _ => c.to_string(),
                }
            })
            .collect();
        if row.iter().any(|c| looks_like_formula(c)) {
            return Err(refuse("ledger_formulas"));
        }
        grid.push(row);
        if grid.len() > MAX_ROWS + HEADING_SEARCH_ROWS + 1 {
            return Err(refuse("ledger_too_long"));
        }
    }
    Ok(grid)
}

/// Finds the heading row (the first of the top rows that names a certificate and standards — a
/// scope table — or two or more ledger fields) and takes the non-empty rows under it.
fn sheet_of(grid: Vec<Vec<String>>) -> Option<(Table, Sheet)> {
    let (heading_row, table) =
        grid.iter()
            .take(HEADING_SEARCH_ROWS)
            .enumerate()
            .find_map(|(i, row)| {
                if is_scope_headings(row) {
                    Some((i, Table::Scope))
                } else if row.iter().filter(|c| guess(c).is_some()).count() >= 2 {
                    Some((i, Table::Ledger))
                } else {
                    None
                }
            })?;
    let width = grid[heading_row].len();
    let headings = grid[heading_row].clone();
    let rows = grid
        .into_iter()
        .enumerate()
        .skip(heading_row + 1)
        .filter(|(_, row)| row.iter().any(|c| !c.is_empty()))
        .map(|(i, mut row)| {
            row.resize(width, String::new());
            (i + 1, row)
        })
        .collect();
    Some((table, Sheet { headings, rows }))
}

/// The editor field a ledger field fills, for naming the cell of a refusal.
fn form_field(field: LedgerField) -> &'static str {
    match field {
        LedgerField::Id => "id",
        LedgerField::Name => "name_zh",
        LedgerField::NameEn => "name_en",
        LedgerField::Kind => "kind",
        LedgerField::Category => "category",
        LedgerField::Model => "model",
        LedgerField::Manufacturer => "manufacturer",
        LedgerField::SerialNumber => "serial_number",
        LedgerField::PurchaseYear => "purchase_year",
        LedgerField::OriginalValue => "original_value",
        LedgerField::Building => "building",
        LedgerField::Room => "room",
        LedgerField::ContactName => "contact_name",
        LedgerField::ContactPhone => "contact_phone",
        LedgerField::Description => "description_zh",
    }
}

/// The institution's categories, by every name a ledger may use for them (code, Chinese,
/// English; lower case).
async fn categories(state: &AppState) -> Result<HashMap<String, i64>, AppError> {
    let rows: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, code, name_zh, name_en FROM categories")
            .fetch_all(state.db.pool())
            .await?;
    let mut map = HashMap::new();
    for (id, code, zh, en) in rows {
        for name in [code, zh, en] {
            map.insert(name.trim().to_lowercase(), id);
        }
    }
    Ok(map)
}

/// Writes the row's cells over `form`; findings for cells that cannot be read.
fn overlay(
    form: &mut ResourceForm,
    sheet: &Sheet,
    mapping: &[Option<LedgerField>],
    cells: &[String],
    categories: &HashMap<String, i64>,
    findings: &mut Vec<Finding>,
) {
    let mut finding = |column: usize, field: LedgerField, key: &str, blocking: bool| {
        findings.push(Finding {
            column: Some(column),
            field: field.as_str().into(),
            key: key.into(),
            blocking,
        })
    };
    for (column, field) in mapping.iter().enumerate() {
        let Some(field) = *field else { continue };
        let cell = cells.get(column).map(String::as_str).unwrap_or_default();
        match field {
            LedgerField::Id => {}
            LedgerField::Name => form.name_zh = cell.into(),
            LedgerField::NameEn => form.name_en = cell.into(),
            LedgerField::Kind => {
                let kind = match cell.to_lowercase().as_str() {
                    "" => None,
                    "instrument" | "仪器" | "仪器设备" | "设备" => Some("instrument"),
                    "facility" | "设施" | "环境设施" | "场地" => Some("facility"),
                    _ => {
                        finding(column, field, "choice_unknown", true);
                        None
                    }
                };
                if let Some(kind) = kind {
                    form.kind = kind.into();
                }
            }
            LedgerField::Category => {
                if !cell.is_empty() {
                    match categories.get(&cell.to_lowercase()) {
                        Some(id) => form.category = *id,
                        None => finding(column, field, "category_unknown", true),
                    }
                }
            }
            LedgerField::Model => form.model = cell.into(),
            LedgerField::Manufacturer => form.manufacturer = cell.into(),
            LedgerField::SerialNumber => form.serial_number = cell.into(),
            LedgerField::PurchaseYear => {
                form.purchase_year = match purchase_year(cell) {
                    Some(y) => y.to_string(),
                    None if cell.is_empty() => String::new(),
                    None => {
                        finding(column, field, "year_invalid", true);
                        String::new()
                    }
                }
            }
            LedgerField::OriginalValue => {
                let wan = in_wan(&sheet.headings[column]);
                match yuan(cell, wan) {
                    Some(value) => {
                        // A ledger in yuan with a two-digit value is likely in 万元.
                        if !wan && value.parse::<f64>().is_ok_and(|v| v > 0.0 && v < 1_000.0) {
                            finding(column, field, "value_maybe_wan", false);
                        }
                        form.original_value = value;
                    }
                    None => finding(column, field, "price_invalid", true),
                }
            }
            LedgerField::Building => form.building = cell.into(),
            LedgerField::Room => form.room = cell.into(),
            LedgerField::ContactName => form.contact_name = cell.into(),
            LedgerField::ContactPhone => form.contact_phone = cell.into(),
            LedgerField::Description => form.description_zh = cell.into(),
        }
    }
}

/// The institution's resources: id, serial number, Chinese name.
async fn existing(
    state: &AppState,
    institution: i64,
) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, serial_number, name_zh FROM resources WHERE institution_id = $1 AND status <> 'retired' ORDER BY id",
    )
    .bind(institution)
    .fetch_all(state.db.pool())
    .await?)
}

/// One row checked: what will happen, its findings, and the checked resource to write.
struct Planned {
    row: PreviewRow,
    write: Option<(Option<i64>, ValidResource)>,
    /// Its serial number and name, for matching the scope table's rows to it.
    serial: String,
    name: String,
}

async fn plan(
    state: &AppState,
    institution: i64,
    sheet: &Sheet,
    mapping: &[Option<LedgerField>],
    template: &ResourceForm,
    by_category: Option<&HashMap<i64, ResourceForm>>,
    skipped: &[usize],
) -> Result<Vec<Planned>, AppError> {
    let categories = categories(state).await?;
    let existing = existing(state, institution).await?;
    let this_year = i64::from(state.clock.now().with_timezone(&state.tz).year());
    let column_of = |f: LedgerField| mapping.iter().position(|m| *m == Some(f));
    let (id_column, serial_column) = (
        column_of(LedgerField::Id),
        column_of(LedgerField::SerialNumber),
    );
    let mut seen_serials: HashMap<String, usize> = HashMap::new();
    let mut forms: HashMap<i64, ResourceForm> = HashMap::new();
    let mut out = Vec::with_capacity(sheet.rows.len());
    for (line, cells) in &sheet.rows {
        let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(|s| s.trim()).unwrap_or("");
        let serial = cell(serial_column).to_string();
        let name = cell(column_of(LedgerField::Name)).to_string();
        if skipped.contains(line) {
            out.push(Planned {
                row: PreviewRow {
                    line: *line,
                    cells: cells.clone(),
                    action: RowAction::Skipped,
                    findings: Vec::new(),
                },
                write: None,
                serial,
                name,
            });
            continue;
        }
        let mut findings = Vec::new();
        // Which resource it is: the export's id column first, then the serial number.
        let mut target = None;
        if let Some(raw) = Some(cell(id_column)).filter(|s| !s.is_empty()) {
            match raw
                .parse::<i64>()
                .ok()
                .filter(|id| existing.iter().any(|(e, ..)| e == id))
            {
                Some(id) => target = Some(id),
                None => findings.push(Finding {
                    column: id_column,
                    field: LedgerField::Id.as_str().into(),
                    key: "id_unknown".into(),
                    blocking: true,
                }),
            }
        }
        if !serial.is_empty() {
            if let Some(first) = seen_serials.get(&serial) {
                findings.push(Finding {
                    column: serial_column,
                    field: LedgerField::SerialNumber.as_str().into(),
                    key: format!("serial_duplicate:{first}"),
                    blocking: true,
                });
            } else {
                seen_serials.insert(serial.clone(), *line);
            }
            if target.is_none() {
                target = existing
                    .iter()
                    .find(|(_, s, _)| *s == serial)
                    .map(|(id, ..)| *id);
            }
        }
        let (mut form, before) = match target {
            Some(id) => {
                let form = match forms.get(&id) {
                    Some(form) => form.clone(),
                    None => {
                        let form = load_form(state, ResourceId(id)).await?;
                        forms.insert(id, form.clone());
                        form
                    }
                };
                let before = form.validate(this_year).ok();
                (form, before)
            }
            None => {
                // The row's category (read from a probe) picks its template, if asked to.
                let base = match by_category {
                    Some(templates) => {
                        let mut probe = template.clone();
                        overlay(
                            &mut probe,
                            sheet,
                            mapping,
                            cells,
                            &categories,
                            &mut Vec::new(),
                        );
                        templates.get(&probe.category).unwrap_or(template)
                    }
                    None => template,
                };
                (
                    ResourceForm {
                        id: None,
                        institution,
                        ..base.clone()
                    },
                    None,
                )
            }
        };
        if target.is_none() {
            // A new row starts from the template's settings, never its identity.
            for field in [
                &mut form.name_zh,
                &mut form.name_en,
                &mut form.model,
                &mut form.manufacturer,
                &mut form.serial_number,
                &mut form.purchase_year,
                &mut form.original_value,
                &mut form.description_zh,
                &mut form.description_en,
                &mut form.specifications,
            ] {
                field.clear();
            }
        }
        overlay(&mut form, sheet, mapping, cells, &categories, &mut findings);
        let checked = match form.validate(this_year) {
            Ok(valid) => Some(valid),
            Err((field, key)) => {
                let column = LedgerField::ALL
                    .iter()
                    .find(|f| form_field(**f) == field)
                    .and_then(|f| column_of(*f));
                findings.push(Finding {
                    column,
                    field: field.into(),
                    key: key.into(),
                    blocking: true,
                });
                None
            }
        };
        let blocked = findings.iter().any(|f| f.blocking);
        let (action, write) = match (blocked, checked, target) {
            (true, _, _) | (_, None, _) => (RowAction::Blocked, None),
            (false, Some(valid), Some(id)) if before.as_ref() == Some(&valid) => {
                (RowAction::Unchanged(id), None)
            }
            (false, Some(valid), Some(id)) => (RowAction::Update(id), Some((Some(id), valid))),
            (false, Some(valid), None) => (RowAction::Create, Some((None, valid))),
        };
        out.push(Planned {
            row: PreviewRow {
                line: *line,
                cells: cells.clone(),
                action,
                findings,
            },
            write,
            serial,
            name,
        });
    }
    Ok(out)
}

/// The instrument a scope row belongs to: one already in the platform, or one this import
/// creates (its ledger line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Owner {
    Existing(i64),
    New(usize),
}

/// An accreditation entry the scope table describes: rows of one instrument and certificate.
struct ScopeEntry {
    owner: Owner,
    valid: ValidAccreditation,
    /// What happens: create, update (the entry's id) or unchanged.
    action: RowAction,
}

/// The scope table checked: each row's preview, and the entries to write.
struct ScopePlan {
    preview: ScopePreview,
    entries: Vec<ScopeEntry>,
}

/// The institution's accreditation entries: (id, resource, body, certificate, from, until) and
/// the standards of each.
type Entries = Vec<(i64, i64, String, String, String, String, Vec<String>)>;

async fn entries(state: &AppState, institution: i64) -> Result<Entries, AppError> {
    let rows: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
        "SELECT a.id, a.resource_id, a.body, a.certificate_number, a.valid_from, a.valid_until \
         FROM accreditations a JOIN resources r ON r.id = a.resource_id \
         WHERE r.institution_id = $1 ORDER BY a.resource_id, a.id",
    )
    .bind(institution)
    .fetch_all(state.db.pool())
    .await?;
    let standards: Vec<(i64, String)> = sqlx::query_as(
        "SELECT s.accreditation_id, s.code FROM accreditation_standards s \
         JOIN accreditations a ON a.id = s.accreditation_id JOIN resources r ON r.id = a.resource_id \
         WHERE r.institution_id = $1 ORDER BY s.accreditation_id, s.code",
    )
    .bind(institution)
    .fetch_all(state.db.pool())
    .await?;
    let mut by_entry: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, code) in standards {
        by_entry.entry(id).or_default().push(code);
    }
    Ok(rows
        .into_iter()
        .map(|(id, r, body, cert, from, until)| {
            let codes = by_entry.remove(&id).unwrap_or_default();
            (id, r, body, cert, from, until, codes)
        })
        .collect())
}

/// The scope field a refusal of [`AccreditationForm::validate`] names.
fn scope_field(field: &str) -> ScopeField {
    match field {
        "body" => ScopeField::Body,
        "certificate_number" => ScopeField::Certificate,
        "standards" => ScopeField::Standards,
        "valid_from" => ScopeField::ValidFrom,
        _ => ScopeField::ValidUntil,
    }
}

/// Checks the scope table: each row matched to an instrument (serial number, then name; in the
/// platform or created by this import), read as an accreditation entry, and grouped with the other
/// rows of its certificate (a merged cell — a certificate over several standards — is read down).
async fn plan_scope(
    state: &AppState,
    institution: i64,
    sheet: &Sheet,
    mapping: &[Option<ScopeField>],
    ledger: &[Planned],
    skipped: &[usize],
) -> Result<ScopePlan, AppError> {
    let existing = existing(state, institution).await?;
    let known = entries(state, institution).await?;
    let column_of = |f: ScopeField| mapping.iter().position(|m| *m == Some(f));
    let finding = |f: ScopeField, key: &str| Finding {
        column: column_of(f),
        field: f.as_str().into(),
        key: key.into(),
        blocking: true,
    };
    // The ledger's own rows: those it creates own scope rows; those it cannot import cannot.
    let in_upload = |pick: &dyn Fn(&Planned) -> bool| -> Option<Result<Owner, &'static str>> {
        ledger.iter().find(|p| pick(p)).map(|p| match p.row.action {
            RowAction::Create => Ok(Owner::New(p.row.line)),
            RowAction::Update(id) | RowAction::Unchanged(id) => Ok(Owner::Existing(id)),
            RowAction::Blocked | RowAction::Skipped => Err("scope_resource_not_imported"),
        })
    };
    let mut above: Vec<String> = vec![String::new(); sheet.headings.len()];
    let mut rows = Vec::with_capacity(sheet.rows.len());
    // Per row: its entry's index, if it is not blocked.
    let mut groups: Vec<(Owner, String, String, ValidAccreditation, Vec<usize>)> = Vec::new();
    let mut row_group: Vec<Option<usize>> = Vec::new();
    for (line, raw) in &sheet.rows {
        // Merged cells (a spreadsheet keeps only the top one's value): a certificate's cells left
        // empty are read as the row above; the instrument too, when the row names none.
        let mut cells = raw.clone();
        let names_none = mapping
            .iter()
            .zip(&cells)
            .filter(|(f, _)| matches!(f, Some(ScopeField::SerialNumber | ScopeField::Name)))
            .all(|(_, cell)| cell.trim().is_empty());
        for (c, field) in mapping.iter().enumerate() {
            let down = match field {
                Some(ScopeField::Standards) | None => false,
                Some(ScopeField::SerialNumber | ScopeField::Name) => names_none,
                Some(_) => true,
            };
            if down && cells[c].trim().is_empty() {
                cells[c] = above[c].clone();
            }
        }
        above.clone_from(&cells);
        let cell = |f: ScopeField| column_of(f).map(|c| cells[c].trim()).unwrap_or("");
        if skipped.contains(line) {
            rows.push(ScopeRow {
                line: *line,
                cells,
                resource: None,
                action: RowAction::Skipped,
                findings: Vec::new(),
            });
            row_group.push(None);
            continue;
        }
        let mut findings = Vec::new();
        let (serial, name) = (cell(ScopeField::SerialNumber), cell(ScopeField::Name));
        let owner = if !serial.is_empty() {
            existing
                .iter()
                .find(|(_, s, _)| s == serial)
                .map(|(id, ..)| Ok(Owner::Existing(*id)))
                .or_else(|| in_upload(&|p| p.serial == serial))
                .unwrap_or(Err("scope_resource_unknown"))
                .map_err(|key| finding(ScopeField::SerialNumber, key))
        } else if !name.is_empty() {
            // A name is the upload's own ledger row first (the sheet beside it describes it),
            // then the one instrument of the institution so named.
            let same: Vec<i64> = existing
                .iter()
                .filter(|(_, _, n)| n == name)
                .map(|(id, ..)| *id)
                .collect();
            match (in_upload(&|p| p.name == name), same.as_slice()) {
                (Some(owner), _) => owner.map_err(|key| finding(ScopeField::Name, key)),
                (None, [id]) => Ok(Owner::Existing(*id)),
                (None, []) => Err(finding(ScopeField::Name, "scope_resource_unknown")),
                (None, _) => Err(finding(ScopeField::Name, "scope_resource_ambiguous")),
            }
        } else {
            Err(finding(ScopeField::SerialNumber, "scope_resource_missing"))
        };
        let resource = match &owner {
            Ok(Owner::Existing(id)) => existing
                .iter()
                .find(|(e, ..)| e == id)
                .map(|(_, _, n)| n.clone()),
            Ok(Owner::New(line)) => ledger
                .iter()
                .find(|p| p.row.line == *line)
                .map(|p| p.name.clone()),
            Err(_) => None,
        };
        let owner = owner.map_err(|f| findings.push(f)).ok();
        let body = cell(ScopeField::Body);
        let form = AccreditationForm {
            resource: 0,
            body: body_of(body).unwrap_or(body).to_string(),
            certificate_number: cell(ScopeField::Certificate).to_string(),
            standards: cell(ScopeField::Standards).to_string(),
            valid_from: iso_day(cell(ScopeField::ValidFrom))
                .unwrap_or_else(|| cell(ScopeField::ValidFrom).to_string()),
            valid_until: iso_day(cell(ScopeField::ValidUntil))
                .unwrap_or_else(|| cell(ScopeField::ValidUntil).to_string()),
        };
        let valid = form
            .validate()
            .map_err(|(field, key)| findings.push(finding(scope_field(field), key)))
            .ok();
        let mut group = None;
        if let (Some(owner), Some(valid)) = (owner, valid) {
            let key = (owner, valid.body.as_str(), valid.certificate_number.clone());
            match groups
                .iter()
                .position(|g| (g.0, g.1.as_str(), g.2.clone()) == key)
            {
                Some(i) => {
                    let g = &mut groups[i];
                    if (g.3.valid_from, g.3.valid_until) != (valid.valid_from, valid.valid_until) {
                        findings.push(finding(ScopeField::ValidUntil, "scope_dates_differ"));
                    } else {
                        for code in valid.standards {
                            if !g.3.standards.contains(&code) {
                                g.3.standards.push(code);
                            }
                        }
                        g.4.push(rows.len());
                        group = Some(i);
                    }
                }
                None => {
                    groups.push((
                        owner,
                        valid.body.as_str().to_string(),
                        valid.certificate_number.clone(),
                        valid,
                        vec![rows.len()],
                    ));
                    group = Some(groups.len() - 1);
                }
            }
        }
        rows.push(ScopeRow {
            line: *line,
            cells,
            resource,
            action: RowAction::Blocked,
            findings,
        });
        row_group.push(group);
    }
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut entries = Vec::with_capacity(groups.len());
    for (owner, body, certificate, mut valid, _) in groups {
        valid.standards.sort();
        let same = match owner {
            Owner::Existing(id) => known
                .iter()
                .find(|k| k.1 == id && k.2 == body && k.3 == certificate),
            Owner::New(_) => None,
        };
        let action = match same {
            Some(k)
                if k.4 == day(valid.valid_from)
                    && k.5 == day(valid.valid_until)
                    && k.6 == valid.standards =>
            {
                RowAction::Unchanged(k.0)
            }
            Some(k) => RowAction::Update(k.0),
            None => RowAction::Create,
        };
        entries.push(ScopeEntry {
            owner,
            valid,
            action,
        });
    }
    for (row, group) in rows.iter_mut().zip(&row_group) {
        if let (Some(g), false) = (group, row.findings.iter().any(|f| f.blocking)) {
            row.action = entries[*g].action;
        }
    }
    Ok(ScopePlan {
        preview: ScopePreview {
            headings: sheet.headings.clone(),
            mapping: mapping.to_vec(),
            rows,
        },
        entries,
    })
}

/// Keeps an uploaded ledger (or scope table) for its preview and import (a day at most).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn store_upload(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
    file_name: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let actor = may_manage(actor, institution)?;
    let upload = read(bytes)?;
    let json = serde_json::to_string(&upload).map_err(|e| AppError::internal("ledger", e))?;
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO ledger_uploads (institution_id, user_id, file_name, sheet, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(institution.0)
    .bind(actor.user.0)
    .bind(name)
    .bind(json)
    .bind(state.clock.now().timestamp())
    .fetch_one(state.db.pool())
    .await?;
    tracing::info!(
        upload = id,
        rows = upload.ledger.as_ref().map_or(0, |s| s.rows.len()),
        scope_rows = upload.scope.as_ref().map_or(0, |s| s.rows.len()),
        "ledger uploaded"
    );
    Ok(id)
}

async fn load_upload(
    state: &AppState,
    actor: Option<&Actor>,
    upload: i64,
) -> Result<(i64, String, Upload), AppError> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT institution_id, file_name, sheet FROM ledger_uploads WHERE id = $1")
            .bind(upload)
            .fetch_optional(state.db.pool())
            .await?;
    let (institution, name, json) = row.ok_or(AppError::NotFound)?;
    // Someone else's upload is as good as absent.
    may_manage(actor, OrganisationId(institution)).map_err(|_| AppError::NotFound)?;
    let upload = serde_json::from_str(&json).map_err(|e| AppError::internal("ledger", e))?;
    Ok((institution, name, upload))
}

/// The settings new rows take: the template resource's (it must be the institution's), or the
/// editor's defaults.
async fn template_form(
    state: &AppState,
    institution: i64,
    template: Option<i64>,
) -> Result<ResourceForm, AppError> {
    match template {
        Some(id) => {
            let form = load_form(state, ResourceId(id)).await?;
            if form.institution != institution {
                return Err(AppError::validation("template", "choice_unknown"));
            }
            Ok(form)
        }
        None => {
            let mut form = new_form(OrganisationId(institution));
            let (first,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM categories")
                .fetch_one(state.db.pool())
                .await?;
            form.category = first;
            Ok(form)
        }
    }
}

/// Per category, the settings of the institution's latest-edited resource in it.
async fn category_templates(
    state: &AppState,
    institution: i64,
) -> Result<HashMap<i64, ResourceForm>, AppError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT category_id, id FROM resources WHERE institution_id = $1 AND status <> 'retired' \
         ORDER BY updated_at DESC, id DESC",
    )
    .bind(institution)
    .fetch_all(state.db.pool())
    .await?;
    let mut out = HashMap::new();
    for (category, id) in rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(category) {
            slot.insert(load_form(state, ResourceId(id)).await?);
        }
    }
    Ok(out)
}

/// Everything an upload would do with the admin's choices, nothing written.
struct Plan {
    institution: i64,
    file_name: String,
    ledger: Option<(Vec<String>, Vec<Option<LedgerField>>)>,
    rows: Vec<Planned>,
    scope: Option<ScopePlan>,
}

async fn plan_upload(
    state: &AppState,
    actor: Option<&Actor>,
    upload: i64,
    choices: &Choices,
) -> Result<Plan, AppError> {
    let (institution, file_name, upload) = load_upload(state, actor, upload).await?;
    let (skipped, scope_skipped) = choices.skipped();
    let (ledger, rows) = match &upload.ledger {
        Some(sheet) => {
            let mapping = match choices.mapping.as_deref().filter(|m| !m.is_empty()) {
                Some(text) => parse_mapping(text, sheet.headings.len(), LedgerField::parse)
                    .ok_or_else(|| AppError::validation("mapping", "choice_unknown"))?,
                None => guess_all(&sheet.headings),
            };
            let form = template_form(state, institution, choices.template).await?;
            let by_category = match choices.by_category {
                true => Some(category_templates(state, institution).await?),
                false => None,
            };
            let rows = plan(
                state,
                institution,
                sheet,
                &mapping,
                &form,
                by_category.as_ref(),
                &skipped,
            )
            .await?;
            (Some((sheet.headings.clone(), mapping)), rows)
        }
        None => (None, Vec::new()),
    };
    let scope = match &upload.scope {
        Some(sheet) => {
            let mapping = match choices.scope_mapping.as_deref().filter(|m| !m.is_empty()) {
                Some(text) => parse_mapping(text, sheet.headings.len(), ScopeField::parse)
                    .ok_or_else(|| AppError::validation("mapping", "choice_unknown"))?,
                None => guess_scope_all(&sheet.headings),
            };
            Some(plan_scope(state, institution, sheet, &mapping, &rows, &scope_skipped).await?)
        }
        None => None,
    };
    Ok(Plan {
        institution,
        file_name,
        ledger,
        rows,
        scope,
    })
}

/// What importing the upload would do, row by row, with nothing written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn preview(
    state: &AppState,
    actor: Option<&Actor>,
    upload: i64,
    choices: &Choices,
) -> Result<LedgerPreview, AppError> {
    let plan = plan_upload(state, actor, upload, choices).await?;
    let templates: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name_zh FROM resources WHERE institution_id = $1 AND status <> 'retired' ORDER BY name_zh, id",
    )
    .bind(plan.institution)
    .fetch_all(state.db.pool())
    .await?;
    let (headings, mapping) = plan.ledger.unwrap_or_default();
    Ok(LedgerPreview {
        upload,
        institution: plan.institution,
        file_name: plan.file_name,
        headings,
        mapping,
        rows: plan.rows.into_iter().map(|p| p.row).collect(),
        scope: plan.scope.map(|s| s.preview),
        templates,
        template: choices.template,
        by_category: choices.by_category,
        skip: choices.skip.clone().unwrap_or_default(),
    })
}

/// Brings an accreditation entry to the file's dates and standards (titles of the standards it
/// keeps stay).
async fn update_accreditation(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    a: &ValidAccreditation,
) -> Result<(), AppError> {
    sqlx::query("UPDATE accreditations SET valid_from = $1, valid_until = $2 WHERE id = $3")
        .bind(a.valid_from.format("%Y-%m-%d").to_string())
        .bind(a.valid_until.format("%Y-%m-%d").to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let had: Vec<(String,)> =
        sqlx::query_as("SELECT code FROM accreditation_standards WHERE accreditation_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    let gone = had
        .iter()
        .map(|(c,)| c)
        .filter(|c| !a.standards.contains(c));
    let new = a
        .standards
        .iter()
        .filter(|c| !had.iter().any(|(h,)| h == *c));
    for (sql, code) in gone
        .map(|c| {
            (
                "DELETE FROM accreditation_standards WHERE accreditation_id = $1 AND code = $2",
                c,
            )
        })
        .chain(new.map(|c| {
            (
                "INSERT INTO accreditation_standards (accreditation_id, code) VALUES ($1, $2)",
                c,
            )
        }))
    {
        sqlx::query(sql)
            .bind(id)
            .bind(code)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Imports every row not left out (creating and updating resources, then their accreditation
/// entries) in one transaction; a row with a problem stops the whole import and nothing is written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn import(
    state: &AppState,
    actor: Option<&Actor>,
    upload: i64,
    choices: &Choices,
) -> Result<Imported, AppError> {
    let plan = plan_upload(state, actor, upload, choices).await?;
    let actor = may_manage(actor, OrganisationId(plan.institution))?;
    let scope_rows = plan.scope.iter().flat_map(|s| &s.preview.rows);
    if let Some(line) = plan
        .rows
        .iter()
        .map(|p| (p.row.line, p.row.action))
        .chain(scope_rows.map(|r| (r.line, r.action)))
        .find_map(|(line, action)| (action == RowAction::Blocked).then_some(line))
    {
        tracing::info!(line, "ledger import refused: a row has problems");
        return Err(AppError::validation("rows", "ledger_rows_blocked"));
    }
    let now = state.clock.now().timestamp();
    let mut done = Imported::default();
    let mut created: HashMap<usize, i64> = HashMap::new();
    let mut tx = state.db.pool().begin().await?;
    for p in &plan.rows {
        match &p.write {
            Some((id, valid)) => {
                let saved =
                    save_in(&mut tx, OrganisationId(plan.institution), *id, valid, now).await?;
                if id.is_some() {
                    done.updated += 1;
                } else {
                    created.insert(p.row.line, saved);
                    done.created += 1;
                }
            }
            None if p.row.action == RowAction::Skipped => done.skipped += 1,
            None => done.unchanged += 1,
        }
    }
    for entry in plan.scope.iter().flat_map(|s| &s.entries) {
        let resource = match entry.owner {
            Owner::Existing(id) => id,
            Owner::New(line) => *created
                .get(&line)
                .ok_or_else(|| AppError::internal("ledger", "a scope row's instrument vanished"))?,
        };
        match entry.action {
            RowAction::Create => {
                insert_accreditation(&mut tx, resource, &entry.valid).await?;
                done.scopes += 1;
            }
            RowAction::Update(id) => {
                update_accreditation(&mut tx, id, &entry.valid).await?;
                done.scopes += 1;
            }
            _ => {}
        }
    }
    tx.commit().await?;
    tracing::info!(
        upload,
        actor = actor.user.0,
        created = done.created,
        updated = done.updated,
        unchanged = done.unchanged,
        skipped = done.skipped,
        scopes = done.scopes,
        "ledger imported"
    );
    Ok(done)
}

/// The institution's equipment in the ledger's layout (the export, and the import's round trip):
/// the headings, then a row per resource.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ledger_rows(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
    english: bool,
) -> Result<Vec<Vec<String>>, AppError> {
    may_manage(actor, institution)?;
    let categories: HashMap<i64, (String, String)> =
        sqlx::query_as::<_, (i64, String, String)>("SELECT id, name_zh, name_en FROM categories")
            .fetch_all(state.db.pool())
            .await?
            .into_iter()
            .map(|(id, zh, en)| (id, (zh, en)))
            .collect();
    let mut rows = vec![headings(LedgerField::ALL, LedgerField::heading, english)];
    for (id, ..) in existing(state, institution.0).await? {
        let f = load_form(state, ResourceId(id)).await?;
        let category = categories
            .get(&f.category)
            .map(|(zh, en)| if english { en.clone() } else { zh.clone() })
            .unwrap_or_default();
        rows.push(
            LedgerField::ALL
                .iter()
                .map(|field| match field {
                    LedgerField::Id => id.to_string(),
                    LedgerField::Name => f.name_zh.clone(),
                    LedgerField::NameEn => f.name_en.clone(),
                    LedgerField::Kind => f.kind.clone(),
                    LedgerField::Category => category.clone(),
                    LedgerField::Model => f.model.clone(),
                    LedgerField::Manufacturer => f.manufacturer.clone(),
                    LedgerField::SerialNumber => f.serial_number.clone(),
                    LedgerField::PurchaseYear => f.purchase_year.clone(),
                    LedgerField::OriginalValue => f.original_value.clone(),
                    LedgerField::Building => f.building.clone(),
                    LedgerField::Room => f.room.clone(),
                    LedgerField::ContactName => f.contact_name.clone(),
                    LedgerField::ContactPhone => f.contact_phone.clone(),
                    LedgerField::Description => f.description_zh.clone(),
                })
                .collect(),
        );
    }
    Ok(rows)
}

/// The institution's accreditation scopes in the scope table's layout (the export's second
/// sheet): a row per entry, its standards in one cell.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn scope_rows(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
    english: bool,
) -> Result<Vec<Vec<String>>, AppError> {
    may_manage(actor, institution)?;
    let resources = existing(state, institution.0).await?;
    let mut rows = vec![headings(ScopeField::ALL, ScopeField::heading, english)];
    for (_, resource, body, certificate, from, until, standards) in
        entries(state, institution.0).await?
    {
        let Some((_, serial, name)) = resources.iter().find(|(id, ..)| *id == resource) else {
            continue;
        };
        rows.push(
            ScopeField::ALL
                .iter()
                .map(|field| match field {
                    ScopeField::SerialNumber => serial.clone(),
                    ScopeField::Name => name.clone(),
                    ScopeField::Body => body.clone(),
                    ScopeField::Certificate => certificate.clone(),
                    ScopeField::Standards => standards.join("; "),
                    ScopeField::ValidFrom => from.clone(),
                    ScopeField::ValidUntil => until.clone(),
                })
                .collect(),
        );
    }
    Ok(rows)
}

fn headings<F: Copy>(
    fields: &[F],
    heading: impl Fn(F) -> (&'static str, &'static str),
    english: bool,
) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            let (zh, en) = heading(*f);
            if english { en } else { zh }.to_string()
        })
        .collect()
}

/// The template: the headings and one example row.
pub fn template_rows(english: bool) -> Vec<Vec<String>> {
    let headings = headings(LedgerField::ALL, LedgerField::heading, english);
    let example = [
        "",
        "高低温湿热试验箱",
        "Temperature and humidity chamber",
        "instrument",
        if english {
            "Environmental chambers"
        } else {
            "环境试验"
        },
        "SH-641",
        "ESPEC",
        "SN2019-0456",
        "2019",
        "386000.00",
        "A 楼",
        "A-105",
        "王工",
        "0791-88881234",
        "-40 ℃ 至 150 ℃，湿度 20%–98% RH",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    vec![headings, example]
}

/// The scope table's template: the headings and an example of one certificate over two
/// standards of the example instrument.
pub fn scope_template_rows(english: bool) -> Vec<Vec<String>> {
    let example = |standard: &str| {
        [
            "SN2019-0456",
            "高低温湿热试验箱",
            "CMA",
            "241412345678",
            standard,
            "2024-06-01",
            "2030-05-31",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    vec![
        headings(ScopeField::ALL, ScopeField::heading, english),
        example("GB/T 2423.1-2008"),
        example("GB/T 2423.3-2016"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A CSV ledger of arbitrary cells under known headings.
    fn ledger_csv() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::collection::vec("\\PC{0,12}", 0..6), 0..8).prop_map(
            |rows| {
                let mut text = String::from("设备名称,型号,出厂编号,购置日期,原值（万元）\n");
                for row in rows {
                    text.push_str(&row.join(","));
                    text.push('\n');
                }
                text.into_bytes()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Whatever is uploaded, reading it answers (a sheet or a refusal) without panicking, and
        /// a sheet it gives keeps its promises: headings found, every row as wide as them.
        #[test]
        fn reading_anything_never_panics(bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            ledger_csv(),
            // Something that starts like a workbook (a zip) and is not one.
            proptest::collection::vec(any::<u8>(), 0..256).prop_map(|mut b| { let mut z = b"PK\x03\x04".to_vec(); z.append(&mut b); z }),
        ]) {
            if let Ok(upload) = read(&bytes) {
                prop_assert!(upload.ledger.is_some() || upload.scope.is_some());
                if let Some(sheet) = &upload.ledger {
                    prop_assert!(sheet.headings.iter().filter(|h| guess(h).is_some()).count() >= 2);
                }
                if let Some(sheet) = &upload.scope {
                    prop_assert!(is_scope_headings(&sheet.headings));
                }
                for sheet in upload.ledger.iter().chain(&upload.scope) {
                    prop_assert!(sheet.rows.iter().all(|(_, r)| r.len() == sheet.headings.len()));
                    prop_assert!(sheet.rows.iter().flat_map(|(_, r)| r).all(|c| !looks_like_formula(c)));
                }
            }
        }
    }
}
