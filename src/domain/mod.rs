//! Pure types and rules: no I/O, no framework types.
//!
//! Values from outside (forms, CLI arguments, API bodies) are parsed into these newtypes once,
//! at the boundary, so the rest of the code never holds an unchecked value.

pub mod device;
mod duration;
pub mod html;
mod identifier;
pub mod link_life;
pub mod local_time;
pub mod msg;
pub mod policy;
mod reset_address;
pub mod token;
mod types;

pub use duration::{
    duration_parts, format_duration, human_duration, parse_duration, parse_duration_as,
    DurationUnit,
};
pub use identifier::{Identifier, IdentifierKind, MAX_IDENTIFIER_CHARS};
pub use link_life::{no_reset_mail, LinkLife, LinkState, NoResetMail};
pub use msg::{Arg, Msg, Text};
pub use policy::{PasswordPolicy, PolicyViolation};
pub use reset_address::{admin_address, reset_address};
pub use types::*;
