//! The Admin-Center (`/admin`) for system administrators: the overview (SMTP status, the tenants
//! with their password-reset switch, the latest audit events) and the guard every Admin-Center
//! page uses. Tenants, SMTP, tasks and the audit log have their own modules.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;

use super::extract::{CsrfToken, MaybeSession};
use super::templates::render;
use super::{AppState, WebError};
use crate::domain::Role;
use crate::service::SessionInfo;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin", get(home))
}

/// Why an Admin-Center page is not shown: not signed in, must change the password first, or
/// not a system administrator.
pub enum Denied {
    Redirect(String),
    Forbidden,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Redirect(to) => Redirect::to(&to).into_response(),
            Denied::Forbidden => {
                WebError::Forbidden("The Admin-Center is only for system administrators.".into())
                    .into_response()
            }
        }
    }
}

/// The signed-in system administrator, or why not.
pub fn require_system_admin(
    state: &AppState,
    session: MaybeSession,
) -> Result<SessionInfo, Denied> {
    let Some(info) = session.info.as_ref() else {
        let default = &state.core.config.raw.default_tenant;
        return Err(Denied::Redirect(session.login_redirect(default, "/admin")));
    };
    let info = info.clone();
    if info.account.role != Role::SystemAdmin {
        return Err(Denied::Forbidden);
    }
    if info.account.must_change_password {
        return Err(Denied::Redirect(format!(
            "/t/{}/account?notice=must-change",
            info.tenant.slug
        )));
    }
    Ok(info)
}

async fn home(
    State(state): State<AppState>,
    session: MaybeSession,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    let info = match require_system_admin(&state, session) {
        Ok(i) => i,
        Err(denied) => return Ok(denied.into_response()),
    };
    let tenants = store::tenants::list(&state.core.db).await?;
    let events = store::audit::list(&state.core.db, None, 50).await?;
    let smtp = state.core.system_smtp().await?;
    Ok(render(
        "admin.html",
        context! {
            title => "Admin-Center",
            tenant => info.tenant,
            user => info.account,
            is_system_admin => true,
            section => "overview",
            csrf => csrf.0,
            tenants => tenants,
            events => events,
            smtp_configured => smtp.settings.enabled,
            smtp_host => smtp.settings.host,
        },
    )?
    .into_response())
}
