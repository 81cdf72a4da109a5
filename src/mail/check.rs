//! "Check SMTP configuration": runs the real client step by step and reports each step with the
//! server's reply, stopping at the first failure with a hint.

use serde::Serialize;

use super::client::{SmtpConnection, SmtpError, Step, StepRecord, Transcript};
use super::message::{build, Outgoing};
use super::settings::ResolvedSmtp;
use crate::domain::EmailAddress;
use crate::i18n::{Msg, Text};

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub steps: Vec<StepRecord>,
    /// One sentence: what worked, or which step failed (English: the API, the CLI and the audit
    /// log keep it so; a page words it from the steps and `error`).
    pub summary: String,
    /// Why the check failed, in words a page translates.
    #[serde(skip)]
    pub error: Option<SmtpError>,
    /// Steps not tried because no test address was given.
    pub skipped: Vec<&'static str>,
    /// The address policy refused the host: nothing was connected to (the caller turns this
    /// into an error, like saving such a host).
    #[serde(skip)]
    pub refused: bool,
}

impl CheckReport {
    /// The summary as a message, for pages and the audit log's `summary_msg`: what worked (from
    /// the steps that ran, as [`CheckReport::summary`] words it in English), or the step that
    /// failed and why (from `error`). `test_to`: the test address, if one was given.
    pub fn summary_msg(&self, test_to: &str) -> Text {
        if !self.ok {
            return match &self.error {
                Some(e) => Msg::new("console-smtp-failed-at")
                    .arg(
                        "step",
                        serde_json::to_value(e.step)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                    )
                    .arg("error", &e.message)
                    .into(),
                None => self.summary.clone().into(),
            };
        }
        let ran = |step: Step| self.steps.iter().any(|s| s.step == step && s.ok);
        let what = match (ran(Step::TlsHandshake), ran(Step::Auth)) {
            (true, true) => "encrypted-signed-in",
            (true, false) => "encrypted",
            (false, true) => "signed-in",
            (false, false) => "plain",
        };
        let test_to = test_to.trim();
        if test_to.is_empty() {
            Msg::new("console-smtp-worked").arg("what", what).into()
        } else {
            Msg::new("console-smtp-worked-sent")
                .arg("what", what)
                .arg("address", test_to)
                .into()
        }
    }
}

/// What worked, from the steps that actually ran: no claim of encryption without a TLS
/// handshake, nor of a sign-in without AUTH.
fn success_summary(steps: &[StepRecord], to: Option<&EmailAddress>) -> String {
    let ran = |step: Step| steps.iter().any(|s| s.step == step && s.ok);
    let what = match (ran(Step::TlsHandshake), ran(Step::Auth)) {
        (true, true) => "Connection, encryption and sign-in work.",
        (true, false) => {
            "Connection and encryption work; no sign-in was tried (authentication is off)."
        }
        (false, true) => "Connection and sign-in work, without encryption (security = none).",
        (false, false) => {
            "Connection works, without encryption (security = none); no sign-in was tried (authentication is off)."
        }
    };
    match to {
        Some(to) => format!("{what} The test message to {to} was accepted by the server."),
        None => format!("{what} Enter an address to also send a test message."),
    }
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
                message: e.msg().into(),
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
        Ok(()) => CheckReport {
            ok: true,
            summary: success_summary(&t.steps, send_to.as_ref().map(|(to, _)| *to)),
            error: None,
            steps: t.steps,
            skipped,
            refused: false,
        },
        Err(e) => CheckReport {
            ok: false,
            steps: t.steps,
            summary: format!("Failed at {}: {}", e.step, e.message),
            skipped,
            refused: e.refused,
            error: Some(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Msg;

    /// The CLI's `--json` gives the report as it is: its texts in English words, not message ids.
    #[test]
    fn the_report_serializes_its_messages_in_english() {
        let report = CheckReport {
            ok: false,
            steps: vec![StepRecord {
                step: Step::Starttls,
                label: Step::Starttls.label(),
                ok: false,
                sent: None,
                reply: Msg::new("smtp-reply-no-starttls").into(),
                hint: Some(Msg::new("smtp-hint-no-starttls").into()),
                millis: 1,
            }],
            summary: "Failed at STARTTLS: the server does not offer STARTTLS".into(),
            error: None,
            skipped: vec![],
            refused: false,
        };
        let json = serde_json::to_value(&report).unwrap();
        let step = &json["steps"][0];
        assert_eq!(step["reply"], "STARTTLS not offered");
        assert!(step["hint"]
            .as_str()
            .unwrap()
            .starts_with("The server does not offer STARTTLS"));
    }
}
