//! Every difference between the SQL of SQLite and PostgreSQL, in one value. The area files write
//! one SQL text and ask the dialect for the few words that differ; none of them matches on the
//! backend itself.

/// Which database the pool talks to, and so which words its SQL uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of a `DATABASE_URL`.
    pub fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }

    /// The product's name for logs and benchmark output.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    /// The smaller of two values (SQLite's two-argument `MIN` is PostgreSQL's `LEAST`).
    pub fn least(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Sqlite => format!("MIN({a}, {b})"),
            Dialect::Postgres => format!("LEAST({a}, {b})"),
        }
    }

    /// The larger of two values.
    pub fn greatest(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Sqlite => format!("MAX({a}, {b})"),
            Dialect::Postgres => format!("GREATEST({a}, {b})"),
        }
    }

    /// The length of `[start, end)` clipped to `[from, to)`, all SQL expressions.
    pub fn clipped(self, start: &str, end: &str, from: &str, to: &str) -> String {
        format!("({} - {})", self.least(end, to), self.greatest(start, from))
    }

    /// The values of an expression joined with `separator` (a literal without quotes), in one
    /// group; NULLs are left out.
    pub fn joined(self, expression: &str, separator: &str) -> String {
        match self {
            Dialect::Sqlite => format!("GROUP_CONCAT({expression}, '{separator}')"),
            Dialect::Postgres => format!("string_agg(CAST({expression} AS TEXT), '{separator}')"),
        }
    }

    /// The values of an integer or text expression joined with commas, in one group; `distinct`
    /// keeps each value once. NULLs are left out on both backends.
    pub fn comma_list(self, expression: &str, distinct: bool) -> String {
        let distinct = if distinct { "DISTINCT " } else { "" };
        match self {
            Dialect::Sqlite => format!("GROUP_CONCAT({distinct}{expression})"),
            Dialect::Postgres => {
                format!("string_agg({distinct}CAST({expression} AS TEXT), ',')")
            }
        }
    }

    /// Text joined with `||`, each part cast to text first (PostgreSQL will not join integers).
    pub fn concat(self, parts: &[&str]) -> String {
        match self {
            Dialect::Sqlite => parts.join(" || "),
            Dialect::Postgres => parts
                .iter()
                .map(|p| {
                    if p.starts_with('\'') {
                        p.to_string()
                    } else {
                        format!("CAST({p} AS TEXT)")
                    }
                })
                .collect::<Vec<_>>()
                .join(" || "),
        }
    }

    /// A condition: the resource `r` has `pattern` (a placeholder) in its search text, case
    /// folded. SQLite's search table is keyed by rowid, PostgreSQL's by resource_id.
    pub fn search_match(self, placeholder: &str) -> String {
        match self {
            Dialect::Sqlite => {
                format!("r.id IN (SELECT rowid FROM resource_search WHERE body LIKE {placeholder})")
            }
            Dialect::Postgres => format!(
                "r.id IN (SELECT resource_id FROM resource_search WHERE body ILIKE {placeholder})"
            ),
        }
    }

    /// A statement that makes the writers of one resource (`$1`) take turns until their
    /// transaction ends, so that what they count (quotas) includes each other's rows. SQLite
    /// needs none: once a transaction has written, it is the only writer until it ends.
    pub fn resource_turn(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock($1)"),
        }
    }

    /// What each new SQLite connection runs first: WAL, foreign keys, a busy timeout so that
    /// concurrent writers queue instead of failing, and `synchronous = FULL`: a commit returns
    /// only once the WAL is on the disk, so nothing acknowledged is lost on power loss (NORMAL
    /// may drop the last commits). Reads go through a memory map of the file (`mmap_size`, up to
    /// SQLite's 2 GB limit): pages come straight from the kernel's cache, shared by every
    /// connection, instead of being copied by `read` into each connection's own small cache,
    /// which every commit of another connection empties. Nothing for PostgreSQL, whose default
    /// is durable.
    pub fn connection_setup(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => Some(
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                 PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; \
                 PRAGMA mmap_size = 2147418112;",
            ),
            Dialect::Postgres => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn each_backend_gets_its_own_words() {
        assert_eq!(Dialect::Sqlite.least("a", "b"), "MIN(a, b)");
        assert_eq!(Dialect::Postgres.greatest("a", "b"), "GREATEST(a, b)");
        assert_eq!(
            Dialect::Postgres.comma_list("x.id", true),
            "string_agg(DISTINCT CAST(x.id AS TEXT), ',')"
        );
        assert_eq!(
            Dialect::Postgres.concat(&["h.weekday", "':'", "h.opens"]),
            "CAST(h.weekday AS TEXT) || ':' || CAST(h.opens AS TEXT)"
        );
        assert_eq!(Dialect::Sqlite.concat(&["a", "':'"]), "a || ':'");
        assert_eq!(Dialect::of_url("postgresql://x"), Some(Dialect::Postgres));
        assert_eq!(Dialect::of_url("mysql://x"), None);
    }
}
