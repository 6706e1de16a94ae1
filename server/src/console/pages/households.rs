//! The household page: the record in the form's labels, section by section, its findings,
//! its photo evidence (thumbnail, preview, what the EXIF says) and its history.

use crate::console::i18n::Lang;
use crate::console::labels::{display, label, order};
use crate::console::pages::{local_time, round_or_latest};
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::photos::storage::Variant;
use crate::services::households;
use crate::services::photos;
use crate::state::AppState;
use crate::store::findings;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zoufang_schemas::Role;
use zoufang_schemas::wire::DocId;

/// One row of a block: a label and a value as people read it.
#[derive(Debug, Serialize)]
pub struct Row {
    label: String,
    value: String,
}

/// A table of rows: a section, or one entry of an entry map.
#[derive(Debug, Serialize)]
pub struct Block {
    title: Option<String>,
    rows: Vec<Row>,
}

/// A section of the record.
#[derive(Debug, Serialize)]
pub struct Section {
    key: String,
    blocks: Vec<Block>,
}

/// Sections holding named fields.
const FIELD_SECTIONS: &[&str] = &[
    "household",
    "income",
    "guarantees",
    "housing",
    "water",
    "monitoring",
];
/// Sections holding entries keyed by id.
const ENTRY_SECTIONS: &[&str] = &["members", "measures", "events", "visits"];

/// Rows of an object's fields in the form's order (nested structs flattened, labelled by
/// their last key).
fn rows(
    path: &mut Vec<String>,
    object: &serde_json::Map<String, Value>,
    lang: Lang,
    out: &mut Vec<Row>,
) {
    let mut fields: Vec<(&String, &Value)> = object.iter().collect();
    fields.sort_by_key(|(key, _)| order(key));
    for (key, value) in fields {
        path.push(key.clone());
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let is_struct = matches!(
            zoufang_schemas::form::form().lookup(&keys),
            Ok(zoufang_schemas::form::Lookup::Container(
                zoufang_schemas::form::Node::Struct(_)
            ))
        );
        match value {
            Value::Object(inner) if is_struct => rows(path, inner, lang, out),
            _ => {
                let shown = display(&keys, value, lang);
                if !shown.is_empty() {
                    out.push(Row {
                        label: label(key, lang),
                        value: shown,
                    });
                }
            }
        }
        path.pop();
    }
}

