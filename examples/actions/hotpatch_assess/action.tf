# terraform apply -invoke=action.hotpatch_assess.web01
action "hotpatch_assess" "web01" {
  config {
    machine_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
  }
}
