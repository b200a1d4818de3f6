//! Update Manager schedules (Microsoft.Maintenance) and the assignments that attach machines
//! to them: `hotpatch_maintenance_schedule`, `hotpatch_schedule_assignment`,
//! `hotpatch_dynamic_scope`.
//!
//! One file per resource (`*_resource.rs`: its model and hooks); what they share lives in files
//! named for it: `ids` (ARM ids and their validators), `request_bodies` (what each write
//! sends), `read_back` (ARM's answers as state, keeping the user's spelling), `arm_calls` (the
//! calls, bound to the operation's context), `rules` and `timezones` (plan-time checks).

mod arm_calls;
mod assignment_resource;
mod dynamic_scope_resource;
mod ids;
mod read_back;
mod request_bodies;
mod rules;
mod schedule_resource;
mod timezones;

pub use assignment_resource::ScheduleAssignmentResource;
pub use dynamic_scope_resource::DynamicScopeResource;
pub use schedule_resource::MaintenanceScheduleResource;
