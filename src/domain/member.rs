//! Adding members and changing their role or name, checked; and how long an invitation lasts.

use super::account::parse_email;
use super::credentials::check_password;
use super::validation::text;
use super::{FieldErrors, Role};

/// An invitation link works for this long, once.
pub const INVITE_LIFETIME: chrono::Duration = chrono::Duration::days(7);
/// Prefix of invitation tokens, so that a leaked one is recognisable.
pub const INVITE_TOKEN_PREFIX: &str = "inv_";

/// `POST /members` and the add-member form, as sent.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewMemberInput {
    #[serde(default)]
    // `account::parse_email`'s plausible address, in ASCII.
    #[schema(
        required = true,
        max_length = 254,
        pattern = r"^\s*[!-?A-~]+@[!-\-/-?A-~]([!-?A-~]*[!-\-/-?A-~])?\.[!-\-/-?A-~]([!-?A-~]*[!-\-/-?A-~])?\s*$"
    )]
    pub email: String,
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(required = true, value_type = super::Role)]
    pub role: String,
    /// Empty or absent: the member is invited to choose one.
    #[serde(default)]
    pub password: Option<String>,
}

/// A member to add, checked.
#[derive(Debug)]
pub struct NewMember {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Option<String>,
}

impl NewMemberInput {
    pub fn parse(&self) -> Result<NewMember, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = parse_email(&mut errors, "email", &self.email);
        let name = text(&mut errors, "name", &self.name, 1, 200);
        let role = parse_role(&mut errors, &self.role);
        let password = self.password.clone().filter(|p| !p.is_empty());
        if let Some(password) = &password {
            check_password(&mut errors, "password", password);
        }
        errors.into_result()?;
        Ok(NewMember {
            email,
            name,
            role: role.unwrap_or(Role::Member),
            password,
        })
    }
}

/// `PATCH /members/{id}`, as sent: a field left out keeps its value.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct MemberChangesInput {
    #[schema(value_type = Option<super::Role>)]
    pub role: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// Changes to a member, checked.
#[derive(Debug, Default, PartialEq)]
pub struct MemberChanges {
    pub role: Option<Role>,
    pub name: Option<String>,
}

impl MemberChangesInput {
    pub fn parse(&self) -> Result<MemberChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let role = self
            .role
            .as_deref()
            .and_then(|role| parse_role(&mut errors, role));
        let name = self
            .name
            .as_deref()
            .map(|name| text(&mut errors, "name", name, 1, 200));
        errors.into_result()?;
        Ok(MemberChanges { role, name })
    }
}

fn parse_role(errors: &mut FieldErrors, role: &str) -> Option<Role> {
    match role.trim() {
        "" => {
            errors.add("role", "is required");
            None
        }
        text => text
            .parse()
            .map_err(|message: String| errors.add("role", message))
            .ok(),
    }
}

/// Whether a change of role leaves the organization without an admin: `admins` counts the admins
/// now, `was` and `becomes` are the member's role before and after.
pub fn removes_last_admin(admins: i64, was: Role, becomes: Option<Role>) -> bool {
    was == Role::Admin && becomes != Some(Role::Admin) && admins <= 1
}

/// What an invited member chooses on the invitation page, checked.
pub struct Acceptance {
    pub name: String,
    pub password: String,
}

impl Acceptance {
    pub fn parse(name: &str, password: &str) -> Result<Acceptance, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = text(&mut errors, "name", name, 1, 200);
        check_password(&mut errors, "password", password);
        errors.into_result()?;
        Ok(Acceptance {
            name,
            password: password.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_member_names_every_bad_field() {
        let input = NewMemberInput {
            email: "nope".into(),
            name: " ".into(),
            role: "owner".into(),
            password: Some("short".into()),
        };
        let errors = input.parse().unwrap_err();
        assert_eq!(errors.get("email"), Some("is not an email address"));
        assert_eq!(errors.get("name"), Some("is required"));
        assert_eq!(errors.get("role"), Some("must be one of: admin, member, viewer"));
        assert!(errors.get("password").is_some());
    }

    #[test]
    fn an_empty_password_means_an_invitation() {
        let input = NewMemberInput {
            email: "Pat@Example.test".into(),
            name: "Pat".into(),
            role: "viewer".into(),
            password: Some(String::new()),
        };
        let member = input.parse().unwrap();
        assert_eq!(member.email, "pat@example.test");
        assert_eq!(member.role, Role::Viewer);
        assert_eq!(member.password, None);
    }

    #[test]
    fn only_the_last_admin_is_kept() {
        assert!(removes_last_admin(1, Role::Admin, Some(Role::Member)));
        assert!(removes_last_admin(1, Role::Admin, None));
        assert!(!removes_last_admin(2, Role::Admin, None));
        assert!(!removes_last_admin(1, Role::Admin, Some(Role::Admin)));
        assert!(!removes_last_admin(1, Role::Member, None));
    }
}
