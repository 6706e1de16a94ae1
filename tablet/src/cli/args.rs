//! Arguments and what each command does.

use super::output::Report;
use crate::edits::{ChangeInput, MemberInput};
use crate::error::TabletError;
use crate::measures::MeasureInput;
use crate::tablet::Tablet;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use zoufang_schemas::{
    CodeEnum, EntryId, NaturalChangeKind, PhotoSubject, Quarter, Relation, Sex, YearMonth,
};

/// The Zoufang reference tablet: offline household visits, synced with the server.
#[derive(Debug, Parser)]
#[command(name = "zoufang-tablet", version)]
pub struct Cli {
    /// The tablet's home folder (its store, photos and login).
    #[arg(
        long,
        global = true,
        env = "ZOUFANG_TABLET_HOME",
        default_value = "tablet-home"
    )]
    pub home: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in (the password is read from standard input) and register this tablet.
    Login {
        /// Server URL, e.g. http://10.0.0.2:8080.
        #[arg(long)]
        server: String,
        /// Username.
        #[arg(long)]
        user: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// A name for this tablet the server shows.
        #[arg(long, default_value = "平板")]
        device_name: String,
    },
    /// Send local changes, receive the server's, upload photos.
    Sync,
    /// Households on this tablet with this quarter's visit status.
    List,
    /// One household in full (its id or a unique start of it).
    Show {
        /// Household id.
        household: String,
    },
    /// Set one field, e.g. `set 0b6f household.phone 13900000000`.
    Set {
        /// Household id.
        household: String,
        /// Field path, e.g. `members.<id>.education`.
        path: String,
        /// The value; `null` clears an optional field.
        value: String,
    },
    /// Add or remove a member.
    Member {
        #[command(subcommand)]
        action: MemberAction,
    },
    /// Record a birth, death, marriage or move.
    Change {
        #[command(subcommand)]
        action: ChangeAction,
    },
    /// Record this quarter's visit.
    Visit {
        #[command(subcommand)]
        action: VisitAction,
    },
    /// Add an assistance measure, change it, or record its quarterly check.
    Measure {
        #[command(subcommand)]
        action: MeasureAction,
    },
    /// Add a photo (queued for upload).
    Photo {
        #[command(subcommand)]
        action: PhotoAction,
    },
    /// Tasks from the server: risk clues to verify, returned visits.
    Tasks,
    /// Record what was found at the door for a risk clue (sent at the next sync).
    Clue {
        /// The clue's task id, e.g. `clue:17`.
        task: String,
        /// What was found.
        #[arg(long)]
        finding: String,
        /// Suggested outcome: INCLUDED, NOT_ELIGIBLE or ALREADY_COVERED.
        #[arg(long)]
        suggest: Option<String>,
    },
    /// Propose a household for monitoring as one of the 三类户 (sent at the next sync;
    /// the county decides).
    Propose {
        /// Household id (or a unique start of it).
        household: String,
        /// UNSTABLE_LIFTED 脱贫不稳定户, MARGINAL 边缘易致贫户 or SUDDEN_HARDSHIP 突发严重困难户.
        #[arg(long)]
        category: String,
        /// A risk type, e.g. ILLNESS (repeat for more, at most five).
        #[arg(long = "risk", required = true)]
        risks: Vec<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Pending changes, pending uploads, last sync.
    Status,
}

/// A new member's fields.
#[derive(Debug, Args)]
pub struct NewMember {
    /// Name.
    #[arg(long)]
    pub name: Option<String>,
    /// MALE or FEMALE (男/女).
    #[arg(long)]
    pub sex: Option<String>,
    /// Relation to the head, e.g. SON, DAUGHTER, SPOUSE (or 之子...).
    #[arg(long)]
    pub relation: Option<String>,
    /// Birth date, YYYY-MM-DD.
    #[arg(long)]
    pub birth_date: Option<NaiveDate>,
    /// ID number.
    #[arg(long)]
    pub id_number: Option<String>,
}

/// `member` subcommands.
#[derive(Debug, Subcommand)]
pub enum MemberAction {
    /// Add a member.
    Add {
        /// Household id.
        household: String,
        #[command(flatten)]
        member: NewMember,
    },
    /// Mark a member entered by mistake as removed.
    Remove {
        /// Household id.
        household: String,
        /// Member id.
        member: String,
    },
}

/// `change` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChangeAction {
    /// Record a natural change.
    Record {
        /// Household id.
        household: String,
        /// BIRTH, DEATH, MARRY_IN, MARRY_OUT, MOVE_IN, MOVE_OUT (or 出生, 死亡, ...).
        kind: String,
        /// The member who died, married out or moved out.
        #[arg(long)]
        member: Option<String>,
        #[command(flatten)]
        new_member: NewMember,
        /// When, YYYY-MM-DD.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
}

