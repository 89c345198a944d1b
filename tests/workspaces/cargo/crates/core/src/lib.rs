pub fn render(n: u64) -> String {
    let mut b = itoa::Buffer::new();
    format!("orders: {}", b.format(n))
}
