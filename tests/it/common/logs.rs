//! The one tracing subscriber of the test binary (a process has only one global subscriber, and
//! every test shares this process). Every line any test logs, at debug level, is kept in memory,
//! so tests can prove that no secret ever reaches a log; with `TEST_LOG` set, lines at info and
//! above are printed too.

use std::io::Write;
use std::sync::{Mutex, Once};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;
impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the subscriber (once; later calls do nothing).
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let capture = tracing_subscriber::fmt::layer()
            .with_writer(|| Capture)
            .with_filter(EnvFilter::new(
            "debug,sqlx=warn,hyper=warn,rustls=warn,cookie_store=warn,reqwest=warn,hyper_util=warn",
        ));
        let print = std::env::var_os("TEST_LOG").is_some().then(|| {
            tracing_subscriber::fmt::layer()
                .with_test_writer()
                .with_filter(EnvFilter::new("info"))
        });
        let _ = tracing_subscriber::registry()
            .with(capture)
            .with(print)
            .try_init();
    });
}

/// Everything logged in this process so far.
pub fn captured() -> String {
    init();
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}
