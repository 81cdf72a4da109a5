//! `deploy/latchkey.toml.example` names every setting, with its true default, and is a
//! configuration Latchkey accepts once its examples are switched on.

use latchkey::Config;

const EXAMPLE: &str = include_str!("../../deploy/latchkey.toml.example");

/// The setting a commented line shows (`# name = value`), if it shows one.
fn setting_of(line: &str) -> Option<&str> {
    let (name, _) = line.strip_prefix("# ")?.split_once(" = ")?;
    name.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        .then_some(name)
}

/// `# name = value` lines (a setting shown with its default, or an example of a table's line),
/// without the `# `.
fn commented_settings() -> Vec<(String, String)> {
    EXAMPLE
        .lines()
        .filter_map(|l| Some((setting_of(l)?.to_owned(), l[2..].to_owned())))
        .collect()
}

/// The example with every commented setting and table switched on.
fn everything_on() -> String {
    EXAMPLE
        .lines()
        .map(|l| {
            if setting_of(l).is_some() || l.starts_with("# [directories.") {
                &l[2..]
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_names_every_setting() {
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    let on: toml::Table = toml::from_str(&everything_on()).unwrap();
    // Settings without a default (`None`) aren't in the serialised defaults; the example shows
    // those too, so compare against the struct's field names through a full configuration.
    let mut missing: Vec<&str> = defaults
        .as_table()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| !on.contains_key(*k))
        .collect();
    for optional in [
        "public_url",
        "database_url",
        "master_key_file",
        "metrics_token",
        "alert_webhook_url",
        "directories",
    ] {
        if !on.contains_key(optional) {
            missing.push(optional);
        }
    }
    assert!(
        missing.is_empty(),
        "settings the example leaves out: {missing:?}"
    );
}

#[test]
fn the_example_shows_the_true_defaults() {
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    let defaults = defaults.as_table().unwrap();
    let mut checked = 0;
    for (name, line) in commented_settings() {
        let Some(default) = defaults.get(&name) else {
            continue; // no default (an example value) or a table's line
        };
        let shown: toml::Table = toml::from_str(&line).unwrap();
        assert_eq!(&shown[&name], default, "the example's default of {name}");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} defaults shown");
}

#[test]
fn the_example_is_a_configuration_latchkey_accepts() {
    let config: Config = toml::from_str(&everything_on()).expect("the example parses");
    assert_eq!(config.mail_connections_per_server, 1);
    assert!(config.directories.contains_key("acme"));
    // Unknown keys are refused, so a typo in the example couldn't pass.
    let typo = format!("{}\nmail_conections_per_server = 2\n", everything_on());
    assert!(toml::from_str::<Config>(&typo).is_err());
}
