# terraform query -generate-config-out=enrollments.tf
list "hotpatch_enrollment" "rg" {
  provider = hotpatch
  config {
    resource_group_name = "rg-hotpatch"
  }
}
