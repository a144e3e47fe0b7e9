# The base image Dockerfile.operator and Dockerfile.worker start FROM (node:24-bookworm-slim), made on a
# machine that reaches no registry: Debian bookworm (debootstrap, imported as debian:bookworm-slim) with
# the Node.js 24 binary of the repository's pinned `node` package and npm from the npm registry, laid
# out as in the official image (/usr/local/bin/node, /usr/local/lib/node_modules/npm).
# npm in the Dockerfiles' build stages reaches the registry the way this machine does: it trusts the
# machine's extra certificate authorities (/usr/local/share/ca-certificates, e.g. a TLS-inspecting egress
# proxy's), through the system bundle and npm's global cafile.
FROM debian:bookworm-slim
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates \
    && mkdir -p /usr/local/etc \
    && echo 'cafile=/etc/ssl/certs/ca-certificates.crt' > /usr/local/etc/npmrc \
    && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && node --version && npm --version
CMD ["node"]
