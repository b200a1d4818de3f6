# Import by resource identity, as terraform query returns it.
import {
  to = hotpatch_schedule_assignment.imported
  identity = {
    id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01/providers/Microsoft.Maintenance/configurationAssignments/hotpatch-weekly"
  }
}

resource "hotpatch_schedule_assignment" "imported" {
  machine_id  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
  schedule_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-weekly"
}
