//! The ARM calls the three Maintenance resources share, bound to the operation's context.
//!
//! Every call observes the hook's [`Context`] (Terraform's stop and the `timeouts` deadline).
//! Writes are PUTs of the whole object (the service has no useful PATCH), and none of them is
//! long-running, so one rule covers all three resources: a write ARM refused (an error
//! status) changed nothing; a write that failed any other way (connection lost, stopped,
//! timed out) may have landed, so the object is read back, in a fresh recovery context, and
//! recorded with the error.

use armclient::models::maintenance::API_VERSION;
use armclient::{ArmClient, ArmError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tfframework::{Context, Diagnostic, Diagnostics};

use crate::arm_diag::arm_error;
use crate::provider_data::HotpatchData;

/// The provider's ARM client, cancelled with `ctx`.
pub fn arm(ctx: &Context, data: &HotpatchData) -> ArmClient {
    data.arm.with_cancellation(ctx.stop.clone())
}

/// PUTs `body` to `id`: the object ARM holds afterwards when known, with the diagnostics.
pub async fn put<B, T>(
    ctx: &Context,
    data: &HotpatchData,
    id: &str,
    body: &B,
    doing: &str,
) -> (Option<T>, Diagnostics)
where
    B: Serialize + Sync,
    T: DeserializeOwned,
{
    match arm(ctx, data).put::<B, T>(id, API_VERSION, body).await {
        Ok(object) => (Some(object), Diagnostics::new()),
        Err(e) if e.status().is_some() => (None, arm_error(doing, &e).into()),
        Err(e) => {
            let (recovery, _guard) = ctx.recovery();
            let after = arm(&recovery, data)
                .get_optional::<T>(id, API_VERSION)
                .await
                .ok()
                .flatten();
            (after, arm_error(doing, &e).into())
        }
    }
}

/// Reads the object to import; a missing one is an error, as Terraform expects.
pub async fn get_for_import<T: DeserializeOwned>(
    ctx: &Context,
    data: &HotpatchData,
    id: &str,
    what: &str,
) -> Result<T, Diagnostic> {
    match arm(ctx, data).get_optional::<T>(id, API_VERSION).await {
        Ok(Some(object)) => Ok(object),
        Ok(None) => Err(Diagnostic::error(
            "Cannot import non-existent remote object",
            format!("No {what} exists with the id {id:?}."),
        )),
        Err(e) => Err(arm_error(&format!("reading the {what} to import"), &e)),
    }
}

/// Reads the object for a refresh (None: it is gone).
pub async fn get<T: DeserializeOwned>(
    ctx: &Context,
    data: &HotpatchData,
    id: &str,
) -> Result<Option<T>, ArmError> {
    arm(ctx, data).get_optional::<T>(id, API_VERSION).await
}

/// Deletes the object.
pub async fn delete(ctx: &Context, data: &HotpatchData, id: &str) -> Result<(), ArmError> {
    arm(ctx, data).delete(id, API_VERSION).await
}
