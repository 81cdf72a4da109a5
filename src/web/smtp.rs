//! Admin-Center → SMTP: the system's mail settings and "Check SMTP configuration".

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::Deserialize;

use super::admin::require_system_admin;
use super::extract::{ClientIp, CsrfForm, CsrfToken, FormFields, MaybeSession};
use super::templates::render_status;
use super::{AppState, WebError};
use crate::domain::{EmailAddress, InvalidInput};
use crate::mail::check::CheckReport;
use crate::mail::SmtpSettings;
use crate::service::{ServiceError, SessionInfo, SmtpInput, SmtpSource};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/smtp", get(page).post(submit))
}

#[derive(Deserialize)]
struct PageQuery {
    notice: Option<String>,
}

struct View<'a> {
    settings: &'a SmtpSettings,
    source: SmtpSource,
    test_to: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    report: Option<&'a CheckReport>,
}

fn render(
    state: &AppState,
    info: &SessionInfo,
    csrf: &CsrfToken,
    v: View<'_>,
    status: StatusCode,
) -> Result<Response, WebError> {
    render_status(
        status,
        "admin_smtp.html",
        context! {
            title => "SMTP",
            tenant => info.tenant,
            user => info.account,
            is_system_admin => true,
            section => "smtp",
            csrf => csrf.0,
            s => v.settings,
            security => v.settings.security.as_str(),
            password_state => v.settings.password_state(),
            from_env => v.source == SmtpSource::Environment,
            test_to => v.test_to,
            notice => v.notice,
            error => v.error,
            report => v.report,
            env_names => ["LATCHKEY_SMTP_HOST", "LATCHKEY_SMTP_PORT", "LATCHKEY_SMTP_SECURITY", "LATCHKEY_SMTP_USERNAME",
                          "LATCHKEY_SMTP_PASSWORD", "LATCHKEY_SMTP_FROM"],
            default_from => state.core.config.public_url.as_str(),
        },
    )
}

async fn page(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
    session: MaybeSession,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    let info = match require_system_admin(&state, session) {
        Ok(i) => i,
        Err(denied) => return Ok(denied.into_response()),
    };
    let eff = state.core.system_smtp().await?;
    let notice = (q.notice.as_deref() == Some("saved")).then_some("The SMTP settings were saved.");
    let view = View {
        settings: &eff.settings,
        source: eff.source,
        test_to: "",
        notice,
        error: None,
        report: None,
    };
    render(&state, &info, &csrf, view, StatusCode::OK)
}

/// The settings typed into the form (the password separately: empty means "keep").
fn parse_form(form: &FormFields) -> Result<SmtpInput, InvalidInput> {
    let port = form.text("port").trim();
    let timeout = form.text("timeout_secs").trim();
    let settings = SmtpSettings {
        enabled: form.optional("enabled").is_some(),
        host: form.text("host").trim().to_owned(),
        port: if port.is_empty() {
            587
        } else {
            port.parse()
                .map_err(|_| InvalidInput("port: enter a number from 1 to 65535".into()))?
        },
        security: form.text("security").parse()?,
        auth: form.optional("auth").is_some(),
        username: form.text("username").trim().to_owned(),
        password: None,
        from_address: form.text("from_address").trim().to_owned(),
        from_name: form.text("from_name").trim().to_owned(),
        reply_to: form.text("reply_to").trim().to_owned(),
        helo_name: form.text("helo_name").trim().to_owned(),
        timeout_secs: if timeout.is_empty() {
            30
        } else {
            timeout
                .parse()
                .map_err(|_| InvalidInput("timeout: enter seconds, e.g. 30".into()))?
        },
        extra_ca_pem: form.text("extra_ca_pem").trim().to_owned(),
        max_per_hour: match form.text("max_per_hour").trim() {
            "" => 0,
            v => v.parse().map_err(|_| {
                InvalidInput("mails per hour: enter a number (0 for no limit)".into())
            })?,
        },
    };
    Ok(SmtpInput {
        settings,
        new_password: form
            .optional("password")
            .map(|p| secrecy::SecretString::from(p.to_owned())),
    })
}

async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: MaybeSession,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm,
) -> Result<Response, WebError> {
    let info = match require_system_admin(&state, session) {
        Ok(i) => i,
        Err(denied) => return Ok(denied.into_response()),
    };
    let actor = info.actor();
    let test_to = form.text("test_to").trim().to_owned();
    let eff = state.core.system_smtp().await?;
    let from_env = eff.source == SmtpSource::Environment;
    // What the form shows again: the typed values (never a password), or the environment's.
    let typed = if from_env {
        Ok(SmtpInput {
            settings: eff.settings.clone(),
            new_password: None,
        })
    } else {
        parse_form(&form)
    };
    let shown = match &typed {
        Ok(i) => SmtpSettings {
            password: eff.settings.password.clone(),
            ..i.settings.clone()
        },
        Err(_) => eff.settings.clone(),
    };
    let fail = |msg: String| {
        let view = View {
            settings: &shown,
            source: eff.source,
            test_to: &test_to,
            notice: None,
            error: Some(&msg),
            report: None,
        };
        render(&state, &info, &csrf, view, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let input = match typed {
        Ok(i) => i,
        Err(e) => return fail(e.0),
    };
    match form.text("action") {
        "check" => {
            let to = match Some(test_to.as_str())
                .filter(|t| !t.is_empty())
                .map(EmailAddress::parse)
                .transpose()
            {
                Ok(to) => to,
                Err(e) => return fail(format!("test address: {}", e.0)),
            };
            let input = if from_env { None } else { Some(input) };
            match state
                .core
                .check_smtp(&actor, None, input, to, Some(&ip))
                .await
            {
                Ok(report) => {
                    let view = View {
                        settings: &shown,
                        source: eff.source,
                        test_to: &test_to,
                        notice: None,
                        error: None,
                        report: Some(&report),
                    };
                    render(&state, &info, &csrf, view, StatusCode::OK)
                }
                Err(ServiceError::Internal(e)) => Err(WebError::Internal(e)),
                Err(e) => fail(e.to_string()),
            }
        }
        "save" => match state.core.save_smtp(&actor, None, input, Some(&ip)).await {
            Ok(_) => Ok(Redirect::to("/admin/smtp?notice=saved").into_response()),
            Err(ServiceError::Internal(e)) => Err(WebError::Internal(e)),
            Err(e) => fail(e.to_string()),
        },
        _ => Err(WebError::BadRequest(
            "Choose Save or Check SMTP configuration.".into(),
        )),
    }
}
