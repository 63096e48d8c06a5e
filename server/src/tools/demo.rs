//! `tenantry create-superuser` and `tenantry demo`: writes through the same tables and
//! audit trail as the API, in one transaction each.
use crate::audit::{self, Actor, Event};
use crate::auth::password;
use crate::db::{Db, Tx, new_id, now_ms};
use anyhow::{Context, bail};
use crate::access::load_path;
use crate::notifications::{self, NewNotification};
use serde_json::json;
use shared::api::{NotificationTarget, Severity};
use shared::settings::SettingKey;
use shared::{Email, EmailDomain, OrgKind, OrgSlug, Role};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-password";

async fn insert_org(tx: &mut Tx, actor: &Actor, name: &str, slug: &str, kind: OrgKind, parent: Option<&str>, domain: Option<&str>) -> anyhow::Result<String> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO orgs (id, name, slug, kind, parent_id, email_domain, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7)",
    )
    .bind(&id)
    .bind(name)
    .bind(slug)
    .bind(kind.as_str())
    .bind(parent)
    .bind(domain)
    .bind(now)
    .execute(&mut **tx)
    .await
    .with_context(|| format!("creating org {slug}"))?;
    crate::db::counters::refresh(tx, &[&id]).await?;
    audit::record(tx, actor, Event { org_id: Some(&id), action: "org.create", object_type: "org", object_id: Some(&id), summary: format!("created {kind} {name} ({slug})") }).await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_user(tx: &mut Tx, actor: &Actor, email: &str, name: &str, hash: &str, org: &str, role: Role, superuser: bool) -> anyhow::Result<String> {
    let id = new_id();
    let now = now_ms();
    sqlx::query("INSERT INTO users (id, email, name, password_hash, home_org_id, is_superuser, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)")
        .bind(&id)
        .bind(email)
        .bind(name)
        .bind(hash)
        .bind(org)
        .bind(i64::from(superuser))
        .bind(now)
        .execute(&mut **tx)
        .await
        .with_context(|| format!("creating user {email}"))?;
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(org)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    audit::record(tx, actor, Event { org_id: Some(org), action: "user.create", object_type: "user", object_id: Some(&id), summary: format!("added {email} as {role}") }).await?;
    Ok(id)
}

/// Creates a superuser, or makes an existing user one (and sets the password).
/// A new superuser's home is the org of their email domain, created as an MSP if missing.
pub async fn create_superuser(db: &Db, email: &str, name: Option<&str>, pw: &str) -> anyhow::Result<String> {
    create_superuser_with(db, email, name, pw, false).await
}

/// `tenantry create-superuser`. For an email that already has an account it refuses unless
/// `promote_existing` (`--promote-existing`): then the account becomes a superuser with the
/// new password, and every session and token it had ends — whoever held them held a lesser
/// account, and must not keep a superuser's power through them.
pub async fn create_superuser_with(db: &Db, email: &str, name: Option<&str>, pw: &str, promote_existing: bool) -> anyhow::Result<String> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    password::check_policy(pw).map_err(|e| anyhow::anyhow!("password {e}"))?;
    let hash = password::hash(pw.to_string()).await?;
    let actor = Actor::cli("create-superuser");
    let mut tx = audit::begin(db).await?;
    let existing: Option<(String, String)> = sqlx::query_as("SELECT id, home_org_id FROM users WHERE email = $1").bind(email.as_str()).fetch_optional(&mut *tx).await?;
    let msg = if let Some((id, home)) = existing {
        if !promote_existing {
            anyhow::bail!("{email} already has an account; pass --promote-existing to make it a superuser (its sessions and tokens end)");
        }
        sqlx::query("UPDATE users SET is_superuser = 1, password_hash = $1, status = 'active' WHERE id = $2").bind(&hash).bind(&id).execute(&mut *tx).await?;
        crate::auth::session::revoke_all_for_user(&mut tx, &id).await?;
        audit::record(&mut tx, &actor, Event { org_id: Some(&home), action: "user.superuser", object_type: "user", object_id: Some(&id), summary: format!("made the existing account {email} a superuser; its sessions and tokens ended") }).await?;
        format!("{email} is now a superuser (its sessions and tokens ended)")
    } else {
        let domain = EmailDomain::parse(email.domain()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let org: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE email_domain = $1").bind(domain.as_str()).fetch_optional(&mut *tx).await?;
        let org = match org {
            Some(org) => org,
            None => {
                let slug = OrgSlug::parse(&OrgSlug::suggest(domain.as_str(), None)).map_err(|e| anyhow::anyhow!("slug from the domain {e}"))?;
                insert_org(&mut tx, &actor, domain.as_str(), slug.as_str(), OrgKind::Msp, None, Some(domain.as_str())).await?
            }
        };
        let name = name.map(str::to_string).unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("admin").to_string());
        insert_user(&mut tx, &actor, email.as_str(), &name, &hash, &org, Role::Admin, true).await?;
        crate::db::counters::refresh(&mut tx, &[&org]).await?;
        format!("created superuser {email}")
    };
    tx.commit().await?;
    Ok(msg)
}

