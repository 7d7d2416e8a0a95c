//! The axum server: configuration, state, router, start-up and shutdown. The router is built
//! separately from serving it, so tests drive the real router without a network.

pub mod backup;
pub mod config;
pub mod export;
pub mod ledger;
pub mod limits;
pub mod mailer;
pub mod orders;
pub mod rest;
pub mod wake;

/// mimalloc instead of glibc's allocator, for every binary and test built on this crate: a
/// profile of the HTTP benchmark put glibc's malloc and free at about 11 % of all CPU (bins
/// consolidated, memory returned to the kernel and faulted back in as zeroed pages).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use app::backend::session::{read_cookie, RequestSession, SESSION_COOKIE};
use app::backend::{AppState, Clock, Db, Settings, SystemClock};
use app::domain::account::LOCALE_COOKIE;
use app::{shell, App};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use config::Config;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Connects, migrates and (when asked and the database is empty) loads the demo zone.
pub async fn prepare_state(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    db.migrate().await?;
    db.prepare_reports(&config.zone_tz)
        .await
        .context("preparing the report rollups")?;
    // The time-first search's copy of rules, hours and busy time, read now rather than by the
    // first search (a second at province scale).
    db.bookables(clock.now())
        .await
        .context("reading the resources' rules, hours and busy time")?;
    if config.demo_data {
        if let Some(summary) = db
            .seed_demo_if_empty(&config.zone_tz, clock.now())
            .await
            .context("loading the demo zone")?
        {
            tracing::info!(?summary, "loaded the demo zone into the empty database");
        }
    }
    // A release build by cargo-leptos names the wasm, JS and CSS by their content and writes the
    // names into hash.txt beside the server; a build without it (tests, `cargo build`) does not.
    let hashed = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|file| file.exists());
    let leptos_options = LeptosOptions::builder()
        .output_name("labshare")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .hash_files(hashed)
        .site_addr(config.site_addr)
        .env(if config.production {
            leptos::config::Env::PROD
        } else {
            leptos::config::Env::DEV
        })
        .build();
    if let Some((email, name, password)) = &config.initial_admin {
        if !db.has_site_admin().await? {
            db.ensure_site_admin(email, name, password.clone(), clock.now().timestamp())
                .await
                .map_err(|e| anyhow::anyhow!("creating the initial site administrator: {e}"))?;
            tracing::info!(%email, "created the initial site administrator");
        }
    }
    Ok(AppState {
        leptos_options,
        db,
        tz: config.zone_tz,
        clock,
        settings: Arc::new(Settings {
            public_url: config.public_url.trim_end_matches('/').to_string(),
            session_idle_secs: config.session_idle_minutes * 60,
            session_max_secs: config.session_max_days * 86_400,
            pending_expiry_secs: config.pending_expiry_hours * 3600,
            mail_from: config.mail_from.clone(),
            reminder_lead_secs: config.reminder_lead_hours * 3600,
            photos_dir: config.photos_dir.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            rate_limit_scale: config.rate_limit_scale,
        }),
    })
}

pub async fn prepare_state_with_system_clock(config: &Config) -> anyhow::Result<AppState> {
    prepare_state(config, Arc::new(SystemClock)).await
}

