//! Builds outgoing messages with `lettre` from typed values: the library encodes every header,
//! so a CR/LF in a name or subject can't add a header or a recipient (SECURITY.md "Mail").

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use rand::RngCore;

use super::settings::SmtpSettings;
use crate::domain::EmailAddress;
use crate::i18n::{Msg, Text};

/// One rendered message for one recipient.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: EmailAddress,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the message could not be built: {0}")]
pub struct BuildError(Text);

impl BuildError {
    /// The error as a message, for a page in the reader's language (`Display` is English).
    pub fn msg(&self) -> Msg {
        Msg::new("smtp-err-build").arg("error", &self.0)
    }
}

/// The envelope sender and the formatted message (CRLF line ends), ready for DATA.
pub struct Built {
    pub from: String,
    pub to: String,
    pub bytes: Vec<u8>,
}

fn strip_controls(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

pub fn build(settings: &SmtpSettings, mail: &Outgoing) -> Result<Built, BuildError> {
    let from_addr = EmailAddress::parse(&settings.from_address)
        .map_err(|e| BuildError(Msg::new("smtp-invalid-sender").arg("reason", e.0).into()))?;
    let parse = |a: &str| {
        a.parse::<lettre::Address>()
            .map_err(|e| BuildError(e.to_string().into()))
    };
    let name = |n: &str| Some(strip_controls(n)).filter(|n| !n.is_empty());
    let from = Mailbox::new(name(&settings.from_name), parse(from_addr.as_str())?);
    let to = Mailbox::new(name(&mail.to_name), parse(mail.to.as_str())?);
    let domain = from_addr
        .as_str()
        .rsplit_once('@')
        .map(|(_, d)| d.to_owned())
        .unwrap_or_default();
    let mut id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(strip_controls(&mail.subject))
        .message_id(Some(format!("<{id}@{domain}>")))
        .date_now();
    if !settings.reply_to.trim().is_empty() {
        let reply_to = EmailAddress::parse(&settings.reply_to)
            .map_err(|e| BuildError(Msg::new("smtp-invalid-reply-to").arg("reason", e.0).into()))?;
        builder = builder.reply_to(Mailbox::new(None, parse(reply_to.as_str())?));
    }
    let mut message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html.clone()),
                ),
        )
        .map_err(|e| BuildError(e.to_string().into()))?;
    // RFC 3834: tells auto-responders not to answer.
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".to_owned(),
    ));
    Ok(Built {
        from: from_addr.as_str().to_owned(),
        to: mail.to.as_str().to_owned(),
        bytes: message.formatted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            from_address: "noreply@example.org".into(),
            from_name: "Acme \r\nBcc: eve@evil.example".into(),
            reply_to: "help@example.org".into(),
            ..SmtpSettings::default()
        }
    }

    #[test]
    fn headers_cannot_be_injected() {
        let mail = Outgoing {
            to: EmailAddress::parse("alice@example.org").unwrap(),
            to_name: "Alice\r\nBcc: mallory@evil.example".into(),
            subject: "Hello\r\nBcc: trudy@evil.example".into(),
            text: "Body\r\nBcc: in-body@evil.example".into(),
            html: "<p>x</p>".into(),
        };
        let built = build(&settings(), &mail).unwrap();
        let text = String::from_utf8(built.bytes).unwrap();
        let headers = &text[..text.find("\r\n\r\n").unwrap()];
        for line in headers.lines() {
            assert!(
                !line.to_ascii_lowercase().starts_with("bcc:"),
                "injected header: {line}"
            );
        }
        assert_eq!(built.to, "alice@example.org");
        assert!(headers.contains("Auto-Submitted: auto-generated"));
        assert!(headers.contains("Message-ID: <") && headers.contains("@example.org>"));
        assert!(headers.contains("Date: "));
        assert!(headers.contains("Reply-To: help@example.org"));
        assert!(text.contains("text/plain") && text.contains("text/html"));
    }
}
