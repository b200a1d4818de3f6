# terraform apply -invoke=action.hotpatch_install.hotpatches_only
action "hotpatch_install" "hotpatches_only" {
  config {
    machine_id                   = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01"
    maximum_duration             = "PT1H"
    reboot_setting               = "Never"
    classifications_to_include   = ["Critical", "Security"]
    exclude_kbs_requiring_reboot = true
    max_patch_publish_date       = "2025-06-30T00:00:00Z"
  }
}
