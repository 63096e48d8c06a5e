//! The Organizations tree, importing tenants, and imports answered as a progress stream.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Posts an import body; with `stream` asks for ndjson progress and returns every line.
async fn send_import(app: &TestApp, s: &Session, org: &str, path: &str, content_type: &str, body: String, stream: bool) -> (StatusCode, Vec<Value>) {
    let mut req = app
        .http
        .post(app.url(path))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("x-org-id", org)
        .header("content-type", content_type)
        .body(body);
    if stream {
        req = req.header("accept", "application/x-ndjson");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let lines = if stream {
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}"))).collect()
    } else {
        vec![serde_json::from_str(&text).unwrap_or(Value::Null)]
    };
    (status, lines)
}

fn node_names(r: &Resp) -> Vec<String> {
    r.body["items"].as_array().unwrap_or_else(|| panic!("no items: {}", r.text)).iter().map(|n| n["name"].as_str().unwrap().to_string()).collect()
}

fn node<'a>(r: &'a Resp, name: &str) -> &'a Value {
    r.body["items"].as_array().unwrap().iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("{name} not in {}", r.text))
}

async fn add_asset(app: &TestApp, s: &Session, org: &str, kind: &str, name: &str, group: Option<&str>) {
    let r = app.post("/api/v1/assets", Auth::Session(s), Some(org), json!({"kind": kind, "name": name, "group_id": group})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn the_tree_loads_level_by_level_and_shows_only_what_the_caller_may_open() {
    let app = spawn_app().await;
    let w = app.world().await;
    let front = app.post("/api/v1/groups", Auth::Session(&w.root), Some(&w.acme), json!({"name": "Front desk"})).await.id();
    add_asset(&app, &w.root, &w.acme, "computer", "pc-1", Some(&front)).await;
    add_asset(&app, &w.root, &w.acme, "computer", "pc-2", None).await;
    add_asset(&app, &w.root, &w.acme, "gateway", "gw-1", None).await;
    add_asset(&app, &w.root, &w.acme_child, "monitored_system", "sql-1", None).await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let g = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&w.root), Some(&w.msp), json!({"user_id": tech})).await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.text);
    let tom = app.login("tom@contoso.example", PASSWORD).await;

    // A superuser's roots are the MSPs; the MSP node counts its customers.
    let roots = app.get("/api/v1/tree", Auth::Session(&w.root), None).await;
    assert_eq!(roots.status, StatusCode::OK, "{}", roots.text);
    assert!(node_names(&roots).contains(&"Contoso MSP".to_string()), "{}", roots.text);
    assert_eq!(node(&roots, "Contoso MSP")["children"], 2);

    // The technician sees the MSP, and below it only the delegated customer.
    let roots = app.get("/api/v1/tree", Auth::Session(&tom), None).await;
    assert_eq!(node_names(&roots), vec!["Contoso MSP"]);
    assert_eq!(node(&roots, "Contoso MSP")["children"], 1, "the count doesn't reveal undelegated customers");
    let level = app.get(&format!("/api/v1/tree/{}/children", w.msp), Auth::Session(&tom), None).await;
    assert_eq!(node_names(&level), vec!["Acme"]);
    let acme = node(&level, "Acme");
    assert_eq!((acme["role"].as_str(), acme["children"].as_i64()), (Some("admin"), Some(1)));
    assert_eq!(acme["assets"], json!({"computer": 2, "monitored_system": 0, "gateway": 1}));
    let level = app.get(&format!("/api/v1/tree/{}/children", w.acme), Auth::Session(&tom), None).await;
    assert_eq!(node_names(&level), vec!["Acme Berlin"]);
    assert_eq!(node(&level, "Acme Berlin")["assets"]["monitored_system"], 1);
    // Nodes outside the caller's reach answer 404, like ones that don't exist.
    for org in [&w.globex, &w.foreign, &"00000000-0000-4000-8000-000000000000".to_string()] {
        let r = app.get(&format!("/api/v1/tree/{org}/children"), Auth::Session(&tom), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{org}: {}", r.text);
    }

    // Search finds accessible orgs at any depth, with their path; never others.
    let found = app.get("/api/v1/tree?q=berlin", Auth::Session(&tom), None).await;
    assert_eq!(node_names(&found), vec!["Acme Berlin"]);
    assert_eq!(found.body["items"][0]["path"], json!(["Contoso MSP", "Acme"]));
    let found = app.get("/api/v1/tree?q=globex", Auth::Session(&tom), None).await;
    assert_eq!(node_names(&found), Vec::<String>::new());

    // A group-limited viewer's counts cover only their groups.
    let lim = app.add_user(&w.root, &w.acme, "lim@acme.example", "viewer").await;
    let r = app.request(Method::PATCH, &format!("/api/v1/users/{lim}"), Auth::Session(&w.root), Some(&w.acme), Some(json!({"group_ids": [front]}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let lim = app.login("lim@acme.example", PASSWORD).await;
    let roots = app.get("/api/v1/tree", Auth::Session(&lim), None).await;
    assert_eq!(node_names(&roots), vec!["Acme"]);
    assert_eq!(node(&roots, "Acme")["assets"], json!({"computer": 1, "monitored_system": 0, "gateway": 0}));
}

/// Orgs as comparable text, plus the number of audit events.
async fn org_snapshot(app: &TestApp) -> (Vec<String>, i64) {
    let rows: Vec<(String, String, String, String, Option<String>, Option<String>, i64)> =
        sqlx::query_as("SELECT id, name, slug, kind, parent_id, email_domain, updated_at FROM orgs ORDER BY id").fetch_all(&app.db.pool).await.unwrap();
    (rows.iter().map(|r| format!("{r:?}")).collect(), app.audit_count().await)
}

#[tokio::test]
async fn importing_tenants_builds_the_tree_and_a_second_import_changes_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let msp_slug = app.get(&format!("/api/v1/orgs/{}", w.msp), Auth::Session(&w.root), None).await.body["slug"].as_str().unwrap().to_string();
    // A child row before its parent row, and a child of an existing customer named by slug.
    let acme_slug = app.get(&format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None).await.body["slug"].as_str().unwrap().to_string();
    let csv = format!(
        "name,external_id,parent,domain\n\
         Wayne Gotham,psa-2,psa-1,\n\
         Wayne Enterprises,psa-1,,wayne.example\n\
         Wayne Gotham Lab,psa-3,psa-2,\n\
         Stark Industries,psa-4,,Stark.Example\n\
         Acme Munich,psa-5,{acme_slug},\n"
    );
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import/tenants", "text/csv", csv.clone(), false).await;
    assert_eq!(status, StatusCode::OK, "{:?}", lines);
    assert_eq!((lines[0]["created"].as_i64(), lines[0]["unchanged"].as_i64()), (Some(5), Some(0)));

    let kind_and_parent = |name: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(
                "SELECT o.kind, o.slug, p.name, o.email_domain FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id WHERE o.name = $1",
            )
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let wayne = kind_and_parent("Wayne Enterprises").await;
    assert_eq!((wayne.0.as_str(), wayne.2.as_deref(), wayne.3.as_deref()), ("customer", Some("Contoso MSP"), Some("wayne.example")));
    assert_eq!(wayne.1, format!("wayne-enterprises-{msp_slug}"));
    assert_eq!(kind_and_parent("Wayne Gotham").await.2.as_deref(), Some("Wayne Enterprises"));
    let lab = kind_and_parent("Wayne Gotham Lab").await;
    assert_eq!((lab.0.as_str(), lab.2.as_deref()), ("child", Some("Wayne Gotham")));
    assert_eq!(kind_and_parent("Stark Industries").await.3.as_deref(), Some("stark.example"));
    assert_eq!(kind_and_parent("Acme Munich").await.2.as_deref(), Some("Acme"));

    // The same file again (and as JSON) changes nothing, not even the audit log.
    let before = org_snapshot(&app).await;
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import/tenants", "text/csv", csv, false).await;
    assert_eq!((status, lines[0]["unchanged"].as_i64(), lines[0]["created"].as_i64()), (StatusCode::OK, Some(5), Some(0)));
    let as_json = json!({"tenants": [
        {"name": "Wayne Enterprises", "external_id": "psa-1", "domain": "wayne.example"},
        {"name": "Wayne Gotham", "external_id": "psa-2", "parent": "psa-1"},
    ]});
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import/tenants", "application/json", as_json.to_string(), false).await;
    assert_eq!((status, lines[0]["unchanged"].as_i64()), (StatusCode::OK, Some(2)), "{lines:?}");
    assert_eq!(org_snapshot(&app).await, before);

    // A renamed row renames the tenant, with one audit event.
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import/tenants", "text/csv", "name,external_id\nWayne Corp,psa-1\n".into(), false).await;
    assert_eq!((status, lines[0]["updated"].as_i64()), (StatusCode::OK, Some(1)), "{lines:?}");
    assert_eq!(app.audit_count().await, before.1 + 1);
    assert_eq!(kind_and_parent("Wayne Corp").await.3.as_deref(), Some("wayne.example"));
}

#[tokio::test]
async fn a_bad_tenant_file_lists_every_bad_row_and_imports_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let before = org_snapshot(&app).await;
    let csv = "name,external_id,parent,domain\n\
               Good One,t-1,,good.example\n\
               No Domain,t-2,,\n\
               Child With Domain,t-3,t-1,child.example\n\
               Lost,t-4,nowhere,\n\
               Loop A,t-5,t-6,\n\
               Loop B,t-6,t-5,\n\
               Taken,t-7,,acme.example\n\
               ,t-8,,x.example\n\
               Twice,t-1,,twice.example\n";
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import/tenants", "text/csv", csv.into(), false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lines:?}");
    let errors: Vec<(i64, String)> = lines[0]["result"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap().to_string()))
        .collect();
    for expected in [(3, "domain"), (4, "domain"), (5, "parent"), (8, "domain"), (9, "name"), (10, "external_id")] {
        assert!(errors.contains(&(expected.0, expected.1.to_string())), "{expected:?} missing from {errors:?}");
    }
    assert!(errors.iter().any(|(row, field)| (*row == 6 || *row == 7) && field == "parent"), "the cycle is reported: {errors:?}");
    assert!(!errors.iter().any(|(row, _)| *row == 2), "the good row is not blamed: {errors:?}");
    assert_eq!(org_snapshot(&app).await, before, "nothing was imported");

    // Only admins of the current org import tenants; a foreign org answers 404.
    app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let before = org_snapshot(&app).await;
    let (status, _) = send_import(&app, &tom, &w.msp, "/api/v1/import/tenants", "text/csv", "name,external_id\nX,x\n".into(), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send_import(&app, &tom, &w.foreign, "/api/v1/import/tenants", "text/csv", "name,external_id\nX,x\n".into(), false).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(org_snapshot(&app).await, before);
}

