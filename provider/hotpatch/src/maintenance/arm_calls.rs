//! The ARM calls the three Maintenance resources share, bound to the operation's context, and
//! the one policy for what a write that may or may not have landed leaves in state.
//!
//! Every call observes the hook's [`Context`] (Terraform's stop and the `timeouts` deadline).
//! Writes are synchronous PUTs of the whole object (CONTRACT §4: no Maintenance operation is
//! long-running), which the ARM client retries on throttling, 5xx and lost connections
//! (a repeated full-body PUT writes the same object again, so it is safe). When a write still
//! fails, one question decides the outcome: may ARM have accepted it
//! ([`ArmError::may_have_written`])?
//!
//! * No (ARM refused it, or it was never sent): nothing changed; the error alone.
//! * Maybe (5xx or a reset after the request was sent, Ctrl-C or the timeout while it was in
//!   flight): the object is read back in a fresh recovery context ([`Context::recovery`],
//!   since the operation's own may be cancelled) and
//!   - reads as planned: the write took effect; its state with a warning (no taint, nothing
//!     for the next run to do);
//!   - reads differently: that state with the error (Terraform shows the difference);
//!   - is absent: nothing was written; the error alone;
//!   - cannot be read: the planned object, id included, with a warning. There is no
//!     transitional status to wait for, so the next refresh settles it completely: it keeps
//!     the object when the write landed, and drops it from state (so the next apply writes it
//!     again) when it did not. An error here would taint a create, and the replacement it
//!     forces would delete and re-create a schedule that most likely exists, detaching every
//!     machine assigned to it in between.

use armclient::models::maintenance::API_VERSION;
use armclient::ArmError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tfframework::{Context, Diagnostic, Diagnostics};

use super::ids::recorded;
use crate::already_exists::already_exists;
use crate::arm_diag::{arm_error, delete_outcome, op_error, read_outcome};
use crate::provider_data::HotpatchData;

/// How a write ended, as the resource records it.
#[derive(Debug)]
pub enum Written<S> {
    /// The object as ARM holds it now (as answered or read back), with what to tell.
    Recorded(S, Diagnostics),
    /// Nothing was written (refused, never sent, or read back as absent).
    NotWritten(Diagnostics),
}

impl<S> Written<S> {
    /// The state to return from a create: nothing when nothing was written.
    pub fn created(self) -> (Option<S>, Diagnostics) {
        match self {
            Written::Recorded(s, d) => (Some(s), d),
            Written::NotWritten(d) => (None, d),
        }
    }

    /// The state to return from an update: the prior one when nothing was written.
    pub fn updated(self, prior: Option<&S>) -> (Option<S>, Diagnostics)
    where
        S: Clone,
    {
        match self {
            Written::Recorded(s, d) => (Some(s), d),
            Written::NotWritten(d) => (prior.cloned(), d),
        }
    }
}

/// PUTs `body` to `id` and decides what to record (see the module comment). `state_of` turns
/// ARM's object into state; the write took effect when that state equals `planned`, the state
/// the resource wants (`state_of` keeps the planned spelling of values that mean the same).
pub async fn put<B, T, S>(
    ctx: &Context,
    data: &HotpatchData,
    id: &str,
    body: &B,
    doing: &str,
    planned: &S,
    state_of: impl Fn(&T) -> S,
) -> Written<S>
where
    B: Serialize + Sync,
    T: DeserializeOwned,
    S: Clone + PartialEq,
{
    let error = match data.arm_for(ctx).put::<B, T>(id, API_VERSION, body).await {
        Ok(object) => return Written::Recorded(state_of(&object), Diagnostics::new()),
        Err(e) => e,
    };
    let failed = op_error(ctx, doing, &error);
    if !error.may_have_written() {
        return Written::NotWritten(failed.into());
    }
    let (recovery, _guard) = ctx.recovery();
    let read_back = data
        .arm_for(&recovery)
        .get_optional::<T>(id, API_VERSION)
        .await;
    match read_back {
        Ok(Some(object)) => {
            let state = state_of(&object);
            if state == *planned {
                let d = Diagnostic::warning(
                    format!("{} (confirmed by reading it back)", failed.summary),
                    format!("{}\n\nARM may have accepted the write before this failure, and reading the object back shows it exactly as planned: the write took effect and is recorded in state. Nothing more is needed.", failed.detail),
                );
                Written::Recorded(state, d.into())
            } else {
                let d = Diagnostic::error(
                    failed.summary,
                    format!("{}\n\nReading the object back shows values other than the planned ones; they are recorded in state, so the next plan shows what differs.", failed.detail),
                );
                Written::Recorded(state, d.into())
            }
        }
        Ok(None) => {
            let d = Diagnostic::error(
                failed.summary,
                format!(
                    "{}\n\nReading the object back shows it does not exist: nothing was written.",
                    failed.detail
                ),
            );
            Written::NotWritten(d.into())
        }
        Err(read_error) => {
            let d = Diagnostic::warning(
                format!("{} (not confirmed)", failed.summary),
                format!("{}\n\nARM may have accepted the write, and reading the object back failed too ({read_error}). It is recorded in state as planned; the next terraform plan or apply reads it: if the write took effect nothing more happens, and if it did not, Terraform proposes it again.", failed.detail),
            );
            Written::Recorded(planned.clone(), d.into())
        }
    }
}

