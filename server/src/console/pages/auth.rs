//! Signing in and out, the language switch, the stylesheet.

use crate::console::render::{self, see_other};
use crate::console::session::{self, ConsoleError, ConsoleUser, LANG, lang_of};
use crate::error::ApiError;
use crate::services::sessions;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

/// The console's start: the review page.
#[get("/console")]
pub async fn home(who: ConsoleUser) -> HttpResponse {
    if who.user.role == zoufang_schemas::Role::Department {
        return see_other(&who, "/console/departments");
    }
    see_other(&who, "/console/reviews")
}

/// The sign-in form.
#[get("/console/login")]
pub async fn login_form(req: HttpRequest) -> HttpResponse {
    render::page(None, lang_of(&req), "login.html", minijinja::context! {})
}

/// Username and password.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// Signs in: the same throttled login as the API, the tokens in cookies.
#[post("/console/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ConsoleError> {
    let address = crate::routes::auth::client_address(&state, &req);
    match sessions::login(&state, &form.username, &form.password, address).await {
        Ok(pair) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console"))
                .finish();
            render::headers(&mut response);
            session::set_tokens(&mut response, &pair, session::is_https(&req));
            Ok(response)
        }
        Err(err @ (ApiError::Unauthorized(_) | ApiError::TooManyRequests(..))) => {
            let failed = match err {
                ApiError::TooManyRequests(..) => "login_throttled",
                _ => "login_failed",
            };
            let mut response = render::page(
                None,
                lang_of(&req),
                "login.html",
                minijinja::context! { failed },
            );
            *response.status_mut() = actix_web::ResponseError::status_code(&err);
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

/// A form's CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Signs out: the session ends (its tokens stop working everywhere).
#[post("/console/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: ConsoleUser,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    if let Some(refresh) = req.cookie(session::REFRESH) {
        sessions::logout(&state, refresh.value()).await?;
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/login"))
        .finish();
    render::headers(&mut response);
    session::clear_tokens(&mut response);
    Ok(response)
}

/// The language to switch to.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    to: String,
}

/// Switches the console's language (Chinese or English).
#[get("/console/lang")]
pub async fn lang(req: HttpRequest, query: web::Query<LangQuery>) -> HttpResponse {
    let value = if query.to == "en" { "en" } else { "zh" };
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.find("/console").map(|i| r[i..].to_owned()))
        .unwrap_or_else(|| "/console".to_owned());
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back))
        .finish();
    let cookie = Cookie::build(LANG, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    let _ = response.add_cookie(&cookie);
    render::headers(&mut response);
    response
}

/// The console's stylesheet (inside the binary: county networks are often intranets).
#[get("/console/assets/console.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../assets/console.css"))
}
