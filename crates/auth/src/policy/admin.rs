//! The user and ACL changes of the 3001–3010 admin requests, with Java's checks, merge rules
//! and messages (`AdminBrokerProcessor`, `AuthenticationMetadataManagerImpl`,
//! `AuthorizationMetadataManagerImpl`).

use ferromq_model::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};

use super::ip;
use super::model::{
    subject_user, Acl, Action, Decision, Policy, PolicyEntry, PolicyType, Resource, User,
    UserStatus, UserType,
};
use super::store::{AuthStore, Snapshot, StoreError, MAX_ENTRIES};

/// A refused admin change, by the response code Java answers with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdminError {
    /// NO_PERMISSION (16): Java's `AuthenticationException`/`AuthorizationException`.
    #[error("{0}")]
    Denied(String),
    /// INVALID_PARAMETER (29).
    #[error("{0}")]
    Invalid(String),
    /// SYSTEM_ERROR (1).
    #[error("{0}")]
    System(String),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        if let StoreError::TooLarge { .. } = e {
            return AdminError::System(e.to_string());
        }
        tracing::error!(error = %e, "the user and ACL store could not be written");
        AdminError::System("An system error occurred, please try again later.".into())
    }
}

/// Longest username or password accepted (Java sets no limit; every byte is kept on disk and
/// in memory, so one is needed).
pub(crate) const MAX_NAME_BYTES: usize = 256;
/// Longest resource key of an entry.
const MAX_RESOURCE_BYTES: usize = 512;
/// Most source addresses of one entry.
const MAX_SOURCE_IPS: usize = 32;
/// Most entries of one ACL, over its policies.
pub(crate) const MAX_ACL_ENTRIES: usize = 1024;

fn too_long(what: &str, value: &str, limit: usize) -> Result<(), AdminError> {
    if value.len() > limit {
        return Err(AdminError::Invalid(format!(
            "The {what} is longer than {limit} bytes"
        )));
    }
    Ok(())
}

/// The header's username, present and within bounds.
fn checked_name(username: Option<&str>) -> Result<&str, AdminError> {
    let Some(name) = username.filter(|u| !u.is_empty()) else {
        return Err(AdminError::Invalid("The username is blank".into()));
    };
    too_long("username", name, MAX_NAME_BYTES)?;
    Ok(name)
}

/// The user type `info` asks for; Super only from a super user (Java answers SYSTEM_ERROR
/// with `refusal`).
fn requested_type(
    info: &UserInfo,
    caller_is_super: bool,
    refusal: &str,
) -> Result<Option<UserType>, AdminError> {
    let t = info.user_type.as_deref().and_then(UserType::by_name);
    if t == Some(UserType::Super) && !caller_is_super {
        return Err(AdminError::System(refusal.into()));
    }
    if let Some(p) = info.password.as_deref() {
        too_long("password", p, MAX_NAME_BYTES)?;
    }
    Ok(t)
}

fn entry_count(acl: &Acl) -> usize {
    acl.policies.iter().map(|p| p.entries.len()).sum()
}

fn denied(m: impl Into<String>) -> AdminError {
    AdminError::Denied(m.into())
}

const SUPER_ONLY_UPDATE: &str = "The super user can only be update by super user";

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

fn room(len: usize) -> Result<(), AdminError> {
    if len >= MAX_ENTRIES {
        return Err(AdminError::System(format!("at most {MAX_ENTRIES} entries")));
    }
    Ok(())
}

impl AuthStore {
    /// AUTH_CREATE_USER: a new user (Normal and enabled unless said otherwise).
    pub fn create_user(
        &self,
        username: Option<&str>,
        info: UserInfo,
        caller_is_super: bool,
    ) -> Result<(), AdminError> {
        let name = checked_name(username)?;
        let user_type = requested_type(
            &info,
            caller_is_super,
            "The super user can only be create by super user",
        )?;
        if blank(info.password.as_deref()) {
            return Err(denied("password can not be blank"));
        }
        let user = User {
            username: name.to_string(),
            password: info.password.unwrap_or_default(),
            user_type: user_type.unwrap_or(UserType::Normal),
            status: info
                .user_status
                .as_deref()
                .and_then(UserStatus::by_name)
                .unwrap_or(UserStatus::Enable),
        };
        self.update(|s| {
            if s.users.contains_key(name) {
                return Err(denied("The user is existed"));
            }
            room(s.users.len())?;
            s.users.insert(user.username.clone(), user);
            Ok(())
        })
    }

