# A small image that runs `cme` as a non-root user on a mounted folder:
#
#   docker build -t cme .
#   docker run --rm -v "$PWD/docs:/export" \
#     -e CME_URL=https://example.atlassian.net -e CME_EMAIL=me@example.com \
#     -e CME_API_TOKEN cme            # = cme sync -o /export
#
# The binary is static (musl), so the image holds it, CA certificates and
# nothing else (no shell, no package manager).
FROM rust:1-alpine AS build
# musl's C library headers: mimalloc is compiled from C.
RUN apk add --no-cache musl-dev=~1
WORKDIR /src
COPY . .
# Without the bundled simulator (`demo`): the image exports real sites.
RUN cargo build --release --locked -p cme --no-default-features \
    && cp target/release/cme /cme

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /cme /usr/local/bin/cme
# The export lives in the mounted folder; settings come from CME_* variables.
WORKDIR /export
VOLUME ["/export"]
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/cme"]
CMD ["sync", "-o", "/export"]
