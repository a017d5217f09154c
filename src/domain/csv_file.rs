//! Reading an uploaded CSV file by its header names: the imports' common ground (SPEC §12).

use std::collections::HashMap;

use super::FieldErrors;

/// A CSV file opened for its records, and where each named column is.
pub struct CsvFile<'a> {
    pub reader: csv::Reader<&'a [u8]>,
    /// The first column of each name (trimmed): Jira repeats some (Labels, Sprint, Comment).
    pub columns: HashMap<String, usize>,
}

impl CsvFile<'_> {
    /// Opens `text` (a byte-order mark allowed), or says which of the `required` columns it
    /// lacks, with `hint` on what file to send instead (422 on `body`).
    pub fn open<'a>(text: &'a str, required: &[&str], hint: &str) -> Result<CsvFile<'a>, FieldErrors> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| FieldErrors::single("body", format!("is not a CSV file: {e}")))?;
        let mut columns: HashMap<String, usize> = HashMap::new();
        for (index, name) in headers.iter().enumerate() {
            columns.entry(name.trim().to_owned()).or_insert(index);
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|name| !columns.contains_key(*name))
            .collect();
        if !missing.is_empty() {
            return Err(FieldErrors::single(
                "body",
                format!("lacks the columns {}: {hint}", missing.join(", ")),
            ));
        }
        Ok(CsvFile { reader, columns })
    }
}
