//! The one world builder: an app with two tenants besides `default` (`acme` and, unless told
//! otherwise, `other`) and the people a test needs, each with `GOOD_PASSWORD`.
//!
//! ```ignore
//! let w = World::builder(backend)
//!     .config(|c| c.mail_poll_interval = "100ms".into())
//!     .user("acme", "alice", Role::User)
//!     .reset_email("alice.reset@example.net")
//!     .user("default", "root", Role::SystemAdmin)
//!     .build()
//!     .await;
//! ```

use latchkey::config::Config;
use latchkey::domain::{EmailAddress, Role, TenantSlug};
use latchkey::service::{AccountChanges, Actor};
use latchkey::store::{Account, Tenant};
use serde_json::Value;

use super::api::Api;
use super::{Backend, Browser, TestApp, GOOD_PASSWORD};

/// An app, its tenants `acme` and `other` (whatever the second one's slug), and an API client.
pub struct World {
    pub app: TestApp,
    pub acme: Tenant,
    /// The second tenant: slug `other`, or the one given to [`WorldBuilder::other`].
    pub other: Tenant,
    /// The accounts the builder made, in order (with their reset addresses).
    pub accounts: Vec<Account>,
    pub api: Api,
}

struct Person {
    tenant: &'static str,
    username: &'static str,
    role: Role,
    reset_email: Option<&'static str>,
}

/// A change to the app's configuration.
type Tweak<'a> = Box<dyn FnOnce(&mut Config) + 'a>;

pub struct WorldBuilder<'a> {
    backend: Backend,
    tweaks: Vec<Tweak<'a>>,
    other: &'static str,
    people: Vec<Person>,
}

impl World {
    pub fn builder<'a>(backend: Backend) -> WorldBuilder<'a> {
        WorldBuilder {
            backend,
            tweaks: Vec::new(),
            other: "other",
            people: Vec::new(),
        }
    }

    /// The account the builder made with this username.
    pub fn account(&self, username: &str) -> &Account {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap_or_else(|| panic!("no account {username} in the world"))
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        self.api.call(method, path, key, body).await
    }

    pub async fn call_full(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        self.api.call_full(method, path, key, body).await
    }

    pub async fn key(&self, tenant: Option<&Tenant>, scopes: &[&str]) -> String {
        self.api.key(tenant, scopes).await
    }

    /// Switches password reset on for acme (off by default).
    pub async fn reset_on(&self) {
        let mut acme = self.acme.clone();
        let before = acme.clone();
        acme.settings.password_reset_enabled = true;
        self.app
            .core
            .update_tenant(&Actor::Cli, &acme, &before)
            .await
            .unwrap();
    }

    /// Sends acme's reset links to `who` (usernames, one per line) as `admin` would with the
    /// compose form (`when`: `now`, `delay`), and gives the new campaign's id.
    pub async fn compose_links(admin: &mut Browser, who: &str, when: &str) -> i64 {
        admin.get("/t/acme/admin/resets/new").await;
        let page = admin
            .post(
                "/t/acme/admin/resets",
                &[
                    ("identifiers", who),
                    ("kind", "link"),
                    ("valid_for", "24h"),
                    ("when", when),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        page.location()
            .trim_start_matches("/t/acme/admin/campaigns/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .expect("the new campaign's id")
    }

    pub async fn key_and_actor(
        &self,
        tenant: Option<&Tenant>,
        scopes: &[&str],
    ) -> (String, String) {
        self.api.key_and_actor(tenant, scopes).await
    }
}

impl<'a> WorldBuilder<'a> {
    /// Changes the app's configuration (after the test defaults; in the order given).
    pub fn config(mut self, tweak: impl FnOnce(&mut Config) + 'a) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    /// The second tenant's slug (`other` unless told).
    pub fn other(mut self, slug: &'static str) -> Self {
        self.other = slug;
        self
    }

    /// An account in the tenant with this slug (`default`, `acme` or the second one), made in
    /// the order given, after both tenants.
    pub fn user(mut self, tenant: &'static str, username: &'static str, role: Role) -> Self {
        self.people.push(Person {
            tenant,
            username,
            role,
            reset_email: None,
        });
        self
    }

    /// A reset address for the account added last.
    pub fn reset_email(mut self, address: &'static str) -> Self {
        self.people
            .last_mut()
            .expect("reset_email follows a user")
            .reset_email = Some(address);
        self
    }

    pub async fn build(self) -> World {
        let tweaks = self.tweaks;
        let app = TestApp::spawn_with(self.backend, |c| {
            for tweak in tweaks {
                tweak(c);
            }
        })
        .await;
        let tenant = |slug: &str| {
            let slug = TenantSlug::parse(slug).unwrap();
            let core = app.core.clone();
            async move {
                core.create_tenant(&Actor::Cli, &slug, None, None)
                    .await
                    .unwrap()
            }
        };
        let acme = tenant("acme").await;
        let other = tenant(self.other).await;
        let default = app.default_tenant().await;
        let mut accounts = Vec::new();
        for p in self.people {
            let tenant = match p.tenant {
                "default" => &default,
                "acme" => &acme,
                slug if slug == other.slug.as_str() => &other,
                slug => panic!("no tenant {slug} in the world"),
            };
            let account = app
                .user_with(tenant, p.username, GOOD_PASSWORD, p.role)
                .await;
            let account = match p.reset_email {
                Some(address) => {
                    let changes = AccountChanges {
                        reset_email: Some(Some(EmailAddress::parse(address).unwrap())),
                        ..Default::default()
                    };
                    app.core
                        .update_account(&Actor::Cli, tenant, account, changes)
                        .await
                        .unwrap()
                }
                None => account,
            };
            accounts.push(account);
        }
        let api = Api::new(&app.base, &app.core);
        World {
            app,
            acme,
            other,
            accounts,
            api,
        }
    }
}
