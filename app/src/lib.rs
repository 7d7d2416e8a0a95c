//! The Leptos application: pages, components, server functions and the shared domain rules.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod domain;
pub mod error;
#[cfg(test)]
mod layering;
pub mod pages;
pub mod wording;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The policy of every page: scripts only from this site and the page's own inline hydration
/// script (by its nonce, new for every response), WebAssembly, styles from this site (and style
/// attributes, which the meters and the schedule's spans use), nothing framed, forms only here.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The pages with interactive parts (islands): only these load the wasm. Every other page is
/// rendered on the server alone and sends no code. `pages_load_the_wasm_exactly_where_they_have_islands`
/// (server tests) renders every page and checks this list against the islands it finds.
pub fn page_has_islands(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path == "/sign-up"
        || path == "/profile"
        || path
            .strip_prefix("/resources/")
            .and_then(|rest| rest.strip_suffix("/book"))
            .is_some_and(|id| !id.contains('/'))
}

/// The address of the site's stylesheet: `labshare.<hash>.css` when the release build named its
/// files by their content (cargo-leptos `hash-files`, whose hashes are in `hash.txt` beside the
/// server), else `labshare.css`.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| stylesheet_href_uncached(options))
        .clone()
}

fn stylesheet_href_uncached(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            let exe = std::env::current_exe().ok()?;
            let hashes =
                std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()?;
            hashes
                .lines()
                .find_map(|l| l.strip_prefix("css:").map(|h| h.trim().to_string()))
        })
        .flatten();
    match hash {
        Some(h) => format!("/{}/{}.{h}.css", options.site_pkg_dir, options.output_name),
        None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
    }
}

/// The HTML document around the application.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's policy names the nonce Leptos gives its inline scripts for this response.
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    #[cfg(feature = "ssr")]
    let islands = use_context::<http::request::Parts>()
        .is_some_and(|parts| page_has_islands(parts.uri.path()));
    #[cfg(not(feature = "ssr"))]
    let islands = true;
    view! {
        <!DOCTYPE html>
        // leptos_i18n sets lang (and dir) on this element from the chosen language.
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                {islands.then(|| view! { <HydrationScripts options=options.clone() islands=true /> })}
                <link rel="stylesheet" id="leptos" href=stylesheet_href(&options) />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    components::forms::provide_kept_form();
    view! {
        <I18nContextProvider>
            <AppTitle />
            <Router>
                <components::layout::SiteHeader />
                <main id="main" class="page">
                    // Async: the whole page is rendered before it is sent, so it reads without wasm.
                    <Routes fallback=pages::not_found::NotFound>
                        <Route path=path!("") view=pages::catalogue::CataloguePage ssr=SsrMode::Async />
                        <Route path=path!("free") view=pages::free::FreeTimePage ssr=SsrMode::Async />
                        <Route path=path!("idle") view=pages::idle::IdlePage ssr=SsrMode::Async />
                        <Route path=path!("schedule") view=pages::schedule::SchedulePage ssr=SsrMode::Async />
                        <Route path=path!("services") view=pages::services::ServicesSearchPage ssr=SsrMode::Async />
                        <Route path=path!("services/:id") view=pages::services::ServicePage ssr=SsrMode::Async />
                        <Route path=path!("needs") view=pages::needs::NeedsBoardPage ssr=SsrMode::Async />
                        <Route path=path!("orders") view=pages::orders::OrdersPage ssr=SsrMode::Async />
                        <Route path=path!("orders/:id") view=pages::orders::OrderPage ssr=SsrMode::Async />
                        <Route path=path!("institution/services") view=pages::services::InstitutionServicesPage ssr=SsrMode::Async />
                        <Route path=path!("resources/:id") view=pages::resource::ResourcePage ssr=SsrMode::Async />
                        <Route path=path!("resources/:id/book") view=pages::booking::BookPage ssr=SsrMode::Async />
                        <Route path=path!("bookings") view=pages::booking::MyBookingsPage ssr=SsrMode::Async />
                        <Route path=path!("bookings/:id") view=pages::booking::BookingPage ssr=SsrMode::Async />
                        <Route path=path!("sign-in") view=pages::account::SignInPage ssr=SsrMode::Async />
                        <Route path=path!("sign-up") view=pages::account::SignUpPage ssr=SsrMode::Async />
                        <Route path=path!("verify-email") view=pages::account::VerifyEmailPage ssr=SsrMode::Async />
                        <Route path=path!("forgot-password") view=pages::account::ForgotPasswordPage ssr=SsrMode::Async />
                        <Route path=path!("reset-password") view=pages::account::ResetPasswordPage ssr=SsrMode::Async />
                        <Route path=path!("profile") view=pages::account::ProfilePage ssr=SsrMode::Async />
                        <Route path=path!("invitation") view=pages::account::InvitationPage ssr=SsrMode::Async />
                        <Route path=path!("institution/requests") view=pages::booking::InstitutionRequestsPage ssr=SsrMode::Async />
                        <Route path=path!("institution/members") view=pages::admin::MembersPage ssr=SsrMode::Async />
                        <Route path=path!("institution/resources") view=pages::editor::MyResourcesPage ssr=SsrMode::Async />
                        <Route path=path!("institution/resources/import") view=pages::editor::LedgerImportPage ssr=SsrMode::Async />
                        <Route path=path!("institution/resources/new") view=pages::editor::NewResourcePage ssr=SsrMode::Async />
                        <Route path=path!("resources/:id/edit") view=pages::editor::EditResourcePage ssr=SsrMode::Async />
                        <Route path=path!("reports") view=pages::report::ZoneReportPage ssr=SsrMode::Async />
                        <Route path=path!("institution/report") view=pages::report::InstitutionReportPage ssr=SsrMode::Async />
                        <Route path=path!("zone/sign-ups") view=pages::claims::ClaimsPage ssr=SsrMode::Async />
                        <Route path=path!("admin/people") view=pages::admin::PeoplePage ssr=SsrMode::Async />
                        <Route path=path!("admin/outbox") view=pages::admin::OutboxPage ssr=SsrMode::Async />
                    </Routes>
                </main>
                <components::layout::SiteFooter />
            </Router>
        </I18nContextProvider>
    }
}

#[component]
fn AppTitle() -> impl IntoView {
    let i18n = use_i18n();
    // Titles are plain strings, read while the page is built: leptos_meta formats the title
    // after the render, when the request's reactive owner (and the language signal) may already
    // be gone, and a closure reading it then panics under concurrent requests.
    let site = t_string!(i18n, platform_name).to_string();
    let description = t_string!(i18n, site_description).to_string();
    view! { <Meta name="description" content=description /> <Title formatter=move |page: String| {
        if page.is_empty() { site.clone() } else { format!("{} · {site}", components::forms::rcdata(&page)) }
    } /> }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
