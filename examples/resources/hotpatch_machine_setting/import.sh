# Import by the Arc machine id or the Azure VM id.
terraform import hotpatch_machine_setting.web01 /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01
