//! Equipment ledgers from Excel, WPS or CSV: the file is read and checked (size, zip bombs,
//! width, length, formulas), kept as an upload, previewed row by row with the editor's own checks,
//! then imported in one transaction — or nothing. Matching by the export's id column, then by
//! serial number, makes importing the same file twice change nothing.

use super::editor::{load_form, new_form, save_in};
use super::resources::may_manage;
use super::AppState;
use crate::domain::account::Actor;
use crate::domain::editor::{ResourceForm, ValidResource};
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

fn refuse(key: &str) -> AppError {
    AppError::validation("file", key)
}

/// Reads an uploaded ledger: XLSX/XLS/ODS (Excel, WPS) or CSV in UTF-8 (with or without BOM) or
/// GB18030. Refuses what is not a spreadsheet, too big, too wide or long, or has formulas.
pub fn read(bytes: &[u8]) -> Result<Sheet, AppError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refuse("ledger_too_large"));
    }
    let grid = if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        read_workbook(bytes)?
    } else {
        read_csv(bytes)?
    };
    let sheet = sheet_of(grid)?;
    if sheet.rows.len() > MAX_ROWS {
        return Err(refuse("ledger_too_long"));
    }
    Ok(sheet)
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, AppError> {
    use calamine::{Data, Reader};
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
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| refuse("ledger_empty"))?;
    if let Ok(formulas) = workbook.worksheet_formula(&name) {
        if formulas.used_cells().any(|(_, _, f)| !f.trim().is_empty()) {
            return Err(refuse("ledger_formulas"));
        }
    }
    let range = workbook
        .worksheet_range(&name)
        .map_err(|_| refuse("ledger_unreadable"))?;
    if range.width() > MAX_COLUMNS {
        return Err(refuse("ledger_too_wide"));
    }
    if range.height() > MAX_ROWS + HEADING_SEARCH_ROWS + 1 {
        return Err(refuse("ledger_too_long"));
    }
    let text = |cell: &Data| match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(_) => String::new(),
    };
    Ok(range
        .rows()
        .map(|row| row.iter().map(text).collect())
        .collect())
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

/// Finds the heading row (the first of the top rows in which two or more headings are known) and
/// takes the non-empty rows under it.
fn sheet_of(grid: Vec<Vec<String>>) -> Result<Sheet, AppError> {
    let heading_row = grid
        .iter()
        .take(HEADING_SEARCH_ROWS)
        .position(|row| row.iter().filter(|c| guess(c).is_some()).count() >= 2)
        .ok_or_else(|| refuse("ledger_no_headings"))?;
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
    Ok(Sheet { headings, rows })
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

/// The institution's resources by id, with serial numbers.
async fn existing(state: &AppState, institution: i64) -> Result<Vec<(i64, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, serial_number FROM resources WHERE institution_id = $1 AND status <> 'retired' ORDER BY id",
    )
    .bind(institution)
    .fetch_all(state.db.pool())
    .await?)
}

/// One row checked: what will happen, its findings, and the checked resource to write.
struct Planned {
    row: PreviewRow,
    write: Option<(Option<i64>, ValidResource)>,
}

async fn plan(
    state: &AppState,
    institution: i64,
    sheet: &Sheet,
    mapping: &[Option<LedgerField>],
    template: &ResourceForm,
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
        let mut findings = Vec::new();
        let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(|s| s.trim()).unwrap_or("");
        // Which resource it is: the export's id column first, then the serial number.
        let mut target = None;
        if let Some(raw) = Some(cell(id_column)).filter(|s| !s.is_empty()) {
            match raw
                .parse::<i64>()
                .ok()
                .filter(|id| existing.iter().any(|(e, _)| e == id))
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
        let serial = cell(serial_column).to_string();
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
                    .find(|(_, s)| *s == serial)
                    .map(|(id, _)| *id);
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
            None => (
                ResourceForm {
                    id: None,
                    institution,
                    ..template.clone()
                },
                None,
            ),
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
        });
    }
    Ok(out)
}

/// Keeps an uploaded ledger for its preview and import (a day at most).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn store_upload(
    state: &AppState,
    actor: Option<&Actor>,
    institution: OrganisationId,
    file_name: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let actor = may_manage(actor, institution)?;
    let sheet = read(bytes)?;
    let json = serde_json::to_string(&sheet).map_err(|e| AppError::internal("ledger", e))?;
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
    tracing::info!(upload = id, rows = sheet.rows.len(), "ledger uploaded");
    Ok(id)
}