struct DemoCustomer {
    name: &'static str,
    slug: &'static str,
    domain: &'static str,
    people: [(&'static str, &'static str, Role); 3],
}

const CUSTOMERS: [DemoCustomer; 5] = [
    DemoCustomer { name: "Acme Corp", slug: "acme-contoso", domain: "acme.example", people: [("carol", "Carol Acme", Role::Admin), ("dave", "Dave Acme", Role::Member), ("erin", "Erin Acme", Role::Viewer)] },
    DemoCustomer { name: "Fabrikam", slug: "fabrikam-contoso", domain: "fabrikam.example", people: [("frank", "Frank Fabrikam", Role::Admin), ("grace", "Grace Fabrikam", Role::Member), ("heidi", "Heidi Fabrikam", Role::Viewer)] },
    DemoCustomer { name: "Northwind Traders", slug: "northwind-contoso", domain: "northwind.example", people: [("ivan", "Ivan Northwind", Role::Admin), ("judy", "Judy Northwind", Role::Member), ("ken", "Ken Northwind", Role::Viewer)] },
    DemoCustomer { name: "Tailspin Toys", slug: "tailspin-contoso", domain: "tailspin.example", people: [("liam", "Liam Tailspin", Role::Admin), ("mia", "Mia Tailspin", Role::Member), ("noah", "Noah Tailspin", Role::Viewer)] },
    DemoCustomer { name: "Wingtip Toys", slug: "wingtip-contoso", domain: "wingtip.example", people: [("olivia", "Olivia Wingtip", Role::Admin), ("peter", "Peter Wingtip", Role::Member), ("quinn", "Quinn Wingtip", Role::Viewer)] },
];

