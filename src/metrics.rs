//! Prometheus metrics, served at `/metrics` in the text format: HTTP requests by route and
//! status with latency histograms, the reset journey's counters, mail delivery counters, and the
//! outbox's depth and age (read from the database at scrape time).
//!
//! Labels only ever hold route templates (`/t/{tenant}/reset`), never the requested path: a
//! path can carry a token. Every label has a fixed set of values (route templates or
//! `unmatched`, the standard methods or `other`), so no request can add series and grow the
//! registry without bound.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::store::mail::TaskStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: &'static str,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    pub stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabels {
    /// `broken` or `recovered`.
    pub event: &'static str,
    /// `sent` or `failed`.
    pub result: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    /// Reset journey: requested, mailed, link_opened, rejected, completed.
    pub resets: Family<StageLabels, Counter>,
    /// Delivery attempts: sent, failed (gave up), retried.
    pub mails: Family<ResultLabels, Counter>,
    pub queue: Family<StatusLabels, Gauge>,
    pub oldest_waiting_seconds: Gauge,
    /// Per mail route (`system`, `tenant:{slug}`): 1 while delivery works, 0 while broken.
    pub delivery_healthy: Family<RouteLabels, Gauge>,
    /// Delivery alerts posted to the webhook, by event and result.
    pub alerts: Family<AlertLabels, Counter>,
    pub workers_alive: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("latchkey");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template and status",
            http_requests.clone(),
        );
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            http_duration.clone(),
        );
        let resets = Family::<StageLabels, Counter>::default();
        registry.register(
            "resets",
            "Password reset journey events by stage",
            resets.clone(),
        );
        let mails = Family::<ResultLabels, Counter>::default();
        registry.register(
            "mails",
            "Mail delivery attempts by result (sent, failed, retried)",
            mails.clone(),
        );
        let queue = Family::<StatusLabels, Gauge>::default();
        registry.register("mail_queue", "Mail tasks by status", queue.clone());
        let oldest_waiting_seconds = Gauge::default();
        registry.register(
            "mail_oldest_due_seconds",
            "Age of the oldest mail that is due and still waiting (0 when none)",
            oldest_waiting_seconds.clone(),
        );
        let delivery_healthy = Family::<RouteLabels, Gauge>::default();
        registry.register(
            "mail_delivery_healthy",
            "Per mail route (system, tenant:<slug>): 1 while delivery works, 0 while it is broken",
            delivery_healthy.clone(),
        );
        let alerts = Family::<AlertLabels, Counter>::default();
        registry.register(
            "mail_alerts",
            "Delivery alerts posted to the webhook, by event (broken, recovered) and result (sent, failed)",
            alerts.clone(),
        );
        let workers_alive = Gauge::default();
        registry.register(
            "mail_workers_alive",
            "Delivery workers (all instances) seen alive recently",
            workers_alive.clone(),
        );
        Self {
            registry,
            delivery_healthy,
            alerts,
            workers_alive,
            http_requests,
            http_duration,
            resets,
            mails,
            queue,
            oldest_waiting_seconds,
        }
    }
}

/// The method as a label: the methods of RFC 9110 (and PATCH), else `other`. Anyone can send
/// `FOO123 / HTTP/1.1`; each made-up method would otherwise be a new series, forever.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

impl Metrics {
    pub fn reset(&self, stage: &'static str) {
        self.resets.get_or_create(&StageLabels { stage }).inc();
    }

    pub fn mail(&self, result: &'static str) {
        self.mails.get_or_create(&ResultLabels { result }).inc();
    }

    pub fn alert(&self, event: &'static str, result: &'static str) {
        self.alerts
            .get_or_create(&AlertLabels { event, result })
            .inc();
    }

    /// Sets the health gauges from the database's view (read at scrape time, so every instance
    /// reports the same): each route with whether it works, and the live workers.
    pub fn set_health(&self, routes: &[(String, bool)], workers_alive: i64) {
        self.delivery_healthy.clear();
        for (route, healthy) in routes {
            self.delivery_healthy
                .get_or_create(&RouteLabels {
                    route: route.clone(),
                })
                .set(i64::from(*healthy));
        }
        self.workers_alive.set(workers_alive);
    }

    /// The text exposition, after setting the queue gauges from `queue` (status, count) and the
    /// age of the oldest due mail.
    pub fn render(&self, queue: &[(String, i64)], oldest_due_seconds: i64) -> String {
        for status in TaskStatus::ALL.map(TaskStatus::as_str) {
            let n = queue
                .iter()
                .find(|(s, _)| s == status)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            self.queue
                .get_or_create(&StatusLabels {
                    status: status.to_owned(),
                })
                .set(n);
        }
        self.oldest_waiting_seconds.set(oldest_due_seconds.max(0));
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_gauges() {
        let m = Metrics::default();
        m.reset("requested");
        m.reset("requested");
        m.mail("sent");
        m.http_requests
            .get_or_create(&HttpLabels {
                method: "GET",
                route: "/t/{tenant}/login".into(),
                status: 200,
            })
            .inc();
        let text = m.render(&[("waiting".into(), 3)], 42);
        assert!(
            text.contains("latchkey_resets_total{stage=\"requested\"} 2"),
            "{text}"
        );
        assert!(text.contains("latchkey_mails_total{result=\"sent\"} 1"));
        assert!(text.contains("latchkey_mail_queue{status=\"waiting\"} 3"));
        assert!(text.contains("latchkey_mail_queue{status=\"failed\"} 0"));
        assert!(text.contains("latchkey_mail_oldest_due_seconds 42"));
        assert!(text.contains("route=\"/t/{tenant}/login\""));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn made_up_methods_are_other() {
        assert_eq!(method_label(&axum::http::Method::POST), "POST");
        let brew = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&brew), "other");
        let get_lower = axum::http::Method::from_bytes(b"get").unwrap();
        assert_eq!(method_label(&get_lower), "other");
    }
}