#[tokio::test]
async fn a_large_import_streams_its_progress_then_its_result() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut csv = String::from("kind,name,external_id\n");
    for i in 0..10_000 {
        csv.push_str(&format!("computer,host-{i:05},ext-{i}\n"));
    }
    let started = std::time::Instant::now();
    let (status, lines) = send_import(&app, &w.root, &w.acme, "/api/v1/import", "text/csv", csv, true).await;
    eprintln!("10,000-row streamed import: {:?}, {} lines", started.elapsed(), lines.len());
    assert_eq!(status, StatusCode::OK);
    let (last, progress) = lines.split_last().unwrap();
    assert_eq!(last["result"]["created"], 10_000, "{last}");
    assert!(last.get("error").is_none());
    let writing: Vec<i64> = progress.iter().filter(|l| l["progress"]["phase"] == "writing").map(|l| l["progress"]["done"].as_i64().unwrap()).collect();
    let checking = progress.iter().filter(|l| l["progress"]["phase"] == "checking").count();
    assert!(checking >= 10 && writing.len() >= 10, "progress reported along the way: {checking} checking, {writing:?}");
    assert!(writing.windows(2).all(|w| w[0] <= w[1]) && writing.last() == Some(&10_000), "{writing:?}");
    assert!(progress.iter().all(|l| l["progress"]["total"] == 10_000));

    // A rejected streamed import ends with the error and the bad rows.
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import/tenants", "text/csv", "name,external_id,domain\nNo Domain,z-1,\n".into(), true).await;
    assert_eq!(status, StatusCode::OK);
    let last = lines.last().unwrap();
    assert_eq!(last["error"]["code"], "invalid", "{last}");
    assert_eq!(last["result"]["errors"][0]["field"], "domain");
}

