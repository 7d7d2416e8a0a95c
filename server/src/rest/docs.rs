//! `/api/v1/docs`: the API reference as a page, drawn from the same OpenAPI document the server
//! serves, so it cannot drift from it. Headings follow the reader's language; the operations'
//! texts are the code's own documentation.

use super::problem::KINDS;
use app::domain::account::LOCALE_COOKIE;
use app::i18n::*;
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::RefOr;
use utoipa::OpenApi;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The reader's language: the site's language cookie, else the browser's first choice.
fn locale(headers: &HeaderMap) -> Locale {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LOCALE_COOKIE)
        .map(|(_, v)| v.to_string());
    let wanted = cookie.or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    match wanted {
        Some(w) if w.trim_start().starts_with("en") => Locale::en,
        _ => Locale::zh_CN,
    }
}

fn schema_name(schema: &RefOr<utoipa::openapi::schema::Schema>) -> String {
    match schema {
        RefOr::Ref(r) => r
            .ref_location
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
        RefOr::T(_) => "…".into(),
    }
}

fn operation(l: Locale, method: &str, path: &str, op: &Operation) -> String {
    let anchor = op
        .operation_id
        .clone()
        .unwrap_or_else(|| format!("{method}-{path}"));
    let mut out = format!(
        "<section class=\"panel panel--wide api-op\" id=\"op-{}\"><h3><code>{} {}</code></h3>",
        escape(&anchor),
        method.to_uppercase(),
        escape(path)
    );
    if let Some(summary) = &op.summary {
        out += &format!("<p><strong>{}</strong></p>", escape(summary));
    }
    if let Some(description) = &op.description {
        out += &format!("<p>{}</p>", escape(description));
    }
    if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
        out += &format!(
            "<h4>{}</h4><div class=\"table-wrap\"><table class=\"table\"><tbody>",
            td_string!(l, api_docs.parameters)
        );
        for p in params {
            let place = match p.parameter_in {
                ParameterIn::Path => "path",
                ParameterIn::Query => "query",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
            };
            out += &format!(
                "<tr><th scope=\"row\"><code>{}</code></th><td>{place}{}</td><td>{}</td></tr>",
                escape(&p.name),
                if matches!(p.required, utoipa::openapi::Required::True) {
                    format!(" · {}", td_string!(l, api_docs.required))
                } else {
                    String::new()
                },
                escape(p.description.as_deref().unwrap_or_default())
            );
        }
        out += "</tbody></table></div>";
    }
    if let Some(body) = &op.request_body {
        let names: Vec<String> = body
            .content
            .values()
            .filter_map(|c| c.schema.as_ref().map(schema_name))
            .collect();
        out += &format!(
            "<h4>{}</h4><p><a href=\"#schema-{n}\"><code>{n}</code></a></p>",
            td_string!(l, api_docs.request_body),
            n = escape(&names.join(", "))
        );
    }
    out += &format!("<h4>{}</h4><ul>", td_string!(l, api_docs.responses));
    for (status, response) in &op.responses.responses {
        let RefOr::T(response) = response else {
            continue;
        };
        let body: Vec<String> = response
            .content
            .iter()
            .map(|(kind, c)| {
                let name = c.schema.as_ref().map(schema_name).unwrap_or_default();
                format!("{} <code>{}</code>", escape(kind), escape(&name))
            })
            .collect();
        out += &format!(
            "<li><code>{status}</code> {} {}</li>",
            escape(&response.description),
            body.join(", ")
        );
    }
    out += "</ul></section>";
    out
}

pub async fn page(headers: HeaderMap) -> Response {
    let l = locale(&headers);
    let doc = super::ApiDoc::openapi();
    let mut body = String::new();
    body += &format!(
        "<h1>{}</h1><p class=\"lead\">{}</p>",
        td_string!(l, api_docs.title),
        td_string!(l, api_docs.intro)
    );
    body += &format!(
        "<section class=\"panel panel--wide\"><h2>{}</h2><ul>\
         <li>{}</li><li>{}</li><li>{}</li><li>{}</li><li>{}</li><li>{}</li></ul>\
         <p><a href=\"/api/v1/openapi.json\">{}</a></p></section>",
        td_string!(l, api_docs.conventions),
        td_string!(l, api_docs.auth),
        td_string!(l, api_docs.times),
        td_string!(l, api_docs.pagination),
        td_string!(l, api_docs.idempotency),
        td_string!(l, api_docs.etags),
        td_string!(l, api_docs.feeds),
        td_string!(l, api_docs.download),
    );
    body += &format!(
        "<section class=\"panel panel--wide\"><h2>{}</h2><div class=\"table-wrap\"><table class=\"table\"><tbody>",
        td_string!(l, api_docs.problems)
    );
    for (slug, status, title, text) in KINDS {
        body += &format!(
            "<tr id=\"problem-{slug}\"><th scope=\"row\"><code>{slug}</code></th><td>{status}</td><td>{}</td><td>{}</td></tr>",
            escape(title),
            escape(text)
        );
    }
    body += "</tbody></table></div></section>";
    body += &format!("<h2>{}</h2>", td_string!(l, api_docs.operations));
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("get", &item.get),
            ("post", &item.post),
            ("delete", &item.delete),
        ] {
            if let Some(op) = op {
                body += &operation(l, method, path, op);
            }
        }
    }
    body += &format!("<h2>{}</h2>", td_string!(l, api_docs.schemas));
    if let Some(components) = &doc.components {
        for (name, schema) in &components.schemas {
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            body += &format!(
                "<section class=\"panel panel--wide\" id=\"schema-{n}\"><h3><code>{n}</code></h3><pre class=\"api-schema\">{}</pre></section>",
                escape(&json),
                n = escape(name)
            );
        }
    }
    let lang = if l == Locale::en { "en" } else { "zh-CN" };
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><link rel=\"stylesheet\" href=\"/pkg/labshare.css\"></head>\
         <body><main id=\"main\" class=\"container api-docs\"><p><a href=\"/\">{}</a></p>{body}</main></body></html>",
        td_string!(l, api_docs.title),
        app::wording::platform_name(l),
        app::wording::platform_name(l),
    );
    Html(html).into_response()
}
