//! The editor's photos.

use super::EditActions;
use crate::components::forms::Done;

use crate::domain::editor::ResourceEditor;
use crate::i18n::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Photos: thumbnails with a remove button, and a plain multipart form (a full page load, so it
/// works the same with and without the wasm) that goes back here with the outcome in the URL.
#[component]
pub(super) fn PhotoSection(id: i64, editor: ResourceEditor) -> impl IntoView {
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
