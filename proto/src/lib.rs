//! Terraform plugin protocol 6.10 and go-plugin gRPC definitions, compiled without a system protoc.
//!
//! The `.proto` sources next to this crate are compiled by `build.rs` with `protox` and
//! `tonic-prost-build`, so building needs nothing but cargo. Every other crate of the
//! provider talks to Terraform through the types generated here:
//!
//! * [`tfplugin6`]: the `tfplugin6.Provider` service (36 RPCs, as spoken by Terraform
//!   1.15.5) with its messages, server trait (`provider_server::Provider`) and client.
//! * [`plugin`]: go-plugin's `GRPCController`, `GRPCStdio` and `GRPCBroker` services.
//! * [`FILE_DESCRIPTOR_SET`]: the encoded descriptors of both files (plus the
//!   well-known types they import), kept so tests can check the protocol definition
//!   against the descriptor compiled into Terraform itself.

/// Messages and services of Terraform's plugin protocol version 6.
#[allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    rustdoc::all,
    unreachable_pub
)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's auxiliary services that run alongside the provider service.
#[allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    rustdoc::all,
    unreachable_pub
)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// Encoded `google.protobuf.FileDescriptorSet` of `tfplugin6.proto` and `plugin.proto`
/// (with their imports), exactly as compiled by the build script.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tfplugin_descriptor_set.bin"));

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::FileDescriptorSet;

    fn descriptor_set() -> FileDescriptorSet {
        FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).expect("descriptor set decodes")
    }

    /// Terraform 1.15.5 knows exactly 36 `tfplugin6.Provider` methods; more or fewer
    /// means the proto no longer describes the protocol we target.
    #[test]
    fn provider_service_has_36_methods() {
        let set = descriptor_set();
        let file = set
            .file
            .iter()
            .find(|f| f.name() == "tfplugin6.proto")
            .expect("tfplugin6.proto in descriptor set");
        assert_eq!(file.service.len(), 1, "tfplugin6 declares one service");
        let service = &file.service[0];
        assert_eq!(service.name(), "Provider");
        assert_eq!(service.method.len(), 36);
    }

    /// The generated server and client names other crates depend on exist.
    #[test]
    fn generated_names_are_the_expected_ones() {
        fn _server<T: super::tfplugin6::provider_server::Provider>(p: T) {
            let _ = super::tfplugin6::provider_server::ProviderServer::new(p);
        }
        fn _controller<T: super::plugin::grpc_controller_server::GrpcController>(c: T) {
            let _ = super::plugin::grpc_controller_server::GrpcControllerServer::new(c);
        }
        let _ = super::tfplugin6::provider_client::ProviderClient::<tonic::transport::Channel>::new;
        let value = super::tfplugin6::DynamicValue {
            msgpack: vec![0xc0],
            json: Vec::new(),
        };
        assert_eq!(value.msgpack, [0xc0]);
        let _ = super::tfplugin6::get_provider_schema::Response::default();
        let _ = super::plugin::StdioData::default();
    }
}
