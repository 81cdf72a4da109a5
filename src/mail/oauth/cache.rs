//! Access tokens kept per configuration until shortly before they expire, shared by every
//! connection of the process (delivery worker and checks): one token request per expiry, not
//! per mail or per connection. Concurrent callers of one configuration wait for the one request
//! in flight. Tokens live only in memory, as secrets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::token::{self, ResolvedOAuth, TokenError};

struct Cached {
    access: SecretString,
    good_until: Instant,
}

/// One configuration's token, and its last request's failure.
#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// When the last request failed (it ended then), and how.
    failed: Option<(Instant, TokenError)>,
}

type Slot = Arc<tokio::sync::Mutex<State>>;

/// Which token a caller wants.
#[derive(Clone, Copy)]
pub enum Want<'a> {
    /// The cached one while it is good.
    Cached,
    /// A new one ("Check SMTP configuration": a revoked secret shows at once).
    Fresh,
    /// Any good one but this, which the server refused (and which is dropped): the cached one
    /// if another connection has fetched it since, else a new one — the connections of a round
    /// that all had the refused token make one request, not one each.
    Not(&'a SecretString),
}

/// Configurations kept before unused ones are dropped.
const MAX_SLOTS: usize = 64;

#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<[u8; 32], Slot>>,
}

/// Where a token came from, for the transcript.
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    /// Just fetched; the endpoint said it lives this long.
    Fetched(Duration),
    /// From the cache; good for about this much longer.
    Cached(Duration),
}

/// How long before its expiry a token is replaced: a tenth of its life, at most five minutes.
fn margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

impl TokenCache {
    /// The process's cache.
    pub fn shared() -> &'static TokenCache {
        static CACHE: OnceLock<TokenCache> = OnceLock::new();
        CACHE.get_or_init(TokenCache::default)
    }

    /// Everything that decides which token a request yields, secrets hashed: a changed secret
    /// or key never reuses a token fetched with the old one. And the extra CA the request
    /// trusts: one through another CA may fail where this one wouldn't, so it shares no slot
    /// (and so no failure) with it.
    fn key(o: &ResolvedOAuth, extra_ca_pem: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        let s = &o.settings;
        for part in [
            extra_ca_pem.trim(),
            o.method.as_str(),
            &s.token_url(o.method),
            s.client_id.trim(),
            &s.scope(o.method),
            &o.user,
            s.certificate_pem.trim(),
            o.client_secret
                .as_ref()
                .map(|x| x.expose_secret())
                .unwrap_or(""),
            o.private_key
                .as_ref()
                .map(|x| x.expose_secret())
                .unwrap_or(""),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    fn slot(&self, key: [u8; 32]) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_SLOTS && !slots.contains_key(&key) {
            // Drop what nobody uses and holds no good token (failed, expired, or checks with
            // secrets typed once).
            let now = Instant::now();
            slots.retain(|_, slot| {
                Arc::strong_count(slot) > 1
                    || slot
                        .try_lock()
                        .is_ok_and(|c| c.cached.as_ref().is_some_and(|c| c.good_until > now))
            });
        }
        slots.entry(key).or_default().clone()
    }

    /// A token for `o`, as `want` says. Concurrent callers of one configuration wait for the
    /// one request in flight; when it fails, those that were waiting get its failure instead of
    /// each making (and, with a hanging endpoint, each waiting out) a request of their own.
    pub async fn token(
        &self,
        o: &ResolvedOAuth,
        extra_ca_pem: &str,
        timeout: Duration,
        want: Want<'_>,
    ) -> Result<(SecretString, Origin), TokenError> {
        let asked = Instant::now();
        let slot = self.slot(Self::key(o, extra_ca_pem));
        let mut state = slot.lock().await;
        let now = Instant::now();
        if let Want::Not(refused) = want {
            // The server refused it (expired or revoked early): nobody gets it again.
            if state
                .cached
                .as_ref()
                .is_some_and(|c| c.access.expose_secret() == refused.expose_secret())
            {
                state.cached = None;
            }
        }
        if let Some(c) = state.cached.as_ref().filter(|c| c.good_until > now) {
            if !matches!(want, Want::Fresh) {
                return Ok((c.access.clone(), Origin::Cached(c.good_until - now)));
            }
        }
        if let Some((_, e)) = state.failed.as_ref().filter(|(at, _)| *at >= asked) {
            return Err(e.clone());
        }
        // A failed request leaves a good cached token in place: a check that fails (or is
        // throttled) must not take delivery's token away.
        let t = match token::request(o, extra_ca_pem, timeout).await {
            Ok(t) => t,
            Err(e) => {
                state.failed = Some((Instant::now(), e.clone()));
                return Err(e);
            }
        };
        state.failed = None;
        state.cached = now
            .checked_add(t.lifetime.saturating_sub(margin(t.lifetime)))
            .filter(|until| *until > now)
            .map(|good_until| Cached {
                access: t.access.clone(),
                good_until,
            });
        Ok((t.access, Origin::Fetched(t.lifetime)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_replaced_shortly_before_it_expires() {
        assert_eq!(margin(Duration::from_secs(3599)), Duration::from_secs(300));
        assert_eq!(margin(Duration::from_secs(20)), Duration::from_secs(2));
    }
}
