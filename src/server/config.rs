use std::time::Duration;

use super::client_address::TrustedProxies;

/// Settings read once at start-up, from flags or the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Marks the session cookie `Secure`, and sends HSTS: set when served
    /// over https.
    pub secure_cookies: bool,
    /// How long a realtime connection may go without a ping before the
    /// server closes it and counts its user gone.
    pub ping_timeout: Duration,
    /// Reverse proxies whose forwarded client address is believed.
    pub trusted_proxies: TrustedProxies,
    /// Password checks (argon2) run at once; sign-ins past them are
    /// answered 429 at once.
    pub password_checks: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            ping_timeout: Duration::from_secs(30),
            trusted_proxies: TrustedProxies::default(),
            password_checks: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}
