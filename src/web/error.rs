//! The one place where errors become responses. Client errors carry a message safe to show;
//! internal ones are logged with their full cause chain and shown as a generic page.

use std::any::Any;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::templates;
use crate::service::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    NotFoundMsg(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Csrf(String),
    #[error("{0}")]
    TooMany(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unavailable(String),
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
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no page at this address.".to_owned(),
            ),
            WebError::NotFoundMsg(m) => (StatusCode::NOT_FOUND, "Not found", m.clone()),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m.clone()),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "That did not work", m.clone()),
            WebError::Csrf(m) => (StatusCode::FORBIDDEN, "Form not accepted", m.clone()),
            WebError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", m.clone()),
            WebError::Unavailable(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again later",
                m.clone(),
            ),
            WebError::TooMany(m) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                m.clone(),
            ),
            WebError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. It has been logged; please try again in a moment.".to_owned(),
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
        "Something went wrong",
        "Something went wrong on our side. It has been logged; please try again in a moment.",
    )
}
