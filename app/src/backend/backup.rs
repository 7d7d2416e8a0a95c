//! A consistent copy of the live SQLite database, taken while it serves (`VACUUM INTO` reads one
//! snapshot, so writers go on and the copy holds every transaction committed before it began),
//! and the integrity check a restored copy must pass. PostgreSQL has its own tools (`pg_dump`).

use super::{Db, Dialect};
use anyhow::Context;

impl Db {
    /// Writes a compact copy of the database to `file` (which must not exist yet).
    pub async fn backup_into(&self, file: &std::path::Path) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.dialect() == Dialect::Sqlite,
            "PostgreSQL is backed up with its own tools: pg_dump --format=custom (see README.md)"
        );
        anyhow::ensure!(!file.exists(), "{} exists already", file.display());
        let target = file
            .to_str()
            .context("the backup path must be valid UTF-8")?
            .to_string();
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(self.pool())
            .await
            .context("copying the database")?;
        Ok(())
    }

    /// SQLite's own check of every page and index: "ok", or what is wrong.
    pub async fn integrity_check(&self) -> anyhow::Result<String> {
        let rows: Vec<String> = match self.dialect() {
            Dialect::Sqlite => {
                sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_all(self.pool())
                    .await?
            }
            Dialect::Postgres => vec!["ok".to_string()],
        };
        Ok(rows.join("; "))
    }
}
