//! Mail: SMTP settings, the protocol client (shared by delivery and "Check SMTP
//! configuration"), and message building.
//!
//! Request handlers never talk SMTP: they write a task, and the delivery worker sends it.

pub mod check;
pub mod client;
pub mod host;
pub mod message;
pub mod oauth;
pub mod placement;
pub mod settings;
pub mod templates;

pub use client::{SmtpConnection, SmtpError, Step, StepRecord, Transcript};
pub use host::{Destinations, SmtpHost};
pub use settings::{ResolvedSmtp, Security, SmtpSettings};
