//! Server functions of testing services and their orders: parse what the forms send into the
//! backend's types and answer with the domain's wire types.

use crate::domain::services::{
    HoldForm, InstitutionServices, NeedForm, NeedsPage, OrderDetail, OrderForm, OrdersPage,
    ServiceDetail, ServiceForm, ServicesPage,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::Params;
use leptos_router::params::Params;
#[cfg(feature = "ssr")]
use {
    crate::backend::{needs, orders, services, session, state},
    crate::domain::catalogue::CustomerCategory,
    crate::domain::ids::{OrganisationId, ResourceId},
    crate::domain::money::Money,
};

/// What a service search asks for, as its GET form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, Params)]
pub struct ServicesQuery {
    pub standard: Option<String>,
    pub q: Option<String>,
    pub institution: Option<i64>,
}

/// Services in search matching a standard (typed loosely), products or words, compared at the
/// asker's rate.
#[server(endpoint = "services")]
pub async fn search_services(
    #[server(default)] query: ServicesQuery,
) -> Result<ServicesPage, AppError> {
    super::reply(async move {
        let state = state()?;
        let cut = |s: Option<String>| s.unwrap_or_default().chars().take(100).collect::<String>();
        let query = services::ServiceQuery {
            standard: cut(query.standard),
            words: cut(query.q),
            institution: query.institution.map(OrganisationId),
        };
        services::search(&state, session::actor().as_ref(), &query).await
    })
    .await
}

#[server(endpoint = "service")]
pub async fn get_service(id: i64) -> Result<ServiceDetail, AppError> {
    super::reply(async move {
        let state = state()?;
        services::detail(&state, session::actor().as_ref(), id).await
    })
    .await
}

/// Places an order; a plain form post goes on to the new order's page.
#[server(endpoint = "place_order")]
pub async fn place_order(form: OrderForm) -> Result<i64, AppError> {
    use crate::domain::services::Delivery;
    super::reply(async move {
        let state = state()?;
        let samples = form
            .samples
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::validation("samples", "sample_count_invalid"))?;
        let requested_by = match form.requested_by.trim() {
            "" => None,
            raw => Some(
                chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map_err(|_| AppError::validation("requested_by", "date_invalid"))?,
            ),
        };
        let new = orders::NewOrder {
            service: form.service,
            samples,
            sample_description: form.sample_description,
            delivery: Delivery::parse(form.delivery.trim()),
            tracking_number: form.tracking_number,
            requested_by,
            invoice_title: form.invoice_title,
            credit_code: form.credit_code,
        };
        let id = orders::place(&state, session::actor().as_ref(), new).await?;
        super::after_form(&format!("/orders/{id}?placed=1"));
        Ok(id)
    })
    .await
}

#[server(endpoint = "orders")]
pub async fn my_orders() -> Result<OrdersPage, AppError> {
    super::reply(async move {
        let state = state()?;
        orders::orders(&state, session::actor().as_ref()).await
    })
    .await
}

#[server(endpoint = "order")]
pub async fn get_order(id: i64) -> Result<OrderDetail, AppError> {
    super::reply(async move {
        let state = state()?;
        orders::order_detail(&state, session::actor().as_ref(), id).await
    })
    .await
}

/// Moves an order: `action` is one of the order actions; `note` the reason or the quote's
/// terms; `quoted` a quote's total in yuan.
#[server(endpoint = "act_on_order")]
pub async fn act_on_order(
    order: i64,
    action: String,
    note: Option<String>,
    quoted: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::services::OrderAction;
    super::reply(async move {
        let state = state()?;
        let action = OrderAction::parse(action.trim())
            .ok_or_else(|| AppError::validation("action", "choice_unknown"))?;
        let quoted = match quoted.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => {
                Some(Money::parse(q).map_err(|_| AppError::validation("quoted", "price_invalid"))?)
            }
            None => None,
        };
        let input = orders::ActionInput {
            note: note.unwrap_or_default(),
            quoted,
        };
        orders::act(&state, session::actor().as_ref(), order, action, input).await?;
        super::after_form(&format!("/orders/{order}?done=1"));
        Ok(())
    })
    .await
}

/// Holds time on one of an accepted order's instruments (the institution's admins).
#[server(endpoint = "hold_order_time")]
pub async fn hold_order_time(form: HoldForm) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        orders::hold_time(&state, session::actor().as_ref(), &form).await?;
        super::after_form(&format!("/orders/{}?done=1", form.order));
        Ok(())
    })
    .await
}

/// Gives back a time held for an order.
#[server(endpoint = "release_order_time")]
pub async fn release_order_time(order: i64, hold: i64) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        orders::release_time(&state, session::actor().as_ref(), order, hold).await?;
        super::after_form(&format!("/orders/{order}?done=1"));
        Ok(())
    })
    .await
}

#[server(endpoint = "rate_order")]
pub async fn rate_order(
    order: i64,
    rating: String,
    comment: Option<String>,
) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let rating = rating
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::validation("rating", "choice_unknown"))?;
        orders::rate(
            &state,
            session::actor().as_ref(),
            order,
            rating,
            comment.as_deref().unwrap_or_default(),
        )
        .await?;
        super::after_form(&format!("/orders/{order}?done=1"));
        Ok(())
    })
    .await
}

