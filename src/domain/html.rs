//! HTML escaping for text that Latchkey puts into HTML itself (outside the template engine's
//! own escaping): the console's translated texts, an administrator's mail text, the values
//! placed into a mail's HTML part.

/// Escapes `&`, `<`, `>` and `"`: enough for element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_the_four_characters_and_keeps_the_rest() {
        assert_eq!(
            super::escape(r#"<b>"x" & we've</b>"#),
            "&lt;b&gt;&quot;x&quot; &amp; we've&lt;/b&gt;"
        );
    }
}
