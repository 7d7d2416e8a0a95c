//! Mail: templates rendered into outbox rows, written inside the caller's transaction so that a
//! committed change always has its message and a rolled-back one never does.
//!
//! Each template is a file `app/templates/mail/<name>.<language>.txt` whose first line is
//! `Subject: …`, then a blank line, then the body; both are rendered by minijinja.

use crate::domain::account::Language;
use crate::error::AppError;
use minijinja::Environment;
use serde::Serialize;
use sqlx::AnyConnection;
use std::sync::OnceLock;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(
            (concat!($name, ".zh-CN"), include_str!(concat!("../../templates/mail/", $name, ".zh-CN.txt"))),
            (concat!($name, ".en"), include_str!(concat!("../../templates/mail/", $name, ".en.txt"))),
        )*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "verify_email",
    "account_exists",
    "reset_password",
    "invitation",
    "claim_decided",
    "booking_cancelled",
    "booking_confirmed",
    "booking_received",
    "booking_request",
    "booking_rejected",
    "booking_expired",
    "booking_rescheduled",
    "booking_reminder",
    "order_received",
    "order_new",
    "order_quoted",
    "order_accepted",
    "order_report_issued",
    "order_changed",
    "order_changed_by_customer",
    "needs_digest",
    "offer_accepted",
    "services_withdrawn",
);

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // The text parts: nothing to escape. The HTML layout escapes everything it is given.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_filter("linkify", linkify);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("mail templates are checked by the test below");
        }
        env.add_template(
            "layout.html",
            include_str!("../../templates/mail/layout.html"),
        )
        .expect("mail layout is checked by the test below");
        env
    })
}

/// HTML-escapes a line of text and makes its web addresses links.
fn linkify(line: &str) -> minijinja::Value {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("http://").or_else(|| rest.find("https://")) {
        let at = match (rest.find("http://"), rest.find("https://")) {
            (Some(a), Some(b)) => a.min(b),
            _ => at,
        };
        out.push_str(&escape(&rest[..at]));
        let url_len = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '）' | '，' | '。'))
            .unwrap_or(rest.len() - at);
        let url = escape(&rest[at..at + url_len]);
        out.push_str(&format!(
            r#"<a href="{url}" style="color:#0b5cad">{url}</a>"#
        ));
        rest = &rest[at + url_len..];
    }
    out.push_str(&escape(rest));
    minijinja::Value::from_safe_string(out)
}

/// The platform's name in `language`, from the translations (mail subjects end with it).
pub fn platform_name(language: Language) -> &'static str {
    crate::wording::platform_name(crate::wording::locale_of(language))
}

/// A rendered message: subject, plain-text body and the same body as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// Renders `template` in `language` with `context` (plus `platform`): the text template gives the
/// subject and the plain-text part; the HTML layout sets the same paragraphs for mail readers.
pub fn render(
    template: &str,
    language: Language,
    context: &serde_json::Value,
) -> Result<Rendered, AppError> {
    let name = format!("{template}.{}", language.as_str());
    let mut ctx = context.clone();
    if let Some(map) = ctx.as_object_mut() {
        map.insert("platform".into(), platform_name(language).into());
    }
    let env = environment();
    let text = env
        .get_template(&name)
        .and_then(|t| t.render(&ctx))
        .map_err(|e| AppError::internal("mail template", e))?;
    let (first, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject = first.strip_prefix("Subject: ").unwrap_or(first).trim();
    let body_text = body.trim_start_matches('\n').to_string();
    let paragraphs: Vec<Vec<&str>> = body_text
        .split("\n\n")
        .map(|p| {
            p.lines()
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    let body_html = env
        .get_template("layout.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                lang => language.as_str(),
                subject => subject,
                paragraphs => paragraphs,
                platform => platform_name(language),
            })
        })
        .map_err(|e| AppError::internal("mail layout", e))?;
    Ok(Rendered {
        subject: subject.to_string(),
        body_text,
        body_html,
    })
}

