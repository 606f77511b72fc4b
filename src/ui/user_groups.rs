use leptos::prelude::*;

use super::{
    error_notice::ErrorNotice,
    group_badges::{GroupTypeBadge, ScopeBadge},
};
use crate::domain::{ApiError, GroupView, Page};

/// The groups the user is a member of, by GUID, each with their scope in it.
#[server]
pub async fn list_user_groups(app_id: String, uid: String) -> Result<Page<GroupView>, ApiError> {
    use crate::domain::{GroupSort, Uid};
    use crate::server::{
        auth::session::dashboard_app,
        service::{
            Paging,
            groups::{self, Acting, GroupQuery},
        },
    };
    /// How many groups the user page lists.
    const SHOWN: i64 = 25;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    // Read as the user, so each group says what the user is in it.
    let uid = Uid::parse(&uid)?;
    let query = GroupQuery { sort: GroupSort::Guid, paging: Paging::first(SHOWN), ..GroupQuery::default() };
    Ok(groups::of_user(&state.db, &caller, &app, &Acting::User(uid.clone()), &uid, query).await?)
}

#[component]
pub fn UserGroups(app_id: Memo<String>, uid: Memo<String>) -> impl IntoView {
    let groups = Resource::new(move || (app_id.get(), uid.get()), |(app_id, uid)| list_user_groups(app_id, uid));
    view! {
        <section class="card groups">
            <h2>"Groups"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading groups…"</p> }>
                {move || Suspend::new(async move {
                    match groups.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="muted">"Not a member of any group."</p> }.into_any(),
                        Ok(page) => {
                            let more = page.total - page.items.len() as i64;
                            let base = format!("/apps/{}/groups", app_id.get_untracked());
                            view! {
                                <table class="user-groups">
                                    <thead><tr><th>"GUID"</th><th>"Name"</th><th>"Type"</th><th>"Scope"</th></tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|group| {
                                            let guid = group.guid.to_string();
                                            let (href, row) = (format!("{base}/{guid}"), guid.clone());
                                            view! {
                                                <tr data-guid=row>
                                                    <td><a href=href>{guid}</a></td>
                                                    <td>{group.name}</td>
                                                    <td><GroupTypeBadge group_type=group.group_type /></td>
                                                    <td>{group.scope.map(|scope| view! { <ScopeBadge scope /> })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {(more > 0).then(|| view! { <p class="muted">{format!("and {more} more")}</p> })}
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