/// The record as sections of labelled rows.
pub fn sections(record: &Value, lang: Lang) -> Vec<Section> {
    let mut out = Vec::new();
    for key in FIELD_SECTIONS {
        if let Some(Value::Object(fields)) = record.get(*key) {
            let mut found = Vec::new();
            rows(&mut vec![(*key).to_owned()], fields, lang, &mut found);
            if found.is_empty() {
                continue;
            }
            out.push(Section {
                key: format!("section_{key}"),
                blocks: vec![Block {
                    title: None,
                    rows: found,
                }],
            });
        }
    }
    for key in ENTRY_SECTIONS {
        let Some(Value::Object(entries)) = record.get(*key) else {
            continue;
        };
        let blocks: Vec<Block> = entries
            .iter()
            .filter_map(|(id, entry)| {
                let fields = entry.as_object()?;
                let mut found = Vec::new();
                rows(
                    &mut vec![(*key).to_owned(), id.clone()],
                    fields,
                    lang,
                    &mut found,
                );
                let title = fields
                    .get("name")
                    .or_else(|| fields.get("quarter"))
                    .or_else(|| fields.get("kind"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                Some(Block { title, rows: found })
            })
            .collect();
        if !blocks.is_empty() {
            out.push(Section {
                key: format!("section_{key}"),
                blocks,
            });
        }
    }
    out
}

/// A photo as the page shows it.
#[derive(Debug, Serialize)]
struct PhotoCard {
    hash: String,
    subject: String,
    caption: Option<String>,
    stored: bool,
    taken_at: Option<String>,
    gps: Option<String>,
    camera: Option<String>,
}

/// A change of the history as the page shows it.
#[derive(Debug, Serialize)]
struct Change {
    when: String,
    who: String,
    device: String,
    hash: String,
}

fn gps(lat: Option<f64>, lon: Option<f64>) -> Option<String> {
    Some(format!("{:.5}, {:.5}", lat?, lon?))
}

/// The round the page acknowledges warnings for.
#[derive(Debug, Deserialize)]
pub struct RoundQuery {
    round: Option<String>,
}

/// One household.
#[get("/console/households/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<String>,
    query: web::Query<RoundQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let detail = households::detail(&state, &who.user, &id).await?;
    let round = round_or_latest(&state, &who, query.round.as_deref()).await?;
    let acknowledged = match DocId::parse(&detail.id) {
        Some(doc) => findings::acknowledged(&state.db, &doc, &round).await?,
        None => Default::default(),
    };
    let may_acknowledge = who.user.role != Role::Helper && who.user.role != Role::Department;
    let finding_rows: Vec<_> = detail
        .findings
        .iter()
        .map(|f| {
            let acked = acknowledged.contains(&(f.code.clone(), f.path.clone()));
            minijinja::context! {
                acknowledged => acked,
                may_acknowledge => may_acknowledge && f.severity == "WARNING" && !acked,
                ..minijinja::Value::from_serialize(f)
            }
        })
        .collect();
    let evidence = households::evidence(&state, &who.user, &detail.record).await?;
    let history = households::history(&state, &who.user, &id, 200).await?;
    let lang = who.lang;
    let photos: Vec<PhotoCard> = evidence
        .into_iter()
        .map(|e| PhotoCard {
            subject: zoufang_schemas::label_zh("PhotoSubject", &e.subject)
                .filter(|_| lang == Lang::Zh)
                .map_or_else(|| e.subject.clone(), str::to_owned),
            stored: e.stored.is_some(),
            taken_at: e.stored.as_ref().and_then(|s| s.taken_at.clone()),
            gps: e.stored.as_ref().and_then(|s| gps(s.gps_lat, s.gps_lon)),
            camera: e.stored.as_ref().and_then(|s| s.camera.clone()),
            caption: e.caption,
            hash: e.hash,
        })
        .collect();
    let changes: Vec<Change> = history
        .into_iter()
        .map(|h| Change {
            when: local_time(h.received_at),
            who: h.username.unwrap_or_else(|| "server".into()),
            device: h.device.unwrap_or_default(),
            hash: h.hash,
        })
        .collect();
    let head = detail.record["members"]
        .as_object()
        .and_then(|members| {
            members.values().find(|m| {
                m["relation"].as_str() == Some("SELF") && m["status"].as_str() == Some("ACTIVE")
            })
        })
        .and_then(|m| m["name"].as_str())
        .map(str::to_owned);
    let number = detail.record["household"]["national_number"]
        .as_str()
        .map(str::to_owned);
    Ok(render::page(
        Some(&who),
        lang,
        "household.html",
        minijinja::context! {
            head,
            number,
            id => detail.id,
            masked => detail.masked,
            findings => finding_rows,
            round,
            sections => sections(&detail.record, lang),
            photos,
            history => changes,
            measures => super::measures::editing(&detail.record, who.user.role),
        },
    ))
}

/// One photo: the preview with what its EXIF says.
#[get("/console/photos/{hash}")]
pub async fn photo(
    state: web::Data<AppState>,
    who: ConsoleUser,
    hash: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let view = photos::view(&state, &who.user, &hash).await?;
    Ok(render::page(
        Some(&who),
        who.lang,
        "photo.html",
        minijinja::context! {
            gps => gps(view.gps_lat, view.gps_lon),
            photo => view,
        },
    ))
}

/// A photo's thumbnail or preview image (the original is downloaded from the API).
#[get("/console/photos/{hash}/{variant}")]
pub async fn image(
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (hash, variant) = path.into_inner();
    let variant = match variant.as_str() {
        "thumbnail" => Variant::Thumbnail,
        "preview" => Variant::Preview,
        other => {
            return Err(crate::error::ApiError::NotFound(format!(
                "{other}: use thumbnail or preview"
            ))
            .into());
        }
    };
    let (bytes, media_type) = photos::image(&state, &who.user, &hash, variant).await?;
    let mut response = HttpResponse::Ok()
        .content_type(media_type)
        .insert_header(("content-security-policy", "default-src 'none'; sandbox"))
        .insert_header(("cache-control", "private, no-store"))
        .body(bytes);
    who.keep(&mut response);
    Ok(response)
}

/// A warning to acknowledge for a round.
#[derive(Debug, Deserialize)]
pub struct AcknowledgeForm {
    csrf: String,
    round: String,
    code: String,
    path: String,
}

/// Acknowledges a warning (doubtful data checked and found right) for a round.
#[post("/console/households/{id}/acknowledge")]
pub async fn acknowledge(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<String>,
    form: web::Form<AcknowledgeForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    let doc = DocId::parse(&id)
        .ok_or_else(|| crate::error::ApiError::NotFound(format!("household {id}")))?;
    crate::services::review::acknowledge(
        &state,
        &who.user,
        &doc,
        &form.round,
        &form.code,
        &form.path,
    )
    .await?;
    Ok(see_other(
        &who,
        &format!("/console/households/{doc}?round={}", form.round),
    ))
}