/// `measure` subcommands.
#[derive(Debug, Subcommand)]
pub enum MeasureAction {
    /// Add a measure, e.g. `measure add 0b6f EMPLOYMENT --progress IN_PROGRESS`.
    Add {
        /// Household id.
        household: String,
        /// One of the twelve: INDUSTRY, FINANCE, EMPLOYMENT, HOUSING, WATER, HEALTH,
        /// EDUCATION, SOCIAL, RELOCATION, SOCIAL_SECURITY, DEDICATED_HELPER, RISK_FUND.
        kind: String,
        /// PLANNED, IN_PROGRESS or DONE.
        #[arg(long, default_value = "PLANNED")]
        progress: String,
        /// What is done.
        #[arg(long)]
        description: Option<String>,
        /// The department responsible, e.g. HUMAN_RESOURCES.
        #[arg(long)]
        department: Option<String>,
        /// Funds in yuan.
        #[arg(long)]
        funds: Option<f64>,
        /// Month it started, YYYY-MM.
        #[arg(long)]
        start: Option<String>,
        /// Month it is planned to end, YYYY-MM.
        #[arg(long)]
        planned_end: Option<String>,
    },
    /// Set one field of a measure, e.g. `measure set 0b6f <measure> progress DONE`.
    Set {
        /// Household id.
        household: String,
        /// Measure id.
        measure: String,
        /// progress, funds, description, department, start_month, planned_end.
        field: String,
        /// The value.
        value: String,
    },
    /// Record the quarter's implementation check of a measure.
    Check {
        /// Household id.
        household: String,
        /// Measure id.
        measure: String,
        /// The quarter, e.g. 2026Q4.
        #[arg(long)]
        quarter: String,
        /// Whether it was carried out: true or false.
        #[arg(long)]
        carried_out: bool,
        /// What was found.
        #[arg(long)]
        note: Option<String>,
    },
}

/// `visit` subcommands.
#[derive(Debug, Subcommand)]
pub enum VisitAction {
    /// Record a visit (today unless --date).
    Record {
        /// Household id.
        household: String,
        /// Visit date, YYYY-MM-DD.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Notes.
        #[arg(long)]
        notes: Option<String>,
    },
}

/// `photo` subcommands.
#[derive(Debug, Subcommand)]
pub enum PhotoAction {
    /// Add a photo of HOUSING, WATER, VISIT or OTHER.
    Add {
        /// Household id.
        household: String,
        /// HOUSING, WATER, VISIT or OTHER (住房安全, 饮水安全, ...).
        kind: String,
        /// The image file.
        file: PathBuf,
        /// The measure the photo evidences (its id).
        #[arg(long)]
        measure: Option<String>,
    },
}

/// A code of an enumeration, given as its code (any case) or its Chinese label.
pub fn parse_code<T: CodeEnum>(text: &str) -> Result<T, TabletError> {
    let wanted = text.trim();
    T::all()
        .iter()
        .copied()
        .find(|v| v.code().eq_ignore_ascii_case(wanted) || v.label_zh() == wanted)
        .ok_or_else(|| {
            let codes: Vec<&str> = T::all().iter().map(|v| v.code()).collect();
            TabletError::Invalid(format!(
                "{wanted} is not a {}; one of {}",
                T::NAME,
                codes.join(", ")
            ))
        })
}

impl NewMember {
    fn given(&self) -> bool {
        self.name.is_some() || self.sex.is_some() || self.relation.is_some()
    }

    fn input(&self) -> Result<MemberInput, TabletError> {
        let missing = |what: &str| TabletError::Invalid(format!("--{what} is required"));
        Ok(MemberInput {
            name: self.name.clone().ok_or_else(|| missing("name"))?,
            sex: parse_code::<Sex>(self.sex.as_deref().ok_or_else(|| missing("sex"))?)?,
            relation: parse_code::<Relation>(
                self.relation
                    .as_deref()
                    .ok_or_else(|| missing("relation"))?,
            )?,
            birth_date: self.birth_date,
            id_number: self.id_number.clone(),
        })
    }
}

fn read_password(input: &mut dyn BufRead) -> Result<String, TabletError> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(TabletError::Invalid("no password on standard input".into()));
    }
    Ok(password)
}