async fn load_upload(
    state: &AppState,
    actor: Option<&Actor>,
    upload: i64,
) -> Result<(i64, String, Sheet), AppError> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT institution_id, file_name, sheet FROM ledger_uploads WHERE id = $1")
            .bind(upload)
            .fetch_optional(state.db.pool())
            .await?;
    let (institution, name, json) = row.ok_or(AppError::NotFound)?;
    // Someone else's upload is as good as absent.
    may_manage(actor, OrganisationId(institution)).map_err(|_| AppError::NotFound)?;
    let sheet = serde_json::from_str(&json).map_err(|e| AppError::internal("ledger", e))?;
    Ok((institution, name, sheet))
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

fn mapping_of(sheet: &Sheet, mapping: Option<&str>) -> Result<Vec<Option<LedgerField>>, AppError> {
    match mapping.filter(|m| !m.is_empty()) {
        Some(text) => parse_mapping(text, sheet.headings.len())
            .ok_or_else(|| AppError::validation("mapping", "choice_unknown")),
        None => Ok(guess_all(&sheet.headings)),
    }
}

/// What importing the upload would do, row by row, with nothing written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn preview(
    state: &AppState,
    actor: Option<&Actor>,
    upload: i64,
    mapping: Option<&str>,
    template: Option<i64>,
) -> Result<LedgerPreview, AppError> {
    let (institution, file_name, sheet) = load_upload(state, actor, upload).await?;
    let mapping = mapping_of(&sheet, mapping)?;
    let form = template_form(state, institution, template).await?;
    let planned = plan(state, institution, &sheet, &mapping, &form).await?;
    let templates: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name_zh FROM resources WHERE institution_id = $1 AND status <> 'retired' ORDER BY name_zh, id",
    )
    .bind(institution)
    .fetch_all(state.db.pool())
    .await?;
    Ok(LedgerPreview {
        upload,
        institution,
        file_name,
        headings: sheet.headings.clone(),
        mapping,
        rows: planned.into_iter().map(|p| p.row).collect(),
        accreditation_rows: 0,
        accreditation_findings: Vec::new(),
        templates,
        template,
    })
}

/// Imports every row that can be (creating and updating), in one transaction; a row with a
/// problem stops the whole import and nothing is written. Returns (created, updated, unchanged).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn import(
    state: &AppState,
    actor: Option<&Actor>,
    upload: i64,
    mapping: Option<&str>,
    template: Option<i64>,
) -> Result<(usize, usize, usize), AppError> {
    let (institution, _, sheet) = load_upload(state, actor, upload).await?;
    let actor = may_manage(actor, OrganisationId(institution))?;
    let mapping = mapping_of(&sheet, mapping)?;
    let form = template_form(state, institution, template).await?;
    let planned = plan(state, institution, &sheet, &mapping, &form).await?;
    if let Some(blocked) = planned.iter().find(|p| p.row.action == RowAction::Blocked) {
        tracing::info!(
            line = blocked.row.line,
            "ledger import refused: a row has problems"
        );
        return Err(AppError::validation("rows", "ledger_rows_blocked"));
    }
    let now = state.clock.now().timestamp();
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    let mut tx = state.db.pool().begin().await?;
    for p in &planned {
        match &p.write {
            Some((id, valid)) => {
                save_in(&mut tx, OrganisationId(institution), *id, valid, now).await?;
                if id.is_some() {
                    updated += 1;
                } else {
                    created += 1;
                }
            }
            None => unchanged += 1,
        }
    }
    tx.commit().await?;
    tracing::info!(
        upload,
        actor = actor.user.0,
        created,
        updated,
        unchanged,
        "ledger imported"
    );
    Ok((created, updated, unchanged))
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
    let mut rows = vec![LedgerField::ALL
        .iter()
        .map(|f| {
            if english {
                f.heading().1
            } else {
                f.heading().0
            }
            .to_string()
        })
        .collect::<Vec<_>>()];
    for (id, _) in existing(state, institution.0).await? {
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

/// The template: the headings and one example row.
pub fn template_rows(english: bool) -> Vec<Vec<String>> {
    let headings = LedgerField::ALL
        .iter()
        .map(|f| {
            if english {
                f.heading().1
            } else {
                f.heading().0
            }
            .to_string()
        })
        .collect();
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
            if let Ok(sheet) = read(&bytes) {
                prop_assert!(sheet.headings.iter().filter(|h| guess(h).is_some()).count() >= 2);
                prop_assert!(sheet.rows.iter().all(|(_, r)| r.len() == sheet.headings.len()));
                prop_assert!(sheet.rows.iter().flat_map(|(_, r)| r).all(|c| !looks_like_formula(c)));
            }
        }
    }
}
