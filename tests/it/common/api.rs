//! The one client for `/api/v1` in tests: JSON calls with an optional bearer key, and keys made
//! through the service the CLI uses.

use latchkey::service::{Actor, Core};
use latchkey::store::Tenant;
use secrecy::ExposeSecret;
use serde_json::Value;

/// A client for one test app's API. It keeps one `reqwest::Client` (and its connections).
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    core: Core,
}

impl Api {
    pub fn new(base: &str, core: &Core) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::new(),
            core: core.clone(),
        }
    }

    /// One call: status and body (as JSON, or as a JSON string when it isn't JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (status, _, value) = self.call_full(method, path, key, body).await;
        (status, value)
    }

    /// One call: status, headers and body.
    pub async fn call_full(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, value)
    }

    /// A key named `test` for `tenant` (or every tenant) with these scopes.
    pub async fn key(&self, tenant: Option<&Tenant>, scopes: &[&str]) -> String {
        self.key_and_actor(tenant, scopes).await.0
    }

    /// A key named `test` and the actor label its changes are audited under.
    pub async fn key_and_actor(
        &self,
        tenant: Option<&Tenant>,
        scopes: &[&str],
    ) -> (String, String) {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let (key, secret) = self
            .core
            .create_api_key(&Actor::Cli, tenant, "test", &scopes, None)
            .await
            .unwrap();
        (
            secret.expose_secret().to_owned(),
            format!("api-key:{}:test", key.id),
        )
    }
}
