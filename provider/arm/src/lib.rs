//! Azure Resource Manager client: credentials, retries, LROs, paging, typed models.
//!
//! This crate knows nothing of Terraform. It turns an [`ArmConfig`] (cloud, endpoint overrides,
//! extra CA roots, credential choice) into an [`ArmClient`] that speaks ARM the way the
//! contract describes: bearer tokens from `azure_identity`, retries with backoff that honour
//! `Retry-After`, pacing that eases off before the subscription's throttling budget runs out
//! ([`pacing`]), long-running operations, `nextLink` paging, typed errors, and prompt
//! cancellation through a `CancellationToken` (the provider's StopProvider signal).

pub mod client;
pub mod credentials;
pub mod environment;
pub mod error;
pub mod headers;
pub mod lro;
pub mod models;
pub mod pacing;
pub mod paging;
pub mod resource_id;
pub mod resourcegraph;
pub mod retry;
pub mod urls;

pub use client::{
    user_agent, ArmClient, ArmConfig, ArmRequest, ArmResponse, Method, WriteObserver,
};
pub use credentials::{Credentials, OidcToken, Secret};
pub use environment::{parse_endpoint, CloudEnvironment, Endpoints};
pub use error::{ArmError, OperationError, ServiceError, Unfinished, UnfinishedOperation};
pub use headers::RateLimitRemaining;
pub use lro::{
    FinalState, LroOptions, LroProgress, OperationStatus, PollPolicy, ProgressFn, StatusKind,
};
pub use models::common::ErrorDetail;
pub use pacing::PacingPolicy;
pub use paging::Page;
pub use resource_id::{ResourceId, ResourceIdError};
pub use retry::RetryPolicy;
pub use tokio_util::sync::CancellationToken;
