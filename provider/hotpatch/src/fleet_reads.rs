//! Fleet-scale reads: the machine reads of one provider process, coalesced into list pages.
//!
//! Terraform starts one provider process per command walk and sends it one read per resource
//! (refresh) and, for new or changed resources, one plan-time read each. On a fleet that is one
//! GET per machine and resource: 2,000 reads for 1,000 machines with an enrollment and a
//! setting each, which drains the subscription's read bucket (250, refilling 25/s) for every
//! other client of it. A list page of Arc machines carries, for 50 machines at a time, the very
//! body a GET returns, license instance view and patch settings included (CONTRACT 2.1, 2.3.4),
//! and a list of VMs with `$expand=instanceView` likewise. So reads of machines in the same
//! resource group are served by one paged list, shared by every resource of the walk.
//!
//! Why lists and not one Resource Graph query: Resource Graph is fed from ARM asynchronously
//! (its rows lag writes by seconds to minutes), so it could neither show this process's own
//! writes nor promise that drift made a minute ago appears in the plan; its answers are also
//! projections whose license instance view is not part of the contract. An ARM list is ARM's
//! own answer, the same body as a GET, charged to the same read bucket at one read per page.
//!
//! The rules (numbers in [`FleetPolicy`]; the reasoning is in docs/benchmarks.md, "Scale"):
//!
//! * **Scope.** Machines are grouped by kind (Arc, VM), subscription and resource group; one
//!   list per group. A resource group is the narrowest list ARM offers.
//! * **When to list.** A read asks for its machine and waits a short collection window (25 ms)
//!   for the reads Terraform sends alongside it. Once 3 distinct machines of a group have been
//!   asked for, the group is listed; below that each machine is read with its own GET, so a lone
//!   machine costs one read however large its resource group is.
//! * **Never more pages than machines.** The list reads page k+1 only while fewer than k+1 pages
//!   have been read than distinct machines of the group asked for; otherwise it pauses and the
//!   readers still waiting use GETs, and it resumes when more machines are asked for. So a list
//!   never costs more reads than the GETs it replaces: three machines in a resource group of
//!   1,000 cost at most three pages before their GETs, never twenty.
//! * **Individual GETs** answer whatever a list cannot: a machine missing from the finished list
//!   (a GET confirms it is gone, or shows it was created meanwhile), a row whose state is still
//!   moving (license `Enabling`/`Disabling`, `PendingEvaluation`, a VM not yet provisioned), a
//!   machine this process wrote to after the page was requested, and every machine of a group
//!   whose list failed (the failure is logged, never reported: the optimisation cannot fail a
//!   plan).
//! * **Freshness.** A row (from a page or a GET) serves reads for 60 s after its request was
//!   sent, so every read of a walk sees the fleet as it was during that walk, and drift made
//!   before the command shows in its plan. Writes are seen through [`WriteObserver`]: a row
//!   requested before this process's last write to that machine ended, or while one is in
//!   flight, is never served.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use armclient::models::compute::{self, VirtualMachine};
use armclient::models::hybridcompute::{self, Machine, HOTPATCH_FEATURE};
use armclient::{ArmClient, ArmError, ResourceId, WriteObserver};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use tokio::sync::watch;

use crate::machine_facts::MachineFacts;
use crate::machine_id::MachineKind;
use crate::provider_data::HotpatchData;

/// When a group of machines is listed, and for how long its rows are used.
#[derive(Clone, Debug)]
pub struct FleetPolicy {
    /// Distinct machines of one group asked for before the group is listed.
    pub list_after: usize,
    /// How long a read waits for the reads sent alongside it before choosing list or GET.
    pub window: Duration,
    /// How long a row serves reads after its request was sent.
    pub max_age: Duration,
}

impl Default for FleetPolicy {
    fn default() -> Self {
        FleetPolicy {
            list_after: 3,
            window: Duration::from_millis(25),
            max_age: Duration::from_secs(60),
        }
    }
}

/// A machine as ARM returns it, from a GET or a list page.
#[derive(Clone, Debug, PartialEq)]
pub enum MachineBody {
    Arc(Box<Machine>),
    Vm(Box<VirtualMachine>),
}

impl MachineBody {
    pub fn facts(&self) -> MachineFacts {
        match self {
            MachineBody::Arc(m) => MachineFacts::from_arc(m),
            MachineBody::Vm(vm) => MachineFacts::from_vm(vm),
        }
    }

