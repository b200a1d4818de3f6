# The portal's hotpatch status of one machine, and whether it can use hotpatch at all.
data "hotpatch_status" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
}

output "web01_status" {
  value = data.hotpatch_status.web01.status
}

output "web01_issues" {
  value = data.hotpatch_status.web01.eligibility_issues
}
