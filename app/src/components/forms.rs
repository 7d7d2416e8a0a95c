//! Form pieces: labelled fields with their error beside them, a submit button that shows progress
//! and cannot be pressed twice, and the translation of every validation key.

use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_i18n::I18nContext;

/// The message for a validation key, in the reader's language.
pub fn validation_text(i18n: I18nContext<Locale>, key: &str) -> String {
    let text = match key {
        "bad_request" => t_string!(i18n, invalid.bad_request),
        "filter_invalid" => t_string!(i18n, invalid.filter_invalid),
        "text_control" => t_string!(i18n, invalid.text_control),
        "email_invalid" => t_string!(i18n, invalid.email_invalid),
        "password_short" => t_string!(i18n, invalid.password_short),
        "password_long" => t_string!(i18n, invalid.password_long),
        "password_common" => t_string!(i18n, invalid.password_common),
        "password_personal" => t_string!(i18n, invalid.password_personal),
        "password_weak" => t_string!(i18n, invalid.password_weak),
        "password_wrong" => t_string!(i18n, invalid.password_wrong),
        "name_missing" => t_string!(i18n, invalid.name_missing),
        "name_invalid" => t_string!(i18n, invalid.name_invalid),
        "phone_invalid" => t_string!(i18n, invalid.phone_invalid),
        "credit_code_invalid" => t_string!(i18n, invalid.credit_code_invalid),
        "organisation_missing" | "organisation_unknown" => {
            t_string!(i18n, invalid.organisation_missing)
        }
        "organisation_kind_missing" => t_string!(i18n, invalid.organisation_kind_missing),
        "organisation_name_invalid" => t_string!(i18n, invalid.organisation_name_invalid),
        "organisation_exists" => t_string!(i18n, invalid.organisation_exists),
        "claim_decided" => t_string!(i18n, invalid.claim_decided),
        "token_name_invalid" => t_string!(i18n, invalid.token_name_invalid),
        "ledger_unreadable" => t_string!(i18n, invalid.ledger_unreadable),
        "ledger_too_large" => t_string!(i18n, invalid.ledger_too_large),
        "ledger_too_wide" => t_string!(i18n, invalid.ledger_too_wide),
        "ledger_too_long" => t_string!(i18n, invalid.ledger_too_long),
        "ledger_formulas" => t_string!(i18n, invalid.ledger_formulas),
        "ledger_empty" => t_string!(i18n, invalid.ledger_empty),
        "ledger_no_headings" => t_string!(i18n, invalid.ledger_no_headings),
        "ledger_missing" => t_string!(i18n, invalid.ledger_missing),
        "ledger_rows_blocked" => t_string!(i18n, invalid.ledger_rows_blocked),
        "category_unknown" => t_string!(i18n, invalid.category_unknown),
        "year_invalid" => t_string!(i18n, invalid.year_invalid),
        "value_maybe_wan" => t_string!(i18n, invalid.value_maybe_wan),
        "scope_resource_unknown" => t_string!(i18n, invalid.scope_resource_unknown),
        "scope_resource_not_imported" => t_string!(i18n, invalid.scope_resource_not_imported),
        "scope_resource_ambiguous" => t_string!(i18n, invalid.scope_resource_ambiguous),
        "scope_resource_missing" => t_string!(i18n, invalid.scope_resource_missing),
        "scope_dates_differ" => t_string!(i18n, invalid.scope_dates_differ),
        "id_unknown" => t_string!(i18n, invalid.id_unknown),
        "token_too_many" => t_string!(i18n, invalid.token_too_many),
        "decision_unknown" => t_string!(i18n, invalid.decision_unknown),
        "institution_by_invitation" => t_string!(i18n, invalid.institution_by_invitation),
        "sign_in_failed" => t_string!(i18n, invalid.sign_in_failed),
        "not_verified" => t_string!(i18n, invalid.not_verified),
        "token_invalid" => t_string!(i18n, invalid.token_invalid),
        "already_member" => t_string!(i18n, invalid.already_member),
        "language_unknown" | "role_unknown" | "scope_unknown" => {
            t_string!(i18n, invalid.choice_unknown)
        }
        "text_missing" => t_string!(i18n, invalid.text_missing),
        "text_long" => t_string!(i18n, invalid.text_long),
        "sample_count_invalid" => t_string!(i18n, invalid.sample_count_invalid),
        "time_invalid" => t_string!(i18n, invalid.time_invalid),
        "time_order" => t_string!(i18n, invalid.time_order),
        "not_pending" => t_string!(i18n, invalid.not_pending),
        "not_failed" => t_string!(i18n, invalid.not_failed),
        "price_invalid" => t_string!(i18n, invalid.price_invalid),
        "photo_missing" => t_string!(i18n, invalid.photo_missing),
        "photo_too_large" => t_string!(i18n, invalid.photo_too_large),
        "photo_too_many" => t_string!(i18n, invalid.photo_too_many),
        "photo_type" => t_string!(i18n, invalid.photo_type),
        "number_invalid" => t_string!(i18n, invalid.number_invalid),
        "duration_order" => t_string!(i18n, invalid.duration_order),
        "slot_mismatch" => t_string!(i18n, invalid.slot_mismatch),
        "hours_invalid" => t_string!(i18n, invalid.hours_invalid),
        "date_invalid" => t_string!(i18n, invalid.date_invalid),
        "rate_missing" => t_string!(i18n, invalid.rate_missing),
        "specification_invalid" => t_string!(i18n, invalid.specification_invalid),
        "date_order" => t_string!(i18n, invalid.date_order),
        "choice_unknown" => t_string!(i18n, invalid.choice_unknown),
        "not_finished" => t_string!(i18n, invalid.not_finished),
        "reason_missing" => t_string!(i18n, invalid.reason_missing),
        "reason_long" => t_string!(i18n, invalid.reason_long),
        "not_cancellable" => t_string!(i18n, invalid.not_cancellable),
        "cancel_cutoff_passed" => t_string!(i18n, invalid.cancel_cutoff_passed),
        "cannot_revoke_own_site_admin" => t_string!(i18n, invalid.cannot_revoke_own_site_admin),
        "turnaround_invalid" => t_string!(i18n, invalid.turnaround_invalid),
        "capacity_invalid" => t_string!(i18n, invalid.capacity_invalid),
        "standards_missing" => t_string!(i18n, invalid.standards_missing),
        "standard_not_accredited" => t_string!(i18n, invalid.standard_not_accredited),
        "prices_missing" => t_string!(i18n, invalid.prices_missing),
        "membership_unconfirmed" => t_string!(i18n, invalid.membership_unconfirmed),
        "service_withdrawn" => t_string!(i18n, invalid.service_withdrawn),
        "order_action_refused" => t_string!(i18n, invalid.order_action_refused),
        "report_missing" => t_string!(i18n, invalid.report_missing),
        "report_too_large" => t_string!(i18n, invalid.report_too_large),
        "report_not_pdf" => t_string!(i18n, invalid.report_not_pdf),
        "rating_not_open" => t_string!(i18n, invalid.rating_not_open),
        "need_outside_zone" => t_string!(i18n, invalid.need_outside_zone),
        "need_not_open" => t_string!(i18n, invalid.need_not_open),
        _ => t_string!(i18n, error.invalid),
    };
    text.to_string()
}

