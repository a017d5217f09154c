# Cairn's container image: a static set of templates and assets is compiled into one binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# SQL is checked against the committed .sqlx/ data; no database is needed to build.
ENV SQLX_OFFLINE=true
RUN cargo build --release --locked --bin cairn

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/cairn /usr/local/bin/cairn
USER nobody
ENV CAIRN_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["cairn"]
CMD ["serve"]
