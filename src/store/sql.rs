//! One statement and its arguments, run on a pool or in a transaction.
//!
//! The store's functions hand a statement and a tuple of its arguments (`$1`, `$2`, … in order)
//! to these helpers instead of spelling out `sqlx::query(…).bind(…).bind(…).execute(…)` each time:
//! `sql::execute(&db.write, "UPDATE … WHERE id = $1", (id,))`. Reads name the read pool, writes
//! and read-then-write transactions the write pool (see [`super::Db`]).

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Arguments, Encode, Executor, FromRow, Type};

use super::{Backend, Result, StoreError};

/// The arguments of one statement, in the order of its placeholders: a tuple (`()`, `(id,)`,
/// `(tenant_id, username)` …) of values both backends encode.
pub(crate) trait Args<'q> {
    fn into_arguments(self) -> Result<AnyArguments<'q>>;

    /// The arguments for `sql`, checked against it where they can be.
    fn into_arguments_for(self, _sql: &str) -> Result<AnyArguments<'q>>
    where
        Self: Sized,
    {
        self.into_arguments()
    }
}

macro_rules! tuple_args {
    ($($name:ident),*) => {
        impl<'q, $($name),*> Args<'q> for ($($name,)*)
        where
            $($name: 'q + Encode<'q, Any> + Type<Any>,)*
        {
            #[allow(non_snake_case, unused_mut)]
            fn into_arguments(self) -> Result<AnyArguments<'q>> {
                let ($($name,)*) = self;
                let mut arguments = AnyArguments::default();
                $(arguments.add($name).map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))?;)*
                Ok(arguments)
            }
        }

        impl<'q, $($name),*> Row<'q> for ($($name,)*)
        where
            $($name: 'q + Encode<'q, Any> + Type<Any>,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn bind_to(self, binds: &mut Binds<'q>) -> Result<Vec<String>> {
                let ($($name,)*) = self;
                Ok(vec![$(binds.add($name)?),*])
            }
        }
    };
}

/// One row of a multi-row `INSERT … VALUES`: a tuple like [`Args`], bound by [`Binds::row`].
pub(crate) trait Row<'q> {
    fn bind_to(self, binds: &mut Binds<'q>) -> Result<Vec<String>>;
}

tuple_args!();
tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);
tuple_args!(A, B, C, D, E, F, G);
tuple_args!(A, B, C, D, E, F, G, H);
tuple_args!(A, B, C, D, E, F, G, H, I);
tuple_args!(A, B, C, D, E, F, G, H, I, J);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L, M);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);

/// Arguments gathered one at a time, for a statement whose number of placeholders follows the
/// data (`IN (…)` lists, multi-row `INSERT`s): [`Binds::add`] binds a value and names its
/// placeholder, so the statement's text is written in the same order as its arguments.
#[derive(Default)]
pub(crate) struct Binds<'q> {
    arguments: AnyArguments<'q>,
    count: usize,
    /// Placeholders without numbers (`?`, SQLite only; see [`Binds::once_each`]).
    anonymous: bool,
}

impl<'q> Binds<'q> {
    /// Binds for a statement in which every placeholder appears exactly once, in the order
    /// bound (no placeholder used twice): on SQLite its placeholders are `?` instead of `$n`.
    /// SQLite looks a numbered placeholder up by walking the list of the statement's names,
    /// once when it prepares it and once more for each argument sqlx binds — a cost growing with
    /// the square of their number, which a multi-row statement of thousands of arguments feels
    /// (about a tenth of a campaign's time on SQLite). The statement is refused, not run with
    /// its arguments misplaced, when its text holds another number of `?` than was bound.
    pub(crate) fn once_each(backend: Backend) -> Self {
        Binds {
            anonymous: backend == Backend::Sqlite,
            ..Binds::default()
        }
    }

    /// Binds `value`; its placeholder (`$n`, or `?` for [`Binds::once_each`] on SQLite).
    pub(crate) fn add<T: 'q + Encode<'q, Any> + Type<Any>>(&mut self, value: T) -> Result<String> {
        self.arguments
            .add(value)
            .map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))?;
        self.count += 1;
        Ok(if self.anonymous {
            "?".to_owned()
        } else {
            format!("${}", self.count)
        })
    }

    /// Binds each of `values`; their placeholders, comma-separated (for `IN (…)`).
    pub(crate) fn list<T: 'q + Encode<'q, Any> + Type<Any>>(
        &mut self,
        values: impl IntoIterator<Item = T>,
    ) -> Result<String> {
        let marks: Vec<String> = values
            .into_iter()
            .map(|v| self.add(v))
            .collect::<Result<_>>()?;
        Ok(marks.join(", "))
    }

    /// Binds each value of the tuple `row`; their placeholders in parentheses (`($3, $4, $5)`),
    /// one row of a multi-row `INSERT … VALUES`.
    pub(crate) fn row(&mut self, row: impl Row<'q>) -> Result<String> {
        Ok(format!("({})", row.bind_to(self)?.join(", ")))
    }
}

