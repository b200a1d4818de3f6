terraform {
  required_providers {
    hotpatch = {
      source = "seedlabs/hotpatch"
    }
  }
}

# Credentials come from the provider block or the ARM_* environment variables, like azurerm.
provider "hotpatch" {
  subscription_id = "00000000-0000-0000-0000-000000000001"
  tenant_id       = "00000000-0000-0000-0000-0000000000aa"
  client_id       = "00000000-0000-0000-0000-0000000000c1"
  # client_secret = set ARM_CLIENT_SECRET rather than writing it here
}
