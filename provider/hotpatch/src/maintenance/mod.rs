//! Update Manager schedules (Microsoft.Maintenance) and the assignments that attach machines
//! to them: `hotpatch_maintenance_schedule`, `hotpatch_schedule_assignment`,
//! `hotpatch_dynamic_scope`.

mod assignment;
mod dynamic_scope;
mod read_back;
mod rules;
mod schedule;
mod timezones;

pub use assignment::ScheduleAssignmentResource;
pub use dynamic_scope::DynamicScopeResource;
pub use schedule::MaintenanceScheduleResource;
