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
    "booking_cancelled",
    "booking_confirmed",
    "booking_received",
    "booking_request",
    "booking_rejected",
    "booking_expired",
    "booking_rescheduled",
);

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Plain text: nothing to escape. The HTML part (when added) gets its own environment.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("mail templates are checked by the test below");
        }
        env
    })
}

pub fn platform_name(language: Language) -> &'static str {
    match language {
        Language::ZhCn => "检验检测仪器共享平台",
        Language::En => "Testing Instrument Sharing Platform",
    }
}

/// A rendered message: subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body_text: String,
}

/// Renders `template` in `language` with `context` (plus `platform`).
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
    let text = environment()
        .get_template(&name)
        .and_then(|t| t.render(&ctx))
        .map_err(|e| AppError::internal("mail template", e))?;
    let (first, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject = first.strip_prefix("Subject: ").unwrap_or(first).trim();
    Ok(Rendered {
        subject: subject.to_string(),
        body_text: body.trim_start_matches('\n').to_string(),
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
}

/// Writes `mail` into the outbox on `conn` (the caller's transaction). Returns the row id.
pub async fn enqueue(
    conn: &mut AnyConnection,
    mail: &Mail,
    now: i64,
    public_url: &str,
) -> Result<i64, AppError> {
    let rendered = render(mail.template, mail.language, &mail.context)?;
    let host = public_url
        .split("://")
        .nth(1)
        .unwrap_or(public_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("localhost");
    let message_id = format!("<{}@{host}>", super::secrets::new_token());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO outbox (message_id, to_address, to_name, locale, template, payload, subject, body_text, \
           booking_id, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(&message_id)
    .bind(&mail.to)
    .bind(&mail.to_name)
    .bind(mail.language.as_str())
    .bind(mail.template)
    .bind(mail.context.to_string())
    .bind(&rendered.subject)
    .bind(&rendered.body_text)
    .bind(mail.booking)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    // Until a mail server is configured the outbox is the dev mailbox: say so in the log, with the
    // text, so a link is never out of reach.
    tracing::info!(outbox_id = id, to = %mail.to, subject = %rendered.subject, body = %rendered.body_text, "queued mail");
    Ok(id)
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
            "Please confirm your email address · Testing Instrument Sharing Platform"
        );
        assert!(r.body_text.contains("http://x/verify?token=t"));
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_blank() {
        assert!(render("verify_email", Language::ZhCn, &serde_json::json!({})).is_err());
    }
}

/// A booked time as a mail states it, in the zone's time and the reader's language:
/// "2026年12月1日 周二 09:00–12:00" or "Tue 1 Dec 2026, 09:00–12:00".
pub fn time_span(language: Language, tz: &chrono_tz::Tz, starts: i64, ends: i64) -> String {
    use chrono::{Datelike, TimeZone};
    let (Some(from), Some(until)) = (
        tz.timestamp_opt(starts, 0).single(),
        tz.timestamp_opt(ends, 0).single(),
    ) else {
        return String::new();
    };
    let same_day = from.date_naive() == until.date_naive();
    let end = if same_day {
        until.format("%H:%M").to_string()
    } else {
        match language {
            Language::ZhCn => until.format("%Y年%-m月%-d日 %H:%M").to_string(),
            Language::En => until.format("%a %-d %b %Y, %H:%M").to_string(),
        }
    };
    match language {
        Language::ZhCn => {
            const DAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
            let day = DAYS[from.weekday().num_days_from_monday() as usize];
            format!(
                "{} {day} {}–{end}",
                from.format("%Y年%-m月%-d日"),
                from.format("%H:%M")
            )
        }
        Language::En => format!("{}–{end}", from.format("%a %-d %b %Y, %H:%M")),
    }
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn spans_read_naturally_in_both_languages() {
        let tz = chrono_tz::Asia::Shanghai;
        // 2026-12-01 01:00Z = 09:00 in Shanghai, a Tuesday.
        let starts = 1_796_086_800;
        assert_eq!(
            time_span(Language::ZhCn, &tz, starts, starts + 3 * 3600),
            "2026年12月1日 周二 09:00–12:00"
        );
        assert_eq!(
            time_span(Language::En, &tz, starts, starts + 3 * 3600),
            "Tue 1 Dec 2026, 09:00–12:00"
        );
        assert_eq!(
            time_span(Language::En, &tz, starts, starts + 24 * 3600),
            "Tue 1 Dec 2026, 09:00–Wed 2 Dec 2026, 09:00"
        );
    }
}
