//! The notification bell (unread count, in the header) and the inbox page: the signed-in
//! user's notifications from every org, newest first; mark one or all read.
use crate::client;
use crate::components::{Loading, listed};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{InboxItem, InboxQuery};
use uuid::Uuid;

/// Bumped whenever the inbox changes here, so the bell recounts at once.
#[derive(Clone, Copy)]
pub struct InboxVersion(pub RwSignal<u32>);

/// The bell in the header: unread count, refreshed every 30 s and after reading.
#[component]
pub fn Bell() -> impl IntoView {
    let version = use_context::<InboxVersion>().unwrap_or(InboxVersion(RwSignal::new(0)));
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(30));
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
    let unread = LocalResource::new(move || {
        tick.get();
        version.0.get();
        async move { client::operations::unread_count().await.unwrap_or(0) }
    });
    view! {
        <a class="bell" href="/inbox" data-testid="bell" title="Notifications">
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.7 21a2 2 0 0 1-3.4 0"/>
            </svg>
            {move || unread.get().filter(|n| *n > 0).map(|n| view! { <span class="bell-count" data-testid="bell-count">{n}</span> })}
        </a>
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let version = use_context::<InboxVersion>().unwrap_or(InboxVersion(RwSignal::new(0)));
    let unread_only = RwSignal::new(false);
    let inbox = LocalResource::new(move || {
        version.0.get();
        let query = InboxQuery { unread: unread_only.get().then_some(true), limit: Some(100), cursor: None };
        async move { client::operations::inbox(&query).await }
    });
    // One item (`Some(id)`) or all of them.
    let mark = move |item: Option<Uuid>| {
        leptos::task::spawn_local(async move {
            let _ = match item {
                Some(id) => client::operations::mark_read(id).await,
                None => client::operations::mark_all_read().await,
            };
            version.0.update(|v| *v += 1);
        });
    };
    view! {
        <Title text="Notifications"/>
        <div class="page-head">
            <h1>"Notifications"</h1>
            <label class="checkbox"><input type="checkbox" prop:checked=move || unread_only.get()
                on:change=move |ev| unread_only.set(event_target_checked(&ev))/>" Unread only"</label>
            <button class="btn ghost" data-testid="read-all" on:click=move |_| mark(None)>"Mark all read"</button>
        </div>
        <p class="muted">"Notifications to a whole org wait while that org's Do Not Disturb window is on and arrive when it ends. Notifications to you, your role or your group always arrive at once."</p>
        <Suspense fallback=|| view! { <Loading what="notifications"/> }>
            {move || inbox.get().map(|r| listed(r.map(|i| i.items), "Nothing here.", |items| view! {
                <ul class="inbox" data-testid="inbox">
                    {items.into_iter().map(|item| view! { <InboxRow item mark/> }).collect_view()}
                </ul>
            }))}
        </Suspense>
    }
}

#[component]
fn InboxRow(item: InboxItem, mark: impl Fn(Option<Uuid>) + Copy + Send + Sync + 'static) -> impl IntoView {
    let unread = item.read_at.is_none();
    let id = item.id;
    let severity = format!("{:?}", item.severity).to_lowercase();
    let severity_attr = severity.clone();
    view! {
        <li class="inbox-item" class:unread=unread data-severity=severity_attr>
            <div class="panel-head">
                <strong>{item.title.clone()}</strong>
                <span class="badge">{severity}</span>
            </div>
            <p>{item.body.clone()}</p>
            <p class="muted">{format!("{} · to {} · {}", item.org_name, item.target_kind, item.delivered_at)}</p>
            {unread.then(|| view! { <button class="btn ghost small" on:click=move |_| mark(Some(id))>"Mark read"</button> })}
        </li>
    }
}
