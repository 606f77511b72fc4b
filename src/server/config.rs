use std::time::Duration;

/// Settings read once at start-up, from flags or the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Marks the session cookie `Secure`: set when served over https.
    pub secure_cookies: bool,
    /// How long a realtime connection may go without a ping before the
    /// server closes it and counts its user gone.
    pub ping_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config { secure_cookies: false, ping_timeout: Duration::from_secs(30) }
    }
}
