//! Root redirect, static files and health endpoints.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use super::AppState;

const STYLE: &str = include_str!("../../static/style.css");
/// The CSV import's file picker (the only script; the pages work without it).
const IMPORT_JS: &str = include_str!("../../static/import.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/static/style.css", get(style))
        .route("/static/import.js", get(import_js))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn root(State(state): State<AppState>) -> Redirect {
    Redirect::to(&format!(
        "/t/{}/login",
        state.core.config.raw.default_tenant
    ))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

async fn import_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        IMPORT_JS,
    )
        .into_response()
}

/// Ready when the database answers and every migration is applied.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.core.database_ready().await {
        Ok(true) => (StatusCode::OK, "ready").into_response(),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// Prometheus text format. Counts only: no names, addresses or tokens. Served with the
/// configured `metrics_token`, and without it only to direct requests from loopback when the
/// operator allows that (`metrics_allow_loopback`). Closed otherwise: counters that move with a
/// reset request must not be readable by whoever sends one, and behind a reverse proxy on the
/// same host that adds no `X-Forwarded-For`, every request from outside comes from loopback.
async fn metrics(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let core = &state.core;
    let headers = req.headers();
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
    let raw = &core.config.raw;
    let token_ok = raw.metrics_token.as_ref().is_some_and(|token| {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        sent.is_some_and(|s| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                s.as_bytes(),
                token.as_bytes(),
            ))
        })
    });
    let loopback_ok = raw.metrics_allow_loopback
        && peer.is_some_and(|p| p.0.ip().is_loopback())
        && !headers.contains_key("x-forwarded-for")
        && !headers.contains_key("forwarded");
    if !(token_ok || loopback_ok) {
        let why = match (&raw.metrics_token, raw.metrics_allow_loopback) {
            (None, false) => "metrics are off: set metrics_token (then send it as a bearer token) or metrics_allow_loopback = true\n",
            _ => "metrics need the metrics_token setting as a bearer token (or, when metrics_allow_loopback is on, a direct request from loopback)\n",
        };
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    // A queue or a health that can't be read fails the scrape (Prometheus records it as down)
    // rather than reporting an empty queue and no live worker. The health is read only once
    // the queue was: a database that doesn't answer costs the scrape one wait, not two.
    let read = async { Ok((core.queue_gauges().await?, core.health_gauges().await?)) };
    let gauges = match read.await {
        Ok(gauges) => gauges,
        Err::<_, crate::service::ServiceError>(e) => {
            tracing::warn!(error = %e, "metrics: the mail queue or its health could not be read");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the mail queue could not be read from the database; the server log has the details\n",
            )
                .into_response();
        }
    };
    let ((queue, oldest), (routes, workers)) = gauges;
    core.metrics.set_health(&routes, workers);
    let body = core.metrics.render(&queue, oldest);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