    /// AUTH_UPDATE_USER: a blank password, type or status leaves that field as it was.
    pub fn update_user(
        &self,
        username: Option<&str>,
        info: UserInfo,
        caller_is_super: bool,
    ) -> Result<(), AdminError> {
        let name = checked_name(username)?;
        let user_type = requested_type(&info, caller_is_super, SUPER_ONLY_UPDATE)?;
        self.update(|s| {
            let Some(old) = s.users.get_mut(name) else {
                return Err(denied("The user is not exist"));
            };
            if old.user_type == UserType::Super && !caller_is_super {
                return Err(denied(SUPER_ONLY_UPDATE));
            }
            if let Some(p) = info.password.filter(|p| !p.trim().is_empty()) {
                old.password = p;
            }
            if let Some(t) = user_type {
                old.user_type = t;
            }
            if let Some(st) = info.user_status.as_deref().and_then(UserStatus::by_name) {
                old.status = st;
            }
            Ok(())
        })
    }

    /// AUTH_DELETE_USER: the user and its ACL; an unknown user is not an error.
    pub fn delete_user(
        &self,
        username: Option<&str>,
        caller_is_super: bool,
    ) -> Result<(), AdminError> {
        let Some(name) = username.filter(|u| !u.trim().is_empty()) else {
            return Err(denied("username can not be blank"));
        };
        match self.snapshot().users.get(name) {
            None => return Ok(()),
            Some(u) if u.user_type == UserType::Super && !caller_is_super => {
                return Err(denied(SUPER_ONLY_UPDATE))
            }
            Some(_) => {}
        }
        self.update(|s| {
            s.users.remove(name);
            s.acls.remove(&format!("User:{name}"));
            Ok(())
        })
    }

    /// AUTH_GET_USER: `None` when there is no such user (Java answers success, no body).
    pub fn get_user(&self, username: Option<&str>) -> Result<Option<UserInfo>, AdminError> {
        let Some(name) = username.filter(|u| !u.trim().is_empty()) else {
            return Err(AdminError::Invalid("The username is blank".into()));
        };
        Ok(self.snapshot().users.get(name).map(user_info))
    }

    /// AUTH_LIST_USER: users whose name contains `filter`, by name.
    pub fn list_users(&self, filter: Option<&str>) -> Vec<UserInfo> {
        let snap = self.snapshot();
        let mut users: Vec<&User> = snap
            .users
            .values()
            .filter(|u| blank(filter) || u.username.contains(filter.unwrap_or("")))
            .collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        users.into_iter().map(user_info).collect()
    }

    /// Creates `username` as a super user unless it exists (Java's `initAuthenticationUser`
    /// and `innerClientAuthenticationCredentials`); whether it was created.
    pub fn ensure_super_user(&self, username: &str, password: &str) -> Result<bool, AdminError> {
        if username.trim().is_empty() || password.trim().is_empty() {
            return Err(denied("username and password can not be blank"));
        }
        self.update(|s| {
            if s.users.contains_key(username) {
                return Ok(false);
            }
            s.users.insert(
                username.to_string(),
                User {
                    username: username.to_string(),
                    password: password.to_string(),
                    user_type: UserType::Super,
                    status: UserStatus::Enable,
                },
            );
            Ok(true)
        })
    }

    /// AUTH_CREATE_ACL and AUTH_UPDATE_ACL (identical in Java): merges the body's policies
    /// into the subject's ACL — by policy type, then by resource.
    pub fn upsert_acl(
        &self,
        subject: Option<&str>,
        info: Option<AclInfo>,
    ) -> Result<(), AdminError> {
        let info = info
            .filter(|i| i.policies.as_ref().is_some_and(|p| !p.is_empty()))
            .ok_or_else(|| AdminError::System("The body of acl is null".into()))?;
        let subject = info
            .subject
            .clone()
            .or_else(|| subject.map(str::to_string))
            .unwrap_or_default();
        let new = acl_from_info(&subject, &info)?;
        let user = subject_user(&subject).unwrap_or("");
        self.update(|s| {
            if !s.users.contains_key(user) {
                return Err(denied(format!("The subject of {subject} is not exist.")));
            }
            let merged = match s.acls.get_mut(&subject) {
                Some(old) => {
                    merge(old, new);
                    old
                }
                None => {
                    room(s.acls.len())?;
                    s.acls.entry(subject.clone()).or_insert(new)
                }
            };
            if entry_count(merged) > MAX_ACL_ENTRIES {
                return Err(AdminError::Invalid(format!(
                    "An ACL holds at most {MAX_ACL_ENTRIES} entries"
                )));
            }
            Ok(())
        })
    }

