# Update runs of the last week, newest first.
data "hotpatch_update_history" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
  days       = 7
}

output "last_run" {
  value = try(data.hotpatch_update_history.web01.runs[0], null)
}
