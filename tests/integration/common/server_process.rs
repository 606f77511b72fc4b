//! A `switchboard serve` process of this build, on a database of the
//! caller's: a second process of a deployment, in the tests and the
//! realtime benchmark alike (which includes this file).

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

pub struct ServerProcess {
    child: Child,
    /// `host:port`.
    pub addr: String,
}

impl ServerProcess {
    /// Starts the binary on a free port with extra `serve` arguments, and
    /// waits until it answers.
    pub async fn start(database_url: &str, serve_args: &[&str], log: &str) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["serve", "--addr", &addr])
            .args(serve_args)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", log)
            .stdout(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("http://{addr}/healthz")).send().await.is_ok() {
                return ServerProcess { child, addr };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start");
    }

    /// The process's resident memory, in KiB.
    pub fn resident_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The most resident memory the process has had, in KiB.
    pub fn peak_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap_or("x: 0 kB");
        line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).unwrap_or(0)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
