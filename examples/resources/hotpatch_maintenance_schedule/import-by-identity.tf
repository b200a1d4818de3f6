# Import by resource identity, as terraform query returns it.
import {
  to = hotpatch_maintenance_schedule.portal
  identity = {
    id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/made-in-the-portal"
  }
}

resource "hotpatch_maintenance_schedule" "portal" {
  name                = "made-in-the-portal"
  resource_group_name = "rg-hotpatch"
  location            = "eastus"
  start_date_time     = "2030-01-10 22:00"
  time_zone           = "UTC"
  recur_every         = "Month Second Tuesday Offset2"
}
