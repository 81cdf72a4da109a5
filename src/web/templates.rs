//! Page templates, compiled into the binary. HTML auto-escaping is on for every `.html`
//! template, so user-supplied text can't inject markup.

use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{context, Environment, Value};

use super::WebError;
use crate::service::pages::Tenant;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "login.html",
    "account.html",
    "admin.html",
    "admin_reset_new.html",
    "admin_campaigns.html",
    "admin_campaign.html",
    "admin_nav.html",
    "admin_home.html",
    "admin_settings.html",
    "admin_users.html",
    "admin_user.html",
    "admin_user_new.html",
    "admin_user_delete.html",
    "admin_users_import.html",
    "admin_audit.html",
    "admin_tenants.html",
    "admin_tenant.html",
    "admin_smtp.html",
    "admin_directory.html",
    "admin_tasks.html",
    "admin_task.html",
    "admin_mail_log.html",
    "admin_templates.html",
    "admin_template_edit.html",
    "admin_api_keys.html",
    "admin_api_key_new.html",
    "admin_api_key_created.html",
    "admin_api_key_revoke.html",
    "setup.html",
    "error.html",
    "forgot.html",
    "forgot_sent.html",
    "forgot_unavailable.html",
    "reset_form.html",
    "reset_invalid.html",
    "reset_done.html",
);

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // In debug builds (and so in every test) a variable a template uses but the page didn't pass
    // is an error, not an empty string; release builds stay lenient.
    env.set_undefined_behavior(if cfg!(debug_assertions) {
        minijinja::UndefinedBehavior::Strict
    } else {
        minijinja::UndefinedBehavior::Chainable
    });
    env.add_filter("datetime", |ts: i64| crate::clock::format_utc(ts));
    env.add_filter("full_stop", full_stop);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("built-in template parses");
    }
    env
});

/// A name at the end of a sentence, with the sentence's full stop unless the name already ends
/// in one ("Corp Inc." must not read "Corp Inc..").
fn full_stop(name: String) -> String {
    if name.ends_with(['.', '!', '?']) {
        name
    } else {
        name + "."
    }
}

/// The layout keys (`base.html`) of a page for someone not signed in: sign-in, password reset,
/// setup and error pages. No notice unless the page sets one.
pub fn public_layout(title: &str, tenant: Option<&Tenant>) -> Value {
    context! { title => title, tenant => tenant, user => (), notice => () }
}

pub fn render(name: &str, ctx: Value) -> Result<Html<String>, WebError> {
    let tmpl = ENV
        .get_template(name)
        .map_err(|e| WebError::Internal(e.into()))?;
    tmpl.render(ctx)
        .map(Html)
        .map_err(|e| WebError::Internal(anyhow::anyhow!("rendering {name}: {e:#}")))
}

/// Renders with a status other than 200 (a form shown again with an error, say).
pub fn render_status(status: StatusCode, name: &str, ctx: Value) -> Result<Response, WebError> {
    Ok((status, render(name, ctx)?).into_response())
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    match render(
        "error.html",
        context! { message, status => status.as_u16(), ..public_layout(title, None) },
    ) {
        Ok(html) => (status, html).into_response(),
        Err(_) => (status, message.to_owned()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        for (name, _) in super::TEMPLATES {
            assert!(super::ENV.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn full_stop_is_not_doubled() {
        assert_eq!(super::full_stop("Corp Inc.".into()), "Corp Inc.");
        assert_eq!(super::full_stop("Corp".into()), "Corp.");
    }

    #[test]
    fn user_text_is_escaped() {
        let html = super::render(
            "error.html",
            minijinja::context! { message => "<script>x</script>", status => 400, ..super::public_layout("t", None) },
        )
        .unwrap()
        .0;
        assert!(!html.contains("<script>x"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
