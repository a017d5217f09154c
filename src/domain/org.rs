//! Organizations: names, slugs and the prefix of initiative keys.

use super::FieldErrors;
use super::validation::text;

/// What sign-up asks for, checked.
#[derive(Debug)]
pub struct NewOrganization {
    pub name: String,
    pub slug: String,
    pub key_prefix: String,
}

impl NewOrganization {
    pub fn parse(errors: &mut FieldErrors, name: &str) -> NewOrganization {
        let name = text(errors, "org_name", name, 1, 200);
        let slug = slugify(&name);
        let key_prefix = key_prefix(&name);
        NewOrganization {
            name,
            slug,
            key_prefix,
        }
    }
}

/// "Acme Corp." → "acme-corp"; never empty.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(48).collect();
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() { "org".to_owned() } else { slug }
}

/// "Acme Corp" → "ACME": the first word's letters and digits, up to five, starting with a letter.
pub fn key_prefix(name: &str) -> String {
    let word: String = name
        .split_whitespace()
        .map(|w| w.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_ascii_uppercase();
    let prefix: String = word.chars().take(5).collect();
    match prefix.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => prefix,
        Some(_) => format!("X{}", &prefix[..prefix.len().min(4)]),
        None => "ORG".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_prefixes_come_from_the_name() {
        assert_eq!(slugify("Acme Corp."), "acme-corp");
        assert_eq!(slugify("  Ünïcode — only!! "), "n-code-only");
        assert_eq!(slugify("!!!"), "org");
        assert_eq!(key_prefix("Acme Corp"), "ACME");
        assert_eq!(key_prefix("Globex International"), "GLOBE");
        assert_eq!(key_prefix("3M"), "X3M");
        assert_eq!(key_prefix("—"), "ORG");
    }
}
