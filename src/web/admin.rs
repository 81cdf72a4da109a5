//! The Admin-Center (`/admin`) for system administrators. For now it lists the tenants and the
//! latest audit events; SMTP, tasks and user management come with their issues.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;

use super::extract::{CsrfToken, MaybeSession};
use super::templates::render;
use super::{AppState, WebError};
use crate::domain::Role;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin", get(home))
}

async fn home(
    State(state): State<AppState>,
    session: MaybeSession,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    let Some(info) = session.info else {
        let default = &state.core.config.raw.default_tenant;
        return Ok(Redirect::to(&format!("/t/{default}/login?next=/admin")).into_response());
    };
    if info.account.role != Role::SystemAdmin {
        return Err(WebError::Forbidden(
            "The Admin-Center is only for system administrators.".into(),
        ));
    }
    if info.account.must_change_password {
        return Ok(Redirect::to(&format!(
            "/t/{}/account?notice=must-change",
            info.tenant.slug
        ))
        .into_response());
    }
    let tenants = store::tenants::list(&state.core.db).await?;
    let events = store::audit::list(&state.core.db, None, 50).await?;
    Ok(render(
        "admin.html",
        context! {
            title => "Admin-Center",
            tenant => info.tenant,
            user => info.account,
            is_system_admin => true,
            csrf => csrf.0,
            tenants => tenants,
            events => events,
        },
    )?
    .into_response())
}
