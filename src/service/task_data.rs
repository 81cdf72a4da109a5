//! What a mail task's `data` tells the worker besides the template's variables: the keys
//! starting with `_`, typed. They are stored inside the same JSON object as the variables (the
//! column's text is unchanged); only this struct names them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Result;
use crate::mail::templates::TemplateSource;

/// The send-time instructions a task's data carries.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct TaskControl {
    /// The secret to make when the mail is sent (a reset an administrator scheduled).
    #[serde(rename = "_issue", default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<IssueSecret>,
    /// The mail's own template (a campaign's text) instead of its kind's.
    #[serde(rename = "_template", default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateSource>,
    /// Whoever scheduled it may reset a system administrator (checked again at send time).
    #[serde(
        rename = "_system_admin_ok",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub system_admin_ok: bool,
}

/// The one-time secret an administrator's reset makes at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IssueSecret {
    ResetLink,
    TemporaryPassword,
}

impl IssueSecret {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueSecret::ResetLink => "reset_link",
            IssueSecret::TemporaryPassword => "temporary_password",
        }
    }
}

impl TaskControl {
    /// The instructions in a task's data. Data this build can't read as instructions (never
    /// written by Latchkey) reads as none: no own template, no secret to make, no permission —
    /// a mail that needs a secret then fails rather than going out without one.
    pub fn of(data: &Value) -> Self {
        Self::deserialize(data).unwrap_or_default()
    }

    /// Adds the instructions to a task's data, beside its variables.
    pub fn write_into(&self, data: &mut Value) -> Result<()> {
        let control = serde_json::to_value(self).map_err(anyhow::Error::from)?;
        if let (Some(obj), Value::Object(keys)) = (data.as_object_mut(), control) {
            obj.extend(keys);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_keys_round_trip_beside_the_variables() {
        let mut data = json!({ "name": "Alice", "valid_for_secs": 3600 });
        TaskControl {
            issue: Some(IssueSecret::TemporaryPassword),
            template: None,
            system_admin_ok: true,
        }
        .write_into(&mut data)
        .unwrap();
        assert_eq!(
            data,
            json!({ "name": "Alice", "valid_for_secs": 3600,
                    "_issue": "temporary_password", "_system_admin_ok": true })
        );
        let back = TaskControl::of(&data);
        assert_eq!(back.issue, Some(IssueSecret::TemporaryPassword));
        assert!(back.system_admin_ok && back.template.is_none());
        let plain = TaskControl::of(&json!({ "name": "Bob" }));
        assert!(plain.issue.is_none() && !plain.system_admin_ok && plain.template.is_none());
    }
}
