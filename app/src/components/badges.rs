use crate::domain::catalogue::{
    AccreditationBody, AccreditationStanding, ResourceKind, ResourceStatus,
};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_i18n::I18nContext;

/// Status with its colour and, always, its text.
#[component]
pub fn StatusBadge(status: ResourceStatus) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || status_label(i18n, status);
    view! { <span class=format!("badge badge--status-{}", status.as_str())>{label}</span> }
}

pub fn status_label(i18n: I18nContext<Locale>, status: ResourceStatus) -> &'static str {
    match status {
        ResourceStatus::Available => t_string!(i18n, status.available),
        ResourceStatus::Maintenance => t_string!(i18n, status.maintenance),
        ResourceStatus::Retired => t_string!(i18n, status.retired),
    }
}

pub fn kind_label(i18n: I18nContext<Locale>, kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Instrument => t_string!(i18n, kind.instrument),
        ResourceKind::Facility => t_string!(i18n, kind.facility),
    }
}

pub fn body_label(i18n: I18nContext<Locale>, body: AccreditationBody) -> &'static str {
    match body {
        AccreditationBody::Cma => "CMA",
        AccreditationBody::Cnas => "CNAS",
        AccreditationBody::Other => t_string!(i18n, accreditation.other),
    }
}

pub fn standing_label(i18n: I18nContext<Locale>, standing: AccreditationStanding) -> &'static str {
    match standing {
        AccreditationStanding::Valid => t_string!(i18n, accreditation.valid),
        AccreditationStanding::Expiring => t_string!(i18n, accreditation.expiring),
        AccreditationStanding::Expired => t_string!(i18n, accreditation.expired),
    }
}

/// CMA / CNAS badges, with a warning when expiring.
#[component]
pub fn AccreditationBadges(
    items: Vec<(AccreditationBody, AccreditationStanding)>,
) -> impl IntoView {
    let i18n = use_i18n();
    items
        .into_iter()
        .map(|(body, standing)| {
            let expiring = standing == AccreditationStanding::Expiring;
            view! {
                <span class="badge badge--accreditation" class:badge--warning=expiring>
                    {move || body_label(i18n, body)}
                    {expiring.then(|| view! { <span class="badge__note">" · "{move || standing_label(i18n, standing)}</span> })}
                </span>
            }
        })
        .collect_view()
}
