use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::ui::{
    account_page::AccountPage, activity_page::ActivityPage, app_layout::AppLayout, app_settings_page::AppSettingsPage,
    apps_page::AppsPage, conversation_page::ConversationPage, group_page::GroupPage, groups_page::GroupsPage,
    home::Home, keys_page::KeysPage, messages_page::MessagesPage, not_found::NotFound, overview_page::OverviewPage,
    page_hydrated::PageHydrated, playground_page::PlaygroundPage, reset_password_page::ResetPasswordPage,
    roles_page::RolesPage, second_factor_page::SecondFactorPage, setup_page::SetupPage, sign_in_page::SignInPage,
    signed_in_layout::SignedInLayout, team_activity_page::TeamActivityPage, team_page::TeamPage,
    team_sessions_page::TeamSessionsPage, two_factor_page::TwoFactorPage, user_page::UserPage, users_page::UsersPage,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
                <PageHydrated />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Switchboard" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home ssr=SsrMode::Async />
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                <Route path=path!("/sign-in/code") view=SecondFactorPage ssr=SsrMode::Async />
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=SignedInLayout ssr=SsrMode::Async>
                    <Route path=path!("/apps") view=AppsPage ssr=SsrMode::Async />
                    <Route path=path!("/team") view=TeamPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/two-factor") view=TwoFactorPage ssr=SsrMode::Async />
                    <Route path=path!("/team/sessions") view=TeamSessionsPage ssr=SsrMode::Async />
                    <Route path=path!("/team/activity") view=TeamActivityPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("/apps/:app_id") view=AppLayout ssr=SsrMode::Async>
                        <Route path=path!("") view=KeysPage ssr=SsrMode::Async />
                        <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async />
                        <Route path=path!("/users/:uid") view=UserPage ssr=SsrMode::Async />
                        <Route path=path!("/roles") view=RolesPage ssr=SsrMode::Async />
                        <Route path=path!("/groups") view=GroupsPage ssr=SsrMode::Async />
                        <Route path=path!("/groups/:guid") view=GroupPage ssr=SsrMode::Async />
                        <Route path=path!("/overview") view=OverviewPage ssr=SsrMode::Async />
                        <Route path=path!("/messages") view=MessagesPage ssr=SsrMode::Async />
                        <Route path=path!("/conversation") view=ConversationPage ssr=SsrMode::Async />
                        <Route path=path!("/activity") view=ActivityPage ssr=SsrMode::Async />
                        <Route path=path!("/playground") view=PlaygroundPage ssr=SsrMode::Async />
                        <Route path=path!("/settings") view=AppSettingsPage ssr=SsrMode::Async />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
