//! OAuth 2.0 sign-in to mail servers (SMTP XOAUTH2 and OAUTHBEARER): the settings, the token
//! request, and the process-wide token cache.

pub mod cache;
pub mod settings;
pub mod token;

pub use cache::{Origin, TokenCache, Want};
pub use settings::{Mechanism, OAuthSettings, SignIn};
pub use token::{ResolvedOAuth, TokenError};