/// The whole HTTP surface: pages, server functions, health, language switch and static files.
pub fn router(state: AppState) -> Router {
    // Generated once per process: while Leptos generates it, a process-wide flag parks every
    // resource that starts loading anywhere (leptos-rs/leptos#4773), which would stall requests
    // served meanwhile by another router in the same process (tests build many).
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let context_state = state.clone();
    let fn_state = state.clone();
    Router::new()
        .route("/health", get(health))
        .route("/lang/{locale}", get(switch_language))
        .route("/reports/export", get(export::export))
        .route(
            "/institution/ledger",
            axum::routing::post(ledger::upload).layer(axum::extract::DefaultBodyLimit::max(
                app::backend::ledger::MAX_FILE_BYTES + 64 * 1024,
            )),
        )
        .route("/institution/ledger/export", get(ledger::export))
        .route("/institution/ledger/template", get(ledger::template))
        .route(
            "/resources/{id}/photos",
            axum::routing::post(upload_photo).layer(axum::extract::DefaultBodyLimit::max(
                app::backend::photos::MAX_PHOTO_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/orders/{id}/report",
            get(orders::download)
                .post(orders::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    app::backend::orders::MAX_REPORT_BYTES + 64 * 1024,
                )),
        )
        .nest_service("/pkg", pkg_files(&state.leptos_options))
        .nest_service(
            "/photos",
            tower_http::services::ServeDir::new(state.settings.photos_dir.clone()),
        )
        .nest("/api/v1", rest::router(state.clone()))
        .route(
            "/api/{*fn_name}",
            axum::routing::any(move |req: axum::extract::Request| {
                let state = fn_state.clone();
                async move {
                    if let Some(refusal) = unknown_server_fn(&req) {
                        return refusal;
                    }
                    leptos_axum::handle_server_fns_with_context(
                        move || provide_context(state.clone()),
                        req,
                    )
                    .await
                    .into_response()
                }
            })
            // Forms are small: the largest (the resource editor) is a few kilobytes.
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                MAX_FORM_BYTES,
            )),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            keep_refused_forms,
        ))
        // Inside the session layer, which resolves the client's address.
        .layer(axum::middleware::from_fn_with_state(
            limits::Limits::new(state.settings.rate_limit_scale),
            limits::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session_and_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(CompressionLayer::new())
        // A request that takes longer than this is answered 408 and its work dropped.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Server functions posted by a browser's own form: when the server refuses one, its fields go
/// back to the page with the error (`keep_refused_form`).
async fn keep_refused_forms(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if req.method() != axum::http::Method::POST
        || !path.starts_with("/api/")
        || path.starts_with("/api/v1/")
    {
        return next.run(req).await;
    }
    let (req, sent) = match plain_form_body(req).await {
        Ok(kept) => kept,
        Err(refusal) => return refusal,
    };
    let mut res = next.run(req).await;
    if let Some(sent) = sent {
        keep_refused_form(&mut res, &sent, state.settings.secure_cookies());
    }
    res
}

/// A browser's own form post (a page used before or without the wasm, `Accept: text/html`,
/// URL-encoded): its body is read here so that, if the server refuses it, the fields can go back
/// to the page with the error. Any other request passes untouched.
async fn plain_form_body(
    req: axum::extract::Request,
) -> Result<(axum::extract::Request, Option<axum::body::Bytes>), Response> {
    let header_has = |headers: &axum::http::HeaderMap, name: header::HeaderName, part: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(part))
    };
    let plain = header_has(req.headers(), header::ACCEPT, "text/html")
        && header_has(
            req.headers(),
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
    if !plain {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let sent = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    let req = axum::extract::Request::from_parts(parts, axum::body::Body::from(sent.clone()));
    Ok((req, Some(sent)))
}

/// The most a kept form may weigh: browsers refuse cookies over about 4 KB. A larger form comes
/// back with its error but without its fields.
const KEPT_FORM_MAX: usize = 3_800;

/// When a plain form post was refused (the server-function layer answers with a redirect whose
/// address carries the error), its fields travel back in a short-lived cookie so the page shows
/// them again: never a password, and never more than fits a cookie.
fn keep_refused_form(res: &mut Response, sent: &[u8], secure: bool) {
    use app::components::forms::{KeptForm, KEPT_FORM_COOKIE};
    let refused = res.status().is_redirection()
        && res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.contains("__err="));
    if !refused {
        return;
    }
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(sent) else {
        return;
    };
    let kept: Vec<_> = fields
        .into_iter()
        .filter(|(k, _)| KeptForm::keeps(k))
        .collect();
    let Ok(value) = serde_urlencoded::to_string(&kept) else {
        return;
    };
    if value.len() > KEPT_FORM_MAX {
        return;
    }
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{KEPT_FORM_COOKIE}={value}; Path=/; Max-Age=120; HttpOnly; SameSite=Lax{secure}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The wasm, JS and CSS: precompressed (brotli, then gzip, as the browser accepts; cargo-leptos
/// `--precompress` writes the .br and .gz beside each file), and, when their names carry their
/// content's hash, cached for a year without asking again. Unhashed names are revalidated.
fn pkg_files(
    options: &leptos::config::LeptosOptions,
) -> tower_http::set_header::SetResponseHeader<tower_http::services::ServeDir, HeaderValue> {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let lifetime = if options.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    tower::ServiceBuilder::new()
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(lifetime),
        ))
        .service(
            tower_http::services::ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
}

/// The site's own files: the build's `/pkg`, the icon, and the week grid's script. They need no
/// session and may be cached.
fn is_static_file(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/favicon")
        || path == app::components::week_grid::WEEK_GRID_SCRIPT
}

/// The largest server-function body accepted (413 above it).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;
/// How long one request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long a shutdown waits for the requests in flight.
pub const SHUTDOWN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// The headers every response carries: no sniffing, no framing, no referrer to other sites, a
/// strict policy where a page did not set its own (with its nonce), HSTS behind https, and
/// `no-store` on whatever is private (a signed-in person's pages and every API answer).
async fn security_headers(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    let private = read_cookie(req.headers(), SESSION_COOKIE).is_some()
        || path.starts_with("/api/")
        || path.starts_with("/reports/")
        || path.starts_with("/resources/") && path.ends_with("/photos")
        || path.starts_with("/orders/") && path.ends_with("/report");
    let mut res = page_policy(next.run(req).await).await;
    let headers = res.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    // Pages set their own (with the nonce of their inline script); everything else gets none of
    // the powers a page needs.
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    if state.settings.secure_cookies() {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    let cacheable = is_static_file(&path);
    if path == app::components::week_grid::WEEK_GRID_SCRIPT {
        // Its name carries no hash: kept, but asked again (a 304 when unchanged).
        set(header::CACHE_CONTROL, "no-cache");
    }
    // The API's reads carry ETags and say `private, no-cache` themselves (revalidate each time).
    let revalidated = path.starts_with("/api/v1/") && headers.contains_key(header::CACHE_CONTROL);
    if private && !cacheable && !revalidated {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A page whose policy did not reach its response headers (seen rarely under load in the browser
/// tests: the page then could not run its scripts) gets the policy for the nonce its own script
/// tags carry. Only the server writes `<script` into a page (what people type is escaped), so the
/// nonce is the one Leptos gave this response.
async fn page_policy(res: Response) -> Response {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html || res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Some(nonce) = script_nonce(&String::from_utf8_lossy(&bytes)) {
        tracing::warn!("a page came without its policy; set from its scripts' nonce");
        if let Ok(v) = HeaderValue::from_str(&app::content_security_policy(&nonce)) {
            parts.headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The nonce of the first `<script …>` tag of a page.
pub fn script_nonce(html: &str) -> Option<String> {
    let tag_start = html.find("<script")?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let value = tag.split_once("nonce=\"")?.1.split('"').next()?;
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
        .then(|| value.to_string())
        .filter(|v| !v.is_empty())
}

/// A request for a server function that does not exist (404), or with a method it does not
/// answer (405, with the methods it does), as JSON like every other refusal.
fn unknown_server_fn(req: &axum::extract::Request) -> Option<Response> {
    static FUNCTIONS: std::sync::OnceLock<Vec<(&'static str, axum::http::Method)>> =
        std::sync::OnceLock::new();
    let functions = FUNCTIONS.get_or_init(|| leptos::server_fn::axum::server_fn_paths().collect());
    let path = req.uri().path();
    // Under the REST API's prefix, a path it does not have is its own 404.
    if path.starts_with("/api/v1/") {
        return Some(rest::problem::Problem::new("not-found").into_response());
    }
    let methods: Vec<&axum::http::Method> = functions
        .iter()
        .filter(|(p, _)| *p == path)
        .map(|(_, m)| m)
        .collect();
    let refuse = |status: StatusCode, error: app::error::AppError| {
        (status, axum::Json(error)).into_response()
    };
    if methods.is_empty() {
        return Some(refuse(
            StatusCode::NOT_FOUND,
            app::error::AppError::NotFound,
        ));
    }
    if !methods.contains(&req.method()) {
        let allow: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
        let mut res = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            app::error::AppError::validation("method", "bad_request"),
        );
        if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
            res.headers_mut().insert(header::ALLOW, v);
        }
        return Some(res);
    }
    None
}

/// Refuses cross-site requests that change state, then resolves the session cookie into the
/// request's [`RequestSession`], once, for every handler behind it.
async fn session_and_origin(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let safe = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if !safe && is_cross_site(req.headers(), &state.settings.public_url) {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), "refused a cross-site request");
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&app::error::AppError::Forbidden).unwrap_or_default(),
        )
            .into_response();
    }
    let path = req.uri().path();
    let static_file = is_static_file(path) || path == "/health";
    let mut session = RequestSession {
        address: client_address(
            req.extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
            req.headers(),
            &state.settings.trusted_proxies,
        )
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        ..Default::default()
    };
    let mut stale_cookie = false;
    if let Some(token) =
        read_cookie(req.headers(), SESSION_COOKIE).filter(|t| !t.is_empty() && !static_file)
    {
        let now = state.clock.now().timestamp();
        match state.db.session_actor(&token, now, &state.settings).await {
            Ok(Some(actor)) => {
                session.token = Some(token);
                session.actor = Some(actor);
            }
            Ok(None) => stale_cookie = true,
            // The handler will meet the same database and report it; here, just not signed in.
            Err(err) => tracing::error!(error = %err, "reading the session"),
        }
    }
    req.extensions_mut().insert(session);
    let mut res = next.run(req).await;
    let sets_session = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(SESSION_COOKIE.as_bytes()));
    if stale_cookie && !sets_session {
        let clear = app::backend::session::clear_session_cookie(state.settings.secure_cookies());
        if let Ok(v) = HeaderValue::from_str(&clear) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy; then the nearest
/// address its `X-Forwarded-For` (or `Forwarded: for=`) names that is not a trusted proxy
/// itself. What a client writes into those headers counts only behind a proxy that appends.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[app::backend::Network],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut chain: Vec<std::net::IpAddr> = Vec::new();
    for value in headers.get_all("forwarded") {
        for element in value.to_str().unwrap_or_default().split(',') {
            for pair in element.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=') {
                    if k.trim().eq_ignore_ascii_case("for") {
                        let v = v.trim().trim_matches('"');
                        let v = v
                            .strip_prefix('[')
                            .map_or(v, |v| v.split(']').next().unwrap_or(v));
                        let v = if v.matches(':').count() == 1 {
                            v.split(':').next().unwrap_or(v)
                        } else {
                            v
                        };
                        if let Ok(ip) = v.parse() {
                            chain.push(ip);
                        }
                    }
                }
            }
        }
    }
    if chain.is_empty() {
        for value in headers.get_all("x-forwarded-for") {
            for part in value.to_str().unwrap_or_default().split(',') {
                if let Ok(ip) = part.trim().parse() {
                    chain.push(ip);
                }
            }
        }
    }
    // From the nearest hop outwards, the first address that is not one of our proxies.
    Some(
        chain
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(*ip))
            .unwrap_or(peer),
    )
}

/// Whether a state-changing request comes from another site. Browsers say so in Sec-Fetch-Site;
/// older ones send Origin, compared with the Host the request was sent to and with PUBLIC_URL.
/// A request with neither header is not from a browser (no ambient cookies to abuse) and passes.
pub fn is_cross_site(headers: &axum::http::HeaderMap, public_url: &str) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match get("origin") {
        None => false,
        Some(origin) => {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            let same_host = get("host").is_some_and(|host| host == origin_host);
            !(same_host || origin == public_url.trim_end_matches('/'))
        }
    }
}

