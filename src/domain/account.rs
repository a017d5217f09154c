//! Sign-up and sign-in input, checked.

use super::FieldErrors;
use super::credentials::check_password;
use super::org::NewOrganization;
use super::validation::text;

/// A new organization and its first admin.
#[derive(Debug)]
pub struct SignUp {
    pub org: NewOrganization,
    pub name: String,
    pub email: String,
    pub password: String,
}

impl SignUp {
    pub fn parse(org_name: &str, name: &str, email: &str, password: &str) -> Result<SignUp, FieldErrors> {
        let mut errors = FieldErrors::new();
        let org = NewOrganization::parse(&mut errors, org_name);
        let name = text(&mut errors, "name", name, 1, 200);
        let email = parse_email(&mut errors, "email", email);
        check_password(&mut errors, "password", password);
        errors.into_result()?;
        Ok(SignUp {
            org,
            name,
            email,
            password: password.to_owned(),
        })
    }
}

/// Lower-cased and trimmed; a plausible address (the real check is the invite or sign-in).
pub fn parse_email(errors: &mut FieldErrors, field: &str, email: &str) -> String {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if email.is_empty() {
        errors.add(field, "is required");
    } else if !plausible {
        errors.add(field, "is not an email address");
    }
    email
}

/// Whether `email` could be an account's email: `parse_email` takes it.
pub fn is_email(email: &str) -> bool {
    let mut errors = FieldErrors::new();
    parse_email(&mut errors, "email", email);
    errors.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_up_names_every_bad_field() {
        let errors = SignUp::parse(" ", "", "not-an-email", "short").unwrap_err();
        assert!(errors.get("org_name").is_some());
        assert!(errors.get("name").is_some());
        assert_eq!(errors.get("email"), Some("is not an email address"));
        assert_eq!(errors.get("password"), Some("must be at least 10 characters"));
    }

    #[test]
    fn emails_are_normalised() {
        let signup = SignUp::parse("Acme", "Ada", "  Ada@Example.COM ", "long enough password").unwrap();
        assert_eq!(signup.email, "ada@example.com");
        assert_eq!(signup.org.key_prefix, "ACME");
    }
}
