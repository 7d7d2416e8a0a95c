use crate::components::data::page_resource;
use crate::domain::account::{Actor, Role, RoleName};
use crate::domain::policy::{can, Action, Target};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_location;

pub fn role_name(i18n: I18nContext<Locale>, role: RoleName) -> &'static str {
    match role {
        RoleName::InstitutionAdmin => t_string!(i18n, role.institution_admin),
        RoleName::ZoneManager => t_string!(i18n, role.zone_manager),
        RoleName::SiteAdmin => t_string!(i18n, role.site_admin),
    }
}

/// A role with its scope's id, e.g. "institution admin #3".
pub fn role_label(i18n: I18nContext<Locale>, role: Role) -> String {
    match role {
        Role::SiteAdmin => role_name(i18n, role.name()).to_string(),
        _ => format!("{} #{}", role_name(i18n, role.name()), role.scope_id()),
    }
}

/// Every role of a person, or "booker" when there is none.
pub fn role_list(i18n: I18nContext<Locale>, roles: &[Role]) -> String {
    if roles.is_empty() {
        return t_string!(i18n, role.booker).to_string();
    }
    roles
        .iter()
        .map(|r| role_label(i18n, *r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The navigation entries a person may use, beyond the public ones.
#[component]
fn PersonalNav(actor: Actor) -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    let current = move |path: &'static str| {
        move || location.pathname.get().starts_with(path).then_some("page")
    };
    let runs_institution = actor.administered().next().is_some_and(|id| {
        can(
            &actor,
            Action::RunInstitution,
            Target::Institution {
                id,
                zone: actor.zone,
            },
        )
    });
    let site_admin = can(&actor, Action::ManageRoles, Target::Site);
    let zone_manager = actor
        .managed_zones()
        .next()
        .is_some_and(|zone| can(&actor, Action::ReadZoneReport, Target::Zone(zone)));
    view! {
        <a href="/bookings" class="site-nav__link" aria-current=current("/bookings")>{t!(i18n, nav.bookings)}</a>
        <a href="/orders" class="site-nav__link" aria-current=current("/orders")>{t!(i18n, nav.orders)}</a>
        <a href="/needs" class="site-nav__link" aria-current=current("/needs")>{t!(i18n, nav.needs)}</a>
        {runs_institution.then(|| view! {
            <a href="/institution/requests" class="site-nav__link" aria-current=current("/institution")>{t!(i18n, nav.institution)}</a>
        })}
        {zone_manager.then(|| view! {
            <a href="/reports" class="site-nav__link" aria-current=current("/reports")>{t!(i18n, nav.reports)}</a>
            <a href="/zone/sign-ups" class="site-nav__link" aria-current=current("/zone")>{t!(i18n, nav.claims)}</a>
        })}
        {site_admin.then(|| view! {
            <a href="/admin/people" class="site-nav__link" aria-current=current("/admin")>{t!(i18n, nav.admin)}</a>
        })}
    }
}

/// Site header: the zone's name, the navigation and the language switch.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let i18n = use_i18n();
    let zone = page_resource(|| (), |_| crate::api::catalogue::zone_info());
    let me = page_resource(|| (), |_| crate::api::account::current_user());
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
                    <a href="/idle" class="site-nav__link" aria-current=move || (location.pathname.get() == "/idle").then_some("page")>
                        {t!(i18n, nav.idle)}
                    </a>
                    <a href="/schedule" class="site-nav__link" aria-current=move || (location.pathname.get() == "/schedule").then_some("page")>
                        {t!(i18n, nav.schedule)}
                    </a>
                    <a href="/services" class="site-nav__link" aria-current=move || location.pathname.get().starts_with("/services").then_some("page")>
                        {t!(i18n, nav.services)}
                    </a>
                </nav>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await.ok().flatten() {
                            Some(actor) => {
                                let org = actor.organisation_name.clone();
                                view! {
                                    <nav class="site-nav" aria-label=move || t_string!(i18n, nav.personal)>
                                        <PersonalNav actor=actor.clone() />
                                    </nav>
                                    <a class="who" href="/profile" data-testid="who">
                                        <span class="who__name">{actor.name.clone()}</span>
                                        <span class="who__org">{move || org.pick(english()).to_string()}</span>
                                    </a>
                                }.into_any()
                            }
                            None => view! {
                                <a class="site-nav__link" href="/sign-in" data-testid="sign-in-link">{t!(i18n, account.sign_in)}</a>
                            }.into_any(),
                        }
                    })}
                </Suspense>
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
    let zone = page_resource(|| (), |_| crate::api::catalogue::zone_info());
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
