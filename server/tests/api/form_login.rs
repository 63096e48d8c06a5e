//! The sign-in form posted before the page hydrated (`POST /login`, form-encoded): the same
//! sign-in as the API, answered with redirects that never carry the password; and signed-out
//! page visits sent to the sign-in page by the server.
use crate::helpers::*;
use reqwest::StatusCode;

struct Posted {
    status: StatusCode,
    location: String,
    session_cookie: Option<String>,
}

async fn post_form(app: &TestApp, origin: Option<&str>, fields: &[(&str, &str)]) -> Posted {
    let mut req = app.http.post(app.url("/login")).form(fields);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.unwrap();
    let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    let session_cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tenantry_session="))
        .map(|c| c.split(';').next().unwrap().to_string());
    Posted { status: resp.status(), location, session_cookie }
}

#[tokio::test]
async fn the_form_signs_in_like_the_api_and_redirects_into_the_app() {
    let app = spawn_app().await;
    app.superuser().await;
    let origin = app.url("");
    let logins = app.audit_actions("auth.login").await;
    let ok = post_form(&app, Some(&origin), &[("email", "ROOT@ops.example"), ("password", PASSWORD)]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location, "/");
    let cookie = ok.session_cookie.expect("a session cookie");
    let me = app.http.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(app.audit_actions("auth.login").await, logins + 1, "audited like an API sign-in");
    // The app's pages render for that session.
    let page = app.http.get(app.url("/security")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // An org page's old address (before pages moved under /o/{slug}/) goes to the home org's page.
    let home: String = sqlx::query_scalar("SELECT o.slug FROM users u JOIN orgs o ON o.id = u.home_org_id WHERE u.email = 'root@ops.example'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let old = app.http.get(app.url("/assets/some-id?q=web")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::SEE_OTHER);
    assert_eq!(old.headers()["location"], format!("/o/{home}/assets/some-id?q=web").as_str());
}

#[tokio::test]
async fn a_failed_form_sign_in_goes_back_with_a_code_and_never_the_secret() {
    let app = spawn_app().await;
    app.superuser().await;
    let origin = app.url("");
    let wrong = post_form(&app, Some(&origin), &[("email", "root@ops.example"), ("password", "wrong-password-123")]).await;
    assert_eq!((wrong.status, wrong.location.as_str()), (StatusCode::SEE_OTHER, "/login?error=credentials"));
    assert!(wrong.session_cookie.is_none());
    let missing = post_form(&app, Some(&origin), &[("email", "root@ops.example")]).await;
    assert_eq!(missing.location, "/login?error=missing");
    let unknown = post_form(&app, Some(&origin), &[("email", "nobody@ops.example"), ("password", "whatever-123")]).await;
    assert_eq!(unknown.location, "/login?error=credentials", "unknown email answers like a wrong password");
    // The form shares the API's rate limit.
    let mut last = String::new();
    for _ in 0..20 {
        last = post_form(&app, Some(&origin), &[("email", "root@ops.example"), ("password", "wrong-password-123")]).await.location;
        if last.ends_with("rate_limited") {
            break;
        }
    }
    assert_eq!(last, "/login?error=rate_limited");
}

#[tokio::test]
async fn a_form_post_from_another_site_is_refused() {
    let app = spawn_app().await;
    app.superuser().await;
    for origin in [Some("https://evil.example"), Some("null"), None] {
        let r = post_form(&app, origin, &[("email", "root@ops.example"), ("password", PASSWORD)]).await;
        assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/login?error=origin"), "origin {origin:?}");
        assert!(r.session_cookie.is_none(), "origin {origin:?}");
    }
}

#[tokio::test]
async fn signed_out_page_visits_go_to_the_sign_in_page() {
    let app = spawn_app().await;
    for path in ["/", "/inbox", "/security"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
    }
    let r = app.http.get(app.url("/people")).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login"), "an old address, signed out");
    // An org's page (a shared link) comes back after signing in.
    let r = app.http.get(app.url("/o/acme-contoso/assets")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=/o/acme-contoso/assets");
    let dead = app.http.get(app.url("/")).header("cookie", "tenantry_session=not-a-session").send().await.unwrap();
    assert_eq!(dead.status(), StatusCode::SEE_OTHER);
    for path in ["/login", "/accept?token=x"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}
