use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    auto_submit::AutoSubmit,
    confirmed_submit::ConfirmedSubmit,
    error_notice::{ActionError, ErrorNotice},
    group_badges::ScopeBadge,
    outcome::KeptRefusals,
    timestamp::Timestamp,
    users_page::list_users,
};
use crate::domain::{ApiError, BanLength, MemberAction, MemberView, Outcome, Page, Powers, Scope, UserFilter};

/// A page of the group's members, by UID: those whose UID starts with
/// `search`, of one scope or any (`scope` empty).
#[server]
pub async fn list_members(
    app_id: String,
    guid: String,
    search: String,
    scope: String,
    cursor: Option<String>,
) -> Result<Page<MemberView>, ApiError> {
    use crate::domain::Guid;
    use crate::server::{
        auth::session::dashboard_app,
        service::{
            Paging,
            groups::Acting,
            members::{self, MemberQuery},
        },
    };
    /// Members per page.
    const PAGE_SIZE: i64 = 50;
    let scopes = Some(scope.trim()).filter(|s| !s.is_empty()).map(Scope::parse).transpose()?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let query = MemberQuery {
        search: Some(search),
        scopes: scopes.into_iter().collect(),
        status: None,
        paging: Paging::after(PAGE_SIZE, cursor),
    };
    Ok(members::list(&state.db, &caller, &app, &Acting::App, &Guid::parse(&guid)?, query).await?)
}

