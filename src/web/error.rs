//! The one place where errors become responses. Client errors carry a message safe to show;
//! internal ones are logged with their full cause chain and shown as a generic page.

use std::any::Any;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::templates;
use crate::i18n::{Msg, Text};
use crate::service::ServiceError;

/// A page's error. The message is a [`Text`]: translated into the reader's language when the
/// error page renders.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    NotFoundMsg(Text),
    #[error("{0}")]
    Forbidden(Text),
    #[error("{0}")]
    BadRequest(Text),
    #[error("{0}")]
    Csrf(Text),
    #[error("{0}")]
    TooMany(Text),
    #[error("{0}")]
    TooLarge(Text),
    #[error("{0}")]
    Unavailable(Text),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Internal(e) => WebError::Internal(e),
            ServiceError::NotFound(m) => WebError::NotFoundMsg(m),
            ServiceError::Throttled(m) => WebError::TooMany(m),
            ServiceError::Unavailable(m) => WebError::Unavailable(m),
            other => WebError::BadRequest(other.text()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "error-title-not-found",
                Msg::new("error-no-page").into(),
            ),
            WebError::NotFoundMsg(m) => (StatusCode::NOT_FOUND, "error-title-not-found", m.clone()),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "error-title-forbidden", m.clone()),
            WebError::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                "error-title-bad-request",
                m.clone(),
            ),
            WebError::Csrf(m) => (StatusCode::FORBIDDEN, "error-title-csrf", m.clone()),
            WebError::TooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "error-title-too-large",
                m.clone(),
            ),
            WebError::Unavailable(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "error-title-unavailable",
                m.clone(),
            ),
            WebError::TooMany(m) => (
                StatusCode::TOO_MANY_REQUESTS,
                "error-title-too-many",
                m.clone(),
            ),
            WebError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-title-internal",
                    Msg::new("error-internal").into(),
                )
            }
        };
        templates::error_page(status, title, &message)
    }
}

/// A panic in a handler becomes the generic error page: no stack trace reaches the client.
pub fn panic_response(_err: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    templates::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-title-internal",
        &Msg::new("error-internal").into(),
    )
}