/// The message for any error, for a banner above a form.
pub fn error_text(i18n: I18nContext<Locale>, error: &AppError) -> String {
    match error {
        AppError::Validation { key, .. } => validation_text(i18n, key),
        AppError::NotFound => t_string!(i18n, error.not_found).to_string(),
        AppError::Forbidden => t_string!(i18n, error.forbidden).to_string(),
        AppError::NotSignedIn => t_string!(i18n, error.not_signed_in).to_string(),
        AppError::Conflict { .. } => t_string!(i18n, error.conflict).to_string(),
        AppError::Refused { .. } => t_string!(i18n, error.refused).to_string(),
        AppError::BlackoutHits { hits } => {
            t_string!(i18n, error.blackout_hits, count = hits.len()).to_string()
        }
        AppError::Transport => t_string!(i18n, error.transport).to_string(),
        AppError::Unavailable { trace_id } => {
            t_string!(i18n, error.unavailable, trace = trace_id.clone()).to_string()
        }
        AppError::TooManyAttempts { retry_after_secs } => t_string!(
            i18n,
            error.too_many_attempts,
            minutes = (retry_after_secs + 59) / 60
        )
        .to_string(),
        AppError::Internal { trace_id } => {
            t_string!(i18n, error.internal, trace = trace_id.clone()).to_string()
        }
    }
}

/// The error of a finished action, if it failed.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// What a plain form post sent when the server refused it (a page used before or without the
/// wasm). The server keeps the fields (never a password) in a short-lived cookie beside the
/// redirect that carries the error, and the page shows them again, so a refusal costs the person
/// one correction rather than the whole form. See `server::keep_refused_form`.
#[derive(Clone, Debug, Default)]
pub struct KeptForm(std::sync::Arc<Vec<(String, String)>>);

/// The cookie that carries a refused form back to its page.
pub const KEPT_FORM_COOKIE: &str = "kept_form";

impl KeptForm {
    pub fn new(fields: Vec<(String, String)>) -> Self {
        Self(std::sync::Arc::new(fields))
    }

