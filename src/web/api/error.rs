//! The API's one error shape and the conversions into it.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::api_keys::KeyRefusal;
use crate::service::ServiceError;

/// The error body of every failed API call.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: unauthorized, insufficient_scope, all_tenants_key_required, not_found,
    /// method_not_allowed, invalid_json, invalid_query, invalid_path, validation_failed, conflict,
    /// smtp_from_environment, no_tenant_smtp, too_many_requests (with `Retry-After` when a key's
    /// budget is spent), internal, unavailable.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub(super) status: StatusCode,
    pub(super) code: &'static str,
    pub(super) message: String,
    /// Seconds for a `Retry-After` header.
    pub(super) retry_after: Option<i64>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub(super) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API key as `Authorization: Bearer <key>`",
        )
    }
    pub(super) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }
    pub(super) fn validation(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: self.message,
                },
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs.max(1)));
        }
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error in the API");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; it has been logged",
                )
            }
            ServiceError::NotFound(m) => ApiError::not_found(&m.to_string()),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Throttled(m) => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", m)
            }
            ServiceError::Unavailable(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            other => ApiError::validation(other.to_string()),
        }
    }
}

impl From<crate::domain::InvalidInput> for ApiError {
    fn from(e: crate::domain::InvalidInput) -> Self {
        ApiError::validation(e.0)
    }
}

impl From<KeyRefusal> for ApiError {
    fn from(r: KeyRefusal) -> Self {
        match r {
            KeyRefusal::MissingScope(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", m)
            }
            KeyRefusal::AllTenantsKeyRequired(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "all_tenants_key_required", m)
            }
        }
    }
}
