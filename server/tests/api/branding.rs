//! Issue 13, branding: an org's brand is inherited down the tree like its settings, the MSP's
//! covering its customers until one sets its own; logos are checked by decoding and served
//! with their type and for caching; the sign-in page's host and the mails use the brand.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn png(r: u8, g: u8, b: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([r, g, b]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn put_logo(app: &TestApp, s: &Session, org: &str, bytes: Vec<u8>, content_type: &str) -> Resp {
    let req = app
        .http
        .request(Method::PUT, app.url("/api/v1/branding/logo"))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("x-org-id", org)
        .header("content-type", content_type)
        .body(bytes);
    Resp::read(req.send().await.unwrap()).await
}

async fn brand(app: &TestApp, s: &Session, org: &str) -> Value {
    let r = app.get("/api/v1/branding", Auth::Session(s), Some(org)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// The brand the sign-in page of `host` shows (no session).
async fn host_brand(app: &TestApp, host: &str) -> Value {
    let r = app.http.get(app.url("/api/v1/auth/branding")).header("host", host).send().await.unwrap();
    let r = Resp::read(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn slug(app: &TestApp, org: &str) -> String {
    sqlx::query_scalar("SELECT slug FROM orgs WHERE id = $1").bind(org).fetch_one(&app.db.pool).await.unwrap()
}

async fn own_branding(app: &TestApp, org: &str) -> Option<String> {
    sqlx::query_scalar("SELECT value FROM org_settings WHERE org_id = $1 AND key = 'branding'").bind(org).fetch_optional(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn branding_is_inherited_from_the_msp_until_a_customer_sets_its_own() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = &w.root;
    app.add_user(root, &w.acme, "mia@acme.example", "member").await;
    let mia = app.login("mia@acme.example", PASSWORD).await;
    app.add_user(root, &w.foreign, "ian@initech.example", "admin").await;
    let ian = app.login("ian@initech.example", PASSWORD).await;

    // Nobody brands anything: Tenantry's own.
    let b = brand(&app, root, &w.acme).await;
    assert_eq!((b["display_name"].as_str(), b["source_org_id"].is_null(), b["powered_by"].as_bool()), (Some("Tenantry"), true, Some(true)), "{b}");

    // The MSP brands itself and turns "Powered by" off: its customers and their children carry it.
    let msp_brand = json!({"value": {"display_name": "Contoso IT", "accent_color": "#14532D", "support_email": "help@contoso.example", "support_phone": "+1 555 0100", "powered_by": false}});
    let r = app.put("/api/v1/settings/branding", Auth::Session(root), Some(&w.msp), msp_brand).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["value"]["accent_color"], "#14532d", "stored normalized: {}", r.text);
    for org in [&w.acme, &w.acme_child, &w.globex] {
        let b = brand(&app, root, org).await;
        assert_eq!((b["display_name"].as_str(), b["source_org_id"].as_str(), b["powered_by"].as_bool()), (Some("Contoso IT"), Some(w.msp.as_str()), Some(false)), "{b}");
        assert_eq!(b["accent_color"], "#14532d");
    }
    // The header's data carries it too; another MSP's customer doesn't.
    let current = app.get("/api/v1/org", Auth::Session(&mia), Some(&w.acme)).await;
    assert_eq!(current.body["brand"]["display_name"], "Contoso IT", "{}", current.text);
    assert_eq!(brand(&app, &ian, &w.foreign).await["display_name"], "Tenantry");

    // Refusals change nothing and name the field.
    let before = app.audit_count().await;
    let r = app.put("/api/v1/settings/branding", Auth::Session(root), Some(&w.acme), json!({"value": {"powered_by": false}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["powered_by"].as_str().unwrap().contains("only an MSP"), "{}", r.text);
    let r = app.put("/api/v1/settings/branding", Auth::Session(root), Some(&w.acme), json!({"value": {"accent_color": "#ffd700"}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let why = r.body["error"]["fields"]["accent_color"].as_str().unwrap();
    assert!(why.contains(":1") && why.contains("nearest readable shade"), "{why}");
    let r = app.put("/api/v1/settings/branding", Auth::Session(root), Some(&w.acme), json!({"value": {"accent_color": "blue", "support_email": "nope", "logo": "x"}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app.put("/api/v1/settings/branding", Auth::Session(root), Some(&w.acme), json!({"value": {"accent_color": "blue", "support_email": "nope"}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["accent_color"].is_string() && r.body["error"]["fields"]["support_email"].is_string(), "{}", r.text);
    let r = app.put("/api/v1/settings/branding", Auth::Session(&mia), Some(&w.acme), json!({"value": {"display_name": "Mine"}})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app.put("/api/v1/settings/branding", Auth::Session(&ian), Some(&w.acme), json!({"value": {"display_name": "Mine"}})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(app.get("/api/v1/branding", Auth::Session(&ian), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(own_branding(&app, &w.acme).await, None);
    assert_eq!(app.audit_count().await, before, "refusals record nothing");

    // Acme sets its own: it and its child carry Acme's; Globex keeps the MSP's; "Powered by"
    // stays the MSP's choice.
    let r = app.put("/api/v1/settings/branding", Auth::Session(root), Some(&w.acme), json!({"value": {"display_name": "Acme Portal", "accent_color": "#7a1f5c"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for org in [&w.acme, &w.acme_child] {
        let b = brand(&app, root, org).await;
        assert_eq!((b["display_name"].as_str(), b["source_org_id"].as_str(), b["accent_color"].as_str(), b["powered_by"].as_bool()), (Some("Acme Portal"), Some(w.acme.as_str()), Some("#7a1f5c"), Some(false)), "{b}");
        assert!(b["support_email"].is_null(), "a brand is one unit: Acme's has no support address: {b}");
    }
    assert_eq!(brand(&app, root, &w.globex).await["display_name"], "Contoso IT");

    // A logo: checked by decoding, stored, served with its type and for caching.
    let logo = png(200, 30, 90);
    let r = put_logo(&app, root, &w.acme, logo.clone(), "image/png").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let url = r.body["logo_url"].as_str().expect("a logo url").to_string();
    assert!(url.starts_with(&format!("/branding/logo/{}/", w.acme)), "{url}");
    let served = app.http.get(app.url(&url)).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(served.headers()["cache-control"].to_str().unwrap().contains("immutable"), "{:?}", served.headers());
    assert_eq!(served.bytes().await.unwrap().to_vec(), logo);
    assert_eq!(app.audit_actions("branding.logo_set").await, 1);
    assert_eq!(brand(&app, root, &w.acme_child).await["logo_url"], url.as_str(), "the child inherits the logo with the brand");
    // Not an image of the three kinds, or one that doesn't decode: 422 `logo`, nothing changed.
    let mut broken = png(1, 2, 3);
    broken.truncate(broken.len() - 16);
    for (bytes, ct) in [
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec(), "image/gif"),
        (b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(), "image/png"),
        (broken, "image/png"),
        (Vec::new(), "image/png"),
    ] {
        let r = put_logo(&app, root, &w.acme, bytes, ct).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.body["error"]["fields"]["logo"].is_string(), "{}", r.text);
    }
    let mut big = png(1, 2, 3);
    big.resize(300 * 1024, 0);
    let r = put_logo(&app, root, &w.acme, big, "image/png").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "payload_too_large");
    let r = put_logo(&app, &mia, &w.acme, png(1, 2, 3), "image/png").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = put_logo(&app, &ian, &w.acme, png(1, 2, 3), "image/png").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(brand(&app, root, &w.acme).await["logo_url"], url.as_str());
    assert_eq!(app.audit_actions("branding.logo_set").await, 1);
    // An unknown version of the logo is not there.
    let stale = app.http.get(app.url(&format!("/branding/logo/{}/{}", w.acme, "0".repeat(64)))).send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);

    // The sign-in page of a tenant's subdomain knows its brand without a session.
    let acme_host = format!("{}.localhost", slug(&app, &w.acme).await);
    let b = host_brand(&app, &acme_host).await;
    assert_eq!((b["display_name"].as_str(), b["logo_url"].as_str()), (Some("Acme Portal"), Some(url.as_str())), "{b}");
    let globex_host = format!("{}.localhost:3000", slug(&app, &w.globex).await);
    assert_eq!(host_brand(&app, &globex_host).await["display_name"], "Contoso IT");
    assert_eq!(host_brand(&app, "localhost").await["display_name"], "Tenantry");
    assert_eq!(host_brand(&app, "no-such-tenant.localhost").await["display_name"], "Tenantry");

    // Mails carry the brand: an invitation to Acme's child, a notification to Globex.
    let r = app.post("/api/v1/invitations", Auth::Session(root), Some(&w.acme_child), json!({"email": "ivy@acme.example", "role": "member"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (subject, body): (String, String) = sqlx::query_as("SELECT subject, body FROM outbox WHERE recipient = $1").bind("ivy@acme.example").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(subject, "You are invited to Acme Berlin on Acme Portal");
    assert!(body.contains("-- \nAcme Portal\n") && !body.contains("Tenantry"), "{body}");
    app.add_user(root, &w.globex, "gus@globex.example", "member").await;
    let r = app.put("/api/v1/settings/notification_preferences", Auth::Session(root), Some(&w.globex), json!({"value": {"email": true}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.post("/api/v1/notifications", Auth::Session(root), Some(&w.globex), json!({"target": {"kind": "org"}, "title": "Patch night", "body": "Tonight.", "severity": "info"})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let body: String = sqlx::query_scalar("SELECT body FROM outbox WHERE recipient = $1").bind("gus@globex.example").fetch_one(&app.db.pool).await.unwrap();
    assert!(body.contains("-- \nContoso IT\n") && body.contains("help@contoso.example or +1 555 0100") && !body.contains("Powered by"), "{body}");

    // The MSP turns "Powered by" back on: it shows for Acme too, whose own value never said.
    let r = app.put("/api/v1/settings/branding", Auth::Session(root), Some(&w.msp), json!({"value": {"display_name": "Contoso IT", "accent_color": "#14532d"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(brand(&app, root, &w.acme).await["powered_by"], true);

    // A logo alone is a brand of one's own: Globex uploads one and leaves the MSP's.
    let r = put_logo(&app, root, &w.globex, png(9, 9, 9), "application/octet-stream").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["display_name"].as_str(), r.body["source_org_id"].as_str()), (Some("Globex"), Some(w.globex.as_str())), "{}", r.text);

    // Removing Acme's logo and reverting its branding: back to the MSP's brand.
    let r = app.delete("/api/v1/branding/logo", Auth::Session(root), Some(&w.acme)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["logo_url"].is_null(), "{}", r.text);
    assert_eq!(app.audit_actions("branding.logo_remove").await, 1);
    let gone = app.http.get(app.url(&url)).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let r = app.delete("/api/v1/settings/branding", Auth::Session(root), Some(&w.acme)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(brand(&app, root, &w.acme_child).await["display_name"], "Contoso IT");
}
