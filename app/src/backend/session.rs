//! The session of the request being served. The server's middleware resolves the cookie once per
//! request and puts a [`RequestSession`] into the request's extensions; server functions and pages
//! read it from there through [`actor`].

use crate::domain::account::Actor;

pub const SESSION_COOKIE: &str = "labshare_session";

/// Who is asking, as the middleware found out.
#[derive(Debug, Clone, Default)]
pub struct RequestSession {
    /// The token presented in the cookie, if it names a live session.
    pub token: Option<String>,
    pub actor: Option<Actor>,
    /// The client's address (for throttling) and user agent (shown beside sessions).
    pub address: String,
    pub user_agent: String,
}

/// The current request's session (empty outside a request).
pub fn current() -> RequestSession {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestSession>().cloned())
        .unwrap_or_default()
}

/// The signed-in person making the current request, if any.
pub fn actor() -> Option<Actor> {
    current().actor
}

/// The value of cookie `name` in `headers`.
pub fn read_cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The Set-Cookie value that stores a session token: HttpOnly, SameSite=Lax, Secure when the
/// platform is served over HTTPS.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    )
}

/// The Set-Cookie value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// Adds a Set-Cookie header to the current response.
pub fn set_cookie(value: &str) {
    if let (Some(res), Ok(v)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        res.append_header(http::header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "i18n_pref_locale=en; labshare_session=abc123; x=y"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            read_cookie(&headers, SESSION_COOKIE).as_deref(),
            Some("abc123")
        );
        assert_eq!(read_cookie(&headers, "missing"), None);
    }

    #[test]
    fn session_cookies_carry_the_protective_flags() {
        let c = session_cookie("t", 3600, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("; Secure"));
        assert!(!session_cookie("t", 3600, false).contains("Secure"));
        assert!(clear_session_cookie(false).contains("Max-Age=0"));
    }
}
