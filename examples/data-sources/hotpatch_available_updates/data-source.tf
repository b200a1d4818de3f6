# The updates the latest assessment found on one Arc machine (an Azure VM id works the same way).
data "hotpatch_available_updates" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
}

output "hotpatches_available" {
  value = [for u in data.hotpatch_available_updates.web01.updates : u.kb_id if u.hotpatch]
}

# Every assessed machine of a resource group, read with one paged Resource Graph query.
data "hotpatch_available_updates" "rg" {
  scope = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch"
}

# Machines that wait for an update needing a restart (a baseline cumulative update, say).
output "machines_needing_a_reboot_window" {
  value = [
    for m in data.hotpatch_available_updates.rg.machines : m.machine_id
    if anytrue([for u in m.updates : u.reboot_required])
  ]
}
