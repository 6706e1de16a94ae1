//! The web console: server-rendered pages for township supervisors, county officers and
//! administrators, served by `zoufang serve` from templates and a stylesheet inside the
//! binary (no front-end build, no CDN, no script). Chinese first, English on a switch.
//! Sessions by HttpOnly cookie with a CSRF token on every form; every page checks role
//! and scope through the same services as the API and shows personal data as the role
//! may see it.
//!
//! A page for a new capability is one handler in [`pages`] calling its service, one
//! template in `templates/` (listed in [`render`]), its words in [`i18n`] and its entry in
//! the navigation.

pub mod form_fields;
pub mod i18n;
pub mod labels;
pub mod pages;
pub mod render;
pub mod session;
pub mod upload_form;

use actix_web::web;
use pages::{
    accounts, auth, clues, conflicts, county, elimination, households, identification, imports,
    measures, natural_changes, plans, reports, reviews,
};

/// Mounts the console's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(auth::home)
        .service(auth::login_form)
        .service(auth::login)
        .service(auth::logout)
        .service(auth::lang)
        .service(auth::stylesheet)
        .service(conflicts::queue)
        .service(conflicts::show)
        .service(conflicts::resolve)
        .service(households::show)
        .service(households::acknowledge)
        .service(households::photo)
        .service(households::image)
        .service(reviews::list)
        .service(reviews::act)
        .service(reviews::act_on_village)
        .service(county::coverage)
        .service(county::findings)
        .service(county::exports)
        .service(county::download)
        .service(county::scale)
        .service(accounts::list)
        .service(accounts::add)
        .service(accounts::disable)
        .service(accounts::revoke_device)
        .service(imports::list)
        .service(imports::upload)
        .service(imports::rejects)
        .service(clues::list)
        .service(clues::decide)
        .service(clues::report)
        .service(clues::report_xlsx)
        .service(clues::uploads)
        .service(clues::upload_file)
        .service(identification::page)
        .service(identification::propose)
        .service(identification::set_threshold)
        .service(identification::scan_now)
        .service(identification::step)
        .service(elimination::page)
        .service(elimination::nominate)
        .service(elimination::notice)
        .service(elimination::take_step)
        .service(natural_changes::page)
        .service(natural_changes::download)
        .service(measures::add)
        .service(measures::update)
        .service(reports::calendar)
        .service(reports::report)
        .service(plans::page)
        .service(plans::run_pass);
}
