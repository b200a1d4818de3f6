import {
  to = hotpatch_enrollment.web01
  id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01/licenseProfiles/default"
}