    /// The machine's name, lower-cased (its id's last segment, else its `name`).
    fn key(&self) -> Option<String> {
        let (id, name) = match self {
            MachineBody::Arc(m) => (&m.id, &m.name),
            MachineBody::Vm(vm) => (&vm.id, &vm.name),
        };
        let from_id = id
            .as_deref()
            .and_then(|i| i.trim_end_matches('/').rsplit('/').next());
        from_id
            .or(name.as_deref())
            .filter(|n| !n.is_empty())
            .map(str::to_ascii_lowercase)
    }

    /// Whether the service is still changing what this body shows, so that a row read a moment
    /// ago may already be wrong: such a machine is read with its own GET.
    fn settling(&self) -> bool {
        match self {
            MachineBody::Arc(m) => {
                let p = m.properties.as_ref();
                let provisioning = p
                    .and_then(|p| p.provisioning_state.as_ref())
                    .is_some_and(|s| !s.is_terminal());
                let license = p
                    .and_then(|p| p.license_profile.as_ref())
                    .and_then(|l| l.product_profile.as_ref())
                    .and_then(|pp| pp.feature(HOTPATCH_FEATURE))
                    .and_then(|f| f.subscription_status.as_ref())
                    .is_some_and(|s| s.is_transitional());
                let evaluation = m
                    .windows_patch_settings()
                    .and_then(|s| s.status.as_ref())
                    .and_then(|s| s.hotpatch_enablement_status.as_ref())
                    .is_some_and(|s| {
                        *s == hybridcompute::HotpatchEnablementStatus::PendingEvaluation
                    });
                provisioning || license || evaluation
            }
            MachineBody::Vm(vm) => vm
                .properties
                .as_ref()
                .and_then(|p| p.provisioning_state.as_ref())
                .is_some_and(|s| !s.is_terminal()),
        }
    }
}

/// Reads one machine with one GET (`None` when it does not exist). VMs are read with their
/// instance view, which carries the OS name and version.
pub async fn fetch(
    arm: &ArmClient,
    id: &str,
    kind: MachineKind,
) -> Result<Option<MachineBody>, ArmError> {
    Ok(match kind {
        MachineKind::Arc => arm
            .get_optional::<Machine>(id, hybridcompute::API_VERSION)
            .await?
            .map(|m| MachineBody::Arc(Box::new(m))),
        MachineKind::Vm => arm
            .get_optional::<VirtualMachine>(
                &format!("{id}?$expand=instanceView"),
                compute::API_VERSION,
            )
            .await?
            .map(|vm| MachineBody::Vm(Box::new(vm))),
    })
}

/// A group of machines one list returns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Group {
    kind: &'static str,
    subscription: String,
    resource_group: String,
}

/// One machine: its group and its lower-cased name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Target {
    group: Group,
    name: String,
}

impl Target {
    /// The machine a resource id names; None for anything else.
    fn of_id(id: &str, kind: MachineKind) -> Option<(Target, String)> {
        let rid = ResourceId::parse(id).ok()?;
        let subscription = rid.subscription_id()?;
        let resource_group = rid.resource_group()?;
        let name = rid.name()?;
        let list = match kind {
            MachineKind::Arc => format!("/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.HybridCompute/machines"),
            MachineKind::Vm => format!("/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Compute/virtualMachines?$expand=instanceView"),
        };
        let target = Target {
            group: Group {
                kind: kind.as_str(),
                subscription: subscription.to_ascii_lowercase(),
                resource_group: resource_group.to_ascii_lowercase(),
            },
            name: name.to_ascii_lowercase(),
        };
        Some((target, list))
    }

    /// The machine a write's path changes: the machine itself or anything below it (its
    /// license profile, an operation on it).
    fn of_write(path: &str) -> Option<Target> {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .take(8)
            .map(str::to_ascii_lowercase)
            .collect();
        let [subscriptions, subscription, groups, resource_group, providers, namespace, kind, name] =
            segments.as_slice()
        else {
            return None;
        };
        if subscriptions != "subscriptions"
            || groups != "resourcegroups"
            || providers != "providers"
        {
            return None;
        }
        let kind = match (namespace.as_str(), kind.as_str()) {
            ("microsoft.hybridcompute", "machines") => MachineKind::Arc,
            ("microsoft.compute", "virtualmachines") => MachineKind::Vm,
            _ => return None,
        };
        Some(Target {
            group: Group {
                kind: kind.as_str(),
                subscription: subscription.clone(),
                resource_group: resource_group.clone(),
            },
            name: name.clone(),
        })
    }
}

