//! What the emulator's request log says about the provider's retries.
//!
//! The ARM client gives each logical call one `x-ms-client-request-id` and sends it with every
//! attempt of that call, so an id seen more than once is an operation that was retried, and the
//! repeats are its extra attempts. Token requests and admin calls carry no id and are left out.

use std::collections::BTreeMap;

use arm_emulator::LoggedRequest;

const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// Retry figures of a slice of the request log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RetryFigures {
    /// ARM requests carrying a client request id (attempts, retries included).
    pub attempts: usize,
    /// Distinct client request ids: logical operations.
    pub operations: usize,
    /// Operations sent more than once.
    pub retried: usize,
    /// Attempts beyond the first of each operation.
    pub extra_attempts: usize,
    /// The most attempts any one operation took.
    pub most_attempts: usize,
    /// 429s the throttling buckets served (not chaos: those carry a fault label).
    pub bucket_throttled: usize,
    /// Answers decided by an injected fault.
    pub faulted: usize,
}

pub fn retry_figures(log: &[LoggedRequest]) -> RetryFigures {
    let mut per_id: BTreeMap<&str, usize> = BTreeMap::new();
    let mut f = RetryFigures::default();
    for r in log {
        let Some(id) = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(CLIENT_REQUEST_ID))
            .map(|(_, v)| v.as_str())
        else {
            continue;
        };
        f.attempts += 1;
        *per_id.entry(id).or_default() += 1;
        if r.fault.is_some() {
            f.faulted += 1;
        } else if r.status == 429 {
            f.bucket_throttled += 1;
        }
    }
    f.operations = per_id.len();
    for n in per_id.values() {
        if *n > 1 {
            f.retried += 1;
            f.extra_attempts += n - 1;
        }
        f.most_attempts = f.most_attempts.max(*n);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: Option<&str>, status: u16, fault: Option<&str>) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            path: "/subscriptions/s/x".into(),
            query: String::new(),
            status,
            fault: fault.map(str::to_string),
            body: String::new(),
            headers: id
                .map(|id| [("x-ms-client-request-id".to_string(), id.to_string())].into())
                .unwrap_or_default(),
            timestamp: String::new(),
        }
    }

    #[test]
    fn repeated_ids_are_retried_operations() {
        let log = [
            req(Some("a"), 503, Some("chaos:read_error")),
            req(Some("a"), 429, None),
            req(Some("a"), 200, None),
            req(Some("b"), 200, None),
            req(None, 200, None),
        ];
        let f = retry_figures(&log);
        assert_eq!(
            f,
            RetryFigures {
                attempts: 4,
                operations: 2,
                retried: 1,
                extra_attempts: 2,
                most_attempts: 3,
                bucket_throttled: 1,
                faulted: 1,
            }
        );
    }
}
