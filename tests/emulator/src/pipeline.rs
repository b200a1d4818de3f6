//! The ordered steps every ARM request goes through; their order decides what a client
//! observes, so it is written down in one place:
//!
//! 1. injected latency (every request);
//! 2. the Entra ID token endpoint (only `error` / `reset` faults apply to it);
//! 3. authentication (401s carry no budget header);
//! 4. the subscription's throttling bucket: subscription-scoped requests are charged and
//!    every answer from here on carries the remaining budget of its kind; an empty bucket
//!    answers 429 before any fault rule is consulted;
//! 5. fault rules and chaos for the request; out-of-band mutations due before handling;
//! 6. routing to the resource provider (api-version, scope, spec validation, handler);
//! 7. mutations due after handling; for an accepted (2xx) write, the write ledger entry and
//!    any after-commit fault (error or reset instead of the answer).

use std::time::Duration;

use crate::faults::{Injected, Injection, RequestKind};
use crate::ledger::{self, Accepted};
use crate::out_of_band::{self, OutOfBand};
use crate::reply::Reply;
use crate::router::{self, Req};
use crate::state::{lock, State};
use crate::throttle::Charge;
use crate::token;

/// What to send back, and which fault decided it.
pub(crate) struct Outcome {
    pub response: Injected,
    pub fault: Option<String>,
}

impl Outcome {
    fn reply(reply: Reply) -> Self {
        Self {
            response: Injected::Reply(reply),
            fault: None,
        }
    }

    fn injected(i: Injection, charge: Option<&Charge>) -> Self {
        let response = match i.outcome {
            Injected::Reply(r) => Injected::Reply(with_ids(with_budget(r, charge))),
            Injected::Reset => Injected::Reset,
        };
        Self {
            response,
            fault: Some(i.label),
        }
    }
}

pub(crate) async fn run(state: &State, req: &mut Req) -> Outcome {
    let method = req.method.as_str().to_string();
    let latency = lock(&state.faults).latency_for(&method, &req.path);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(tenant) = token::is_token_path(&req.path) {
        if let Some(i) = lock(&state.faults).before_token(&method, &req.path) {
            return Outcome::injected(i, None);
        }
        return Outcome::reply(token::handle(state, tenant, &req.method, &req.body));
    }
    let auth = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = token::authorize(state, auth) {
        return Outcome::reply(with_ids(e.into()));
    }

    let charge = subscription_scoped(&req.path).then(|| {
        let client = req.header("user-agent").unwrap_or_default().to_string();
        lock(&state.throttle).charge(&req.method, &state.config.subscription_id, &client)
    });
    if let Some(e) = charge.as_ref().and_then(|c| c.rejected.clone()) {
        return Outcome::reply(with_ids(with_budget(e.into(), charge.as_ref())));
    }

    let kind = RequestKind::of(&method, &req.path);
    let plan = lock(&state.faults).before(&method, &req.path, &req.raw_query, kind);
    mutate(state, &plan.mutations_before);
    if let Some(i) = plan.injection {
        mutate(state, &plan.mutations_after);
        return Outcome::injected(i, charge.as_ref());
    }
    req.chaos = plan.chaos;

    let before = kind
        .is_write()
        .then(|| ledger::snapshot(state, &req.path))
        .flatten();
    let reply = router::route(state, req);
    mutate(state, &plan.mutations_after);
    if kind.is_write() && reply.status.is_success() {
        let after = ledger::snapshot(state, &req.path);
        let injection = lock(&state.faults).after_commit(&method, &req.path, kind, plan.chaos);
        lock(&state.ledger).record(Accepted {
            method: &method,
            path: &req.path,
            body: &req.body,
            status: reply.status.as_u16(),
            fault: injection.as_ref().map(|i| i.label.clone()),
            before,
            after,
            timestamp: crate::server::now_rfc3339(),
        });
        if let Some(i) = injection {
            return Outcome::injected(i, charge.as_ref());
        }
    }
    Outcome::reply(with_ids(with_budget(reply, charge.as_ref())))
}

/// Requests under `/subscriptions/{id}` are charged to that subscription's buckets.
fn subscription_scoped(path: &str) -> bool {
    path.get(..15)
        .is_some_and(|p| p.eq_ignore_ascii_case("/subscriptions/"))
}

fn mutate(state: &State, changes: &[OutOfBand]) {
    for change in changes {
        if let Err(e) = out_of_band::apply(state, change) {
            tracing::warn!(error = %e, ?change, "out-of-band change of a mutate fault failed");
        }
    }
}

fn with_budget(reply: Reply, charge: Option<&Charge>) -> Reply {
    match charge {
        Some(c) => reply.header(c.header, c.remaining.to_string()),
        None => reply,
    }
}

fn with_ids(reply: Reply) -> Reply {
    let id = uuid::Uuid::new_v4().to_string();
    reply
        .header("x-ms-request-id", id.clone())
        .header("x-ms-correlation-request-id", id)
}
