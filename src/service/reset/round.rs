//! The end of a round of "Forgot password?" requests: what was decided about each one, folded
//! into the audit events to write (repeats and floods as counted events), and the round's one
//! transaction.

use std::collections::HashMap;

use serde_json::json;

use super::PreparedLink;
use crate::service::audit_reason::ResetReason;
use crate::service::{Actor, AuditEntry, Core, Result};
use crate::store;

/// What the worker decided about one "Forgot password?" request, for its audit event.
pub(super) struct Verdict {
    pub(super) outcome: &'static str,
    /// The account's username, when one matched.
    pub(super) target: Option<String>,
    pub(super) why: ResetReason,
    /// How many of this account's requests ended this way in the hour, this one included (for
    /// the quiet ends a flood repeats: over the mail limit, or no mail for one of the account's
    /// reasons). Counted per decided request: one that coalesced repeats counts once.
    pub(super) same_this_hour: Option<i64>,
}

/// Whether the `n`th request for one account that ended the same quiet way within an hour is
/// written to the audit log: the first three, then the 10th, 100th, 1000th … — a flood of
/// repeats is a few counted events, not a row per request.
fn recorded(n: i64) -> bool {
    if n <= 3 {
        return true;
    }
    let mut tenfold: i64 = 10;
    while tenfold < n {
        match tenfold.checked_mul(10) {
            Some(next) => tenfold = next,
            None => return false,
        }
    }
    tenfold == n
}

/// Requests of a round that are handled and the audit events they left, not written yet.
#[derive(Default)]
pub(super) struct Finished {
    ids: Vec<i64>,
    events: Vec<(i64, Option<String>, String, &'static str, serde_json::Value)>,
    /// The event of each tenant and source whose names matched no account in this round, by
    /// index in `events`: the others fold into it.
    unknown: HashMap<(i64, String), usize>,
    /// The links the round sends, with their mails.
    pub(super) links: Vec<PreparedLink>,
}

/// Names listed in a folded event besides its own identifier; the rest are only counted.
const FOLDED_NAMES: usize = 9;

impl Finished {
    pub(super) fn add(&mut self, r: &store::reset::Request, verdict: Option<Verdict>) {
        self.ids.push(r.id);
        let Some(v) = verdict else { return };
        let same = v.same_this_hour.filter(|n| *n > 1);
        // A row that counts requests of other names (`not_queued`) is always written: they are
        // counted nowhere else.
        if same.is_some_and(|n| !recorded(n)) && r.not_queued == 0 {
            return;
        }
        if v.target.is_none() && v.why == ResetReason::NoAccount {
            // A flood of different names from one address is one counted event per round:
            // the first name, some more, and how many requests it stands for in all.
            if let Some(&i) = self.unknown.get(&(r.tenant_id, r.source.clone())) {
                let detail = &mut self.events[i].4;
                let count = |d: &serde_json::Value, k: &str, or: i64| d[k].as_i64().unwrap_or(or);
                if detail.get("other_identifiers").is_none() {
                    // The first fold: the event stood for its own row until now.
                    let own = count(detail, "repeats", 1) + count(detail, "not_queued", 0);
                    detail["other_identifiers"] = 0.into();
                    detail["other_names"] = json!([]);
                    detail["requests"] = own.into();
                }
                detail["other_identifiers"] = (count(detail, "other_identifiers", 0) + 1).into();
                detail["requests"] =
                    (count(detail, "requests", 0) + r.repeats + r.not_queued).into();
                if let Some(names) = detail["other_names"].as_array_mut() {
                    if names.len() < FOLDED_NAMES {
                        names.push(r.identifier.clone().into());
                    }
                }
                return;
            }
            self.unknown
                .insert((r.tenant_id, r.source.clone()), self.events.len());
        }
        // Repeats of one identifier are one event with a count, not a row each; so are the
        // requests of its address that were not queued meanwhile.
        let mut detail = json!({ "identifier": r.identifier });
        if r.repeats > 1 {
            detail["repeats"] = r.repeats.into();
        }
        if r.not_queued > 0 {
            detail["not_queued"] = r.not_queued.into();
        }
        if let Some(n) = same {
            detail["same_this_hour"] = n.into();
            detail["recorded"] = "first three, then each tenfold".into();
        }
        let detail = v.why.into_detail(detail);
        self.events
            .push((r.tenant_id, v.target, r.ip.clone(), v.outcome, detail));
    }

    /// Logs the events and writes them with the links and the requests' deletion in the
    /// `round`'s transaction, and commits it.
    pub(super) async fn write(
        self,
        core: &Core,
        round: store::reset::Round,
        owner: &str,
    ) -> Result<()> {
        let anonymous = Actor::Anonymous;
        let entries: Vec<AuditEntry<'_>> = self
            .events
            .iter()
            .map(|(tenant_id, target, ip, outcome, detail)| AuditEntry {
                tenant_id: Some(*tenant_id),
                actor: &anonymous,
                action: "reset.requested",
                target: target.as_deref(),
                ip: Some(ip),
                outcome,
                detail: detail.clone(),
            })
            .collect();
        // Logged once written (a round that can't be written is done again, and logged then).
        let actors: Vec<String> = entries.iter().map(|e| e.actor.label()).collect();
        let rows: Vec<store::audit::NewEvent<'_>> = entries
            .iter()
            .cloned()
            .zip(&actors)
            .map(|(e, actor)| e.row(actor))
            .collect();
        let links: Vec<_> = self.links.iter().map(PreparedLink::new_link).collect();
        round
            .finish(owner, &links, &self.ids, &rows, core.now())
            .await?;
        Core::log_committed(&entries);
        if !links.is_empty() {
            core.wake_workers().await;
            for _ in &links {
                core.metrics.reset("mailed");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{recorded, Finished, Verdict};
    use crate::service::audit_reason::ResetReason;
    use crate::store::reset::Request;

    fn request(id: i64, not_queued: i64) -> Request {
        Request {
            id,
            tenant_id: 1,
            identifier: "alice".into(),
            ip: "198.51.100.7".into(),
            source: "198.51.100.7".into(),
            created_at: 0,
            repeats: 1,
            not_queued,
        }
    }

    fn over_the_limit(n: i64) -> Option<Verdict> {
        Some(Verdict {
            outcome: "throttled",
            target: Some("alice".into()),
            why: ResetReason::TooManyMails,
            same_this_hour: Some(n),
        })
    }

    #[test]
    fn a_quiet_repeat_between_the_steps_is_handled_but_not_written_unless_it_counts_others() {
        let mut done = Finished::default();
        done.add(&request(1, 0), over_the_limit(3));
        done.add(&request(2, 0), over_the_limit(4));
        // The 5th, carrying requests of other names that were not queued: written.
        done.add(&request(3, 7), over_the_limit(5));
        done.add(&request(4, 0), over_the_limit(10));
        assert_eq!(done.ids, vec![1, 2, 3, 4]);
        let written: Vec<(i64, i64)> = done
            .events
            .iter()
            .map(|e| {
                (
                    e.4["same_this_hour"].as_i64().unwrap(),
                    e.4["not_queued"].as_i64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(written, vec![(3, 0), (5, 7), (10, 0)]);
    }

    #[test]
    fn the_first_three_then_each_tenfold_are_recorded() {
        let kept: Vec<i64> = (1..=20_000).filter(|n| recorded(*n)).collect();
        assert_eq!(kept, vec![1, 2, 3, 10, 100, 1000, 10_000]);
        assert!(!recorded(i64::MAX));
    }
}
