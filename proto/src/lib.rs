//! Terraform plugin protocol 6.10 and go-plugin gRPC definitions, compiled without a system protoc.
