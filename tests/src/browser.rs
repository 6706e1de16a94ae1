//! A real headless browser for console tests: Debian's `chromium` driven through
//! `chromedriver` (WebDriver), started on a free port for one test and stopped with it.
//! Screenshots are kept under the target directory as test output.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A browser session with its driver process, its download folder and where its
/// screenshots go.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    downloads: tempfile::TempDir,
    shots: PathBuf,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chromium() -> Option<&'static str> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
}

impl Browser {
    /// Starts chromedriver and a headless chromium for the server at `base`; screenshots
    /// go to `shots` (emptied first). Fails (never skips) when the browser is missing:
    /// `scripts/test` installs it.
    pub async fn start(base: &str, shots: &Path) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian chromium-driver) is installed by scripts/test");
        let binary = chromium().expect("chromium (Debian chromium) is installed by scripts/test");
        let downloads = tempfile::tempdir().unwrap();
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--lang=zh-CN"],
                "prefs": {
                    "download.default_directory": downloads.path().to_str().unwrap(),
                    "download.prompt_for_download": false,
                },
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver starts a chromium session");
        let _ = std::fs::remove_dir_all(shots);
        std::fs::create_dir_all(shots).unwrap();
        Browser {
            client,
            driver,
            downloads,
            shots: shots.to_owned(),
            base: base.to_owned(),
        }
    }

    /// Opens a console path.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Clicks the element with this CSS selector (a link or a form's button) and waits
    /// until the page it leads to replaced this one (the clicked element is gone).
    pub async fn click(&self, css: &str) {
        let element = self.press(css).await;
        for _ in 0..300 {
            if element.tag_name().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css}: the click led to no new page");
    }

    /// Clicks the element with this CSS selector without waiting for a new page (a
    /// download).
    pub async fn press(&self, css: &str) -> fantoccini::elements::Element {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        element.click().await.unwrap();
        element
    }

    /// Types into the element with this CSS selector.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Chooses a file for the file input with this CSS selector.
    pub async fn attach(&self, css: &str, file: &Path) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.send_keys(&file.display().to_string()).await.unwrap();
    }

    /// Chooses an option of a `<select>`.
    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// The visible text of the element with this CSS selector.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    /// How many elements match the CSS selector.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    /// The current path.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Saves a screenshot as `<n>-<label>.png`; returns its path.
    pub async fn screenshot(&self, label: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let n = std::fs::read_dir(&self.shots)
            .map(|d| d.count())
            .unwrap_or(0);
        let file = self.shots.join(format!("{n:02}-{label}.png"));
        std::fs::write(&file, png).unwrap();
        file
    }

    /// Waits (up to 30 s) for a download to finish; returns its name and bytes.
    pub async fn downloaded(&self) -> (String, Vec<u8>) {
        for _ in 0..300 {
            let done: Vec<PathBuf> = std::fs::read_dir(self.downloads.path())
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    !name.ends_with(".crdownload") && !name.starts_with('.')
                })
                .collect();
            if let Some(file) = done.first() {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                return (name, std::fs::read(file).unwrap());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no download finished");
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