/// A machine body and when the request that returned it was sent.
#[derive(Clone, Debug)]
struct Row {
    body: MachineBody,
    /// The process clock ([`State::clock`]) just before the request was sent.
    asked_at: u64,
    at: Instant,
}

/// Where the list of a group stands.
enum List {
    /// Not listed in this epoch.
    Idle,
    /// A task is reading pages.
    Running,
    /// Stopped after as many pages as machines asked for; the rest of the pages wait here.
    Paused(BoxStream<'static, Result<Vec<MachineBody>, ArmError>>),
    /// Every page was read.
    Complete,
    /// The list failed; machines of this group are read with GETs until the epoch ends.
    Failed,
}

/// Everything known about one group.
struct GroupState {
    /// Distinct machines of the group asked for by this process.
    asked: HashSet<String>,
    rows: HashMap<String, Row>,
    list: List,
    /// When the current list epoch began (its rows and its verdicts last `max_age`).
    listed_at: Option<Instant>,
    pages: u32,
    /// Bumped whenever the list makes progress or ends.
    progress: watch::Sender<()>,
}

impl Default for GroupState {
    fn default() -> Self {
        GroupState {
            asked: HashSet::new(),
            rows: HashMap::new(),
            list: List::Idle,
            listed_at: None,
            pages: 0,
            progress: watch::channel(()).0,
        }
    }
}

/// This process's writes to one machine.
#[derive(Clone, Copy, Debug, Default)]
struct Writes {
    in_flight: u32,
    /// The process clock when the last write ended.
    ended: u64,
}

#[derive(Default)]
struct State {
    /// A counter ordering requests and writes (rows older than a machine's last write are
    /// not served).
    clock: u64,
    groups: HashMap<Group, GroupState>,
    writes: HashMap<Target, Writes>,
}

impl State {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

/// What a read does next.
enum Step {
    Serve(MachineBody),
    Wait(watch::Receiver<()>),
    Window,
    Get,
}

/// The machine reads of this process (see the module documentation).
pub struct FleetReads {
    /// The provider's client: lists outlive the read that started them, so they stop only
    /// when the provider does.
    arm: ArmClient,
    policy: FleetPolicy,
    state: Mutex<State>,
}

impl FleetReads {
    /// Reads through `arm` and watches its writes.
    pub fn new(arm: &ArmClient, policy: FleetPolicy) -> Arc<Self> {
        let fleet = Arc::new(FleetReads {
            arm: arm.clone(),
            policy,
            state: Mutex::new(State::default()),
        });
        arm.observe_writes(Arc::new(WatchWrites(Arc::downgrade(&fleet))));
        fleet
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing here is left half-updated by a panic that would matter: rows are replaced
        // whole and a stuck list ends its epoch after `max_age`.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Machine `id` of `kind`, from a list page shared with the other reads of this process
    /// when possible, else with one GET; `None` when it does not exist. `arm` carries the
    /// caller's cancellation.
    pub async fn read(
        self: &Arc<Self>,
        arm: &ArmClient,
        id: &str,
        kind: MachineKind,
    ) -> Result<Option<MachineBody>, ArmError> {
        let Some((target, list_path)) = Target::of_id(id, kind) else {
            return fetch(arm, id, kind).await;
        };
        let mut windowed = false;
        // Readers wait for a list at most `max_age`, then read their machine themselves.
        let give_up = tokio::time::Instant::now() + self.policy.max_age;
        loop {
            match self.next_step(&target, &list_path, windowed) {
                Step::Serve(body) => return Ok(Some(body)),
                Step::Get => return self.get(arm, &target, id, kind).await,
                Step::Window => {
                    windowed = true;
                    tokio::select! {
                        biased;
                        _ = arm.cancellation_token().cancelled() => return Err(ArmError::Cancelled),
                        _ = tokio::time::sleep(self.policy.window) => {}
                    }
                }
                Step::Wait(mut progress) => {
                    tokio::select! {
                        biased;
                        _ = arm.cancellation_token().cancelled() => return Err(ArmError::Cancelled),
                        _ = tokio::time::sleep_until(give_up) => {
                            return self.get(arm, &target, id, kind).await;
                        }
                        // The next step re-reads the state, whatever the channel says.
                        _ = progress.changed() => {}
                    }
                }
            }
        }
    }

    fn next_step(self: &Arc<Self>, target: &Target, list_path: &str, windowed: bool) -> Step {
        let policy = &self.policy;
        let mut state = self.state();
        let writes = state.writes.get(target).copied().unwrap_or_default();
        let group = state.groups.entry(target.group.clone()).or_default();
        group.asked.insert(target.name.clone());
        let now = Instant::now();
        let fresh = |at: Instant| now.saturating_duration_since(at) < policy.max_age;
        if writes.in_flight > 0 {
            return Step::Get;
        }
        if let Some(row) = group.rows.get(&target.name).filter(|r| fresh(r.at)) {
            if row.asked_at > writes.ended && !row.body.settling() {
                return Step::Serve(row.body.clone());
            }
            // Settling, or written since: only its own GET will do.
            return Step::Get;
        }
        // A running list keeps its epoch (readers stop waiting for it after `max_age`).
        let running = matches!(group.list, List::Running);
        if !running && !group.listed_at.is_some_and(fresh) {
            group.list = List::Idle;
        }
        match &group.list {
            List::Running => Step::Wait(group.progress.subscribe()),
            List::Paused(_) if (group.pages as usize) < group.asked.len() => {
                if let List::Paused(pages) = std::mem::replace(&mut group.list, List::Running) {
                    tokio::spawn(self.clone().run_list(target.group.clone(), pages));
                }
                Step::Wait(group.progress.subscribe())
            }
            // Missing from a finished list, settling, written since, or no list to be had.
            List::Paused(_) | List::Complete | List::Failed => Step::Get,
            List::Idle if group.asked.len() >= policy.list_after => {
                let pages = self.pages(target.group.kind, list_path);
                group.list = List::Running;
                group.listed_at = Some(now);
                group.pages = 0;
                group.rows.clear();
                tracing::debug!(group = ?target.group, asked = group.asked.len(), "listing a group of machines");
                tokio::spawn(self.clone().run_list(target.group.clone(), pages));
                Step::Wait(group.progress.subscribe())
            }
            List::Idle if windowed => Step::Get,
            List::Idle => Step::Window,
        }
    }

    /// The lazily fetched pages of a group's list.
    fn pages(
        &self,
        kind: &'static str,
        path: &str,
    ) -> BoxStream<'static, Result<Vec<MachineBody>, ArmError>> {
        if kind == MachineKind::Vm.as_str() {
            self.arm
                .list_pages::<VirtualMachine>(path, compute::API_VERSION)
                .map_ok(|vms| {
                    vms.into_iter()
                        .map(|vm| MachineBody::Vm(Box::new(vm)))
                        .collect()
                })
                .boxed()
        } else {
            self.arm
                .list_pages::<Machine>(path, hybridcompute::API_VERSION)
                .map_ok(|ms| {
                    ms.into_iter()
                        .map(|m| MachineBody::Arc(Box::new(m)))
                        .collect()
                })
                .boxed()
        }
    }

