//! Update Manager schedules (Microsoft.Maintenance) and the assignments that attach machines
//! to them: `hotpatch_maintenance_schedule`, `hotpatch_schedule_assignment`,
//! `hotpatch_dynamic_scope`.

use tfframework::{AttributeSchema, Diagnostic, ObjectReader, Type};

mod assignment;
mod dynamic_scope;
mod read_back;
mod rules;
mod schedule;
mod timezones;

pub use assignment::ScheduleAssignmentResource;
pub use dynamic_scope::DynamicScopeResource;
pub use schedule::MaintenanceScheduleResource;

/// An optional list-of-strings argument (KB ids, classifications, filter values).
fn string_list(name: &str, description: &str) -> AttributeSchema {
    AttributeSchema::list(name, Type::String)
        .optional()
        .description(description)
}

/// A list-of-strings attribute of a planned object; null reads as empty, as ARM treats it.
fn strings(r: &ObjectReader<'_>, name: &str) -> Result<Vec<String>, Diagnostic> {
    Ok(r.get::<Option<Vec<String>>>(name)?.unwrap_or_default())
}
