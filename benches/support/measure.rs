//! Wall time, CPU time and peak memory of a child process, without unsafe code: CPU time is
//! the growth of this process's `cutime + cstime` (children waited for, `/proc/self/stat`)
//! over the child's life; peak memory is the child's `VmHWM` (`/proc/<pid>/status`), read
//! every 2 ms while it runs — a high-water mark, so the last reading before it exits misses
//! at most the growth of its last 2 ms.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of a child cost.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cost {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    pub(crate) peak_mb: f64,
    pub(crate) code: Option<i32>,
}

/// This process's children's CPU time so far, in clock ticks.
fn children_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 16 and 17 of the line (cutime, cstime) are 13 and 14 after the command name.
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(13) + get(14)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot say).
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Run `cmd` (its output discarded) and measure it.
pub(crate) fn run(cmd: &mut Command) -> Cost {
    let before = children_ticks();
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = peak_kb(pid) {
            peak = peak.max(kb);
        }
        match child.try_wait().expect("wait") {
            Some(status) => break status,
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    let wall = start.elapsed();
    let ticks = children_ticks().saturating_sub(before);
    Cost {
        wall,
        cpu: Duration::from_secs_f64(ticks as f64 / ticks_per_second()),
        peak_mb: peak as f64 / 1024.0,
        code: status.code(),
    }
}
