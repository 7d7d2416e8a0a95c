use crate::domain::catalogue::Bilingual;
use crate::i18n::*;
use leptos::prelude::*;

/// `<option>`s for named things (categories, institutions), in the reader's language, with the
/// selected one marked so a submitted filter shows what it filtered by.
pub fn named_options(items: Vec<(i64, Bilingual)>, selected: Option<i64>) -> impl IntoView {
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
