//! Mail that cannot be lost: the outbox delivered by the server's sender to a real SMTP server
//! (python3-aiosmtpd writing a Maildir), with calendar invitations a calendar parser accepts;
//! delivery once the mail server comes back; give-up and retry; two senders on one database;
//! a killed server process; the dev mailbox; reminders.

use crate::common;

use axum::http::StatusCode;
use common::race::open_resource;
use common::smtp::{free_port, maildir_messages, sender, Smtpd};
use common::{ServerProcess, TestApp};
use icalendar::{Calendar, Component, DatePerhapsTime};
use mail_parser::{MessageParser, MimeHeaders};
use std::collections::HashSet;
use std::time::Duration;

const BOOKER: &str = "liu.fang@nk-furniture.example";
const HOUR: i64 = 3600;

fn booking<'a>(resource: &'a str, starts: &'a str, ends: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("resource", resource),
        ("starts", starts),
        ("ends", ends),
        ("purpose", "出口家具阻燃性能检测"),
        ("contact_phone", "13970001000"),
    ]
}

async fn book(app: &TestApp, token: &str, resource: &str, starts: &str, ends: &str) -> i64 {
    let (status, _, body) = app
        .call("book", &booking(resource, starts, ends), Some(token), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .expect("booking id")
}

/// A delivered message, parsed: subject, text, HTML, the calendar (if any), Message-ID, To.
struct Received {
    subject: String,
    text: String,
    html: String,
    calendar: Option<(String, Calendar)>,
    message_id: String,
    to: String,
}

fn parse(raw: &[u8]) -> Received {
    let message = MessageParser::default().parse(raw).expect("a MIME message");
    let calendar = message
        .attachments()
        .find(|part| {
            part.attachment_name() == Some("invite.ics")
                || part
                    .content_type()
                    .is_some_and(|t| t.subtype() == Some("ics"))
        })
        .map(|part| {
            let text = String::from_utf8(part.contents().to_vec()).expect("utf-8 ics");
            let calendar: Calendar = text.parse().expect("RFC 5545 calendar");
            (text, calendar)
        });
    Received {
        subject: message.subject().unwrap_or_default().to_string(),
        text: message.body_text(0).unwrap_or_default().to_string(),
        html: message.body_html(0).unwrap_or_default().to_string(),
        calendar,
        message_id: message.message_id().unwrap_or_default().to_string(),
        to: message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string(),
    }
}

fn received(smtpd: &Smtpd) -> Vec<Received> {
    smtpd.messages().iter().map(|raw| parse(raw)).collect()
}

fn utc(value: DatePerhapsTime) -> i64 {
    match value {
        DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t)) => t.timestamp(),
        other => panic!("expected a UTC time, got {other:?}"),
    }
}

