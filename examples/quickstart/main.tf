# Quickstart: enable hotpatching on a few Arc-enabled Windows Server 2025 machines the way the
# portal's "Enable Hotpatching" does (the hotpatch license, then the machine's hotpatch switch),
# and show what the Azure portal shows for every Arc machine of the resource group: `Enabled`
# for these, and for the others their status and what stands in the way of hotpatch.
# `make demo` applies this against the bundled ARM emulator; against Azure, set
# ARM_SUBSCRIPTION_ID and credentials and change the names.

terraform {
  required_providers {
    hotpatch = {
      source = "seedlabs/hotpatch"
    }
  }
}

provider "hotpatch" {}

variable "subscription_id" {
  type    = string
  default = "00000000-0000-0000-0000-000000000001"
}

variable "resource_group" {
  type    = string
  default = "rg-hotpatch"
}

variable "machines" {
  description = "Names of the Arc machines to enable hotpatching on."
  type        = set(string)
  default     = ["arc-ws2025-dc-01", "arc-ws2025-std-01", "arc-ws2025-esu-01"]
}

locals {
  arc_machines = "/subscriptions/${var.subscription_id}/resourceGroups/${var.resource_group}/providers/Microsoft.HybridCompute/machines"
}

# 1. The hotpatch license: only the Hotpatch feature of each license profile is written (ESU and
#    Software Assurance, as on arc-ws2025-esu-01, are left exactly as they are).
resource "hotpatch_enrollment" "this" {
  for_each   = var.machines
  machine_id = "${local.arc_machines}/${each.key}"
}

# 2. The hotpatch switch. Referring to the enrollment makes Terraform enroll first: the service
#    turns hotpatching on only on a licensed machine.
resource "hotpatch_machine_setting" "this" {
  for_each            = var.machines
  machine_id          = hotpatch_enrollment.this[each.key].machine_id
  hotpatching_enabled = true
}

# 3. What the portal shows once both are in place: read after the switches.
data "hotpatch_status" "enabled" {
  for_each   = var.machines
  machine_id = hotpatch_machine_setting.this[each.key].id
  depends_on = [hotpatch_machine_setting.this]
}

# The other Arc machines of the resource group, with why hotpatch is not on.
data "hotpatch_machines" "arc" {
  subscription_id     = var.subscription_id
  resource_group_name = var.resource_group
  resource_type       = "arc"
}

data "hotpatch_status" "others" {
  for_each   = { for m in data.hotpatch_machines.arc.machines : m.name => m.id if !contains(var.machines, m.name) }
  machine_id = each.value
}

output "hotpatch_status" {
  description = "Portal status per Arc machine of the resource group, its license state and what stands in the way of hotpatch."
  value = {
    for name, s in merge(data.hotpatch_status.enabled, data.hotpatch_status.others) : name => {
      status  = s.status
      license = s.subscription_status
      issues  = s.eligibility_issues
    }
  }
}

# Fleet view after enabling: every Arc machine and Azure VM of the subscription, counted per
# portal status (read with paged list calls, not one read per machine).
data "hotpatch_machines" "fleet" {
  depends_on = [hotpatch_machine_setting.this]
}

output "fleet_status" {
  description = "Number of machines per portal status in the subscription."
  value       = data.hotpatch_machines.fleet.counts
}
