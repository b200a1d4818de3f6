//! The error for creating what already exists in Azure.
//!
//! A resource that silently took over an existing object would later destroy something
//! Terraform never created (cancel a license bought elsewhere, delete a schedule made in the
//! portal). So a create that finds its object fails before writing anything, with the error
//! Terraform users know from azurerm and everything needed to import the object instead: the
//! `terraform import` command and `import {}` blocks by id and by identity. The provider cannot
//! know the resource's address in the configuration, so the examples spell it `<type>.NAME`.

use tfframework::Diagnostic;

/// "A resource with the ID ... already exists - ... needs to be imported", plus `why` (what was
/// found, in the resource's terms) and the import instructions. `identity` lists the identity
/// attributes as `(name, value)`; empty for a resource type without an identity.
pub(crate) fn already_exists(
    type_name: &str,
    id: &str,
    why: &str,
    identity: &[(&str, &str)],
) -> Diagnostic {
    let by_identity = if identity.is_empty() {
        String::new()
    } else {
        let lines: String = identity
            .iter()
            .map(|(k, v)| format!("      {k} = \"{v}\"\n"))
            .collect();
        format!("\n\nor by resource identity (Terraform 1.12 and later):\n\n  import {{\n    to = {type_name}.NAME\n    identity = {{\n{lines}    }}\n  }}")
    };
    Diagnostic::error(
        format!("{type_name} already exists"),
        format!(
            "A resource with the ID \"{id}\" already exists - to be managed via Terraform this resource needs to be imported into the State. Please see the resource documentation for \"{type_name}\" for more information.\n\n\
             {why} Nothing was written.\n\n\
             Import it (NAME is this resource's name in your configuration, e.g. web or this[\"key\"]):\n\n\
             \x20 terraform import '{type_name}.NAME' '{id}'\n\n\
             or with an import block (Terraform 1.5 and later):\n\n\
             \x20 import {{\n    to = {type_name}.NAME\n    id = \"{id}\"\n  }}{by_identity}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_object_and_shows_every_way_to_import_it() {
        let d = already_exists(
            "hotpatch_enrollment",
            "/m/licenseProfiles/default",
            "The Hotpatch feature of /m is already Enabled.",
            &[("machine_id", "/m")],
        );
        assert_eq!(d.summary, "hotpatch_enrollment already exists");
        let expected = "A resource with the ID \"/m/licenseProfiles/default\" already exists - to be managed via Terraform this resource needs to be imported into the State. Please see the resource documentation for \"hotpatch_enrollment\" for more information.

The Hotpatch feature of /m is already Enabled. Nothing was written.

Import it (NAME is this resource's name in your configuration, e.g. web or this[\"key\"]):

  terraform import 'hotpatch_enrollment.NAME' '/m/licenseProfiles/default'

or with an import block (Terraform 1.5 and later):

  import {
    to = hotpatch_enrollment.NAME
    id = \"/m/licenseProfiles/default\"
  }

or by resource identity (Terraform 1.12 and later):

  import {
    to = hotpatch_enrollment.NAME
    identity = {
      machine_id = \"/m\"
    }
  }";
        assert_eq!(d.detail, expected);
    }

    #[test]
    fn without_an_identity_only_the_id_ways_are_shown() {
        let d = already_exists("hotpatch_dynamic_scope", "/s/x", "It exists.", &[]);
        assert!(d
            .detail
            .ends_with("import {\n    to = hotpatch_dynamic_scope.NAME\n    id = \"/s/x\"\n  }"));
        assert!(!d.detail.contains("identity"));
    }
}