#[tokio::test]
async fn a_confirmed_booking_arrives_with_an_invitation_and_its_cancellation_supersedes_it() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let smtpd = Smtpd::start(free_port(), dir.path());
    let sender = sender(smtpd.port, 72 * HOUR);
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;
    let id = book(
        &app,
        &token,
        &resource,
        "2026-12-01T09:00",
        "2026-12-01T12:00",
    )
    .await;

    let round = sender.deliver_due(&app.state).await.unwrap();
    assert_eq!((round.sent, round.retrying, round.failed), (1, 0, 0));
    let mails = received(&smtpd);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, BOOKER);
    // The booker's language is Chinese: subject, text and HTML say so.
    assert!(
        mail.subject.starts_with("预约已确认：竞争测试仪"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains(&format!("预约编号：{id}")),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("2026年12月1日 周二 09:00–12:00"));
    assert!(mail.html.contains("<html lang=\"zh-CN\">"));
    assert!(mail
        .html
        .contains(&format!("<a href=\"http://127.0.0.1/bookings/{id}\"")));
    let stored: String = sqlx::query_scalar("SELECT message_id FROM outbox WHERE booking_id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(
        format!("<{}>", mail.message_id),
        stored,
        "stable Message-ID"
    );
    let (ics, calendar) = mail.calendar.as_ref().expect("an invitation");
    assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
    let event = calendar.events().next().expect("one event");
    let uid = format!("booking-{id}@127.0.0.1");
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert_eq!(event.get_sequence(), Some(0));
    // 09:00–12:00 in Shanghai is 01:00–04:00 UTC.
    let start = common::now().timestamp() + 6 * 86_400 - HOUR;
    assert_eq!(utc(event.get_start().unwrap()), start);
    assert_eq!(utc(event.get_end().unwrap()), start + 3 * HOUR);
    assert_eq!(event.get_summary(), Some("竞争测试仪"));
    let people = |key: &str| -> Vec<String> {
        let single = event.properties().get(key).into_iter();
        let multi = event.multi_properties().get(key).into_iter().flatten();
        single.chain(multi).map(|p| p.value().to_string()).collect()
    };
    assert_eq!(people("ATTENDEE"), [format!("mailto:{BOOKER}")], "{ics}");
    assert_eq!(people("ORGANIZER"), ["mailto:noreply@labshare.test"]);

    // Cancelled: the same UID, a higher SEQUENCE, METHOD:CANCEL.
    let (status, _, body) = app
        .call(
            "cancel_booking",
            &[("booking", &id.to_string()), ("reason", "计划有变")],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(sender.deliver_due(&app.state).await.unwrap().sent, 1);
    let mails = received(&smtpd);
    let cancel = mails
        .iter()
        .find(|m| m.subject.starts_with("预约已取消"))
        .expect("the cancellation");
    let (_, calendar) = cancel.calendar.as_ref().expect("a cancellation invite");
    assert_eq!(calendar.property_value("METHOD"), Some("CANCEL"));
    let event = calendar.events().next().unwrap();
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert_eq!(event.get_sequence(), Some(1));
    assert_eq!(event.get_status(), Some(icalendar::EventStatus::Cancelled));
    assert!(cancel.text.contains("计划有变"));
    assert_eq!(sender.deliver_due(&app.state).await.unwrap().sent, 0);
}

#[tokio::test]
async fn mail_queued_while_the_smtp_server_is_down_is_delivered_once_when_it_is_back() {
    let app = TestApp::new().await;
    let port = free_port();
    let sender = sender(port, 72 * HOUR);
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;
    for day in ["2026-12-01", "2026-12-02", "2026-12-03"] {
        book(
            &app,
            &token,
            &resource,
            &format!("{day}T09:00"),
            &format!("{day}T10:00"),
        )
        .await;
    }
    let queued = app.scalar("SELECT COUNT(*) FROM outbox").await;
    assert!(queued >= 3);

    // Nobody listens: every message stays queued, with the attempt and its error recorded.
    let round = sender.deliver_due(&app.state).await.unwrap();
    assert_eq!(round.retrying as i64, queued);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND attempts = 1 AND last_error <> ''")
            .await,
        queued
    );

    let dir = tempfile::tempdir().unwrap();
    let smtpd = Smtpd::start(port, dir.path());
    // Back off first: nothing is due yet.
    assert_eq!(sender.deliver_due(&app.state).await.unwrap().sent, 0);
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(
        sender.deliver_due(&app.state).await.unwrap().sent as i64,
        queued
    );
    assert_eq!(sender.deliver_due(&app.state).await.unwrap().sent, 0);

    let mails = received(&smtpd);
    assert_eq!(mails.len() as i64, queued, "every message exactly once");
    let ids: HashSet<_> = mails.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len() as i64, queued);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND sent_at IS NOT NULL")
            .await,
        queued
    );
}

