// The migrations are embedded by `sqlx::migrate!`: rebuild when one is added or changed, not only
// when a Rust source changes (otherwise an incremental build keeps the old set).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
