//! Typed resources, data sources, actions and list resources over the Terraform plugin protocol.
