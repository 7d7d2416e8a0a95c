use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Site header: the zone's name, the navigation and the language switch.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let i18n = use_i18n();
    let zone = Resource::new(|| (), |_| crate::api::catalogue::zone_info());
    let location = use_location();
    let english = move || i18n.get_locale() == Locale::en;
    // The switch is a plain link to a server route that sets the cookie and comes back here, so it
    // works before (and without) the wasm; rel="external" keeps the client router out of it.
    let switch_href = move || {
        let target = if english() { "zh-CN" } else { "en" };
        let search = location.search.get();
        let back = match search.is_empty() {
            true => location.pathname.get(),
            false => format!("{}?{search}", location.pathname.get()),
        };
        format!("/lang/{target}?back={}", urlencode(&back))
    };
    view! {
        <a class="skip-link" href="#main">{t!(i18n, skip_to_content)}</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">
                    <span class="brand__platform">{t!(i18n, platform_name)}</span>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            zone.await.ok().map(|(name, _)| view! {
                                <span class="brand__zone">{move || name.pick(english()).to_string()}</span>
                            })
                        })}
                    </Suspense>
                </a>
                <nav class="site-nav" aria-label=move || t_string!(i18n, nav.label)>
                    <a href="/" class="site-nav__link" aria-current=move || (location.pathname.get() == "/").then_some("page")>
                        {t!(i18n, nav.equipment)}
                    </a>
                    <a href="/free" class="site-nav__link" aria-current=move || (location.pathname.get() == "/free").then_some("page")>
                        {t!(i18n, nav.free)}
                    </a>
                </nav>
                <a class="lang-switch" rel="external" href=switch_href
                    hreflang=move || if english() { "zh-CN" } else { "en" }
                    title=move || t_string!(i18n, nav.switch_hint)>
                    <span class="visually-hidden">{t!(i18n, nav.language)}": "</span>
                    {t!(i18n, nav.switch_to_other)}
                </a>
            </div>
        </header>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    let i18n = use_i18n();
    let zone = Resource::new(|| (), |_| crate::api::catalogue::zone_info());
    view! {
        <footer class="site-footer">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    zone.await.ok().map(|(_, tz)| view! { <p>{t!(i18n, footer, tz = tz.clone())}</p> })
                })}
            </Suspense>
        </footer>
    }
}

/// Percent-encodes a path and query for use inside a query value.
pub fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
