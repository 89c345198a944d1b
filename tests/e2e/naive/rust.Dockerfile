# Naive single-stage build, as in most tutorials: the Rust toolchain and the
# whole target/ directory ship in the final image, which runs as root.
FROM rust:1.91-slim-trixie
WORKDIR /app
COPY . .
RUN cargo build --release
EXPOSE 8080
CMD ["/app/target/release/hello"]
