//! Passwords and session tokens never reach the log. The log is captured with a thread-local
//! subscriber (tests on other threads of this binary write elsewhere).

use crate::common;

use common::{sign_up_fields, TestApp};

const BOOKER: &str = "liu.fang@nk-furniture.example";
const GOOD_PASSWORD: &str = "Kiln-violet-42";

#[tokio::test]
async fn passwords_never_reach_the_log() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    let email = "log.check@small-lab.example";
    app.call("sign_up", &sign_up_fields(email, GOOD_PASSWORD), None, &[])
        .await;
    app.call(
        "sign_in",
        &[("email", email), ("password", "Wrong-secret-99")],
        None,
        &[],
    )
    .await;
    let token = app.sign_in(BOOKER).await;
    app.call(
        "change_password",
        &[
            ("current_password", app::backend::demo::DEMO_PASSWORD),
            ("new_password", "Fresh-secret-77"),
        ],
        Some(&token),
        &[],
    )
    .await;
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("failed sign-in") && log.contains("password changed"),
        "the log was captured"
    );
    for secret in [
        GOOD_PASSWORD,
        "Wrong-secret-99",
        "Fresh-secret-77",
        app::backend::demo::DEMO_PASSWORD,
        &token,
    ] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
}
