//! Request bodies and queries read strictly, refused in the API's error shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use serde::Deserialize;

use super::error::ApiError;

/// A JSON body, parsed strictly: unknown fields, wrong types, malformed JSON and anything but
/// an object at the top level are a 400 with the reason, never a 500.
pub struct ApiJson<T>(pub T);

/// `T` read only from a JSON object: serde would otherwise fill a struct from an array too
/// (`["alice"]` as `{"username": "alice"}`). Everything else (unknown and repeated fields,
/// types) is still `T`'s own deserialization.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Object(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<ObjectOnly<T>>::from_request(req, state).await {
            Ok(Json(ObjectOnly(v))) => Ok(ApiJson(v)),
            Err(e) => {
                let status = match &e {
                    JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                Err(ApiError::new(status, "invalid_json", e.body_text()))
            }
        }
    }
}

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S>
    for ApiJson<T>
{
    type Rejection = ApiError;
    /// No body at all (no `Content-Type`, no length, not chunked) is `None`; anything else is
    /// parsed as strictly as a required body.
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let h = req.headers();
        let empty = h.get(header::CONTENT_TYPE).is_none()
            && h.get(header::TRANSFER_ENCODING).is_none()
            && h.get(header::CONTENT_LENGTH)
                .is_none_or(|v| v.as_bytes() == b"0");
        if empty {
            return Ok(None);
        }
        <ApiJson<T> as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// A query string read into `T`: a malformed one, a wrong type or an unknown parameter is a 400
/// `invalid_query` with the reason.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                e.body_text(),
            )),
        }
    }
}

/// Path segments read into `T`: one of the wrong type (a task id that isn't a number) is a 400
/// `invalid_path` in the error shape, not axum's plain-text answer.
pub struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_path",
                e.body_text(),
            )),
        }
    }
}

/// A free text to search for in a query (`query`, `recipient`, `actor`, …): anything but a NUL
/// character, which no stored text contains and PostgreSQL refuses to compare with (the document
/// states it: `#[param(pattern = "^[^\\x00]*$")]`).
pub(super) fn search_text(field: &str, text: &Option<String>) -> Result<(), ApiError> {
    if text.as_deref().is_some_and(|t| t.contains('\0')) {
        return Err(ApiError::validation(format!(
            "{field}: a search text can't contain a NUL character"
        )));
    }
    Ok(())
}

/// The largest `limit` of a list (the document states it: `#[param(maximum = 500)]`).
pub(super) const LIMIT_MAX: i64 = 500;

/// A list's `limit` (1–500, default 50) and `offset` (at least 0, default 0).
pub(super) fn page(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=LIMIT_MAX).contains(&limit) || offset.is_some_and(|o| o < 0) {
        return Err(ApiError::validation(
            "limit must be 1–500 and offset at least 0",
        ));
    }
    Ok((limit, offset.unwrap_or(0)))
}

/// An optional whole number from a JSON body, for `#[serde(deserialize_with = "integral")]`.
/// JSON Schema's `integer` includes `5.0`, so the API takes a number with a zero fraction as
/// well; anything else (a fraction, a string, out of the type's range) is refused as a wrong type.
pub(super) fn integral<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i128>,
{
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = if let Some(v) = n.as_i64() {
        Some(i128::from(v))
    } else if let Some(v) = n.as_u64() {
        Some(i128::from(v))
    } else {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e30)
            .map(|f| f as i128)
    };
    whole
        .and_then(|v| T::try_from(v).ok())
        .map(Some)
        .ok_or_else(|| {
            D::Error::custom(format!(
                "invalid value: {n}, expected a whole number in range"
            ))
        })
}