/// Fails with the azurerm-style "already exists - import it" error when an object exists at
/// `id`, so a create never takes over (and later deletes) an object Terraform did not make.
/// `identity` is the resource's identity attributes (empty without an identity).
pub async fn ensure_absent(
    ctx: &Context,
    data: &HotpatchData,
    id: &str,
    type_name: &str,
    identity: &[(&str, &str)],
) -> Result<(), Diagnostic> {
    match data.arm_for(ctx)
        .get_optional::<serde_json::Value>(id, API_VERSION)
        .await
    {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(already_exists(
            type_name,
            id,
            "It exists in Azure already (made outside this configuration, for example in the portal).",
            identity,
        )),
        Err(e) => Err(op_error(
            ctx,
            "checking that the object does not exist yet",
            &e,
        )),
    }
}

/// Reads the object to import; a missing one is an error, as Terraform expects.
pub async fn get_for_import<T: DeserializeOwned>(
    ctx: &Context,
    data: &HotpatchData,
    id: &str,
    what: &str,
) -> Result<T, Diagnostic> {
    match data.arm_for(ctx).get_optional::<T>(id, API_VERSION).await {
        Ok(Some(object)) => Ok(object),
        Ok(None) => Err(Diagnostic::error(
            "Cannot import non-existent remote object",
            format!("No {what} exists with the id {id:?}."),
        )),
        Err(e) => Err(arm_error(&format!("reading the {what} to import"), &e)),
    }
}

/// Reads the object (None: it is gone).
pub async fn get<T: DeserializeOwned>(
    ctx: &Context,
    data: &HotpatchData,
    id: &str,
) -> Result<Option<T>, ArmError> {
    data.arm_for(ctx).get_optional::<T>(id, API_VERSION).await
}

/// Refreshes one object by the id its state records: gone → `None` (Terraform plans it
/// again); an ARM error keeps the current state, with the error.
pub async fn refresh<T: DeserializeOwned, S: Clone>(
    ctx: &Context,
    data: &HotpatchData,
    current: &S,
    recorded_id: &Option<String>,
    type_name: &str,
    doing: &str,
    to_state: impl FnOnce(T) -> S,
) -> (Option<S>, Diagnostics) {
    let id = match recorded(recorded_id, type_name) {
        Ok(id) => id,
        Err(d) => return (None, d.into()),
    };
    let lookup = get::<T>(ctx, data, id).await;
    read_outcome(current, doing, lookup, |object| Some(to_state(object)))
}

/// Deletes the object whose id the state records; one already gone is deleted too.
pub async fn delete_recorded(
    ctx: &Context,
    data: &HotpatchData,
    recorded_id: &Option<String>,
    type_name: &str,
    doing: &str,
) -> Diagnostics {
    match recorded(recorded_id, type_name) {
        Ok(id) => delete_outcome(doing, data.arm_for(ctx).delete(id, API_VERSION).await),
        Err(d) => d.into(),
    }
}
