//! The pages as lazy routes. The dashboard's parts are chunks of the browser
//! bundle of their own, fetched the first time one of their pages is shown
//! (`cargo leptos build --split`): signing in does not download the
//! dashboard, nor the users page the charts or the playground. The rendered
//! HTML is the same.
//!
//! A part holds several pages: each `#[lazy]` function is a split point, and
//! the splitter gives every set of split points that share code a chunk of
//! its own, so more parts mean fewer bytes but more requests per page
//! (measured in benches/README.md).

use leptos::prelude::*;
use leptos_router::LazyRoute;

use super::{
    account_page::AccountPage, activity_page::ActivityPage, app_settings_page::AppSettingsPage, apps_page::AppsPage,
    conversation_page::ConversationPage, group_page::GroupPage, groups_page::GroupsPage, keys_page::KeysPage,
    messages_page::MessagesPage, overview_page::OverviewPage, playground_page::PlaygroundPage,
    reset_password_page::ResetPasswordPage, roles_page::RolesPage, second_factor_page::SecondFactorPage,
    setup_page::SetupPage, sign_in_page::SignInPage, team_activity_page::TeamActivityPage, team_page::TeamPage,
    team_sessions_page::TeamSessionsPage, two_factor_page::TwoFactorPage, user_page::UserPage, users_page::UsersPage,
};

/// A route whose page is drawn by its part's lazy function. The router
/// awaits `preload` before hydrating a page, so the part's chunk must be
/// loaded there: `#[lazy]` names that loader `__preload_{function}`.
macro_rules! page_route {
    ($($route:ident: $preload:ident => $page:expr),* $(,)?) => {$(
        pub struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                $page.await
            }

            async fn preload() {
                #[cfg(feature = "hydrate")]
                $preload().await;
            }
        }
    )*};
}

/// The pages before sign-in.
#[derive(Clone, Copy)]
enum Welcome {
    Setup,
    SignIn,
    SecondFactor,
    ResetPassword,
}

#[lazy]
fn welcome(page: Welcome) -> AnyView {
    match page {
        Welcome::Setup => view! { <SetupPage /> }.into_any(),
        Welcome::SignIn => view! { <SignInPage /> }.into_any(),
        Welcome::SecondFactor => view! { <SecondFactorPage /> }.into_any(),
        Welcome::ResetPassword => view! { <ResetPasswordPage /> }.into_any(),
    }
}

/// The apps list, where an operator lands.
#[lazy]
fn apps() -> AnyView {
    view! { <AppsPage /> }.into_any()
}

/// The team and one's own account.
#[derive(Clone, Copy)]
enum Operator {
    Team,
    TeamSessions,
    TeamActivity,
    Account,
    TwoFactor,
}

#[lazy]
fn operator(page: Operator) -> AnyView {
    match page {
        Operator::Team => view! { <TeamPage /> }.into_any(),
        Operator::TeamSessions => view! { <TeamSessionsPage /> }.into_any(),
        Operator::TeamActivity => view! { <TeamActivityPage /> }.into_any(),
        Operator::Account => view! { <AccountPage /> }.into_any(),
        Operator::TwoFactor => view! { <TwoFactorPage /> }.into_any(),
    }
}

/// An app's keys, users, roles, groups, activity and settings.
#[derive(Clone, Copy)]
enum Manage {
    Keys,
    Users,
    User,
    Roles,
    Groups,
    Group,
    Activity,
    AppSettings,
}

#[lazy]
fn manage(page: Manage) -> AnyView {
    match page {
        Manage::Keys => view! { <KeysPage /> }.into_any(),
        Manage::Users => view! { <UsersPage /> }.into_any(),
        Manage::User => view! { <UserPage /> }.into_any(),
        Manage::Roles => view! { <RolesPage /> }.into_any(),
        Manage::Groups => view! { <GroupsPage /> }.into_any(),
        Manage::Group => view! { <GroupPage /> }.into_any(),
        Manage::Activity => view! { <ActivityPage /> }.into_any(),
        Manage::AppSettings => view! { <AppSettingsPage /> }.into_any(),
    }
}

/// The message explorer and a conversation.
#[derive(Clone, Copy)]
enum Explore {
    Messages,
    Conversation,
}

#[lazy]
fn explore(page: Explore) -> AnyView {
    match page {
        Explore::Messages => view! { <MessagesPage /> }.into_any(),
        Explore::Conversation => view! { <ConversationPage /> }.into_any(),
    }
}

/// The overview's charts.
#[lazy]
fn overview() -> AnyView {
    view! { <OverviewPage /> }.into_any()
}

/// The realtime playground.
#[lazy]
fn playground() -> AnyView {
    view! { <PlaygroundPage /> }.into_any()
}

page_route! {
    SetupRoute: __preload_welcome => welcome(Welcome::Setup),
    SignInRoute: __preload_welcome => welcome(Welcome::SignIn),
    SecondFactorRoute: __preload_welcome => welcome(Welcome::SecondFactor),
    ResetPasswordRoute: __preload_welcome => welcome(Welcome::ResetPassword),
    AppsRoute: __preload_apps => apps(),
    TeamRoute: __preload_operator => operator(Operator::Team),
    TeamSessionsRoute: __preload_operator => operator(Operator::TeamSessions),
    TeamActivityRoute: __preload_operator => operator(Operator::TeamActivity),
    AccountRoute: __preload_operator => operator(Operator::Account),
    TwoFactorRoute: __preload_operator => operator(Operator::TwoFactor),
    KeysRoute: __preload_manage => manage(Manage::Keys),
    UsersRoute: __preload_manage => manage(Manage::Users),
    UserRoute: __preload_manage => manage(Manage::User),
    RolesRoute: __preload_manage => manage(Manage::Roles),
    GroupsRoute: __preload_manage => manage(Manage::Groups),
    GroupRoute: __preload_manage => manage(Manage::Group),
    ActivityRoute: __preload_manage => manage(Manage::Activity),
    AppSettingsRoute: __preload_manage => manage(Manage::AppSettings),
    MessagesRoute: __preload_explore => explore(Explore::Messages),
    ConversationRoute: __preload_explore => explore(Explore::Conversation),
    OverviewRoute: __preload_overview => overview(),
    PlaygroundRoute: __preload_playground => playground(),
}
