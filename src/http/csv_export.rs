//! CSV downloads: proper quoting by the `csv` crate, a guard against spreadsheet formulas, and
//! long exports streamed to the client as the database yields their rows.

use std::borrow::Cow;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

/// A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return before one) gets a leading single quote, so it stays text (OWASP "CSV injection").
pub fn text_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A CSV download named `filename`.
pub fn download(filename: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A whole CSV document built in memory from a header and records: for short tables.
pub fn document<R, I>(header: &[&str], records: R) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for record in records {
        writer.write_record(record)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Past this many buffered bytes, a streamed export sends what it has.
const CHUNK: usize = 64 * 1024;

/// The writing end of a streamed CSV body: records go in, chunks go out to the client.
pub struct CsvSink {
    writer: csv::Writer<Vec<u8>>,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

/// The client stopped reading: the export can stop.
#[derive(Debug)]
pub struct ClientGone;

/// A CSV body that starts with `header`, and the sink that writes the rest of it.
pub fn channel(header: &[&str]) -> (CsvSink, Body) {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(CHUNK));
    // Writing into memory cannot fail.
    writer.write_record(header).expect("a header into a Vec");
    let body = Body::from_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
    ));
    (CsvSink { writer, sender }, body)
}

impl CsvSink {
    pub async fn write<I>(&mut self, record: I) -> Result<(), ClientGone>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.writer.write_record(record).expect("a record into a Vec");
        if self.writer.get_ref().len() >= CHUNK {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> Result<(), ClientGone> {
        // A fresh writer per chunk: records never straddle two writers.
        let full = std::mem::replace(
            &mut self.writer,
            csv::Writer::from_writer(Vec::with_capacity(CHUNK)),
        );
        let chunk = full.into_inner().expect("a flush into a Vec");
        self.sender
            .send(Ok(Bytes::from(chunk)))
            .await
            .map_err(|_| ClientGone)
    }

    /// Sends the rest; the body ends when the sink is dropped.
    pub async fn finish(mut self) {
        let _ = self.send().await;
    }

    /// A database error mid-way aborts the response rather than ending a truncated file quietly.
    pub async fn fail(self, error: sqlx::Error) {
        tracing::error!(error = ?error, "CSV export failed");
        let _ = self.sender.send(Err(std::io::Error::other(error))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quoting_is_proper() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for risky in ["+1", "-1", "@SUM(A1)", "\t=1"] {
            assert!(text_cell(risky).starts_with('\''), "{risky}");
        }
        assert_eq!(text_cell("Checkout v2"), "Checkout v2");
        let csv = document(&["title"], [[text_cell("=a, \"b\"").as_ref()]]).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap(), "title\n\"'=a, \"\"b\"\"\"\n");
    }
}
