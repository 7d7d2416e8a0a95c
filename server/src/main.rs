use server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Service functions are spans at debug level: with RUST_LOG=info,app=debug each one's closing
    // line gives its time (busy and idle), so a slow request's log shows where its time went.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    let config = Config::from_env()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("create-admin"), _) => return create_admin(&config, &args[1..]).await,
        (Some("backup"), Some(folder)) => {
            let db = app::backend::Db::connect(&config.database_url, 2).await?;
            server::backup::take(&db, &config.data_dir.join("photos"), folder.as_ref()).await?;
            db.close().await;
            println!("backed up to {folder}");
            return Ok(());
        }
        (Some("restore"), Some(folder)) => {
            let file = server::backup::sqlite_file(&config.database_url).ok_or_else(|| {
                anyhow::anyhow!("restore is for SQLite; PostgreSQL restores with pg_restore")
            })?;
            server::backup::restore(folder.as_ref(), &file, &config.data_dir.join("photos"))
                .await?;
            println!("restored {folder} into {}", file.display());
            return Ok(());
        }
        (Some("backup" | "restore"), None) => {
            anyhow::bail!("usage: server backup <new folder> | server restore <folder>")
        }
        _ => {}
    }
    tracing::info!(database = %redact(&config.database_url), data_dir = %config.data_dir.display(), "starting");
    let sender = server::mailer::Sender::from_config(&config)?;
    match &config.smtp_url {
        Some(url) => tracing::info!(smtp = %redact(url), "mail goes to the SMTP server"),
        None => {
            tracing::info!(mailbox = %config.data_dir.join("mailbox").display(), "SMTP_URL not set: mail goes to the dev mailbox")
        }
    }
    let state = server::prepare_state_with_system_clock(&config).await?;
    let poll = std::time::Duration::from_secs(config.mail_poll_seconds);
    // On PostgreSQL the other servers' mail and changes wake this one (LISTEN/NOTIFY).
    let wake_url = config
        .database_url
        .starts_with("postgres")
        .then(|| config.database_url.clone());
    server::serve(state, config.site_addr, sender, poll, wake_url).await
}

/// `server create-admin <email> [name]`: creates a site administrator (or makes an existing account
/// one). The password is read from the first line of standard input, so it stays out of the shell
/// history and the process list.
async fn create_admin(config: &Config, args: &[String]) -> anyhow::Result<()> {
    let Some(email) = args.first() else {
        anyhow::bail!("usage: server create-admin <email> [name]  (password on standard input)");
    };
    let name = args.get(1).map_or("Site administrator", String::as_str);
    eprintln!("Password for {email} (one line):");
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let db = app::backend::Db::connect(&config.database_url, 2).await?;
    db.migrate().await?;
    let user = db
        .ensure_site_admin(email, name, password, chrono::Utc::now().timestamp())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    db.close().await;
    println!("{email} (user {user}) is a site administrator");
    Ok(())
}

/// Hides a password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}
