fn main() {
    println!("confluence-sim {}", env!("CARGO_PKG_VERSION"));
}
