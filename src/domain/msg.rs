//! A message for a person as data: its id in the catalogue and its values. The words are
//! looked up when a page renders (`crate::i18n`, which also gives `Display` in English), so the
//! domain names what it refuses without holding any language.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

/// A value for a message's placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Arg {
    Str(String),
    Num(i64),
    /// A message of its own, translated into the same language first ("Failed at { $step }",
    /// the step's name a message too).
    Msg(Box<Msg>),
}

impl From<Msg> for Arg {
    fn from(m: Msg) -> Self {
        Arg::Msg(Box::new(m))
    }
}
impl From<Text> for Arg {
    fn from(t: Text) -> Self {
        match t {
            Text::Plain(s) => Arg::Str(s),
            Text::Msg(m) => Arg::Msg(Box::new(m)),
        }
    }
}
impl From<&Text> for Arg {
    fn from(t: &Text) -> Self {
        t.clone().into()
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_owned())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Num(n as i64)
    }
}
impl From<u32> for Arg {
    fn from(n: u32) -> Self {
        Arg::Num(n.into())
    }
}

/// A message to show a person: its id in the catalogue and its arguments, translated when it is
/// rendered (the language is the reader's, known only then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Msg {
    pub id: Cow<'static, str>,
    pub args: BTreeMap<&'static str, Arg>,
}

impl Msg {
    pub fn new(id: impl Into<Cow<'static, str>>) -> Self {
        Msg {
            id: id.into(),
            args: BTreeMap::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.insert(name, value.into());
        self
    }
}

/// Text for a page: a message to translate, or words that are shown as they are (a name, a
/// directory's own answer, or a message that has no translation yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Msg(Msg),
}

impl From<Msg> for Text {
    fn from(m: Msg) -> Self {
        Text::Msg(m)
    }
}
impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Plain(s)
    }
}
impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Plain(s.to_owned())
    }
}
