# Redis for the kind suite on a machine that reaches no registry: Debian's redis-server (7.0) on
# debian:bookworm-slim, with redis-server and redis-cli on PATH as in the official image. e2e/kind/run.sh
# gives it its configuration (the password from a Secret); the pod chooses the user.
FROM debian:bookworm-slim
# policy-rc.d: the package's maintainer scripts must not start a server inside the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
    && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
    && mkdir -p /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server"]
