# Every Windows Arc machine tagged env=prod in the provider's subscription. Azure VMs with
# hotpatch on are left out: the platform patches them (see "Azure VMs with hotpatch" below).
resource "hotpatch_dynamic_scope" "prod_windows" {
  name        = "prod-windows"
  schedule_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-weekly"

  filter {
    resource_types = ["Microsoft.HybridCompute/machines"]
    os_types       = ["Windows"]
    locations      = ["eastus"]
    tags = {
      env = ["prod"]
    }
    tag_operator = "Any"
  }
}

# Every Arc machine of one resource group.
resource "hotpatch_dynamic_scope" "rg_hotpatch" {
  name        = "rg-hotpatch-arc"
  schedule_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-weekly"
  scope       = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch"

  filter {
    resource_types = ["Microsoft.HybridCompute/machines"]
  }
}
