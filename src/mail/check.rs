//! "Check SMTP configuration": runs the real client step by step and reports each step with the
//! server's reply, stopping at the first failure with a hint.

use serde::Serialize;

use super::client::{SmtpConnection, Step, StepRecord, Transcript};
use super::message::{build, Outgoing};
use super::settings::ResolvedSmtp;
use crate::domain::EmailAddress;

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub steps: Vec<StepRecord>,
    /// One sentence: what worked, or which step failed.
    pub summary: String,
    /// Steps not tried because no test address was given.
    pub skipped: Vec<&'static str>,
    /// The address policy refused the host: nothing was connected to (the caller turns this
    /// into an error, like saving such a host).
    #[serde(skip)]
    pub refused: bool,
}

/// Connects with `smtp` and, when `send_to` is given, sends a test message there.
pub async fn run(smtp: &ResolvedSmtp, send_to: Option<(&EmailAddress, Outgoing)>) -> CheckReport {
    let mut t = Transcript::default();
    let result = async {
        let mut conn = SmtpConnection::open(smtp, &mut t).await?;
        if let Some((to, mail)) = &send_to {
            let built = build(&smtp.settings, mail).map_err(|e| super::SmtpError {
                step: Step::Data,
                code: None,
                message: e.to_string(),
                hint: None,
                permanent: true,
                refused: false,
            })?;
            conn.send(&built.from, &[to.as_str()], &built.bytes, &mut t)
                .await?;
        }
        conn.quit(&mut t).await;
        Ok::<_, super::SmtpError>(())
    }
    .await;
    let skipped = if send_to.is_none() {
        vec!["MAIL FROM", "RCPT TO", "DATA"]
    } else {
        vec![]
    };
    match result {
        Ok(()) => {
            let summary = match &send_to {
                Some((to, _)) => format!("The test message to {to} was accepted by the server."),
                None => "Connection, encryption and sign-in work. Enter an address to also send a test message.".into(),
            };
            CheckReport {
                ok: true,
                steps: t.steps,
                summary,
                skipped,
                refused: false,
            }
        }
        Err(e) => CheckReport {
            ok: false,
            steps: t.steps,
            summary: format!("Failed at {}: {}", e.step, e.message),
            skipped,
            refused: e.refused,
        },
    }
}
