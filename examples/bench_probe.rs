//! Two measuring sticks for the benchmark harness (`bench/`), built with
//! `cargo build --release --example bench_probe`:
//!
//! - `bench_probe serve ADDR DB_FILE` — the speed-of-light probe: the least a server can do
//!   for a "Forgot password?" POST. axum reads the form and does exactly one SQLite INSERT
//!   (WAL, `synchronous = NORMAL`, one writer connection, as Latchkey runs SQLite), then answers
//!   with a short page. Nothing else: no CSRF, no limits, no templates.
//! - `bench_probe argon2 SECONDS THREADS` — the hashing ceiling: argon2id hashes per second with
//!   Latchkey's default parameters (m = 19456 KiB, t = 2, p = 1) on THREADS threads. Prints JSON.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use axum::extract::{Form, State};
use axum::response::Html;
use axum::routing::post;
use axum::Router;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

#[derive(serde::Deserialize)]
struct Forgot {
    identifier: String,
}

async fn forgot(State(db): State<SqlitePool>, Form(f): Form<Forgot>) -> Html<&'static str> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    sqlx::query("INSERT INTO requests (identifier, created_at) VALUES ($1, $2)")
        .bind(f.identifier)
        .bind(now)
        .execute(&db)
        .await
        .expect("insert");
    Html("<p>If the address is known, a link is on its way.</p>")
}

async fn serve(addr: &str, file: &str) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{file}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let db = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, identifier TEXT NOT NULL, \
         created_at INTEGER NOT NULL)",
    )
    .execute(&db)
    .await?;
    let app = Router::new().route("/", post(forgot)).with_state(db);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn argon2_ceiling(seconds: f64, threads: usize) -> anyhow::Result<()> {
    let params = argon2::Params::new(19_456, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, count, params) = (stop.clone(), count.clone(), params.clone());
            std::thread::spawn(move || {
                let hasher = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params,
                );
                while !stop.load(Ordering::Relaxed) {
                    let salt = SaltString::generate(&mut OsRng);
                    hasher
                        .hash_password(b"correct horse battery staple", &salt)
                        .expect("hash");
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("hashing thread panicked"))?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let hashes = count.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "threads": threads,
            "hashes": hashes,
            "seconds": elapsed,
            "hashes_per_second": hashes as f64 / elapsed,
        })
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") if args.len() == 4 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(serve(&args[2], &args[3])),
        Some("argon2") if args.len() == 4 => argon2_ceiling(args[2].parse()?, args[3].parse()?),
        _ => anyhow::bail!(
            "usage: bench_probe serve ADDR DB_FILE | bench_probe argon2 SECONDS THREADS"
        ),
    }
}