/// An institution's services for its admins (`institution`: the first one they run when absent).
#[server(endpoint = "institution_services")]
pub async fn own_services(
    institution: Option<i64>,
    edit: Option<i64>,
) -> Result<InstitutionServices, AppError> {
    super::reply(async move {
        let state = state()?;
        let actor = session::actor();
        let institution = match institution {
            Some(id) => OrganisationId(id),
            None => actor
                .as_ref()
                .and_then(|a| a.administered().next())
                .ok_or(AppError::Forbidden)?,
        };
        services::of_institution(&state, actor.as_ref(), institution, edit).await
    })
    .await
}

/// Publishes a service, or changes one (`form.service`); a plain form post goes back to the
/// institution's services.
#[server(endpoint = "publish_service")]
pub async fn publish_service(form: ServiceForm) -> Result<i64, AppError> {
    super::reply(async move {
        let state = state()?;
        let number = |raw: &str, field: &str, key: &str| {
            raw.trim()
                .parse::<i64>()
                .map_err(|_| AppError::validation(field, key))
        };
        let mut prices = Vec::new();
        for (category, raw, field) in [
            (CustomerCategory::Own, &form.price_own, "price_own"),
            (CustomerCategory::Zone, &form.price_zone, "price_zone"),
            (
                CustomerCategory::External,
                &form.price_external,
                "price_external",
            ),
            (CustomerCategory::Sme, &form.price_sme, "price_sme"),
        ] {
            if !raw.trim().is_empty() {
                let price = Money::parse(raw.trim())
                    .map_err(|_| AppError::validation(field, "price_invalid"))?;
                prices.push((category, price));
            }
        }
        let new = services::NewService {
            name_zh: form.name_zh,
            name_en: form.name_en,
            standards: form.standards.lines().map(str::to_string).collect(),
            products: form.products,
            sample_quantity: form.sample_quantity,
            sample_form: form.sample_form,
            packaging: form.packaging,
            turnaround_days: number(
                &form.turnaround_days,
                "turnaround_days",
                "turnaround_invalid",
            )?,
            capacity_per_week: number(
                &form.capacity_per_week,
                "capacity_per_week",
                "capacity_invalid",
            )?,
            prices,
            resources: form.resources.into_iter().map(ResourceId).collect(),
        };
        let institution = OrganisationId(form.institution);
        let id = services::publish(
            &state,
            session::actor().as_ref(),
            institution,
            new,
            form.service,
        )
        .await?;
        super::after_form(&format!(
            "/institution/services?institution={}&published=1",
            institution.0
        ));
        Ok(id)
    })
    .await
}

/// Takes a service out of search or puts it back.
#[server(endpoint = "list_service")]
pub async fn list_service(service: i64, listed: String) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        let listed = match listed.as_str() {
            "1" => true,
            "0" => false,
            _ => return Err(AppError::validation("listed", "choice_unknown")),
        };
        services::set_listed(&state, session::actor().as_ref(), service, listed).await?;
        super::after_form_back("/institution/services");
        Ok(())
    })
    .await
}

/// The needs board as the reader sees it.
#[server(endpoint = "needs")]
pub async fn needs_board() -> Result<NeedsPage, AppError> {
    super::reply(async move {
        let state = state()?;
        needs::board(&state, session::actor().as_ref()).await
    })
    .await
}

#[server(endpoint = "post_need")]
pub async fn post_need(form: NeedForm) -> Result<i64, AppError> {
    super::reply(async move {
        let state = state()?;
        let id = needs::post(&state, session::actor().as_ref(), form).await?;
        super::after_form("/needs?posted=1");
        Ok(id)
    })
    .await
}

/// An institution's offer for a need: a service of its own, the total price in yuan, the
/// turnaround in working days.
#[server(endpoint = "make_offer")]
pub async fn make_offer(
    need: i64,
    service: i64,
    price: String,
    turnaround_days: String,
    note: Option<String>,
) -> Result<i64, AppError> {
    super::reply(async move {
        let state = state()?;
        let new = needs::NewOffer {
            need,
            service,
            price: Money::parse(price.trim()).ok(),
            turnaround_days: turnaround_days
                .trim()
                .parse()
                .map_err(|_| AppError::validation("turnaround_days", "turnaround_invalid"))?,
            note: note.unwrap_or_default(),
        };
        let id = needs::offer(&state, session::actor().as_ref(), new).await?;
        super::after_form("/needs?offered=1");
        Ok(id)
    })
    .await
}

/// The posting organisation accepts an offer; a plain form post goes on to the new order.
#[server(endpoint = "accept_offer")]
pub async fn accept_offer(offer: i64) -> Result<i64, AppError> {
    super::reply(async move {
        let state = state()?;
        let order = needs::accept(&state, session::actor().as_ref(), offer).await?;
        super::after_form(&format!("/orders/{order}?placed=1"));
        Ok(order)
    })
    .await
}

#[server(endpoint = "withdraw_need")]
pub async fn withdraw_need(need: i64) -> Result<(), AppError> {
    super::reply(async move {
        let state = state()?;
        needs::withdraw(&state, session::actor().as_ref(), need).await?;
        super::after_form("/needs");
        Ok(())
    })
    .await
}
