# Assay image: assay-broker, assay-worker, the assay CLI, the catalogs and the
# schema migrations (scripts/migrate + sql/). Used by docker-compose.yml.
#
#   docker build -t assay .

# ---- build stage: the same Debian packages as a local build (scripts/bootstrap)
FROM debian:12-slim AS build
COPY scripts/bootstrap /src/scripts/bootstrap
RUN /src/scripts/bootstrap && rm -rf /var/lib/apt/lists/*
# Only the sources (a local build/ or .stack/ must not end up in the image).
COPY CMakeLists.txt /src/
COPY util /src/util
COPY proto /src/proto
COPY engine /src/engine
COPY broker /src/broker
COPY worker /src/worker
COPY client /src/client
COPY tests /src/tests
COPY catalogs /src/catalogs
COPY sql /src/sql
COPY scripts /src/scripts
WORKDIR /src
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DASSAY_CATALOG_DIR=/usr/share/assay/catalogs \
 && cmake --build /build -j"$(nproc)"

# ---- runtime stage: only the shared libraries the binaries link against,
# and psql for the migrations.
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzmq5 libczmq4 libpq5 libcjson1 libssl3 postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/broker/assay-broker /build/worker/assay-worker \
                  /build/client/assay /usr/local/bin/
COPY --from=build /src/catalogs /usr/share/assay/catalogs
COPY --from=build /src/sql /usr/share/assay/sql
COPY --from=build /src/scripts/migrate /usr/local/bin/assay-migrate
ENV ASSAY_CATALOGS=/usr/share/assay/catalogs \
    ASSAY_SQL_DIR=/usr/share/assay/sql
RUN useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin assay
USER assay
EXPOSE 5555 5556
CMD ["assay", "--help"]
