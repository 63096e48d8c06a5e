//! The access rules (DESIGN §2) as one pure function. Every authorization decision in
//! Tenantry goes through [`access`]; the server only loads its inputs.
use crate::types::{OrgKind, Role};
use uuid::Uuid;

/// One org on the path from the org being accessed up to its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgNode {
    pub id: Uuid,
    pub kind: OrgKind,
}

/// A user's direct role in one org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub org_id: Uuid,
    pub role: Role,
}

/// A technician's delegated admin access to one customer (and its children).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelegationGrant {
    pub org_id: Uuid,
    /// Unix milliseconds; `None` never expires.
    pub expires_at: Option<i64>,
}

impl DelegationGrant {
    /// Active until (not including) `expires_at`.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.expires_at.is_none_or(|t| now_ms < t)
    }
}

/// Which of an MSP's orgs a technician scope covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRule {
    /// Every customer of the MSP (with its child tenants) except these customers.
    AllExcept(Vec<Uuid>),
    /// Every org of the MSP's tree that carries the tag (with everything below it): the
    /// tagged orgs, resolved when the grants are loaded.
    Tagged(Vec<Uuid>),
}

/// A technician's scoped admin access in one MSP: a grant over many customers at once,
/// including customers created (or tagged) after it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeGrant {
    pub msp_id: Uuid,
    pub rule: ScopeRule,
}

impl ScopeGrant {
    /// Whether the scope covers `path[depth]` itself (not through an ancestor).
    fn covers(&self, path: &[OrgNode], depth: usize) -> bool {
        let Some(root) = path.last() else { return false };
        // Only below the scope's own MSP; never the MSP itself.
        if root.kind != OrgKind::Msp || root.id != self.msp_id || depth + 1 >= path.len() {
            return false;
        }
        let node = path[depth];
        match &self.rule {
            ScopeRule::AllExcept(except) => depth + 2 == path.len() && node.kind == OrgKind::Customer && !except.contains(&node.id),
            ScopeRule::Tagged(orgs) => orgs.contains(&node.id),
        }
    }
}

/// What the rules need to know about the user.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub is_superuser: bool,
    pub memberships: &'a [Grant],
    pub delegations: &'a [DelegationGrant],
    pub scopes: &'a [ScopeGrant],
}

/// The user's effective role in `path[0]`, where `path` runs from that org up to its root.
///
/// 1. a superuser is admin everywhere;
/// 2. a direct membership gives its role;
/// 3. a role in an ancestor carries down, except across the MSP → customer edge, which only
///    `admin` crosses;
/// 4. an active delegation on the org or an ancestor gives admin;
/// 5. a technician scope in the MSP at the root gives admin on what it covers and below:
///    `all_except` every customer not listed, `tag` every org carrying the tag;
/// 6. otherwise nothing.
///
/// When several rules apply, the highest role wins.
pub fn access(subject: Subject<'_>, path: &[OrgNode], now_ms: i64) -> Option<Role> {
    if path.is_empty() {
        return None;
    }
    if subject.is_superuser {
        return Some(Role::Admin);
    }
    let mut best: Option<Role> = None;
    for (depth, node) in path.iter().enumerate() {
        // MSPs are roots, so an MSP above the target means the path crossed MSP → customer.
        let crosses_msp_edge = depth > 0 && node.kind == OrgKind::Msp;
        for grant in subject.memberships.iter().filter(|g| g.org_id == node.id) {
            if crosses_msp_edge && grant.role != Role::Admin {
                continue;
            }
            best = best.max(Some(grant.role));
        }
        if subject
            .delegations
            .iter()
            .any(|d| d.org_id == node.id && d.is_active(now_ms))
        {
            best = Some(Role::Admin);
        }
        if subject.scopes.iter().any(|s| s.covers(path, depth)) {
            best = Some(Role::Admin);
        }
    }
    best
}

