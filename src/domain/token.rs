//! Secret tokens (session ids, setup links, later reset links): 256 bits from the OS CSPRNG,
//! URL-safe, and stored only as a SHA-256 hash.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A freshly made secret and the hash to store for it.
pub struct NewToken {
    pub secret: SecretString,
    pub hash: TokenHash,
}

/// The hex SHA-256 of a token: what the database holds instead of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    pub fn of(secret: &str) -> Self {
        let digest = Sha256::digest(secret.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push_str(&format!("{b:02x}"));
        }
        Self(hex)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn new_token() -> NewToken {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = TokenHash::of(&secret);
    NewToken {
        secret: SecretString::from(secret),
        hash,
    }
}

/// Whether a string has the shape of one of our tokens (43 URL-safe characters). Lets us refuse
/// junk before touching the database.
pub fn looks_like_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Hashes a presented secret.
pub fn hash_presented(secret: &SecretString) -> TokenHash {
    TokenHash::of(secret.expose_secret())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_urlsafe_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(a.secret.expose_secret())
                .unwrap()
                .len(),
            32
        );
        assert!(looks_like_token(a.secret.expose_secret()));
        assert_ne!(a.secret.expose_secret(), b.secret.expose_secret());
        assert_eq!(a.hash, TokenHash::of(a.secret.expose_secret()));
        assert_eq!(a.hash.as_str().len(), 64);
        assert!(!a.hash.as_str().contains(a.secret.expose_secret()));
    }
}