    /// Reads pages until the list ends or has read as many pages as machines were asked for.
    async fn run_list(
        self: Arc<Self>,
        group: Group,
        mut pages: BoxStream<'static, Result<Vec<MachineBody>, ArmError>>,
    ) {
        loop {
            let asked_at = self.state().tick();
            let page = pages.next().await;
            let mut state = self.state();
            let Some(g) = state.groups.get_mut(&group) else {
                return;
            };
            match page {
                None => g.list = List::Complete,
                Some(Err(e)) => {
                    tracing::debug!(?group, error = %e, "listing machines failed; reading them one by one");
                    g.list = List::Failed;
                }
                Some(Ok(bodies)) => {
                    let at = Instant::now();
                    for body in bodies {
                        if let Some(name) = body.key() {
                            let row = Row { body, asked_at, at };
                            g.rows.insert(name, row);
                        }
                    }
                    g.pages += 1;
                    if (g.pages as usize) >= g.asked.len() {
                        g.list = List::Paused(pages);
                        g.progress.send_replace(());
                        return;
                    }
                    g.progress.send_replace(());
                    continue;
                }
            }
            g.progress.send_replace(());
            return;
        }
    }

    /// One GET, kept as a row for later reads of the same machine when its state is settled.
    async fn get(
        &self,
        arm: &ArmClient,
        target: &Target,
        id: &str,
        kind: MachineKind,
    ) -> Result<Option<MachineBody>, ArmError> {
        let asked_at = self.state().tick();
        let body = fetch(arm, id, kind).await?;
        if let Some(body) = body.as_ref().filter(|b| !b.settling()) {
            let mut state = self.state();
            let group = state.groups.entry(target.group.clone()).or_default();
            let newer = group
                .rows
                .get(&target.name)
                .is_none_or(|r| r.asked_at < asked_at);
            if newer {
                let row = Row {
                    body: body.clone(),
                    asked_at,
                    at: Instant::now(),
                };
                group.rows.insert(target.name.clone(), row);
            }
        }
        Ok(body)
    }
}

/// The client's writes, told to the fleet reads; weakly, so that the reads and the client they
/// hold do not keep each other alive.
struct WatchWrites(Weak<FleetReads>);

impl WriteObserver for WatchWrites {
    fn write_started(&self, path: &str) {
        if let (Some(fleet), Some(target)) = (self.0.upgrade(), Target::of_write(path)) {
            fleet.state().writes.entry(target).or_default().in_flight += 1;
        }
    }

