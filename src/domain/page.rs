//! Cursor pagination of lists: `{items, next_cursor}` with an opaque keyset cursor on the id.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::FieldErrors;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// The paging part of a list's query string, as sent.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    // Sixteen bytes in unpadded base64url: the last of 22 characters carries two bits.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn parse(&self) -> Result<PageRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let page = PageRequest::parse(&mut errors, self.limit.as_deref(), self.cursor.as_deref());
        errors.into_result().map(|()| page)
    }
}

/// Which page a client asked for, checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageRequest {
    pub limit: i64,
    /// The id of the last row of the previous page; the next page starts after it.
    pub after: Option<Uuid>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl PageRequest {
    pub fn parse(errors: &mut FieldErrors, limit: Option<&str>, cursor: Option<&str>) -> PageRequest {
        let limit = match limit.map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.add("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"));
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match cursor.map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let id = decode_cursor(text);
                if id.is_none() {
                    errors.add("cursor", "is not a cursor this API returned");
                }
                id
            }
        };
        PageRequest { limit, after }
    }

    /// One row more than the page holds tells whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }
}

/// One page of a list, in the shape every list answers.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }

    /// Cuts rows fetched with `fetch_limit()` down to the page, pointing the cursor at its last row.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest, id: impl Fn(&T) -> Uuid) -> Page<T> {
        let more = rows.len() as i64 > request.limit;
        rows.truncate(request.limit as usize);
        let next_cursor = if more {
            rows.last().map(|row| encode_cursor(id(row)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// Opaque to clients so that the keyset may change without breaking them.
fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(text: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    Uuid::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_are_bounded() {
        let mut errors = FieldErrors::new();
        assert_eq!(
            PageRequest::parse(&mut errors, None, None),
            PageRequest::default()
        );
        assert_eq!(PageRequest::parse(&mut errors, Some("500"), None).limit, 500);
        assert!(errors.is_empty());
        for bad in ["0", "501", "-1", "ten"] {
            let mut errors = FieldErrors::new();
            PageRequest::parse(&mut errors, Some(bad), None);
            assert!(errors.get("limit").is_some(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = Page::from_rows(
            ids.clone(),
            &PageRequest {
                limit: 2,
                after: None,
            },
            |id| *id,
        );
        assert_eq!(page.items, ids[..2]);
        let mut errors = FieldErrors::new();
        let next = PageRequest::parse(&mut errors, None, page.next_cursor.as_deref());
        assert_eq!(next.after, Some(ids[1]));
        PageRequest::parse(&mut errors, None, Some("not-a-cursor!"));
        assert!(errors.get("cursor").is_some());
        let last = Page::from_rows(
            ids,
            &PageRequest {
                limit: 3,
                after: None,
            },
            |id| *id,
        );
        assert_eq!(last.next_cursor, None);
    }
}
