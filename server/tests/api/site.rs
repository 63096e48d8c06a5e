//! The site's static files (`/pkg/…`): sent as the `.br` or `.gz` file the release build made
//! next to each one when the browser takes it, and kept by the browser for a year when the
//! name carries its content's hash.
use crate::helpers::spawn_app_with;
use reqwest::StatusCode;

#[tokio::test]
async fn pkg_files_go_out_precompressed_and_hashed_names_are_cached_for_good() {
    let site = std::env::temp_dir().join("tenantry-tests").join(format!("site-{}", uuid::Uuid::new_v4()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm = "tenantry.Zm9vYmFyYmF6cXV4cXV1eA.wasm";
    std::fs::write(pkg.join(wasm), b"plain").unwrap();
    std::fs::write(pkg.join(format!("{wasm}.br")), b"brotli").unwrap();
    std::fs::write(pkg.join(format!("{wasm}.gz")), b"gzip").unwrap();
    std::fs::write(pkg.join("tenantry.css"), b"body{}").unwrap();
    let root = site.to_string_lossy().to_string();
    let app = spawn_app_with(move |c| c.site_root = root).await;

    let get = |path: String, accept: Option<&'static str>| {
        let (http, url) = (app.http.clone(), app.url(&path));
        async move {
            let mut req = http.get(url);
            if let Some(accept) = accept {
                req = req.header("accept-encoding", accept);
            }
            let r = req.send().await.unwrap();
            let header = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            let (status, encoding, cache, kind) = (r.status(), header("content-encoding"), header("cache-control"), header("content-type"));
            (status, encoding, cache, kind, r.text().await.unwrap())
        }
    };
    let year = "public, max-age=31536000, immutable";
    let (status, encoding, cache, kind, body) = get(format!("/pkg/{wasm}"), Some("gzip, deflate, br")).await;
    assert_eq!((status, encoding.as_str(), cache.as_str(), kind.as_str(), body.as_str()), (StatusCode::OK, "br", year, "application/wasm", "brotli"));
    let (_, encoding, _, _, body) = get(format!("/pkg/{wasm}"), Some("gzip")).await;
    assert_eq!((encoding.as_str(), body.as_str()), ("gzip", "gzip"));
    let (_, encoding, cache, _, body) = get(format!("/pkg/{wasm}"), None).await;
    assert_eq!((encoding.as_str(), cache.as_str(), body.as_str()), ("", year, "plain"));
    // A name without a hash may change meaning with the next build: always revalidated.
    let (status, encoding, cache, _, body) = get("/pkg/tenantry.css".into(), Some("br")).await;
    assert_eq!((status, encoding.as_str(), cache.as_str(), body.as_str()), (StatusCode::OK, "", "no-cache", "body{}"));
    let (status, _, cache, _, _) = get("/pkg/nothing.Zm9vYmFyYmF6cXV4cXV1eA.js".into(), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(cache, year, "a missing file must not be cached for a year");
    std::fs::remove_dir_all(&site).unwrap();
}
