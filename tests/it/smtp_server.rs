//! Self-test of the SMTP test server (tests/common/smtp.rs) with a tiny raw client, without
//! Latchkey's own SMTP client.
use crate::common;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::smtp::{closed_port, SmtpOptions, SmtpServer, Step, TestCa, TlsMode};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Client {
    io: BufReader<Box<dyn Io>>,
}

async fn tls_wrap(
    io: Box<dyn Io>,
    ca: &TestCa,
    name: &'static str,
) -> std::io::Result<Box<dyn Io>> {
    let connector = TlsConnector::from(ca.client_config());
    let name = ServerName::try_from(name).unwrap();
    Ok(Box::new(connector.connect(name, io).await?))
}

impl Client {
    async fn plain(port: u16) -> Client {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        Client {
            io: BufReader::new(Box::new(tcp)),
        }
    }

    async fn implicit(port: u16, ca: &TestCa, name: &'static str) -> std::io::Result<Client> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
        Ok(Client {
            io: BufReader::new(tls_wrap(Box::new(tcp), ca, name).await?),
        })
    }

    async fn starttls(self, ca: &TestCa) -> Client {
        assert!(self.io.buffer().is_empty());
        Client {
            io: BufReader::new(
                tls_wrap(self.io.into_inner(), ca, "localhost")
                    .await
                    .unwrap(),
            ),
        }
    }

    /// Reads a (possibly multiline) reply; lines joined with "\n". Empty string on EOF.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if self.io.read_line(&mut line).await.unwrap_or(0) == 0 {
                return lines.join("\n");
            }
            assert!(line.ends_with("\r\n"), "reply line without CRLF: {line:?}");
            let line = line.trim_end().to_string();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines.join("\n");
            }
        }
    }

    async fn send(&mut self, raw: &str) {
        self.io.get_mut().write_all(raw.as_bytes()).await.unwrap();
        self.io.get_mut().flush().await.unwrap();
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }

    /// True when the server closed the connection.
    async fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_secs(5), self.io.read(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    async fn deliver(&mut self, from: &str, to: &[&str], body: &str) -> String {
        assert!(self
            .cmd(&format!("MAIL FROM:<{from}>"))
            .await
            .starts_with("250"));
        for rcpt in to {
            assert!(self
                .cmd(&format!("RCPT TO:<{rcpt}>"))
                .await
                .starts_with("250"));
        }
        assert!(self.cmd("DATA").await.starts_with("354"));
        self.cmd(&format!("{body}.")).await
    }
}

fn code(reply: &str) -> &str {
    &reply[..3.min(reply.len())]
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn plain_conversation_delivers_with_two_recipients_and_dot_unstuffing() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    let mut c = Client::plain(server.port()).await;
    assert_eq!(c.reply().await, "220 test.smtp.local ESMTP ready");
    let ehlo = c.cmd("EHLO client.example").await;
    assert!(ehlo.starts_with("250-test.smtp.local\n"), "{ehlo}");
    assert!(
        ehlo.contains("250-8BITMIME") && ehlo.contains("SIZE 10485760"),
        "{ehlo}"
    );
    assert!(
        !ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    assert_eq!(code(&c.cmd("RCPT TO:<x@example.org>").await), "503");
    assert_eq!(code(&c.cmd("VRFY someone").await), "502");
    assert_eq!(code(&c.cmd("noop").await), "250");
    assert_eq!(
        c.cmd("mail from:<sender@example.org> SIZE=100 BODY=8BITMIME")
            .await,
        "250 2.1.0 OK"
    );
    assert_eq!(c.cmd("RCPT TO:<a@example.org>").await, "250 2.1.5 OK");
    assert_eq!(c.cmd("rcpt to: <b@example.org>").await, "250 2.1.5 OK");
    assert_eq!(c.cmd("DATA").await, "354 End data with <CR><LF>.<CR><LF>");
    let end = c
        .cmd("Subject: hi\r\n\r\n..leading dot\r\n...two\r\nbody\r\n.")
        .await;
    assert!(end.starts_with("250 2.0.0 Queued as "), "{end}");
    assert_eq!(c.cmd("QUIT").await, "221 2.0.0 Bye");
    assert!(c.closed().await);

    let msgs = server.wait_for_messages(1, WAIT).await;
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m.mail_from, "sender@example.org");
    assert_eq!(m.rcpt_to, vec!["a@example.org", "b@example.org"]);
    assert_eq!(
        m.data,
        "Subject: hi\r\n\r\n.leading dot\r\n..two\r\nbody\r\n"
    );
    assert!(!m.tls);
    assert_eq!(m.auth_user, None);
    assert!(server.transcript().contains(&"..leading dot".to_string()));
}

