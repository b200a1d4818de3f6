# Import by <machine id>/providers/Microsoft.Maintenance/configurationAssignments/<name>.
terraform import hotpatch_schedule_assignment.web01 /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01/providers/Microsoft.Maintenance/configurationAssignments/hotpatch-weekly
