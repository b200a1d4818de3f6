# terraform query -generate-config-out=schedules.tf
list "hotpatch_maintenance_schedule" "rg" {
  provider = hotpatch
  config {
    resource_group_name = "rg-hotpatch"
  }
}