/// Does `action` to each of `uids` (adding them, or changing their scope,
/// with `scope`); answers why any of several could not be done. With one
/// user, their refusal is the error. Kicking and banning need the form's
/// box ticked; a ban carries its `reason` and `length` (see `BanLength`).
#[server]
pub async fn change_members(
    app_id: String,
    guid: String,
    action: MemberAction,
    #[server(default)] uids: Vec<String>,
    #[server(default)] scope: String,
    #[server(default)] confirm: Option<String>,
    #[server(default)] reason: String,
    #[server(default)] length: String,
) -> Result<Vec<String>, ApiError> {
    use crate::domain::{BanLength, BanTerms, Guid, Uid, parse_reason};
    use crate::server::{
        Error,
        auth::session::dashboard_app,
        service::{
            groups::Acting,
            members::{self, MemberChange},
        },
    };
    use crate::ui::confirmed_submit::require_confirmation;
    let uids = uids.iter().map(|uid| Uid::parse(uid)).collect::<Result<Vec<_>, _>>()?;
    if uids.is_empty() {
        return Err(Error::invalid("ERR_NO_UIDS", "Pick at least one user first.").into());
    }
    match action {
        MemberAction::Kick => require_confirmation(&confirm, "kick them")?,
        MemberAction::Ban => require_confirmation(&confirm, "ban them")?,
        _ => {}
    }
    let reason = Some(reason.trim()).filter(|r| !r.is_empty()).map(parse_reason).transpose()?;
    let ban = BanTerms { reason, length: BanLength::parse(&length)? };
    let scope = || Scope::parse(&scope);
    let change = match action {
        MemberAction::Add => MemberChange::Add(scope()?),
        MemberAction::ChangeScope => MemberChange::SetScope(scope()?),
        MemberAction::Kick => MemberChange::Kick,
        MemberAction::Ban => MemberChange::Ban,
        MemberAction::Unban => MemberChange::Unban,
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let changes: Vec<_> = uids.into_iter().map(|uid| (uid, change)).collect();
    let single = changes.len() == 1;
    let guid = Guid::parse(&guid)?;
    let outcomes = members::change_banning(&state.db, &caller, &app, &Acting::App, &guid, changes, &ban).await?;
    if single {
        members::single(outcomes)?;
        return Ok(Vec::new());
    }
    let refused: Vec<String> =
        outcomes.into_iter().filter_map(|(uid, _, done)| done.err().map(|e| format!("{uid}: {e}"))).collect();
    if !refused.is_empty() {
        crate::ui::outcome::keep(crate::domain::Outcome::SomeRefused(refused.clone())).await?;
    }
    Ok(refused)
}

/// The group's members with their scope badges, a search on UID and a
/// scope filter, and the controls the operator's role allows.
#[component]
pub fn GroupMembers(
    app_id: Memo<String>,
    guid: Memo<String>,
    powers: Resource<Result<Powers, ApiError>>,
    change: ServerAction<ChangeMembers>,
    /// The page's outcome: the UIDs a change to several refused.
    outcome: Resource<Option<Outcome>>,
) -> impl IntoView {
    // The search and the page live in the address (`member`, `scope`,
    // `after`), as the users list's do.
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("member").unwrap_or_default());
    let scope = Memo::new(move |_| query.read().get("scope").unwrap_or_default());
    let cursor = Memo::new(move |_| query.read().get("after"));
    let (shown_search, shown_scope) = (search.get_untracked(), scope.get_untracked());
    // The address of the page after `cursor`, with the same search.
    let next_page = move || {
        let (search, scope) = (search.get_untracked(), scope.get_untracked());
        move |cursor: &str| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in [("member", search.as_str()), ("scope", scope.as_str())] {
                if !value.is_empty() {
                    query.append_pair(key, value);
                }
            }
            format!("?{}", query.append_pair("after", cursor).finish())
        }
    };
    let members = Resource::new(
        move || (app_id.get(), guid.get(), search.get(), scope.get(), cursor.get()),
        |(app_id, guid, search, scope, cursor)| list_members(app_id, guid, search, scope, cursor),
    );
    view! {
            <section class="card members">
                <h2>"Members"</h2>
                <ActionError value=change.value() />
                <KeptRefusals outcome />
                <Form method="GET" action="" replace=true noscroll=true>
                    <AutoSubmit>
    <div class="filters" role="search">
                        <label for="member-search">
                            "Find a member by UID"
                            <input
                                id="member-search"
                                type="search"
                                name="member"
                                value=shown_search
                                placeholder="Start typing a UID"
                                autocomplete="off"
                            />
                        </label>
                        <label for="member-scope">
                            "Scope"
                            <select id="member-scope" name="scope">
                                <option value="">"Any scope"</option>
                                {Scope::ALL
                                    .iter()
                                    .map(|s| view! { <option value=s.as_str() selected=s.as_str() == shown_scope>{s.label()}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="secondary">"Find"</button>
                    </div>
                    </AutoSubmit>
                </Form>
                <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
                    {move || Suspend::new(async move {
                        let powers = powers.await.unwrap_or_default();
                        match members.await {
                            Ok(page) => view! {
                                <MemberTable page app_id=app_id.get_untracked() guid=guid.get_untracked() powers next_page=next_page() />
                            }
                                .into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
                <Transition>
                    {move || Suspend::new(async move {
                        powers.await.unwrap_or_default().manage.then(|| view! {
                            <AddMembers app_id=app_id.get_untracked() guid=guid.get_untracked() />
                        })
                    })}
                </Transition>
            </section>
        }
}

#[component]
fn MemberTable(
    page: Page<MemberView>,
    app_id: String,
    guid: String,
    powers: Powers,
    next_page: impl Fn(&str) -> String + Send + 'static,
) -> impl IntoView {
    let count = page.total_in_words("member", "members");
    let next = page.next_cursor.clone();
    view! {
        <p class="muted count">{count}</p>
        <table class="members">
            <thead>
                <tr><th>"UID"</th><th>"Name"</th><th>"Scope"</th><th>"Joined"</th><th></th></tr>
            </thead>
            <tbody>
                {page
                    .items
                    .into_iter()
                    .map(|member| view! { <MemberRow member app_id=app_id.clone() guid=guid.clone() powers /> })
                    .collect_view()}
            </tbody>
        </table>
        <nav class="paging">
            {next.map(|next| view! { <a href=next_page(&next) class="older">"Next page"</a> })}
        </nav>
    }
}

#[component]
fn MemberRow(member: MemberView, app_id: String, guid: String, powers: Powers) -> impl IntoView {
    let uid = member.uid.to_string();
    let user_href = format!("/apps/{app_id}/users/{uid}");
    let (row, shown) = (uid.clone(), uid.clone());
    // Every control of the row names the same member.
    let hidden = StoredValue::new((app_id, guid, uid));
    let hidden = move || {
        let (app_id, guid, uid) = hidden.get_value();
        view! {
            <input type="hidden" name="app_id" value=app_id />
            <input type="hidden" name="guid" value=guid />
            <input type="hidden" name="uids[]" value=uid />
        }
    };
    let current = member.scope;
    view! {
        <tr data-uid=row>
            <td><a href=user_href>{shown}</a></td>
            <td>{member.name}</td>
            <td><ScopeBadge scope=member.scope /></td>
            <td><Timestamp at=Some(member.joined_at) /></td>
            <td class="row-actions">
                {powers.manage.then(|| view! {
                    <form method="post" action=ChangeMembers::url() class="inline change-scope">
                        {hidden()}
                        <input type="hidden" name="action" value=MemberAction::ChangeScope.as_str() />
                        <select name="scope" aria-label="New scope">
                            {Scope::ALL
                                .iter()
                                .map(|s| view! { <option value=s.as_str() selected=*s == current>{s.label()}</option> })
                                .collect_view()}
                        </select>
                        <button type="submit" class="secondary">"Change scope"</button>
                    </form>
                })}
                {powers.moderate.then(|| view! {
                    <details class="confirmed-action kick">
                        <summary>"Kick"</summary>
                        <form method="post" action=ChangeMembers::url() class="form">
                            {hidden()}
                            <input type="hidden" name="action" value=MemberAction::Kick.as_str() />
                            <ConfirmedSubmit consequence="They leave the group; they may join again" button="Kick member" />
                        </form>
                    </details>
                    <details class="confirmed-action ban">
                        <summary>"Ban"</summary>
                        <form method="post" action=ChangeMembers::url() class="form">
                            {hidden()}
                            <input type="hidden" name="action" value=MemberAction::Ban.as_str() />
                            <label>"Reason (optional)" <input name="reason" maxlength="500" autocomplete="off" /></label>
                            <label>
                                "For"
                                <select name="length">
                                    {BanLength::OFFERED
                                        .iter()
                                        .map(|(value, label)| view! { <option value=*value>{*label}</option> })
                                        .collect_view()}
                                </select>
                            </label>
                            <ConfirmedSubmit consequence="They leave the group and may not join again while banned" button="Ban member" />
                        </form>
                    </details>
                })}
            </td>
        </tr>
    }
}

/// Finds users by UID or name prefix and adds the ones picked, with one scope.
#[island(lazy)]
fn AddMembers(app_id: String, guid: String) -> impl IntoView {
    /// How many of the users found are offered.
    const OFFERED: usize = 8;
    let typed = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<String>::new());
    let found_app = app_id.clone();
    let found = Resource::new(
        move || typed.get(),
        move |typed| {
            let app_id = found_app.clone();
            async move {
                if typed.trim().is_empty() {
                    return Ok(Vec::new());
                }
                let filter = UserFilter { search: typed, ..UserFilter::default() };
                list_users(app_id, filter, None).await.map(|page| page.items)
            }
        },
    );
    view! {
        <form method="post" action=ChangeMembers::url() class="form add-members">
            <input type="hidden" name="app_id" value=app_id />
            <input type="hidden" name="guid" value=guid />
            <input type="hidden" name="action" value=MemberAction::Add.as_str() />
            <label for="add-member-search">"Add members: find users by UID or name"</label>
            <input
                id="add-member-search"
                type="search"
                placeholder="Start typing a UID or a name"
                autocomplete="off"
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            <Transition>
                {move || Suspend::new(async move {
                    let users = found.await.unwrap_or_default();
                    view! {
                        <ul class="found-users">
                            {users
                                .into_iter()
                                .take(OFFERED)
                                .map(|user| {
                                    let uid = user.uid.to_string();
                                    let label = format!("{} ({})", user.name, uid);
                                    view! {
                                        <li>
                                            <button
                                                type="button"
                                                class="secondary pick"
                                                data-uid=uid.clone()
                                                on:click=move |_| picked.update(|p| if !p.contains(&uid) { p.push(uid.clone()) })
                                            >
                                                {label}
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            </Transition>
            <p class="picked">
                {move || picked.get().into_iter().map(|uid| view! {
                    <span class="badge">{uid.clone()}</span>
                    <input type="hidden" name="uids[]" value=uid />
                }).collect_view()}
            </p>
            <label for="add-member-scope">"As"</label>
            <select id="add-member-scope" name="scope">
                {Scope::ALL
                    .iter()
                    .map(|s| view! { <option value=s.as_str() selected=*s == Scope::Participant>{s.label()}</option> })
                    .collect_view()}
            </select>
            <button type="submit">"Add members"</button>
        </form>
    }
}
