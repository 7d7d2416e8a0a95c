//! `server backup <folder>` and `server restore <folder>`: the SQLite database (copied online,
//! consistent as of the moment the copy began) and the photos, into a new folder; and back. For
//! PostgreSQL, `pg_dump` and `pg_restore` (README.md).

use anyhow::Context;
use app::backend::Db;
use std::path::{Path, PathBuf};

/// The database file's name inside a backup folder.
pub const DATABASE_FILE: &str = "labshare.db";

/// Copies the database and the photos into `folder` (created; it must not exist). Safe while the
/// server runs.
pub async fn take(db: &Db, photos: &Path, folder: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(!folder.exists(), "{} exists already", folder.display());
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    db.backup_into(&folder.join(DATABASE_FILE)).await?;
    if photos.exists() {
        copy_tree(photos, &folder.join("photos"))?;
    }
    Ok(())
}

/// Puts the backup in `folder` in place of the database file `database` and the `photos`
/// folder, keeping what was there beside them (`*.before-restore`). The server must be stopped.
/// The backup is checked first: a damaged one changes nothing.
pub async fn restore(folder: &Path, database: &Path, photos: &Path) -> anyhow::Result<()> {
    let copy = folder.join(DATABASE_FILE);
    anyhow::ensure!(
        copy.exists(),
        "{} holds no {DATABASE_FILE}",
        folder.display()
    );
    if let Some(dir) = database.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Checked as a copy beside the target, so that a damaged backup changes nothing.
    let incoming = PathBuf::from(format!("{}.restoring", database.display()));
    std::fs::copy(&copy, &incoming).with_context(|| format!("copying {}", copy.display()))?;
    let verdict = match Db::connect(&format!("sqlite://{}", incoming.display()), 1).await {
        Ok(check) => {
            let verdict = check.integrity_check().await;
            check.close().await;
            verdict.unwrap_or_else(|e| e.to_string())
        }
        Err(e) => e.to_string(),
    };
    if verdict != "ok" {
        for leftover in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{leftover}", incoming.display()));
        }
        anyhow::bail!("the backup is damaged: {verdict}");
    }
    let aside = |p: &Path| PathBuf::from(format!("{}.before-restore", p.display()));
    for file in [
        database.to_path_buf(),
        PathBuf::from(format!("{}-wal", database.display())),
        PathBuf::from(format!("{}-shm", database.display())),
    ] {
        if file.exists() {
            std::fs::rename(&file, aside(&file))
                .with_context(|| format!("moving {} aside", file.display()))?;
        }
    }
    std::fs::rename(&incoming, database)
        .with_context(|| format!("writing {}", database.display()))?;
    if photos.exists() {
        let old = aside(photos);
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        std::fs::rename(photos, &old)?;
    }
    if folder.join("photos").exists() {
        copy_tree(&folder.join("photos"), photos)?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The SQLite file a `sqlite:` database URL names.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(path.split('?').next().unwrap_or_default()))
}
