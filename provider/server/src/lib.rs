//! go-plugin serving for a Terraform provider: handshake, AutoMTLS, controller, debug mode.