    /// AUTH_DELETE_ACL: one entry of one policy type (Custom unless named), or — without a
    /// resource, or one that does not parse — the whole ACL.
    pub fn delete_acl(
        &self,
        subject: Option<&str>,
        policy_type: Option<&str>,
        resource: Option<&str>,
    ) -> Result<(), AdminError> {
        let subject = subject.ok_or_else(|| denied("The subject is null."))?;
        let kind = policy_type
            .and_then(PolicyType::by_name)
            .unwrap_or(PolicyType::Custom);
        let resource = resource.and_then(Resource::parse);
        self.update(|s| {
            exists(s, subject)?;
            let Some(acl) = s.acls.get_mut(subject) else {
                return Err(denied("The acl is not exist."));
            };
            if let Some(r) = &resource {
                for p in acl.policies.iter_mut().filter(|p| p.policy_type == kind) {
                    p.entries.retain(|e| &e.resource != r);
                }
                acl.policies.retain(|p| !p.entries.is_empty());
            }
            if resource.is_none() || acl.policies.is_empty() {
                s.acls.remove(subject);
            }
            Ok(())
        })
    }

    /// AUTH_GET_ACL: `None` when the subject has no ACL.
    pub fn get_acl(&self, subject: Option<&str>) -> Result<Option<AclInfo>, AdminError> {
        let subject = subject.unwrap_or("");
        let snap = self.snapshot();
        exists(&snap, subject)?;
        Ok(snap.acls.get(subject).map(acl_info))
    }

    /// AUTH_LIST_ACL: ACLs whose subject contains `subject_filter`, keeping only entries
    /// whose resource contains `resource_filter` — unless the subject does (Java's provider).
    pub fn list_acls(
        &self,
        subject_filter: Option<&str>,
        resource_filter: Option<&str>,
    ) -> Vec<AclInfo> {
        let snap = self.snapshot();
        let mut acls: Vec<Acl> = snap
            .acls
            .values()
            .filter(|a| blank(subject_filter) || a.subject.contains(subject_filter.unwrap_or("")))
            .cloned()
            .collect();
        if let Some(f) = resource_filter.filter(|f| !f.trim().is_empty()) {
            // Java keeps every entry of a subject whose key itself contains the filter.
            for a in acls.iter_mut().filter(|a| !a.subject.contains(f)) {
                for p in &mut a.policies {
                    p.entries.retain(|e| e.resource.to_string().contains(f));
                }
                a.policies.retain(|p| !p.entries.is_empty());
            }
            acls.retain(|a| !a.policies.is_empty());
        }
        acls.sort_by(|a, b| a.subject.cmp(&b.subject));
        acls.iter().map(acl_info).collect()
    }
}

impl AuthStore {
    /// A slave's copy of its master's users and ACLs (what AUTH_LIST_USER and AUTH_LIST_ACL
    /// answer the master's super users); entries that do not validate are skipped. Whether
    /// anything changed (the files are rewritten only then).
    pub fn replace_from_master(
        &self,
        users: Vec<UserInfo>,
        acls: Vec<AclInfo>,
    ) -> Result<bool, AdminError> {
        let mut next = Snapshot::default();
        for u in users.into_iter().take(MAX_ENTRIES) {
            let (Some(name), Some(password)) = (u.username, u.password) else {
                continue;
            };
            let user = User {
                username: name.clone(),
                password,
                user_type: u
                    .user_type
                    .as_deref()
                    .and_then(UserType::by_name)
                    .unwrap_or(UserType::Normal),
                status: u
                    .user_status
                    .as_deref()
                    .and_then(UserStatus::by_name)
                    .unwrap_or(UserStatus::Enable),
            };
            next.users.insert(name, user);
        }
        for a in acls.into_iter().take(MAX_ENTRIES) {
            let subject = a.subject.clone().unwrap_or_default();
            match acl_from_info(&subject, &a) {
                Ok(acl) => {
                    next.acls.insert(subject, acl);
                }
                Err(e) => tracing::warn!(%subject, error = %e, "an ACL from the master is invalid"),
            }
        }
        if *self.snapshot() == next {
            return Ok(false);
        }
        self.update(|s| {
            *s = next;
            Ok(true)
        })
    }
}

fn exists(s: &Snapshot, subject: &str) -> Result<(), AdminError> {
    match subject_user(subject) {
        Some(u) if s.users.contains_key(u) => Ok(()),
        _ => Err(denied("The subject is not exist.")),
    }
}