/// Seeds the demo; does nothing when Contoso MSP already exists.
pub async fn seed(db: &Db) -> anyhow::Result<String> {
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = 'contoso'").fetch_optional(&db.pool).await?;
    if exists.is_some() {
        // A demo made before settings existed gets them now; otherwise nothing changes.
        let added = seed_workflow(db).await?;
        return Ok(format!(
            "the demo is already there (Contoso MSP){}; sign in with any demo account, password: demo-password",
            if added { " — added settings, schedules, deployments and notifications" } else { "" }
        ));
    }
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let actor = Actor::cli("demo");
    let mut tx = audit::begin(db).await?;
    // The superuser who creates the MSP, as DESIGN describes.
    let ops = insert_org(&mut tx, &actor, "Tenantry Operations", "tenantry-ops", OrgKind::Msp, None, Some("tenantry.example")).await?;
    insert_user(&mut tx, &actor, "root@tenantry.example", "Root Operator", &hash, &ops, Role::Admin, true).await?;
    let msp = insert_org(&mut tx, &actor, "Contoso MSP", "contoso", OrgKind::Msp, None, Some("contoso.example")).await?;
    insert_user(&mut tx, &actor, "alice@contoso.example", "Alice Admin", &hash, &msp, Role::Admin, false).await?;
    insert_user(&mut tx, &actor, "bob@contoso.example", "Bob Admin", &hash, &msp, Role::Admin, false).await?;
    let mut techs = Vec::new();
    for (local, name) in [("tom", "Tom Technician"), ("tina", "Tina Technician"), ("ted", "Ted Technician")] {
        techs.push(insert_user(&mut tx, &actor, &format!("{local}@contoso.example"), name, &hash, &msp, Role::Member, false).await?);
    }
    let mut customers = Vec::new();
    for c in &CUSTOMERS {
        let id = insert_org(&mut tx, &actor, c.name, c.slug, OrgKind::Customer, Some(&msp), Some(c.domain)).await?;
        for (local, name, role) in &c.people {
            insert_user(&mut tx, &actor, &format!("{local}@{}", c.domain), name, &hash, &id, *role, false).await?;
        }
        customers.push(id);
    }
    // Acme has two levels of child tenants.
    let berlin = insert_org(&mut tx, &actor, "Acme Berlin", "acme-berlin", OrgKind::Child, Some(&customers[0]), None).await?;
    insert_org(&mut tx, &actor, "Acme Berlin Lab", "acme-berlin-lab", OrgKind::Child, Some(&berlin), None).await?;
    insert_org(&mut tx, &actor, "Acme Paris", "acme-paris", OrgKind::Child, Some(&customers[0]), None).await?;
    insert_user(&mut tx, &actor, "rita@acme.example", "Rita Berlin", &hash, &berlin, Role::Admin, false).await?;
    // A few managed assets per customer, so the overview and assets pages have something to show.
    let kinds = ["computer", "computer", "monitored_system", "gateway"];
    for (ci, customer) in customers.iter().enumerate() {
        let group = crate::db::new_id();
        sqlx::query("INSERT INTO asset_groups (id, org_id, name, created_at) VALUES ($1, $2, 'Front desk PCs', $3)")
            .bind(&group)
            .bind(customer)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        for i in 0..(4 + ci * 2) {
            let kind = kinds[i % kinds.len()];
            let id = crate::db::new_id();
            let online = i64::from((i + ci) % 3 != 0);
            sqlx::query(
                "INSERT INTO assets (id, org_id, kind, name, group_id, os, address, online, last_seen_at, open_alerts, external_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
            )
            .bind(&id)
            .bind(customer)
            .bind(kind)
            .bind(format!("{}-{:02}", CUSTOMERS[ci].slug.split('-').next().unwrap_or("host"), i + 1))
            .bind((kind == "computer").then(|| group.clone()))
            .bind(if kind == "computer" { "Windows 11" } else { "Linux" })
            .bind(format!("10.{ci}.0.{}", i + 10))
            .bind(online)
            .bind(now_ms() - (i as i64) * 600_000)
            .bind(i64::from(online == 0 && i % 2 == 0))
            .bind(format!("rmm-{ci}-{i}"))
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            audit::record(&mut tx, &actor, Event { org_id: Some(customer), action: "asset.create", object_type: "asset", object_id: Some(&id), summary: format!("added {kind} asset") }).await?;
        }
    }
    let day = 24 * 60 * 60 * 1000;
    let delegations = [(0usize, 0usize, None), (1, 1, Some(now_ms() + 30 * day)), (2, 2, Some(now_ms() + 7 * day)), (0, 3, Some(now_ms() + 90 * day))];
    let granted_by: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'alice@contoso.example'").fetch_one(&mut *tx).await?;
    for (tech, customer, expires) in delegations {
        sqlx::query("INSERT INTO delegations (user_id, org_id, granted_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&techs[tech])
            .bind(&customers[customer])
            .bind(&granted_by)
            .bind(now_ms())
            .bind(expires)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, &actor, Event { org_id: Some(&customers[customer]), action: "delegation.grant", object_type: "delegation", object_id: Some(&techs[tech]), summary: format!("delegated admin of {} to a technician", CUSTOMERS[customer].name) }).await?;
    }
    crate::db::counters::rebuild(&mut tx).await?;
    tx.commit().await?;
    if sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orgs WHERE slug = 'contoso'").fetch_one(&db.pool).await? != 1 {
        bail!("demo did not persist");
    }
    seed_workflow(db).await?;
    Ok(format!(
        "demo created. Password for every account: {DEMO_PASSWORD}\n\
         superuser:        root@tenantry.example\n\
         Contoso admins:   alice@contoso.example, bob@contoso.example\n\
         technicians:      tom@ (Acme, Tailspin), tina@ (Fabrikam), ted@ (Northwind) — @contoso.example\n\
         customer admins:  carol@acme.example, frank@fabrikam.example, ivan@northwind.example, …"
    ))
}

async fn org_id(tx: &mut Tx, slug: &str) -> anyhow::Result<String> {
    sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1").bind(slug).fetch_one(&mut **tx).await.with_context(|| format!("demo org {slug}"))
}

async fn put_setting(tx: &mut Tx, actor: &Actor, org: &str, key: SettingKey, value: serde_json::Value) -> anyhow::Result<()> {
    let value = key.validate(&value).map_err(|e| anyhow::anyhow!("demo {key}: {e:?}"))?;
    sqlx::query("INSERT INTO org_settings (org_id, key, value, updated_at) VALUES ($1, $2, $3, $4)")
        .bind(org)
        .bind(key.as_str())
        .bind(value.to_string())
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    audit::record(tx, actor, Event { org_id: Some(org), action: "setting.set", object_type: "setting", object_id: Some(key.as_str()), summary: format!("overrode {key}: {value}") }).await?;
    Ok(())
}

