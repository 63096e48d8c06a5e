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

/// What the rules need to know about the user.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub is_superuser: bool,
    pub memberships: &'a [Grant],
    pub delegations: &'a [DelegationGrant],
}

/// The user's effective role in `path[0]`, where `path` runs from that org up to its root.
///
/// 1. a superuser is admin everywhere;
/// 2. a direct membership gives its role;
/// 3. a role in an ancestor carries down, except across the MSP → customer edge, which only
///    `admin` crosses;
/// 4. an active delegation on the org or an ancestor gives admin;
/// 5. otherwise nothing.
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
        access(Subject { is_superuser: false, memberships, delegations }, path, 1_000)
    }

    #[test]
    fn superuser_is_admin_everywhere() {
        let s = Subject { is_superuser: true, memberships: &[], delegations: &[] };
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

    #[test]
    fn grants_never_exceed_the_granter() {
        assert!(may_grant(Some(Role::Admin), Role::Admin));
        assert!(may_grant(Some(Role::Member), Role::Viewer));
        assert!(!may_grant(Some(Role::Member), Role::Admin));
        assert!(!may_grant(None, Role::Viewer));
    }

    /// A reference model written differently: compute every org's role top-down over the tree.
    fn reference(kinds: &[OrgKind], member_roles: &[Option<Role>], delegated: &[bool], target: usize) -> Option<Role> {
        // The tree here is a path: org i's parent is i-1; org 0 is the root.
        let mut inherited: Option<Role> = None;
        let mut result = None;
        for i in 0..=target {
            if i > 0 && kinds[i - 1] == OrgKind::Msp {
                inherited = inherited.filter(|r| *r == Role::Admin);
            }
            inherited = inherited.max(member_roles[i]);
            if delegated[i] {
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
            prop_assert_eq!(
                role_in(&path, &memberships, &delegations),
                reference(&kinds, &member_roles, &delegated, target)
            );
        }
    }
}
