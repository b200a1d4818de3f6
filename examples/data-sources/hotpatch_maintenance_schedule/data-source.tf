# A schedule made in the portal, read by name (or by id).
data "hotpatch_maintenance_schedule" "portal" {
  name                = "patch-tuesday"
  resource_group_name = "rg-hotpatch"
}

# Attach a machine to it without taking the schedule over.
resource "hotpatch_schedule_assignment" "web01" {
  machine_id  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
  schedule_id = data.hotpatch_maintenance_schedule.portal.id
}

output "portal_schedule" {
  value = "${data.hotpatch_maintenance_schedule.portal.recur_every} in ${data.hotpatch_maintenance_schedule.portal.time_zone}"
}
