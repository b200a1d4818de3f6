# Attach one Arc machine and one Azure VM to a schedule.
resource "hotpatch_schedule_assignment" "web01" {
  machine_id  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
  schedule_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-weekly"
}

resource "hotpatch_schedule_assignment" "vm01" {
  machine_id  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Compute/virtualMachines/vm-ws2025-azure-01"
  schedule_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-weekly"
  name        = "vm01-hotpatch"
}
