//! Sign-in without JavaScript. The sign-in page's form is `method="post" action="/login"`, so
//! one submitted before the page has hydrated (the debug bundle takes seconds; a slow link does
//! the same to the release one) lands here instead of turning into a GET that would put the
//! password in the address bar, the history and every access log. Same checks, rate limits,
//! session and audit as `POST /api/v1/auth/login` ([`super::routes::sign_in`]); the answer is a
//! redirect: into the app when signed in, else back to `/login?error=<code>`, whose page says
//! what went wrong. Neither the password nor the email is ever put in a URL.
use super::routes::sign_in;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use shared::api::LoginRequest;

pub fn router() -> Router<AppState> {
    Router::new().route("/login", post(submit))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Back to the sign-in page with why; the page (`app::pages::login`) turns the code into a sentence.
fn back(code: &str) -> Response {
    Redirect::to(&format!("/login?error={code}")).into_response()
}

#[tracing::instrument(skip_all)]
async fn submit(State(state): State<AppState>, parts: Parts, jar: CookieJar, form: Result<Form<LoginForm>, FormRejection>) -> Response {
    // A form post carries no CSRF token: accept it only from our own pages, so another site
    // can't sign a visitor into an account of its choosing (login CSRF).
    if !same_origin(&parts) {
        return back("origin");
    }
    let Ok(Form(form)) = form else {
        return back("missing");
    };
    let body = LoginRequest { email: form.email, password: form.password.into(), otp: None, recovery_code: None };
    match sign_in(&state, &parts, jar, &body).await {
        Ok((jar, answer)) => (jar, Redirect::to(if answer.mfa_enrollment_required { "/security" } else { "/" })).into_response(),
        Err(ApiError::BadCredentials) => back("credentials"),
        // The code field appears once the page is live; the password is asked again there.
        Err(ApiError::MfaRequired { .. }) => back("mfa"),
        Err(ApiError::RateLimited) => back("rate_limited"),
        Err(ApiError::SsoRequired(_)) => back("sso_only"),
        Err(ApiError::Invalid(_)) => back("missing"),
        Err(e) => {
            // Logs internal errors; anything else (e.g. a further step the API asks for)
            // finishes on the hydrated page.
            let detail = e.detail();
            tracing::info!(code = ?detail.code, "form sign-in sent back to the page");
            back("retry")
        }
    }
}

/// The browser says the form came from this host: `Origin` (sent with every form POST by
/// current browsers), else `Referer`. Neither → refused.
fn same_origin(parts: &Parts) -> bool {
    let Some(host) = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let authority = |url: &str| url.split_once("://").map(|(_, rest)| rest.split('/').next().unwrap_or("").to_string());
    let from = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .or_else(|| parts.headers.get(header::REFERER).and_then(|v| v.to_str().ok()))
        .and_then(authority);
    from.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::post("/login");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_our_own_pages_may_post_the_form() {
        assert!(same_origin(&parts(&[("host", "acme.localhost:3000"), ("origin", "http://acme.localhost:3000")])));
        assert!(same_origin(&parts(&[("host", "127.0.0.1:3000"), ("referer", "http://127.0.0.1:3000/login?error=x")])));
        assert!(!same_origin(&parts(&[("host", "127.0.0.1:3000"), ("origin", "https://evil.example")])));
        assert!(!same_origin(&parts(&[("host", "acme.localhost:3000"), ("origin", "http://other.localhost:3000")])));
        assert!(!same_origin(&parts(&[("host", "127.0.0.1:3000"), ("origin", "null")])));
        assert!(!same_origin(&parts(&[("host", "127.0.0.1:3000")])));
    }
}