/// A message to queue.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub to: String,
    pub to_name: String,
    pub language: Language,
    pub template: &'static str,
    pub context: serde_json::Value,
    pub booking: Option<i64>,
    /// A calendar invitation (or its cancellation) to attach.
    pub invite: Option<Invite>,
}

impl Mail {
    pub fn new(
        (to, to_name, language): (&str, &str, Language),
        template: &'static str,
        context: serde_json::Value,
    ) -> Mail {
        Mail {
            to: to.to_string(),
            to_name: to_name.to_string(),
            language,
            template,
            context,
            booking: None,
            invite: None,
        }
    }
}

/// Whether an invitation asks the calendar to add (or update) the event, or to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InviteMethod {
    Request,
    Cancel,
}

impl InviteMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteMethod::Request => "REQUEST",
            InviteMethod::Cancel => "CANCEL",
        }
    }
}

/// An RFC 5545 event for one booking. The UID is the booking's for ever; SEQUENCE is the
/// booking's change counter, so each update or cancellation supersedes the invitation before it.
#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    pub method: InviteMethod,
    pub uid: String,
    pub sequence: i64,
    pub starts: i64,
    pub ends: i64,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub organizer: (String, String),
    pub attendee: (String, String),
}

impl Invite {
    /// The calendar object, times in UTC (no VTIMEZONE needed), stamped `now`.
    pub fn ics(&self, now: i64) -> String {
        use icalendar::{Calendar, Property};
        let mut calendar = Calendar::empty();
        calendar
            .append_property(Property::new("VERSION", "2.0"))
            .append_property(Property::new("PRODID", "-//labshare//booking//EN"))
            .append_property(Property::new("CALSCALE", "GREGORIAN"))
            .append_property(Property::new("METHOD", self.method.as_str()))
            .push(self.event(now));
        calendar.done().to_string()
    }

    /// The event alone (for an invitation or a feed), stamped `now`.
    pub fn event(&self, now: i64) -> icalendar::Event {
        use chrono::TimeZone;
        use icalendar::{Component, Event, EventLike, EventStatus, Property};
        let at = |t: i64| chrono::Utc.timestamp_opt(t, 0).single().unwrap_or_default();
        let person = |key: &str, (email, name): &(String, String)| {
            let mut p = Property::new(key, format!("mailto:{email}"));
            if !name.is_empty() {
                p.add_parameter("CN", name);
            }
            p
        };
        let mut attendee = person("ATTENDEE", &self.attendee);
        attendee
            .add_parameter("ROLE", "REQ-PARTICIPANT")
            .add_parameter("PARTSTAT", "ACCEPTED")
            .add_parameter("RSVP", "FALSE");
        Event::new()
            .uid(&self.uid)
            .sequence(u32::try_from(self.sequence).unwrap_or(0))
            .timestamp(at(now))
            .starts(at(self.starts))
            .ends(at(self.ends))
            .summary(&self.summary)
            .location(&self.location)
            .description(&self.description)
            .status(match self.method {
                InviteMethod::Request => EventStatus::Confirmed,
                InviteMethod::Cancel => EventStatus::Cancelled,
            })
            .append_property(person("ORGANIZER", &self.organizer))
            .append_property(attendee)
            .done()
    }
}

/// A booking's calendar UID, the same in every mailed invitation and every feed, so a calendar
/// that has both shows one event.
pub fn booking_uid(booking: i64, public_url: &str) -> String {
    format!("booking-{booking}@{}", mail_host(public_url))
}

/// The host part of the public address, for Message-IDs and calendar UIDs.
pub fn mail_host(public_url: &str) -> &str {
    public_url
        .split("://")
        .nth(1)
        .unwrap_or(public_url)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost")
}

