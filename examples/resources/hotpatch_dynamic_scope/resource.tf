# Every Windows Arc machine or VM tagged env=prod in the provider's subscription.
resource "hotpatch_dynamic_scope" "prod_windows" {
  name        = "prod-windows"
  schedule_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-weekly"

  filter {
    resource_types = ["Microsoft.HybridCompute/machines", "Microsoft.Compute/virtualMachines"]
    os_types       = ["Windows"]
    locations      = ["eastus"]
    tags = {
      env = ["prod"]
    }
    tag_operator = "Any"
  }
}