#[tokio::test]
async fn one_import_brings_tenants_and_their_assets_together_or_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let before = org_snapshot(&app).await;
    let file = |asset_kind: &str| {
        json!({
            "tenants": [
                {"name": "Hooli", "external_id": "c-1", "domain": "hooli.example"},
                {"name": "Hooli Labs", "external_id": "c-2", "parent": "c-1"},
            ],
            "assets": [
                {"kind": "computer", "name": "hq-pc", "external_id": "a-1", "tenant": "c-1"},
                {"kind": asset_kind, "name": "lab-gw", "external_id": "a-2", "tenant": "c-2"},
            ],
        })
        .to_string()
    };
    // A bad asset row stops the tenants too: one transaction.
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import", "application/json", file("toaster"), false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lines:?}");
    assert_eq!(lines[0]["result"]["errors"][0]["field"], "assets.kind");
    assert_eq!(org_snapshot(&app).await, before);

    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import", "application/json", file("gateway"), false).await;
    assert_eq!((status, lines[0]["created"].as_i64()), (StatusCode::OK, Some(4)), "{lines:?}");
    let placed: Vec<(String, String)> =
        sqlx::query_as("SELECT a.name, o.name FROM assets a JOIN orgs o ON o.id = a.org_id WHERE a.external_id IN ('a-1', 'a-2') ORDER BY a.name")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(placed, vec![("hq-pc".into(), "Hooli".into()), ("lab-gw".into(), "Hooli Labs".into())]);
    let after = org_snapshot(&app).await;
    let (_, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import", "application/json", file("gateway"), false).await;
    assert_eq!(lines[0]["unchanged"], 4);
    assert_eq!(org_snapshot(&app).await, after, "the same file again changes nothing");

    // A CSV without a kind column is a tenant file, and needs admin.
    let (status, lines) = send_import(&app, &w.root, &w.msp, "/api/v1/import", "text/csv", "name,external_id,domain\nPied Piper,c-3,piedpiper.example\n".into(), false).await;
    assert_eq!((status, lines[0]["created"].as_i64()), (StatusCode::OK, Some(1)), "{lines:?}");
    app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let (status, _) = send_import(&app, &tom, &w.msp, "/api/v1/import", "text/csv", "name,external_id,domain\nX,c-9,x9.example\n".into(), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
