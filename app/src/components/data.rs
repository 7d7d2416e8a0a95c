//! A page's data, fetched on the server while the page renders.

use leptos::prelude::*;
use leptos::reactive::owner::Owner;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// A page's data as a `Resource` that is awaited on the server and not written into the page a
/// second time as JSON. Pages render on the server alone: only islands hydrate, and they take
/// their data as props. But leptos_i18n's provider is an island around every page, so a plain
/// `Resource` inside it is serialised for a hydration that never comes (the zone schedule of
/// 1,000 resources carried 251 KB of it in a 575 KB page).
pub fn page_resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Owner::with_no_hydration(move || Resource::new(source, fetcher))
}
