# Update runs of the last week, newest first.
data "hotpatch_update_history" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
  days       = 7
}

output "last_run" {
  value = try(data.hotpatch_update_history.web01.runs[0], null)
}

# A list of machines (Arc machines and VMs alike), read with one paged Resource Graph query.
data "hotpatch_update_history" "canaries" {
  machine_ids = [
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01",
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Compute/virtualMachines/vm-ws2025-azure-01",
  ]
  days = 7
}

output "failed_runs" {
  value = [for r in data.hotpatch_update_history.canaries.runs : "${r.machine_id}: ${r.error_message}" if r.status == "Failed"]
}
