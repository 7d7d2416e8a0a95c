//! Institutions' equipment pages: their own list with accreditation warnings, and the editor for
//! a resource (description, rules, hours, rates; accreditation and blackouts once it exists).
//! Plain forms: they work before and without the wasm; the server checks every field.

use crate::api::manage::*;
use crate::components::badges::{body_label, kind_label, standing_label, StatusBadge};
use crate::components::error_view::{ErrorView, Loaded};
use crate::components::format::moment;
use crate::components::forms::{
    action_error, error_text, Done, Field, FieldMessage, FormError, Submit,
};

use crate::domain::catalogue::{
    AccreditationBody, Audience, BlackoutKind, CustomerCategory, ResourceKind,
};
use crate::domain::editor::{InstitutionResources, ResourceEditor, ResourceForm};
use crate::error::AppError;
use crate::i18n::*;
use chrono::{DateTime, FixedOffset};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

macro_rules! tr {
    ($i18n:ident, $($key:tt)+) => {
        Signal::derive(move || t_string!($i18n, $($key)+).to_string())
    };
}

fn blackout_label(i18n: leptos_i18n::I18nContext<Locale>, kind: BlackoutKind) -> &'static str {
    match kind {
        BlackoutKind::Maintenance => t_string!(i18n, blackout.maintenance),
        BlackoutKind::Calibration => t_string!(i18n, blackout.calibration),
        BlackoutKind::Internal => t_string!(i18n, blackout.internal),
    }
}

fn audience_label(i18n: leptos_i18n::I18nContext<Locale>, audience: Audience) -> &'static str {
    match audience {
        Audience::Everyone => t_string!(i18n, audience.everyone),
        Audience::Zone => t_string!(i18n, audience.zone),
        Audience::Institution => t_string!(i18n, audience.institution),
    }
}

/// `/institution/resources`: the institution's equipment, every status, with what needs doing.
#[component]
pub fn MyResourcesPage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let institution = move || {
        q.get()
            .get("institution")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let data = Resource::new(institution, list_institution_resources);
    view! {
        <Title text=t_string!(i18n, editor.my_title).to_string() />
        <h1>{t!(i18n, editor.my_title)}</h1>
        <crate::pages::booking::InstitutionTabs />
        <p class="lead">{t!(i18n, editor.my_intro)}</p>
        <Loaded resource=data view=move |list| view! { <ResourceList list /> } />
    }
}

