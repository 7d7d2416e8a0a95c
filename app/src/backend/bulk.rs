//! Many rows in one INSERT, for loading data in bulk (the demo zone, the benchmark generator).

use sqlx::any::AnyArguments;
use sqlx::Arguments;

/// A multi-row INSERT with numbered placeholders (`$1, $2 …`), which both backends accept through
/// `Any`; sqlx's `QueryBuilder` writes `?` for `Any`, which PostgreSQL refuses. Same shape:
/// `push_values(rows, |b, row| { b.push_bind(…).push_bind(…); })`.
pub struct Insert<'a> {
    sql: String,
    args: AnyArguments<'a>,
    count: usize,
    error: Option<String>,
}

pub struct ValuesRow<'b, 'a> {
    insert: &'b mut Insert<'a>,
    first: bool,
}

impl<'a> ValuesRow<'_, 'a> {
    pub fn push_bind<T>(mut self, value: T) -> Self
    where
        T: 'a + sqlx::Encode<'a, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        let insert = &mut *self.insert;
        if !self.first {
            insert.sql.push_str(", ");
        }
        self.first = false;
        insert.count += 1;
        insert.sql.push_str(&format!("${}", insert.count));
        if let Err(e) = insert.args.add(value) {
            insert.error.get_or_insert(e.to_string());
        }
        self
    }
}

impl<'a> Insert<'a> {
    pub fn new(head: &str) -> Self {
        Insert {
            sql: format!("{head} VALUES "),
            args: AnyArguments::default(),
            count: 0,
            error: None,
        }
    }

    pub fn push_values<T, I: IntoIterator<Item = T>>(
        &mut self,
        rows: I,
        mut row: impl FnMut(ValuesRow<'_, 'a>, T),
    ) {
        for (i, r) in rows.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('(');
            row(
                ValuesRow {
                    insert: self,
                    first: true,
                },
                r,
            );
            self.sql.push(')');
        }
    }

    pub fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    pub fn finish(self) -> Result<(String, AnyArguments<'a>), sqlx::Error> {
        match self.error {
            Some(e) => Err(err(e)),
            None => Ok((self.sql, self.args)),
        }
    }
}

impl Insert<'_> {
    /// Runs the statement on `conn` (a transaction, usually).
    pub async fn execute(self, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
        let (sql, args) = self.finish()?;
        sqlx::query_with(&sql, args).execute(conn).await.map(|_| ())
    }
}

fn err(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Protocol(e.to_string())
}
