# Enable Hotpatching on an Arc-enabled Windows Server 2025 machine, as the portal's button does:
# the hotpatch license, then the switch. The setting refers to the enrollment, which also orders
# the two (the service evaluates the switch as Enabled only on a licensed machine).
resource "hotpatch_enrollment" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
}

resource "hotpatch_machine_setting" "web01" {
  machine_id          = hotpatch_enrollment.web01.machine_id
  hotpatching_enabled = true
  assessment_mode     = "AutomaticByPlatform"
}

# Azure VMs on a Windows Server Datacenter: Azure Edition image need no license, but hotpatch
# needs platform-orchestrated patching.
resource "hotpatch_machine_setting" "vm01" {
  machine_id          = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Compute/virtualMachines/vm-ws2025-azure-01"
  hotpatching_enabled = true
  patch_mode          = "AutomaticByPlatform"
}
