//! Four-eyes approvals of the current MSP: requests waiting for a second admin, and decided
//! ones. An admin approves or rejects someone else's request; their own only waits.
use crate::client::{self, ApiFailure};
use crate::layout::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{ApprovalQuery, ApprovalStatus};

fn status_word(s: ApprovalStatus) -> &'static str {
    match s {
        ApprovalStatus::Pending => "pending",
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Rejected => "rejected",
        ApprovalStatus::Failed => "failed",
        ApprovalStatus::Expired => "expired",
    }
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let pending_only = RwSignal::new(true);
    let failure = RwSignal::new(None::<ApiFailure>);
    let approvals = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        let q = ApprovalQuery { status: pending_only.get().then(|| "pending".to_string()) };
        async move { client::bulk::approvals(org, &q).await }
    });
    let decide = move |id: uuid::Uuid, approve: bool| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            let decided = if approve { client::bulk::approve(org, id).await } else { client::bulk::reject(org, id).await };
            match decided {
                Ok(_) => failure.set(None),
                Err(f) => failure.set(Some(f)),
            }
            version.update(|v| *v += 1);
        });
    };
    let me = move || session.me.get().map(|m| m.user.id);
    view! {
        <Title text="Approvals"/>
        <div class="page-head">
            <h1>"Approvals"</h1>
            <label class="checkbox"><input type="checkbox" data-testid="pending-only" prop:checked=move || pending_only.get()
                on:change=move |ev| pending_only.set(event_target_checked(&ev))/>" Pending only"</label>
        </div>
        <p class="muted">"Actions your MSP has listed under Settings → Four-eyes approvals wait here for a second admin. Approved, they run as the admin who asked, and the audit trail names you both."</p>
        {move || failure.get().map(|f| view! { <p class="error" role="alert">{f.message}</p> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || approvals.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="empty" data-testid="no-approvals">"Nothing is waiting for approval."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="table" data-testid="approvals">
                        <thead><tr><th>"Request"</th><th>"Asked by"</th><th>"Until"</th><th>"Status"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|a| {
                                let id = a.id;
                                let status = status_word(a.status);
                                let mine = me() == Some(a.requested_by);
                                let preview = crate::pages::bulk::preview_summary(&a.preview);
                                view! {
                                    <tr data-approval=id.to_string() data-status=status>
                                        <td>
                                            <code>{a.action.clone()}</code>" "{a.summary.clone()}
                                            {preview.map(|p| view! { <br/><small class="muted">{p}</small> })}
                                            {a.result.clone().map(|r| view! { <br/><small class="muted">{r}</small> })}
                                        </td>
                                        <td>{a.requested_by_email.clone()}</td>
                                        <td><time datetime=a.expires_at.clone()>{crate::pages::people::short_time(&a.expires_at)}" UTC"</time></td>
                                        <td><span class=format!("badge {status}")>{status}</span>
                                            {a.decided_by_email.clone().map(|d| view! { <small class="muted">{format!(" by {d}")}</small> })}</td>
                                        <td>
                                            {(a.status == ApprovalStatus::Pending).then(|| if mine {
                                                view! { <small class="muted">"Waiting for another admin"</small> }.into_any()
                                            } else {
                                                view! {
                                                    <button class="btn small primary" data-testid="approve" on:click=move |_| decide(id, true)>"Approve"</button>
                                                    " "
                                                    <button class="btn small danger" data-testid="reject" on:click=move |_| decide(id, false)>"Reject"</button>
                                                }.into_any()
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Said where an action the MSP lists for four-eyes approval was asked for: nothing changed
/// yet; it runs, as the asker, once another admin approves.
#[component]
pub fn HeldNotice(approval: uuid::Uuid, what: &'static str) -> impl IntoView {
    let approvals = crate::layout::use_session().href("approvals");
    view! {
        <div class="card" data-testid="held" role="status">
            <h2>"Waiting for a second admin"</h2>
            <p>{format!("Your MSP requires a second admin to approve {what}. Nothing has changed yet; it runs, as you, once another admin approves it.")}</p>
            <p><a class="btn" href=approvals data-approval=approval.to_string()>"See approvals"</a></p>
        </div>
    }
}
