use leptos::prelude::*;

use leptos::server_fn::ServerFn;

use super::{bulk_ticks::TickedCount, role_select::RoleSelect};
use crate::domain::{ApiError, BulkChange, RoleView};

/// Applies one change to every ticked user; answers how many changed.
/// Deactivating and deleting need the box ticked that says what they do.
#[server]
pub async fn change_users(
    app_id: String,
    #[server(default)] uids: Vec<String>,
    change: BulkChange,
    #[server(default)] role: Option<String>,
    #[server(default)] confirm: Option<String>,
) -> Result<usize, ApiError> {
    use crate::domain::{RoleId, Uid};
    use crate::server::{Error, auth::session::dashboard_app, service::users};
    let uids = uids.iter().map(|uid| Uid::parse(uid)).collect::<Result<Vec<_>, _>>()?;
    if uids.is_empty() {
        return Err(Error::invalid("ERR_NO_UIDS", "Tick at least one user first.").into());
    }
    if matches!(change, BulkChange::Deactivate | BulkChange::Delete) {
        crate::ui::confirmed_submit::require_confirmation(&confirm, "deactivate or delete the ticked users")?;
    }
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let db = &state.db;
    let changed = match change {
        BulkChange::Deactivate => users::set_deactivated(db, &caller, &app, &uids, true).await?,
        BulkChange::Reactivate => users::set_deactivated(db, &caller, &app, &uids, false).await?,
        BulkChange::Delete => users::delete_permanently(db, &caller, &app, &uids).await?,
        BulkChange::ChangeRole => {
            let role = RoleId::parse(role.as_deref().unwrap_or_default())?;
            users::set_role(db, &caller, &app, &uids, &role).await?
        }
    };
    crate::ui::outcome::keep(crate::domain::Outcome::UsersChanged(changed.len())).await?;
    Ok(changed.len())
}

/// What can be done to the ticked rows of the users table: deactivating
/// for those who moderate; reactivating, changing roles and deleting for
/// those who manage users too. The rows' checkboxes belong to this
/// form through their `form` attribute.
#[component]
pub fn UsersBulkBar(
    app_id: String,
    roles: Resource<Result<Vec<RoleView>, ApiError>>,
    /// How many users the bulk change the page came back from changed.
    changed: Option<usize>,
    may_manage: bool,
) -> impl IntoView {
    let outcome = changed.map(|changed| format!("Changed {changed} users."));
    view! {
        <form method="post" action=ChangeUsers::url() id="bulk-change" class="bulk-bar">
            <input type="hidden" name="app_id" value=app_id />
            <TickedCount />
            <label class="choice">
                <input type="checkbox" name="confirm" value="yes" />
                "Yes: deactivating signs them out; deleting is for good"
            </label>
            <button type="submit" name="change" value=BulkChange::Deactivate.as_str() class="danger">
                "Deactivate"
            </button>
            {may_manage.then(|| view! {
                <button type="submit" name="change" value=BulkChange::Reactivate.as_str() class="secondary">
                    "Reactivate"
                </button>
                <span class="role-change">
                    <RoleSelect roles name="role" id="bulk-role" form="bulk-change" />
                    <button type="submit" name="change" value=BulkChange::ChangeRole.as_str() class="secondary">
                        "Change role"
                    </button>
                </span>
                <button type="submit" name="change" value=BulkChange::Delete.as_str() class="danger">
                    "Delete"
                </button>
            })}
            <span class="notice" aria-live="polite">{outcome}</span>
        </form>
    }
}