    fn write_ended(&self, path: &str) {
        if let (Some(fleet), Some(target)) = (self.0.upgrade(), Target::of_write(path)) {
            let mut state = fleet.state();
            let ended = state.tick();
            let w = state.writes.entry(target).or_default();
            w.in_flight = w.in_flight.saturating_sub(1);
            w.ended = ended;
        }
    }
}

impl HotpatchData {
    /// The hotpatch facts of machine `id`, read as [`FleetReads::read`] does.
    pub async fn machine_facts(
        &self,
        arm: &ArmClient,
        id: &str,
        kind: MachineKind,
    ) -> Result<Option<MachineFacts>, ArmError> {
        Ok(self.fleet.read(arm, id, kind).await?.map(|b| b.facts()))
    }

    /// The body of Arc machine `id`, read as [`FleetReads::read`] does.
    pub async fn arc_machine(
        &self,
        arm: &ArmClient,
        id: &str,
    ) -> Result<Option<Machine>, ArmError> {
        Ok(match self.fleet.read(arm, id, MachineKind::Arc).await? {
            Some(MachineBody::Arc(m)) => Some(*m),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use arm_emulator::{
        seed, Config, Emulator, EmulatorHandle, Fault, MachineChanges, ThrottleConfig,
    };
    use armclient::{ArmConfig, CancellationToken, Credentials};
    use futures::future::join_all;

    use super::*;

    /// An emulator with `fleet` extra machines listed `page` at a time, and a client for it.
    struct Bench {
        emulator: EmulatorHandle,
        arm: ArmClient,
        _ca: tempfile::NamedTempFile,
    }

    async fn bench(fleet: usize, page: usize) -> Bench {
        let emulator = Emulator::start(Config {
            fleet_size: fleet,
            page_size: page,
            throttle: ThrottleConfig::disabled(),
            ..Config::default()
        })
        .await
        .unwrap();
        let mut ca = tempfile::NamedTempFile::new().unwrap();
        ca.write_all(emulator.ca_pem().as_bytes()).unwrap();
        let base = url::Url::parse(emulator.base_url()).unwrap();
        let mut config = ArmConfig::new(
            Credentials::ClientSecret {
                tenant_id: emulator.tenant_id().into(),
                client_id: emulator.client_id().into(),
                client_secret: emulator.client_secret().into(),
            },
            "fleet-reads-test/0",
        );
        config.resource_manager_endpoint = Some(base.clone());
        config.authority_host = Some(base);
        config.ca_certificate_file = Some(ca.path().to_path_buf());
        let arm = ArmClient::new(config, CancellationToken::new()).unwrap();
        Bench {
            emulator,
            arm,
            _ca: ca,
        }
    }

    impl Bench {
        fn fleet(&self, policy: FleetPolicy) -> Arc<FleetReads> {
            FleetReads::new(&self.arm, policy)
        }

        /// ARM requests since the last call, as `METHOD path`, token requests left out.
        fn requests(&self) -> Vec<String> {
            let seen = self
                .emulator
                .requests()
                .into_iter()
                .filter(|r| !r.path.contains("/oauth2/"))
                .map(|r| format!("{} {}", r.method, r.path))
                .collect();
            self.emulator.clear_requests();
            seen
        }

        /// Reads `names` at once, then lets the lists they started run to their end or pause.
        async fn read_all(
            &self,
            fleet: &Arc<FleetReads>,
            names: &[String],
        ) -> Vec<Option<MachineBody>> {
            let reads = names.iter().map(|n| {
                let id = self.emulator.machine_id(n);
                let fleet = fleet.clone();
                let arm = self.arm.clone();
                async move { fleet.read(&arm, &id, MachineKind::Arc).await.unwrap() }
            });
            let got = join_all(reads).await;
            while fleet
                .state()
                .groups
                .values()
                .any(|g| matches!(g.list, List::Running))
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            got
        }
    }

    fn is_list(request: &str) -> bool {
        request.to_ascii_lowercase().ends_with("/machines")
            || request.to_ascii_lowercase().ends_with("/virtualmachines")
    }

    fn fleet_names(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
        range.map(seed::fleet_machine_name).collect()
    }

    fn name_of(body: &Option<MachineBody>) -> Option<String> {
        body.as_ref().and_then(MachineBody::key)
    }

    #[tokio::test]
    async fn a_lone_machine_costs_one_get_however_large_its_group() {
        let b = bench(200, 20).await;
        let fleet = b.fleet(FleetPolicy::default());
        let got = b.read_all(&fleet, &fleet_names(150..=150)).await;
        assert_eq!(name_of(&got[0]).as_deref(), Some("arc-fleet-0150"));
        let requests = b.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert!(requests[0].ends_with("/arc-fleet-0150"), "{requests:?}");
        // A second read of the same machine (its setting after its enrollment) is free.
        let again = b.read_all(&fleet, &fleet_names(150..=150)).await;
        assert_eq!(again, got);
        assert_eq!(b.requests(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn concurrent_reads_share_the_pages_of_one_list() {
        // 100 fleet machines + 6 scenario machines: 6 pages of 20.
        let b = bench(100, 20).await;
        let fleet = b.fleet(FleetPolicy::default());
        let names = fleet_names(1..=40);
        let got = b.read_all(&fleet, &names).await;
        let got_names: Vec<Option<String>> = got.iter().map(name_of).collect();
        let want: Vec<Option<String>> = names.iter().cloned().map(Some).collect();
        assert_eq!(got_names, want);
        let requests = b.requests();
        assert!(requests.iter().all(|r| is_list(r)), "{requests:?}");
        assert_eq!(requests.len(), 6, "every page once: {requests:?}");
        // The rest of the group comes from the same pages; a machine missing from them is
        // confirmed gone with a GET.
        let mut more = fleet_names(90..=100);
        more.push(seed::WS2025_DATACENTER.into());
        more.push("arc-no-such-machine".into());
        let got = b.read_all(&fleet, &more).await;
        assert_eq!(name_of(&got[11]).as_deref(), Some(seed::WS2025_DATACENTER));
        assert_eq!(got[12], None);
        let requests = b.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert!(requests[0].ends_with("/arc-no-such-machine"));
        // What the list said is what a GET says.
        let listed = fleet
            .read(
                &b.arm,
                &b.emulator.machine_id(seed::WS2025_DATACENTER),
                MachineKind::Arc,
            )
            .await
            .unwrap();
        let got = fetch(
            &b.arm,
            &b.emulator.machine_id(seed::WS2025_DATACENTER),
            MachineKind::Arc,
        )
        .await
        .unwrap();
        assert_eq!(listed, got);
    }

    #[tokio::test]
    async fn a_list_never_reads_more_pages_than_machines_asked_for() {
        // 206 machines in 11 pages; the three asked for are on the last one.
        let b = bench(200, 20).await;
        let fleet = b.fleet(FleetPolicy::default());
        let names: Vec<String> = [seed::WS2025_DATACENTER, seed::WS2025_STANDARD, seed::WS2022]
            .map(String::from)
            .into();
        let got = b.read_all(&fleet, &names).await;
        assert!(got.iter().all(Option::is_some));
        let requests = b.requests();
        let pages = requests.iter().filter(|r| is_list(r)).count();
        assert_eq!(pages, 3, "{requests:?}");
        assert_eq!(
            requests.len() - pages,
            3,
            "a GET each after the pause: {requests:?}"
        );
        // Six more machines resume the list where it paused (machines 61-80 are on page 4),
        // up to as many pages as machines asked for: nine.
        let got = b.read_all(&fleet, &fleet_names(70..=75)).await;
        assert!(got.iter().all(Option::is_some));
        let requests = b.requests();
        assert!(requests.iter().all(|r| is_list(r)), "{requests:?}");
        assert_eq!(requests.len(), 6, "pages 4 to 9: {requests:?}");
    }

    #[tokio::test]
    async fn own_writes_are_read_back_not_served_from_the_list() {
        let b = bench(20, 50).await;
        let fleet = b.fleet(FleetPolicy::default());
        let names = fleet_names(1..=5);
        b.read_all(&fleet, &names).await;
        assert_eq!(b.requests().len(), 1);
        let id = b.emulator.machine_id(&names[0]);
        let body = serde_json::json!({ "tags": { "owner": "fleet-test" } });
        let _: serde_json::Value = b
            .arm
            .patch(&id, hybridcompute::API_VERSION, &body)
            .await
            .unwrap();
        b.requests();
        let after = b.read_all(&fleet, &names[..1]).await;
        let Some(MachineBody::Arc(m)) = &after[0] else {
            panic!("{after:?}")
        };
        assert_eq!(m.tags.as_ref().unwrap()["owner"], "fleet-test");
        let requests = b.requests();
        assert_eq!(requests, vec![format!("GET {id}")]);
        // The GET is the newest word on it; the others still come from the list.
        b.read_all(&fleet, &names).await;
        assert_eq!(b.requests(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_machine_whose_state_is_moving_is_read_with_its_own_get() {
        let b = bench(10, 50).await;
        let changes = MachineChanges {
            hotpatch_enablement_status: Some("PendingEvaluation".into()),
            ..MachineChanges::default()
        };
        b.emulator
            .set_machine(&seed::fleet_machine_name(2), &changes)
            .unwrap();
        let fleet = b.fleet(FleetPolicy::default());
        b.read_all(&fleet, &fleet_names(1..=4)).await;
        let requests = b.requests();
        let gets: Vec<&String> = requests.iter().filter(|r| !is_list(r)).collect();
        assert_eq!(requests.len(), 2, "{requests:?}");
        assert!(gets[0].ends_with("/arc-fleet-0002"), "{requests:?}");
    }

    #[tokio::test]
    async fn a_failed_list_falls_back_to_gets() {
        let b = bench(10, 50).await;
        b.emulator.inject(
            Fault::error(403, "AuthorizationFailed", 1)
                .matching(Some("GET"), Some("Microsoft.HybridCompute/machines")),
        );
        let fleet = b.fleet(FleetPolicy::default());
        let names = fleet_names(1..=4);
        let got = b.read_all(&fleet, &names).await;
        assert!(got.iter().all(Option::is_some));
        let requests = b.requests();
        assert_eq!(requests.iter().filter(|r| is_list(r)).count(), 1);
        assert_eq!(
            requests.len(),
            5,
            "the failed list, then a GET each: {requests:?}"
        );
    }

    #[tokio::test]
    async fn vms_are_listed_with_their_instance_view() {
        let b = bench(0, 50).await;
        let fleet = b.fleet(FleetPolicy {
            list_after: 2,
            ..FleetPolicy::default()
        });
        let reads = [seed::VM_AZURE_EDITION, seed::VM_WS2022].map(|n| {
            let (fleet, arm, id) = (fleet.clone(), b.arm.clone(), b.emulator.vm_id(n));
            async move { fleet.read(&arm, &id, MachineKind::Vm).await.unwrap() }
        });
        let got = join_all(reads).await;
        let requests = b.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert!(is_list(&requests[0]));
        let facts = got[0].as_ref().unwrap().facts();
        assert!(facts.os_name.unwrap().contains("Azure Edition"));
    }

    #[test]
    fn writes_name_the_machine_they_change() {
        let machine =
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.HybridCompute/machines/M1";
        let want = Target::of_id(machine, MachineKind::Arc).unwrap().0;
        for path in [
            machine.to_owned(),
            format!("{machine}/licenseProfiles/default"),
            format!("{machine}/assessPatches"),
        ] {
            assert_eq!(Target::of_write(&path), Some(want.clone()), "{path}");
        }
        let vm = "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualMachines/v";
        assert_eq!(
            Target::of_write(vm),
            Some(Target::of_id(vm, MachineKind::Vm).unwrap().0)
        );
        for other in [
            "/providers/Microsoft.ResourceGraph/resources",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/x",
            "/subscriptions/s/resourceGroups/rg",
        ] {
            assert_eq!(Target::of_write(other), None, "{other}");
        }
    }
}
