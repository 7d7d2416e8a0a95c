use crate::components::badges::kind_label;
use crate::domain::catalogue::{Bilingual, Named, ResourceKind};
use crate::domain::ids::{CategoryId, OrganisationId};
use crate::i18n::*;
use leptos::prelude::*;

/// `<option>`s for named things (categories, institutions), in the reader's language, with the
/// selected one marked so a submitted filter shows what it filtered by.
fn named_options(items: Vec<(i64, Bilingual)>, selected: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    items
        .into_iter()
        .map(|(id, name)| {
            view! {
                <option value=id selected=selected == Some(id)>
                    {move || name.pick(i18n.get_locale() == Locale::en).to_string()}
                </option>
            }
        })
        .collect_view()
}

/// The kind, category and institution fields shared by every search form, each keeping its
/// chosen value.
#[component]
pub fn ResourceFilterFields(
    categories: Vec<Named<CategoryId>>,
    institutions: Vec<Named<OrganisationId>>,
    kind: Option<String>,
    category: Option<i64>,
    institution: Option<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let kind_options = ResourceKind::ALL
        .iter()
        .map(|k| {
            let k = *k;
            let selected = kind.as_deref() == Some(k.as_str());
            view! { <option value=k.as_str() selected=selected>{move || kind_label(i18n, k)}</option> }
        })
        .collect_view();
    let category_options = named_options(
        categories.into_iter().map(|c| (c.id.0, c.name)).collect(),
        category,
    );
    let institution_options = named_options(
        institutions.into_iter().map(|o| (o.id.0, o.name)).collect(),
        institution,
    );
    view! {
        <div class="field">
            <label for="f-kind">{t!(i18n, catalogue.kind)}</label>
            <select id="f-kind" name="kind"><option value="">{t!(i18n, catalogue.any)}</option>{kind_options}</select>
        </div>
        <div class="field">
            <label for="f-category">{t!(i18n, catalogue.category)}</label>
            <select id="f-category" name="category"><option value="">{t!(i18n, catalogue.any)}</option>{category_options}</select>
        </div>
        <div class="field">
            <label for="f-institution">{t!(i18n, catalogue.institution)}</label>
            <select id="f-institution" name="institution"><option value="">{t!(i18n, catalogue.any)}</option>{institution_options}</select>
        </div>
    }
}
