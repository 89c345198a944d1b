# Naive single-stage build, as in most tutorials: the full Go toolchain ships
# in the final image, which runs the binary as root.
FROM golang:1.24-trixie
WORKDIR /app
COPY . .
RUN go mod download
RUN go build -o /app/hello .
EXPOSE 8080
CMD ["/app/hello"]
