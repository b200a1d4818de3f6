//! Update Manager schedules (Microsoft.Maintenance) and the assignments that attach machines
//! to them: `hotpatch_maintenance_schedule`, `hotpatch_schedule_assignment`,
//! `hotpatch_dynamic_scope`.
//!
//! One file per resource (`*_resource.rs`: its model and hooks); what they share lives in files
//! named for it: `ids` (ARM ids and their validators), `request_bodies` (what each write
//! sends), `read_back` (ARM's answers as state, keeping the user's spelling), `arm_calls` (the
//! calls, bound to the operation's context, and what a write that may have landed leaves in
//! state), `rules`, `timezones` (with the CLDR data in `windows_zones`) and `vm_schedule_rule`
//! (plan-time checks).

mod arm_calls;
mod assignment_list;
mod assignment_resource;
mod dynamic_scope_resource;
mod ids;
mod read_back;
mod request_bodies;
mod rules;
mod schedule_data_source;
mod schedule_list;
mod schedule_resource;
mod timezones;
mod vm_schedule_rule;
mod windows_zones;

pub use assignment_list::AssignmentList;
pub use assignment_resource::ScheduleAssignmentResource;
pub use dynamic_scope_resource::DynamicScopeResource;
pub use schedule_data_source::MaintenanceScheduleDataSource;
pub use schedule_list::ScheduleList;
pub use schedule_resource::MaintenanceScheduleResource;
