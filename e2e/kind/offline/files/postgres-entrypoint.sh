#!/bin/bash
# The official postgres image's start-up, as far as the kind suite uses it: on an empty $PGDATA, initdb
# with the superuser $POSTGRES_USER and its password, the database $POSTGRES_DB, the scripts of
# /docker-entrypoint-initdb.d run against a server on the socket only; then PostgreSQL on every address,
# with password authentication for remote clients.
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=${POSTGRES_USER}}" "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
export POSTGRES_USER POSTGRES_DB
if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  mkdir -p "${PGDATA}"
  chmod 0700 "${PGDATA}"
  initdb --username="${POSTGRES_USER}" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD}") \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  pg_ctl --wait --silent --options="-c listen_addresses=''" start
  if [ "${POSTGRES_DB}" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --username="${POSTGRES_USER}" --dbname=postgres \
      --command="CREATE DATABASE \"${POSTGRES_DB}\""
  fi
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [ -e "${script}" ] || continue
    echo "running ${script}"
    bash "${script}"
  done
  pg_ctl --wait --silent --mode=fast stop
  echo "host all all all scram-sha-256" >>"${PGDATA}/pg_hba.conf"
fi
exec postgres -c listen_addresses='*'
