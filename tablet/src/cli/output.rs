//! Printing results: text for a person, one JSON document with `--json`.

use crate::error::TabletError;
use crate::store::Account;
use crate::{HouseholdRow, HouseholdView, SetOutcome, Status, SyncSummary};
use serde::Serialize;
use serde_json::json;
use std::io::{self, Write};
use zoufang_schemas::Task;

/// What a command produced.
#[derive(Debug)]
pub enum Report {
    /// Logged in.
    LoggedIn(Account),
    /// A sync finished.
    Synced(SyncSummary),
    /// The household list.
    List(Vec<HouseholdRow>),
    /// One household.
    Show(Box<HouseholdView>),
    /// A field was set.
    Set(SetOutcome),
    /// An entry was created: (kind, id).
    Created(&'static str, String),
    /// A natural change was recorded.
    Change {
        /// Event id.
        event: String,
        /// Member id.
        member: String,
    },
    /// Something was done.
    Done(String),
    /// The tasks.
    Tasks(Vec<Task>),
    /// The status.
    Status(Box<Status>),
}

fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

impl Report {
    fn json(&self) -> serde_json::Value {
        match self {
            Report::LoggedIn(a) => json!({
                "username": a.username, "server": a.server, "role": a.role,
                "scope": a.scope, "device_id": a.device_id, "actor": a.actor,
            }),
            Report::Synced(s) => to_json(s),
            Report::List(rows) => to_json(rows),
            Report::Show(view) => to_json(view),
            Report::Set(outcome) => to_json(outcome),
            Report::Created(kind, id) => json!({ "created": kind, "id": id }),
            Report::Change { event, member } => json!({ "event": event, "member": member }),
            Report::Done(message) => json!({ "done": message }),
            Report::Tasks(tasks) => to_json(tasks),
            Report::Status(status) => to_json(status),
        }
    }
}

/// Prints a result.
pub fn print(out: &mut dyn Write, report: &Report, json: bool) -> io::Result<()> {
    if json {
        return writeln!(out, "{}", report.json());
    }
    match report {
        Report::LoggedIn(a) => writeln!(
            out,
            "logged in as {} ({}, scope {}) on {}; device {}",
            a.username, a.role, a.scope, a.server, a.device_id
        ),
        Report::Synced(s) => {
            let f = &s.figures;
            writeln!(
                out,
                "synced: {} documents sent, {} received, {} purged; {} bytes up, {} bytes down; \
                 {} round trips; {} conflicts; {} refused; {} photos uploaded",
                f.docs_sent,
                f.docs_received,
                f.docs_purged,
                f.bytes_up,
                f.bytes_down,
                f.round_trips,
                f.conflicts,
                f.refused,
                f.photos_uploaded
            )?;
            for (doc, code, message) in &s.refusals {
                writeln!(out, "  refused {doc}: {code}: {message}")?;
            }
            Ok(())
        }
        Report::List(rows) => {
            for r in rows {
                writeln!(
                    out,
                    "{}  {}  {:<8} {} members  {}  {}{}{}",
                    r.id,
                    r.village,
                    r.head.as_deref().unwrap_or("-"),
                    r.members,
                    r.hh_type,
                    match &r.visited_on {
                        Some(d) => format!("visited {d}"),
                        None => "not visited".to_owned(),
                    },
                    if r.pending_changes > 0 {
                        format!("  {} unsent", r.pending_changes)
                    } else {
                        String::new()
                    },
                    if r.conflicts > 0 {
                        format!("  {} conflicts", r.conflicts)
                    } else {
                        String::new()
                    }
                )?;
            }
            writeln!(out, "{} households", rows.len())
        }
        Report::Show(view) => {
            writeln!(out, "household {}", view.id)?;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&view.record).unwrap_or_default()
            )?;
            for c in &view.conflicts {
                let values: Vec<String> =
                    c.candidates.iter().map(|k| k.value.to_string()).collect();
                writeln!(out, "conflict at {}: {}", c.path, values.join(" / "))?;
            }
            writeln!(
                out,
                "{} unsent changes, {} photos",
                view.pending_changes,
                view.photos.len()
            )
        }
        Report::Set(o) => {
            writeln!(
                out,
                "{} {} = {}{}",
                o.household,
                o.path,
                o.value,
                if o.changed { "" } else { " (unchanged)" }
            )?;
            for (severity, code, message) in &o.issues {
                writeln!(out, "  {severity} {code}: {message}")?;
            }
            Ok(())
        }
        Report::Created(kind, id) => writeln!(out, "{kind} {id}"),
        Report::Change { event, member } => writeln!(out, "event {event} (member {member})"),
        Report::Done(message) => writeln!(out, "{message}"),
        Report::Tasks(tasks) => {
            for t in tasks {
                writeln!(
                    out,
                    "{}  {}  {}  {}{}",
                    t.id,
                    t.kind.label_zh(),
                    t.household.as_deref().unwrap_or("-"),
                    t.title,
                    t.due.map(|d| format!("  due {d}")).unwrap_or_default()
                )?;
            }
            writeln!(out, "{} tasks", tasks.len())
        }
        Report::Status(s) => {
            writeln!(
                out,
                "user {} on {}",
                s.username.as_deref().unwrap_or("(not logged in)"),
                s.server.as_deref().unwrap_or("-")
            )?;
            writeln!(
                out,
                "{} households; {} with unsent changes ({} changes); {} photos to upload ({} bytes); {} tasks",
                s.documents,
                s.pending_documents,
                s.pending_changes,
                s.pending_photos,
                s.pending_photo_bytes,
                s.tasks
            )?;
            match &s.last_sync {
                Some(l) => writeln!(
                    out,
                    "last sync {}",
                    chrono::DateTime::from_timestamp(l.at, 0)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()
                ),
                None => writeln!(out, "never synced"),
            }
        }
    }
}

/// Prints an error with its code.
pub fn print_error(err: &mut dyn Write, error: &TabletError, json: bool) -> io::Result<()> {
    if json {
        writeln!(
            err,
            "{}",
            json!({ "error": { "code": error.code(), "message": error.to_string(), "message_zh": error.message_zh() } })
        )
    } else {
        writeln!(
            err,
            "error [{}]: {} / {}",
            error.code(),
            error.message_zh(),
            error
        )
    }
}