#[tokio::test]
async fn starttls_then_auth_plain_delivers_over_tls() {
    let server = SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        auth: Some(("user".into(), "secret".into())),
        ..Default::default()
    })
    .await;
    let mut c = Client::plain(server.port()).await;
    assert_eq!(code(&c.reply().await), "220");
    let ehlo = c.cmd("EHLO client.example").await;
    assert!(
        ehlo.contains("250-STARTTLS") || ehlo.contains("250 STARTTLS"),
        "{ehlo}"
    );
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    assert_eq!(code(&c.cmd("MAIL FROM:<s@example.org>").await), "530");
    assert_eq!(code(&c.cmd("AUTH PLAIN AHVzZXIAc2VjcmV0").await), "530");
    assert_eq!(c.cmd("STARTTLS").await, "220 2.0.0 Ready to start TLS");
    let mut c = c.starttls(&server.ca()).await;
    let ehlo = c.cmd("EHLO client.example").await;
    assert!(
        ehlo.contains("AUTH PLAIN LOGIN") && !ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    let auth = format!("AUTH PLAIN {}", B64.encode("\0user\0secret"));
    assert_eq!(c.cmd(&auth).await, "235 2.7.0 Authentication successful");
    assert_eq!(
        code(
            &c.deliver("s@example.org", &["r@example.org"], "Hi\r\n")
                .await
        ),
        "250"
    );

    let msgs = server.wait_for_messages(1, WAIT).await;
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].tls);
    assert_eq!(msgs[0].auth_user.as_deref(), Some("user"));
    assert_eq!(msgs[0].data, "Hi\r\n");
    assert!(server.transcript().contains(&auth));
}

#[tokio::test]
async fn wrong_password_is_refused_and_auth_login_works() {
    let server = SmtpServer::start(SmtpOptions {
        auth: Some(("user".into(), "secret".into())),
        ..Default::default()
    })
    .await;
    let mut c = Client::plain(server.port()).await;
    c.reply().await;
    assert!(c.cmd("EHLO c").await.contains("AUTH PLAIN LOGIN"));
    let wrong = format!("AUTH PLAIN {}", B64.encode("\0user\0nope"));
    assert_eq!(
        c.cmd(&wrong).await,
        "535 5.7.8 Username and Password not accepted"
    );
    // PLAIN with the response on its own line.
    assert_eq!(c.cmd("AUTH PLAIN").await, "334");
    assert_eq!(code(&c.cmd(&B64.encode("\0other\0secret")).await), "535");
    // LOGIN dance.
    assert_eq!(c.cmd("AUTH LOGIN").await, "334 VXNlcm5hbWU6");
    assert_eq!(c.cmd(&B64.encode("user")).await, "334 UGFzc3dvcmQ6");
    assert_eq!(code(&c.cmd(&B64.encode("secret")).await), "235");
    assert_eq!(
        code(
            &c.deliver("s@example.org", &["r@example.org"], "x\r\n")
                .await
        ),
        "250"
    );
    let msgs = server.wait_for_messages(1, WAIT).await;
    assert_eq!(msgs[0].auth_user.as_deref(), Some("user"));
    assert!(!msgs[0].tls);
}

