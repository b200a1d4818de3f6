# terraform query -generate-config-out=assignments.tf
# The machines attached to one schedule...
list "hotpatch_schedule_assignment" "patch_tuesday" {
  provider = hotpatch
  config {
    schedule_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/patch-tuesday"
  }
}

# ...or the schedules one machine is attached to.
list "hotpatch_schedule_assignment" "web01" {
  provider = hotpatch
  config {
    machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
  }
}