/// Whether someone whose effective role is `granter` may give `granted` to another person.
/// Nobody grants a role above their own.
pub fn may_grant(granter: Option<Role>, granted: Role) -> bool {
    granter.is_some_and(|own| granted <= own)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }
    const MSP: OrgNode = OrgNode { id: Uuid::from_u128(1), kind: OrgKind::Msp };
    const CUSTOMER: OrgNode = OrgNode { id: Uuid::from_u128(2), kind: OrgKind::Customer };
    const CHILD: OrgNode = OrgNode { id: Uuid::from_u128(3), kind: OrgKind::Child };
    const GRANDCHILD: OrgNode = OrgNode { id: Uuid::from_u128(4), kind: OrgKind::Child };

    fn role_in(path: &[OrgNode], memberships: &[Grant], delegations: &[DelegationGrant]) -> Option<Role> {
        access(Subject { is_superuser: false, memberships, delegations, scopes: &[] }, path, 1_000)
    }

    #[test]
    fn superuser_is_admin_everywhere() {
        let s = Subject { is_superuser: true, memberships: &[], delegations: &[], scopes: &[] };
        assert_eq!(access(s, &[CHILD, CUSTOMER, MSP], 0), Some(Role::Admin));
        assert_eq!(access(s, &[], 0), None);
    }

    #[test]
    fn only_admin_crosses_the_msp_edge() {
        let path = [CUSTOMER, MSP];
        for role in [Role::Viewer, Role::Member] {
            let m = [Grant { org_id: MSP.id, role }];
            assert_eq!(role_in(&[MSP], &m, &[]), Some(role));
            assert_eq!(role_in(&path, &m, &[]), None, "{role} must not cross");
            assert_eq!(role_in(&[GRANDCHILD, CHILD, CUSTOMER, MSP], &m, &[]), None);
        }
        let admin = [Grant { org_id: MSP.id, role: Role::Admin }];
        assert_eq!(role_in(&path, &admin, &[]), Some(Role::Admin));
        assert_eq!(role_in(&[GRANDCHILD, CHILD, CUSTOMER, MSP], &admin, &[]), Some(Role::Admin));
    }

    #[test]
    fn customer_roles_carry_down_to_children_but_not_up() {
        let m = [Grant { org_id: CUSTOMER.id, role: Role::Viewer }];
        assert_eq!(role_in(&[GRANDCHILD, CHILD, CUSTOMER, MSP], &m, &[]), Some(Role::Viewer));
        assert_eq!(role_in(&[MSP], &m, &[]), None);
        let child = [Grant { org_id: CHILD.id, role: Role::Admin }];
        assert_eq!(role_in(&[CUSTOMER, MSP], &child, &[]), None);
    }

    #[test]
    fn highest_role_wins() {
        let m = [
            Grant { org_id: CUSTOMER.id, role: Role::Admin },
            Grant { org_id: CHILD.id, role: Role::Viewer },
        ];
        assert_eq!(role_in(&[CHILD, CUSTOMER, MSP], &m, &[]), Some(Role::Admin));
    }

    #[test]
    fn delegations_grant_admin_until_they_expire() {
        let tech = [Grant { org_id: MSP.id, role: Role::Member }];
        let active = [DelegationGrant { org_id: CUSTOMER.id, expires_at: Some(1_001) }];
        let expired = [DelegationGrant { org_id: CUSTOMER.id, expires_at: Some(1_000) }];
        let forever = [DelegationGrant { org_id: CUSTOMER.id, expires_at: None }];
        assert_eq!(role_in(&[CHILD, CUSTOMER, MSP], &tech, &active), Some(Role::Admin));
        assert_eq!(role_in(&[CUSTOMER, MSP], &tech, &forever), Some(Role::Admin));
        assert_eq!(role_in(&[CUSTOMER, MSP], &tech, &expired), None);
        let other = [DelegationGrant { org_id: id(99), expires_at: None }];
        assert_eq!(role_in(&[CUSTOMER, MSP], &tech, &other), None);
    }

    fn scoped(path: &[OrgNode], scopes: &[ScopeGrant]) -> Option<Role> {
        let tech = [Grant { org_id: MSP.id, role: Role::Member }];
        access(Subject { is_superuser: false, memberships: &tech, delegations: &[], scopes }, path, 1_000)
    }

    #[test]
    fn all_except_scopes_cover_every_customer_but_the_listed_ones() {
        let all = [ScopeGrant { msp_id: MSP.id, rule: ScopeRule::AllExcept(vec![]) }];
        assert_eq!(scoped(&[CUSTOMER, MSP], &all), Some(Role::Admin));
        assert_eq!(scoped(&[GRANDCHILD, CHILD, CUSTOMER, MSP], &all), Some(Role::Admin));
        assert_eq!(scoped(&[MSP], &all), Some(Role::Member), "the MSP itself is not in scope");
        let except = [ScopeGrant { msp_id: MSP.id, rule: ScopeRule::AllExcept(vec![CUSTOMER.id]) }];
        assert_eq!(scoped(&[CUSTOMER, MSP], &except), None);
        assert_eq!(scoped(&[CHILD, CUSTOMER, MSP], &except), None);
        let other_msp = [ScopeGrant { msp_id: id(99), rule: ScopeRule::AllExcept(vec![]) }];
        assert_eq!(scoped(&[CUSTOMER, MSP], &other_msp), None);
        // Listing a child tenant excludes nothing: exclusions name customers.
        let child = [ScopeGrant { msp_id: MSP.id, rule: ScopeRule::AllExcept(vec![CHILD.id]) }];
        assert_eq!(scoped(&[CHILD, CUSTOMER, MSP], &child), Some(Role::Admin));
    }

    #[test]
    fn tag_scopes_cover_the_tagged_orgs_and_below() {
        let tagged = [ScopeGrant { msp_id: MSP.id, rule: ScopeRule::Tagged(vec![CHILD.id]) }];
        assert_eq!(scoped(&[CUSTOMER, MSP], &tagged), None);
        assert_eq!(scoped(&[CHILD, CUSTOMER, MSP], &tagged), Some(Role::Admin));
        assert_eq!(scoped(&[GRANDCHILD, CHILD, CUSTOMER, MSP], &tagged), Some(Role::Admin));
        let msp_tagged = [ScopeGrant { msp_id: MSP.id, rule: ScopeRule::Tagged(vec![MSP.id]) }];
        assert_eq!(scoped(&[CUSTOMER, MSP], &msp_tagged), None, "the MSP itself is never in scope");
        let elsewhere = [ScopeGrant { msp_id: id(99), rule: ScopeRule::Tagged(vec![CUSTOMER.id]) }];
        assert_eq!(scoped(&[CUSTOMER, MSP], &elsewhere), None);
    }

    #[test]
    fn grants_never_exceed_the_granter() {
        assert!(may_grant(Some(Role::Admin), Role::Admin));
        assert!(may_grant(Some(Role::Member), Role::Viewer));
        assert!(!may_grant(Some(Role::Member), Role::Admin));
        assert!(!may_grant(None, Role::Viewer));
    }

    /// A reference model written differently: compute every org's role top-down over the tree.
    fn reference(kinds: &[OrgKind], member_roles: &[Option<Role>], delegated: &[bool], scoped: &[bool], target: usize) -> Option<Role> {
        // The tree here is a path: org i's parent is i-1; org 0 is the root.
        let mut inherited: Option<Role> = None;
        let mut result = None;
        for i in 0..=target {
            if i > 0 && kinds[i - 1] == OrgKind::Msp {
                inherited = inherited.filter(|r| *r == Role::Admin);
            }
            inherited = inherited.max(member_roles[i]);
            if delegated[i] || scoped[i] {
                inherited = Some(Role::Admin);
            }
            result = inherited;
        }
        result
    }

    proptest! {
        #[test]
        fn matches_the_reference_model(
            depth in 1usize..6,
            roles in proptest::collection::vec(proptest::option::of(0u8..3), 6),
            delegated in proptest::collection::vec(any::<bool>(), 6),
            target_pick in 0usize..6,
            scope_kind in 0u8..3,
            excluded in any::<bool>(),
            tagged in proptest::collection::vec(any::<bool>(), 6),
            scope_msp_is_root in any::<bool>(),
        ) {
            let kinds: Vec<OrgKind> = (0..depth)
                .map(|i| match i { 0 => OrgKind::Msp, 1 => OrgKind::Customer, _ => OrgKind::Child })
                .collect();
            let nodes: Vec<OrgNode> = kinds.iter().enumerate().map(|(i, k)| OrgNode { id: id(i as u128 + 10), kind: *k }).collect();
            let member_roles: Vec<Option<Role>> = roles.iter().take(depth).map(|r| r.map(|r| Role::ALL[r as usize])).collect();
            let memberships: Vec<Grant> = member_roles.iter().enumerate()
                .filter_map(|(i, r)| r.map(|role| Grant { org_id: nodes[i].id, role })).collect();
            // Delegations only make sense on customers and below.
            let delegated: Vec<bool> = delegated.iter().take(depth).enumerate().map(|(i, d)| *d && i > 0).collect();
            let delegations: Vec<DelegationGrant> = delegated.iter().enumerate()
                .filter(|(_, d)| **d).map(|(i, _)| DelegationGrant { org_id: nodes[i].id, expires_at: None }).collect();
            let target = target_pick % depth;
            let path: Vec<OrgNode> = nodes[..=target].iter().rev().copied().collect();
            // A scope in the root MSP (or in another MSP, where it covers nothing).
            let scope_msp = if scope_msp_is_root { nodes[0].id } else { id(999) };
            let (scopes, scoped): (Vec<ScopeGrant>, Vec<bool>) = match scope_kind {
                0 => (vec![], vec![false; depth]),
                1 => {
                    let except = if excluded && depth > 1 { vec![nodes[1].id] } else { vec![] };
                    let covered = (0..depth).map(|i| scope_msp_is_root && i == 1 && !excluded).collect();
                    (vec![ScopeGrant { msp_id: scope_msp, rule: ScopeRule::AllExcept(except) }], covered)
                }
                _ => {
                    let orgs = (0..depth).filter(|i| tagged[*i]).map(|i| nodes[i].id).collect();
                    let covered = (0..depth).map(|i| scope_msp_is_root && i > 0 && tagged[i]).collect();
                    (vec![ScopeGrant { msp_id: scope_msp, rule: ScopeRule::Tagged(orgs) }], covered)
                }
            };
            prop_assert_eq!(
                role_in(&path, &memberships, &delegations),
                reference(&kinds, &member_roles, &delegated, &vec![false; depth], target)
            );
            prop_assert_eq!(
                access(Subject { is_superuser: false, memberships: &memberships, delegations: &delegations, scopes: &scopes }, &path, 1_000),
                reference(&kinds, &member_roles, &delegated, &scoped, target)
            );
        }
    }
}
