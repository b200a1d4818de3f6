//! "No object was written again after it already was what Terraform wanted", decided from the
//! emulator's write ledger.
//!
//! A write is a rewrite when it changed nothing (the object before equals the object after) or
//! found the object already in the state its last write left (the final state). One kind of
//! rewrite is unavoidable and excused: the write right after one whose answer was lost (ARM
//! committed it, then answered 5xx or reset the connection). The client could not know that
//! write landed, and repeating an idempotent PUT is exactly what it should do; that is what
//! the ledger's `fault` marks. Every other rewrite is a client that wrote what was already
//! there.

use arm_emulator::{ObjectWrites, WriteRecord};

/// What the rule found in the writes of one run.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RewriteReport {
    /// Rewrites that follow a lost answer (allowed).
    pub excused: usize,
    /// `path: description` of every other rewrite.
    pub violations: Vec<String>,
}

/// Whether the ledger marks this write's answer as lost: it committed, then a fault replaced
/// the answer with an error or a reset.
pub fn answer_lost(w: &WriteRecord) -> bool {
    w.fault.is_some()
}

/// Applies the rule to every object's writes (POST actions are not object writes and never
/// count).
pub fn rewrites(objects: &[ObjectWrites]) -> RewriteReport {
    let mut report = RewriteReport::default();
    for object in objects {
        let writes: Vec<&WriteRecord> = object
            .writes
            .iter()
            .filter(|w| w.method != "POST")
            .collect();
        let Some(last) = writes.last() else {
            continue;
        };
        let last_after = &last.after;
        for (i, w) in writes.iter().enumerate() {
            let unchanged = !w.changed();
            let already_final = i + 1 < writes.len() && &w.before == last_after;
            if !unchanged && !already_final {
                continue;
            }
            if i > 0 && answer_lost(writes[i - 1]) {
                report.excused += 1;
                continue;
            }
            let what = if unchanged {
                "changed nothing"
            } else {
                "found the object already in its final state"
            };
            report.violations.push(format!(
                "{}: write #{} ({} {}, ledger seq {}) {what}",
                object.id,
                i + 1,
                w.method,
                w.status,
                w.seq
            ));
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn write(seq: u64, before: Option<Value>, after: Option<Value>, lost: bool) -> WriteRecord {
        WriteRecord {
            seq,
            method: "PUT".into(),
            path: "/x".into(),
            body: None,
            status: 200,
            fault: lost.then(|| "chaos:write_error_after_commit".to_string()),
            before,
            after,
            timestamp: String::new(),
        }
    }

    fn object(writes: Vec<WriteRecord>) -> ObjectWrites {
        ObjectWrites {
            id: "/x".into(),
            writes,
        }
    }

    #[test]
    fn a_repeat_after_a_lost_answer_is_excused_any_other_repeat_is_not() {
        let a = Some(json!({"v": 1}));
        let lost_then_repeat = object(vec![
            write(1, None, a.clone(), true),
            write(2, a.clone(), a.clone(), false),
        ]);
        let r = rewrites(&[lost_then_repeat]);
        assert_eq!((r.excused, r.violations.len()), (1, 0), "{r:?}");

        let confirmed_then_repeat = object(vec![
            write(1, None, a.clone(), false),
            write(2, a.clone(), a.clone(), false),
        ]);
        let r = rewrites(&[confirmed_then_repeat]);
        assert_eq!((r.excused, r.violations.len()), (0, 1), "{r:?}");
        assert!(r.violations[0].contains("changed nothing"), "{r:?}");
    }

    #[test]
    fn writing_an_object_away_from_its_final_state_and_back_is_a_violation() {
        let a = Some(json!({"v": 1}));
        let b = Some(json!({"v": 2}));
        let r = rewrites(&[object(vec![
            write(1, None, a.clone(), false),
            write(2, a.clone(), b.clone(), false),
            write(3, b, a, false),
        ])]);
        assert_eq!(r.violations.len(), 1, "{r:?}");
        assert!(r.violations[0].contains("write #2"), "{r:?}");
    }

    #[test]
    fn changes_towards_the_final_state_are_fine() {
        let r = rewrites(&[object(vec![
            write(1, None, Some(json!({"v": 1})), false),
            write(2, Some(json!({"v": 1})), Some(json!({"v": 2})), false),
        ])]);
        assert_eq!(r, RewriteReport::default());
    }
}