/// Writes `mail` into the outbox on `conn` (the caller's transaction). Returns the row id.
pub async fn enqueue(
    conn: &mut AnyConnection,
    mail: &Mail,
    now: i64,
    public_url: &str,
) -> Result<i64, AppError> {
    let rendered = render(mail.template, mail.language, &mail.context)?;
    let message_id = format!(
        "<{}@{}>",
        super::secrets::new_token(),
        mail_host(public_url)
    );
    let ics = mail.invite.as_ref().map(|invite| invite.ics(now));
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO outbox (message_id, to_address, to_name, locale, template, payload, subject, body_text, \
           body_html, ics, booking_id, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(&message_id)
    .bind(&mail.to)
    .bind(&mail.to_name)
    .bind(mail.language.as_str())
    .bind(mail.template)
    .bind(mail.context.to_string())
    .bind(&rendered.subject)
    .bind(&rendered.body_text)
    .bind(&rendered.body_html)
    .bind(ics)
    .bind(mail.booking)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    tracing::info!(outbox_id = id, to = %mail.to, subject = %rendered.subject, "queued mail");
    Ok(id)
}

/// A message claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Outgoing {
    pub id: i64,
    pub message_id: String,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub ics: Option<String>,
    pub attempts: i64,
    pub created_at: i64,
    /// When this round of attempts began: creation, or the site admin's retry.
    pub round_started: i64,
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queued again for the given time.
    RetryAt(i64),
    /// Given up: listed as failed for a site admin to retry.
    Failed,
}

const DUE: &str = "((status = 'queued' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until < $1))";

/// `text` with the secret of every single-use link hidden: `token=` and the hex digits after it.
pub fn mask_links(text: &str) -> String {
    const MARK: &str = "token=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        let (before, after) = rest.split_at(at + MARK.len());
        out.push_str(before);
        let secret = after
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(after.len());
        if secret > 0 {
            out.push_str("[hidden]");
        }
        rest = &after[secret..];
    }
    out.push_str(rest);
    out
}

/// The wait before attempt `attempts + 1`: one minute, doubling, at most an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let exponent = attempts.clamp(1, 7) - 1;
    (60_i64 << exponent).min(3600)
}

