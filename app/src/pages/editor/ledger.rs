//! The ledger: importing equipment from Excel, WPS or CSV with a preview, and exporting it.

use super::finding_text;
use crate::api::manage::*;
use crate::components::data::page_resource;
use crate::components::error_view::ErrorView;
use crate::components::forms::{action_error, error_text, Submit};

use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Bringing a ledger in from Excel, WPS or CSV, and taking it out: the upload is a plain form (a
/// file travels as multipart), the preview a page of its own.
#[component]
pub(super) fn LedgerPanel(institution: i64) -> impl IntoView {
    let i18n = use_i18n();
    let action = format!("/institution/ledger?institution={institution}");
    let export = move |format: &str| {
        let lang = if i18n.get_locale() == Locale::en {
            "&lang=en"
        } else {
            ""
        };
        format!("/institution/ledger/export?institution={institution}&format={format}{lang}")
    };
    let template = move |format: &str| {
        let lang = if i18n.get_locale() == Locale::en {
            "&lang=en"
        } else {
            ""
        };
        format!("/institution/ledger/template?format={format}{lang}")
    };
    view! {
        <section class="panel" aria-labelledby="h-ledger">
            <h2 id="h-ledger">{t!(i18n, ledger.title)}</h2>
            <p class="muted">{t!(i18n, ledger.intro)}</p>
            <form method="post" action=action enctype="multipart/form-data" class="form form--inline">
                <div class="field">
                    <label for="ledger-file">{t!(i18n, ledger.file)}</label>
                    <input id="ledger-file" name="file" type="file" required accept=".xlsx,.xls,.ods,.csv,.txt" />
                </div>
                <div class="form__actions"><button type="submit" class="button button--primary">{t!(i18n, ledger.upload)}</button></div>
            </form>
            <p>
                {t!(i18n, ledger.template)}": "
                <a href=move || template("xlsx") rel="external" download="">"XLSX"</a>" · "
                <a href=move || template("csv") rel="external" download="">"CSV"</a>
                " — "{t!(i18n, ledger.export)}": "
                <a href=move || export("xlsx") rel="external" download="" data-testid="ledger-export">"XLSX"</a>" · "
                <a href=move || export("csv") rel="external" download="">"CSV"</a>
            </p>
        </section>
    }
}

/// `/institution/resources/import?upload=ID`: what the import will do, row by row, with the
/// columns' meaning changeable and rows that can be left out; then the import, all rows or none.
#[component]
pub fn LedgerImportPage() -> impl IntoView {
    use crate::domain::ledger::{mapping_text, Choices, LedgerField, ScopeField};
    let i18n = use_i18n();
    let q = use_query_map();
    let upload = move || q.get().get("upload").and_then(|v| v.parse::<i64>().ok());
    // The mapping form sends one select per column: c0, c1, … (ledger) and s0, s1, … (scope).
    fn columns<F: Copy>(
        q: &leptos_router::params::ParamsMap,
        prefix: &str,
        parse: fn(&str) -> Option<F>,
        name: fn(F) -> &'static str,
    ) -> Option<String> {
        let mut columns = Vec::new();
        while let Some(v) = q.get(&format!("{prefix}{}", columns.len())) {
            columns.push(parse(&v));
        }
        (!columns.is_empty()).then(|| mapping_text(&columns, name))
    }
    let choices = move || {
        let q = q.get();
        Choices {
            mapping: columns(&q, "c", LedgerField::parse, LedgerField::as_str),
            scope_mapping: columns(&q, "s", ScopeField::parse, ScopeField::as_str),
            template: q.get("template").and_then(|v| v.parse::<i64>().ok()),
            by_category: q.get("template").as_deref() == Some("category"),
            skip: q
                .get_all("skip")
                .map(|lines| lines.join(","))
                .filter(|s| !s.is_empty()),
        }
    };
    let error = move || q.get().get("error");
    let preview = page_resource(
        move || (upload(), choices()),
        |(upload, c)| async move {
            match upload {
                Some(upload) => ledger_preview(
                    upload,
                    c.mapping,
                    c.scope_mapping,
                    c.template,
                    Some(c.by_category),
                    c.skip,
                )
                .await
                .map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Title text=t_string!(i18n, ledger.preview_title).to_string() />
        <h1>{t!(i18n, ledger.preview_title)}</h1>
        <crate::pages::booking::InstitutionTabs />
        {move || error().map(|key| view! {
            <div class="notice notice--error" role="alert" data-testid="ledger-error">
                <p>{crate::components::forms::validation_text(i18n, &key)}</p>
                <p><a href="/institution/resources">{t!(i18n, ledger.back)}</a></p>
            </div>
        })}
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(Some(p)) => view! { <LedgerPreviewView p /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

pub(super) fn heading_label(
    i18n: leptos_i18n::I18nContext<Locale>,
    (zh, en): (&'static str, &'static str),
) -> &'static str {
    if i18n.get_locale() == Locale::en {
        en
    } else {
        zh
    }
}

pub(super) fn action_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    action: crate::domain::ledger::RowAction,
) -> String {
    use crate::domain::ledger::RowAction;
    match action {
        RowAction::Create => t_string!(i18n, ledger.create),
        RowAction::Update(_) => t_string!(i18n, ledger.update),
        RowAction::Unchanged(_) => t_string!(i18n, ledger.unchanged),
        RowAction::Blocked => t_string!(i18n, ledger.blocked),
        RowAction::Skipped => t_string!(i18n, ledger.skipped),
    }
    .to_string()
}

/// The selects that say which field each column holds (part of the preview's GET form).
pub(super) fn mapping_selects<F: Copy + PartialEq + Send + Sync + 'static>(
    i18n: leptos_i18n::I18nContext<Locale>,
    prefix: &'static str,
    headings: &[String],
    mapping: &[Option<F>],
    all: &'static [F],
    name: fn(F) -> &'static str,
    heading: fn(F) -> (&'static str, &'static str),
) -> impl IntoView {
    headings.iter().enumerate().map(|(i, h)| {
        let chosen = mapping.get(i).copied().flatten();
        view! {
            <div class="field">
                <label for=format!("map-{prefix}{i}")>{if h.is_empty() { format!("#{}", i + 1) } else { h.clone() }}</label>
                <select id=format!("map-{prefix}{i}") name=format!("{prefix}{i}")>
                    <option value="-" selected=chosen.is_none()>{t!(i18n, ledger.ignore)}</option>
                    {all.iter().map(|f| view! {
                        <option value=name(*f) selected=chosen == Some(*f)>{move || heading_label(i18n, heading(*f))}</option>
                    }).collect_view()}
                </select>
            </div>
        }
    }).collect_view()
}

/// A table of rows with their findings per cell, what will happen, and a box to leave each out.
/// `skip_prefix` is "" for the ledger's lines and "s" for the scope table's.
type TableRow = (
    usize,
    Vec<String>,
    crate::domain::ledger::RowAction,
    Vec<crate::domain::ledger::Finding>,
    Option<String>,
);

pub(super) fn preview_table(
    i18n: leptos_i18n::I18nContext<Locale>,
    testid: &'static str,
    skip_prefix: &'static str,
    headings: &[String],
    extra: Option<String>,
    rows: Vec<TableRow>,
) -> impl IntoView {
    use crate::domain::ledger::RowAction;
    let columns = headings.len();
    let has_extra = extra.is_some();
    view! {
        <div class="table-wrap" tabindex="0"><table class="table" data-testid=testid>
            <thead><tr>
                <th scope="col">{t!(i18n, ledger.line)}</th>
                {headings.iter().map(|h| view! { <th scope="col">{h.clone()}</th> }).collect_view()}
                {extra.map(|e| view! { <th scope="col">{e}</th> })}
                <th scope="col">{t!(i18n, ledger.action)}</th>
                <th scope="col">{t!(i18n, ledger.skip)}</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|(line, cells, action, findings, resource)| {
                    let skip_value = format!("{skip_prefix}{line}");
                    let skip_id = format!("skip-{skip_prefix}{line}");
                    view! {
                        <tr data-line=line data-action=action.as_str()>
                            <th scope="row">{line}</th>
                            {(0..columns).map(|c| {
                                let cell = cells.get(c).cloned().unwrap_or_default();
                                let here: Vec<_> = findings.iter().filter(|f| f.column == Some(c)).cloned().collect();
                                let class = if here.iter().any(|f| f.blocking) { "cell--problem" } else if here.is_empty() { "" } else { "cell--warning" };
                                view! {
                                    <td class=class>
                                        {cell}
                                        {here.into_iter().map(|f| view! { <span class="cell__finding">{move || finding_text(i18n, &f.key)}</span> }).collect_view()}
                                    </td>
                                }
                            }).collect_view()}
                            {has_extra.then(|| view! { <td>{resource.clone().unwrap_or_default()}</td> })}
                            <td>
                                {move || action_text(i18n, action)}
                                {findings.iter().filter(|f| f.column.is_none()).map(|f| {
                                    let key = f.key.clone();
                                    view! { <span class="cell__finding">{move || finding_text(i18n, &key)}</span> }
                                }).collect_view()}
                            </td>
                            <td>
                                <input type="checkbox" form="ledger-choices" name="skip" id=skip_id.clone() value=skip_value checked=action == RowAction::Skipped />
                                <label for=skip_id class="visually-hidden">{move || t_string!(i18n, ledger.skip_line, line = line).to_string()}</label>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
pub(super) fn LedgerPreviewView(p: crate::domain::ledger::LedgerPreview) -> impl IntoView {
    use crate::domain::ledger::{counts, mapping_text, LedgerField, ScopeField};
    let i18n = use_i18n();
    let import = ServerAction::<LedgerImport>::new();
    let error = action_error(import);
    let [created, updated, unchanged, blocked, skipped] = counts(p.rows.iter().map(|r| r.action));
    let has_ledger = !p.headings.is_empty();
    let mapping_value = has_ledger.then(|| mapping_text(&p.mapping, LedgerField::as_str));
    let scope_mapping_value = p
        .scope
        .as_ref()
        .map(|s| mapping_text(&s.mapping, ScopeField::as_str));
    let scope_counts = p
        .scope
        .as_ref()
        .map(|s| counts(s.rows.iter().map(|r| r.action)));
    let writes = created + updated + scope_counts.map_or(0, |c| c[0] + c[1]);
    let skip = p.skip.clone();
    let ledger_rows = p
        .rows
        .into_iter()
        .map(|r| (r.line, r.cells, r.action, r.findings, None))
        .collect();
    view! {
        <p class="lead">{p.file_name.clone()}</p>
        {has_ledger.then(|| view! {
            <p data-testid="ledger-counts">{t!(i18n, ledger.counts, created = created, updated = updated, unchanged = unchanged, blocked = blocked, skipped = skipped)}</p>
        })}
        {scope_counts.map(|[c, u, n, b, s]| view! {
            <p data-testid="scope-counts">{t!(i18n, ledger.scope_counts, created = c, updated = u, unchanged = n, blocked = b, skipped = s)}</p>
        })}
        <form method="get" action="/institution/resources/import" class="panel panel--wide" id="ledger-choices" data-testid="ledger-mapping">
            <h2>{t!(i18n, ledger.mapping)}</h2>
            <p class="muted">{t!(i18n, ledger.mapping_hint)}</p>
            <input type="hidden" name="upload" value=p.upload />
            {has_ledger.then(|| view! {
                <div class="ledger-mapping">
                    {mapping_selects(i18n, "c", &p.headings, &p.mapping, LedgerField::ALL, LedgerField::as_str, LedgerField::heading)}
                </div>
                <div class="field">
                    <label for="ledger-template">{t!(i18n, ledger.template_resource)}</label>
                    <select id="ledger-template" name="template">
                        <option value="" selected=p.template.is_none() && !p.by_category>{t!(i18n, ledger.template_default)}</option>
                        <option value="category" selected=p.by_category>{t!(i18n, ledger.template_category)}</option>
                        {p.templates.iter().map(|(id, name)| view! {
                            <option value=*id selected=p.template == Some(*id)>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
            })}
            {p.scope.as_ref().map(|s| view! {
                <h3>{t!(i18n, ledger.scope_mapping)}</h3>
                <div class="ledger-mapping" data-testid="scope-mapping">
                    {mapping_selects(i18n, "s", &s.headings, &s.mapping, ScopeField::ALL, ScopeField::as_str, ScopeField::heading)}
                </div>
            })}
            <div class="form__actions"><button type="submit" class="button">{t!(i18n, ledger.refresh)}</button></div>
        </form>
        {has_ledger.then(|| preview_table(i18n, "ledger-rows", "", &p.headings, None, ledger_rows))}
        {p.scope.map(|s| {
            let rows = s.rows.into_iter().map(|r| (r.line, r.cells, r.action, r.findings, r.resource)).collect();
            view! {
                <h2>{t!(i18n, ledger.scope_title)}</h2>
                <p class="muted">{t!(i18n, ledger.scope_hint)}</p>
                {preview_table(i18n, "scope-rows", "s", &s.headings, Some(t_string!(i18n, ledger.scope_resource).to_string()), rows)}
            }
        })}
        <ActionForm action=import attr:class="form">
            <div class="notice notice--error" role="alert" hidden=move || error.get().is_none()>
                <p>{move || error.get().map(|e| error_text(i18n, &e))}</p>
            </div>
            <input type="hidden" name="upload" value=p.upload />
            {mapping_value.map(|m| view! { <input type="hidden" name="mapping" value=m /> })}
            {scope_mapping_value.map(|m| view! { <input type="hidden" name="scope_mapping" value=m /> })}
            {p.template.map(|t| view! { <input type="hidden" name="template" value=t /> })}
            {p.by_category.then(|| view! { <input type="hidden" name="by_category" value="true" /> })}
            {(!skip.is_empty()).then(|| view! { <input type="hidden" name="skip" value=skip.clone() /> })}
            <p class="muted">{t!(i18n, ledger.all_or_nothing)}</p>
            <div class="form__actions">
                <Submit label=Signal::derive(move || t_string!(i18n, ledger.import, count = writes).to_string()) pending=import.pending() />
            </div>
        </ActionForm>
    }
}
