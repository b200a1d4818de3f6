//! The error for creating an object that already exists in Azure, worded as azurerm words it
//! (the text Terraform users search for), with the exact import to run instead.
//!
//! Why creates never adopt: a create that overwrote an existing object would silently take
//! over something made in the portal or by another configuration, and its destroy would then
//! delete what Terraform never made. Importing is the explicit way to take it over.

use tfframework::Diagnostic;

/// `type_name` (e.g. `hotpatch_maintenance_schedule`) exists at `id`. Terraform does not tell
/// a provider the resource's address, so the import shows `NAME` for the user to replace.
pub fn already_exists(type_name: &str, id: &str) -> Diagnostic {
    Diagnostic::error(
        "Resource already exists",
        format!(
            "A resource with the ID \"{id}\" already exists - to be managed via Terraform this resource needs to be imported into the State. Please see the resource documentation for \"{type_name}\" for more information.\n\nNothing was written. Import it with (NAME is this resource's name in your configuration):\n\n  terraform import '{type_name}.NAME' '{id}'\n\nor add this block to your configuration and run terraform apply:\n\n  import {{\n    to = {type_name}.NAME\n    id = \"{id}\"\n  }}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_id_and_both_ways_to_import() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/p";
        let d = already_exists("hotpatch_maintenance_schedule", id);
        assert!(d.detail.contains(&format!("A resource with the ID \"{id}\" already exists - to be managed via Terraform this resource needs to be imported into the State.")));
        assert!(d.detail.contains(&format!(
            "terraform import 'hotpatch_maintenance_schedule.NAME' '{id}'"
        )));
        assert!(d.detail.contains(&format!(
            "import {{\n    to = hotpatch_maintenance_schedule.NAME\n    id = \"{id}\"\n  }}"
        )));
    }
}