impl super::Db {
    /// The newest `limit` messages, all or only those in state `status`.
    pub async fn outbox(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::domain::account::OutboxRow>, sqlx::Error> {
        let mut rows: Vec<crate::domain::account::OutboxRow> = sqlx::query_as(
            "SELECT id, to_address, subject, body_text, status, attempts, last_error, created_at, sent_at, \
               next_attempt_at, CASE WHEN ics IS NULL THEN '' WHEN ics LIKE '%METHOD:CANCEL%' THEN 'CANCEL' \
               ELSE 'REQUEST' END AS invite \
             FROM outbox WHERE $1 = '' OR status = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(status.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        // The site admin sees what was sent, never a live link that would let them act as the
        // recipient.
        for row in &mut rows {
            row.body_text = mask_links(&row.body_text);
        }
        Ok(rows)
    }

    /// How many messages wait for delivery, and how many failed for good.
    pub async fn outbox_counts(&self) -> Result<(i64, i64), sqlx::Error> {
        sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status IN ('queued', 'sending') THEN 1 ELSE 0 END), 0), \
               COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) FROM outbox",
        )
        .fetch_one(self.pool())
        .await
    }

    /// Claims up to `limit` messages that are due (or whose sender died holding them) for
    /// `lease_secs`. Each claim is a guarded update: when several senders race for a row, exactly
    /// one update matches it, so a message is handed to one sender at a time.
    pub async fn claim_due_mail(
        &self,
        now: i64,
        lease_secs: i64,
        limit: i64,
    ) -> Result<Vec<Outgoing>, sqlx::Error> {
        let candidates: Vec<(i64,)> = sqlx::query_as(&format!(
            "SELECT id FROM outbox WHERE {DUE} ORDER BY id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for (id,) in candidates {
            let row: Option<Outgoing> = sqlx::query_as(&format!(
                "UPDATE outbox SET status = 'sending', claimed_until = $2, attempts = attempts + 1 \
                 WHERE id = $3 AND {DUE} \
                 RETURNING id, message_id, to_address, to_name, subject, body_text, body_html, ics, attempts, \
                   created_at, COALESCE(retried_at, created_at) AS round_started"
            ))
            .bind(now)
            .bind(now + lease_secs)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
            claimed.extend(row);
        }
        Ok(claimed)
    }

    /// Records a delivery. The stored copy keeps no live link from then on: whoever reads the
    /// database later cannot use a verification, reset or invitation link.
    pub async fn record_mail_sent(&self, mail: &Outgoing, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, claimed_until = NULL, last_error = '', \
               body_text = $3, body_html = $4, payload = '{}' \
             WHERE id = $2 AND status = 'sending'",
        )
        .bind(now)
        .bind(mail.id)
        .bind(mask_links(&mail.body_text))
        .bind(mask_links(&mail.body_html))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a failed attempt: queued again after the backoff, or failed for good when the
    /// server refused it permanently or this round has lasted longer than `give_up_secs`.
    pub async fn record_mail_failure(
        &self,
        mail: &Outgoing,
        now: i64,
        error: &str,
        permanent: bool,
        give_up_secs: i64,
    ) -> Result<AfterFailure, sqlx::Error> {
        let next = now + backoff_secs(mail.attempts);
        let outcome = if permanent || next > mail.round_started + give_up_secs {
            AfterFailure::Failed
        } else {
            AfterFailure::RetryAt(next)
        };
        let status = match outcome {
            AfterFailure::Failed => "failed",
            AfterFailure::RetryAt(_) => "queued",
        };
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "UPDATE outbox SET status = $1, next_attempt_at = $2, claimed_until = NULL, last_error = $3 \
             WHERE id = $4 AND status = 'sending'",
        )
        .bind(status)
        .bind(next)
        .bind(error)
        .bind(mail.id)
        .execute(self.pool())
        .await?;
        Ok(outcome)
    }

    /// The outbox as a site admin reads it: the newest messages, all or in one state.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn outbox_page(
        &self,
        actor: Option<&crate::domain::account::Actor>,
        filter: Option<String>,
        utc_offset_seconds: i32,
    ) -> Result<crate::domain::account::OutboxPage, AppError> {
        use crate::domain::policy::{require, Action, Target};
        require(actor, Action::ManageOutbox, Target::Site)?;
        let filter =
            filter.filter(|f| matches!(f.as_str(), "queued" | "sending" | "sent" | "failed"));
        let (waiting, failed) = self.outbox_counts().await?;
        Ok(crate::domain::account::OutboxPage {
            utc_offset_seconds,
            messages: self.outbox(filter.as_deref(), 200).await?,
            filter,
            waiting,
            failed,
        })
    }

    /// A site admin sends a failed message again: a new round of attempts starts now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn retry_failed_mail(
        &self,
        actor: Option<&crate::domain::account::Actor>,
        id: i64,
        now: i64,
    ) -> Result<(), AppError> {
        use crate::domain::policy::{require, Action, Target};
        require(actor, Action::ManageOutbox, Target::Site)?;
        if !self.retry_mail(id, now).await? {
            return Err(AppError::validation("message", "not_failed"));
        }
        tracing::info!(
            outbox_id = id,
            by = actor.map(|a| a.user.0),
            "mail retry requested"
        );
        Ok(())
    }

    /// A retry of a failed message: a new round of attempts, starting now. Returns false when
    /// the message is not (or no longer) failed.
    async fn retry_mail(&self, id: i64, now: i64) -> Result<bool, sqlx::Error> {
        let changed = sqlx::query(
            "UPDATE outbox SET status = 'queued', next_attempt_at = $1, retried_at = $1 \
             WHERE id = $2 AND status = 'failed'",
        )
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_in_both_languages() {
        let ctx = serde_json::json!({
            "name": "王芳", "link": "http://x/verify?token=t", "hours": 48, "minutes": 60, "days": 7,
            "sign_in_link": "http://x/sign-in", "reset_link": "http://x/forgot-password",
            "institution": "江西省检验检测认证总院", "inviter": "管理员",
            "resource": "10 米法半电波暗室", "when": "2026-12-01 09:00–12:00", "booking": 42,
            "reason": "设备故障", "by": "管理员", "organisation": "南康木匠家具", "booker": "刘芳",
            "price": "¥1,200.00", "category": "中小微企业", "location": "A 楼 101", "purpose": "出口检测",
            "join": false, "approved": true, "in_zone": true, "sme": false, "profile_link": "http://x/profile",
            "order": 7, "service": "家具甲醛释放量检测", "customer": "南康木匠家具", "samples": 3,
            "description": "实木餐椅 3 把", "note": "", "status": "检测中", "status_zh": "已取消",
            "status_en": "Cancelled", "need": "儿童衣柜甲醛检测",
            "needs": ["儿童衣柜甲醛检测 · GB 18584 — 南康木匠家具, 2026-12-20"], "count": 1,
            "services": [{ "service": "家具 VOC 释放量检测", "standard": "GB/T 18883", "until": "2026-11-20" }],
        });
        for (name, _) in TEMPLATES {
            let (template, lang) = name.split_once('.').unwrap();
            let language = Language::parse(lang).unwrap();
            let r = render(template, language, &ctx).unwrap();
            assert!(!r.subject.is_empty() && !r.subject.contains("{{"), "{name}");
            assert!(!r.body_text.contains("{{"), "{name}");
            assert!(r.subject.contains(platform_name(language)), "{name}");
        }
        let r = render("verify_email", Language::En, &ctx).unwrap();
        assert_eq!(
            r.subject,
            "Please confirm your email address · Instrument & Facility Sharing Platform"
        );
        assert!(r.body_text.contains("http://x/verify?token=t"));
    }

    #[test]
    fn a_claim_decision_says_what_was_granted() {
        let says = |join: bool, approved: bool, in_zone: bool, sme: bool| {
            let ctx = serde_json::json!({
                "name": "Liu", "organisation": "Nankang Joinery", "join": join, "approved": approved,
                "in_zone": in_zone, "sme": sme, "profile_link": "http://x/profile",
            });
            render("claim_decided", Language::En, &ctx).unwrap()
        };
        let granted = says(false, true, true, false);
        assert!(granted.subject.contains("confirmed") && !granted.subject.contains("not"));
        assert!(granted.body_text.contains("now a member of the zone"));
        assert!(!granted.body_text.contains("SME"));
        let nothing = says(false, true, false, false);
        assert!(nothing.body_text.contains("external rates still apply"));
        let refused = says(true, false, false, false);
        assert!(refused.subject.contains("not confirmed"));
        assert!(refused.body_text.contains("external rate"));
        assert!(says(true, true, true, true)
            .body_text
            .contains("now get the prices and access of Nankang Joinery"));
    }

    #[test]
    fn the_html_part_escapes_what_people_typed_and_links_addresses() {
        let ctx = serde_json::json!({
            "name": "<script>alert(1)</script> & Co", "link": "http://x/verify?token=t&a=1", "hours": 48,
        });
        let r = render("verify_email", Language::En, &ctx).unwrap();
        assert!(r
            .body_html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
        assert!(!r.body_html.contains("<script>"));
        assert!(r
            .body_html
            .contains(r#"<a href="http://x/verify?token=t&amp;a=1" style="color:#0b5cad">"#));
        assert!(r.body_html.starts_with("<!DOCTYPE html>"));
        assert!(
            r.body_text.contains("<script>"),
            "the text part is the text"
        );
    }

    #[test]
    fn live_links_are_hidden_and_the_rest_kept() {
        let text = "Open http://x/verify-email?token=0a1b2c3d&lang=en now; token= stays; token=zz";
        assert_eq!(
            mask_links(text),
            "Open http://x/verify-email?token=[hidden]&lang=en now; token= stays; token=zz"
        );
        assert_eq!(mask_links("no links"), "no links");
    }

    #[test]
    fn retries_wait_one_minute_doubling_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(backoff_secs).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_blank() {
        assert!(render("verify_email", Language::ZhCn, &serde_json::json!({})).is_err());
    }
}