#[tokio::test]
async fn implicit_tls_works_and_other_ca_is_rejected() {
    let server = SmtpServer::start(SmtpOptions {
        tls: TlsMode::Implicit,
        ..Default::default()
    })
    .await;
    // The IP SAN is accepted too.
    let mut c = Client::implicit(server.port(), &server.ca(), "127.0.0.1")
        .await
        .unwrap();
    assert_eq!(code(&c.reply().await), "220");
    let ehlo = c.cmd("EHLO c").await;
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert_eq!(
        code(
            &c.deliver("s@example.org", &["r@example.org"], "x\r\n")
                .await
        ),
        "250"
    );
    assert!(server.wait_for_messages(1, WAIT).await[0].tls);

    let other = TestCa::new();
    assert!(Client::implicit(server.port(), &other, "localhost")
        .await
        .is_err());
    assert!(server.ca_pem().contains("BEGIN CERTIFICATE"));
    assert_ne!(server.ca_pem(), other.cert_pem);
}

#[tokio::test]
async fn shared_ca_and_custom_names() {
    let ca = Arc::new(TestCa::new());
    let server = SmtpServer::start(SmtpOptions {
        tls: TlsMode::Implicit,
        ca: Some(ca.clone()),
        cert_names: vec!["mail.example.test".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(server.ca_pem(), ca.cert_pem);
    assert!(Client::implicit(server.port(), &ca, "mail.example.test")
        .await
        .is_ok());
    // Name not in the certificate.
    assert!(Client::implicit(server.port(), &ca, "localhost")
        .await
        .is_err());
}

#[tokio::test]
async fn scripted_rcpt_failure_applies_once() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    server.script(Step::RcptTo, "451 4.7.1 Try again later", 1);
    let mut c = Client::plain(server.port()).await;
    c.reply().await;
    c.cmd("EHLO c").await;
    assert_eq!(code(&c.cmd("MAIL FROM:<s@example.org>").await), "250");
    assert_eq!(
        c.cmd("RCPT TO:<r@example.org>").await,
        "451 4.7.1 Try again later"
    );
    assert_eq!(c.cmd("RCPT TO:<r@example.org>").await, "250 2.1.5 OK");
    assert!(c.cmd("DATA").await.starts_with("354"));
    assert!(c.cmd("x\r\n.").await.starts_with("250"));
    let msgs = server.wait_for_messages(1, WAIT).await;
    assert_eq!(msgs[0].rcpt_to, vec!["r@example.org"]);
}

#[tokio::test]
async fn drop_on_data_end_closes_and_records_nothing() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    server.script(Step::DataEnd, "DROP", 1);
    let mut c = Client::plain(server.port()).await;
    c.reply().await;
    c.cmd("EHLO c").await;
    assert_eq!(
        c.deliver("s@example.org", &["r@example.org"], "x\r\n")
            .await,
        ""
    );
    assert!(c.closed().await);
    assert!(server.messages().is_empty());

    // The script is used up: the retry goes through.
    let mut c = Client::plain(server.port()).await;
    c.reply().await;
    c.cmd("EHLO c").await;
    assert_eq!(
        code(
            &c.deliver("s@example.org", &["r@example.org"], "x\r\n")
                .await
        ),
        "250"
    );
    assert_eq!(server.wait_for_messages(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn scripted_greeting_failure_closes() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    server.script(Step::Greeting, "421 4.3.2 Service not available", 1);
    let mut c = Client::plain(server.port()).await;
    assert_eq!(c.reply().await, "421 4.3.2 Service not available");
    assert!(c.closed().await);
}

#[tokio::test]
async fn two_messages_on_one_connection_and_stop() {
    let server = SmtpServer::start(SmtpOptions::default()).await;
    let mut c = Client::plain(server.port()).await;
    c.reply().await;
    c.cmd("EHLO c").await;
    assert_eq!(
        code(
            &c.deliver("s@example.org", &["a@example.org"], "one\r\n")
                .await
        ),
        "250"
    );
    assert_eq!(
        code(
            &c.deliver("s@example.org", &["b@example.org"], "two\r\n")
                .await
        ),
        "250"
    );
    let msgs = server.wait_for_messages(2, WAIT).await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].rcpt_to, vec!["b@example.org"]);
    assert_eq!(msgs[1].data, "two\r\n");
    assert_eq!(server.connections(), 1);

    server.stop().await;
    assert!(c.closed().await, "open connections are closed by stop()");
    assert!(TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .is_err());
    assert!(TcpStream::connect(("127.0.0.1", closed_port()))
        .await
        .is_err());
}
