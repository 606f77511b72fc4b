use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::{error_notice::ErrorNotice, group_members::ChangeMembers, timestamp::Timestamp};
use crate::domain::{ApiError, BannedUserView, MemberAction, Page, Powers};

/// The users banned from the group: the first page of them, by UID.
#[server]
pub async fn list_banned(app_id: String, guid: String) -> Result<Page<BannedUserView>, ApiError> {
    use crate::domain::Guid;
    use crate::server::{
        auth::session::dashboard_app,
        service::{
            groups::Acting,
            members::{self, MemberQuery},
        },
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let guid = Guid::parse(&guid)?;
    Ok(members::banned_users(&state.db, &caller, &app, &Acting::App, &guid, MemberQuery::default()).await?)
}

/// Who may not join the group, and by whom they were banned; support
/// staff lift bans here.
#[component]
pub fn GroupBans(
    app_id: Memo<String>,
    guid: Memo<String>,
    powers: Resource<Result<Powers, ApiError>>,
) -> impl IntoView {
    let banned = Resource::new(move || (app_id.get(), guid.get()), |(app_id, guid)| list_banned(app_id, guid));
    view! {
        <section class="card banned">
            <h2>"Banned users"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading bans…"</p> }>
                {move || Suspend::new(async move {
                    let may_unban = powers.await.is_ok_and(|p| p.moderate);
                    match banned.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="muted">"Nobody is banned."</p> }.into_any(),
                        Ok(page) => {
                            let (app_id, guid) = (app_id.get_untracked(), guid.get_untracked());
                            view! {
                                <table class="banned">
                                    <thead><tr><th>"UID"</th><th>"Name"</th><th>"Banned by"</th><th>"Banned"</th><th>"Until"</th><th>"Reason"</th><th></th></tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|ban| {
                                            let uid = ban.uid.to_string();
                                            let (app_id, guid, row, shown) = (app_id.clone(), guid.clone(), uid.clone(), uid.clone());
                                            view! {
                                                <tr data-uid=row>
                                                    <td>{shown}</td>
                                                    <td>{ban.name}</td>
                                                    <td>{ban.banned_by}</td>
                                                    <td><Timestamp at=Some(ban.banned_at) /></td>
                                                    <td>{match ban.until {
                                                        Some(until) => view! { <Timestamp at=Some(until) /> }.into_any(),
                                                        None => view! { "For good" }.into_any(),
                                                    }}</td>
                                                    <td>{ban.reason.unwrap_or_default()}</td>
                                                    <td>
                                                        {may_unban.then(|| view! {
                                                            <form method="post" action=ChangeMembers::url() class="inline unban">
                                                                <input type="hidden" name="app_id" value=app_id />
                                                                <input type="hidden" name="guid" value=guid />
                                                                <input type="hidden" name="uids[]" value=uid />
                                                                <button type="submit" name="action" value=MemberAction::Unban.as_str() class="secondary">"Unban"</button>
                                                            </form>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
