//! A real SMTP server for the mail tests: Debian's python3-aiosmtpd with its Mailbox handler,
//! writing every message it accepts into a Maildir. Stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Smtpd {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

/// A port on 127.0.0.1 nobody listens on (yet).
pub fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("address").port()
}

impl Smtpd {
    /// Starts the server on `port`, delivering into `maildir` (made if missing).
    pub fn start(port: u16, maildir: &Path) -> Smtpd {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
        }
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-u", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd (apt install python3-aiosmtpd)");
        let smtpd = Smtpd {
            child,
            port,
            maildir: maildir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        smtpd
    }

    /// Every message in the Maildir, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        maildir_messages(&self.maildir)
    }
}

pub fn maildir_messages(maildir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(maildir.join(sub)) {
            for entry in entries.flatten() {
                out.push(std::fs::read(entry.path()).expect("message"));
            }
        }
    }
    out
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sender delivering to the SMTP server on `port` (plain SMTP on 127.0.0.1).
pub fn sender(port: u16, give_up_secs: i64) -> server::mailer::Sender {
    let smtp = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(10)))
        .build();
    server::mailer::Sender::new(
        server::mailer::Transport::Smtp(smtp),
        "noreply@labshare.test",
        give_up_secs,
    )
    .expect("sender")
}

/// Queues `count` messages, then lets two senders deliver them at once.
pub async fn two_senders_deliver_each_message_once(app: &super::TestApp, count: usize) {
    let now = app.state.clock.now().timestamp();
    let mut tx = app.state.db.pool().begin().await.unwrap();
    for n in 0..count {
        let mail = app::backend::mail::Mail::new(
            (
                &format!("person{n}@example.com"),
                "",
                app::domain::account::Language::En,
            ),
            "reset_password",
            serde_json::json!({ "name": format!("Person {n}"), "link": "http://x/reset", "minutes": 60 }),
        );
        app::backend::mail::enqueue(&mut tx, &mail, now, "http://127.0.0.1")
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let smtpd = Smtpd::start(free_port(), dir.path());
    let (one, two) = (sender(smtpd.port, 3600), sender(smtpd.port, 3600));
    let (a, b) = tokio::join!(one.deliver_due(&app.state), two.deliver_due(&app.state));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, count, "{a:?} {b:?}");
    let mails = smtpd.messages();
    assert_eq!(mails.len(), count, "each message once");
    let ids: std::collections::HashSet<String> = mails
        .iter()
        .map(|raw| {
            let parsed = mail_parser::MessageParser::default()
                .parse(raw)
                .expect("MIME");
            parsed.message_id().expect("Message-ID").to_string()
        })
        .collect();
    assert_eq!(ids.len(), count);
}
