# pension720 container image: a Debian 12 builder with the -dev packages, then a slim runtime with
# only the shared libraries the binary links (checked with ldd) and a non-root user.
#   docker build -t pension720 .
#   docker run -p 8080:8080 -v pension720-data:/var/lib/pension720 -e PENSION_TOKEN_SECRET=... pension720

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost-dev libboost-system-dev nlohmann-json3-dev libsqlite3-dev libssl-dev \
      libspdlog-dev libcli11-dev libyaml-cpp-dev libjwt-dev libhiredis-dev libmariadb-dev libjemalloc-dev libsodium-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
 && ninja -C /build pension720 \
 && strip --strip-debug /build/pension720

FROM debian:12-slim AS runtime
# The runtime twins of the -dev packages above (libjwt0 brings libjansson4 and libb64-0d).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libssl3 libjwt0 libyaml-cpp0.7 libhiredis0.14 libmariadb3 libspdlog1.10 libfmt9 libjemalloc2 libsodium23 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/pension720 --shell /usr/sbin/nologin pension720 \
 && install -d -o pension720 -g pension720 -m 0750 /var/lib/pension720
COPY --from=build /build/pension720 /usr/local/bin/pension720
COPY docs/pension720.example.yaml /etc/pension720/pension720.example.yaml

# The embedded SQLite database lives on the volume; set PENSION_DB=mysql://… to use MariaDB instead.
# PENSION_TOKEN_SECRET must be set at run time (without it a development secret is used, with a warning).
ENV PENSION_PORT=8080 \
    PENSION_DB=sqlite:/var/lib/pension720/pension720.db
VOLUME ["/var/lib/pension720"]
WORKDIR /var/lib/pension720
USER pension720
EXPOSE 8080
# SIGTERM drains in-flight requests and exits 0 (docker stop sends it).
STOPSIGNAL SIGTERM
ENTRYPOINT ["pension720", "serve"]
