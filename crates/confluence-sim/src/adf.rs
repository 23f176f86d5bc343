//! Storage → ADF (stub).
pub fn to_adf(_storage: &str) -> String {
    r#"{"type":"doc","version":1,"content":[]}"#.to_string()
}