#[tokio::test]
async fn undeliverable_mail_fails_after_the_give_up_time_and_a_site_admin_can_send_it_again() {
    let app = TestApp::new().await;
    let port = free_port();
    let sender = sender(port, 2 * HOUR);
    let (status, _, body) = app
        .call("request_password_reset", &[("email", BOOKER)], None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = app.scalar("SELECT MAX(id) FROM outbox").await;

    // Retried with growing pauses until the round is two hours old, then failed.
    let mut attempts = 0;
    loop {
        let round = sender.deliver_due(&app.state).await.unwrap();
        attempts += round.retrying + round.failed;
        if round.failed == 1 {
            break;
        }
        assert!(attempts < 20, "never gave up");
        app.clock.advance(chrono::Duration::seconds(3600));
    }
    assert!(attempts >= 3, "retried before giving up ({attempts})");
    let (status, attempts_stored): (String, i64) =
        sqlx::query_as("SELECT status, attempts FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), attempts_stored),
        ("failed", attempts as i64)
    );
    app.clock.advance(chrono::Duration::seconds(86_400));
    assert_eq!(
        sender.deliver_due(&app.state).await.unwrap(),
        Default::default(),
        "failed stays failed"
    );

    // The site admin sees it among the failed, with a button to send it again.
    let admin = app.sign_in("siteadmin@jx-zone.example").await;
    let (status, _, html) = app
        .get(
            "/admin/outbox?filter=failed",
            &[("cookie", &format!("labshare_session={admin}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = common::text(&html);
    assert!(page.contains("data-status=\"failed\""), "{page}");
    assert!(page.contains("重新发送"));

    // A booker may not; the site admin may, once.
    let booker = app.sign_in(BOOKER).await;
    let (status, _, _) = app
        .call(
            "retry_mail",
            &[("message", &id.to_string())],
            Some(&booker),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = app
        .call(
            "retry_mail",
            &[("message", &id.to_string())],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = app
        .call(
            "retry_mail",
            &[("message", &id.to_string())],
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("not_failed"));

    let dir = tempfile::tempdir().unwrap();
    let smtpd = Smtpd::start(port, dir.path());
    assert_eq!(sender.deliver_due(&app.state).await.unwrap().sent, 1);
    let mails = received(&smtpd);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("重置密码") || mails[0].subject.contains("password"),
        "{}",
        mails[0].subject
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sender_loops_on_one_sqlite_database_deliver_each_message_once() {
    let app = TestApp::with_demo(false).await;
    common::smtp::two_senders_deliver_each_message_once(&app, 60).await;
}

#[tokio::test]
async fn without_smtp_mail_goes_to_the_dev_mailbox_as_eml_files() {
    let app = TestApp::new().await;
    let config = common::config(app.dir.path(), None, false);
    assert!(config.smtp_url.is_none());
    let sender = server::mailer::Sender::from_config(&config).unwrap();
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;
    let id = book(
        &app,
        &token,
        &resource,
        "2026-12-01T09:00",
        "2026-12-01T12:00",
    )
    .await;
    assert_eq!(sender.deliver_due(&app.state).await.unwrap().sent, 1);
    let outbox_id: i64 = sqlx::query_scalar("SELECT id FROM outbox WHERE booking_id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let path = app
        .dir
        .path()
        .join("mailbox")
        .join(format!("{outbox_id:08}.eml"));
    let mail = parse(&std::fs::read(&path).expect("the .eml file"));
    assert!(mail.subject.starts_with("预约已确认"));
    assert!(mail.calendar.is_some());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_reminder_goes_once_before_the_start_and_not_for_a_booking_made_that_close() {
    let app = TestApp::new().await;
    let resource = open_resource(&app, (0, 0)).await.to_string();
    let token = app.sign_in(BOOKER).await;
    let lead = 24 * HOUR;
    // Saturday 28 November, 09:00–10:00 (three days ahead).
    let id = book(
        &app,
        &token,
        &resource,
        "2026-11-28T09:00",
        "2026-11-28T10:00",
    )
    .await;
    let reminders = || {
        app.scalar(
            "SELECT COUNT(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id \
             WHERE o.template = 'booking_reminder' AND b.resource_id = (SELECT MAX(id) FROM resources)",
        )
    };
    // The demo zone's own bookings due for a reminder go first.
    app::backend::bookings::send_reminders(&app.state, lead)
        .await
        .unwrap();
    assert_eq!(reminders().await, 0);
    // Friday 27 November, 10:00: 23 hours before.
    app.clock.advance(chrono::Duration::hours(48));
    assert!(
        app::backend::bookings::send_reminders(&app.state, lead)
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(reminders().await, 1);
    assert_eq!(
        app::backend::bookings::send_reminders(&app.state, lead)
            .await
            .unwrap(),
        0
    );
    assert_eq!(reminders().await, 1, "sent once");
    let (subject, to): (String, String) = sqlx::query_as(
        "SELECT subject, to_address FROM outbox WHERE template = 'booking_reminder' AND booking_id = $1",
    )
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert!(subject.starts_with("预约提醒：竞争测试仪"), "{subject}");
    assert_eq!(to, BOOKER);
    // Booked now for tomorrow morning: the confirmation is the reminder.
    let token = app.sign_in(BOOKER).await;
    book(
        &app,
        &token,
        &resource,
        "2026-11-28T11:00",
        "2026-11-28T12:00",
    )
    .await;
    app::backend::bookings::send_reminders(&app.state, lead)
        .await
        .unwrap();
    assert_eq!(reminders().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queued_when_the_server_process_is_killed_is_delivered_after_the_restart() {
    let data = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let port = free_port();
    // The sender's first look is at start-up; the next would be an hour later. The message below
    // is queued in between, and the process is killed with it still waiting.
    let first = ServerProcess::start(data.path(), port, smtp_port, 3600);
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let (status, body) = common::race::post(
        addr,
        "request_password_reset",
        &format!("email={BOOKER}"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    first.kill();
    let db = app::backend::Db::connect(
        &format!("sqlite://{}", data.path().join("labshare.db").display()),
        1,
    )
    .await
    .unwrap();
    let reset = format!(
        "SELECT COUNT(*) FROM outbox WHERE template = 'reset_password' AND to_address = '{BOOKER}'"
    );
    let waiting: i64 =
        sqlx::query_scalar(&format!("{reset} AND status = 'queued' AND attempts = 0"))
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(waiting, 1, "the message is queued when the process dies");

    let maildir = tempfile::tempdir().unwrap();
    let _smtpd = Smtpd::start(smtp_port, maildir.path());
    let _second = ServerProcess::start(data.path(), port, smtp_port, 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    // The reset mail only: the restarted scheduler may also remind the booker of a demo booking
    // that starts within a day of the real clock.
    let to_booker = || {
        maildir_messages(maildir.path())
            .iter()
            .map(|raw| parse(raw))
            .filter(|m| m.to == BOOKER && m.text.contains("/reset-password"))
            .count()
    };
    while to_booker() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "not delivered after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(to_booker(), 1, "delivered once");
    let sent: i64 = sqlx::query_scalar(&format!("{reset} AND status = 'sent'"))
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(sent, 1);
    db.close().await;
}
