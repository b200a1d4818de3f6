//! The library entry point: `Emulator::start` binds 127.0.0.1, generates the TLS material,
//! seeds the fleet and serves until `EmulatorHandle::shutdown` (or drop). The handle exposes
//! connection facts (base URL, CA, credentials) and typed versions of the admin API.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::admin::{self, MachineChanges};
use crate::compute::virtual_machines::VmChanges;
use crate::config::{Config, ThrottleConfig};
use crate::faults::{ChaosConfig, ChaosReport, Fault, FaultRules};
use crate::hybridcompute::license_changes::LicenseProfileChanges;
use crate::ledger::{Ledger, ObjectWrites, WriteRecord};
use crate::maintenance::firing::ScheduleFiring;
use crate::state::{lock, LoggedRequest, State, Store};
use crate::throttle::{Buckets, ThrottleStats};
use crate::validate::SpecSet;
use crate::{seed, server, tls};

pub struct Emulator;

impl Emulator {
    /// Starts an emulator on 127.0.0.1 (`config.port`, 0 = any free port).
    pub async fn start(config: Config) -> anyhow::Result<EmulatorHandle> {
        let specs = match &config.specs_dir {
            Some(dir) => Some(SpecSet::load(dir, config.strict_open_enums)?),
            None => None,
        };
        let tls = tls::generate()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .await
            .with_context(|| format!("binding 127.0.0.1:{}", config.port))?;
        let addr = listener.local_addr()?;
        let base_url = format!("https://127.0.0.1:{}", addr.port());
        let state = Arc::new(State {
            store: Mutex::new(Store::seeded(&config)),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(FaultRules {
                base_latency_ms: config.latency_ms,
                ..FaultRules::default()
            }),
            throttle: Mutex::new(Buckets::new(config.throttle)),
            ledger: Mutex::new(Ledger::default()),
            tokens: Mutex::new(HashMap::new()),
            providers: crate::router::providers(),
            specs,
            base_url,
            config,
        });
        let (tx, rx) = watch::channel(false);
        let acceptor = TlsAcceptor::from(tls.server_config.clone());
        let task = tokio::spawn(server::serve(listener, acceptor, state.clone(), rx));
        tracing::info!(base_url = %state.base_url, "ARM emulator listening");
        Ok(EmulatorHandle {
            state,
            ca_pem: tls.ca_pem,
            addr,
            shutdown: tx,
            task: Some(task),
        })
    }
}

