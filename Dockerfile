# The `weir` binary in a small image, for clusters (docs/cluster.md).
#
#   docker build -t weir .
#   docker run --rm -v "$PWD:/work" -w /work weir run examples/single-queue.ron
#
# The build stage compiles with the toolchain the workspace asks for
# (rust-version in Cargo.toml) from the locked dependencies; the image
# holds the binary alone on Debian 12. Its subcommands (run, sweep, merge,
# …) need no display: the designer's window libraries are loaded only when
# it opens.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY sim-core sim-core
COPY app app
COPY tests tests
COPY examples examples
COPY assets assets
COPY docs docs
RUN cargo build --release --locked -p weir \
    && install -D -m 0755 target/release/weir /out/weir

FROM debian:bookworm-slim
COPY --from=build /out/weir /usr/local/bin/weir
# Shards and reports are written by an unprivileged user (the uid the
# Kubernetes recipe runs as).
RUN useradd --system --uid 10001 --create-home weir
USER 10001
WORKDIR /home/weir
ENTRYPOINT ["weir"]
CMD ["--help"]