/// A photo upload from the resource editor (multipart field `photo`). A plain form post goes back
/// to the editor (with the refusal's key in the URL); a script asking for JSON gets the photo or
/// The file field `name` of a multipart form: its file name (empty when none is given) and its
/// bytes; `None` when the form has no such field. `Err` when the body cannot be read whole: over
/// the route's limit, or cut off.
pub(crate) async fn one_field(
    multipart: &mut axum::extract::Multipart,
    name: &str,
) -> Result<Option<(String, Vec<u8>)>, ()> {
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some(name) => {
                let file_name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| ())?;
                return Ok(Some((file_name, bytes.to_vec())));
            }
            Ok(Some(_)) => continue,
            Ok(None) => return Ok(None),
            Err(_) => return Err(()),
        }
    }
}

/// the error.
async fn upload_photo(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::Extension(session): axum::Extension<RequestSession>,
    headers: axum::http::HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    use app::error::AppError;
    let refuse = |status: StatusCode, error: AppError| (status, axum::Json(error)).into_response();
    let Ok(id) = id.parse::<i64>() else {
        return refuse(StatusCode::NOT_FOUND, AppError::NotFound);
    };
    // Who may add photos is decided before anything of the upload is read.
    if let Err(e) = app::backend::resources::manager_of(
        &state,
        session.actor.as_ref(),
        app::domain::ids::ResourceId(id),
    )
    .await
    {
        return refuse(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN),
            e,
        );
    }
    let Ok(mut multipart) = multipart else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::validation("photo", "photo_missing"),
        );
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    // No photo field: nothing to store, which the store refuses as missing.
    let bytes = match one_field(&mut multipart, "photo").await {
        Ok(file) => Ok(file.map(|(_, bytes)| bytes).unwrap_or_default()),
        Err(()) => Err(AppError::validation("photo", "photo_too_large")),
    };
    let result = match bytes {
        Ok(bytes) => {
            app::backend::photos::store(
                &state,
                session.actor.as_ref(),
                app::domain::ids::ResourceId(id),
                bytes,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let back = |query: String| {
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/resources/{id}/edit?{query}"))],
        )
            .into_response()
    };
    match (result, wants_json) {
        (Ok(photo), true) => axum::Json(photo).into_response(),
        (Ok(_), false) => back("photo=added".into()),
        (Err(AppError::Validation { key, .. }), false) => back(format!("photo_error={key}")),
        (Err(e), _) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(e),
        )
            .into_response(),
    }
}

