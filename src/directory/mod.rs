//! LDAP directories as account stores: the settings a tenant's connection is made of, the client
//! that searches people, checks their passwords and writes new ones, and "Check directory
//! connection". Like `mail/`, this module knows nothing of the store or the service: the service
//! decides when to call it and what to do with the answer.

pub mod check;
pub mod client;
pub mod settings;

pub use check::{CheckReport, CheckStep};
pub use client::{BindOutcome, Directory, DirectoryError, DomainPolicy, PasswordRefusal, Person};
pub use settings::{DirectoryKind, DirectorySettings, Mapping, ResolvedDirectory, Security};