/// Settings, schedules, deployments and notifications of the demo, in one transaction.
/// Skipped (returns false) when Contoso already has its maintenance window.
async fn seed_workflow(db: &Db) -> anyhow::Result<bool> {
    let actor = Actor::cli("demo");
    let mut tx = audit::begin(db).await?;
    let msp = org_id(&mut tx, "contoso").await?;
    let done: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM org_settings WHERE org_id = $1").bind(&msp).fetch_one(&mut *tx).await?;
    if done > 0 {
        return Ok(false);
    }
    let (acme, fabrikam) = (org_id(&mut tx, "acme-contoso").await?, org_id(&mut tx, "fabrikam-contoso").await?);
    // Contoso's window reaches every customer; Fabrikam patches on its own night.
    put_setting(&mut tx, &actor, &msp, SettingKey::MaintenanceWindow, json!({"days": ["sat", "sun"], "start": "01:00", "end": "05:00", "timezone": "UTC"})).await?;
    put_setting(&mut tx, &actor, &fabrikam, SettingKey::MaintenanceWindow, json!({"days": ["wed"], "start": "22:00", "end": "02:00", "timezone": "+01:00"})).await?;
    put_setting(&mut tx, &actor, &msp, SettingKey::DeploymentDefaults, json!({"reboot_policy": "if_needed", "auto_approve": true})).await?;
    put_setting(&mut tx, &actor, &acme, SettingKey::NotificationPreferences,
        json!({"email": true, "dnd": {"enabled": true, "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "20:00", "end": "07:00", "timezone": "UTC"}})).await?;
    put_setting(&mut tx, &actor, &acme, SettingKey::DefaultDashboard, json!({"widgets": ["open_alerts", "offline", "assets", "schedules"]})).await?;
    let now = now_ms();
    let front_desk: String = sqlx::query_scalar("SELECT id FROM asset_groups WHERE org_id = $1 AND name = 'Front desk PCs'").bind(&acme).fetch_one(&mut *tx).await?;
    let fab_assets: Vec<String> = sqlx::query_scalar("SELECT id FROM assets WHERE org_id = $1 ORDER BY name LIMIT 2").bind(&fabrikam).fetch_all(&mut *tx).await?;
    for (org, name, frequency, start, end, group, assets) in [
        (&acme, "Weekly patching", "weekly", "02:00", "04:00", Some(&front_desk), Vec::new()),
        (&fabrikam, "Nightly antivirus scan", "daily", "23:00", "01:00", None, fab_assets),
    ] {
        let id = new_id();
        sqlx::query("INSERT INTO schedules (id, org_id, name, frequency, window_start, window_end, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
            .bind(&id).bind(org).bind(name).bind(frequency).bind(start).bind(end).bind(now)
            .execute(&mut *tx).await?;
        if let Some(g) = group {
            sqlx::query("INSERT INTO schedule_groups (schedule_id, group_id) VALUES ($1, $2)").bind(&id).bind(g).execute(&mut *tx).await?;
        }
        for a in &assets {
            sqlx::query("INSERT INTO schedule_assets (schedule_id, asset_id) VALUES ($1, $2)").bind(&id).bind(a).execute(&mut *tx).await?;
        }
        audit::record(&mut tx, &actor, Event { org_id: Some(org), action: "schedule.create", object_type: "schedule", object_id: Some(&id), summary: format!("created {frequency} schedule {name}") }).await?;
    }
    for (org, name, package, inheritable) in [
        (&msp, "Contoso RMM agent 8.2", "contoso-rmm-agent@8.2", true),
        (&acme, "Acme VPN client", "winget install Acme.VpnClient", false),
    ] {
        let id = new_id();
        sqlx::query("INSERT INTO deployments (id, org_id, name, package, inheritable, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id).bind(org).bind(name).bind(package).bind(i64::from(inheritable)).bind(now)
            .execute(&mut *tx).await?;
        audit::record(&mut tx, &actor, Event { org_id: Some(org), action: "deployment.create", object_type: "deployment", object_id: Some(&id), summary: format!("created deployment {name}") }).await?;
    }
    let carol: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'carol@acme.example'").fetch_one(&mut *tx).await?;
    for (org, target, title, severity) in [
        (&msp, NotificationTarget::Role { role: Role::Admin }, "Nightly backup report is ready", Severity::Info),
        (&acme, NotificationTarget::User { user_id: crate::db::parse_uuid(&carol) }, "Your VPN certificate expires in 14 days", Severity::Warning),
        (&acme, NotificationTarget::Org, "Planned maintenance this Saturday 01:00-05:00", Severity::Info),
        (&fabrikam, NotificationTarget::Org, "fabrikam-02 has 1 open alert", Severity::Critical),
    ] {
        let path = load_path(&mut tx, org).await?.context("demo org path")?;
        let sent = notifications::send(&mut tx, &path, NewNotification { org_id: org, target, title: title.to_string(), body: String::new(), severity, created_by: None, about_asset: None }, now).await?;
        let n = sent.notification;
        audit::record(&mut tx, &actor, Event { org_id: Some(org), action: "notification.create", object_type: "notification", object_id: Some(&n.id.to_string()), summary: format!("notified: {title} ({:?}, {} recipient(s))", n.status, n.recipients) }).await?;
    }
    tx.commit().await?;
    Ok(true)
}
