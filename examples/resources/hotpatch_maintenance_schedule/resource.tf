# Baseline-aware hotpatching: hotpatches need the current baseline, so pair a monthly
# hotpatch-only schedule with a quarterly baseline schedule that may reboot.

# Monthly, two days after Patch Tuesday: only updates that need no restart (hotpatches).
resource "hotpatch_maintenance_schedule" "hotpatch_monthly" {
  name                = "hotpatch-monthly"
  resource_group_name = "rg-hotpatch"
  location            = "eastus"
  start_date_time     = "2030-01-10 22:00"
  duration            = "02:00"
  time_zone           = "W. Europe Standard Time"
  recur_every         = "Month Second Tuesday Offset2"
  reboot_setting      = "Never"

  windows {
    classifications_to_include   = ["Critical", "Security"]
    kb_numbers_to_exclude        = ["5040427"]
    exclude_kbs_requiring_reboot = true
  }

  tags = {
    team = "platform"
  }
}

# Quarterly on Patch Tuesday (January, April, July, October from this start): the baseline
# cumulative update, which needs a reboot.
resource "hotpatch_maintenance_schedule" "baseline_quarterly" {
  name                = "baseline-quarterly"
  resource_group_name = "rg-hotpatch"
  location            = "eastus"
  start_date_time     = "2030-01-08 22:00"
  time_zone           = "W. Europe Standard Time"
  recur_every         = "3Months Second Tuesday"
  reboot_setting      = "IfRequired"

  windows {
    classifications_to_include = ["Critical", "Security", "UpdateRollup"]
  }
}
