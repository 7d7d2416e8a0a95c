//! A page's address: its route's id, and its query string read through a `#[derive(Params)]`
//! struct.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::{Params, ParamsMap};

/// The page's query as `Q`, the way a plain GET form sends it: an empty field (the form's "any")
/// counts as absent, and a value that does not parse (`category=abc`) is the client's error, a
/// translated "filter not valid" rather than a filter silently dropped.
pub fn use_form_query<Q>() -> Memo<Result<Q, AppError>>
where
    Q: Params + Clone + PartialEq + Send + Sync + 'static,
{
    let map = use_query_map();
    Memo::new(move |_| {
        let filled: ParamsMap = map.with(|m| {
            m.into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        });
        Q::from_map(&filled).map_err(|_| AppError::validation("query", "filter_invalid"))
    })
}

/// The route's `:id` as a number; `None` when it is not one (the page then answers "not found").
pub fn use_route_id() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.get().get("id").and_then(|v| v.parse::<i64>().ok())
}
