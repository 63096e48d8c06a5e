//! Enumerations of the domain: roles, org kinds, statuses.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// The lowercase name used in the API and the database.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        /// For reading a stored value: one that doesn't parse is an error, never a default.
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse().map_err(|e| format!("{s:?} is not a {}: {e}", stringify!($name)))
            }
        }
    };
}

string_enum! {
    /// A role in an org. Ordered: `Viewer < Member < Admin`.
    Role { Viewer => "viewer", Member => "member", Admin => "admin" }
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Member => 1,
            Role::Admin => 2,
        }
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

string_enum! {
    /// Where an org stands in the tree: MSP roots, customers under an MSP, child tenants below.
    OrgKind { Msp => "msp", Customer => "customer", Child => "child" }
}

string_enum! {
    /// A suspended org keeps its data, but its users can't sign in and its tokens stop.
    OrgStatus { Active => "active", Suspended => "suspended" }
}

string_enum! {
    /// A disabled user's sessions and tokens stop at once.
    UserStatus { Active => "active", Disabled => "disabled" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Viewer < Role::Member);
        assert!(Role::Member < Role::Admin);
        assert_eq!(Role::ALL.iter().max(), Some(&Role::Admin));
    }

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for kind in OrgKind::ALL {
            assert_eq!(kind.as_str().parse::<OrgKind>(), Ok(*kind));
        }
        assert!("owner".parse::<Role>().unwrap_err().contains("admin"));
        assert!("Admin".parse::<Role>().is_err());
    }
}

string_enum! {
    /// What a managed asset is.
    AssetKind { Computer => "computer", MonitoredSystem => "monitored_system", Gateway => "gateway" }
}
