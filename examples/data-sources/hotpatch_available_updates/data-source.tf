# The updates the latest assessment found on one Arc machine (an Azure VM id works the same way).
data "hotpatch_available_updates" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
}

output "hotpatches_available" {
  value = [for u in data.hotpatch_available_updates.web01.updates : u.kb_id if u.hotpatch]
}
