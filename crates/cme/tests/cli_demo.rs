//! The README's first command, through the real binary: `demo`, twice, then `status`.
use std::process::Command;

#[test]
fn demo_runs_twice_and_status_reads_the_result() {
    let out = std::env::temp_dir().join(format!("cme-cli-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let bin = env!("CARGO_BIN_EXE_cme");
    for _ in 0..2 {
        let run = Command::new(bin)
            .args(["demo", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{stderr}");
        assert!(stderr.contains("Exported"), "{stderr}");
    }
    let status = Command::new(bin)
        .args(["status", "--json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success());
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(v["pages"]["active"].as_u64().unwrap() >= 30, "{v}");
    assert_eq!(v["scopes"].as_array().unwrap().len(), 1);
    assert!(out.join("DEMO").is_dir() && out.join("OPS").is_dir());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn status_without_an_export_is_a_clear_error() {
    let run = Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["status", "-o", "/definitely/not/an/export"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("holds no export"));
}
