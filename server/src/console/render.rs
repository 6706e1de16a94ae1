//! Rendering console pages: the templates (inside the binary), the layout's navigation by
//! role, the words of the page's language, and the headers every page carries (a policy
//! that loads only the console's own stylesheet and images, runs no script and lets no one
//! frame the page; `no-store`).

use super::i18n::{Lang, words};
use super::session::ConsoleUser;
use crate::error::ApiError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use minijinja::{Environment, Value};
use serde::Serialize;
use std::sync::LazyLock;
use zoufang_schemas::Role;

/// The policy of console pages.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("login.html", include_str!("templates/login.html")),
    ("error.html", include_str!("templates/error.html")),
    ("conflicts.html", include_str!("templates/conflicts.html")),
    ("conflict.html", include_str!("templates/conflict.html")),
    ("household.html", include_str!("templates/household.html")),
    ("reviews.html", include_str!("templates/reviews.html")),
    ("coverage.html", include_str!("templates/coverage.html")),
    ("findings.html", include_str!("templates/findings.html")),
    ("accounts.html", include_str!("templates/accounts.html")),
    ("exports.html", include_str!("templates/exports.html")),
    ("photo.html", include_str!("templates/photo.html")),
    ("imports.html", include_str!("templates/imports.html")),
    ("clues.html", include_str!("templates/clues.html")),
    (
        "departments.html",
        include_str!("templates/departments.html"),
    ),
    (
        "identification.html",
        include_str!("templates/identification.html"),
    ),
    (
        "elimination.html",
        include_str!("templates/elimination.html"),
    ),
    (
        "natural_changes.html",
        include_str!("templates/natural_changes.html"),
    ),
    ("training.html", include_str!("templates/training.html")),
    ("plans.html", include_str!("templates/plans.html")),
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(err) = env.add_template(name, source) {
            tracing::error!(template = name, error = %err, "console template does not parse");
        }
    }
    env
});

/// A navigation entry.
#[derive(Debug, Serialize)]
struct NavItem {
    href: &'static str,
    key: &'static str,
}

/// The pages a role may open.
fn navigation(role: Role) -> Vec<NavItem> {
    let item = |href, key| NavItem { href, key };
    let mut nav = Vec::new();
    if !matches!(role, Role::Helper | Role::Department) {
        nav.push(item("/console/conflicts", "conflicts"));
    }
    if role != Role::Department {
        nav.push(item("/console/reviews", "reviews"));
        nav.push(item("/console/coverage", "coverage"));
        nav.push(item("/console/findings", "findings"));
    }
    if !matches!(role, Role::Helper | Role::Department) {
        nav.push(item("/console/exports", "exports"));
    }
    if crate::services::imports::IMPORTERS.contains(&role) {
        nav.push(item("/console/imports", "imports"));
    }
    if crate::services::clues::CLUE_READERS.contains(&role) {
        nav.push(item("/console/clues", "clues"));
    }
    if crate::services::identification::READERS.contains(&role) {
        nav.push(item("/console/identification", "identification"));
    }
    if crate::services::elimination::READERS.contains(&role) {
        nav.push(item("/console/elimination", "elimination"));
    }
    if crate::services::natural_ledger::READERS.contains(&role) {
        nav.push(item("/console/plans", "plans"));
        nav.push(item("/console/natural-changes", "natural_changes"));
        nav.push(item("/console/training", "training"));
    }
    if matches!(
        role,
        Role::Department | Role::CountyOfficer | Role::PrefectureOfficer | Role::Admin
    ) {
        nav.push(item("/console/departments", "departments"));
    }
    if matches!(role, Role::Admin | Role::CountyOfficer) {
        nav.push(item("/console/accounts", "accounts"));
    }
    nav
}

/// Renders a page template with the layout's context.
pub fn page(who: Option<&ConsoleUser>, lang: Lang, template: &str, context: Value) -> HttpResponse {
    let layout = minijinja::context! {
        t => words(lang),
        lang => lang.code(),
        other_lang => lang.other().code(),
        user => who.map(|w| minijinja::context! {
            name => w.user.name.clone(),
            role => w.user.role.label_zh(),
            scope => w.user.scope.as_str(),
        }),
        nav => who.map(|w| navigation(w.user.role)).unwrap_or_default(),
        csrf => who.map(|w| w.csrf()),
    };
    let rendered = ENVIRONMENT
        .get_template(template)
        .and_then(|t| t.render(minijinja::context! { ..layout, ..context }));
    let mut response = match rendered {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(err) => {
            tracing::error!(template, error = %err, "console page failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("页面无法显示 / the page cannot be shown")
        }
    };
    headers(&mut response);
    if let Some(who) = who {
        who.keep(&mut response);
    }
    response
}

/// The headers of every console response.
pub fn headers(response: &mut HttpResponse) {
    use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderValue};
    response.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONSOLE_CSP),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// An error as a page, with its code.
pub fn error_page(err: &ApiError) -> HttpResponse {
    let status = actix_web::ResponseError::status_code(err);
    let mut response = page(
        None,
        Lang::Zh,
        "error.html",
        minijinja::context! { code => err.code(), message => err.to_string(), status => status.as_u16() },
    );
    *response.status_mut() = status;
    response
}

/// A redirect after a form (303: the browser fetches the target with GET).
pub fn see_other(who: &ConsoleUser, to: &str) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::SEE_OTHER)
        .insert_header((actix_web::http::header::LOCATION, to.to_owned()))
        .finish();
    headers(&mut response);
    who.keep(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/templates");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".html"))
            .collect();
        files.sort();
        let mut compiled: Vec<String> = TEMPLATES.iter().map(|(n, _)| (*n).to_owned()).collect();
        compiled.sort();
        assert_eq!(files, compiled);
    }

    #[test]
    fn every_template_parses_and_escapes_what_it_shows() {
        for (name, _) in TEMPLATES {
            assert!(ENVIRONMENT.get_template(name).is_ok(), "{name}");
        }
        let shown = ENVIRONMENT
            .get_template("error.html")
            .and_then(|t| {
                t.render(minijinja::context! {
                    t => words(Lang::Zh), message => "<script>alert(1)</script>", code => "x", status => 400,
                })
            })
            .unwrap();
        assert!(!shown.contains("<script>alert"), "{shown}");
        assert!(shown.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_navigation_offers_only_what_a_role_may_open() {
        let hrefs = |role| navigation(role).iter().map(|i| i.href).collect::<Vec<_>>();
        assert_eq!(hrefs(Role::Department), ["/console/departments"]);
        assert_eq!(
            hrefs(Role::Helper),
            [
                "/console/reviews",
                "/console/coverage",
                "/console/findings",
                "/console/clues",
                "/console/identification",
                "/console/elimination",
                "/console/plans",
                "/console/natural-changes",
                "/console/training"
            ]
        );
        assert!(hrefs(Role::TownshipSupervisor).contains(&"/console/conflicts"));
        assert!(!hrefs(Role::TownshipSupervisor).contains(&"/console/accounts"));
        assert!(hrefs(Role::CountyOfficer).contains(&"/console/accounts"));
        assert!(hrefs(Role::CountyOfficer).contains(&"/console/departments"));
        assert!(!hrefs(Role::Helper).contains(&"/console/departments"));
    }
}
