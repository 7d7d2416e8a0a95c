//! `bench ledger [--rows N]`: an institution's ledger of N instruments (2,000 by default) as an
//! XLSX file, read, previewed and imported through the backend, then imported again (which must
//! change nothing). Prints the time of each step. Needs a zone (`bench generate` first).

use app::backend::AppState;
use app::domain::account::{Actor, Language, Membership, OrganisationKind, Role};
use app::domain::ids::{OrganisationId, UserId};
use app::domain::vocabulary::Bilingual;
use std::time::Instant;

pub async fn run(state: &AppState, args: &[String]) -> anyhow::Result<()> {
    let rows: usize = super::stats::option(args, "--rows", 2_000)?;
    let (institution, user): (i64, i64) = sqlx::query_as(
        "SELECT o.id, (SELECT MIN(u.id) FROM users u) FROM organisations o WHERE o.kind = 'institution' ORDER BY o.id LIMIT 1",
    )
    .fetch_one(state.db.pool())
    .await
    .map_err(|e| anyhow::anyhow!("no institution (run `bench generate` first): {e}"))?;
    let categories: Vec<(String,)> = sqlx::query_as("SELECT name_zh FROM categories ORDER BY id")
        .fetch_all(state.db.pool())
        .await?;
    let admin = Actor {
        user: UserId(user),
        name: "bench".into(),
        email: "bench@example.invalid".into(),
        language: Language::ZhCn,
        organisation: OrganisationId(institution),
        organisation_name: Bilingual::default(),
        organisation_kind: OrganisationKind::Institution,
        zone: None,
        membership: Membership::Confirmed,
        roles: vec![Role::InstitutionAdmin(OrganisationId(institution))],
    };

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headings = [
        "设备名称",
        "型号",
        "生产厂家",
        "出厂编号",
        "购置年份",
        "原值（元）",
        "存放地点",
        "分类",
    ];
    for (c, h) in headings.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for r in 0..rows {
        let line = r as u32 + 1;
        sheet.write_string(line, 0, format!("台账导入测试仪器 {r:05}"))?;
        sheet.write_string(line, 1, format!("LB-{}", r % 97))?;
        sheet.write_string(line, 2, "测试仪器厂")?;
        sheet.write_string(line, 3, format!("BENCH-{r:06}"))?;
        sheet.write_number(line, 4, (2010 + r % 15) as f64)?;
        sheet.write_number(line, 5, 50_000.0 + (r * 137 % 900_000) as f64)?;
        sheet.write_string(line, 6, format!("{} 楼", ["A", "B", "C"][r % 3]))?;
        sheet.write_string(line, 7, &categories[r % categories.len()].0)?;
    }
    let bytes = book.save_to_buffer()?;
    println!("ledger of {rows} rows: {} KiB XLSX", bytes.len() / 1024);

    for round in ["first import", "same file again"] {
        let started = Instant::now();
        let upload = app::backend::ledger::store_upload(
            state,
            Some(&admin),
            OrganisationId(institution),
            "bench.xlsx",
            &bytes,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let read = started.elapsed();
        let preview =
            app::backend::ledger::preview(state, Some(&admin), upload, &Default::default())
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let previewed = started.elapsed();
        let imported =
            app::backend::ledger::import(state, Some(&admin), upload, &Default::default())
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let done = started.elapsed();
        println!(
            "{round}: read and kept {:.2} s, preview {:.2} s ({} rows), import {:.2} s — {} created, {} updated, {} unchanged; {:.2} s in all",
            read.as_secs_f64(),
            (previewed - read).as_secs_f64(),
            preview.rows.len(),
            (done - previewed).as_secs_f64(),
            imported.created,
            imported.updated,
            imported.unchanged,
            done.as_secs_f64()
        );
    }
    Ok(())
}
