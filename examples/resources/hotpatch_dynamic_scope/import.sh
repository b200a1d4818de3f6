# Import by /subscriptions/<id>/providers/Microsoft.Maintenance/configurationAssignments/<name>.
terraform import hotpatch_dynamic_scope.prod_windows /subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Maintenance/configurationAssignments/prod-windows