/// 200 when the database answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok", "database": "ok" })),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    serde_json::json!({ "status": "unavailable", "database": "unreachable" }),
                ),
            )
                .into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// Sets the language cookie and returns to the page the person was on. Only same-site paths are
/// accepted as the way back, so the route cannot be used as an open redirect. A language the
/// platform does not have changes nothing: the person simply goes back.
async fn switch_language(
    Path(locale): Path<String>,
    query: Result<Query<Back>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A query that does not parse is a way back that is not given: home.
    let q = query.map(|Query(q)| q).unwrap_or(Back { back: None });
    let locale = match locale.as_str() {
        "en" => Some("en"),
        "zh-CN" | "zh" => Some("zh-CN"),
        _ => None,
    };
    let back = q
        .back
        .as_deref()
        .and_then(app::domain::link::local_path)
        .unwrap_or("/")
        .to_string();
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response();
    if let Some(locale) = locale {
        let cookie = format!("{LOCALE_COOKIE}={locale}; Path=/; Max-Age=31536000; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    res
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight and closes the pool.
pub async fn serve(
    state: AppState,
    addr: std::net::SocketAddr,
    sender: mailer::Sender,
    mail_poll: std::time::Duration,
    wake_url: Option<String>,
) -> anyhow::Result<()> {
    let db = state.db.clone();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let jobs = tokio::spawn(run_jobs(state.clone()));
    let (wake, listening) = match wake_url {
        Some(url) => {
            let (wake, task) = wake::listen(url);
            (Some(wake), Some(task))
        }
        None => (None, None),
    };
    let fresh = keep_search_fresh(state.clone(), wake.as_ref().map(|w| w.changes.clone()));
    let mail = tokio::spawn(sender.run(
        state.clone(),
        mail_poll,
        wake.as_ref().map(|w| w.outbox.clone()),
    ));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Requests in flight may finish, for at most the deadline.
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::future::IntoFuture::into_future(
        axum::serve(listener, app).with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stopping.send(());
        }),
    );
    tokio::select! {
        served = server => served?,
        _ = async {
            let _ = stopped.await;
            tokio::time::sleep(SHUTDOWN_DEADLINE).await;
        } => tracing::warn!(deadline = ?SHUTDOWN_DEADLINE, "requests still running at the shutdown deadline were dropped"),
    }
    jobs.abort();
    fresh.abort();
    mail.abort();
    if let Some(listening) = listening {
        listening.abort();
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Keeps this process's copy of the resources' rules, hours and busy time (the time-first
/// search's, see `app::backend::bookable`) current in the background: a version query every
/// quarter second, and what any process wrote since applied when there is something. With `wake`
/// (other servers' changes, see [`wake`]) it asks every two seconds, and at once when woken. A
/// search still checks the version itself before answering, so this only moves the applying off
/// its path.
pub fn keep_search_fresh(
    state: AppState,
    wake: Option<std::sync::Arc<tokio::sync::Notify>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = match wake {
            Some(_) => std::time::Duration::from_secs(2),
            None => std::time::Duration::from_millis(250),
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            crate::wake::tick_or_wake(&mut tick, wake.as_deref()).await;
            if let Err(err) = state.db.bookables(state.clock.now()).await {
                tracing::warn!(error = %err, "bringing the search's copy up to date");
            }
        }
    })
}

/// The in-process scheduler (no cron): every minute, the jobs that are due. Each job claims its
/// rows with guarded updates, so several server processes may run it side by side.
async fn run_jobs(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(err) =
            app::backend::bookings::expire_pending(&state, state.settings.pending_expiry_secs).await
        {
            tracing::error!(error = %err, "expiring pending requests");
        }
        if let Err(err) =
            app::backend::bookings::send_reminders(&state, state.settings.reminder_lead_secs).await
        {
            tracing::error!(error = %err, "queuing booking reminders");
        }
        if let Err(err) = app::backend::needs::close_due(&state).await {
            tracing::error!(error = %err, "closing needs past their deadline");
        }
        if let Err(err) = app::backend::needs::send_digests(&state).await {
            tracing::error!(error = %err, "sending the needs digests");
        }
        if let Err(err) = app::backend::services::tell_lapses(&state).await {
            tracing::error!(error = %err, "telling institutions of lapsed services");
        }
        let now = state.clock.now().timestamp();
        if let Err(err) = state.db.purge(now, state.settings.session_idle_secs).await {
            tracing::error!(error = %err, "purging what is past keeping");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested");
}

#[cfg(test)]
mod tests {
    use super::script_nonce;

    #[test]
    fn a_pages_nonce_is_read_from_its_first_script_tag_only() {
        let page = r#"<html><head><script nonce="AbC+/9=" type="module">x</script></head>
            <body><p>nonce="evil"</p><script nonce="other"></script></body></html>"#;
        assert_eq!(script_nonce(page).as_deref(), Some("AbC+/9="));
        // Text that merely says nonce= is not a script tag.
        assert_eq!(script_nonce(r#"<p>nonce="evil"</p>"#), None);
        assert_eq!(script_nonce(r#"<script nonce="a'b">"#), None);
        assert_eq!(script_nonce("<script>no nonce</script>"), None);
    }
}
