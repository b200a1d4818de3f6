# Fleet view: every Arc machine and Azure VM of the provider's subscription, counted per
# portal status, plus the names of the machines that are eligible but not enrolled yet.
data "hotpatch_machines" "fleet" {}

data "hotpatch_machines" "not_enrolled" {
  resource_group_name = "rg-hotpatch"
  resource_type       = "arc"
  status              = "Not enrolled"
}

output "fleet_counts" {
  value = data.hotpatch_machines.fleet.counts
}

output "ready_to_enroll" {
  value = [for m in data.hotpatch_machines.not_enrolled.machines : m.name if m.eligible]
}

# "12 of 40 Arc machines in rg-hotpatch are not enrolled yet."
output "not_enrolled_share" {
  value = "${data.hotpatch_machines.not_enrolled.counts["Not enrolled"]} of ${data.hotpatch_machines.not_enrolled.total_in_scope} Arc machines in rg-hotpatch are not enrolled yet."
}
