//! Every console page in Chromium at 1366 px (issue 17): no page is wider than the screen and
//! no text column is squeezed into a sliver (the tables had 920 px of a 1366 px screen and "Last
//! error" wrapped every few letters). A screenshot of each page is kept in
//! `target/browser-artifacts/console_*.png`. The template editor shows the HTML part rendered in
//! a sandboxed frame. SQLite; the pages read the same on both backends.

use crate::admin::ADMIN_ROUTES;
use crate::common;

use std::time::Duration;

use common::browser::Chrome;
use common::smtp::Step;
use common::world::World;
use common::{Backend, Browser, GOOD_PASSWORD};
use latchkey::domain::Role;
use latchkey::service::{Actor, MailFilter};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_uses_the_screen() {
    let w = World::builder(Backend::Sqlite)
        .config(|c| c.mail_poll_interval = "100ms".into())
        .user("default", "root", Role::SystemAdmin)
        .user("acme", "alice", Role::User)
        .reset_email("alice@home.example")
        .user("acme", "bob", Role::User)
        .build()
        .await;
    let srv = common::plain_smtp(&w.app.core).await;
    w.reset_on().await;
    // A campaign whose mail failed with a long answer, for the "Last error" columns.
    srv.script(
        Step::RcptTo,
        "550 5.1.1 <alice@home.example>: Recipient address rejected: User unknown in virtual mailbox table (see https://mail.example.org/help/5.1.1)",
        1,
    );
    let mut root = Browser::new(&w.app.base);
    assert_eq!(
        root.login("default", "root", GOOD_PASSWORD).await.status,
        303
    );
    let campaign = World::compose_links(&mut root, "alice", "now")
        .await
        .to_string();
    let deadline = std::time::Instant::now() + WAIT;
    let task = loop {
        let tasks = w
            .app
            .core
            .mail_tasks(&MailFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        if let Some(t) = tasks.iter().find(|t| t.status.as_str() == "failed") {
            break t.id;
        }
        assert!(std::time::Instant::now() < deadline, "no failed task");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let key = w.key(Some(&w.acme), &["users:read"]).await;
    let key_id = w
        .app
        .core
        .api_keys(Some(&w.acme))
        .await
        .unwrap()
        .into_iter()
        .find(|k| key.starts_with(&k.prefix))
        .map(|k| k.id)
        .expect("the key's row");

    let c = Chrome::start(&w.app.base, "console_screens").await;
    c.set_viewport_width(1366).await;
    c.goto("/t/default/login").await;
    c.wait_for_text("Sign in").await;
    c.fill("Username or e-mail address", "root").await;
    c.fill("Password", GOOD_PASSWORD).await;
    c.click_button("Sign in").await;
    c.wait_for_text("Password and login").await;

    let mut problems = Vec::new();
    let mut seen = 0;
    for (method, template) in ADMIN_ROUTES {
        // Pages only: not the forms' targets, the CSV download or the switcher (a redirect).
        if *method != "GET" || template.ends_with(".csv") || template.ends_with("/switch") {
            continue;
        }
        let path = template
            .replace("{tenant}", "acme")
            .replace("{slug}", "acme")
            .replace("{username}", "alice")
            .replace("{kind}", "reset_link")
            .replace("{lang}", "en")
            .replace(
                "{id}",
                &if template.contains("/tasks/") {
                    task.to_string()
                } else if template.contains("/api-keys/") {
                    key_id.to_string()
                } else {
                    campaign.clone()
                },
            );
        c.goto(&path).await;
        c.wait_for_text("Latchkey").await;
        seen += 1;
        let name = format!(
            "console{}",
            path.replace(['/', '?', '=', '&'], "_")
                .trim_end_matches('_')
        );
        c.save_screenshot(&name).await;
        let status = c
            .js(
                "return document.querySelector('main h1') ? 'ok' : document.title;",
                vec![],
            )
            .await;
        if status.as_str() != Some("ok") {
            problems.push(format!("{path}: no page heading ({status})"));
        }
        let (by, over) = c.horizontal_overflow().await;
        if by > 0 {
            problems.push(format!("{path}: {by} px wider than the screen: {over:?}"));
        }
        // A text cell squeezed into a sliver: a dozen letters or more in under 5 em, or its
        // text (not a list of fields) broken onto more than six lines.
        let squeezed = c
            .js(
                "const em = parseFloat(getComputedStyle(document.body).fontSize); \
                 const lines = e => { const r = document.createRange(); r.selectNodeContents(e); \
                   return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }; \
                 return [...document.querySelectorAll('td, th')] \
                   .filter(e => e.textContent.trim().length >= 12 \
                             && (e.getBoundingClientRect().width < 5 * em \
                                 || (!e.querySelector('dl, ul, ol, table, form, p, div') \
                                     && lines(e) > 6))) \
                   .slice(0, 3).map(e => e.textContent.trim().slice(0, 40));",
                vec![],
            )
            .await;
        if squeezed.as_array().is_some_and(|a| !a.is_empty()) {
            problems.push(format!("{path}: squeezed cells {squeezed}"));
        }
    }
    assert!(seen >= 25, "only {seen} console pages visited");
    assert!(problems.is_empty(), "{problems:#?}");

    // The template editor renders the preview's HTML in a sandboxed frame: shown, but no
    // scripts and no access to the console.
    c.goto("/t/acme/admin/templates/reset_link/en").await;
    c.wait_for_text("Preview").await;
    c.js(
        "document.querySelector('button[value=preview]').click(); return null;",
        vec![],
    )
    .await;
    c.wait_for_text("HTML part, as shown").await;
    let frame = c
        .js(
            "const f = document.getElementById('preview-frame'); \
             return [f.getAttribute('sandbox'), f.srcdoc.includes('<a '), \
                     f.getBoundingClientRect().width, f.getBoundingClientRect().height];",
            vec![],
        )
        .await;
    assert_eq!(frame[0].as_str(), Some(""), "sandboxed with no allowances");
    assert_eq!(
        frame[1].as_bool(),
        Some(true),
        "the mail's HTML with its link"
    );
    assert!(frame[2].as_f64().unwrap_or(0.0) > 600.0, "{frame}");
    assert!(frame[3].as_f64().unwrap_or(0.0) > 200.0, "{frame}");
    c.save_screenshot("console_template_preview").await;

    // The CSV import takes a file: the picker (shown where scripts run) fills the text field,
    // and Preview reads it as if it had been pasted.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "username,email\ncarla,carla@example.org\ndieter,dieter@example.org\n",
    )
    .unwrap();
    c.goto("/t/acme/admin/users/import").await;
    c.wait_for_text("Or choose a CSV file").await;
    let picker = c
        .client
        .find(fantoccini::Locator::Id("csv-file"))
        .await
        .expect("the file picker");
    picker
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let v = c
            .js("return document.getElementById('csv').value;", vec![])
            .await;
        if v.as_str().is_some_and(|v| v.contains("dieter@example.org")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the file never reached the field: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.click_button("Preview (dry run)").await;
    c.wait_for_text("carla@example.org").await;
    let text = c.text().await;
    assert!(text.contains("dieter"), "{text}");
    c.save_screenshot("console_import_file").await;
    c.finish().await;
    srv.stop().await;
    w.app.stop().await;
}

/// What an administrator does with the console's lists, in Chromium: switch to a tenant from
/// the header, filter and sort the users, select all that match for a reset, and redo a failed
/// mail from the tasks list without leaving it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_works_the_lists_in_chromium() {
    let w = World::builder(Backend::Sqlite)
        .config(|c| c.mail_poll_interval = "100ms".into())
        .user("default", "root", Role::SystemAdmin)
        .user("acme", "alice", Role::User)
        .reset_email("alice@home.example")
        .build()
        .await;
    let srv = common::plain_smtp(&w.app.core).await;
    w.reset_on().await;
    // 60 more people: more than one page; every third has a reset address.
    for i in 0..60 {
        let name = format!("p{i:02}");
        w.app
            .core
            .create_account(
                &Actor::Cli,
                &w.acme,
                latchkey::service::CreateAccount {
                    username: latchkey::domain::Username::parse(&name).unwrap(),
                    display_name: None,
                    email: Some(
                        latchkey::domain::EmailAddress::parse(&format!("{name}@example.org"))
                            .unwrap(),
                    ),
                    reset_email: (i % 3 == 0).then(|| {
                        latchkey::domain::EmailAddress::parse(&format!("{name}@home.example"))
                            .unwrap()
                    }),
                    password: None,
                    role: Role::User,
                },
            )
            .await
            .unwrap();
    }
    // A failed mail to redo.
    srv.script(Step::RcptTo, "550 5.1.1 No such user here", 1);
    let mut api = Browser::new(&w.app.base);
    assert_eq!(
        api.login("default", "root", GOOD_PASSWORD).await.status,
        303
    );
    World::compose_links(&mut api, "alice", "now").await;

    let c = Chrome::start(&w.app.base, "console_lists").await;
    c.set_viewport_width(1366).await;
    c.goto("/t/default/login").await;
    c.wait_for_text("Sign in").await;
    c.fill("Username or e-mail address", "root").await;
    c.fill("Password", GOOD_PASSWORD).await;
    c.click_button("Sign in").await;
    c.wait_for_text("Password and login").await;

    // The header's switcher, from the Admin-Center to acme's console.
    c.goto("/admin").await;
    c.wait_for_text("Admin-Center").await;
    c.select("Tenant", "acme").await;
    c.click_button("Open").await;
    c.wait_for_url("the console of acme", WAIT, |u| u.path() == "/t/acme/admin")
        .await;
    let name = c
        .js(
            "return document.getElementById('console-name').textContent;",
            vec![],
        )
        .await;
    assert_eq!(name.as_str(), Some("Administration"));

    // Users: a filter, then sorting by a heading keeps it.
    c.click_link_in("Administration", "Users").await;
    c.wait_for_text("61 accounts in this organisation.").await;
    c.select("Reset e-mail", "Has one").await;
    c.click_button("Search").await;
    c.wait_for_text("21 of 61 accounts in this organisation match.")
        .await;
    c.click_link("Username").await;
    c.wait_for_url("the list the other way round", WAIT, |u| {
        u.query().is_some_and(|q| q.contains("dir=desc"))
    })
    .await;
    let first = c
        .js(
            "return document.querySelector('#users tbody td:nth-child(2) a').textContent;",
            vec![],
        )
        .await;
    assert_eq!(
        first.as_str(),
        Some("p57"),
        "the last reset-address holder first"
    );
    assert!(c.text().await.contains("21 of 61"));

    // All active accounts, more than a page: select all that match, to the reset form.
    c.goto("/t/acme/admin/users?status=active").await;
    c.wait_for_text("Page 1 of 2").await;
    c.set_checkbox("Select all 61 accounts that match", true)
        .await;
    c.click_button("Reset selected…").await;
    c.wait_for_text("61 selected:").await;
    c.save_screenshot("console_lists_select_all").await;

    // The failed mail's Redo in the tasks list: back on the same filtered list, with word.
    c.goto("/t/acme/admin/tasks?status=failed").await;
    c.wait_for_text("alice@home.example").await;
    c.click_button("Redo").await;
    c.wait_for_text("queued again").await;
    let url = c.url().await;
    assert_eq!(url.path(), "/t/acme/admin/tasks");
    assert_eq!(url.query(), Some("status=failed&page=1&notice=redone"));
    c.save_screenshot("console_lists_redone").await;
    c.finish().await;
    srv.stop().await;
    w.app.stop().await;
}
