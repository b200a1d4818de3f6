# Enable Hotpatching on one Arc-enabled Windows Server 2025 machine, as the portal's
# "Enable Hotpatching" does: the hotpatch license, then the machine's hotpatch switch (which
# refers to the enrollment, so Terraform applies the two in that order).
resource "hotpatch_enrollment" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
}

resource "hotpatch_machine_setting" "web01" {
  machine_id          = hotpatch_enrollment.web01.machine_id
  hotpatching_enabled = true
}

# The portal's word once both are in place (`Enabled`), read at the end of the apply.
output "web01_hotpatch_status" {
  value = hotpatch_machine_setting.web01.status
}
