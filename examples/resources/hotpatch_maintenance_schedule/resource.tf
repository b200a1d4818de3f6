# Hotpatch only, no reboot: every week, install only updates that need no restart.
resource "hotpatch_maintenance_schedule" "hotpatch_only" {
  name                = "hotpatch-weekly"
  resource_group_name = "rg-hotpatch"
  location            = "eastus"
  start_date_time     = "2030-01-05 22:00"
  duration            = "02:00"
  time_zone           = "Pacific Standard Time"
  recur_every         = "Week Saturday"
  reboot_setting      = "Never"

  windows {
    classifications_to_include   = ["Critical", "Security"]
    exclude_kbs_requiring_reboot = true
  }
}

# Monthly, two days after Patch Tuesday, with KB include/exclude lists.
resource "hotpatch_maintenance_schedule" "patch_tuesday" {
  name                = "patch-tuesday-plus-2"
  resource_group_name = "rg-hotpatch"
  location            = "eastus"
  start_date_time     = "2030-01-10 01:00"
  time_zone           = "W. Europe Standard Time"
  recur_every         = "Month Second Tuesday Offset2"
  reboot_setting      = "IfRequired"

  windows {
    classifications_to_include = ["Critical", "Security", "UpdateRollup"]
    kb_numbers_to_include      = ["KB5041585"]
    kb_numbers_to_exclude      = ["5040427"]
  }

  tags = {
    team = "platform"
  }
}