    /// The value sent for `name`.
    pub fn value(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Whether checkbox `name` was ticked (a browser sends only ticked boxes).
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Whether a field may be kept: never a password.
    pub fn keeps(name: &str) -> bool {
        !name.contains("password")
    }
}

/// On a page reached by the redirect that carries a refused form's error, takes the form's
/// fields from their cookie (and clears it), for `kept_value` and `kept_checked`.
#[cfg(feature = "ssr")]
pub fn provide_kept_form() {
    use crate::backend::session::{read_cookie, set_cookie};
    let Some(parts) = use_context::<http::request::Parts>() else {
        return;
    };
    let refused = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("__err=")));
    let Some(raw) = read_cookie(&parts.headers, KEPT_FORM_COOKIE) else {
        return;
    };
    set_cookie(&format!(
        "{KEPT_FORM_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    ));
    if !refused {
        return;
    }
    if let Ok(fields) = serde_urlencoded::from_str::<Vec<(String, String)>>(&raw) {
        let fields = fields
            .into_iter()
            .filter(|(k, _)| KeptForm::keeps(k))
            .collect();
        provide_context(KeptForm::new(fields));
    }
}

/// A secret made by a plain form post and shown once (`api::show_once_after_form`): `kind` is
/// "token" or "feed". Read on the page the post came back to, and cleared.
pub fn shown_once(kind: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use crate::backend::session::{read_cookie, set_cookie};
        use crate::domain::account::SHOWN_ONCE_COOKIE;
        let parts = use_context::<http::request::Parts>()?;
        let asked = parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == format!("shown={kind}")));
        let raw = read_cookie(&parts.headers, SHOWN_ONCE_COOKIE)?;
        set_cookie(&format!(
            "{SHOWN_ONCE_COOKIE}=; Path=/profile; Max-Age=0; HttpOnly; SameSite=Strict"
        ));
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(&raw).ok()?;
        asked.then(|| pairs.into_iter().find(|(k, _)| k == kind).map(|(_, v)| v))?
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = kind;
        None
    }
}

/// The refused form's value for `name`, when this page shows one again.
pub fn kept_value(name: &str) -> Option<String> {
    use_context::<KeptForm>().and_then(|k| k.value(name))
}

/// Whether checkbox `name` is ticked: as sent in a refused form, else `default`.
pub fn kept_checked(name: &str, default: bool) -> bool {
    use_context::<KeptForm>().map_or(default, |k| k.checked(name))
}

/// A labelled input with its error beside it (linked by aria-describedby).
#[component]
pub fn Field(
    /// Form field name; also names the errors that belong here.
    name: &'static str,
    label: Signal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = false)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional, into)] hint: Option<Signal<String>>,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// The server function's struct argument the field belongs to: its input is then named
    /// `within[name]`.
    #[prop(optional)]
    within: Option<&'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
    let input_name = within.map_or_else(|| name.to_string(), |w| format!("{w}[{name}]"));
    let value = kept_value(&input_name).or(value);
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = move || match error.get() {
        Some(AppError::Validation { field, key }) if field == name => {
            Some(validation_text(i18n, &key))
        }
        _ => None,
    };
    let invalid = move || message().is_some().then_some("true");
    let described = {
        let error_id = error_id.clone();
        move || message().is_some().then(|| error_id.clone())
    };
    view! {
        <div class="field">
            <label for=id.clone()>
                {move || label.get()}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            <input id=id name=input_name type=kind required=required autocomplete=autocomplete
                value=value aria-invalid=invalid aria-describedby=described />
            {hint.map(|h| view! { <p class="field__hint">{move || h.get()}</p> })}
            <p class="field__error" id=error_id role="alert" hidden=move || message().is_none()>
                {message}
            </p>
        </div>
    }
}

/// The message for field `name`, when the error is about it (for inputs built by hand).
#[component]
pub fn FieldMessage(
    name: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let message = move || match error.get() {
        Some(AppError::Validation { field, key }) if field == name => {
            Some(validation_text(i18n, &key))
        }
        _ => None,
    };
    view! {
        <p class="field__error" id=format!("field-{name}-error") role="alert" hidden=move || message().is_none()>
            {message}
        </p>
    }
}

/// An error that belongs to no single field, above the form.
#[component]
pub fn FormError(
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Fields shown with their own message, so that it is not repeated here.
    #[prop(default = &[])]
    fields: &'static [&'static str],
) -> impl IntoView {
    let i18n = use_i18n();
    let message = move || match error.get() {
        Some(AppError::Validation { field, .. }) if fields.contains(&field.as_str()) => None,
        Some(e) => Some(error_text(i18n, &e)),
        None => None,
    };
    view! {
        <div class="notice notice--error" role="alert" hidden=move || message().is_none()>
            <p>{message}</p>
        </div>
    }
}

/// A submit button that says it is working and cannot be pressed again meanwhile.
#[component]
pub fn Submit(label: Signal<String>, #[prop(into)] pending: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button type="submit" class="button button--primary" disabled=move || pending.get()
            aria-busy=move || pending.get().then_some("true")>
            {move || if pending.get() { t_string!(i18n, form.working).to_string() } else { label.get() }}
        </button>
    }
}

/// A success banner.
#[component]
pub fn Done(children: Children) -> impl IntoView {
    view! { <div class="notice notice--success" role="status">{children()}</div> }
}

/// Text for the inside of `<textarea>` or `<title>` as the server writes it. Leptos writes those
/// elements' text as it is (as for `<script>`), so a value typed as `</textarea><script>…` would
/// leave the element: the server escapes it here. In the browser the text is set as text, where
/// no escaping is needed (and any would show).
pub fn rcdata(text: &str) -> String {
    if cfg!(feature = "ssr") {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        text.to_string()
    }
}

/// Loads `path` as a new page, so that everything (header, language, lists) reflects the change.
pub fn reload_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