#[component]
fn ResourceList(list: InstitutionResources) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let new_href = format!(
        "/institution/resources/new?institution={}",
        list.institution.id
    );
    let warnings = list.warnings;
    let institution = list.institution.id;
    let q = use_query_map();
    let imported = move || {
        q.get()
            .get("imported")
            .and_then(|v| crate::domain::ledger::Imported::from_query(&v))
    };
    view! {
        {move || imported().map(|d| view! {
            <Done><p data-testid="imported">{t!(i18n, ledger.imported, created = d.created, updated = d.updated, unchanged = d.unchanged, skipped = d.skipped, scopes = d.scopes)}</p></Done>
        })}
        <p><a class="button button--primary" href=new_href data-testid="add-resource">{t!(i18n, editor.add)}</a></p>
        <LedgerPanel institution=institution.0 />
        {(!warnings.is_empty()).then(|| view! {
            <section class="notice notice--warning" aria-labelledby="h-warnings">
                <h2 id="h-warnings">{t!(i18n, editor.warnings)}</h2>
                <ul>
                    {warnings.into_iter().map(|w| {
                        let date = w.valid_until.format("%Y-%m-%d").to_string();
                        let name = w.name.clone();
                        view! {
                            <li>
                                <a href=format!("/resources/{}/edit", w.resource)>{move || name.pick(english()).to_string()}</a>
                                " · "{move || body_label(i18n, w.body)}" "{w.certificate_number.clone()}" · "
                                {if w.expired {
                                    view! { <strong>{t!(i18n, editor.warning_expired, date = date.clone())}</strong> }.into_any()
                                } else {
                                    view! { <span>{t!(i18n, editor.warning_expiring, date = date.clone())}</span> }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })}
        {if list.resources.is_empty() {
            view! { <p class="muted">{t!(i18n, editor.none)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" tabindex="0"><table class="table" data-testid="my-resources">
                    <thead><tr>
                        <th scope="col">{t!(i18n, editor.name_zh)}</th>
                        <th scope="col">{t!(i18n, editor.category)}</th>
                        <th scope="col">{t!(i18n, catalogue.status)}</th>
                        <th scope="col"><span class="visually-hidden">{t!(i18n, editor.edit)}</span></th>
                    </tr></thead>
                    <tbody>
                        {list.resources.into_iter().map(|r| {
                            let (name, category) = (r.name.clone(), r.category.name.clone());
                            view! {
                                <tr>
                                    <td><a href=format!("/resources/{}", r.id)>{move || name.pick(english()).to_string()}</a></td>
                                    <td>{move || kind_label(i18n, r.kind)}" · "{move || category.pick(english()).to_string()}</td>
                                    <td><StatusBadge status=r.status /></td>
                                    <td><a href=format!("/resources/{}/edit", r.id)>{t!(i18n, editor.edit)}</a></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
    }
}

/// Bringing a ledger in from Excel, WPS or CSV, and taking it out: the upload is a plain form (a
/// file travels as multipart), the preview a page of its own.
#[component]
fn LedgerPanel(institution: i64) -> impl IntoView {
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
    let preview = Resource::new(
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

fn heading_label(
    i18n: leptos_i18n::I18nContext<Locale>,
    (zh, en): (&'static str, &'static str),
) -> &'static str {
    if i18n.get_locale() == Locale::en {
        en
    } else {
        zh
    }
}

/// A finding in words: the editor's refusals and the ledger's own.
fn finding_text(i18n: leptos_i18n::I18nContext<Locale>, key: &str) -> String {
    match key.split_once(':') {
        Some(("serial_duplicate", line)) => {
            t_string!(i18n, ledger.serial_duplicate, line = line.to_string()).to_string()
        }
        _ => crate::components::forms::validation_text(i18n, key),
    }
}

fn action_text(
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
fn mapping_selects<F: Copy + PartialEq + Send + Sync + 'static>(
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

fn preview_table(
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
fn LedgerPreviewView(p: crate::domain::ledger::LedgerPreview) -> impl IntoView {
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

/// `/institution/resources/new`: a new resource.
#[component]
pub fn NewResourcePage() -> impl IntoView {
    let q = use_query_map();
    let institution = move || {
        q.get()
            .get("institution")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let data = Resource::new(institution, |institution| {
        get_resource_editor(None, institution)
    });
    view! { <EditorPage data /> }
}

/// `/resources/:id/edit`: an existing resource.
#[component]
pub fn EditResourcePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").and_then(|v| v.parse::<i64>().ok());
    let accreditation = ServerAction::<AddAccreditation>::new();
    let remove_accreditation = ServerAction::<RemoveAccreditation>::new();
    let blackout = ServerAction::<AddBlackout>::new();
    let remove_blackout = ServerAction::<RemoveBlackout>::new();
    let remove_photo = ServerAction::<RemovePhoto>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                accreditation.version().get(),
                remove_accreditation.version().get(),
                blackout.version().get(),
                remove_blackout.version().get(),
                remove_photo.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_resource_editor(Some(id), None).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    provide_context(EditActions {
        accreditation,
        remove_accreditation,
        blackout,
        remove_blackout,
        remove_photo,
    });
    view! { <EditorPage data /> }
}

#[derive(Clone, Copy)]
struct EditActions {
    accreditation: ServerAction<AddAccreditation>,
    remove_accreditation: ServerAction<RemoveAccreditation>,
    blackout: ServerAction<AddBlackout>,
    remove_blackout: ServerAction<RemoveBlackout>,
    remove_photo: ServerAction<RemovePhoto>,
}

#[component]
fn EditorPage(data: Resource<Result<ResourceEditor, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let saved = move || q.get().get("saved").is_some();
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(editor) => {
                        let existing = editor.form.id;
                        view! {
                            <Title text=if existing.is_some() { t_string!(i18n, editor.title_edit) } else { t_string!(i18n, editor.title_new) }.to_string() />
                            <h1>{move || if existing.is_some() { t_string!(i18n, editor.title_edit) } else { t_string!(i18n, editor.title_new) }}</h1>
                            {existing.map(|id| view! { <p><a href=format!("/resources/{id}")>{t!(i18n, editor.view)}</a></p> })}
                            {saved().then(|| view! { <Done>{t!(i18n, editor.saved)}</Done> })}
                            <p class="lead">{t!(i18n, editor.intro)}</p>
                            <EditorForm editor=editor.clone() />
                            {existing.map(|id| view! {
                                <PhotoSection id editor=editor.clone() />
                                <AccreditationSection id editor=editor.clone() />
                                <BlackoutSection id editor=editor.clone() />
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A labelled `<select>` in the `form` struct.
#[component]
fn Choice(
    name: &'static str,
    label: Signal<String>,
    options: Vec<(String, Signal<String>)>,
    selected: String,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let selected =
        crate::components::forms::kept_value(&format!("form[{name}]")).unwrap_or(selected);
    view! {
        <div class="field">
            <label for=id.clone()>{move || label.get()}</label>
            <select id=id name=format!("form[{name}]")>
                {options.into_iter().map(|(value, text)| {
                    let chosen = value == selected;
                    view! { <option value=value selected=chosen>{move || text.get()}</option> }
                }).collect_view()}
            </select>
            <FieldMessage name error />
        </div>
    }
}

/// A labelled `<textarea>` in the `form` struct.
#[component]
fn Text(
    name: &'static str,
    label: Signal<String>,
    value: String,
    #[prop(optional, into)] hint: Option<Signal<String>>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let value = crate::components::forms::kept_value(&format!("form[{name}]")).unwrap_or(value);
    view! {
        <div class="field field--wide">
            <label for=id.clone()>{move || label.get()}</label>
            <textarea id=id name=format!("form[{name}]") rows="4">{crate::components::forms::rcdata(&value)}</textarea>
            {hint.map(|h| view! { <p class="field__hint">{move || h.get()}</p> })}
            <FieldMessage name error />
        </div>
    }
}

#[component]
fn EditorForm(editor: ResourceEditor) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveResource>::new();
    let error = action_error(save);
    let f = editor.form.clone();
    view! {
        <ActionForm action=save attr:class="form form--editor" attr:novalidate="" attr:data-testid="resource-form">
            <FormError error fields=FIELDS />
            {f.id.map(|id| view! { <input type="hidden" name="form[id]" value=id /> })}
            <BasicsSection editor=editor.clone() error />
            <RulesSection f=f.clone() error />
            <HoursSection f=f.clone() error />
            <RatesSection f error />
            <div class="form__actions"><Submit label=tr!(i18n, editor.save) pending=save.pending() /></div>
        </ActionForm>
    }
}

/// Every field the editor shows its own message beside.
const FIELDS: &[&str] = &[
    "kind",
    "category",
    "name_zh",
    "name_en",
    "model",
    "manufacturer",
    "serial_number",
    "purchase_year",
    "original_value",
    "building",
    "room",
    "description_zh",
    "description_en",
    "specifications",
    "contact_name",
    "contact_phone",
    "slot_minutes",
    "min_duration_minutes",
    "max_duration_minutes",
    "min_notice_hours",
    "max_notice_days",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "cancel_cutoff_hours",
    "person_active_limit",
    "person_week_hours",
    "organisation_active_limit",
    "organisation_week_hours",
    "audience",
    "hours_1",
    "hours_2",
    "hours_3",
    "hours_4",
    "hours_5",
    "hours_6",
    "hours_7",
    "closed_days",
    "rate_own",
    "rate_zone",
    "rate_external",
    "rate_sme",
    "minimum_own",
    "minimum_zone",
    "minimum_external",
    "minimum_sme",
];

#[component]
fn BasicsSection(editor: ResourceEditor, error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let f = editor.form;
    let kinds = ResourceKind::ALL
        .iter()
        .map(|k| {
            let k = *k;
            (
                k.as_str().to_string(),
                Signal::derive(move || kind_label(i18n, k).to_string()),
            )
        })
        .collect();
    let categories = editor
        .categories
        .into_iter()
        .map(|c| {
            let name = c.name.clone();
            (
                c.id.0.to_string(),
                Signal::derive(move || name.pick(english()).to_string()),
            )
        })
        .collect();
    let institutions: Vec<(String, Signal<String>)> = editor
        .institutions
        .into_iter()
        .map(|o| {
            let name = o.name.clone();
            (
                o.id.0.to_string(),
                Signal::derive(move || name.pick(english()).to_string()),
            )
        })
        .collect();
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.basics)}</legend>
            <div class="form__grid">
                {if f.id.is_none() && institutions.len() > 1 {
                    view! { <Choice name="institution" label=tr!(i18n, editor.institution) options=institutions selected=f.institution.to_string() error /> }.into_any()
                } else {
                    view! { <input type="hidden" name="form[institution]" value=f.institution /> }.into_any()
                }}
                <Choice name="kind" label=tr!(i18n, editor.kind) options=kinds selected=f.kind.clone() error />
                <Choice name="category" label=tr!(i18n, editor.category) options=categories selected=f.category.to_string() error />
                <Field name="name_zh" within="form" label=tr!(i18n, editor.name_zh) value=f.name_zh.clone() required=true error />
                <Field name="name_en" within="form" label=tr!(i18n, editor.name_en) value=f.name_en.clone() error />
                <Field name="model" within="form" label=tr!(i18n, editor.model) value=f.model.clone() error />
                <Field name="manufacturer" within="form" label=tr!(i18n, editor.manufacturer) value=f.manufacturer.clone() error />
                <Field name="serial_number" within="form" label=tr!(i18n, editor.serial_number) value=f.serial_number.clone() error />
                <Field name="purchase_year" within="form" label=tr!(i18n, editor.purchase_year) value=f.purchase_year.clone() error />
                <Field name="original_value" within="form" label=tr!(i18n, editor.original_value) value=f.original_value.clone() error />
                <Field name="building" within="form" label=tr!(i18n, editor.building) value=f.building.clone() error />
                <Field name="room" within="form" label=tr!(i18n, editor.room) value=f.room.clone() error />
                <Field name="contact_name" within="form" label=tr!(i18n, editor.contact_name) value=f.contact_name.clone() error />
                <Field name="contact_phone" within="form" kind="tel" label=tr!(i18n, editor.contact_phone) value=f.contact_phone.clone() error />
            </div>
            <Text name="description_zh" label=tr!(i18n, editor.description_zh) value=f.description_zh.clone() error />
            <Text name="description_en" label=tr!(i18n, editor.description_en) value=f.description_en.clone() error />
            <Text name="specifications" label=tr!(i18n, editor.specifications) value=f.specifications.clone() hint=tr!(i18n, editor.specifications_hint) error />
        </fieldset>
    }
}

#[component]
fn RulesSection(f: ResourceForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let audiences = Audience::ALL
        .iter()
        .map(|a| {
            let a = *a;
            (
                a.as_str().to_string(),
                Signal::derive(move || audience_label(i18n, a).to_string()),
            )
        })
        .collect();
    let approval = f.approval.is_some();
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.rules)}</legend>
            <div class="form__grid">
                <Field name="slot_minutes" within="form" kind="number" label=tr!(i18n, editor.slot_minutes) value=f.slot_minutes.clone() error />
                <Field name="min_duration_minutes" within="form" kind="number" label=tr!(i18n, editor.min_duration_minutes) value=f.min_duration_minutes.clone() error />
                <Field name="max_duration_minutes" within="form" kind="number" label=tr!(i18n, editor.max_duration_minutes) value=f.max_duration_minutes.clone() error />
                <Field name="min_notice_hours" within="form" kind="number" label=tr!(i18n, editor.min_notice_hours) value=f.min_notice_hours.clone() error />
                <Field name="max_notice_days" within="form" kind="number" label=tr!(i18n, editor.max_notice_days) value=f.max_notice_days.clone() error />
                <Field name="buffer_before_minutes" within="form" kind="number" label=tr!(i18n, editor.buffer_before_minutes) value=f.buffer_before_minutes.clone() hint=tr!(i18n, editor.buffer_hint) error />
                <Field name="buffer_after_minutes" within="form" kind="number" label=tr!(i18n, editor.buffer_after_minutes) value=f.buffer_after_minutes.clone() error />
                <Field name="cancel_cutoff_hours" within="form" kind="number" label=tr!(i18n, editor.cancel_cutoff_hours) value=f.cancel_cutoff_hours.clone() error />
                <Field name="person_active_limit" within="form" kind="number" label=tr!(i18n, editor.person_active_limit) value=f.person_active_limit.clone() hint=tr!(i18n, editor.quota_hint) error />
                <Field name="person_week_hours" within="form" kind="number" label=tr!(i18n, editor.person_week_hours) value=f.person_week_hours.clone() error />
                <Field name="organisation_active_limit" within="form" kind="number" label=tr!(i18n, editor.organisation_active_limit) value=f.organisation_active_limit.clone() error />
                <Field name="organisation_week_hours" within="form" kind="number" label=tr!(i18n, editor.organisation_week_hours) value=f.organisation_week_hours.clone() error />
                <Choice name="audience" label=tr!(i18n, editor.audience) options=audiences selected=f.audience.clone() error />
                <div class="field field--check">
                    <input id="field-approval" type="checkbox" name="form[approval]" checked=crate::components::forms::kept_checked("form[approval]", approval) />
                    <label for="field-approval">{t!(i18n, editor.approval)}</label>
                </div>
            </div>
        </fieldset>
    }
}

#[component]
fn HoursSection(f: ResourceForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    const NAMES: [&str; 7] = [
        "hours_1", "hours_2", "hours_3", "hours_4", "hours_5", "hours_6", "hours_7",
    ];
    let day_label = move |weekday: u8| match weekday {
        1 => t_string!(i18n, weekday.mon),
        2 => t_string!(i18n, weekday.tue),
        3 => t_string!(i18n, weekday.wed),
        4 => t_string!(i18n, weekday.thu),
        5 => t_string!(i18n, weekday.fri),
        6 => t_string!(i18n, weekday.sat),
        _ => t_string!(i18n, weekday.sun),
    };
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.hours)}</legend>
            <p class="field__hint">{t!(i18n, editor.hours_hint)}</p>
            <div class="form__grid">
                {(1..=7u8).zip(NAMES).map(|(weekday, name)| view! {
                    <Field name within="form" label=Signal::derive(move || day_label(weekday).to_string()) value=f.day_hours(weekday).to_string() error />
                }).collect_view()}
            </div>
            <Text name="closed_days" label=tr!(i18n, editor.closed_days) value=f.closed_days.clone() hint=tr!(i18n, editor.closed_days_hint) error />
        </fieldset>
    }
}

#[component]
fn RatesSection(f: ResourceForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = [
        (
            CustomerCategory::Own,
            "rate_own",
            "minimum_own",
            f.rate_own.clone(),
            f.minimum_own.clone(),
        ),
        (
            CustomerCategory::Zone,
            "rate_zone",
            "minimum_zone",
            f.rate_zone.clone(),
            f.minimum_zone.clone(),
        ),
        (
            CustomerCategory::Sme,
            "rate_sme",
            "minimum_sme",
            f.rate_sme.clone(),
            f.minimum_sme.clone(),
        ),
        (
            CustomerCategory::External,
            "rate_external",
            "minimum_external",
            f.rate_external.clone(),
            f.minimum_external.clone(),
        ),
    ];
    view! {
        <fieldset class="panel">
            <legend>{t!(i18n, editor.rates)}</legend>
            <p class="field__hint">{t!(i18n, editor.rate_hint)}</p>
            <div class="form__grid">
                {rows.into_iter().map(|(category, rate, minimum, rate_value, minimum_value)| {
                    let label = move || crate::components::format::category_label(i18n, category);
                    view! {
                        <Field name=rate within="form" label=Signal::derive(move || format!("{} · {}", label(), t_string!(i18n, editor.per_hour))) value=rate_value error />
                        <Field name=minimum within="form" label=Signal::derive(move || format!("{} · {}", label(), t_string!(i18n, editor.minimum))) value=minimum_value error />
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

#[component]
fn AccreditationSection(id: i64, editor: ResourceEditor) -> impl IntoView {
    let i18n = use_i18n();
    let actions = expect_context::<EditActions>();
    let add = actions.accreditation;
    let remove = actions.remove_accreditation;
    let error = action_error(add);
    let remove_error = action_error(remove);
    let bodies = AccreditationBody::ALL
        .iter()
        .map(|b| {
            let b = *b;
            view! { <option value=b.as_str()>{move || body_label(i18n, b)}</option> }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="h-accreditation" data-testid="accreditations">
            <h2 id="h-accreditation">{t!(i18n, editor.accreditations)}</h2>
            <div class="notice notice--error" role="alert" hidden=move || remove_error.get().is_none()>
                <p>{move || remove_error.get().map(|e| error_text(i18n, &e))}</p>
            </div>
            {if editor.accreditations.is_empty() {
                view! { <p class="muted">{t!(i18n, editor.no_accreditations)}</p> }.into_any()
            } else {
                view! {
                    <ul class="entries">
                        {editor.accreditations.into_iter().map(|a| view! {
                            <li>
                                <strong>{move || body_label(i18n, a.view.body)}</strong>" "{a.view.certificate_number.clone()}
                                " · "{a.view.standards.join(", ")}
                                " · "{a.view.valid_from.format("%Y-%m-%d").to_string()}" – "{a.view.valid_until.format("%Y-%m-%d").to_string()}
                                " ("{move || standing_label(i18n, a.view.standing)}")"
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="id" value=a.id />
                                    <button type="submit" class="button button--quiet">{t!(i18n, editor.remove)}</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>{t!(i18n, editor.add_accreditation)}</h3>
            <ActionForm action=add attr:class="form" attr:novalidate="">
                <FormError error fields=&["body", "certificate_number", "standards", "valid_from", "valid_until"] />
                <input type="hidden" name="form[resource]" value=id />
                <div class="form__grid">
                    <div class="field">
                        <label for="field-body">{t!(i18n, editor.body)}</label>
                        <select id="field-body" name="form[body]">{bodies}</select>
                    </div>
                    <Field name="certificate_number" within="form" label=tr!(i18n, editor.certificate_number) error />
                    <Field name="valid_from" within="form" kind="date" label=tr!(i18n, editor.valid_from) error />
                    <Field name="valid_until" within="form" kind="date" label=tr!(i18n, editor.valid_until) error />
                </div>
                <div class="field field--wide">
                    <label for="field-standards">{t!(i18n, editor.standards)}</label>
                    <textarea id="field-standards" name="form[standards]" rows="3"></textarea>
                    <p class="field__hint">{t!(i18n, editor.standards_hint)}</p>
                    <FieldMessage name="standards" error />
                </div>
                <div class="form__actions"><Submit label=tr!(i18n, editor.add_accreditation) pending=add.pending() /></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn BlackoutSection(id: i64, editor: ResourceEditor) -> impl IntoView {
    let i18n = use_i18n();
    let actions = expect_context::<EditActions>();
    let add = actions.blackout;
    let remove = actions.remove_blackout;
    let error = action_error(add);
    let off = FixedOffset::east_opt(editor.utc_offset_seconds)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    let hits = move || match error.get() {
        Some(AppError::BlackoutHits { hits }) => hits,
        _ => Vec::new(),
    };
    let english = move || i18n.get_locale() == Locale::en;
    let kinds = BlackoutKind::ALL
        .iter()
        .map(|k| {
            let k = *k;
            view! { <option value=k.as_str()>{move || blackout_label(i18n, k)}</option> }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="h-blackouts" data-testid="blackouts">
            <h2 id="h-blackouts">{t!(i18n, editor.blackouts)}</h2>
            {if editor.blackouts.is_empty() {
                view! { <p class="muted">{t!(i18n, editor.no_blackouts)}</p> }.into_any()
            } else {
                view! {
                    <ul class="entries">
                        {editor.blackouts.into_iter().map(|b| view! {
                            <li>
                                <strong>{move || blackout_label(i18n, b.kind)}</strong>" "
                                {move || moment(i18n, at(b.starts_at), off)}" – "{move || moment(i18n, at(b.ends_at), off)}
                                {(!b.note.is_empty()).then(|| view! { " · "{b.note.clone()} })}
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="id" value=b.id />
                                    <button type="submit" class="button button--quiet">{t!(i18n, editor.remove)}</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>{t!(i18n, editor.add_blackout)}</h3>
            <div class="notice notice--warning" role="alert" hidden=move || hits().is_empty() data-testid="blackout-hits">
                <h4>{t!(i18n, editor.hits_title)}</h4>
                <p>{t!(i18n, editor.hits_intro)}</p>
                <ul>
                    {move || hits().into_iter().map(|h| {
                        let org = h.organisation.clone();
                        view! {
                            <li>
                                <a href=format!("/bookings/{}", h.booking)>"#"{h.booking}</a>" · "
                                {moment(i18n, at(h.starts_at), off)}" – "{moment(i18n, at(h.ends_at), off)}" · "
                                {h.booker.clone()}" ("{org.pick(english()).to_string()}")"
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
            <ActionForm action=add attr:class="form" attr:novalidate="">
                <FormError error fields=&["kind", "starts", "ends", "reason"] />
                <input type="hidden" name="form[resource]" value=id />
                <div class="form__grid">
                    <div class="field">
                        <label for="field-blackout-kind">{t!(i18n, editor.blackout_kind)}</label>
                        <select id="field-blackout-kind" name="form[kind]">{kinds}</select>
                    </div>
                    <Field name="starts" within="form" kind="datetime-local" label=tr!(i18n, editor.starts) error />
                    <Field name="ends" within="form" kind="datetime-local" label=tr!(i18n, editor.ends) error />
                    <Field name="note" within="form" label=tr!(i18n, editor.note) error />
                </div>
                <div class="field field--check">
                    <input id="field-cancel-hits" type="checkbox" name="form[cancel_hits]" />
                    <label for="field-cancel-hits">{t!(i18n, editor.cancel_hits)}</label>
                </div>
                <Field name="reason" within="form" label=tr!(i18n, editor.reason) error />
                <div class="form__actions"><Submit label=tr!(i18n, editor.add_blackout) pending=add.pending() /></div>
            </ActionForm>
        </section>
    }
}

/// Photos: thumbnails with a remove button, and a plain multipart form (a full page load, so it
/// works the same with and without the wasm) that goes back here with the outcome in the URL.
#[component]
fn PhotoSection(id: i64, editor: ResourceEditor) -> impl IntoView {
    let i18n = use_i18n();
    let actions = expect_context::<EditActions>();
    let remove = actions.remove_photo;
    let q = use_query_map();
    let refused = move || {
        q.get()
            .get("photo_error")
            .map(|key| crate::components::forms::validation_text(i18n, &key))
    };
    let added = move || q.get().get("photo").is_some();
    view! {
        <section class="panel" aria-labelledby="h-photos" data-testid="photos">
            <h2 id="h-photos">{t!(i18n, editor.photos)}</h2>
            <div class="notice notice--error" role="alert" hidden=move || refused().is_none()>
                <p>{refused}</p>
            </div>
            {move || added().then(|| view! { <Done>{t!(i18n, editor.photo_added)}</Done> })}
            {if editor.photos.is_empty() {
                view! { <p class="muted">{t!(i18n, editor.no_photos)}</p> }.into_any()
            } else {
                view! {
                    <ul class="photos">
                        {editor.photos.into_iter().map(|p| view! {
                            <li>
                                <a href=format!("/photos/{}", p.file) rel="external"><img src=format!("/photos/{}", p.thumb) alt="" loading="lazy" /></a>
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="id" value=p.id />
                                    <button type="submit" class="button button--quiet">{t!(i18n, editor.remove)}</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <form class="form" method="post" enctype="multipart/form-data" action=format!("/resources/{id}/photos")>
                <div class="field">
                    <label for="field-photo">{t!(i18n, editor.photo)}</label>
                    <input id="field-photo" type="file" name="photo" accept="image/png,image/jpeg,image/webp" required />
                    <p class="field__hint">{t!(i18n, editor.photo_hint)}</p>
                </div>
                <div class="form__actions"><button type="submit" class="button">{t!(i18n, editor.upload)}</button></div>
            </form>
        </section>
    }
}
