# Enroll one Arc-enabled Windows Server 2025 machine in the hotpatch license.
resource "hotpatch_enrollment" "web01" {
  machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
}

output "web01_hotpatch_status" {
  value = hotpatch_enrollment.web01.status
}
