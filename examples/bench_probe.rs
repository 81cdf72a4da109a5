//! Two measuring sticks for the benchmark harness (`bench/`), built with
//! `cargo build --release --example bench_probe`:
//!
//! - `bench_probe serve ADDR DB_FILE` — the speed-of-light probe: the least a server can do
//!   for a "Forgot password?" POST. axum reads the form and does exactly one SQLite INSERT
//!   (WAL, `synchronous = NORMAL`, one writer connection, as Latchkey runs SQLite), then answers
//!   with a short page. Nothing else: no CSRF, no limits, no templates.
//! - `bench_probe argon2 SECONDS THREADS` — the hashing ceiling: argon2id hashes per second with
//!   Latchkey's default parameters (m = 19456 KiB, t = 2, p = 1) on THREADS threads, each keeping
//!   one memory block from hash to hash as Latchkey's hashing threads do. Prints JSON.
//! - `bench_probe argon2-rss fresh|kept THREADS HASHES` — the memory side of hashing: HASHES
//!   hashes on each of THREADS threads, each hash with a freshly allocated block (`fresh`, what
//!   the crate's `hash_password` does) or in one block the thread keeps (`kept`, what Latchkey's
//!   hashing threads do), with small allocations from other threads meanwhile as a server has.
//!   Prints the peak RSS (`VmHWM`) as JSON.

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
                // One memory block per thread, kept from hash to hash, as Latchkey's hashing
                // threads do: the ceiling is the hashing itself, not the allocator.
                let mut blocks = vec![argon2::Block::default(); params.block_count()];
                let hasher = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params,
                );
                let mut out = [0u8; 32];
                while !stop.load(Ordering::Relaxed) {
                    let salt = SaltString::generate(&mut OsRng);
                    let mut salt_bytes = [0u8; 64];
                    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).expect("salt");
                    hasher
                        .hash_password_into_with_memory(
                            b"correct horse battery staple",
                            salt_bytes,
                            &mut out,
                            &mut blocks,
                        )
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

fn argon2_rss(kept: bool, threads: usize, hashes: usize) -> anyhow::Result<()> {
    let params = argon2::Params::new(19_456, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    // Other threads allocating and freeing small things meanwhile, as request handlers do.
    let chatter: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut keep: Vec<Vec<u8>> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    keep.push(vec![1u8; 4096]);
                    if keep.len() > 256 {
                        keep.clear();
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
            })
        })
        .collect();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let params = params.clone();
            std::thread::spawn(move || {
                let hasher = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params.clone(),
                );
                let mut block = vec![argon2::Block::default(); params.block_count()];
                let mut out = [0u8; 32];
                for _ in 0..hashes {
                    let salt = SaltString::generate(&mut OsRng);
                    if kept {
                        hasher
                            .hash_password_into_with_memory(
                                b"correct horse battery staple",
                                salt.as_str().as_bytes(),
                                &mut out,
                                &mut block,
                            )
                            .expect("hash");
                    } else {
                        hasher
                            .hash_password(b"correct horse battery staple", &salt)
                            .expect("hash");
                        // Some short-lived small allocations between hashes, as a request has.
                        let _strings: Vec<String> = (0..64).map(|i| i.to_string()).collect();
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("hashing thread panicked"))?;
    }
    stop.store(true, Ordering::Relaxed);
    for c in chatter {
        let _ = c.join();
    }
    let status = std::fs::read_to_string("/proc/self/status")?;
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({
            "mode": if kept { "kept" } else { "fresh" },
            "threads": threads,
            "hashes_per_thread": hashes,
            "peak_rss_kib": peak_kib,
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
        Some("argon2-rss") if args.len() == 5 && matches!(args[2].as_str(), "fresh" | "kept") => {
            argon2_rss(args[2] == "kept", args[3].parse()?, args[4].parse()?)
        }
        _ => anyhow::bail!(
            "usage: bench_probe serve ADDR DB_FILE | bench_probe argon2 SECONDS THREADS | \
             bench_probe argon2-rss fresh|kept THREADS HASHES"
        ),
    }
}
