//! A readable name for the browser and system behind a `User-Agent` ("Firefox on Windows"),
//! for the list of a person's sessions. A guess from well-known tokens, never used for a
//! decision.

/// The browser and operating system named by a `User-Agent`, where they are recognisable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub browser: Option<&'static str>,
    pub os: Option<&'static str>,
}

pub fn device(user_agent: &str) -> Device {
    let ua = user_agent;
    let has = |token: &str| ua.contains(token);
    // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
    let browser = if has("Edg/") || has("EdgA/") || has("EdgiOS/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera") {
        Some("Opera")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        Some("Chrome")
    } else if has("Safari/") && has("Version/") {
        Some("Safari")
    } else if ua.starts_with("curl/") {
        Some("curl")
    } else {
        None
    };
    // iPhones and iPads say "like Mac OS X"; Android says "Linux".
    let os = if has("iPhone") || has("iPad") || has("iPod") {
        Some("iOS")
    } else if has("Android") {
        Some("Android")
    } else if has("Windows") {
        Some("Windows")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Macintosh") || has("Mac OS X") {
        Some("macOS")
    } else if has("Linux") || has("X11") {
        Some("Linux")
    } else {
        None
    };
    Device { browser, os }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(ua: &str) -> (Option<&'static str>, Option<&'static str>) {
        let d = device(ua);
        (d.browser, d.os)
    }

    #[test]
    fn common_browsers_are_named() {
        assert_eq!(
            named("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"),
            (Some("Edge"), Some("Windows"))
        );
        assert_eq!(
            named("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"),
            (Some("Chrome"), Some("Linux"))
        );
        assert_eq!(
            named("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"),
            (Some("Safari"), Some("iOS"))
        );
        assert_eq!(
            named("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0"),
            (Some("Firefox"), Some("macOS"))
        );
        assert_eq!(
            named("Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"),
            (Some("Chrome"), Some("Android"))
        );
        assert_eq!(named("curl/8.5.0"), (Some("curl"), None));
        assert_eq!(named(""), (None, None));
        assert_eq!(named("something odd"), (None, None));
    }
}
