# Import by resource identity, as terraform query returns it.
import {
  to = hotpatch_machine_setting.web02
  identity = {
    machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-std-01"
  }
}

resource "hotpatch_machine_setting" "web02" {
  machine_id          = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-std-01"
  hotpatching_enabled = false
}
