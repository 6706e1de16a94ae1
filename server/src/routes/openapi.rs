use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI description of every endpoint.
#[derive(OpenApi)]
#[openapi(
    info(title = "Zoufang 走访", description = "Offline door-to-door household data collection: sync, accounts, conflict review, photo evidence, visit review, verified data for the county."),
    paths(
        super::health::healthz, super::health::readyz, super::health::metrics,
        super::auth::login, super::auth::refresh, super::auth::logout,
        super::devices::register, super::devices::list,
        super::sync::sync,
        super::conflicts::list, super::conflicts::show, super::conflicts::resolve,
        super::households::list, super::households::show,
        super::photos::start, super::photos::status, super::photos::append, super::photos::finish,
        super::photos::show, super::photos::image,
        super::reviews::list, super::reviews::show, super::reviews::act, super::reviews::act_on_village,
        super::reviews::acknowledge, super::reviews::verified, super::reviews::changes,
        super::county::coverage, super::county::findings, super::county::feed, super::county::export,
        super::county::scale,
        super::users::list, super::users::add, super::users::disable, super::users::devices,
        super::users::revoke_device,
        super::imports::households, super::imports::regions_file, super::imports::list, super::imports::show,
        super::imports::rejects, super::imports::absent,
        super::clues::upload_file, super::clues::uploads, super::clues::upload_detail, super::clues::list,
        super::clues::overdue, super::clues::find, super::clues::decide, super::clues::report,
        super::clues::report_xlsx,
        super::identification::list, super::identification::propose, super::identification::decide,
        super::identification::withdraw, super::identification::flags, super::identification::scan_now,
        super::identification::thresholds, super::identification::set_threshold,
        super::elimination::list, super::elimination::nominate, super::elimination::notice_xlsx,
        super::elimination::show, super::elimination::step,
        super::natural_changes::ledger, super::natural_changes::ledger_xlsx,
        super::measures::add, super::measures::update,
        super::reports::measures_report, super::reports::risks_report, super::reports::training_calendar,
        super::plans::list, super::plans::run_pass,
        spec,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI 3 JSON")))]
#[get("/api/openapi.json")]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}
