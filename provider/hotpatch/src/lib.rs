//! Terraform provider for Windows Server hotpatching on Azure Arc machines and Azure VMs.