/// A running emulator. Dropping it stops the server.
pub struct EmulatorHandle {
    state: Arc<State>,
    ca_pem: String,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// `https://127.0.0.1:{port}`: ARM endpoint and Entra authority host at once.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the CA that signed the server certificate; trust it as a root.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn tenant_id(&self) -> &str {
        &self.state.config.tenant_id
    }

    pub fn client_id(&self) -> &str {
        self.state
            .config
            .clients
            .first()
            .map(|c| c.client_id.as_str())
            .unwrap_or("")
    }

    pub fn client_secret(&self) -> &str {
        self.state
            .config
            .clients
            .first()
            .map(|c| c.client_secret.as_str())
            .unwrap_or("")
    }

    pub fn subscription_id(&self) -> &str {
        &self.state.config.subscription_id
    }

    pub fn resource_group(&self) -> &str {
        seed::RESOURCE_GROUP
    }

    pub fn location(&self) -> &str {
        seed::LOCATION
    }

    /// `{base_url}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base_url(), self.tenant_id())
    }

    /// A valid bearer token without going through the token endpoint.
    pub fn issue_token(&self) -> String {
        crate::token::mint(
            &self.state,
            self.client_id(),
            self.state.config.token_lifetime,
        )
    }

    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// Canonical id of a machine in the seeded resource group.
    pub fn machine_id(&self, name: &str) -> String {
        seed::machine_id(self.subscription_id(), seed::RESOURCE_GROUP, name)
    }

    /// Canonical id of an Azure VM in the seeded resource group.
    pub fn vm_id(&self, name: &str) -> String {
        seed::vm_id(self.subscription_id(), seed::RESOURCE_GROUP, name)
    }

    /// The VM body a GET with `$expand=instanceView` would return.
    pub fn virtual_machine(&self, name: &str) -> Option<serde_json::Value> {
        admin::virtual_machine(&self.state, name)
    }

    /// Changes a VM's patch settings out of band (bumps its etag).
    pub fn set_virtual_machine(&self, name: &str, changes: &VmChanges) -> Result<(), String> {
        admin::set_virtual_machine(&self.state, name, changes)
    }

    /// Names of all machines, in list order.
    pub fn machine_names(&self) -> Vec<String> {
        lock(&self.state.store)
            .machines
            .values()
            .map(|m| m.name.clone())
            .collect()
    }

    /// The machine body a GET would return (without counting as a poll).
    pub fn machine(&self, name: &str) -> Option<Value> {
        admin::machine(&self.state, name)
    }

    /// The license profile body a GET would return (without counting as a poll).
    pub fn license_profile(&self, name: &str) -> Option<Value> {
        admin::license_profile(&self.state, name)
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state.log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.state.log).clear();
    }

    pub fn inject(&self, fault: Fault) {
        admin::inject(&self.state, fault);
    }

    pub fn clear_faults(&self) {
        admin::clear_faults(&self.state);
    }

    pub fn faults(&self) -> Vec<Fault> {
        lock(&self.state.faults).rules.clone()
    }

    /// Latency added to every request from now on.
    pub fn set_latency_ms(&self, ms: u64) {
        lock(&self.state.faults).base_latency_ms = ms;
    }

    /// Replaces the throttling configuration (buckets refilled, counters kept).
    pub fn set_throttle(&self, config: ThrottleConfig) {
        lock(&self.state.throttle).reconfigure(config);
    }

    pub fn set_machine(&self, name: &str, changes: &MachineChanges) -> Result<(), String> {
        admin::set_machine(&self.state, name, changes)
    }

    /// Shortcut: set `properties.status` (`Connected`/`Disconnected`/`Error`).
    pub fn set_machine_status(&self, name: &str, status: &str) -> Result<(), String> {
        self.set_machine(
            name,
            &MachineChanges {
                status: Some(status.to_string()),
                ..MachineChanges::default()
            },
        )
    }

    /// Cancels the Hotpatch feature out of band (as in the portal): `Disabled` with
    /// `disenrollmentDate`/`billingEndDate`.
    pub fn cancel_hotpatch(&self, name: &str) -> Result<(), String> {
        admin::cancel_hotpatch(&self.state, name)
    }

    /// Removes the machine's license profile out of band.
    pub fn delete_license_profile(&self, name: &str) -> Result<(), String> {
        admin::delete_license_profile(&self.state, name)
    }

    /// A maintenance schedule (by name, any resource group) as a GET would return it.
    pub fn maintenance_configuration(&self, name: &str) -> Option<Value> {
        crate::maintenance::out_of_band::schedule(&self.state, name)
    }

    /// Every maintenance schedule, as a GET would return it (for inventories: what exists).
    pub fn maintenance_configurations(&self) -> Vec<Value> {
        crate::maintenance::out_of_band::schedules(&self.state)
    }

    /// Every configuration assignment, machine and VM assignments and dynamic scopes alike, as
    /// a GET would return it.
    pub fn configuration_assignments(&self) -> Vec<Value> {
        crate::maintenance::out_of_band::assignments(&self.state)
    }

    /// Edits a maintenance schedule out of band (as in the portal).
    pub fn change_maintenance_configuration(
        &self,
        name: &str,
        changes: &crate::ScheduleChanges,
    ) -> Result<(), String> {
        crate::maintenance::out_of_band::change_schedule(&self.state, name, changes)
    }

    /// A configuration assignment by id (compared case-insensitively).
    pub fn configuration_assignment(&self, id: &str) -> Option<Value> {
        crate::maintenance::out_of_band::assignment(&self.state, id)
    }

    /// Removes a configuration assignment out of band.
    pub fn delete_configuration_assignment(&self, id: &str) -> Result<(), String> {
        crate::maintenance::out_of_band::delete_assignment(&self.state, id)
    }

    /// Fires a maintenance schedule on machine `name` now (or `days_ago`): returns
    /// `(run id, maintenanceRunId)` of the install run it leaves in history.
    pub fn fire_maintenance_run(
        &self,
        name: &str,
        spec: &crate::MaintenanceRun,
    ) -> Result<(String, String), String> {
        let v = admin::fire_maintenance_run(&self.state, name, spec)?;
        let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        Ok((field("runId"), field("maintenanceRunId")))
    }

    /// Records a finished assessment of Arc machine or VM `name` now, as the platform's
    /// periodic assessment would (no operation to poll); returns the assessment id.
    pub fn assess_now(&self, name: &str) -> Result<String, String> {
        let v = admin::assess_now(&self.state, name)?;
        Ok(v["assessmentId"].as_str().unwrap_or_default().to_string())
    }

    /// Replaces the Resource Graph per-user quota: `limit` queries per `window`.
    pub fn set_resource_graph_quota(&self, limit: u32, window: std::time::Duration) {
        admin::set_resource_graph_quota(
            &self.state,
            limit,
            u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
        );
    }

    /// Starts (or replaces) seeded random faults; counters start at zero. `Err` when a rate is
    /// outside 0..=1 or the read or write classes sum to more than 1.
    pub fn set_chaos(&self, config: ChaosConfig) -> Result<(), String> {
        admin::set_chaos(&self.state, config)
    }

    /// Switches chaos off (e.g. for a final clean apply) or on again, keeping its counters.
    pub fn set_chaos_enabled(&self, enabled: bool) -> Result<(), String> {
        admin::set_chaos_enabled(&self.state, enabled)
    }

    /// The chaos configuration and what it injected so far.
    pub fn chaos(&self) -> Option<ChaosReport> {
        admin::chaos(&self.state)
    }

    pub fn clear_chaos(&self) {
        admin::clear_chaos(&self.state);
    }

    /// Lets LROs made stuck by `Fault::stuck_lro` finish on the configured timing.
    pub fn release_stuck_operations(&self) -> usize {
        admin::release_stuck_operations(&self.state)
    }

    /// Every accepted write, grouped per object.
    pub fn writes(&self) -> Vec<ObjectWrites> {
        lock(&self.state.ledger).objects()
    }

    /// The accepted writes of one object (its id or request path, case-insensitive).
    pub fn writes_for(&self, id: &str) -> Vec<WriteRecord> {
        lock(&self.state.ledger).for_id(id)
    }

    pub fn clear_writes(&self) {
        lock(&self.state.ledger).clear();
    }

    /// Throttling counters (requests charged and 429s served, per bucket and per client).
    pub fn throttle_stats(&self) -> ThrottleStats {
        lock(&self.state.throttle).stats.clone()
    }

    pub fn reset_throttle_stats(&self) {
        lock(&self.state.throttle).stats = ThrottleStats::default();
    }

    /// Changes ESU / Software Assurance of a machine's license profile out of band.
    pub fn change_license_profile(
        &self,
        machine: &str,
        changes: &LicenseProfileChanges,
    ) -> Result<(), String> {
        admin::change_license_profile(&self.state, machine, changes)
    }

    /// Fires schedule `name` now on every machine and VM its assignments and dynamic scopes
    /// select.
    pub fn fire_schedule(&self, name: &str) -> Result<ScheduleFiring, String> {
        crate::maintenance::firing::fire(&self.state, name)
    }

    /// Stops accepting connections and closes open ones.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
