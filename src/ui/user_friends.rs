use leptos::prelude::*;

use super::{
    confirmed_submit::ConfirmedSubmit,
    error_notice::{ActionError, ErrorNotice},
    outcome::KeptRefusals,
    permitted::{Needs, Permitted},
};
use leptos::server_fn::ServerFn;

use crate::domain::{ApiError, Outcome, Powers, UserSummaryPage};

#[server]
pub async fn list_friends(app_id: String, uid: String) -> Result<UserSummaryPage, ApiError> {
    use crate::domain::{Showing, Uid, UserFilter};
    use crate::server::{
        auth::session::dashboard_app,
        service::users::{self, UserQuery},
    };
    /// How many friends the user page lists.
    const SHOWN: i64 = 25;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let filter = UserFilter { show: Showing::All, ..UserFilter::default() };
    let query = UserQuery { friends_of: Some(Uid::parse(&uid)?), ..UserQuery::filtered(filter, SHOWN, None) };
    Ok(users::list(&state.db, &caller, &app, query).await?)
}

/// Makes the user friends with each UID in `friends` (separated by commas);
/// answers why any of them could not be added.
#[server]
pub async fn add_friends(app_id: String, uid: String, friends: String) -> Result<Vec<String>, ApiError> {
    use crate::domain::Uid;
    use crate::server::{auth::session::dashboard_app, service::friends};
    let friends =
        friends.split(',').map(str::trim).filter(|f| !f.is_empty()).map(Uid::parse).collect::<Result<Vec<_>, _>>()?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let outcomes = friends::add(&state.db, &caller, &app, &Uid::parse(&uid)?, &friends).await?;
    let refused: Vec<String> =
        outcomes.into_iter().filter_map(|(friend, done)| done.err().map(|e| format!("{friend}: {e}"))).collect();
    if !refused.is_empty() {
        crate::ui::outcome::keep(Outcome::SomeRefused(refused.clone())).await?;
    }
    Ok(refused)
}

/// Ends a friendship, both ways. The form asks for a tick first.
#[server]
pub async fn remove_friend(
    app_id: String,
    uid: String,
    friend: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::Uid;
    use crate::server::{auth::session::dashboard_app, service::friends};
    use crate::ui::confirmed_submit::require_confirmation;
    require_confirmation(&confirm, "end this friendship")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    friends::remove(&state.db, &caller, &app, &Uid::parse(&uid)?, &[Uid::parse(&friend)?]).await?;
    Ok(())
}

/// The user's friends, with a form to add some and a button to remove each.
#[component]
pub fn UserFriends(
    app_id: Memo<String>,
    uid: Memo<String>,
    powers: Resource<Result<Powers, ApiError>>,
    /// The page's outcome: the UIDs an addition refused.
    outcome: Resource<Option<Outcome>>,
) -> impl IntoView {
    let add = ServerAction::<AddFriends>::new();
    let remove = ServerAction::<RemoveFriend>::new();
    let friends = Resource::new(move || (app_id.get(), uid.get()), |(app_id, uid)| list_friends(app_id, uid));
    let list = move || {
        Suspend::new(async move {
            let (app_id, uid) = (app_id.get_untracked(), uid.get_untracked());
            let may_change = powers.await.is_ok_and(|p| p.manage);
            match friends.await {
                Ok(page) => view! { <FriendList page app_id uid may_change remove /> }.into_any(),
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
            }
        })
    };
    view! {
        <section class="card friends">
            <h2>"Friends"</h2>
            <ActionError value=remove.value() />
            <Transition fallback=|| view! { <p class="muted">"Loading friends…"</p> }>
                {list}
            </Transition>
            <Permitted powers needs=Needs::Manage>
                <form method="post" action=AddFriends::url() class="inline add-friends">
                    <input type="hidden" name="app_id" value=app_id.get_untracked() />
                    <input type="hidden" name="uid" value=move || uid.get() />
                    <label for="add-friends">"Add friends by UID"</label>
                    <input id="add-friends" name="friends" placeholder="uid-1, uid-2" required />
                    <button type="submit" class="secondary">"Add"</button>
                </form>
            </Permitted>
            <ActionError value=add.value() />
            <KeptRefusals outcome />
        </section>
    }
}

#[component]
fn FriendList(
    page: UserSummaryPage,
    app_id: String,
    uid: String,
    may_change: bool,
    remove: ServerAction<RemoveFriend>,
) -> impl IntoView {
    let base = format!("/apps/{app_id}/users");
    let more = page.total - page.items.len() as i64;
    let more = (more > 0).then(|| format!("and {more} more, listed by GET /v3/users/{uid}/friends"));
    let none = page.items.is_empty();
    view! {
        {none.then(|| view! { <p class="muted">"No friends yet."</p> })}
        <ul class="friend-list">
            {page
                .items
                .into_iter()
                .map(|friend| {
                    let friend_uid = friend.uid.to_string();
                    let (href, shown, row) = (format!("{base}/{friend_uid}"), friend_uid.clone(), friend_uid.clone());
                    let (app_id, uid) = (app_id.clone(), uid.clone());
                    view! {
                        <li data-friend=row>
                            <a href=href>{friend.name}</a>
                            " " <code>{shown}</code>
                            {may_change.then(|| view! {
                                <details class="confirmed-action">
                                    <summary>"Remove"</summary>
                                    <ActionForm action=remove attr:class="form">
                                        <input type="hidden" name="app_id" value=app_id />
                                        <input type="hidden" name="uid" value=uid />
                                        <input type="hidden" name="friend" value=friend_uid />
                                        <ConfirmedSubmit consequence="They stop being friends, both ways" button="Remove friend" />
                                    </ActionForm>
                                </details>
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        {more.map(|more| view! { <p class="muted">{more}</p> })}
    }
}
