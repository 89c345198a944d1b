fn main() {
    println!("{}", shop_core::render(1));
}
