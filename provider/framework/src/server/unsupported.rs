//! Answers for protocol features this framework does not offer: ephemeral resources,
//! provider functions, state stores and MoveResourceState.
//!
//! Terraform treats a gRPC `Unimplemented` status as "not supported" where it probes for a
//! feature; where a call can only come from configuration (an ephemeral block, a function
//! call) a diagnostic explains the problem to the user instead.

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::Diagnostics;
use tonic::Status;

pub(super) fn unimplemented(rpc: &str) -> Status {
    Status::unimplemented(format!("{rpc} is not supported by this provider"))
}

pub(super) fn no_ephemeral(type_name: &str) -> Vec<pb::Diagnostic> {
    let mut d = Diagnostics::new();
    d.error(
        "Unknown ephemeral resource type",
        format!("This provider has no ephemeral resource types; {type_name:?} does not exist."),
    );
    d.to_proto()
}

pub(super) fn call_function(name: &str) -> pb::call_function::Response {
    pb::call_function::Response {
        result: None,
        error: Some(pb::FunctionError {
            text: format!("This provider has no functions; {name:?} does not exist."),
            function_argument: None,
        }),
    }
}
