//! Refusals worded by the domain and the service's checks read in German (issue 18): the
//! refusal carries its message id and values (`InvalidInput` holds a `Msg`), so a page shows
//! it in the reader's language — including the sentences with values in them that no English
//! text matching could find (a too-long identifier, a file's header, an unknown role).

use crate::common;
use crate::i18n::assert_no_english;

use common::{Backend, Browser, Page, World, GOOD_PASSWORD};
use latchkey::domain::Role;

on_both_backends!(domain_refusals_in_german, smtp_refusals_in_german);

async fn world(backend: Backend) -> World {
    World::builder(backend)
        .user("acme", "tadmin", Role::TenantAdmin)
        .user("acme", "alice", Role::User)
        .build()
        .await
}

/// A browser signed in as `username`, whose saved language is German.
async fn german_admin(w: &World, username: &str) -> Browser {
    let mut b = w.app.browser();
    b.login("acme", username, GOOD_PASSWORD).await;
    let saved = b
        .post(
            "/t/acme/account/preferences",
            &[("language", "de"), ("time_zone", "")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    b
}

/// POSTs a form that is refused (422), checks no English is left and that `german` is said.
async fn refused(b: &mut Browser, what: &str, path: &str, fields: &[(&str, &str)], german: &str) {
    let page = b.post(path, fields).await;
    assert_eq!(page.status, 422, "{what}: {}", page.body);
    assert_no_english(what, &page);
    assert!(page.body.contains(german), "{what}: {}", page.body);
}

/// POSTs an import preview and checks the page (200 or 422) says `german` with no English.
async fn import(b: &mut Browser, what: &str, csv: &str, german: &str) -> Page {
    let page = b
        .post(
            "/t/acme/admin/users/import",
            &[("csv", csv), ("action", "preview")],
        )
        .await;
    assert!(matches!(page.status, 200 | 422), "{what}: {}", page.body);
    assert_no_english(what, &page);
    assert!(page.body.contains(german), "{what}: {}", page.body);
    page
}

async fn domain_refusals_in_german(backend: Backend) {
    let w = world(backend).await;

    // The sign-in page, German by the language link: an identifier over the limit is refused
    // for its length, the limit in the sentence.
    let mut public = w.app.browser();
    let chose = public.get("/language/de?next=/t/acme/login").await;
    assert!(matches!(chose.status, 303 | 302), "{}", chose.body);
    let long = "a".repeat(300);
    let page = public.get("/t/acme/login").await;
    assert_no_english("sign-in", &page);
    refused(
        &mut public,
        "sign-in: identifier too long",
        "/t/acme/login",
        &[("identifier", &long), ("password", "whatever it is")],
        "höchstens 254 Zeichen",
    )
    .await;

    let mut b = german_admin(&w, "tadmin").await;
    // A name with a control character: the domain's sentence names the field's kind.
    refused(
        &mut b,
        "new user: control character in the name",
        "/t/acme/admin/users/new",
        &[
            ("username", "bea"),
            ("display_name", "Bea\u{7}Beispiel"),
            ("email", ""),
            ("reset_email", ""),
            ("role", "user"),
            ("password", ""),
            ("confirm_password", ""),
        ],
        "Ein Name darf keine Steuerzeichen",
    )
    .await;
    // Settings: a duration that isn't one, a zone that doesn't exist, a support contact that
    // is neither an address nor an https:// URL.
    let settings = |ttl: &'static str, zone: &'static str, support: &'static str| {
        vec![
            ("password_reset", "on"),
            ("reset_link_ttl", ttl),
            ("min_password_length", "12"),
            ("admin_reset_delay", "0"),
            ("default_language", "en"),
            ("time_zone", zone),
            ("public_url", ""),
            ("support_contact", support),
        ]
    };
    refused(
        &mut b,
        "settings: not a duration",
        "/t/acme/admin/settings",
        &settings("bald", "UTC", ""),
        "ist keine Zeitspanne",
    )
    .await;
    refused(
        &mut b,
        "settings: not a zone",
        "/t/acme/admin/settings",
        &settings("30m", "Mars/Olympus", ""),
        "ist kein Name einer Zeitzone",
    )
    .await;
    refused(
        &mut b,
        "settings: support contact",
        "/t/acme/admin/settings",
        &settings("30m", "UTC", "helpdesk"),
        "weder eine E-Mail-Adresse",
    )
    .await;
    // API key: an expiry that isn't a duration.
    refused(
        &mut b,
        "API key: expiry not a duration",
        "/t/acme/admin/api-keys/new",
        &[
            ("name", "Sync"),
            ("expires_in", "bald"),
            ("scope_users_read", "on"),
        ],
        "Läuft ab in",
    )
    .await;

    // Import: the file's header, then rows refused for their role, their fields and names
    // given twice.
    import(
        &mut b,
        "import: unknown column",
        "username,nonsense\ncarl,x\n",
        "gehört nicht zu",
    )
    .await;
    import(
        &mut b,
        "import: column twice",
        "username,username\ncarl,carl\n",
        "zweimal",
    )
    .await;
    import(
        &mut b,
        "import: header only",
        "username,email\n",
        "keine Zeilen",
    )
    .await;
    let rows = "username,email,role\ncarl,not-an-address,boss\nbea,,system-admin\ndora,,user\ndora,,user\nalice,,user\n";
    let page = import(&mut b, "import: bad rows", rows, "Unbekannte Rolle").await;
    for german in [
        "ist keine gültige E-Mail-Adresse",
        "können nicht importiert werden",
        "steht schon in Zeile 4",
        "existiert in diesem Mandanten bereits",
    ] {
        assert!(page.body.contains(german), "{german}: {}", page.body);
    }
    w.app.stop().await;
}

/// The SMTP settings' own refusals in German: a tenant's server on an internal address, saved
/// and checked (the address as typed inside the German sentence, the kind of address in
/// German), a name that is no server on the internet, and an OAuth sign-in without its tenant;
/// an English reader reads the kind of address in English.
async fn smtp_refusals_in_german(backend: Backend) {
    let w = world(backend).await;
    let mut b = german_admin(&w, "tadmin").await;
    let form = |host: &'static str, action: &'static str| {
        vec![
            ("enabled", "on"),
            ("host", host),
            ("port", "25"),
            ("security", "none"),
            ("sign_in", "password"),
            ("from_address", "noreply@acme.example"),
            ("from_name", "Beispiel"),
            ("timeout_secs", "5"),
            ("max_per_hour", "0"),
            ("oauth_mechanism", "xoauth2"),
            ("action", action),
        ]
    };
    for action in ["save", "check"] {
        refused(
            &mut b,
            &format!("tenant smtp on an internal address ({action})"),
            "/t/acme/admin/smtp",
            &form("127.0.0.1", action),
            "ist die interne Adresse 127.0.0.1: Loopback (dieser Rechner)",
        )
        .await;
    }
    refused(
        &mut b,
        "tenant smtp: a name that is no server on the internet",
        "/t/acme/admin/smtp",
        &form("relay", "save"),
        "ist kein Mailserver im Internet",
    )
    .await;
    // OAuth sign-in with Microsoft, its tenant missing: the form's own refusal.
    // (A public address as the host: it passes the address check without a DNS lookup.)
    let mut oauth = form("1.1.1.1", "save");
    oauth.retain(|(k, _)| *k != "sign_in");
    oauth.extend([
        ("sign_in", "microsoft"),
        ("auth", "on"),
        ("username", "mailer@contoso.example"),
        ("oauth_tenant", ""),
        ("oauth_client_id", "11111111-2222-3333-4444-555555555555"),
    ]);
    refused(
        &mut b,
        "tenant smtp: Microsoft sign-in without its tenant",
        "/t/acme/admin/smtp",
        &oauth,
        "Verzeichnis-ID (Mandanten-ID)",
    )
    .await;
    // An English reader reads the kind in English.
    let mut en = w.app.browser();
    en.login("acme", "tadmin", GOOD_PASSWORD).await;
    en.post(
        "/t/acme/account/preferences",
        &[("language", "en"), ("time_zone", "")],
    )
    .await;
    let page = en
        .post("/t/acme/admin/smtp", &form("127.0.0.1", "save"))
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body
            .contains("is the internal address 127.0.0.1: loopback (this machine)"),
        "{}",
        page.body
    );
    w.app.stop().await;
}
