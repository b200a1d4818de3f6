//! Process signals.
//!
//! Ctrl-C in a terminal sends SIGINT to the whole process group, provider processes included.
//! Terraform handles the interrupt itself by calling `StopProvider` and letting operations wind
//! down, so a managed provider must survive SIGINT (go-plugin servers ignore it). tokio's default
//! is no handler at all, which would kill the provider mid-apply. Once tokio registers a handler it
//! stays installed for the life of the process, so swallowing SIGINT needs only one registration.
//!
//! A handler (rather than `SIG_IGN`) is used because an ignored disposition is inherited by child
//! processes across `exec`, while a caught one is reset to the default there.
//!
//! SIGTERM stops the server in every mode; in debug mode, where a human started the provider,
//! SIGINT ends the session too. Stopping first cancels in-flight work through the provider's
//! `StopProvider` and lets those calls answer (see [`crate::serve`]).

use crate::error::ServeError;

/// Registers a SIGINT handler that logs and otherwise ignores the signal, for the rest of the
/// process lifetime.
#[cfg(unix)]
pub fn ignore_sigint() -> Result<(), ServeError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupts = signal(SignalKind::interrupt())
        .map_err(ServeError::io("cannot install the SIGINT handler"))?;
    tokio::spawn(async move {
        while interrupts.recv().await.is_some() {
            tracing::debug!("ignoring SIGINT; Terraform stops providers through StopProvider");
        }
    });
    Ok(())
}

/// Registers a Ctrl-C handler that logs and otherwise ignores it.
#[cfg(not(unix))]
pub fn ignore_sigint() -> Result<(), ServeError> {
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("ignoring Ctrl-C; Terraform stops providers through StopProvider");
        }
    });
    Ok(())
}

/// Completes when the process is asked to stop: SIGTERM, and also SIGINT when `interrupt_stops`.
///
/// The handlers are registered before this returns the future, so a signal arriving between the
/// call and the first poll is not lost.
#[cfg(unix)]
pub fn stop_requested(
    interrupt_stops: bool,
) -> Result<impl std::future::Future<Output = &'static str> + Send, ServeError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())
        .map_err(ServeError::io("cannot install the SIGTERM handler"))?;
    let mut interrupt = if interrupt_stops {
        Some(
            signal(SignalKind::interrupt())
                .map_err(ServeError::io("cannot install the SIGINT handler"))?,
        )
    } else {
        None
    };
    Ok(async move {
        let interrupted = async {
            match interrupt.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            () = interrupted => "SIGINT",
        }
    })
}

/// Completes on Ctrl-C when `interrupt_stops`; otherwise never.
#[cfg(not(unix))]
pub fn stop_requested(
    interrupt_stops: bool,
) -> Result<impl std::future::Future<Output = &'static str> + Send, ServeError> {
    Ok(async move {
        if interrupt_stops && tokio::signal::ctrl_c().await.is_ok() {
            return "Ctrl-C";
        }
        std::future::pending::<&'static str>().await
    })
}
