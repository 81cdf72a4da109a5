//! A real headless Chromium, driven over WebDriver (chromedriver + fantoccini), for journey
//! tests that look at pages the way a person does: by label, by button text, by what is shown.
//!
//! Every `Chrome` starts its own chromedriver on a free loopback port with a fresh profile, and
//! kills it (with the Chromium it started) when dropped. Nothing is downloaded: Debian's
//! `chromium` and `chromium-driver` must be installed (`./scripts/test.sh` installs them).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a wait for text, a URL or an element may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

/// The chromedriver binary: `/usr/bin/chromedriver`, or one on `PATH`.
fn chromedriver() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromedriver");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("chromedriver"))
            .find(|p| p.is_file())
    })
}

/// Fails the test (never skips it) when the browser isn't installed.
fn require_browser() -> PathBuf {
    let driver = chromedriver();
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).is_file()).then_some(CHROMIUM),
        driver.is_none().then_some("chromedriver"),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        missing.is_empty(),
        "the browser tests need Chromium and ChromeDriver, but {} is missing. \
         Run ./scripts/test.sh (it installs Debian's chromium and chromium-driver), or \
         `apt-get install chromium chromium-driver`.",
        missing.join(" and ")
    );
    driver.unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Where screenshots go: `<crate>/target/browser-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/browser-artifacts");
    dir
}

/// An XPath string literal for any text (quotes included).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// chromedriver, in its own process group; dropping it ends chromedriver and every Chromium
/// process it started (by that group's id), and nothing else.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    fn start(bin: &Path, dir: &Path) -> Driver {
        let log = dir.join("chromedriver.log");
        let out = std::fs::File::create(&log).expect("chromedriver log file");
        let port = free_port();
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file handle"))
            .stderr(out);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        Driver { child, port, log }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until chromedriver answers `/status` as ready.
    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}):\n{}",
                    self.log_text()
                );
            }
            if let Ok(resp) = http.get(format!("{}/status", self.url())).send().await {
                if let Ok(v) = resp.json::<Value>().await {
                    if v["value"]["ready"] == json!(true) {
                        return;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {} within {WAIT:?}:\n{}",
                self.port,
                self.log_text()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium with its own chromedriver and profile.
pub struct Chrome {
    pub client: Client,
    /// The app's base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// The name screenshots are saved under.
    pub name: String,
    // Dropped in this order: the session handle, then chromedriver with Chromium, then the
    // profile directory.
    driver: Driver,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Starts chromedriver and a Chromium session for the app at `base`. `name` names the
    /// screenshots (`target/browser-artifacts/<name>.png`).
    pub async fn start(base: &str, name: &str) -> Chrome {
        let bin = require_browser();
        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let mut driver = Driver::start(&bin, profile.path());
        driver.wait_ready().await;
        let user_data = profile.path().join("user-data");
        let mut caps = fantoccini::wd::Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", user_data.display()),
                    format!("--window-size={WIDTH},{HEIGHT}"),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver.url())
            .await
        {
            Ok(c) => c,
            Err(e) => panic!(
                "cannot start a Chromium session through chromedriver: {e}\n{}",
                driver.log_text()
            ),
        };
        Chrome {
            client,
            base: base.trim_end_matches('/').to_owned(),
            name: name.to_owned(),
            driver,
            _profile: profile,
        }
    }

    /// `path` on the app, or a full URL as it is.
    pub fn url_for(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn goto(&self, path_or_url: &str) {
        let url = self.url_for(path_or_url);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    pub async fn url(&self) -> url::Url {
        self.client.current_url().await.expect("current URL")
    }

    /// The current path with its query, e.g. `/t/default/reset`.
    pub async fn path(&self) -> String {
        let u = self.url().await;
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// Runs a script in the page and returns its result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The text a person sees on the page (`innerText` of the body).
    pub async fn text(&self) -> String {
        self.js(
            "return document.body ? document.body.innerText : '';",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Fails the test: saves `<name>-failed.png` and panics with what the page shows.
    async fn fail(&self, what: String) -> String {
        let shot = self.save_screenshot(&format!("{}-failed", self.name)).await;
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self.text().await;
        format!(
            "{what}\n  at {url}\n  screenshot: {}\n--- page text ---\n{text}\n---",
            shot.display()
        )
    }

    /// Waits (up to 10 s) until `needle` is part of the visible text of the page.
    pub async fn wait_for_text(&self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.text().await.contains(needle) {
                return;
            }
            if Instant::now() >= deadline {
                let msg = self
                    .fail(format!("the page never showed {needle:?} within {WAIT:?}"))
                    .await;
                panic!("{msg}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits (up to `limit`) until the URL satisfies `ok`; returns how long that took.
    pub async fn wait_for_url(
        &self,
        what: &str,
        limit: Duration,
        ok: impl Fn(&url::Url) -> bool,
    ) -> Duration {
        let start = Instant::now();
        loop {
            if let Ok(u) = self.client.current_url().await {
                if ok(&u) {
                    return start.elapsed();
                }
            }
            if start.elapsed() >= limit {
                let msg = self
                    .fail(format!("the URL never became {what} within {limit:?}"))
                    .await;
                panic!("{msg}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Visible elements matching an XPath expression.
    async fn visible(&self, xpath: &str) -> Vec<Element> {
        let all = self
            .client
            .find_all(Locator::XPath(xpath))
            .await
            .unwrap_or_default();
        let mut out = Vec::new();
        for e in all {
            if e.is_displayed().await.unwrap_or(false) {
                out.push(e);
            }
        }
        out
    }

    /// XPath of the section (or form, fieldset) headed `heading`, or of the whole page.
    fn scope(heading: Option<&str>) -> String {
        match heading {
            None => String::new(),
            Some(h) => format!(
                "//*[self::section or self::form or self::fieldset]\
                 [.//*[self::h1 or self::h2 or self::h3 or self::legend][normalize-space(.)={}]]",
                xpath_literal(h)
            ),
        }
    }

    /// The form control a `<label>` with this text (exactly, or else at its start) labels.
    async fn labelled(&self, section: Option<&str>, label: &str) -> Element {
        let scope = Self::scope(section);
        let lit = xpath_literal(label);
        let mut labels = self
            .client
            .find_all(Locator::XPath(&format!(
                "{scope}//label[normalize-space(.)={lit}]"
            )))
            .await
            .unwrap_or_default();
        if labels.is_empty() {
            labels = self
                .client
                .find_all(Locator::XPath(&format!(
                    "{scope}//label[starts-with(normalize-space(.), {lit})]"
                )))
                .await
                .unwrap_or_default();
        }
        let place = section
            .map(|s| format!(" in the section {s:?}"))
            .unwrap_or_default();
        if labels.is_empty() {
            // No `<label>`: a control named by its `aria-label` (e.g. a row's checkbox).
            let named = self
                .visible(&format!(
                    "{scope}//*[self::input or self::select or self::textarea][@aria-label={lit}]"
                ))
                .await;
            if named.len() == 1 {
                return named.into_iter().next().unwrap();
            }
        }
        if labels.len() != 1 {
            let msg = self
                .fail(format!(
                    "expected one label {label:?}{place}, found {}",
                    labels.len()
                ))
                .await;
            panic!("{msg}");
        }
        let target = labels[0].attr("for").await.ok().flatten();
        let found = match target {
            Some(id) => self.client.find(Locator::Id(&id)).await.ok(),
            None => labels[0]
                .find(Locator::XPath(".//input|.//select|.//textarea"))
                .await
                .ok(),
        };
        match found {
            Some(e) => e,
            None => {
                let msg = self
                    .fail(format!(
                        "the label {label:?}{place} is not tied to a form control"
                    ))
                    .await;
                panic!("{msg}")
            }
        }
    }

    async fn type_into(&self, e: &Element, label: &str, value: &str) {
        e.clear()
            .await
            .unwrap_or_else(|err| panic!("clear {label:?}: {err}"));
        if !value.is_empty() {
            e.send_keys(value)
                .await
                .unwrap_or_else(|err| panic!("type into {label:?}: {err}"));
        }
    }

    /// Types `value` into the field labelled `label` (after clearing it).
    pub async fn fill(&self, label: &str, value: &str) {
        let e = self.labelled(None, label).await;
        self.type_into(&e, label, value).await;
    }

    /// Like `fill`, for a label that is on the page more than once: the one in the section
    /// headed `section`.
    pub async fn fill_in(&self, section: &str, label: &str, value: &str) {
        let e = self.labelled(Some(section), label).await;
        self.type_into(&e, label, value).await;
    }

    /// The current value of the field labelled `label`.
    pub async fn value_of(&self, label: &str) -> String {
        let e = self.labelled(None, label).await;
        e.prop("value").await.ok().flatten().unwrap_or_default()
    }

    /// Chooses the option shown as `option` in the select box labelled `label`.
    pub async fn select(&self, label: &str, option: &str) {
        let e = self.labelled(None, label).await;
        e.select_by_label(option)
            .await
            .unwrap_or_else(|err| panic!("choose {option:?} in {label:?}: {err}"));
    }

    /// Ticks (or unticks) the checkbox labelled `label`.
    pub async fn set_checkbox(&self, label: &str, on: bool) {
        let e = self.labelled(None, label).await;
        if e.is_selected().await.expect("checkbox state") != on {
            e.click()
                .await
                .unwrap_or_else(|err| panic!("click {label:?}: {err}"));
        }
    }

    /// Visible buttons (and links styled as buttons) whose text is `text`.
    async fn buttons(&self, text: &str) -> Vec<Element> {
        let lit = xpath_literal(text);
        self.visible(&format!(
            "//button[normalize-space(.)={lit}] \
             | //input[(@type='submit' or @type='button') and @value={lit}] \
             | //a[contains(concat(' ', normalize-space(@class), ' '), ' button ') \
                   and normalize-space(.)={lit}] \
             | //*[@role='button' and normalize-space(.)={lit}]"
        ))
        .await
    }

    /// Whether a visible button with this text is on the page.
    pub async fn has_button(&self, text: &str) -> bool {
        !self.buttons(text).await.is_empty()
    }

    /// Clicks the one visible button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        let found = self.buttons(text).await;
        if found.len() != 1 {
            let msg = self
                .fail(format!(
                    "expected one visible button {text:?}, found {}",
                    found.len()
                ))
                .await;
            panic!("{msg}");
        }
        found[0]
            .click()
            .await
            .unwrap_or_else(|e| panic!("click button {text:?}: {e}"));
    }

    /// Clicks the one visible link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        let found = self
            .visible(&format!("//a[normalize-space(.)={}]", xpath_literal(text)))
            .await;
        if found.len() != 1 {
            let msg = self
                .fail(format!(
                    "expected one visible link {text:?}, found {}",
                    found.len()
                ))
                .await;
            panic!("{msg}");
        }
        found[0]
            .click()
            .await
            .unwrap_or_else(|e| panic!("click link {text:?}: {e}"));
    }

    /// Clicks the one visible link `text` inside the element named `region` by its
    /// `aria-label` (e.g. the "Administration" sub-navigation), for link texts that are on the
    /// page more than once.
    pub async fn click_link_in(&self, region: &str, text: &str) {
        let found = self
            .visible(&format!(
                "//*[@aria-label={}]//a[normalize-space(.)={}]",
                xpath_literal(region),
                xpath_literal(text)
            ))
            .await;
        if found.len() != 1 {
            let msg = self
                .fail(format!(
                    "expected one visible link {text:?} in {region:?}, found {}",
                    found.len()
                ))
                .await;
            panic!("{msg}");
        }
        found[0]
            .click()
            .await
            .unwrap_or_else(|e| panic!("click link {text:?} in {region:?}: {e}"));
    }

    /// Clicks the link `text` and waits until the page it leads to has loaded (a new document,
    /// even when it is the same address again, like a "Refresh" link).
    pub async fn follow_link(&self, text: &str) {
        self.js("window.__latchkey_old_page = true; return null;", vec![])
            .await;
        self.click_link(text).await;
        let deadline = Instant::now() + WAIT;
        loop {
            let fresh = self
                .client
                .execute(
                    "return window.__latchkey_old_page === undefined \
                            && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if fresh {
                return;
            }
            if Instant::now() >= deadline {
                let msg = self
                    .fail(format!("the link {text:?} never led to a new page"))
                    .await;
                panic!("{msg}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Follows the link `link` (a "Refresh" link) again and again until the page shows every
    /// one of `needles` (up to 10 s); returns how long that took.
    pub async fn refresh_until(&self, link: &str, needles: &[&str]) -> Duration {
        let start = Instant::now();
        loop {
            self.follow_link(link).await;
            let text = self.text().await;
            if needles.iter().all(|n| text.contains(n)) {
                return start.elapsed();
            }
            if start.elapsed() >= WAIT {
                let msg = self
                    .fail(format!(
                        "after following {link:?} for {WAIT:?}, the page still did not show \
                         all of {needles:?}"
                    ))
                    .await;
                panic!("{msg}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Presses keys on the keyboard, as a person would: to whatever has the focus.
    pub async fn keyboard(&self, keys: &str) {
        let mut seq = KeyActions::new("keyboard".into());
        for c in keys.chars() {
            seq = seq
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client
            .perform_actions(seq)
            .await
            .unwrap_or_else(|e| panic!("press keys: {e}"));
    }

    /// Presses one special key (Tab, Enter, …).
    pub async fn press(&self, key: Key) {
        self.keyboard(&char::from(key).to_string()).await;
    }

    /// The id (or tag name) of the element that has the keyboard focus.
    pub async fn focused(&self) -> String {
        self.js(
            "const e = document.activeElement; \
             return e ? (e.id || e.tagName.toLowerCase()) : '';",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Every visible input, select and textarea with no `<label for>` (with text) and no
    /// `aria-label`, as HTML; and how many visible controls there are.
    pub async fn unlabelled_controls(&self) -> (usize, Vec<String>) {
        let v = self
            .js(
                r#"
                const bad = [];
                let seen = 0;
                for (const el of document.querySelectorAll('input, select, textarea')) {
                  if (el.type === 'hidden') continue; // visibility is judged by the computed style below
                  const style = getComputedStyle(el);
                  const box = el.getBoundingClientRect();
                  if (style.display === 'none' || style.visibility === 'hidden'
                      || (box.width === 0 && box.height === 0)) continue;
                  seen++;
                  const labels = el.id
                    ? [...document.querySelectorAll('label[for="' + CSS.escape(el.id) + '"]')]
                    : [];
                  const byLabel = labels.some(l => l.textContent.trim() !== '');
                  const byAria = (el.getAttribute('aria-label') || '').trim() !== '';
                  if (!byLabel && !byAria) bad.push(el.outerHTML);
                }
                return [seen, bad];
                "#,
                vec![],
            )
            .await;
        let seen = v[0].as_u64().unwrap_or(0) as usize;
        let bad = v[1]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (seen, bad)
    }

    /// Makes the page area `width` CSS pixels wide (a phone: 390), the height unchanged.
    pub async fn set_viewport_width(&self, width: u32) {
        let chrome = self
            .js("return window.outerWidth - window.innerWidth;", vec![])
            .await
            .as_u64()
            .unwrap_or(0) as u32;
        self.client
            .set_window_size(width + chrome, HEIGHT)
            .await
            .expect("resize the window");
        let inner = self.js("return window.innerWidth;", vec![]).await;
        assert_eq!(
            inner.as_u64(),
            Some(width as u64),
            "the viewport did not become {width} px"
        );
    }

    /// How far the page is wider than the window (0 when it needs no horizontal scrolling),
    /// and the widest elements that stick out.
    pub async fn horizontal_overflow(&self) -> (i64, Vec<String>) {
        let v = self
            .js(
                "const w = window.innerWidth; \
                 const over = [...document.querySelectorAll('body *')] \
                   .filter(e => e.getBoundingClientRect().right > w + 1) \
                   .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)); \
                 return [document.documentElement.scrollWidth - w, over];",
                vec![],
            )
            .await;
        let by = v[0].as_i64().unwrap_or(0);
        let what = v[1]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        (by, what)
    }

    /// Saves a screenshot of the whole page as `target/browser-artifacts/<file>.png`.
    pub async fn save_screenshot(&self, file: &str) -> PathBuf {
        let path = artifacts_dir().join(format!("{file}.png"));
        // Make the window as tall as the page so the picture shows all of it.
        let dims = self
            .client
            .execute(
                "return [document.documentElement.scrollHeight, \
                         window.outerHeight - window.innerHeight, window.outerWidth];",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        let page = dims[0].as_u64().unwrap_or(0) as u32;
        let extra = dims[1].as_u64().unwrap_or(0) as u32;
        // The width as it is (a phone-sized window stays phone-sized in the picture).
        let width = dims[2].as_u64().map_or(WIDTH, |w| w as u32);
        let tall = (page + extra).clamp(HEIGHT, 8000);
        if tall > HEIGHT {
            let _ = self.client.set_window_size(width, tall).await;
        }
        match self.client.screenshot().await {
            Ok(png) => std::fs::write(&path, png)
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display())),
            Err(e) => eprintln!("no screenshot {}: {e}", path.display()),
        }
        if tall > HEIGHT {
            let _ = self.client.set_window_size(width, HEIGHT).await;
        }
        path
    }

    /// Saves `target/browser-artifacts/<name>.png` of the page now shown.
    pub async fn screenshot(&self) -> PathBuf {
        self.save_screenshot(&self.name.clone()).await
    }

    /// Saves the screenshot of the last page and ends the session.
    pub async fn finish(self) -> PathBuf {
        let shot = self.screenshot().await;
        let _ = self.client.clone().close().await;
        drop(self);
        shot
    }
}
