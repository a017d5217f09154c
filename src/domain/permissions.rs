//! Who may change what (SPEC §5), as pure rules. Admins: everything. Viewers: nothing. Members: a
//! portfolio and everything in its subtree when they own it or one of its ancestors, and any work
//! (an initiative, an objective and its key results) they own.
//!
//! The rules take what they decide on — the caller, and the owners along the target's chain of
//! portfolios from the top down to itself — and never read it themselves: the database layer loads
//! the chain once (`db::permissions`) and asks here, and a page that shows the chain anyway (a
//! roll-up's breadcrumb) asks the same function what to offer.

use std::collections::HashSet;

use uuid::Uuid;

use super::Role;

/// The signed-in person and the organization their session or token is bound to.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub org_id: Uuid,
    pub org_name: String,
}

/// Viewers read only.
pub fn may_write(caller: &Caller) -> bool {
    caller.role.can_write()
}

/// Organization-wide settings, members and top-level portfolios are for admins.
pub fn may_administer(caller: &Caller) -> bool {
    caller.role == Role::Admin
}

/// Whether the caller may edit the portfolio whose chain of owners, from the top down to itself,
/// is `owners` — and so everything in its subtree.
pub fn may_edit_portfolio(caller: &Caller, owners: impl IntoIterator<Item = Option<Uuid>>) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Viewer => false,
        Role::Member => owners.into_iter().any(|owner| owner == Some(caller.user_id)),
    }
}

/// Whether the caller may update owned work: its owner, or whoever may edit its portfolio (whose
/// chain of owners is `portfolio_owners`).
pub fn may_edit_owned(
    caller: &Caller,
    owner_id: Option<Uuid>,
    portfolio_owners: impl IntoIterator<Item = Option<Uuid>>,
) -> bool {
    (caller.role == Role::Member && owner_id == Some(caller.user_id))
        || may_edit_portfolio(caller, portfolio_owners)
}

/// Whether the caller may create a portfolio under the one whose chain of owners is
/// `parent_owners`; at the top (`None`), admins only.
pub fn may_create_portfolio(caller: &Caller, parent_owners: Option<Vec<Option<Uuid>>>) -> bool {
    match parent_owners {
        None => may_administer(caller),
        Some(owners) => may_edit_portfolio(caller, owners),
    }
}

/// The portfolios a caller may edit, all at once: what a form offers as parents or homes.
pub enum EditablePortfolios {
    All,
    Only(HashSet<Uuid>),
}

impl EditablePortfolios {
    /// From the caller's role and, for a member, the subtrees of the portfolios they own.
    pub fn of(caller: &Caller, owned_subtrees: impl IntoIterator<Item = Uuid>) -> EditablePortfolios {
        match caller.role {
            Role::Admin => EditablePortfolios::All,
            Role::Viewer => EditablePortfolios::Only(HashSet::new()),
            Role::Member => EditablePortfolios::Only(owned_subtrees.into_iter().collect()),
        }
    }

    pub fn contains(&self, portfolio_id: Uuid) -> bool {
        match self {
            EditablePortfolios::All => true,
            EditablePortfolios::Only(ids) => ids.contains(&portfolio_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: Uuid::new_v4(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role,
            org_id: Uuid::new_v4(),
            org_name: "Org".into(),
        }
    }

    #[test]
    fn a_member_edits_below_what_they_own_and_their_own_work() {
        let member = caller(Role::Member);
        let someone = Some(Uuid::new_v4());
        let me = Some(member.user_id);
        assert!(may_edit_portfolio(&member, [someone, me, None]));
        assert!(!may_edit_portfolio(&member, [someone, None]));
        assert!(may_edit_owned(&member, me, [someone]));
        assert!(!may_edit_owned(&member, someone, [someone]));
        assert!(!may_create_portfolio(&member, None));
        assert!(may_create_portfolio(&member, Some(vec![me])));
        assert!(may_write(&member) && !may_administer(&member));
    }

    #[test]
    fn admins_edit_everything_and_viewers_nothing() {
        let admin = caller(Role::Admin);
        let viewer = caller(Role::Viewer);
        let viewer_owns = Some(viewer.user_id);
        assert!(may_edit_portfolio(&admin, []) && may_create_portfolio(&admin, None));
        assert!(!may_edit_portfolio(&viewer, [viewer_owns]));
        assert!(!may_edit_owned(&viewer, viewer_owns, [viewer_owns]));
        assert!(!may_write(&viewer));
        assert!(EditablePortfolios::of(&admin, []).contains(Uuid::new_v4()));
        let owned = Uuid::new_v4();
        assert!(!EditablePortfolios::of(&viewer, [owned]).contains(owned));
        assert!(EditablePortfolios::of(&caller(Role::Member), [owned]).contains(owned));
    }
}