fn merge(old: &mut Acl, new: Acl) {
    for policy in new.policies {
        let Some(mine) = old
            .policies
            .iter_mut()
            .find(|p| p.policy_type == policy.policy_type)
        else {
            old.policies.push(policy);
            continue;
        };
        for entry in policy.entries {
            match mine
                .entries
                .iter_mut()
                .find(|e| e.resource == entry.resource)
            {
                Some(e) => *e = entry,
                None => mine.entries.push(entry),
            }
        }
    }
}

/// An ACL from an admin body, validated in Java's order and with Java's messages.
fn acl_from_info(subject: &str, info: &AclInfo) -> Result<Acl, AdminError> {
    if subject_user(subject).is_none() {
        return Err(denied("The subject type is null."));
    }
    let requested: usize = info
        .policies
        .iter()
        .flatten()
        .map(|p| p.entries.as_ref().map_or(0, Vec::len))
        .sum();
    if requested > MAX_ACL_ENTRIES {
        return Err(AdminError::Invalid(format!(
            "An ACL holds at most {MAX_ACL_ENTRIES} entries"
        )));
    }
    let mut policies: Vec<Policy> = Vec::new();
    for p in info.policies.as_deref().unwrap_or_default() {
        let kind = p
            .policy_type
            .as_deref()
            .and_then(PolicyType::by_name)
            .unwrap_or(PolicyType::Custom);
        let infos = p.entries.as_deref().unwrap_or_default();
        if infos.is_empty() {
            return Err(denied("The policy entries is empty."));
        }
        let mut entries: Vec<PolicyEntry> = Vec::new();
        for e in infos {
            let entry = entry_from_info(e)?;
            entries.retain(|x| x.resource != entry.resource);
            entries.push(entry);
        }
        match policies.iter_mut().find(|x| x.policy_type == kind) {
            Some(existing) => existing.entries.extend(entries),
            None => policies.push(Policy {
                policy_type: kind,
                entries,
            }),
        }
    }
    Ok(Acl {
        subject: subject.to_string(),
        policies,
    })
}

fn entry_from_info(e: &PolicyEntryInfo) -> Result<PolicyEntry, AdminError> {
    if let Some(r) = e.resource.as_deref() {
        too_long("resource", r, MAX_RESOURCE_BYTES)?;
    }
    let resource = e
        .resource
        .as_deref()
        .and_then(Resource::parse)
        .ok_or_else(|| denied("The resource is null."))?;
    let actions: Vec<Action> = e
        .actions
        .iter()
        .flatten()
        .filter_map(|a| Action::by_name(a))
        .filter(|a| *a != Action::Unknown)
        .collect();
    if actions.is_empty() {
        return Err(denied("The actions is empty."));
    }
    if actions.contains(&Action::Any) {
        return Err(denied("The actions can not be Any."));
    }
    let source_ips = e.source_ips.clone().unwrap_or_default();
    if source_ips.len() > MAX_SOURCE_IPS {
        return Err(AdminError::Invalid(format!(
            "An entry holds at most {MAX_SOURCE_IPS} source ips"
        )));
    }
    for ipc in &source_ips {
        if ipc.trim().is_empty() {
            return Err(denied("The source ip is empty."));
        }
        if !ip::is_valid(ipc) {
            return Err(denied("The source ip is invalid."));
        }
    }
    let decision = e
        .decision
        .as_deref()
        .and_then(Decision::by_name)
        .ok_or_else(|| denied("The decision is null or illegal."))?;
    Ok(PolicyEntry {
        resource,
        actions,
        source_ips,
        decision,
    })
}

fn user_info(u: &User) -> UserInfo {
    UserInfo {
        password: Some(u.password.clone()),
        user_status: Some(u.status.name().to_string()),
        user_type: Some(u.user_type.name().to_string()),
        username: Some(u.username.clone()),
    }
}

fn acl_info(a: &Acl) -> AclInfo {
    let policies = a
        .policies
        .iter()
        .map(|p| PolicyInfo {
            entries: Some(
                p.entries
                    .iter()
                    .map(|e| PolicyEntryInfo {
                        actions: Some(e.actions.iter().map(|a| a.name().to_string()).collect()),
                        decision: Some(e.decision.name().to_string()),
                        resource: Some(e.resource.to_string()),
                        source_ips: (!e.source_ips.is_empty()).then(|| e.source_ips.clone()),
                    })
                    .collect(),
            ),
            policy_type: Some(p.policy_type.name().to_string()),
        })
        .collect();
    AclInfo {
        policies: Some(policies),
        subject: Some(a.subject.clone()),
    }
}
