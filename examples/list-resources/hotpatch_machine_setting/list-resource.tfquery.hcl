# terraform query -generate-config-out=machine_settings.tf
list "hotpatch_machine_setting" "rg" {
  provider = hotpatch
  config {
    resource_group_name = "rg-hotpatch"
  }
}
