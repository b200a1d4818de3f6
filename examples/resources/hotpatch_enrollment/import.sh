# Import by machine id or by license-profile id.
terraform import hotpatch_enrollment.web01 /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hotpatch/providers/Microsoft.HybridCompute/machines/arc-ws2025-dc-01