impl<'q> Args<'q> for Binds<'q> {
    fn into_arguments(self) -> Result<AnyArguments<'q>> {
        Ok(self.arguments)
    }

    fn into_arguments_for(self, sql: &str) -> Result<AnyArguments<'q>> {
        if self.anonymous && sql.matches('?').count() != self.count {
            return Err(StoreError::Db(sqlx::Error::Protocol(format!(
                "a statement of {} anonymous placeholders holds {}",
                self.count,
                sql.matches('?').count()
            ))));
        }
        Ok(self.arguments)
    }
}

/// The backend a connection talks to.
pub(crate) fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// Runs a statement that returns no rows; how many rows it changed.
pub(crate) async fn execute<'q, 'c, X>(on: X, sql: &'q str, args: impl Args<'q>) -> Result<u64>
where
    X: Executor<'c, Database = Any>,
{
    let done = sqlx::query_with(sql, args.into_arguments_for(sql)?)
        .execute(on)
        .await?;
    Ok(done.rows_affected())
}

/// The one row a query returns (an error when it returns none).
pub(crate) async fn fetch_one<'q, 'c, T, X>(on: X, sql: &'q str, args: impl Args<'q>) -> Result<T>
where
    X: Executor<'c, Database = Any>,
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    Ok(sqlx::query_as_with(sql, args.into_arguments_for(sql)?)
        .fetch_one(on)
        .await?)
}

/// The first row a query returns, if any.
pub(crate) async fn fetch_optional<'q, 'c, T, X>(
    on: X,
    sql: &'q str,
    args: impl Args<'q>,
) -> Result<Option<T>>
where
    X: Executor<'c, Database = Any>,
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    Ok(sqlx::query_as_with(sql, args.into_arguments_for(sql)?)
        .fetch_optional(on)
        .await?)
}

/// Every row a query returns.
pub(crate) async fn fetch_all<'q, 'c, T, X>(
    on: X,
    sql: &'q str,
    args: impl Args<'q>,
) -> Result<Vec<T>>
where
    X: Executor<'c, Database = Any>,
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    Ok(sqlx::query_as_with(sql, args.into_arguments_for(sql)?)
        .fetch_all(on)
        .await?)
}

/// The first column of the one row a query returns.
pub(crate) async fn scalar<'q, 'c, T, X>(on: X, sql: &'q str, args: impl Args<'q>) -> Result<T>
where
    X: Executor<'c, Database = Any>,
    (T,): for<'r> FromRow<'r, AnyRow>,
    T: Send + Unpin,
{
    Ok(sqlx::query_scalar_with(sql, args.into_arguments_for(sql)?)
        .fetch_one(on)
        .await?)
}

/// The first column of the first row a query returns, if any.
pub(crate) async fn scalar_optional<'q, 'c, T, X>(
    on: X,
    sql: &'q str,
    args: impl Args<'q>,
) -> Result<Option<T>>
where
    X: Executor<'c, Database = Any>,
    (T,): for<'r> FromRow<'r, AnyRow>,
    T: Send + Unpin,
{
    Ok(sqlx::query_scalar_with(sql, args.into_arguments_for(sql)?)
        .fetch_optional(on)
        .await?)
}

/// The first column of every row a query returns.
pub(crate) async fn scalars<'q, 'c, T, X>(
    on: X,
    sql: &'q str,
    args: impl Args<'q>,
) -> Result<Vec<T>>
where
    X: Executor<'c, Database = Any>,
    (T,): for<'r> FromRow<'r, AnyRow>,
    T: Send + Unpin,
{
    Ok(sqlx::query_scalar_with(sql, args.into_arguments_for(sql)?)
        .fetch_all(on)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    async fn sqlite() -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap()
    }

    /// On SQLite, binds for once-each placeholders are anonymous and land in order; a text that
    /// uses a placeholder twice (or leaves one out) is refused instead of misplacing arguments.
    #[tokio::test]
    async fn once_each_binds_anonymous_placeholders_in_order_on_sqlite() {
        let mut conn = sqlite().await;
        assert_eq!(backend_of(&conn), Backend::Sqlite);
        let mut b = Binds::once_each(backend_of(&conn));
        let (x, y, list) = (
            b.add(7_i64).unwrap(),
            b.add("a").unwrap(),
            b.list([1_i64, 2, 3]).unwrap(),
        );
        assert_eq!(
            (x.as_str(), y.as_str(), list.as_str()),
            ("?", "?", "?, ?, ?")
        );
        let sql = format!("SELECT {x} || '-' || {y} || '-' || (3 IN ({list}))");
        let got: String = scalar(&mut conn, &sql, b).await.unwrap();
        assert_eq!(got, "7-a-1");
        let mut b = Binds::once_each(Backend::Sqlite);
        let x = b.add(7_i64).unwrap();
        let sql = format!("SELECT {x} + {x}");
        assert!(
            scalar::<i64, _>(&mut conn, &sql, b).await.is_err(),
            "one bound, two used"
        );
        // Numbered placeholders may repeat, and PostgreSQL's binds are always numbered.
        let mut b = Binds::default();
        let x = b.add(7_i64).unwrap();
        let sql = format!("SELECT {x} + {x}");
        assert_eq!(scalar::<i64, _>(&mut conn, &sql, b).await.unwrap(), 14);
        let mut b = Binds::once_each(Backend::Postgres);
        assert_eq!(
            (b.add(1_i64).unwrap(), b.add(2_i64).unwrap()),
            ("$1".into(), "$2".into())
        );
    }
}
