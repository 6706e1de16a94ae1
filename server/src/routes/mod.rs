//! HTTP routes: each module owns its request and response types and thin handlers.

pub mod auth;
pub mod body;
pub mod clues;
pub mod conflicts;
pub mod county;
pub mod devices;
pub mod elimination;
pub mod health;
pub mod households;
pub mod hygiene;
pub mod identification;
pub mod imports;
pub mod measures;
pub mod natural_changes;
pub mod openapi;
pub mod paging;
pub mod photos;
pub mod plans;
pub mod reports;
pub mod reviews;
pub mod sync;
pub mod users;

use actix_web::web;

/// Mounts every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(openapi::spec)
        .service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(devices::register)
        .service(devices::list)
        .service(sync::sync)
        .service(conflicts::list)
        .service(conflicts::show)
        .service(conflicts::resolve)
        .service(households::list)
        .service(households::show)
        .service(photos::start)
        .service(photos::status)
        .service(photos::append)
        .service(photos::finish)
        .service(photos::show)
        .service(photos::image)
        .service(reviews::list)
        .service(reviews::acknowledge)
        .service(reviews::verified)
        .service(reviews::changes)
        .service(reviews::show)
        .service(reviews::act)
        .service(reviews::act_on_village)
        .service(county::coverage)
        .service(county::findings)
        .service(county::feed)
        .service(county::export)
        .service(county::scale)
        .service(users::devices)
        .service(users::list)
        .service(users::add)
        .service(users::disable)
        .service(users::revoke_device)
        .service(imports::households)
        .service(imports::regions_file)
        .service(imports::list)
        .service(imports::rejects)
        .service(imports::absent)
        .service(imports::show)
        .service(clues::upload_file)
        .service(clues::uploads)
        .service(clues::upload_detail)
        .service(clues::list)
        .service(clues::overdue)
        .service(clues::report)
        .service(clues::report_xlsx)
        .service(clues::find)
        .service(clues::decide)
        .service(identification::list)
        .service(identification::propose)
        .service(identification::decide)
        .service(identification::withdraw)
        .service(identification::flags)
        .service(identification::scan_now)
        .service(identification::thresholds)
        .service(identification::set_threshold)
        .service(elimination::list)
        .service(elimination::nominate)
        .service(elimination::notice_xlsx)
        .service(elimination::show)
        .service(elimination::step)
        .service(natural_changes::ledger)
        .service(natural_changes::ledger_xlsx)
        .service(measures::add)
        .service(measures::update)
        .service(reports::measures_report)
        .service(reports::risks_report)
        .service(reports::training_calendar)
        .service(plans::list)
        .service(plans::run_pass);
}
