# Import by the maintenance configuration id.
terraform import hotpatch_maintenance_schedule.hotpatch_monthly /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-monthly
