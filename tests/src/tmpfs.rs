//! A small tmpfs mounted for one test, to fill a disk or make it read-only underneath a
//! running server. Mounting needs root; outside CI a test without it says so and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs, unmounted when dropped.
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `megabytes` at `path` (created if missing); `None` (loudly) when
    /// this machine does not let the test mount outside CI.
    pub fn mount(path: &Path, megabytes: u32) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).expect("the mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            return crate::missing("mounting a tmpfs (as root)");
        }
        Some(Tmpfs {
            path: path.to_path_buf(),
        })
    }

    /// Remounts it read-only (`false`) or writable (`true`).
    pub fn writable(&self, writable: bool) {
        let options = if writable { "remount,rw" } else { "remount,ro" };
        let status = Command::new("mount")
            .args(["-o", options])
            .arg(&self.path)
            .status()
            .expect("mount");
        assert!(status.success(), "mount -o {options}");
    }

    /// Writes a file of zeros until the disk is full; returns its path.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("the filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        // The last partial block too.
        while file.write_all(&block[..512]).is_ok() {}
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
