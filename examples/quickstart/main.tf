# Quickstart: enroll a few Arc-enabled Windows Server 2025 machines in hotpatch and show the
# status the Azure portal would show. `make demo` applies this against the bundled ARM
# emulator; against Azure, set ARM_SUBSCRIPTION_ID and credentials and change the ids.

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
  description = "Names of the Arc machines to enroll."
  type        = set(string)
  default     = ["arc-ws2025-dc-01", "arc-ws2025-std-01", "arc-ws2025-esu-01"]
}

resource "hotpatch_enrollment" "this" {
  for_each   = var.machines
  machine_id = "/subscriptions/${var.subscription_id}/resourceGroups/${var.resource_group}/providers/Microsoft.HybridCompute/machines/${each.key}"
}

output "hotpatch_status" {
  description = "Portal status and license state per machine."
  value = {
    for name, e in hotpatch_enrollment.this : name => {
      status              = e.status
      subscription_status = e.subscription_status
      enrollment_date     = e.enrollment_date
    }
  }
}

# Fleet view after enrollment: every Arc machine and Azure VM of the subscription, counted per
# portal status (read with paged list calls, not one read per machine).
data "hotpatch_machines" "fleet" {
  depends_on = [hotpatch_enrollment.this]
}

output "fleet_status" {
  description = "Number of machines per portal status in the subscription."
  value       = data.hotpatch_machines.fleet.counts
}