pub(super) async fn execute(
    tablet: &Tablet,
    command: Command,
    input: &mut dyn BufRead,
) -> Result<Report, TabletError> {
    Ok(match command {
        Command::Login {
            server,
            user,
            device_name,
            ..
        } => {
            let password = read_password(input)?;
            Report::LoggedIn(
                tablet
                    .login(&server, &user, &password, &device_name)
                    .await?,
            )
        }
        Command::Sync => Report::Synced(tablet.sync().await?),
        Command::List => Report::List(tablet.list().await?),
        Command::Show { household } => Report::Show(Box::new(tablet.show(&household).await?)),
        Command::Set {
            household,
            path,
            value,
        } => Report::Set(tablet.set(&household, &path, &value).await?),
        Command::Member { action } => match action {
            MemberAction::Add { household, member } => {
                let id = tablet.add_member(&household, &member.input()?).await?;
                Report::Created("member", id.to_string())
            }
            MemberAction::Remove { household, member } => {
                tablet.remove_member(&household, &member).await?;
                Report::Done(format!("member {member} marked removed"))
            }
        },
        Command::Change {
            action:
                ChangeAction::Record {
                    household,
                    kind,
                    member,
                    new_member,
                    date,
                    note,
                },
        } => {
            let change = ChangeInput {
                kind: parse_code::<NaturalChangeKind>(&kind)?,
                member,
                new_member: if new_member.given() {
                    Some(new_member.input()?)
                } else {
                    None
                },
                date,
                note,
            };
            let (event, member) = tablet.record_change(&household, &change).await?;
            Report::Change {
                event: event.to_string(),
                member: member.to_string(),
            }
        }
        Command::Visit {
            action:
                VisitAction::Record {
                    household,
                    date,
                    notes,
                },
        } => {
            let date = date.unwrap_or_else(|| chrono::Local::now().date_naive());
            let id = tablet
                .record_visit(&household, date, notes.as_deref())
                .await?;
            Report::Created("visit", id.to_string())
        }
        Command::Measure { action } => measure(tablet, action).await?,
        Command::Photo {
            action:
                PhotoAction::Add {
                    household,
                    kind,
                    file,
                    measure,
                },
        } => {
            let subject = parse_code::<PhotoSubject>(&kind)?;
            let measure = measure
                .map(|m| EntryId::parse(m.trim()).map_err(|e| TabletError::Invalid(e.to_string())))
                .transpose()?;
            let hash = tablet
                .add_photo_of(&household, subject, &file, measure.as_ref())
                .await?;
            Report::Created("photo", hash.to_string())
        }
        Command::Tasks => Report::Tasks(tablet.store().tasks().await?),
        Command::Clue {
            task,
            finding,
            suggest,
        } => {
            tablet
                .record_finding(&task, &finding, suggest.as_deref())
                .await?;
            Report::Done(format!("finding for {task} kept; sent at the next sync"))
        }
        Command::Propose {
            household,
            category,
            risks,
            reason,
        } => {
            let id = tablet
                .record_proposal(&household, &category, &risks, &reason)
                .await?;
            Report::Done(format!("proposal for {id} kept; sent at the next sync"))
        }
        Command::Status => Report::Status(Box::new(tablet.status().await?)),
    })
}

fn month(text: Option<String>) -> Result<Option<YearMonth>, TabletError> {
    text.map(|t| YearMonth::parse(t.trim()).map_err(|e| TabletError::Invalid(e.to_string())))
        .transpose()
}

async fn measure(tablet: &Tablet, action: MeasureAction) -> Result<Report, TabletError> {
    Ok(match action {
        MeasureAction::Add {
            household,
            kind,
            progress,
            description,
            department,
            funds,
            start,
            planned_end,
        } => {
            let input = MeasureInput {
                kind: parse_code(&kind)?,
                progress: parse_code(&progress)?,
                description,
                department: department.as_deref().map(parse_code).transpose()?,
                funds,
                start_month: month(start)?,
                planned_end: month(planned_end)?,
            };
            let id = tablet.add_measure(&household, &input).await?;
            Report::Created("measure", id.to_string())
        }
        MeasureAction::Set {
            household,
            measure,
            field,
            value,
        } => {
            let key =
                EntryId::parse(measure.trim()).map_err(|e| TabletError::Invalid(e.to_string()))?;
            let path = format!("measures.{}.{}", key.as_str(), field.trim());
            Report::Set(tablet.set(&household, &path, &value).await?)
        }
        MeasureAction::Check {
            household,
            measure,
            quarter,
            carried_out,
            note,
        } => {
            let quarter =
                Quarter::parse(quarter.trim()).map_err(|e| TabletError::Invalid(e.to_string()))?;
            tablet
                .check_measure(&household, &measure, &quarter, carried_out, note.as_deref())
                .await?;
            Report::Done(format!("check of measure {measure} for {quarter} kept"))
        }
    })
}
