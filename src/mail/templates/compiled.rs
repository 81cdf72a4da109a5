//! Templates compiled once and kept for the next mail with the same text.
//!
//! A campaign's 10,000 mails, and a busy tenant's reset mails, use a handful of templates;
//! compiling the three parts again for every mail was most of the cost of rendering one. The
//! cache is keyed by the text itself, so an edited template is simply another entry: nothing
//! has to be told when a template changes, on this instance or another. Each part has an
//! environment of its own, as when it was compiled for each mail: one part can't include
//! another.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use minijinja::Environment;

use super::{engine, TemplateSource};

/// How many templates are kept; past that the cache starts again (previews of a template
/// being edited are one entry each).
const KEEP: usize = 32;

/// The name each part is compiled under (its ending chooses HTML escaping or none).
pub(super) const SUBJECT: (&str, &str) = ("subject", "subject.txt");
pub(super) const TEXT: (&str, &str) = ("text", "body.txt");
pub(super) const HTML: (&str, &str) = ("html", "body.html");

/// One part, compiled: its environment, or the template engine's words on why it didn't compile.
pub(super) type Part = Result<Environment<'static>, String>;

/// The three parts of a template, compiled.
pub(super) struct Compiled {
    pub subject: Part,
    pub text: Part,
    pub html: Part,
}

fn part((_, name): (&str, &'static str), source: &str) -> Part {
    let mut env = engine();
    env.add_template_owned(name, source.to_owned())
        .map_err(|e| e.to_string())?;
    Ok(env)
}

impl Compiled {
    fn new(src: &TemplateSource) -> Self {
        Compiled {
            subject: part(SUBJECT, &src.subject),
            text: part(TEXT, &src.text),
            html: part(HTML, &src.html),
        }
    }
}

/// Compiled templates by their text.
#[derive(Default)]
struct Cache(Mutex<HashMap<TemplateSource, Arc<Compiled>>>);

impl Cache {
    /// `src`, compiled: kept from before, or compiled now (outside the lock) and kept.
    fn get(&self, src: &TemplateSource) -> Arc<Compiled> {
        let lock = || {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(c) = lock().get(src) {
            return c.clone();
        }
        let c = Arc::new(Compiled::new(src));
        let mut cache = lock();
        if cache.len() >= KEEP {
            cache.clear();
        }
        cache.insert(src.clone(), c.clone());
        c
    }
}

static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);

/// `src`, compiled (see the module documentation).
pub(super) fn compiled(src: &TemplateSource) -> Arc<Compiled> {
    CACHE.get(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(subject: &str) -> TemplateSource {
        TemplateSource {
            subject: subject.into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        }
    }

    #[test]
    fn the_same_text_is_compiled_once_and_an_edit_is_another_entry() {
        let cache = Cache::default();
        let a = cache.get(&source("{{ name }}"));
        let again = cache.get(&source("{{ name }}"));
        assert!(Arc::ptr_eq(&a, &again));
        let edited = cache.get(&source("edited {{ name }}"));
        assert!(!Arc::ptr_eq(&a, &edited));
        assert!(Arc::ptr_eq(
            &edited,
            &cache.get(&source("edited {{ name }}"))
        ));
    }

    #[test]
    fn the_cache_stays_within_its_size() {
        let cache = Cache::default();
        for i in 0..KEEP * 3 {
            cache.get(&source(&format!("{i} {{{{ name }}}}")));
            assert!(cache.0.lock().unwrap().len() <= KEEP);
        }
    }

    #[test]
    fn a_part_that_does_not_compile_keeps_the_engines_words() {
        let c = Cache::default().get(&source("{{ name"));
        let Err(err) = c.subject.as_ref() else {
            panic!("the subject does not compile")
        };
        assert!(err.contains("subject.txt"), "{err}");
        assert!(c.text.is_ok() && c.html.is_ok());
    }

    #[test]
    fn parts_cannot_include_each_other() {
        let src = TemplateSource {
            subject: "s".into(),
            text: "secret text".into(),
            html: "{% include 'body.txt' %}".into(),
        };
        let c = Cache::default().get(&src);
        let env = c.html.as_ref().expect("compiles");
        let out = env
            .get_template(HTML.1)
            .and_then(|t| t.render(minijinja::context! {}));
        assert!(out.is_err(), "{out:?}");
    }
}
