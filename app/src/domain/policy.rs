//! Who may do what: the one place that answers it. Every server function asks [`require`] before it
//! touches the backend; pages ask [`can`] only to hide what a person may not do.
//!
//! | action                      | booker         | institution admin       | zone manager | site admin |
//! |-----------------------------|----------------|-------------------------|--------------|------------|
//! | edit own profile, password  | own            | own                     | own          | own        |
//! | book a resource             | yes            | yes                     | yes          | yes        |
//! | cancel a booking            | own bookings   | own + their resources'  | own          | own        |
//! | manage resources, ledgers   | –              | their institution's     | –            | –          |
//! | run an institution          | –              | their institution       | –            | –          |
//! | invite to an institution    | –              | their institution       | –            | yes        |
//! | read an institution report  | –              | their institution       | its zone's   | –          |
//! | read the zone report        | –              | –                       | their zone   | –          |
//! | decide sign-up claims       | –              | –                       | their zone   | –          |
//! | grant and revoke roles      | –              | –                       | –            | yes        |
//! | read and retry the outbox   | –              | –                       | –            | yes        |

use super::account::{Actor, Role};
use super::ids::{OrganisationId, UserId, ZoneId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    EditProfile,
    Book,
    CancelBooking,
    ManageResource,
    RunInstitution,
    InviteMember,
    ReadInstitutionReport,
    ReadZoneReport,
    DecideClaims,
    ManageRoles,
    ManageOutbox,
}

/// What an action is done to, with the facts the policy needs about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Site,
    User(UserId),
    /// An institution, with the zone it belongs to.
    Institution {
        id: OrganisationId,
        zone: Option<ZoneId>,
    },
    Zone(ZoneId),
    Resource {
        institution: OrganisationId,
    },
    Booking {
        booker: UserId,
        institution: OrganisationId,
    },
}

/// Whether `actor` may do `action` to `target`.
pub fn can(actor: &Actor, action: Action, target: Target) -> bool {
    let admin_of = |id: OrganisationId| actor.has(Role::InstitutionAdmin(id));
    let manager_of = |zone: Option<ZoneId>| zone.is_some_and(|z| actor.has(Role::ZoneManager(z)));
    match (action, target) {
        (Action::EditProfile, Target::User(user)) => user == actor.user,
        (Action::Book, Target::Resource { .. }) => true,
        (
            Action::CancelBooking,
            Target::Booking {
                booker,
                institution,
            },
        ) => booker == actor.user || admin_of(institution),
        (Action::ManageResource, Target::Resource { institution }) => admin_of(institution),
        (Action::RunInstitution, Target::Institution { id, .. }) => admin_of(id),
        (Action::InviteMember, Target::Institution { id, .. }) => {
            admin_of(id) || actor.is_site_admin()
        }
        (Action::ReadInstitutionReport, Target::Institution { id, zone }) => {
            admin_of(id) || manager_of(zone)
        }
        (Action::ReadZoneReport | Action::DecideClaims, Target::Zone(zone)) => {
            manager_of(Some(zone))
        }
        (Action::ManageRoles | Action::ManageOutbox, Target::Site) => actor.is_site_admin(),
        // An action asked about the wrong kind of target is a programming error: refuse it.
        _ => false,
    }
}

/// Why the gate refused: nobody is signed in, or the person signed in may not do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    NotSignedIn,
    Forbidden,
}

/// The server's gate: not signed in, or signed in and not allowed, or allowed.
pub fn require(actor: Option<&Actor>, action: Action, target: Target) -> Result<(), Denied> {
    let actor = actor.ok_or(Denied::NotSignedIn)?;
    if can(actor, action, target) {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{Language, OrganisationKind};
    use crate::domain::vocabulary::Bilingual;

    fn person(id: i64, roles: Vec<Role>) -> Actor {
        Actor {
            user: UserId(id),
            name: format!("p{id}"),
            email: format!("p{id}@x.cn"),
            language: Language::ZhCn,
            organisation: OrganisationId(100),
            organisation_name: Bilingual::default(),
            organisation_kind: OrganisationKind::Lab,
            zone: None,
            membership: crate::domain::account::Membership::Confirmed,
            roles,
        }
    }

    const A: OrganisationId = OrganisationId(1);
    const B: OrganisationId = OrganisationId(2);
    const ZONE: ZoneId = ZoneId(1);

    #[test]
    fn institution_admins_act_on_their_own_institution_only() {
        let admin = person(1, vec![Role::InstitutionAdmin(A)]);
        let own = Target::Resource { institution: A };
        let other = Target::Resource { institution: B };
        assert!(can(&admin, Action::ManageResource, own));
        assert!(!can(&admin, Action::ManageResource, other));
        let booking_at_b = Target::Booking {
            booker: UserId(9),
            institution: B,
        };
        assert!(!can(&admin, Action::CancelBooking, booking_at_b));
        assert!(can(
            &admin,
            Action::CancelBooking,
            Target::Booking {
                booker: UserId(9),
                institution: A
            }
        ));
    }

    #[test]
    fn bookers_cancel_only_their_own_bookings() {
        let booker = person(5, vec![]);
        let theirs = Target::Booking {
            booker: UserId(5),
            institution: A,
        };
        let someone_elses = Target::Booking {
            booker: UserId(6),
            institution: A,
        };
        assert!(can(&booker, Action::CancelBooking, theirs));
        assert!(!can(&booker, Action::CancelBooking, someone_elses));
        assert!(!can(&booker, Action::ManageRoles, Target::Site));
        assert!(!can(&booker, Action::EditProfile, Target::User(UserId(6))));
    }

    #[test]
    fn zone_managers_read_reports_of_their_zone() {
        let manager = person(3, vec![Role::ZoneManager(ZONE)]);
        assert!(can(&manager, Action::ReadZoneReport, Target::Zone(ZONE)));
        assert!(!can(
            &manager,
            Action::ReadZoneReport,
            Target::Zone(ZoneId(2))
        ));
        assert!(can(&manager, Action::DecideClaims, Target::Zone(ZONE)));
        assert!(!can(
            &manager,
            Action::DecideClaims,
            Target::Zone(ZoneId(2))
        ));
        let admin = person(4, vec![Role::InstitutionAdmin(A), Role::SiteAdmin]);
        assert!(!can(&admin, Action::DecideClaims, Target::Zone(ZONE)));
        let inst = Target::Institution {
            id: A,
            zone: Some(ZONE),
        };
        assert!(can(&manager, Action::ReadInstitutionReport, inst));
        assert!(!can(&manager, Action::RunInstitution, inst));
        assert!(!can(
            &manager,
            Action::ManageResource,
            Target::Resource { institution: A }
        ));
    }

    #[test]
    fn the_gate_tells_signed_out_from_forbidden() {
        let booker = person(5, vec![]);
        assert_eq!(
            require(None, Action::ManageOutbox, Target::Site),
            Err(Denied::NotSignedIn)
        );
        assert_eq!(
            require(Some(&booker), Action::ManageOutbox, Target::Site),
            Err(Denied::Forbidden)
        );
        let site = person(7, vec![Role::SiteAdmin]);
        assert_eq!(
            require(Some(&site), Action::ManageOutbox, Target::Site),
            Ok(())
        );
        // A mismatched action and target is refused, never allowed by accident.
        assert!(!can(&site, Action::ManageRoles, Target::User(UserId(7))));
    }
}
